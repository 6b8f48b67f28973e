"""Keys never appear in outputs, logs, reports or errors."""
from __future__ import annotations

import base64

import pytest

from tests.helpers import TEST_KEY_HEX, TEST_SIGNING_HEX, passing_validation, privenance

pytestmark = pytest.mark.integration


def encodings(hex_key: str) -> list[bytes]:
    raw = bytes.fromhex(hex_key)
    return [hex_key.encode(), hex_key.upper().encode(), base64.b64encode(raw),
            base64.urlsafe_b64encode(raw), raw]


def test_keys_never_leak_into_files_or_output(workspace_after_run, staged_default):
    workspace = workspace_after_run
    logs = []
    logs.append(staged_default.result)  # privenance run --as-of 2026-11-25
    passing_validation(workspace / "data/staged", workspace / "data/validation",
                       workspace / "policies/default.yaml")
    logs.append(privenance("certify", "--name", "demo", cwd=workspace))
    logs.append(privenance("verify", "data/certified/demo", cwd=workspace))
    logs.append(privenance("report", "--name", "demo", cwd=workspace))
    # a bad key is an error that does not echo the key
    bad = "!!" + TEST_KEY_HEX[2:]  # neither hex nor base64
    logs.append(privenance("run", cwd=workspace, env={"PRIVENANCE_PSEUDONYM_KEY": bad},
                           check=False))
    assert logs[-1].returncode == 2 and "neither hex nor base64" in logs[-1].stderr
    secrets = encodings(TEST_KEY_HEX) + encodings(TEST_SIGNING_HEX) + [bad.encode()]
    produced = [p for p in (workspace / "data").rglob("*") if p.is_file()
                and "raw" not in p.relative_to(workspace / "data").parts[:1]]
    assert len(produced) > 8
    for path in produced:
        content = path.read_bytes()
        for secret in secrets:
            assert secret not in content, f"key material in {path}"
    for result in logs:
        for secret in secrets[:4] + secrets[5:9] + [bad.encode()]:
            assert secret.decode(errors="ignore") not in result.stdout + result.stderr
