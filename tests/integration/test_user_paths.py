"""Paths a new user takes through the real CLI, on small files of their own: a Big5
file declared as UTF-8, a misspelt column, a language-code column at init."""
from __future__ import annotations

import csv
import shutil

import pytest
import yaml

from tests.helpers import REPO, privenance

pytestmark = pytest.mark.integration

TEXT = "陳先生說他的電話號碼已經更改了，請你盡快聯絡客戶服務部。"


def _project(tmp_path, encoding: str, body: str = "body"):
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    raw = tmp_path / "data/raw"
    raw.mkdir(parents=True)
    with (raw / "notes.csv").open("w", newline="", encoding="big5") as f:
        w = csv.writer(f)
        w.writerow(["note_id", "body"])
        for i in range(40):
            w.writerow([f"N{i:03d}", f"{TEXT} 第{i}號"])
    (tmp_path / "data/sources.yaml").write_text(yaml.safe_dump({"sources": [{
        "id": "notes", "path": "data/raw/notes.csv", "format": "csv", "encoding": encoding,
        "id_field": "note_id", "text_fields": [body], "licence": "CC0-1.0",
        "consent": {"basis": "public-domain"}, "retain_until": None}]}))


def test_a_big5_file_declared_as_utf8_is_named_by_check_and_run(tmp_path):
    _project(tmp_path, "utf-8")
    check = privenance("check", "--no-scan", cwd=tmp_path, check=False)
    assert check.returncode == 1
    assert "the bytes look like big5hkscs: set `encoding: big5hkscs`" in check.stdout
    run = privenance("run", "--out", "out", cwd=tmp_path, check=False)
    assert "hint: source notes: 40 of 40 rows could not be read as utf-8; the bytes look " \
           "like big5hkscs" in run.stdout
    assert "Traceback" not in run.stderr


def test_a_misspelt_column_gets_a_did_you_mean_and_rows_not_columns(tmp_path):
    _project(tmp_path, "big5hkscs", body="boddy")
    check = privenance("check", "--no-scan", cwd=tmp_path, check=False)
    assert check.returncode == 2
    assert "column 'boddy' is not in the data (first 1,000 rows); did you mean 'body'?" \
        in check.stderr


def test_init_never_declares_a_language_code_column_person(tmp_path):
    from faker import Faker
    fake = Faker("en_US")
    fake.seed_instance(3)
    raw = tmp_path / "data/raw"
    raw.mkdir(parents=True)
    with (raw / "chats.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["chat_id", "language", "country", "customer", "message"])
        for i in range(40):
            w.writerow([f"C{i:04d}", ["en", "zh", "mixed"][i % 3], ["HK", "CN", "SG"][i % 3],
                        fake.name(), f"Hi, I am {fake.name()}, please call me about my order."])
    privenance("init", "data/raw", "--name", "chats", cwd=tmp_path)
    source = yaml.safe_load((tmp_path / "data/sources.yaml").read_text())["sources"][0]
    assert source["fields"] == {"customer": "PERSON"}
    assert source["text_fields"] == ["message"]
