"""Pipeline steps: small classes with one method over a plain record (a dict).

A step returns the (possibly changed) record or raises ``RecordRejected`` with a
reason code; the Beam adapter (pipelines/beam.py) turns that into a quarantine
row. Steps know nothing about Beam, so they are unit-tested on lists.
"""
from __future__ import annotations

import datetime as dt
import json

from privenance import provenance as P
from privenance.errors import Reason, RecordRejected
from privenance.keyref import KeyRef
from privenance.keys import Secret
from privenance.licences import classify
from privenance.policy import Policy
from privenance.sources import ORIGINS, OVERRIDE_COLUMNS, TDM_COLUMNS, Source

# Internal fields carried through the pipeline and removed before writing.
SOURCE_ID = "__source"
OFFSET = "__offset"
SOURCE_KEY = "__source_key"
FILE = "__file"  # the file within a source of many files (a folder or glob), else absent
GROUPS = "__groups"  # the record's representation groups, as tagged (TakeGroups)
INTERNAL = (SOURCE_ID, OFFSET, SOURCE_KEY, FILE, GROUPS)
MISSING = "(missing)"


class Step:
    """One transformation of one record. Heavy resources load in ``setup``."""

    name = "step"

    def setup(self) -> None:
        pass

    def process(self, record: dict) -> dict:
        raise NotImplementedError


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
    return {"basis": value.get("basis"), "purposes": [str(p) for p in purposes],
            "reference": value.get("reference")}


class RequireColumns(Step):
    """A record must carry every free-text and structured column its source declares:
    a JSONL record without one may hold that data under another name, untreated.
    (A null value is fine: there is nothing to treat.)"""

    name = "require_columns"

    def __init__(self, source: Source):
        self.columns = list(dict.fromkeys([*source.text_fields, *source.fields]))

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
        else:
            record[SOURCE_KEY] = f"{record.get(FILE) or ''}#{record[OFFSET]}"
        declared = s.consent.model_dump() if s.consent else {"basis": None, "purposes": [],
                                                             "reference": None}
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
        return record


class DetectLanguage(Step):
    """Set ``_language`` from the record's free text (pipelines/language.py); runs right
    after TagProvenance, so the representation counts see every tagged record."""

    name = "detect_language"

    def __init__(self, policy: Policy, source: Source):
        from pipelines.language import LanguageDetector  # its model loads on first use
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


def _flag(value) -> bool | None:
    """A yes/no cell (true/false, 1/0, yes/no); None when empty; ValueError otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "y"):
        return True
    if text in ("0", "false", "no", "n"):
        return False
    raise ValueError(text)


class TdmGate(Step):
    """Records whose rights holder reserved text-and-data mining leave the dataset when
    the policy honours reservations (``tdm.honour``): TDMRep ``tdm_reservation`` 1 or a
    ``tdm_policy`` whose terms the policy does not list as licensed, a robots.txt /
    ai.txt opt-out recorded at collection, or ``tdm_opt_out``, each with its own
    reason code (errors.TDM_REASONS); from the source's
    declarations or the row's columns of the same names (the row wins). The columns
    are removed from the record: they describe it, they are not its data."""

    name = "tdm_gate"
    BASES = (("tdm_reservation", Reason.TDM_RESERVED), ("robots_opt_out", Reason.TDM_ROBOTS),
             ("tdm_opt_out", Reason.TDM_OPT_OUT))

    def __init__(self, policy: Policy, source: Source):
        self.honour, self.licensed = policy.tdm.honour, set(policy.tdm.licensed_policies)
        self.declared = {c: getattr(source, c) for c in TDM_COLUMNS}

    def process(self, record: dict) -> dict:
        values = {c: record.pop(c) if c in record else self.declared[c] for c in TDM_COLUMNS}
        if not self.honour:
            return record
        flags = {}
        for column, reason in self.BASES:
            try:
                flags[column] = _flag(values[column])
            except ValueError:  # fail closed: an unreadable reservation is a reservation
                raise RecordRejected(reason, f"{column} is not a yes/no value: taken as an "
                                     "opt-out") from None
        policy_url = str(values["tdm_policy"] or "").strip()
        if flags["tdm_opt_out"]:
            raise RecordRejected(Reason.TDM_OPT_OUT, "tdm_opt_out is set")
        if flags["robots_opt_out"]:
            raise RecordRejected(Reason.TDM_ROBOTS, "robots_opt_out is set")
        if flags["tdm_reservation"] is not False and policy_url and policy_url not in self.licensed:
            raise RecordRejected(Reason.TDM_POLICY, "tdm_policy names terms not licensed")
        if flags["tdm_reservation"] and not (policy_url and policy_url in self.licensed):
            raise RecordRejected(Reason.TDM_RESERVED, "tdm_reservation is 1")
        return record


class GenerationGate(Step):
    """A row's origin must be a known one; a record declared human must carry none of
    the policy's markers of generated content (``synthetic.markers``: a watermark
    column, a generator tag in a named column). Such records are quarantined, not
    relabelled: a wrong declaration is the data owner's to correct."""

    name = "generation_gate"

    def __init__(self, policy: Policy):
        self.markers = [(m.column, [v.lower() for v in m.values]) for m in policy.synthetic.markers]

    def process(self, record: dict) -> dict:
        origin = record[P.ORIGIN]
        if origin not in ORIGINS:
            raise RecordRejected(Reason.UNKNOWN_ORIGIN, "the origin column holds an unknown origin")
        if origin != "human":
            return record
        for column, values in self.markers:
            value = record.get(column)
            if value is None or str(value).strip() == "" or value is False:
                continue
            if not values or any(v in str(value).lower() for v in values):
                raise RecordRejected(Reason.GENERATED_AS_HUMAN,
                                     f"declared human but {column} marks generated content")
        return record


