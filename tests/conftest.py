"""Shared fixtures: a small demo workspace with generated data, fixed test keys, and the
demo pipeline run once per session (staged_default, staged_demo) for the tests that only
read a run's outputs."""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import AS_OF, REPO, TEST_KEY_HEX, TEST_KEYS, TEST_SIGNING_HEX, privenance


@pytest.fixture(autouse=True)
def _test_keys(monkeypatch):
    """Tests never touch the developer's demo keys."""
    monkeypatch.setenv("PRIVENANCE_PSEUDONYM_KEY", TEST_KEY_HEX)
    monkeypatch.setenv("PRIVENANCE_SIGNING_KEY", TEST_SIGNING_HEX)


def demo_workspace(root: Path) -> Path:
    """Policies and a small demo corpus in data/demo/raw, declared by the demo's manifest
    copied to data/sources.yaml (the CLI's default), so `privenance run` with no
    options reads it."""
    from privenance.demo import generate
    shutil.copytree(REPO / "policies", root / "policies")
    (root / "data").mkdir()
    shutil.copy(REPO / "data" / "demo" / "sources.yaml", root / "data" / "sources.yaml")
    generate(root / "data" / "demo" / "raw", seed=7, tickets=40, interviews=10, posts=20)
    return root


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Path:
    """A demo workspace (demo_workspace) in tmp_path, the current directory."""
    demo_workspace(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@dataclass(frozen=True)
class StagedRun:
    """A demo workspace after `privenance run --as-of AS_OF [--policy ...]` with the test
    keys: data/staged holds the outputs. Shared by the whole session, so read-only: a
    test that changes anything works on a copy()."""
    root: Path
    result: subprocess.CompletedProcess  # the run's exit code, stdout and stderr

    @property
    def staged(self) -> Path:
        return self.root / "data" / "staged"

    def copy(self, to: Path) -> Path:
        """The workspace and its outputs copied to ``to``, for a test to change."""
        shutil.copytree(self.root, to, symlinks=True)
        return to


def _staged_run(tmp_path_factory, name: str, *policy: str):
    from tests.helpers import output_hashes
    root = demo_workspace(tmp_path_factory.mktemp(name))
    result = privenance("run", *policy, "--as-of", AS_OF, cwd=root, env=TEST_KEYS)
    run = StagedRun(root, result)
    before = output_hashes(run.staged)
    yield run
    # the session's tests only read it: a test that wrote into it would pass on outputs
    # another test changed
    assert output_hashes(run.staged) == before, f"a test changed the shared run in {root}"


@pytest.fixture(scope="session")
def staged_default(tmp_path_factory):
    """The demo workspace run once under the default policy (no --policy)."""
    yield from _staged_run(tmp_path_factory, "staged-default")


@pytest.fixture(scope="session")
def staged_demo(tmp_path_factory):
    """The demo workspace run once under policies/demo.yaml."""
    yield from _staged_run(tmp_path_factory, "staged-demo", "--policy", "policies/demo.yaml")


@pytest.fixture
def workspace_after_run(staged_default, tmp_path, monkeypatch) -> Path:
    """A `workspace` after `privenance run --as-of 2026-11-25` (the default policy): a
    copy of staged_default for a test to change, in tmp_path/workspace, the current
    directory."""
    root = staged_default.copy(tmp_path / "workspace")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def workspace_after_demo_run(staged_demo, tmp_path, monkeypatch) -> Path:
    """A `workspace` after `privenance run --policy policies/demo.yaml --as-of 2026-11-25`:
    a copy of staged_demo for a test to change, the current directory."""
    root = staged_demo.copy(tmp_path / "workspace")
    monkeypatch.chdir(root)
    return root
