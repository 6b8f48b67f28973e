"""The project key setting, the resolution order and the team-key check (privenance/keys.py)."""
from __future__ import annotations

import json
import os

import pytest

from privenance.errors import ConfigError
from privenance.keys import (SETTINGS_FILE, Secret, pseudonymization_key, record_setting,
                             seed_public_hex, signing_seed)

SEED_A, SEED_B = "a1" * 32, "b2" * 32


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A fresh project folder with no key in the environment."""
    for env in ("PRIVENANCE_PSEUDONYM_KEY", "PRIVENANCE_SIGNING_KEY",
                "PRIVENANCE_PSEUDONYM_KEY_FILE", "PRIVENANCE_SIGNING_KEY_FILE",
                "PRIVENANCE_REQUIRE_KEYS"):
        monkeypatch.delenv(env, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def key_file(path, hex_value):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(hex_value + "\n")
    return path


@pytest.mark.parametrize("resolve, env", [(pseudonymization_key, "PRIVENANCE_PSEUDONYM_KEY"),
                                          (signing_seed, "PRIVENANCE_SIGNING_KEY")])
def test_resolution_order_env_then_env_file_then_setting_then_demo(project, monkeypatch, capsys,
                                                                   resolve, env):
    demo = resolve()
    assert demo.origin.startswith("demo:") and "DEMO" in capsys.readouterr().err
    record_setting(env, key_file(project / ".privenance/project.key", "33" * 32))
    assert resolve().reveal()[:32] == b"\x33" * 32 and resolve().origin.startswith("setting:")
    assert "DEMO" not in capsys.readouterr().err
    monkeypatch.setenv(env + "_FILE", str(key_file(project / "file.key", "44" * 32)))
    assert resolve().reveal()[:32] == b"\x44" * 32
    monkeypatch.setenv(env, "55" * 32)
    assert resolve().reveal()[:32] == b"\x55" * 32 and resolve().origin == f"env:{env}"


def test_setting_is_relative_inside_the_project_and_absolute_outside(project, tmp_path_factory):
    record_setting("PRIVENANCE_SIGNING_KEY", key_file(project / "secrets/s.key", SEED_A))
    outside = key_file(tmp_path_factory.mktemp("elsewhere") / "p.key", "66" * 32)
    record_setting("PRIVENANCE_PSEUDONYM_KEY", outside)
    assert json.loads(SETTINGS_FILE.read_text()) == {
        "signing_key_file": os.path.join("secrets", "s.key"),
        "pseudonym_key_file": str(outside.resolve())}
    assert pseudonymization_key().reveal() == b"\x66" * 32


def test_a_setting_naming_a_missing_file_names_the_settings_file(project, capsys):
    record_setting("PRIVENANCE_PSEUDONYM_KEY", project / "gone.key")
    with pytest.raises(ConfigError) as err:
        pseudonymization_key()
    assert str(SETTINGS_FILE) in str(err.value) and "pseudonym_key_file" in str(err.value)
    assert not (project / ".privenance/demo-pseudonym.key").exists()  # no silent demo fallback


def test_a_bad_key_in_the_setting_is_named_without_its_bytes(project):
    record_setting("PRIVENANCE_PSEUDONYM_KEY", key_file(project / "short.key", "c7d8" * 4))
    with pytest.raises(ConfigError, match="too short") as err:
        pseudonymization_key()
    assert str(SETTINGS_FILE) in str(err.value) and "c7d8" not in str(err.value)
    SETTINGS_FILE.write_text("{not json")
    with pytest.raises(ConfigError, match="not JSON") as err:
        pseudonymization_key()
    assert err.value.file == str(SETTINGS_FILE)


def test_require_keys_still_refuses_the_demo_fallback(project, monkeypatch):
    monkeypatch.setenv("PRIVENANCE_REQUIRE_KEYS", "1")
    with pytest.raises(ConfigError, match="keys init"):
        signing_seed()
    record_setting("PRIVENANCE_SIGNING_KEY", key_file(project / "s.key", SEED_A))
    assert signing_seed().reveal() == bytes.fromhex(SEED_A)


def team_key(project, seed_hex):
    (project / "keys").mkdir(exist_ok=True)
    (project / "keys/signing.pub").write_text(seed_public_hex(Secret(bytes.fromhex(seed_hex),
                                                                     "t")) + "\n")


def test_with_a_team_key_the_demo_key_is_refused(project):
    team_key(project, SEED_A)
    with pytest.raises(ConfigError, match="DEMO key cannot match") as err:
        signing_seed()
    message = str(err.value)
    assert "keys/signing.pub" in message and "PRIVENANCE_SIGNING_KEY_FILE" in message
    assert "keys use" in message
    assert not (project / ".privenance/demo-signing.key").exists()  # none generated


@pytest.mark.parametrize("where", ["env", "env_file", "setting"])
def test_with_a_team_key_a_mismatching_key_is_refused_naming_where_it_came_from(
        project, monkeypatch, where):
    team_key(project, SEED_A)
    other = key_file(project / "other.key", SEED_B)
    if where == "env":
        monkeypatch.setenv("PRIVENANCE_SIGNING_KEY", SEED_B)
    elif where == "env_file":
        monkeypatch.setenv("PRIVENANCE_SIGNING_KEY_FILE", str(other))
    else:
        record_setting("PRIVENANCE_SIGNING_KEY", other)
    with pytest.raises(ConfigError, match="does not match the team public key") as err:
        signing_seed()
    message = str(err.value)
    expected = {"env": "$PRIVENANCE_SIGNING_KEY", "env_file": f"_FILE ({other})",
                "setting": f"project setting {SETTINGS_FILE} (other.key)"}[where]
    assert expected in message and "keys/signing.pub" in message
    assert SEED_B not in message and SEED_A not in message


def test_with_a_team_key_the_matching_key_is_accepted(project, monkeypatch):
    team_key(project, SEED_A)
    record_setting("PRIVENANCE_SIGNING_KEY", key_file(project / "team.key", SEED_A))
    assert signing_seed().reveal() == bytes.fromhex(SEED_A)
    monkeypatch.setenv("PRIVENANCE_SIGNING_KEY", SEED_A)
    assert signing_seed().reveal() == bytes.fromhex(SEED_A)


def test_a_malformed_team_key_is_a_config_error(project):
    (project / "keys").mkdir()
    (project / "keys/signing.pub").write_text("not a key\n")
    with pytest.raises(ConfigError, match="hex Ed25519 public key"):
        signing_seed()


def test_trusted_public_key_reads_the_team_key_without_resolving_a_signing_key(project):
    from lineage.verification import trusted_public_key
    team_key(project, SEED_A)
    # no signing key anywhere: signing_seed() would refuse, yet verification still works
    assert trusted_public_key() == (project / "keys/signing.pub").read_text().strip()
