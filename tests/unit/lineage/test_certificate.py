import json
import pickle

import pytest

from lineage.certificate import canonical, public_key_hex, sign
from lineage.verification import verify
from privenance.errors import ConfigError, VerificationFailed
from privenance.keys import Secret, pseudonymization_key


def test_secret_never_shows_its_value():
    s = Secret(b"\xab" * 32, "test")
    assert "ab" * 4 not in repr(s) and "ab" * 4 not in str(s) and "hidden" in repr(s)
    with pytest.raises(TypeError, match="never serialized"):  # Beam pickles what it ships
        pickle.dumps(s)
    assert s.derive("a") != s.derive("b") and len(s.derive("x", 64)) == 64


def test_key_from_env_file_and_errors(tmp_path, monkeypatch):
    monkeypatch.delenv("PRIVENANCE_PSEUDONYM_KEY")
    f = tmp_path / "k"
    f.write_text("33" * 32)
    monkeypatch.setenv("PRIVENANCE_PSEUDONYM_KEY_FILE", str(f))
    assert pseudonymization_key().reveal() == b"\x33" * 32
    f.write_text("abcd")
    with pytest.raises(ConfigError, match="too short") as err:
        pseudonymization_key()
    assert "abcd" not in str(err.value)


def test_missing_key_is_a_clear_error_when_required(monkeypatch, tmp_path):
    monkeypatch.delenv("PRIVENANCE_PSEUDONYM_KEY")
    monkeypatch.setenv("PRIVENANCE_REQUIRE_KEYS", "1")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="PRIVENANCE_PSEUDONYM_KEY"):
        pseudonymization_key()


def test_demo_key_is_generated_once_with_a_warning(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("PRIVENANCE_PSEUDONYM_KEY")
    monkeypatch.chdir(tmp_path)
    a, b = pseudonymization_key(), pseudonymization_key()
    assert a.reveal() == b.reveal()
    assert "DEMO" in capsys.readouterr().err


def test_signed_certificate_verifies_and_forgery_fails(tmp_path):
    seed, other = Secret(b"\x01" * 32, "t"), Secret(b"\x02" * 32, "t")
    (tmp_path / "part.parquet").write_bytes(b"data")
    from privenance.files import file_sha256
    cert = sign({"dataset": "d", "status": "certified",
                 "output": {"files": [{"path": "part.parquet",
                                       "sha256": file_sha256(tmp_path / "part.parquet")}]}}, seed)
    (tmp_path / ".certificate.json").write_text(json.dumps(cert))
    assert verify(tmp_path, public_key_hex(seed)).dataset == "d"
    # a forger re-signs a changed certificate with their own key: refused with the trusted key
    forged = sign({**cert, "status": "certified", "dataset": "e"}, other)
    (tmp_path / ".certificate.json").write_text(json.dumps(forged))
    with pytest.raises(VerificationFailed, match="signature"):
        verify(tmp_path, public_key_hex(seed))
    assert canonical({"b": 1, "a": 2}) == b'{"a":2,"b":1}'
