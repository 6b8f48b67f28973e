"""The tagging steps every record goes through first: its declared columns, its
provenance, its language and its representation groups."""
from __future__ import annotations

import datetime as dt
import json

from pipelines.record import FACES_CONSENTED, FILE, GROUPS, MISSING, OFFSET, SOURCE_KEY, Step
from privenance import provenance as P
from privenance.errors import Reason, RecordRejected
from privenance.keyref import KeyRef
from privenance.keys import Secret
from privenance.licences import classify
from privenance.policy import Policy
from privenance.sources import OVERRIDE_COLUMNS, ConsentDecl, Source


def _date(value, field: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise RecordRejected(Reason.INVALID_DATE, f"{field} is not a valid ISO date") from None


def _consent(value) -> dict:
    """A per-row consent override: a mapping, or JSON text of one (CSV cells)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise RecordRejected(Reason.MALFORMED, "consent column is not a JSON object") from None
    if not isinstance(value, dict):
        raise RecordRejected(Reason.MALFORMED, "consent column is not an object")
    purposes = value.get("purposes") or []
    if isinstance(purposes, str):
        purposes = [purposes]
    try:  # validated as a source's consent declaration is
        faces = ConsentDecl(faces=value.get("faces")).faces
    except ValueError:
        raise RecordRejected(Reason.MALFORMED, "consent column's faces is not \"keep\"") from None
    return {"basis": value.get("basis"), "purposes": [str(p) for p in purposes],
            "reference": value.get("reference"), "faces": faces}


def image_key(source: Source, name: str | None) -> str:
    """An image record's source key: its file's path relative to the source's folder or
    glob (the name run.json lists), or for a source of one file, that file's name (the
    reader names it, pipelines/read/transform.py). What a requester can name their
    picture by (`privenance subject find --key`); a file name may be personal data, so
    requests store only the keyed record id."""
    from privenance.storage import name_of
    return name or name_of(source.path)


class BinaryAsText(Step):
    """Binary cells (Parquet bytes, ``{bytes, path}`` structs) are kept as read only in
    the source's ``image_fields``: in any other column they become text, as they always
    were, so text and structured columns and the residual scan see strings."""

    name = "binary_as_text"

    def __init__(self, source: Source):
        self.pictures = set(source.image_fields) if source.format != "images" else {"image"}

    def process(self, record: dict) -> dict:
        from pipelines.read.formats import as_text
        for column, value in record.items():
            if column not in self.pictures and isinstance(value, (bytes, dict)):
                record[column] = as_text(value)
        return record


class RequireColumns(Step):
    """A record must carry every free-text and structured column its source declares:
    a JSONL record without one may hold that data under another name, untreated.
    (A null value is fine: there is nothing to treat.)"""

    name = "require_columns"

    def __init__(self, source: Source):
        self.columns = list(dict.fromkeys([*source.text_fields, *source.fields,
                                           *source.image_fields]))

    def process(self, record: dict) -> dict:
        missing = [c for c in self.columns if c not in record]
        if missing:
            raise RecordRejected(Reason.MISSING_COLUMN,
                                 f"record lacks declared column(s) {', '.join(missing)}")
        return record


class TagProvenance(Step):
    """Add the provenance columns from the source's declarations and row overrides."""

    name = "tag_provenance"

    def __init__(self, source: Source, run_id: str | None, policy_sha256: str,
                 key: Secret | KeyRef):
        """``key``: a KeyRef in a pipeline (resolved in ``setup``, on the worker);
        ``run_id`` None when the writer sets it (it depends on every input's hash)."""
        self.source, self.run_id, self.policy_sha256 = source, run_id, policy_sha256
        self.key, self.id_key = key, None

    def setup(self) -> None:
        self.id_key = self.key.resolve().derive("record-id")

    def __getstate__(self):
        return {**self.__dict__, "id_key": None}  # a subkey is a key: never serialized

    def process(self, record: dict) -> dict:
        if self.id_key is None:
            self.setup()
        s = self.source
        if s.id_field:
            key = record.get(s.id_field)
            if key is None or str(key).strip() == "":
                raise RecordRejected(Reason.MISSING_ID, f"id field {s.id_field!r} is missing")
            record[SOURCE_KEY] = str(key)
        elif s.format == "images":
            record[SOURCE_KEY] = image_key(s, record.get(FILE))
        else:
            record[SOURCE_KEY] = f"{record.get(FILE) or ''}#{record[OFFSET]}"
        declared = s.consent.model_dump() if s.consent else {"basis": None, "purposes": [],
                                                             "reference": None, "faces": None}
        over = {c: record.pop(c) for c in OVERRIDE_COLUMNS if c in record}
        consent = _consent(over["consent"]) if over.get("consent") is not None else declared
        licence = over.get("licence") if over.get("licence") is not None else s.licence
        # the source's attribution credits those who licensed the source; a row under a
        # licence of its own (a forum post under CC-BY-SA) credits its own author or none
        own = (over.get("licence") is not None and s.licence is not None
               and str(over["licence"]).strip() != s.licence)
        record.update({
            P.RECORD_ID: P.record_id(self.id_key, s.id, record[SOURCE_KEY]),
            P.SOURCE: s.id,
            P.LICENCE: str(licence).strip() if licence is not None else None,
            P.LICENCE_USE: None,
            P.ATTRIBUTION: over.get("attribution") or (None if own else s.attribution),
            P.CONSENT_BASIS: consent["basis"],
            P.CONSENT_PURPOSES: list(consent["purposes"]),
            P.CONSENT_REF: consent["reference"],
            P.COLLECTED_AT: _date(over.get("collected_at"), "collected_at") or s.collected_at,
            P.RETAIN_UNTIL: _date(over.get("retain_until"), "retain_until") or s.retain_until,
            P.ORIGIN: over.get("origin") or s.origin,
            P.PII_COUNTS: {},
            P.RUN_ID: self.run_id,
            P.POLICY_SHA256: self.policy_sha256,
        })
        if consent.get("faces") == "keep":
            record[FACES_CONSENTED] = True
        return record


