"""Verify a certified dataset: which public key to trust, and every check a model team
relies on: the signature of the certificate (or of its in-toto attestation), every file's
hash, no file missing or extra in the folder's tree, the documents it lists, the signed
approvals and review, the policy hash, and that no revocation names the version.

The certificate is read through its type (``privenance.contracts.Certificate``); its
signature is checked over the JSON object exactly as it was read.
"""
from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

from lineage.attestation import ATTESTATION_FILE
from lineage.certificate import CERT_FILE, certificate_path
from privenance.approvers import Approvers, unsigned
from privenance.contracts import Certificate
from privenance.errors import ConfigError, VerificationFailed
from privenance.files import file_sha256
from privenance.keys import signature_valid
from privenance.policy import Policy
from privenance.staged import dataset_sha256


def certified_binding(cert: Certificate | dict) -> dict:
    """What an approval of the certified run must be bound to, from the certificate
    (``privenance.staged.binding`` of the run it certified)."""
    cert = Certificate.of(cert)
    files = [{"path": f"dataset/{f.path}", "sha256": f.sha256} for f in cert.output.files]
    return {"run_id": cert.run_id,
            "dataset_sha256": dataset_sha256({"outputs": {"dataset": files}}),
            "policy_sha256": cert.policy.sha256, "code": cert.code, "engines": cert.engines}


def approval_problems(cert: Certificate | dict, approvers: Approvers | None = None) -> list[str]:
    """What is wrong with a certificate's signed approvals: a bad signature, an approval
    of other content, a required role not covered, one person in two roles when the
    policy did not allow it, and (with ``approvers``) a key not listed for its role.
    Certificates from before signed approvals carry no ``approvals_required``: the
    team's signature is all there is to check for them."""
    cert = Certificate.of(cert)
    required = cert.approvals_required
    if required is None:
        return []
    problems, bound = [], certified_binding(cert)
    approvals = cert.approvals
    for a in approvals:
        who = f"approval by {a.get('approver')} as {a.get('role')}"
        if approvers is not None:
            why = approvers.refusal(a)
        elif not signature_valid(str(a.get("public_key")), unsigned(a), str(a.get("signature"))):
            why = "its signature does not match its content"
        else:
            why = None
        if why:
            problems.append(f"{who}: {why}")
        elif a.get("binding") != bound:
            problems.append(f"{who}: it is of another run or content")
    roles = {a.get("role") for a in approvals}
    problems += [f"no approval for the required role {r}" for r in required.get("roles", [])
                 if r not in roles]
    people = [a.get("approver") for a in approvals]
    if not required.get("allow_same_person") and len(set(people)) < len(people):
        problems.append("one approver signed in two roles, which the policy does not allow")
    return problems


def signing_facts(cert: Certificate | None) -> dict | None:
    """Which key signed the certificate: its fingerprint, and whether it is the team's
    key (keys/signing.pub), this machine's DEMO key, or another one."""
    from privenance.keys import TEAM_PUBLIC_KEY, demo_public_key, fingerprint, team_public_key
    public = cert.signature.public_key if cert and cert.signature else None
    if not public:
        return None
    try:
        shown = fingerprint(public)
    except ValueError:
        return {"fingerprint": None, "kind": "unreadable", "public_key": public}
    team = team_public_key()
    if team is not None:
        kind = "team" if public == team else "not-team"
    else:
        kind = "demo" if public == demo_public_key() else "no-team-key"
    return {"fingerprint": shown, "kind": kind, "public_key": public,
            "team_key_file": str(TEAM_PUBLIC_KEY),
            "team_fingerprint": fingerprint(team) if team else None}


DEMO_KEY_FLAG = "--trust-demo-key"


def _public_key_text(value: str, where: str) -> str:
    """A hex Ed25519 public key, or a one-line ConfigError naming where it came from."""
    text = value.strip().lower()
    try:
        if len(bytes.fromhex(text)) == 32:
            return text
    except ValueError:
        pass
    raise ConfigError(f"not a hex Ed25519 public key (64 hex digits): {where}")


