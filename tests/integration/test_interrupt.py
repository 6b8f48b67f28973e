"""Ctrl-C during `privenance run`: one line on stderr, exit 130, nothing published."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest

from tests.helpers import BIN, REPO

pytestmark = pytest.mark.integration


def test_ctrl_c_during_run_stops_with_one_line_and_publishes_nothing(tmp_path):
    from privenance.demo import generate
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    generate(tmp_path / "data/demo/raw", seed=3, tickets=2000, interviews=50, posts=200)
    (tmp_path / "data/sources.yaml").write_text((REPO / "data/demo/sources.yaml").read_text())
    proc = subprocess.Popen([str(BIN / "privenance"), "run", "--policy", "policies/demo.yaml",
                             "--out", "out"], cwd=tmp_path, env=dict(os.environ),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started = proc.stderr.readline()  # the pipeline is being built
    assert started.startswith("run: "), started
    time.sleep(4)  # Beam is running the steps (loading models, anonymizing)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.splitlines() == ["interrupted: nothing was published to " + str(tmp_path / "out")]
    assert "Traceback" not in out + err
    assert not (tmp_path / "out" / "run.json").exists()
    assert not [p for p in (tmp_path / "out").rglob("*") if p.is_file()] \
        if (tmp_path / "out").exists() else True
    assert not [p for p in tmp_path.glob(".out.incoming/**/*") if p.is_file()]
