"""The policy gates (text-and-data mining, licence, consent, retention, generated
content) and data minimisation: each keeps a record or rejects it with a reason."""
from __future__ import annotations

import datetime as dt

from pipelines.images import GENERATED_SOURCE_TYPES, IMAGE, fields_of
from pipelines.images import column as image_column
from pipelines.images import output_columns as image_columns
from pipelines.record import INTERNAL, Step
from privenance import provenance as P
from privenance.errors import Reason, RecordRejected
from privenance.licences import classify
from privenance.policy import Policy
from privenance.sources import ORIGINS, TDM_COLUMNS, Source


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
    declarations or the row's columns of the same names (the row wins); and an image
    whose content credentials do not allow AI training or mining (``image_tdm``:
    notAllowed or constrained, TDM_CREDENTIALS). The columns are removed from the
    record: they describe it, they are not its data."""

    name = "tdm_gate"
    BASES = (("tdm_reservation", Reason.TDM_RESERVED), ("robots_opt_out", Reason.TDM_ROBOTS),
             ("tdm_opt_out", Reason.TDM_OPT_OUT))

    def __init__(self, policy: Policy, source: Source):
        self.honour, self.licensed = policy.tdm.honour, set(policy.tdm.licensed_policies)
        self.declared = {c: getattr(source, c) for c in TDM_COLUMNS}
        self.pictures = [image_column(f, "tdm") for f in fields_of(source)]

    def process(self, record: dict) -> dict:
        values = {c: record.pop(c) if c in record else self.declared[c] for c in TDM_COLUMNS}
        said = [record.pop(c, None) for c in self.pictures]
        credentials = next((s for s in said if s), None)
        if not self.honour:
            return record
        if credentials:  # notAllowed, or constrained (constraints we cannot check)
            raise RecordRejected(Reason.TDM_CREDENTIALS,
                                 f"the image's content credentials say AI training: {credentials}")
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
    column, a generator tag in a named column) nor be an image whose credentials say a
    trained model made it (``image_source_type``). Such records are quarantined, not
    relabelled: a wrong declaration is the data owner's to correct."""

    name = "generation_gate"

    def __init__(self, policy: Policy, source: Source | None = None):
        self.markers = [(m.column, [v.lower() for v in m.values]) for m in policy.synthetic.markers]
        fields = fields_of(source) if source is not None else [IMAGE]
        self.source_types = [image_column(f, "source_type") for f in fields]

    def process(self, record: dict) -> dict:
        origin = record[P.ORIGIN]
        if origin not in ORIGINS:
            raise RecordRejected(Reason.UNKNOWN_ORIGIN, "the origin column holds an unknown origin")
        if origin != "human":
            return record
        if any(record.get(c) in GENERATED_SOURCE_TYPES for c in self.source_types):
            raise RecordRejected(Reason.GENERATED_AS_HUMAN, "declared human but the image's "
                                 "credentials say a trained model made it")
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


class ErasureGate(Step):
    """Records an erasure request named by their source and source key (``subject erase
    --source --key``: an image record, or any record whose identifiers were not
    detected) leave the dataset (SUBJECT_ERASED). Records that concern an erased
    subject by an identifier are found when anonymizing (pipelines/anonymize/batch.py)."""

    name = "erasure_gate"

    def __init__(self, erased_records: dict[str, str] | None = None):
        """``erased_records`` maps an erased record's id to its request id."""
        self.erased = erased_records or {}

    def process(self, record: dict) -> dict:
        request = self.erased.get(record[P.RECORD_ID])
        if request:
            raise RecordRejected(Reason.SUBJECT_ERASED,
                                 f"named by erasure request {request}", request)
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
    for field in fields_of(source):  # the picture and what was read and removed from it
        keep |= set(image_columns(field))
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