def trusted_key(explicit: str | None = None, trust_demo: bool = False) -> tuple[str, str]:
    """(hex public key to verify with, where it came from in words): ``explicit`` (hex or
    a file of hex), else $PRIVENANCE_SIGNING_PUBLIC_KEY, else keys/signing.pub, else the
    public half of the signing key this machine is configured with (environment or
    project setting). Never the key inside the certificate: a forger would put their
    own there. Never silently the DEMO key: without any of these it is refused, unless
    ``trust_demo`` (the ``--trust-demo-key`` flag), which warns loudly."""
    from privenance.keys import (TEAM_PUBLIC_KEY, configured_signing_public_key,
                                 demo_key_path, demo_public_key)
    if explicit:
        if Path(explicit).is_file():
            return _public_key_text(Path(explicit).read_text(), explicit), f"the file {explicit}"
        return _public_key_text(explicit, "--public-key (nor is it a file)"), "--public-key"
    env = os.environ.get("PRIVENANCE_SIGNING_PUBLIC_KEY")
    if env:
        return _public_key_text(env, "$PRIVENANCE_SIGNING_PUBLIC_KEY"), "$PRIVENANCE_SIGNING_PUBLIC_KEY"
    if TEAM_PUBLIC_KEY.is_file():
        return _public_key_text(TEAM_PUBLIC_KEY.read_text(), str(TEAM_PUBLIC_KEY)), str(TEAM_PUBLIC_KEY)
    configured = configured_signing_public_key()
    if configured is not None:
        return configured[0], f"this machine's signing key ({configured[1]})"
    if not trust_demo:
        raise ConfigError(f"no trusted public key: pass --public-key, set "
                          f"PRIVENANCE_SIGNING_PUBLIC_KEY or commit {TEAM_PUBLIC_KEY} "
                          f"({DEMO_KEY_FLAG} trusts this machine's DEMO key, for the demo only)")
    demo = demo_public_key()
    if demo is None:
        raise ConfigError(f"{DEMO_KEY_FLAG}: this machine has no DEMO signing key "
                          f"({demo_key_path('signing')})")
    print(f"WARNING: trusting this machine's DEMO signing key ({demo_key_path('signing')}), "
          f"as {DEMO_KEY_FLAG} asked: anyone who can read that file can sign certificates "
          "it accepts. Never use it for real data.", file=sys.stderr)
    return demo, f"the local DEMO key ({demo_key_path('signing')})"


def trusted_public_key(explicit: str | None = None, trust_demo: bool = False) -> str:
    """The hex public key of ``trusted_key``."""
    return trusted_key(explicit, trust_demo)[0]


def trust_line(public_hex: str, where: str) -> str:
    """What a command says about the key it verified with."""
    from privenance.keys import fingerprint
    return f"trusted key {fingerprint(public_hex)} from {where}"


def _tree(path: Path, own: set[str]) -> tuple[set[str], list[str]]:
    """Every regular file under ``path`` (relative, POSIX, hidden ones and every
    subfolder included) except the certificate's ``own`` files, and the problems: anything that
    is not a regular file or a folder (a symbolic link, a FIFO, a socket, a device),
    which a certificate never covers and a reader might follow."""
    files, problems = set(), []
    pending = [path]
    while pending:
        folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:  # unreadable: what it holds cannot be checked
            problems.append(f"{folder.relative_to(path).as_posix()} cannot be read "
                            f"({type(exc).__name__})")
            continue
        for entry in entries:
            full = Path(entry.path)
            rel = full.relative_to(path).as_posix()
            mode = entry.stat(follow_symlinks=False).st_mode
            if stat.S_ISDIR(mode):
                pending.append(full)
            elif not stat.S_ISREG(mode):
                kind = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
                problems.append(f"{rel} is {kind}")
            elif rel not in own:
                files.add(rel)
    return files, sorted(problems)


