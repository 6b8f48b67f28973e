"""The real Beam pipeline with the real Presidio engines on a small Faker corpus."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.helpers import SOCKET_GUARD, output_hashes, privenance

pytestmark = pytest.mark.integration


def raw_values(workspace: Path, field: str) -> set[str]:
    lines = (workspace / "data/demo/raw/tickets.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines if line.startswith("{") and line.endswith("}")]
    return {r[field] for r in rows if r.get(field)}


def test_run_accounts_for_every_row_and_anonymizes(staged_demo):
    # the session's run: privenance run --policy policies/demo.yaml --as-of 2026-11-25
    workspace, result, out = staged_demo.root, staged_demo.result, staged_demo.staged
    run = json.loads((out / "run.json").read_text())
    for sid, c in run["counts"].items():
        assert c["read"] == c["written"] + c["quarantined"], sid
    assert run["counts"]["support-tickets"]["read"] == 42  # 40 + 2 malformed lines
    reasons = run["quarantine_reasons"]
    for reason in ("MALFORMED", "MISSING_ID", "LICENCE_NOT_ALLOWED", "MISSING_LICENCE",
                   "PURPOSE_NOT_CONSENTED", "RETENTION_EXPIRED"):
        assert reasons.get(reason, 0) > 0, reason
    dataset = pq.read_table(out / "dataset")
    assert dataset.num_rows == run["totals"]["written"]
    assert set(dataset.column("_source").to_pylist()) == {"support-tickets", "forum-posts",
                                                          "photo-archive"}
    # the id field passes through unchanged; minimised columns are gone; no internal fields
    assert set(dataset.column("ticket_id").drop_null().to_pylist()) <= raw_values(workspace, "ticket_id")
    # declared columns and those demo.yaml allows are kept; its dropped internal_notes is not
    assert {c for c in dataset.column_names if not c.startswith("_")} == {
        "ticket_id", "customer_email", "hkid", "body", "product", "amount", "created",
        "post_id", "author_handle", "text", "posted", "image", "image_credentials",
        "image_source_type", "image_metadata_removed", "image_faces_found",
        "image_faces_blurred", "image_faces_kept_by_consent"}
    assert not any(c.startswith("__") for c in dataset.column_names)
    # structured columns with declared entities are transformed, never copied
    emails = set(dataset.column("customer_email").drop_null().to_pylist())
    assert emails and not emails & raw_values(workspace, "customer_email")
    hkids = set(dataset.column("hkid").drop_null().to_pylist())
    assert hkids and not hkids & raw_values(workspace, "hkid")
    # the quarantine points at raw rows without copying them
    quarantine = pq.read_table(out / "quarantine")
    assert quarantine.num_rows == run["totals"]["quarantined"]
    assert set(quarantine.column_names) == {"_source", "_file", "_source_key", "_offset",
                                            "stage", "reason", "message", "request", "_run_id"}
    findings = pq.read_table(out / "findings")
    assert "PERSON" in set(findings.column("entity").to_pylist())
    assert "read" in result.stdout and "quarantined" in result.stdout
    # nothing but the outputs and run.json is left; import noise is not shown
    assert sorted(p.name for p in out.iterdir()) == ["dataset", "findings", "quarantine", "run.json"]
    assert not list(out.parent.glob(".staged.incoming*"))
    assert "apitools" not in result.stderr and "Recognizer not added" not in result.stderr


@pytest.mark.parametrize("beam_args", [
    ["--direct_num_workers=2", "--direct_running_mode=multi_processing"],
    # the portable runner serializes every DoFn, as Dataflow, Flink or Spark would
    ["--runner=PortableRunner", "--job_endpoint=embed"],
], ids=["two-workers", "portable-runner"])
def test_output_bytes_do_not_depend_on_runner_or_workers(workspace_after_run, beam_args):
    workspace = workspace_after_run
    first = output_hashes(workspace / "data/staged")
    result = privenance("run", "--as-of", "2026-11-25", "--", *beam_args, cwd=workspace)
    assert output_hashes(workspace / "data/staged") == first
    # the workers' harness logs (INFO lines, Beam's warnings about its own setup) are not shown
    assert "sdk_worker" not in result.stderr and "semi_persistent" not in result.stderr


def test_other_key_gives_other_ids(workspace_after_run):
    workspace = workspace_after_run
    ids = set(pq.read_table(workspace / "data/staged/dataset").column("_record_id").to_pylist())
    privenance("run", "--as-of", "2026-11-25", cwd=workspace,
               env={"PRIVENANCE_PSEUDONYM_KEY": "44" * 32})
    other = set(pq.read_table(workspace / "data/staged/dataset").column("_record_id").to_pylist())
    assert len(ids) == len(other) and not ids & other


def test_pipeline_runs_with_network_blocked(workspace, tmp_path):
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(SOCKET_GUARD)
    log = tmp_path / "attempts.log"
    env = {"PYTHONPATH": str(guard), "NET_ATTEMPTS_LOG": str(log)}
    privenance("run", "--as-of", "2026-11-25", cwd=workspace, env=env)
    assert (workspace / "data/staged/run.json").exists()
    assert not log.exists(), log.read_text()


def test_config_error_is_one_line_without_traceback(workspace):
    (workspace / "policies/bad.yaml").write_text("extends: default.yaml\nname: bad\nquarantine:\n  max_share: 3\n")
    result = privenance("run", "--policy", "policies/bad.yaml", cwd=workspace, check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "policies/bad.yaml:4: quarantine.max_share:" in result.stderr


def test_too_many_quarantined_fails_the_run(workspace):
    (workspace / "policies/strict.yaml").write_text(
        "extends: default.yaml\nname: strict\nquarantine:\n  max_share: 0.01\n")
    result = privenance("run", "--policy", "policies/strict.yaml", "--as-of", "2026-11-25",
                        cwd=workspace, check=False)
    assert result.returncode == 1 and "quarantined" in result.stderr
