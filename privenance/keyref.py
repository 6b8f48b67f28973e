"""Where a key is, not what it is: what the pipeline sends to its workers.

A Beam job graph is serialized and staged (on Dataflow, uploaded with the job), so
no key bytes, nor subkeys derived from them, may sit in a DoFn. A ``KeyRef`` names
where the key is read from (an environment variable, or a key file by absolute path
or filesystem URI, e.g. a secret mounted on every worker) and carries a keyed check
value, so a worker that finds another key there stops instead of writing records
that do not match the run's. DoFns resolve it in ``setup()``.
"""
from __future__ import annotations

import hmac
import os
from dataclasses import dataclass

from privenance.errors import ConfigError
from privenance.keys import Secret, _decode

_CHECK = "key-check"


def _check(secret: Secret) -> str:
    return secret.derive(_CHECK, 8).hex()


@dataclass(frozen=True)
class KeyRef:
    """``kind`` is "env" (``where`` is a variable name) or "file" (a path or URI)."""

    kind: str
    where: str
    check: str

    @classmethod
    def of(cls, secret: Secret) -> "KeyRef":
        """The reference to the place ``secret`` was read from."""
        from privenance import storage
        kind, _, where = secret.origin.partition(":")
        if kind == "env":
            return cls("env", where, _check(secret))
        if kind in ("file", "setting", "demo"):
            return cls("file", storage.absolute(where), _check(secret))
        raise ConfigError(f"a key from {secret.origin!r} cannot be found again by the "
                          "workers: give it by environment variable or key file")

    @classmethod
    def configured(cls) -> "KeyRef":
        """The reference to the project's pseudonymization key, found where
        ``privenance.keys.pseudonymization_key`` looks (environment, key file, project
        setting, demo key)."""
        from privenance.keys import pseudonymization_key
        return cls.of(pseudonymization_key())

    @classmethod
    def env(cls, name: str) -> "KeyRef":
        """The key in environment variable ``name`` (checked against its value here)."""
        return cls.of(_read("env", name))

    def resolve(self) -> Secret:
        """The key, read where this reference points; refused if it is not the one the
        reference was made from."""
        secret = _read(self.kind, self.where)
        if not hmac.compare_digest(_check(secret), self.check):
            raise ConfigError(f"the key at {self.kind}:{self.where} on this worker is not "
                              "the key the run was started with")
        return secret

    def __str__(self) -> str:
        return f"KeyRef({self.kind}:{self.where})"


def _read(kind: str, where: str) -> Secret:
    if kind == "env":
        if not os.environ.get(where):
            raise ConfigError(f"environment variable {where} (the key) is not set on this "
                              "worker", field=where)
        return Secret(_decode(os.environ[where], f"${where}"), f"env:{where}")
    from privenance import storage
    try:
        text = storage.read_bytes(where).decode("ascii")
    except (OSError, UnicodeDecodeError):
        raise ConfigError(f"cannot read key file {where} on this worker") from None
    return Secret(_decode(text, where), f"file:{where}")
