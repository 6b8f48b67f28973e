"""`privenance keys init / init-pseudonym / use` record their key files in the project
setting, so later commands find the keys with no environment variable."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from privenance.cli import _register, app
from privenance.errors import ConfigError
from privenance.keys import (SETTINGS_FILE, pseudonymization_key, seed_public_hex,
                             signing_seed)


@pytest.fixture
def keys(tmp_path, monkeypatch):
    """Runs `privenance keys ...` in a fresh folder with no key in the environment."""
    for env in ("PRIVENANCE_PSEUDONYM_KEY", "PRIVENANCE_SIGNING_KEY",
                "PRIVENANCE_PSEUDONYM_KEY_FILE", "PRIVENANCE_SIGNING_KEY_FILE"):
        monkeypatch.delenv(env, raising=False)
    monkeypatch.chdir(tmp_path)
    _register()
    return lambda *args: CliRunner().invoke(app, ["keys", *args])


def test_keys_init_then_signing_seed_resolves_to_that_key_with_no_environment(keys, tmp_path):
    result = keys("init")
    assert result.exit_code == 0, result.output
    key_file = tmp_path / ".privenance/signing.key"
    seed_hex = key_file.read_text().strip()
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert json.loads(SETTINGS_FILE.read_text()) == {"signing_key_file": ".privenance/signing.key"}
    seed = signing_seed()
    assert seed.reveal().hex() == seed_hex and seed.origin.startswith("setting:")
    assert seed_public_hex(seed) == (tmp_path / "keys/signing.pub").read_text().strip()
    assert seed_hex not in result.output
    assert not (tmp_path / ".privenance/demo-signing.key").exists()


def test_keys_init_pseudonym_creates_and_records_the_key_and_refuses_to_replace_it(keys,
                                                                                   tmp_path):
    target = tmp_path / "secrets/pseudo.key"
    first = keys("init-pseudonym", "--key-file", str(target))
    assert first.exit_code == 0, first.output
    key_hex = target.read_text().strip()
    assert len(bytes.fromhex(key_hex)) == 32 and target.stat().st_mode & 0o777 == 0o600
    assert key_hex not in first.output
    assert json.loads(SETTINGS_FILE.read_text()) == {"pseudonym_key_file": "secrets/pseudo.key"}
    assert pseudonymization_key().reveal().hex() == key_hex
    again = keys("init-pseudonym", "--key-file", str(target))
    assert isinstance(again.exception, ConfigError) and "--force" in str(again.exception)
    assert "subject indexes" in str(again.exception) and target.read_text().strip() == key_hex
    assert keys("init-pseudonym", "--key-file", str(target), "--force").exit_code == 0
    assert target.read_text().strip() != key_hex
    # both init commands share the setting file without overwriting each other's entry
    assert keys("init").exit_code == 0
    assert set(json.loads(SETTINGS_FILE.read_text())) == {"pseudonym_key_file",
                                                          "signing_key_file"}


def test_keys_use_records_the_team_key_and_refuses_another(keys, tmp_path):
    assert keys("init", "--key-file", "team.key").exit_code == 0
    SETTINGS_FILE.unlink()  # a new checkout: keys/signing.pub committed, no setting yet
    (tmp_path / "other.key").write_text("cd" * 32)
    wrong = keys("use", "--signing-key-file", "other.key")
    assert isinstance(wrong.exception, ConfigError)
    assert "does not match" in str(wrong.exception) and "cd" * 32 not in str(wrong.exception)
    assert not SETTINGS_FILE.exists()
    assert keys("use", "--signing-key-file", "team.key").exit_code == 0
    assert signing_seed().reveal().hex() == (tmp_path / "team.key").read_text().strip()


def test_help_of_each_keys_command_shows_an_example(keys):
    for command in ("init", "init-pseudonym", "use"):
        assert f"Example: privenance keys {command}" in keys(command, "--help").output


def test_approve_and_revoke_find_the_approver_key_where_init_approver_writes_it(
        keys, tmp_path, monkeypatch):
    from privenance.keys import approver_seed
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for env in ("PRIVENANCE_APPROVER_KEY", "PRIVENANCE_APPROVER_KEY_FILE"):
        monkeypatch.delenv(env, raising=False)
    with pytest.raises(ConfigError, match="init-approver"):
        approver_seed()
    result = keys("init-approver", "--id", "mary.chan", "--name", "Mary Chan",
                  "--role", "privacy-officer")
    assert result.exit_code == 0, result.output
    assert "sign with it by default" in result.output
    public = result.output.strip().splitlines()[-1].split("public_key: ")[1].rstrip("}")
    assert seed_public_hex(approver_seed()) == public
