"""Revocations: a privacy officer's signed statement that a certified version is unfit
(an erasure request it cannot honour, a leak found after certification).

Each is one file, ``revocations/<dataset>/<version>.json``, committed to git (not a
DVC output), signed with a key keys/approvers.yaml lists for ``privacy-officer``. It
names the version and a reason that is a request or incident id (DSR-2026-014),
never personal data. ``pull`` and ``load_certified`` read the revocations and the
approvers list from the repository's default branch head, not from the revision
they pull, so an old revision is refused after a later revocation; ``verify``
reads the working directory's.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Callable

from privenance.approvers import PRIVACY_OFFICER, Approvers, signed, signer
from privenance.errors import ConfigError, VerificationFailed
from privenance.keys import Secret

SCHEMA = "privenance.revocation/1"
REVOCATIONS_DIR = Path("revocations")
# a request or incident id: letters, digits and dashes, no spaces, no @ (never a name
# or an email address, which would put personal data into the repository)
REASON_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)+$")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def revocation_file(root: Path, dataset: str, version: str) -> Path:
    for what, value in (("--name", dataset), ("--version", version)):
        if not NAME_PATTERN.match(value) or len(value) > 100:
            raise ConfigError("must be letters, digits, '.', '_' or '-'", field=what)
    return Path(root) / dataset / f"{version}.json"


def issue(root: Path, dataset: str, version: str, reason: str, seed: Secret,
          approvers: Approvers, superseded_by: str | None = None) -> tuple[Path, dict]:
    """Sign and write the revocation of ``dataset`` ``version``; refuses a reason that is
    not a request id, a signer not listed as privacy officer, and a second revocation."""
    if not REASON_PATTERN.match(reason) or len(reason) > 64:
        raise ConfigError("the reason must be a request or incident id such as DSR-2026-014 "
                          "(letters, digits and dashes; never personal data)", field="--reason")
    path = revocation_file(root, dataset, version)
    if path.exists():
        raise ConfigError(f"{dataset} {version} is already revoked", file=str(path))
    me = signer(seed, approvers, PRIVACY_OFFICER)
    record = signed({"schema": SCHEMA, "dataset": dataset, "version": version,
                     "reason": reason, "approver": me.id, "by": me.name,
                     "role": PRIVACY_OFFICER, "superseded_by": superseded_by,
                     "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")},
                    seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)
    return path, record


class Revocations:
    """The revocations under ``root``, checked against ``approvers``. ``newest`` gives
    the newest certified version of a dataset where it can be seen (the repository's
    default branch), to name what supersedes a revoked version."""

    def __init__(self, root: Path, approvers: Approvers | None,
                 newest: Callable[[str], str | None] | None = None):
        self.root, self.approvers, self.newest = Path(root), approvers, newest

    def read(self, dataset: str, version: str) -> dict | None:
        path = self.root / dataset / f"{version}.json"
        if not path.is_file():
            return None
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = None
        return record if isinstance(record, dict) else {"unreadable": True}

    def _distrust(self, record: dict, dataset: str, version: str) -> str | None:
        """Why a revocation file cannot be trusted, or None."""
        if record.get("unreadable"):
            return "it is not readable JSON"
        if (record.get("schema"), record.get("dataset"), record.get("version")) != (
                SCHEMA, dataset, version):
            return "it names another version"
        if self.approvers is None:
            return "there is no approvers list to check its signature against"
        return self.approvers.refusal(record, PRIVACY_OFFICER)

    def superseding(self, dataset: str, version: str) -> str | None:
        """The newest version of ``dataset`` that is not revoked, if one is known: the
        newest certified one, else the chain of superseded_by the revocations name."""
        candidates, seen = [self.newest(dataset)] if self.newest else [], {version}
        current = self.read(dataset, version)
        while current and current.get("superseded_by") not in seen | {None}:
            seen.add(current["superseded_by"])
            candidates.append(current["superseded_by"])
            current = self.read(dataset, current["superseded_by"])
        return next((c for c in candidates if c and c != version
                     and NAME_PATTERN.match(c) and self.read(dataset, c) is None), None)

    def refuse_if_revoked(self, cert) -> None:
        """VerificationFailed when a revocation names this certificate's version: with
        its reason and signer, and the version to use instead. A revocation that does
        not check out is refused too (fail closed): it must be re-signed or removed."""
        from privenance.contracts import Certificate
        cert = Certificate.of(cert)
        dataset, version = cert.dataset, cert.version
        record = self.read(dataset, version)
        if record is None:
            return
        newer = self.superseding(dataset, version)
        instead = (f"use version {newer} instead" if newer else
                   "no later version that is not revoked is known")
        distrust = self._distrust(record, dataset, version)
        if distrust:
            raise VerificationFailed(
                f"{dataset} {version}: a revocation names this version but cannot be "
                f"trusted ({distrust}), so it is refused until the privacy officer re-signs "
                f"or removes {self.root / dataset / (version + '.json')}; {instead}")
        raise VerificationFailed(
            f"{dataset} {version} is revoked: {record['reason']} (by {record['approver']}, "
            f"{PRIVACY_OFFICER}, {record['at']}); {instead}")
