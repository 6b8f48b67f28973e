"""The pipeline on Beam's DaskRunner, on a dask.distributed cluster of two worker
processes on loopback: the same records and Parquet bytes as the default runner.
(The upstream bugs it works around: README, "Runners", and benchmarks/dask_constructs.py.)"""
from __future__ import annotations

import json

import pytest

from tests.helpers import REPO, output_hashes, privenance, records

pytestmark = pytest.mark.integration


@pytest.fixture
def cluster(monkeypatch, workspace):
    """A LocalCluster of two single-threaded worker processes on 127.0.0.1, no dashboard.
    The workers inherit the environment: the test key, and this checkout's code."""
    from distributed import LocalCluster
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as local:
        yield local


def test_dask_runner_gives_the_default_runners_records_and_bytes(workspace, cluster):
    tickets = workspace / "data/demo/raw/tickets.jsonl"
    with tickets.open("a") as f:
        f.write('{"ticket_id": "T-broken", "body": \n')  # one more malformed row
    args = ("run", "--policy", "policies/demo.yaml", "--as-of", "2026-11-25")
    privenance(*args, "--out", "data/default", cwd=workspace)
    assert len(cluster.scheduler_info["workers"]) == 2
    from distributed import Client, get_task_stream
    with Client(cluster) as client, get_task_stream(client) as tasks:
        result = privenance(*args, "--out", "data/dask", "--", "--runner=DaskRunner",
                            f"--dask_client_address={cluster.scheduler_address}", cwd=workspace)
    assert len({t["worker"] for t in tasks.data}) == 2  # both worker processes ran tasks
    assert "published to" in result.stderr
    assert "partition size" not in result.stderr  # the runner's noise is not shown
    default, dask = workspace / "data/default", workspace / "data/dask"
    for output in ("dataset", "findings", "quarantine"):
        assert records(str(dask), output) == records(str(default), output), output
    # every Parquet file byte for byte, and run.json but for how it ran
    assert output_hashes(dask) == output_hashes(default)
    run = json.loads((dask / "run.json").read_text())
    assert run["execution"]["runner"] == "DaskRunner"
    for sid, c in run["counts"].items():
        assert c["read"] == c["written"] + c["quarantined"], sid
    assert run["counts"]["support-tickets"]["read"] == 43  # 40 + 3 malformed lines
    assert run["quarantine_reasons"]["MALFORMED"] == 4  # and the picture that is none
    assert run["totals"]["written"] > 0 and run["representation"]["tagged"] > 0
    assert sorted(p.name for p in dask.iterdir()) == [
        "dataset", "findings", "quarantine", "run.json"]
    assert not list(workspace.glob("data/.dask.incoming*"))
