"""The typed contracts of the files stages share (privenance/contracts.py)."""
from __future__ import annotations

import json

import pytest

from privenance.contracts import Certificate, RunRecord, ValidationSummary
from privenance.errors import RunFailed, VerificationFailed

RUN = {"run_id": "0123456789abcdef", "status": "succeeded", "as_of": "2026-11-25",
       "policy": {"name": "demo", "sector": "general", "sha256": "f" * 64, "path": "p.yaml"},
       "purpose": {"name": "model-training", "commercial": True},
       "totals": {"read": 3, "written": 2, "quarantined": 1},
       "counts": {"t": {"read": 3, "written": 2, "quarantined": 1,
                        "quarantine_reasons": {"MALFORMED": 1}}},
       "sources": [{"id": "t", "path": "raw/t.jsonl", "sha256": "a" * 64, "new_key": [1, 2]}],
       "outputs": {"dataset": [{"path": "dataset/part-0.parquet", "sha256": "b" * 64, "rows": 2}]},
       "engines": {"presidio-analyzer": "2.2.366", "model": {"name": "m", "version": "1"}},
       "a_key_from_a_newer_privenance": {"nested": [None, 1.5, "x"]}}


def _bytes(obj: dict) -> str:
    return json.dumps(obj, indent=2, sort_keys=True) + "\n"


def test_run_record_reads_fields_by_attribute_and_keeps_unknown_keys(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(_bytes(RUN))
    run = RunRecord.load(path)
    assert run.totals.written == 2 and run.counts["t"].quarantine_reasons == {"MALFORMED": 1}
    assert run.policy.sha256 == "f" * 64 and run.purpose.commercial is True
    assert run.outputs["dataset"][0].path == "dataset/part-0.parquet"
    assert run.succeeded and run.source_ids == ["t"]
    # written again, the file's bytes do not change: unknown keys (top and nested) kept,
    # no default added for a field the file lacks
    assert _bytes(run.to_dict()) == path.read_text()
    assert "encryption" not in run.to_dict() and run.encryption is None


def test_a_partial_record_reads_as_empty_values_not_key_errors():
    run = RunRecord.from_dict({"run_id": "x"})
    assert run.totals.read == 0 and run.counts == {} and run.policy.sha256 is None
    assert run.to_dict() == {"run_id": "x"}
    assert RunRecord.of(run) is run


@pytest.mark.parametrize("content, words", [
    (None, "no run record at"),
    ("{not json", "is not a readable run record (not JSON)"),
    ("[" * 100_000 + "]" * 100_000, "is not a readable run record (not JSON)"),  # too deep
    ("[1, 2]", "not a run record (not a JSON object)"),
    ('{"totals": {"read": "many"}}', "not a valid run record: totals.read:"),
    ('{"sources": [{"id": 3}]}', "sources.0.id:"),
])
def test_a_missing_or_malformed_run_record_is_one_line(tmp_path, content, words):
    path = tmp_path / "run.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(RunFailed) as err:
        RunRecord.load(path)
    assert words in str(err.value) and "\n" not in str(err.value)
    assert str(path) in str(err.value)


def test_validation_summary_and_its_suites():
    summary = ValidationSummary.from_dict(
        {"run_id": "r", "policy": {"name": "p", "sha256": "c" * 64}, "rows": 5,
         "checked_files": [{"path": "dataset/a.parquet", "sha256": "d" * 64}],
         "suites": {"licence": {"success": True, "evaluated": 3, "custom": 1},
                    "dpp3_use": {"success": False, "failed_rows": {"x": 2}}}})
    assert summary.suite_success() == {"licence": True, "dpp3_use": False}
    assert summary.suites["dpp3_use"].failed_rows == {"x": 2}
    assert summary.to_dict()["suites"]["licence"] == {"success": True, "evaluated": 3, "custom": 1}


def test_certificate_body_is_everything_but_the_signature_and_schema_keeps_its_name(tmp_path):
    cert = {"schema": "privenance.certificate/1", "dataset": "demo", "status": "certified",
            "output": {"files": [{"path": "a.parquet", "sha256": "e" * 64, "bytes": 9, "rows": 1}],
                       "rows": 1},
            "signature": {"algorithm": "Ed25519", "public_key": "00", "value": "11"}}
    path = tmp_path / ".certificate.json"
    path.write_text(_bytes(cert))
    model = Certificate.load(path)
    assert model.schema_ == "privenance.certificate/1" and model.output.files[0].bytes == 9
    assert model.body() == {k: v for k, v in cert.items() if k != "signature"}
    assert _bytes(model.to_dict()) == path.read_text()


def test_a_malformed_certificate_is_a_verification_failure(tmp_path):
    path = tmp_path / ".certificate.json"
    path.write_text('{"output": {"files": [{"path": "a.parquet"}]}}')
    with pytest.raises(VerificationFailed, match=r"output\.files\.0\.sha256: Field required"):
        Certificate.load(path)


@pytest.mark.parametrize("command", [["report", "--data", "data", "--out", "out"],
                                     ["summary", "--root", "data"]])
def test_a_command_given_a_malformed_run_record_says_so_in_one_line(tmp_path, command):
    """Before the contracts, a run.json that is JSON but not an object was a TypeError
    deep in the report ("internal error")."""
    import subprocess
    import sys
    from pathlib import Path
    (tmp_path / "data/staged").mkdir(parents=True)
    (tmp_path / "data/staged/run.json").write_text("[1, 2]")
    privenance = Path(sys.executable).parent / "privenance"
    out = subprocess.run([str(privenance), *command], cwd=tmp_path, capture_output=True,
                         text=True)
    assert out.returncode == 1, out.stderr
    assert out.stderr.strip().splitlines() == [
        "error: data/staged/run.json: not a run record (not a JSON object)"]
