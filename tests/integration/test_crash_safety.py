"""SIGKILL at random points leaves either no output or a complete one, and the
re-run gives exactly the bytes of an uninterrupted run."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time

import pytest

from tests.helpers import BIN, output_hashes, passing_validation, privenance

pytestmark = pytest.mark.integration


def kill_after(args, cwd, delay):
    proc = subprocess.Popen([str(BIN / "privenance"), *args], cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(delay)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)  # the Beam workers too
    proc.wait()


def assert_complete_or_absent(staged):
    if not staged.exists():
        return
    run = json.loads((staged / "run.json").read_text())
    import pyarrow.parquet as pq
    assert pq.read_table(staged / "dataset").num_rows == run["totals"]["written"]
    assert pq.read_table(staged / "quarantine").num_rows == run["totals"]["quarantined"]


def test_killed_runs_leave_nothing_partial_and_rerun_is_identical(workspace_after_run):
    workspace = workspace_after_run  # after the same run into data/staged
    args = ["run", "--as-of", "2026-11-25", "--out", "data/staged"]
    reference = output_hashes(workspace / "data/staged")
    for seed in (1, 2, 3, 4):
        delay = random.Random(seed).uniform(0.3, 5.0)
        kill_after(args, workspace, delay)
        assert_complete_or_absent(workspace / "data/staged")
        privenance(*args, cwd=workspace)
        assert output_hashes(workspace / "data/staged") == reference, \
            f"seed {seed}, delay {delay:.2f}s"


def test_killed_certification_is_absent_or_verifies(workspace_after_run):
    workspace = workspace_after_run
    passing_validation(workspace / "data/staged", workspace / "data/validation",
                       workspace / "policies/default.yaml")
    for seed in (1, 2, 3, 4, 5):
        delay = random.Random(seed).uniform(0.05, 1.5)
        kill_after(["certify", "--name", "demo"], workspace, delay)
        cert_dir = workspace / "data/certified/demo"
        if cert_dir.exists():
            privenance("verify", str(cert_dir), cwd=workspace)
    privenance("certify", "--name", "demo", cwd=workspace)
    privenance("verify", "data/certified/demo", cwd=workspace)
