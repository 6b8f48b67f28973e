"""Shared fixtures: a small demo workspace with generated data, and fixed test keys."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.helpers import REPO, TEST_KEY_HEX, TEST_SIGNING_HEX

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


