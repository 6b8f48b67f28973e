"""Secrets: the pseudonymization key and the certificate signing key.

Each key is found, in order, in the environment (hex or base64), in a key file the
environment names ($..._FILE), in the project key setting (``.privenance/keys.json``,
git-ignored, written by ``privenance keys init`` / ``init-pseudonym`` / ``use``), and
last as a demo key generated under ``.privenance/`` with a loud warning, unless
PRIVENANCE_REQUIRE_KEYS=1. Never from the repository.

Fail closed on signing: when the project has a team public key (keys/signing.pub),
the signing seed must be its private half; the demo key or any other key is refused,
so no certificate is signed that the team's key would not verify.

A ``Secret`` never shows its value in repr, str, logs or tracebacks.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import sys
from pathlib import Path

from privenance.errors import ConfigError

DEMO_DIR = Path(".privenance")
SETTINGS_FILE = DEMO_DIR / "keys.json"
TEAM_PUBLIC_KEY = Path("keys/signing.pub")
PSEUDONYM_ENV = "PRIVENANCE_PSEUDONYM_KEY"
SIGNING_ENV = "PRIVENANCE_SIGNING_KEY"
# an approver's or privacy officer's own key (privenance approve / revoke): never a demo key
APPROVER_ENV = "PRIVENANCE_APPROVER_KEY"
# where `privenance keys init-approver` writes it, and where approve and revoke look last
DEFAULT_APPROVER_KEY = Path("~/.privenance/approver.key")
# the project setting that names each key's file, and the command that writes it
SETTING_FOR = {PSEUDONYM_ENV: "pseudonym_key_file", SIGNING_ENV: "signing_key_file"}
INIT_COMMAND = {PSEUDONYM_ENV: "privenance keys init-pseudonym",
                SIGNING_ENV: "privenance keys init"}


class Secret:
    """Key bytes that refuse to be printed."""

    __slots__ = ("_value", "origin")

    def __init__(self, value: bytes, origin: str):
        self._value, self.origin = value, origin

    def reveal(self) -> bytes:
        return self._value

    def resolve(self) -> "Secret":
        """Itself (a KeyRef resolves to a Secret; code taking either calls this)."""
        return self

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
        # pickling is how Beam ships DoFns: key bytes would land in the job graph
        raise TypeError("a Secret is never serialized: give workers a "
                        "privenance.keyref.KeyRef, which they resolve in setup()")


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


# --- the project key setting (.privenance/keys.json) ---------------------------------

def read_settings() -> dict:
    """The project key setting, or {} when there is none."""
    if not SETTINGS_FILE.is_file():
        return {}
    try:
        settings = json.loads(SETTINGS_FILE.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise ConfigError("cannot read the project key setting (not JSON?)",
                          file=str(SETTINGS_FILE)) from None
    if not isinstance(settings, dict):
        raise ConfigError("the project key setting must be a JSON object",
                          file=str(SETTINGS_FILE))
    return settings


def setting_path(path: Path) -> str:
    """How a key file is recorded: relative to the project root (the working directory)
    when it is inside the project, so a moved checkout keeps working; absolute otherwise."""
    path = path.expanduser().resolve()
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def record_setting(env: str, key_file: Path) -> Path:
    """Remember ``key_file`` as the project's key for ``env``; returns the settings file."""
    settings = {**read_settings(), SETTING_FOR[env]: setting_path(key_file)}
    SETTINGS_FILE.parent.mkdir(parents=True, exist_ok=True)
    # paths only, no key bytes; written whole and moved into place so a reader never
    # sees half a file
    tmp = SETTINGS_FILE.with_name(SETTINGS_FILE.name + ".tmp")
    tmp.write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, SETTINGS_FILE)
    return SETTINGS_FILE


def read_key_file(path: Path, where: str, field: str | None = None) -> bytes:
    """Key bytes from a file of hex or base64; errors name ``where``, never the bytes."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        hint = "" if field is None else "; fix it with `privenance keys use`"
        raise ConfigError(f"cannot read key file {path} (missing, unreadable or not text)"
                          f"{hint}", file=where, field=field) from None
    return _decode(text, where if field is None else f"{where}: {field} ({path})")


def _from_setting(env: str) -> Secret | None:
    field = SETTING_FOR[env]
    value = read_settings().get(field)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError("must be the path of a key file", file=str(SETTINGS_FILE), field=field)
    path = Path(value).expanduser()
    return Secret(read_key_file(path, str(SETTINGS_FILE), field), f"setting:{path}")


def demo_key_path(name: str) -> Path:
    """Where this machine's DEMO key of ``name`` (pseudonym, signing) is generated."""
    return DEMO_DIR / f"demo-{name}.key"


