"""A surrogate is never a value detected anywhere in the dataset, in one pass: when the
fake given to one customer is another customer's real name, the dataset's writer draws
it again (same length, the same in every record), and says so in run.json (counts only)."""
from __future__ import annotations

import datetime as dt
import json
import re

import pyarrow.parquet as pq
import pytest
import yaml

from pipelines.anonymize.operators import build_operator
from pipelines.run import driver
from pipelines.run.options import RunOptions
from privenance.keyref import KeyRef
from privenance.keys import Secret
from privenance.policy import load_policy
from privenance.sources import load_sources
from tests.helpers import REPO, TEST_KEY_HEX, privenance

pytestmark = pytest.mark.integration

CUSTOMERS = ["Chan Ka Yan", "Wong Chi Keung", "Lee Mei Ling", "Cheung Ho Yin"]
SAID = re.compile(r"^Customer (.+) called us about the late delivery\.$")


def _project(tmp_path):
    """A dataset where each customer's first fake is another customer's real name, each
    customer in two records; the names in it."""
    surrogate = build_operator("surrogate", Secret(bytes.fromhex(TEST_KEY_HEX), "test"), {})
    fakes = [surrogate(name, "PERSON") for name in CUSTOMERS]
    names = CUSTOMERS + fakes
    lines = [{"id": f"r{n}", "text": f"Customer {name} called us about the late delivery."}
             for n, name in enumerate(names + CUSTOMERS)]
    (tmp_path / "chats.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    (tmp_path / "sources.yaml").write_text(yaml.safe_dump({"sources": [{
        "id": "chats", "path": str(tmp_path / "chats.jsonl"), "id_field": "id",
        "text_fields": ["text"], "licence": "CC0-1.0", "consent": {"basis": "public-domain"}}]}))
    (tmp_path / "policy.yaml").write_text(
        f"extends: {REPO / 'policies/default.yaml'}\nname: surrogates\n")
    return names, fakes, len(lines)


def test_a_fake_that_is_another_customers_name_is_drawn_again_in_one_pass(tmp_path, monkeypatch):
    names, first_fakes, records = _project(tmp_path)
    passes = []
    graph = driver.RunGraph
    monkeypatch.setattr(driver, "RunGraph", lambda *a, **k: (passes.append(1), graph(*a, **k))[1])
    monkeypatch.setenv("PRIVENANCE_PSEUDONYM_KEY", TEST_KEY_HEX)
    run = driver.run(RunOptions(
        load_sources(tmp_path / "sources.yaml"), load_policy(tmp_path / "policy.yaml"),
        tmp_path / "staged", KeyRef.env("PRIVENANCE_PSEUDONYM_KEY"), dt.date(2026, 11, 25),
        log=lambda _: None))
    assert passes == [1], "one pipeline, one pass"
    table = pq.read_table(tmp_path / "staged/dataset").to_pylist()
    fake_of = {row["id"]: SAID.match(row["text"])[1] for row in table}
    assert not set(fake_of.values()) & set(names), "a name in the input is in the output"
    # each first fake was a real name: drawn again, to a fake of the same length ...
    for n, first in enumerate(first_fakes):
        assert len(fake_of[f"r{n}"]) == len(first)
    # ... and the same for the same customer in every record (linkable)
    for n in range(len(CUSTOMERS)):
        assert fake_of[f"r{n}"] == fake_of[f"r{len(names) + n}"]
    # the findings' output offsets still point at the fakes
    findings = pq.read_table(tmp_path / "staged/findings").to_pylist()
    text_of = {row["id"]: row["text"] for row in table}
    record_id = {row["_record_id"]: row["id"] for row in table}
    for f in findings:
        fake = text_of[record_id[f["_record_id"]]][f["out_start"]:f["out_end"]]
        assert fake == fake_of[record_id[f["_record_id"]]]
    assert run["surrogates"]["fakes_redrawn"] >= 2 * len(CUSTOMERS)  # both records each
    assert run["counts"]["chats"] == {"read": records, "written": records, "quarantined": 0,
                                      "quarantine_reasons": {}}
    assert not any(n in json.dumps(run) for n in names)


def test_the_former_opt_in_is_refused_with_a_clear_message(tmp_path):
    _project(tmp_path)
    (tmp_path / "policy.yaml").write_text(
        f"extends: {REPO / 'policies/default.yaml'}\nname: old\n"
        "anonymization: {unique_surrogates: true}\n")
    result = privenance("check", "--sources", "sources.yaml", "--policy", "policy.yaml",
                        cwd=tmp_path, check=False)
    assert result.returncode != 0
    assert "unique_surrogates was removed" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
