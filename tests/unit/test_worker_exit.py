"""SDK worker processes skip Python's finalization once their work is done, and only then."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import atexit, sys
sys.path.insert(0, {repo!r})
import pipelines.beam as B
atexit.register(lambda: print("finalized normally", flush=True))  # runs after ours
atexit.register(B.exit_without_finalizing)
B._work_done = {done}
print("work", flush=True)
{tail}
"""


@pytest.mark.parametrize("done, tail, code, finalized", [
    (True, "", 0, False),                             # work done: straight out
    (False, "", 0, True),                             # never torn down: normal exit
    (True, "raise RuntimeError('after the work')", 1, True),  # an error keeps its exit
])
def test_exit_without_finalizing(done, tail, code, finalized):
    out = subprocess.run([sys.executable, "-c", SCRIPT.format(repo=str(REPO), done=done, tail=tail)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == code, out.stderr[-500:]
    assert out.stdout.startswith("work")
    assert ("finalized normally" in out.stdout) == finalized


def test_only_sdk_worker_processes_are_recognised():
    from pipelines.beam import in_sdk_worker_process
    assert not in_sdk_worker_process()   # pytest's process, like the in-process runner's