def _demo(name: str, env: str) -> Secret:
    if os.environ.get("PRIVENANCE_REQUIRE_KEYS") == "1":
        raise ConfigError(f"no {name} key: set {env} or {env}_FILE, or run "
                          f"`{INIT_COMMAND[env]}`", field=env)
    path = demo_key_path(name)
    if not path.exists():
        DEMO_DIR.mkdir(exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(os.urandom(32).hex())
    print(f"WARNING: using a locally generated DEMO {name} key ({path}). "
          f"Set {env} or {env}_FILE, or run `{INIT_COMMAND[env]}`, for real data.",
          file=sys.stderr)
    return Secret(bytes.fromhex(path.read_text().strip()), f"demo:{path}")


def _configured(env: str) -> Secret | None:
    """The key the environment or the project setting names, in that order."""
    return _from_env(env) or _from_setting(env)


def pseudonymization_key() -> Secret:
    return _configured(PSEUDONYM_ENV) or _demo("pseudonym", PSEUDONYM_ENV)


# --- Ed25519 signatures over canonical JSON --------------------------------------------

def canonical(obj) -> bytes:
    """The bytes a signature covers: sorted keys, no spaces, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign_hex(seed: Secret, obj) -> str:
    """Ed25519 signature (hex) of ``canonical(obj)``."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    return Ed25519PrivateKey.from_private_bytes(seed.reveal()[:32]).sign(canonical(obj)).hex()


def signature_valid(public_hex: str, obj, signature_hex: str) -> bool:
    """Whether ``signature_hex`` is the signature of ``canonical(obj)`` by ``public_hex``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(
            bytes.fromhex(signature_hex), canonical(obj))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def approver_seed(key_file: Path | None = None) -> Secret:
    """An approver's own private key: ``key_file``, else $PRIVENANCE_APPROVER_KEY, else
    the file $PRIVENANCE_APPROVER_KEY_FILE names, else ~/.privenance/approver.key (where
    `privenance keys init-approver` writes it). Never a demo key: a sign-off is a
    person's, so without their key there is none."""
    secret = None
    if key_file is not None:
        key_file = Path(key_file).expanduser()
        secret = Secret(read_key_file(key_file, str(key_file)), f"path:{key_file}")
    else:
        secret = _from_env(APPROVER_ENV)
    default = DEFAULT_APPROVER_KEY.expanduser()
    if secret is None and default.is_file():
        secret = Secret(read_key_file(default, str(DEFAULT_APPROVER_KEY)),
                        f"path:{DEFAULT_APPROVER_KEY}")
    if secret is None:
        raise ConfigError(f"no approver key: pass --key-file, set {APPROVER_ENV} or "
                          f"{APPROVER_ENV}_FILE, or create {DEFAULT_APPROVER_KEY} with "
                          f"`privenance keys init-approver`", field=APPROVER_ENV)
    return Secret(secret.reveal()[:32], secret.origin)


# --- signing, checked against the team public key -------------------------------------

def seed_public_hex(seed: Secret) -> str:
    """The hex Ed25519 public key of a signing seed."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    return Ed25519PrivateKey.from_private_bytes(seed.reveal()[:32]).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def fingerprint(public_hex: str) -> str:
    """A short name of an Ed25519 public key to compare by eye or read out on the
    phone: SHA-256 of its 32 bytes, the first 16 in groups of four hex digits."""
    digest = hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:32]
    return "SHA256:" + " ".join(digest[i:i + 4] for i in range(0, 32, 4))


def demo_public_key() -> str | None:
    """The hex public key of this machine's DEMO signing key, if one was generated
    (never generates one)."""
    path = demo_key_path("signing")
    try:
        return seed_public_hex(Secret(bytes.fromhex(path.read_text().strip())[:32], "demo"))
    except (OSError, ValueError):
        return None


def configured_signing_public_key() -> tuple[str, str] | None:
    """(hex public key, where it came from in words) of the signing key the environment
    or the project setting names; None when neither does (never a demo key)."""
    secret = _configured(SIGNING_ENV)
    if secret is None:
        return None
    return seed_public_hex(Secret(secret.reveal()[:32], secret.origin)), _describe(secret.origin)


def team_public_key() -> str | None:
    """The project's team public key (hex, from keys/signing.pub), or None without one."""
    if not TEAM_PUBLIC_KEY.is_file():
        return None
    try:
        text = TEAM_PUBLIC_KEY.read_text(encoding="ascii").strip().lower()
        if len(bytes.fromhex(text)) == 32:
            return text
    except (OSError, UnicodeDecodeError, ValueError):
        pass
    raise ConfigError("not a hex Ed25519 public key (64 hex digits)", file=str(TEAM_PUBLIC_KEY))


def _describe(origin: str) -> str:
    """Where a signing key came from, in words (never its bytes)."""
    kind, _, where = origin.partition(":")
    return {"env": f"${where}",
            "file": f"${SIGNING_ENV}_FILE ({where})",
            "path": f"the key file {where}",
            "setting": f"the project setting {SETTINGS_FILE} ({where})",
            "demo": f"the local DEMO key ({where})"}.get(kind, origin)


_FIX = (f"Point ${SIGNING_ENV}_FILE, or the project setting (`privenance keys use "
        f"--signing-key-file PATH`), at the team's private key file; ${SIGNING_ENV} and then "
        f"${SIGNING_ENV}_FILE take precedence over the setting")


def check_team_key(seed: Secret) -> None:
    """Refuse a signing seed that is not the private half of keys/signing.pub."""
    team = team_public_key()
    if team is None or seed_public_hex(seed) == team:
        return
    raise ConfigError(
        f"the signing key from {_describe(seed.origin)} does not match the team public "
        f"key {TEAM_PUBLIC_KEY}, so certificates it signs would not verify. {_FIX}",
        file=str(TEAM_PUBLIC_KEY))


def signing_seed() -> Secret:
    """32-byte Ed25519 private seed; with keys/signing.pub present, only its private half."""
    secret = _configured(SIGNING_ENV)
    if secret is None and team_public_key() is not None:
        # a team key exists: a demo key can never be right, so do not generate one
        raise ConfigError(
            f"no signing key is set and the DEMO key cannot match the team public key "
            f"{TEAM_PUBLIC_KEY}. {_FIX}", file=str(TEAM_PUBLIC_KEY))
    secret = secret or _demo("signing", SIGNING_ENV)
    seed = Secret(secret.reveal()[:32], secret.origin)
    check_team_key(seed)
    return seed
