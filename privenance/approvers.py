"""Who may sign off: the project's approvers, their roles and public keys.

``keys/approvers.yaml`` is committed with the repository and reviewed like code. Each
entry names a person (a stable id and a display name), the roles they may sign in
(the policy's ``approvals.required`` roles, and ``privacy-officer`` for revocations)
and their Ed25519 public key (hex). Their private key stays with them
(``privenance keys init-approver``); an approval or revocation is a record they sign
with it (``signed``), checked against this list (``Approvers.refusal``).
"""
from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from privenance.errors import ConfigError
from privenance.keys import Secret, seed_public_hex, sign_hex, signature_valid
from privenance.yamlfile import load_model, read_yaml

APPROVERS_FILE = Path("keys/approvers.yaml")
PRIVACY_OFFICER = "privacy-officer"
# ids and roles are short names (they appear in certificates and logs); a display
# name is the person's own, printed by verify so a model team sees who signed
ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Approver(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=120)
    roles: list[str] = Field(min_length=1)
    public_key: str = Field(pattern=r"^[0-9a-f]{64}$",
                            description="Ed25519 public key, 64 lower-case hex digits")

    @field_validator("roles")
    @classmethod
    def _role_names(cls, v: list[str]) -> list[str]:
        import re
        bad = [r for r in v if not re.match(ID_PATTERN, r)]
        if bad:
            raise ValueError(f"roles are short names like privacy-officer, not {bad[0]!r}")
        return v


class Approvers(_Strict):
    approvers: list[Approver] = []
    _path: str = PrivateAttr(default=str(APPROVERS_FILE))  # named in refusals

    @model_validator(mode="after")
    def _unique(self):
        # one key, one person: otherwise "distinct people" could not be told apart
        for what in ("id", "public_key"):
            values = [getattr(a, what) for a in self.approvers]
            dup = next((v for v in values if values.count(v) > 1), None)
            if dup is not None:
                raise ValueError(f"two approvers share the {what} {dup[:16]}")
        return self

    def by_key(self, public_key: str) -> Approver | None:
        return next((a for a in self.approvers if a.public_key == public_key), None)

    def refusal(self, record: dict, role: str | None = None) -> str | None:
        """Why a signed record (approval or revocation) is not a valid sign-off in
        ``role`` (default: the role it names), or None when it is."""
        role = role or record.get("role")
        key, signature = record.get("public_key"), record.get("signature")
        if not isinstance(key, str) or not isinstance(signature, str):
            return "it is not signed (an older `privenance approve` made it?)"
        if not signature_valid(key, unsigned(record), signature):
            return "its signature does not match its content"
        listed = self.by_key(key)
        if listed is None:
            return f"it is signed by a key not listed in {self._path}"
        if listed.id != record.get("approver"):
            return f"its key is listed for {listed.id}, not {record.get('approver')}"
        if role not in listed.roles:
            return f"{listed.id} is not listed for the role {role}"
        return None


def unsigned(record: dict) -> dict:
    """What a signature covers: the record without its signature."""
    return {k: v for k, v in record.items() if k != "signature"}


def signed(record: dict, seed: Secret) -> dict:
    """``record`` with the signer's public key and an Ed25519 signature over both."""
    body = {**record, "public_key": seed_public_hex(seed)}
    return {**body, "signature": sign_hex(seed, body)}


def load_approvers(path: Path = APPROVERS_FILE) -> Approvers:
    """The approvers list; errors name the file, line and field."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no approvers list: create it with the lines `privenance keys "
                          f"init-approver` prints", file=str(path))
    data, lines = read_yaml(path)
    approvers = load_model(Approvers, path, data, lines)
    approvers._path = str(path)
    return approvers


def signer(seed: Secret, approvers: Approvers, role: str) -> Approver:
    """The listed approver whose private key ``seed`` is, in ``role``; refuses others."""
    me = approvers.by_key(seed_public_hex(seed))
    if me is None:
        raise ConfigError(f"the approver key ({seed.origin.partition(':')[0]}) is not listed: "
                          f"add the entry `privenance keys init-approver` printed for it",
                          file=approvers._path)
    if role not in me.roles:
        raise ConfigError(f"{me.id} is listed for {', '.join(me.roles)}, not {role}",
                          file=approvers._path, field="--role")
    return me