class DetectLanguage(Step):
    """Set ``_language`` from the record's free text (pipelines/steps/language.py); runs right
    after TagProvenance, so the representation counts see every tagged record."""

    name = "detect_language"

    def __init__(self, policy: Policy, source: Source):
        from pipelines.steps.language import LanguageDetector  # its model loads on first use
        self.columns = list(source.text_fields)
        cfg = policy.representation
        self.detector = LanguageDetector(cfg.languages, cfg.language_max_chars)

    def process(self, record: dict) -> dict:
        text = "\n".join(v for c in self.columns if isinstance(v := record.get(c), str))
        record[P.LANGUAGE] = self.detector.detect(text)
        return record


def _licence_use(expression) -> str:
    """The use a licence permits, as LicenceGate will find it; missing or invalid too."""
    if not expression:
        return MISSING
    try:
        return classify(str(expression)).use
    except RecordRejected:
        return "invalid"


def group_keys(record: dict, columns: list[str]) -> tuple:
    """The record's (attribute, value) pairs for the representation counts: source,
    language, origin, licence use, then the policy's ``representation.columns``."""
    keys = [(P.SOURCE, record[P.SOURCE]), (P.LANGUAGE, record[P.LANGUAGE]),
            (P.ORIGIN, record[P.ORIGIN]), (P.LICENCE_USE, _licence_use(record[P.LICENCE]))]
    keys += [(c, record.get(c)) for c in columns]
    return tuple((a, MISSING if v is None or v == "" else str(v)) for a, v in keys)


class TakeGroups(Step):
    """Record the tagged record's representation groups (in an internal field, removed
    before writing), for the counts before the gates: the gates change records."""

    name = "take_groups"

    def __init__(self, policy: Policy):
        self.columns = list(policy.representation.columns)

    def process(self, record: dict) -> dict:
        record[GROUPS] = group_keys(record, self.columns)
        return record

