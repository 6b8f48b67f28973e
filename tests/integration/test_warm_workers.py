"""Multi-processing workers forked from the warm parent, and the ways back to
ordinary workers when there is no ready parent."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.warm_workers import FORKED, WarmWorkers, uses_worker_processes
from privenance.keys import Secret
from privenance.policy import load_policy

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("args, expected", [
    (["--direct_num_workers=2", "--direct_running_mode=multi_processing"], True),
    (["--direct_running_mode", "multi_processing"], True),
    (["--direct_running_mode=multi_processing", "--runner=DirectRunner"], True),
    ([], False),
    (["--direct_num_workers=2", "--direct_running_mode=multi_threading"], False),
    (["--direct_running_mode=multi_processing", "--runner=PortableRunner"], False),
])
def test_worker_processes_are_recognised_from_beam_args(args, expected):
    assert uses_worker_processes(args) is expected


def _connect(socket_path: str) -> subprocess.CompletedProcess:
    """Beam's worker command without Beam's environment: as an ordinary worker it
    fails at once for want of a control service address, which shows it got there."""
    env = {k: v for k, v in os.environ.items() if "API_SERVICE" not in k}
    return subprocess.run([sys.executable, "-m", "pipelines.warm_workers", "connect", socket_path],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=120)


def test_without_a_parent_the_client_becomes_an_ordinary_worker(tmp_path):
    result = _connect(str(tmp_path / "nobody.sock"))
    assert result.returncode != 0
    assert "CONTROL_API_SERVICE_DESCRIPTOR" in result.stderr  # sdk_worker_main's own failure


def test_a_parent_that_cannot_load_sends_workers_the_ordinary_way(tmp_path):
    socket_path = str(tmp_path / "parent.sock")
    parent = subprocess.Popen([sys.executable, "-m", "pipelines.warm_workers", "serve", socket_path],
                              stdin=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    parent.stdin.write(b"not a pickle")
    parent.stdin.flush()
    deadline = time.monotonic() + 60
    while not Path(socket_path).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    result = _connect(socket_path)
    assert "CONTROL_API_SERVICE_DESCRIPTOR" in result.stderr
    parent.stdin.close()  # the driver is done: the parent exits on its own
    assert parent.wait(timeout=60) == 0
    assert "warm worker parent not used (UnpicklingError)" in parent.stderr.read().decode()
    assert not (tmp_path / FORKED).exists()


def test_parent_stops_with_the_driver_and_cleans_up():
    policy = load_policy(REPO / "policies/default.yaml")
    with WarmWorkers() as warm:
        warm.load(policy, Secret(b"k" * 32, "test"))
        assert warm.command.endswith("parent.sock")
        directory = warm.directory
    assert warm.process.returncode == 0 and warm.forked == 0
    assert not directory.exists()
    with WarmWorkers(enabled=False) as off:
        assert off.command is None and off.forked == 0
