"""The certificate as an in-toto attestation (lineage/attestation.py): a DSSE envelope that
securesystemslib, an implementation that is not privenance's, verifies; and ``verify``
accepts it alone, and refuses it when its signature, subjects or certificate are off."""
from __future__ import annotations

import base64
import json

import pytest

from lineage.attestation import (ATTESTATION_FILE, PREDICATE_TYPE, envelope, keyid,
                                 open_envelope)
from lineage.certificate import CERT_FILE, public_key_hex, sign
from lineage.verification import verify
from privenance.errors import VerificationFailed
from privenance.files import file_sha256
from privenance.keys import Secret

SEED, OTHER = Secret(b"\x01" * 32, "t"), Secret(b"\x02" * 32, "t")


def _certified(folder):
    (folder / "part-00000-of-00001.parquet").write_bytes(b"rows")
    cert = sign({"dataset": "d", "status": "certified", "output": {"files": [
        {"path": "part-00000-of-00001.parquet",
         "sha256": file_sha256(folder / "part-00000-of-00001.parquet")}]}}, SEED)
    (folder / CERT_FILE).write_text(json.dumps(cert))
    (folder / ATTESTATION_FILE).write_text(json.dumps(envelope(cert, SEED)))
    return cert


def test_securesystemslib_verifies_the_envelope_and_its_subjects(tmp_path):
    from securesystemslib.dsse import Envelope
    from securesystemslib.signer import SSlibKey
    cert = _certified(tmp_path)
    public = public_key_hex(SEED)
    env = Envelope.from_dict(json.loads((tmp_path / ATTESTATION_FILE).read_text()))
    key = SSlibKey(keyid(public), "ed25519", "ed25519", {"public": public})
    assert list(env.verify([key], 1)) == [keyid(public)]
    stated = json.loads(env.payload)
    assert stated["_type"] == "https://in-toto.io/Statement/v1"
    assert stated["predicateType"] == PREDICATE_TYPE and stated["predicate"] == cert
    for subject in stated["subject"]:  # every subject is a certified file, byte for byte
        assert file_sha256(tmp_path / subject["name"]) == subject["digest"]["sha256"]
    wrong = SSlibKey(keyid(public_key_hex(OTHER)), "ed25519", "ed25519",
                     {"public": public_key_hex(OTHER)})
    with pytest.raises(Exception):
        env.verify([wrong], 1)


def test_verify_accepts_the_attestation_alone(tmp_path):
    _certified(tmp_path)
    (tmp_path / CERT_FILE).unlink()
    assert verify(tmp_path, public_key_hex(SEED)).dataset == "d"
    with pytest.raises(VerificationFailed, match="attestation's signature"):
        verify(tmp_path, public_key_hex(OTHER))


def test_a_changed_payload_or_subject_is_refused(tmp_path):
    cert = _certified(tmp_path)
    env = json.loads((tmp_path / ATTESTATION_FILE).read_text())
    stated = json.loads(base64.b64decode(env["payload"]))
    stated["subject"][0]["digest"]["sha256"] = "0" * 64
    forged = {**env, "payload": base64.b64encode(json.dumps(stated).encode()).decode()}
    assert "the attestation's signature does not match its payload and public key" in \
        open_envelope(forged, public_key_hex(SEED))[1]
    # re-signed by the right key but with subjects that are not the certificate's files
    _, problems = open_envelope({**forged}, public_key_hex(SEED))
    assert "the attestation's subjects are not the certificate's files" in problems
    # an attestation of another certificate beside this one
    other = sign({**cert, "dataset": "e"}, SEED)
    (tmp_path / ATTESTATION_FILE).write_text(json.dumps(envelope(other, SEED)))
    with pytest.raises(VerificationFailed, match="differs from .certificate.json"):
        verify(tmp_path, public_key_hex(SEED))
