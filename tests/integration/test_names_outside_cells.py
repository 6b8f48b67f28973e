"""Nothing personal outside the cells, through the real CLI: a CSV without its header
row, JSON keys that are a customer's identifiers, and credentials passed to Beam. Every
file written and everything printed is searched for the planted values."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import REPO, privenance

pytestmark = pytest.mark.integration

FIRST_ROW = ["Leung Tai Man", "91234567", "leung.taiman@gmail.com", "A123456(3)",
             "Please call me back about the broken router in my flat"]
KEYS = ["Chan Siu Ming", "chan.siuming@yahoo.com.hk"]
SECRETS = ["tok-PLANTED-9f31", "AKIAPLANTED77", "pw-PLANTED-5521"]
PLANTED = FIRST_ROW[:4] + KEYS + SECRETS


def write_files(raw: Path) -> None:
    raw.mkdir(parents=True)
    rows = [FIRST_ROW, ["Wong Ka Yan", "92345678", "wky@hotmail.com", "B234567(1)",
                        "The bill is wrong again this month please fix it soon"],
            ["Lam Wing Sze", "63456789", "lws@gmail.com", "C345678(9)",
             "I want to cancel my contract because the line is very slow"]]
    (raw / "complaints.csv").write_text("".join(",".join(r) + "\n" for r in rows))
    (raw / "notes.jsonl").write_text("".join(json.dumps(r) + "\n" for r in (
        {"note_id": "n1", "memo": "asked about the invoice and the late fee today", KEYS[0]: 1},
        {"note_id": "n2", "memo": "wants a new router sent to the shop this week", KEYS[1]: 2})))


def everything_written(project: Path) -> list[Path]:
    return [p for p in project.rglob("*") if p.is_file() and "raw" not in p.parts]


def assert_nothing_planted(project: Path, results) -> None:
    for path in everything_written(project):
        content = path.read_bytes()
        for value in PLANTED:
            assert value.encode() not in content, f"planted value in {path.relative_to(project)}"
            assert value not in str(path)
    for result in results:
        for value in PLANTED:
            assert value not in result.stdout + result.stderr


def test_headerless_csv_json_keys_and_beam_credentials_never_leak(tmp_path):
    project = tmp_path / "acme"
    write_files(project / "data" / "raw")

    def cli(*args, check=True):
        return privenance(*args, cwd=project, check=check)

    results = [cli("init", "data/raw", "--licence", "LicenseRef-acme-internal", "--consent",
                   "contract", "--purpose", "model-training", "--retain-until", "2031-12-31")]
    manifest = (project / "data/sources.yaml").read_text()
    assert "header: false" in manifest and "col_5" in manifest
    assert "the first row looks like data" in results[0].stdout
    # the JSON keys that are identifiers: refused by check and run, without quoting them
    results.append(cli("check", "--policy", "policies/acme.yaml", check=False))
    assert results[-1].returncode == 2 and "column 3 looks like personal data" in \
        results[-1].stderr
    results.append(cli("run", "--policy", "policies/acme.yaml", check=False))
    assert results[-1].returncode == 2
    assert not (project / "data/staged/run.json").exists()
    # without them, the headerless CSV runs: its first row is a record like the others
    (project / "data/raw/notes.jsonl").write_text(json.dumps(
        {"note_id": "n1", "memo": "asked about the invoice and the late fee today"}) + "\n")
    results.append(cli("check", "--policy", "policies/acme.yaml"))
    results.append(cli("run", "--policy", "policies/acme.yaml", "--", f"--s3_session_token="
                       f"{SECRETS[0]}", f"--aws_access_key_id={SECRETS[1]}", "--password",
                       SECRETS[2]))
    run = json.loads((project / "data/staged/run.json").read_text())
    assert run["counts"]["complaints"] == {"read": 3, "written": 3, "quarantined": 0,
                                           "quarantine_reasons": {}}
    assert "--s3_session_token=<redacted>" in run["execution"]["beam_args"]
    import pyarrow.parquet as pq
    names = set(pq.read_schema(next((project / "data/staged/dataset").glob("*.parquet"))).names)
    assert {"col_1", "col_5"} <= names
    # a headerless CSV declared as having a header is refused, naming no cell
    (project / "data/sources.yaml").write_text(manifest.replace("header: false", "header: true"))
    results.append(cli("run", "--policy", "policies/acme.yaml", "--out", "data/again",
                       check=False))
    assert results[-1].returncode == 2 and "looks like a person's name" in results[-1].stderr
    assert_nothing_planted(project, results)


def test_a_header_that_only_reads_like_a_name_can_be_let_through(tmp_path):
    """"Mark Price" is a column of prices: refused until the source lists it under
    names_not_personal, then checked like any other column."""
    (tmp_path / "quotes.csv").write_text(
        "quote_id,Mark Price,note\nq1,12.5,the price moved after the close\n"
        "q2,13.0,a quiet day on the market floor\n")
    manifest = ("sources:\n  - id: quotes\n    path: quotes.csv\n    id_field: quote_id\n"
                "    text_fields: [note]\n    licence: CC0-1.0\n"
                "    consent: {basis: contract, purposes: [model-training]}\n")
    (tmp_path / "sources.yaml").write_text(manifest)
    args = ("check", "--sources", "sources.yaml", "--policy", str(REPO / "policies/default.yaml"),
            "--no-scan", "--as-of", "2026-01-01")
    refused = privenance(*args, cwd=tmp_path, check=False)
    assert refused.returncode == 2 and "names_not_personal" in refused.stderr
    assert "Mark Price" not in refused.stdout + refused.stderr
    (tmp_path / "sources.yaml").write_text(manifest + "    names_not_personal: [Mark Price]\n")
    let_through = privenance(*args, cwd=tmp_path, check=False)
    assert "looks like" not in let_through.stdout + let_through.stderr, let_through.stderr
    assert let_through.returncode in (0, 1)
