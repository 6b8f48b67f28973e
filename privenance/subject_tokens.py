"""Data subjects: keyed subject tokens and the request records that use them.

A subject token is an HMAC of a normalized identifier (an email, an HKID, a phone
number, a name) under a subkey of the pseudonymization key. The pipeline writes one
per identifier it finds (the findings' ``subject`` column), certification keeps them
per certified version in a subject index, and a privacy officer who holds the key
computes the same token from the identifier a data subject gives. No plaintext
index of identifiers exists anywhere, and the requests directory holds tokens only.

Requests live in a small directory tracked as a pipeline input (``data/requests``):

- ``erasures.jsonl``: one line per erasure request: id, date received, tokens, and the
  keyed record ids (``records``) of records named by their source and source key.
- ``withdrawals.jsonl``: one line per consent withdrawal: id, date, consent reference.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from privenance.errors import ConfigError
from privenance.keys import Secret
from privenance.textnorm import CJK

# entity -> the kind of identifier a data subject gives (the CLI option name)
SUBJECT_ENTITIES = {"EMAIL_ADDRESS": "email", "HK_ID": "hkid", "PHONE_NUMBER": "phone",
                    "PERSON": "name"}
ENTITY_OF_KIND = {kind: entity for entity, kind in SUBJECT_ENTITIES.items()}
ERASURES = "erasures.jsonl"
WITHDRAWALS = "withdrawals.jsonl"
# request ids go into quarantine rows, certificates and reports: no room for an
# email address or a name with spaces in them
REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

_TITLES = re.compile(r"^(?:mr|mrs|ms|miss|mx|dr|prof|sir|madam|mdm)\.?\s+", re.IGNORECASE)
_HONORIFICS = re.compile(r"(?:先生|女士|小姐|太太|醫生|教授|客戶)$")


def normalize(entity: str, value: str) -> str | None:
    """The canonical form two spellings of one identifier share, or None when the value
    cannot identify anyone (no letters or digits left). The one notion of "the same
    identifier": subject tokens hash it, and the surrogate operator
    (pipelines/anonymize/operators.py) avoids a fake equal to a detected value by it."""
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if entity == "EMAIL_ADDRESS":
        text = text.casefold()
    elif entity == "HK_ID":
        text = re.sub(r"[^0-9A-Z]", "", text.upper())
    elif entity == "PHONE_NUMBER":
        text = re.sub(r"\D", "", text)
        if len(text) == 11 and text.startswith("852"):
            text = text[3:]  # +852 9123 4567 and 9123 4567 are one number
        elif len(text) == 13 and text.startswith("00852"):
            text = text[5:]
    elif entity == "PERSON":
        text = _HONORIFICS.sub("", _TITLES.sub("", text))
        if CJK.search(text):  # 陳 小玲 and 陳小玲 are one name: no spaces in Chinese names
            return re.sub(r"[\s·・.]+", "", text) or None
        # word order and hyphens vary (Chan Tai Man, Tai-man Chan): compare the words
        text = " ".join(sorted(w for w in re.split(r"[\s,.\-'’]+", text.casefold()) if w))
    else:  # no subject token (an IP, a card number, an address): case, spaces and
        # punctuation aside (4111 1111 1111 1111 and 4111-1111-1111-1111 are one card)
        text = "".join(c for c in text.casefold() if c.isalnum())
    return text or None


class SubjectTokens:
    """Computes subject tokens with a subkey of the pseudonymization key."""

    def __init__(self, key: Secret):
        self._key = key.derive("subject-index")

    def token(self, entity: str, value) -> str | None:
        if entity not in SUBJECT_ENTITIES or value is None:
            return None
        normal = normalize(entity, value)
        if normal is None:
            return None
        return hmac.new(self._key, f"{entity}\x1f{normal}".encode(), hashlib.sha256).hexdigest()[:32]


@dataclass
class Requests:
    """The data-subject requests a run must honour."""

    erasures: list[dict] = field(default_factory=list)
    withdrawals: list[dict] = field(default_factory=list)

    @property
    def erased_tokens(self) -> dict[str, str]:
        """token -> id of the (first) erasure request naming it."""
        out: dict[str, str] = {}
        for request in self.erasures:
            for token in request["tokens"]:
                out.setdefault(token, request["request"])
        return out

    @property
    def erased_records(self) -> dict[str, str]:
        """record id -> id of the (first) erasure request naming the record by its key."""
        out: dict[str, str] = {}
        for request in self.erasures:
            for record in request.get("records") or []:
                out.setdefault(record, request["request"])
        return out

    @property
    def withdrawn_refs(self) -> dict[str, str]:
        """consent reference -> id of the (first) withdrawal naming it."""
        out: dict[str, str] = {}
        for request in self.withdrawals:
            out.setdefault(request["consent_ref"], request["request"])
        return out

    def all(self) -> list[dict]:
        """Every request, without tokens: what certificates and reports show."""
        rows = [{"request": r["request"], "kind": "erasure", "received": r["received"],
                 "identifiers": len(r["tokens"]) + len(r.get("records") or [])}
                for r in self.erasures]
        rows += [{"request": r["request"], "kind": "withdrawal", "received": r["received"],
                  "consent_ref": r["consent_ref"]} for r in self.withdrawals]
        return sorted(rows, key=lambda r: (r["received"], r["request"]))

    def fingerprint(self) -> dict:
        """What changes a run's output (part of the content-addressed run id)."""
        out = {"erased": sorted(self.erased_tokens.items()),
               "withdrawn": sorted(self.withdrawn_refs.items())}
        if self.erased_records:  # absent when none: earlier runs keep their ids
            out["erased_records"] = sorted(self.erased_records.items())
        return out