class LicenceGate(Step):
    """The record's licence must parse and permit the policy's purpose."""

    name = "licence_gate"

    def __init__(self, policy: Policy):
        self.rules = policy.licences

    def process(self, record: dict) -> dict:
        expression = record[P.LICENCE]
        if not expression:
            raise RecordRejected(Reason.MISSING_LICENCE, "record has no licence")
        info = classify(expression)
        record[P.LICENCE] = info.expression
        record[P.LICENCE_USE] = info.use
        if expression in self.rules.denied or info.expression in self.rules.denied:
            raise RecordRejected(Reason.LICENCE_NOT_ALLOWED, "licence is denied by the policy")
        if info.use not in self.rules.allowed_uses and info.expression not in self.rules.allowed:
            raise RecordRejected(Reason.LICENCE_NOT_ALLOWED,
                                 f"licence allows {info.use} use only")
        return record


class ConsentGate(Step):
    """A lawful basis, the purpose consented to, and no withdrawn consent."""

    name = "consent_gate"

    def __init__(self, policy: Policy, withdrawn: dict[str, str] | None = None):
        """``withdrawn`` maps a withdrawn consent reference to its request id."""
        self.rules, self.purpose = policy.consent, policy.purpose.name
        self.withdrawn = withdrawn or {}

    def process(self, record: dict) -> dict:
        basis = record[P.CONSENT_BASIS]
        if not basis or basis not in self.rules.lawful_bases:
            raise RecordRejected(Reason.NO_CONSENT, "record has no lawful basis the policy accepts")
        if basis in self.rules.require_purpose_for and self.purpose not in record[P.CONSENT_PURPOSES]:
            raise RecordRejected(Reason.PURPOSE_NOT_CONSENTED,
                                 f"consent does not cover {self.purpose}")
        request = self.withdrawn.get(record[P.CONSENT_REF] or "")
        if request:
            raise RecordRejected(Reason.CONSENT_WITHDRAWN,
                                 f"consent was withdrawn (request {request})", request)
        return record


class RetentionGate(Step):
    """Records past their retain-until date leave the dataset."""

    name = "retention_gate"

    def __init__(self, policy: Policy, as_of: dt.date):
        self.enforce, self.as_of = policy.retention.enforce, as_of

    def process(self, record: dict) -> dict:
        until = record[P.RETAIN_UNTIL]
        if self.enforce and until is not None and until < self.as_of:
            raise RecordRejected(Reason.RETENTION_EXPIRED, "retention period has ended")
        return record


def output_columns(policy: Policy, source: Source) -> set[str]:
    """The source columns that may reach the output (DPP1 data minimisation): those
    declared by the source (id_field, text_fields, fields) or by the policy
    (quasi-identifiers, validation and representation columns), and those the policy lets through
    (``columns.allowed``); never those in ``columns.drop``."""
    keep = {source.id_field} if source.id_field else set()
    keep |= set(source.text_fields) | set(source.fields) | set(policy.columns.allowed)
    keep |= set(policy.k_anonymity.quasi_identifiers) | set(policy.validation.columns)
    keep |= set(policy.representation.columns)  # counted in the certified data too
    return keep - set(policy.columns.drop) - set(P.COLUMNS)


class Minimise(Step):
    """Drop every source column that ``output_columns`` does not keep."""

    name = "minimise"

    def __init__(self, policy: Policy, source: Source):
        self.keep = output_columns(policy, source)

    def process(self, record: dict) -> dict:
        for column in list(record):
            if column in P.COLUMNS or column in INTERNAL:
                continue
            if column not in self.keep:
                del record[column]
        return record


# where a record was read: kept until it is written when the writer needs it (the first
# read of records sharing an id is written; pipelines/writing.py), removed there
POSITION = (SOURCE_ID, FILE, OFFSET, SOURCE_KEY)


def read_position(record: dict) -> tuple:
    """(file within the source or "", line or row): the order records were read in."""
    return (record.get(FILE) or "", record.get(OFFSET) or 0)


def finish(record: dict, keep_position: bool = False) -> dict:
    """Remove pipeline-internal fields before writing (``keep_position``: all but
    POSITION, which the writer removes)."""
    for field in INTERNAL:
        if not (keep_position and field in POSITION):
            record.pop(field, None)
    return record


def tagging_steps(source: Source, policy: Policy, run_id: str | None, key) -> list[Step]:
    """What every record of ``source`` goes through first: its declared columns, its
    provenance and its language. The representation counts are taken after these."""
    return [RequireColumns(source), TagProvenance(source, run_id, policy.sha256, key),
            DetectLanguage(policy, source), TakeGroups(policy)]


def gate_steps(source: Source, policy: Policy, as_of: dt.date,
               withdrawn: dict[str, str] | None = None) -> list[Step]:
    """The policy gates, in order, then minimisation."""
    return [TdmGate(policy, source), LicenceGate(policy), ConsentGate(policy, withdrawn),
            RetentionGate(policy, as_of), GenerationGate(policy), Minimise(policy, source)]
