"""Shared fixtures: a small demo workspace with generated data, and fixed test keys."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TEST_KEY_HEX = "11" * 32
TEST_SIGNING_HEX = "22" * 32


@pytest.fixture(autouse=True)
def _test_keys(monkeypatch):
    """Tests never touch the developer's demo keys."""
    monkeypatch.setenv("PRIVENANCE_PSEUDONYM_KEY", TEST_KEY_HEX)
    monkeypatch.setenv("PRIVENANCE_SIGNING_KEY", TEST_SIGNING_HEX)


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Path:
    """A project directory with policies and a small demo corpus in data/demo/raw,
    declared by the demo's manifest copied to data/sources.yaml (the CLI's default),
    so `privenance run` with no options reads it."""
    from privenance.demo import generate
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    (tmp_path / "data").mkdir()
    shutil.copy(REPO / "data" / "demo" / "sources.yaml", tmp_path / "data" / "sources.yaml")
    generate(tmp_path / "data" / "demo" / "raw", seed=7, tickets=40, interviews=10, posts=20)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def passing_validation(staged: Path, validation: Path, policy: Path) -> None:
    """A validation summary, bound to the staged run, in which every suite passed: for
    tests of later stages that do not need Great Expectations to run (the real
    validation is tested in tests/integration/test_validation.py)."""
    from expectations.suites import SUITES
    from privenance.policy import load_policy
    from privenance.staged import check_outputs, load_run, run_sha256
    run = load_run(staged / "run.json")
    pol = load_policy(policy)
    validation.mkdir(parents=True, exist_ok=True)
    (validation / "summary.json").write_text(json.dumps({
        "success": True, "run_id": run.run_id, "run_json_sha256": run_sha256(staged / "run.json"),
        "checked_files": check_outputs(run, staged), "policy": {"name": pol.name, "sha256": pol.sha256},
        "suites": {s: {"success": True} for s in SUITES}}))