def _read_jsonl(path: Path, required: tuple[str, ...]) -> list[dict]:
    if not path.exists():
        return []
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise ConfigError("not a JSON object", file=str(path), line=n) from None
        missing = [k for k in required if not isinstance(row, dict) or k not in row]
        if missing:
            raise ConfigError(f"missing {', '.join(missing)}", file=str(path), line=n)
        check_request_id(row["request"], str(path), n)
        rows.append(row)
    return rows


def load_requests(directory: str | Path | None) -> Requests:
    """The requests recorded under ``directory`` (no directory: none)."""
    if not directory:
        return Requests()
    d = Path(directory)
    return Requests(erasures=_read_jsonl(d / ERASURES, ("request", "received", "tokens")),
                    withdrawals=_read_jsonl(d / WITHDRAWALS, ("request", "received", "consent_ref")))


def check_request_id(request: str, file: str | None = None, line: int | None = None) -> None:
    if not isinstance(request, str) or not REQUEST_ID.match(request):
        raise ConfigError("a request id is 1-64 letters, digits, '.', '_' or '-' (for example "
                          "DSR-2026-014); it must not contain the person's details",
                          file=file, line=line, field="request")


def _append(path: Path, row: dict, existing: list[dict]) -> bool:
    """Append unless a request with this id is already recorded; True if written."""
    if any(r["request"] == row["request"] for r in existing):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(row, sort_keys=True) + "\n")
    return True


def record_erasure(directory: Path, request: str, tokens: list[str], received: dt.date,
                   records: list[str] = ()) -> bool:
    """Record an erasure request by its subject tokens and the keyed ids of the records
    named by their source key (never the identifiers or keys)."""
    check_request_id(request)
    row = {"request": request, "received": received.isoformat(), "tokens": sorted(set(tokens))}
    if records:
        row["records"] = sorted(set(records))
    return _append(Path(directory) / ERASURES, row, load_requests(directory).erasures)


def record_withdrawal(directory: Path, request: str, consent_ref: str, received: dt.date) -> bool:
    """Record the withdrawal of the consent given under ``consent_ref``."""
    check_request_id(request)
    row = {"request": request, "received": received.isoformat(), "consent_ref": consent_ref}
    return _append(Path(directory) / WITHDRAWALS, row, load_requests(directory).withdrawals)