def _signed_certificate(path: Path, public_key_hex: str) -> tuple[Certificate, list[str]]:
    """The certificate of a certified folder, from ``.certificate.json`` or from its in-toto
    attestation (either form is enough), and what is wrong with its signatures. When both
    are there, both are checked and must hold the same certificate."""
    from lineage.attestation import open_envelope
    cert_path, attestation = certificate_path(path), path / ATTESTATION_FILE
    if not os.path.lexists(cert_path) and not os.path.lexists(attestation):
        raise VerificationFailed(f"{path}: no {CERT_FILE} nor {ATTESTATION_FILE}: "
                                 "not a certified dataset")
    for own in (cert_path, attestation):
        if os.path.lexists(own) and not stat.S_ISREG(os.lstat(own).st_mode):
            raise VerificationFailed(f"{own}: the certificate is not a regular file")
    problems, stated = [], None
    if attestation.exists():
        try:
            stated, problems = open_envelope(json.loads(attestation.read_text(encoding="utf-8")),
                                             public_key_hex)
        except ValueError:
            problems = ["the attestation is not readable JSON"]
    try:
        cert = (json.loads(cert_path.read_text(encoding="utf-8")) if cert_path.exists()
                else stated)
        signature = cert["signature"]
        body = {k: v for k, v in cert.items() if k != "signature"}
        signed_ok = signature_valid(public_key_hex, body, signature["value"])
    except (ValueError, KeyError, TypeError):
        raise VerificationFailed(f"{path}: certificate is not readable JSON with a signature") from None
    if not signed_ok:
        problems.append("signature does not match the certificate and public key")
    if stated is not None and stated != cert:
        problems.append(f"the attestation's certificate differs from {cert_path.name}")
    return Certificate.from_dict(cert, str(cert_path)), problems


def _hash_problems(path: Path, listed: dict[str, str], present: set[str],
                   missing: str) -> list[str]:
    """Each listed file (relative path -> sha256) that is not present, or whose hash differs."""
    return [f"{missing}: {rel}" if rel not in present else f"hash mismatch: {rel}"
            for rel, digest in sorted(listed.items())
            if rel not in present or file_sha256(path / rel) != digest]


def verify(path: Path, public_key_hex: str, policy: Policy | None = None,
           approvers: Approvers | None = None, revocations=None,
           name: str | None = None) -> Certificate:
    """Check every file hash, that no file is missing or extra anywhere in the folder's
    tree (hidden files and subfolders too; symbolic links, FIFOs and other non-regular
    files are refused), the signature of the certificate or of its in-toto attestation
    (both when both are there), the documents it lists by hash (the SPDX document),
    (if given) that the certificate is of the dataset ``name``, the signed approvals
    (against ``approvers`` when given), (if given) the policy hash, and last that no
    revocation (lineage/revocations.py) names this version. Raises VerificationFailed
    listing every mismatch, or saying why the version is revoked."""
    if not path.is_dir():
        raise VerificationFailed(f"{path}: not a folder: not a certified dataset")
    cert, problems = _signed_certificate(path, public_key_hex)
    if name is not None and cert.dataset != name:
        problems.append(f"the certificate is of dataset {cert.dataset!r}, not {name!r}")
    present, odd = _tree(path, {certificate_path(path).name, ATTESTATION_FILE})
    problems += odd
    documents = {d.path: d.sha256 for d in cert.documents}  # SPDX, by hash
    problems += _hash_problems(path, documents, present, "missing document")
    present -= set(documents)
    listed = {f.path: f.sha256 for f in cert.output.files}
    problems += [f"missing file: {missing}" for missing in sorted(set(listed) - present)]
    problems += [f"file not in the certificate: {extra}" for extra in sorted(present - set(listed))]
    problems += _hash_problems(path, {p: d for p, d in listed.items() if p in present}, present,
                               "missing file")
    problems += approval_problems(cert, approvers)
    from lineage.review import review_problems
    problems += review_problems(cert, approvers)
    if policy is not None and cert.policy.sha256 != policy.sha256:
        problems.append("policy hash differs from the given policy")
    if cert.status != "certified":
        problems.append(f"status is {cert.status!r}, not 'certified'")
    if problems:
        raise VerificationFailed(f"{path}: " + "; ".join(problems))
    if revocations is not None:
        revocations.refuse_if_revoked(cert)
    return cert
