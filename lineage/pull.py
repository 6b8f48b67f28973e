"""Fetch a certified dataset from a git repository with a DVC remote, then verify it.

Uncertified, tampered or revoked data is refused: nothing is returned or left in
place unless the certificate's signature, its signed approvals and every file hash
check out, and no revocation on the repository's default branch names the version
(lineage/revocations.py): a revocation issued after the revision pulled still counts.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from privenance import storage
from privenance.contracts import Certificate
from privenance.errors import ConfigError, VerificationFailed
from privenance.files import swap_in


def _dvc() -> str:
    # the dvc installed beside this Python, so the venv's dvc is used even off PATH
    candidate = Path(sys.executable).parent / "dvc"
    return str(candidate) if candidate.exists() else "dvc"


def fetch(name: str, repo: str, rev: str | None, dest: Path) -> None:
    """``dvc get`` data/certified/<name> at ``rev`` into ``dest`` (which must not exist)."""
    cmd = [_dvc(), "get", repo, f"data/certified/{name}", "-o", str(dest)]
    if rev:
        cmd += ["--rev", rev]
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "DVC_NO_UPDATE_CHECK": "1"}
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if result.returncode != 0 or not dest.exists():
        last = (result.stderr.strip().splitlines() or ["dvc get failed"])[-1]
        raise ConfigError(f"cannot fetch dataset {name!r} at {rev or 'HEAD'}: {last}", file=repo)


def _head_checkout(repo: str, into: Path) -> Path:
    """The git-tracked files at the repository's default branch head (revocations and
    the approvers list live there); no DVC data is fetched."""
    result = subprocess.run(["git", "clone", "--quiet", "--depth", "1", "--no-tags", repo,
                             str(into)], capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["git clone failed"])[-1]
        # fail closed: without the default branch nobody can tell whether it was revoked
        raise ConfigError(f"cannot read the revocations on the default branch: {last}",
                          file=repo)
    return into


def _head_version(name: str, repo: str) -> str | None:
    """The version of ``name`` certified at the default branch head, if it can be read."""
    from lineage.certificate import CERT_FILE, LEGACY_CERT_FILE
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "DVC_NO_UPDATE_CHECK": "1"}
    with tempfile.TemporaryDirectory(prefix="privenance-head-") as tmp:
        for cert_name in (CERT_FILE, LEGACY_CERT_FILE):
            out = Path(tmp) / cert_name
            subprocess.run([_dvc(), "get", repo, f"data/certified/{name}/{cert_name}", "-o",
                            str(out)], capture_output=True, text=True, env=env)
            try:
                version = Certificate.load(out).version
            except VerificationFailed:  # not there, or not a certificate
                continue
            if version is not None:
                return str(version)
    return None


def _verify_against_head(staged: Path, name: str, repo: str, public_key_hex: str) -> Certificate:
    """Verify a fetched folder, refusing a version the default branch has revoked and a
    certificate of another dataset than ``name`` (a folder swapped for another's)."""
    from lineage.revocations import REVOCATIONS_DIR, Revocations
    from lineage.verification import verify
    from privenance.approvers import APPROVERS_FILE, load_approvers
    with tempfile.TemporaryDirectory(prefix="privenance-head-") as tmp:
        head = _head_checkout(repo, Path(tmp) / "head")
        approvers = (load_approvers(head / APPROVERS_FILE)
                     if (head / APPROVERS_FILE).is_file() else None)
        revocations = Revocations(head / REVOCATIONS_DIR, approvers,
                                  newest=lambda dataset: _head_version(dataset, repo))
        return verify(staged, public_key_hex, revocations=revocations, name=name)


def pull(name: str, repo: str, rev: str | None, to: str | Path,
         public_key_hex: str) -> Certificate:
    """Fetch into ``to/<name>`` and verify; on failure nothing is left at the target.
    ``to`` may be a URI: the dataset is fetched and verified in a local temporary
    folder, then uploaded with its certificate last (replacing what was there). Returns
    the verified certificate (``privenance.contracts.Certificate``)."""
    if storage.is_uri(str(to)):
        storage.exists(storage.join(to, name))  # an unknown filesystem fails before the fetch
        with tempfile.TemporaryDirectory(prefix="privenance-pull-") as tmp:
            cert = pull(name, repo, rev, Path(tmp), public_key_hex)
            storage.replace_folder(Path(tmp) / name, storage.join(to, name))
        return cert
    to = Path(to)
    to.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=to, prefix=".pull-") as tmp:
        staged = Path(tmp) / name
        fetch(name, repo, rev, staged)
        cert = _verify_against_head(staged, name, repo, public_key_hex)
        swap_in(staged, to / name)
    return cert


def load_certified(name: str, repo: str = ".", rev: str | None = None,
                   public_key: str | None = None, trust_demo_key: bool = False):
    """Return a certified dataset as a pyarrow Table, verified against a trusted key
    (``lineage.verification.trusted_key``: never this machine's DEMO key unless
    ``trust_demo_key``).

    >>> import privenance
    >>> table = privenance.load_certified("demo", repo="https://git.example/data.git", rev="v1")
    """
    from lineage.verification import trusted_public_key
    key = trusted_public_key(public_key, trust_demo_key)
    with tempfile.TemporaryDirectory(prefix="privenance-") as tmp:
        staged = Path(tmp) / name
        fetch(name, repo, rev, staged)
        cert = _verify_against_head(staged, name, repo, key)
        files = [staged / f.path for f in cert.output.files]
        if not files:
            raise VerificationFailed(f"{name}: certificate lists no data files")
        table = _concat(files, cert.encryption)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                               b"privenance.version": str(cert.version).encode()})
        shutil.rmtree(staged)
        return table


def _concat(files, encryption: dict | None = None):
    """The files' rows as one table; encrypted columns decrypted with the KMS's key."""
    import pyarrow as pa

    from privenance.encryption import read_table
    tables = [read_table(f, encryption) for f in files]
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables)
