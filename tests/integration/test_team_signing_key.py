"""After `privenance keys init` and `keys init-pseudonym`, the whole flow uses the project's
keys with no environment variable, and certify refuses any signing key but the team's."""
from __future__ import annotations

import json

import pytest

from tests.helpers import passing_validation, privenance

pytestmark = pytest.mark.integration


def test_the_flow_signs_with_the_project_keys_and_refuses_another(workspace, monkeypatch):
    for env in ("PRIVENANCE_PSEUDONYM_KEY", "PRIVENANCE_SIGNING_KEY"):
        monkeypatch.delenv(env)
    privenance("keys", "init", cwd=workspace)
    privenance("keys", "init-pseudonym", cwd=workspace)
    run = privenance("run", "--as-of", "2026-11-25", cwd=workspace)
    passing_validation(workspace / "data/staged", workspace / "data/validation",
                       workspace / "policies/default.yaml")
    # another signing key in the environment is refused before anything is certified
    other = privenance("certify", "--name", "demo", cwd=workspace, check=False,
                       env={"PRIVENANCE_SIGNING_KEY": "cd" * 32})
    assert other.returncode == 2 and "does not match the team public key" in other.stderr
    assert "$PRIVENANCE_SIGNING_KEY" in other.stderr and "cd" * 32 not in other.stderr
    assert not (workspace / "data/certified/demo").exists()
    certify = privenance("certify", "--name", "demo", cwd=workspace)
    verify = privenance("verify", "data/certified/demo", cwd=workspace)  # trusts keys/signing.pub
    for result in (run, certify, verify):
        assert "DEMO" not in result.stderr
    assert not list((workspace / ".privenance").glob("demo-*"))
    cert = json.loads((workspace / "data/certified/demo/.certificate.json").read_text())
    assert cert["signature"]["public_key"] == (workspace / "keys/signing.pub").read_text().strip()
