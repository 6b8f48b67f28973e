"""The certificate as an in-toto attestation, so that tools other than privenance can check it.

Beside ``.certificate.json`` every certified version gets ``.certificate.intoto.json``: an
in-toto Statement v1 in a DSSE envelope (https://github.com/secure-systems-lab/dsse),
signed with the same Ed25519 key as the certificate.

- subjects: the certified files, each with its sha256 (as listed in the certificate);
- predicateType: ``PREDICATE_TYPE``, privenance's own;
- predicate: the signed certificate itself, whole.

DSSE signs the pre-authentication encoding (PAE) of the payload type and the payload bytes,
never the parsed JSON, so a verifier needs no canonical form. ``keyid`` is the hex SHA-256
of the 32 raw public-key bytes: a hint for finding the key, never trusted on its own.
"""
from __future__ import annotations

import base64
import hashlib
import json

from privenance.keys import Secret

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
PREDICATE_TYPE = "https://privenance.dev/attestation/certificate/v1"
ATTESTATION_FILE = ".certificate.intoto.json"


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding: what the signature covers."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def keyid(public_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()


def statement(cert: dict) -> dict:
    """The in-toto Statement of a signed certificate: its files are the subjects."""
    files = cert.get("output", {}).get("files", [])
    return {"_type": STATEMENT_TYPE,
            "subject": [{"name": f["path"], "digest": {"sha256": f["sha256"]}} for f in files],
            "predicateType": PREDICATE_TYPE,
            "predicate": cert}


def envelope(cert: dict, seed: Secret) -> dict:
    """A DSSE envelope of the certificate's Statement, signed with ``seed``."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from privenance.keys import seed_public_hex
    payload = json.dumps(statement(cert), sort_keys=True, separators=(",", ":"),
                         ensure_ascii=False).encode()
    signature = Ed25519PrivateKey.from_private_bytes(seed.reveal()[:32]).sign(
        pae(PAYLOAD_TYPE, payload))
    return {"payloadType": PAYLOAD_TYPE,
            "payload": base64.b64encode(payload).decode(),
            "signatures": [{"keyid": keyid(seed_public_hex(seed)),
                            "sig": base64.b64encode(signature).decode()}]}


def open_envelope(env: dict, public_hex: str) -> tuple[dict | None, list[str]]:
    """The certificate inside a DSSE envelope, and what is wrong with the envelope: a
    signature that is not ``public_hex``'s over the payload, another payload type, or a
    Statement that is not of privenance's certificate or whose subjects are not the
    certificate's files. The certificate is None when it cannot be read at all."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    try:
        payload = base64.b64decode(env["payload"], validate=True)
        signatures = [base64.b64decode(s["sig"], validate=True) for s in env["signatures"]]
        payload_type = env["payloadType"]
        stated = json.loads(payload)
    except (KeyError, TypeError, ValueError):
        return None, ["the attestation is not a readable DSSE envelope"]
    problems = []
    if payload_type != PAYLOAD_TYPE:
        problems.append(f"the attestation's payload type is not {PAYLOAD_TYPE}")
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
    for sig in signatures:
        try:
            key.verify(sig, pae(payload_type, payload))
            break
        except InvalidSignature:
            continue
    else:
        problems.append("the attestation's signature does not match its payload and public key")
    if not isinstance(stated, dict) or stated.get("_type") != STATEMENT_TYPE \
            or stated.get("predicateType") != PREDICATE_TYPE \
            or not isinstance(stated.get("predicate"), dict):
        return None, problems + ["the attestation is not an in-toto Statement of a "
                                 "privenance certificate"]
    cert = stated["predicate"]
    if stated.get("subject") != statement(cert)["subject"]:
        problems.append("the attestation's subjects are not the certificate's files")
    return cert, problems
