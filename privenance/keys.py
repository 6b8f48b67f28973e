"""Secrets: the pseudonymization key and the certificate signing key.

Read from the environment (hex or base64) or a key file named by the environment,
never from the repository. Without one, a demo key is generated under
``.privenance/`` (git-ignored) with a loud warning, unless PRIVENANCE_REQUIRE_KEYS=1.
A ``Secret`` never shows its value in repr, str, logs or tracebacks.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import sys
from pathlib import Path

from privenance.errors import ConfigError

DEMO_DIR = Path(".privenance")
PSEUDONYM_ENV = "PRIVENANCE_PSEUDONYM_KEY"
SIGNING_ENV = "PRIVENANCE_SIGNING_KEY"


class Secret:
    """Key bytes that refuse to be printed."""

    __slots__ = ("_value", "origin")

    def __init__(self, value: bytes, origin: str):
        self._value, self.origin = value, origin

    def reveal(self) -> bytes:
        return self._value

    def derive(self, purpose: str, length: int = 32) -> bytes:
        """An independent subkey per use (record ids, hashes, surrogates, encryption)."""
        out, block, counter = b"", b"", 1
        while len(out) < length:
            block = hmac.new(self._value, block + purpose.encode() + bytes([counter]),
                             hashlib.sha256).digest()
            out += block
            counter += 1
        return out[:length]

    def __repr__(self) -> str:
        return f"Secret(<hidden>, origin={self.origin!r})"

    __str__ = __repr__

    def __reduce__(self):
        return (Secret, (self._value, self.origin))


def _decode(text: str, where: str) -> bytes:
    text = text.strip()
    for decode in (bytes.fromhex, lambda t: base64.b64decode(t, validate=True)):
        try:
            value = decode(text)
        except (ValueError, binascii.Error):
            continue
        if len(value) >= 32:
            return value
        raise ConfigError("key is too short: need at least 32 bytes", file=where)
    raise ConfigError("key is neither hex nor base64", file=where)


def _from_env(env: str) -> Secret | None:
    if os.environ.get(env):
        return Secret(_decode(os.environ[env], f"${env}"), f"env:{env}")
    file = os.environ.get(env + "_FILE")
    if file:
        try:
            text = Path(file).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError):
            raise ConfigError("cannot read key file", file=f"${env}_FILE") from None
        return Secret(_decode(text, file), f"file:{file}")
    return None


def _demo(name: str, env: str) -> Secret:
    if os.environ.get("PRIVENANCE_REQUIRE_KEYS") == "1":
        raise ConfigError(f"no {name} key: set {env} or {env}_FILE", field=env)
    path = DEMO_DIR / f"demo-{name}.key"
    if not path.exists():
        DEMO_DIR.mkdir(exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(os.urandom(32).hex())
    print(f"WARNING: using a locally generated DEMO {name} key ({path}). "
          f"Set {env} or {env}_FILE for real data.", file=sys.stderr)
    return Secret(bytes.fromhex(path.read_text().strip()), f"demo:{path}")


def pseudonymization_key() -> Secret:
    return _from_env(PSEUDONYM_ENV) or _demo("pseudonym", PSEUDONYM_ENV)


def signing_seed() -> Secret:
    """32-byte Ed25519 private seed."""
    secret = _from_env(SIGNING_ENV) or _demo("signing", SIGNING_ENV)
    return Secret(secret.reveal()[:32], secret.origin)
