"""The batch anonymizer (pipelines/anonymize/batch.py) on lists, with a fake engine:
engine errors stay with their record, every written string column is scanned for
residual identifiers, erasure requests and too-long texts quarantine their record,
and every rejection is a quarantine row with a reason code. The Beam DoFn only
routes the three lists (the last test)."""
from __future__ import annotations

import random

import apache_beam as beam

from pipelines.anonymize.engine import AnonymizedText, residual_scan
from pipelines.anonymize.batch import BatchAnonymizer
from pipelines.anonymize.transform import FINDINGS, _AnonymizeBatch
from pipelines.record import QUARANTINE
from pipelines.record import OFFSET, SOURCE_ID, SOURCE_KEY
from privenance import provenance as P
from privenance.demo import hkid
from privenance.keys import Secret
from privenance.policy import load_policy
from privenance.sources import Source
from privenance.subject_tokens import SubjectTokens
from tests.helpers import REPO

KEY = Secret(b"k" * 32, "test")
TRIGGER = "BOOM"  # a text or value holding it makes the fake engine raise
SECRET = "private words of the data subject"
POLICY = load_policy(REPO / "policies/default.yaml")


class FakeEngine:
    """Upper-cases texts, tags values; raises (quoting the input) on the trigger."""

    subject_fields: dict = {}

    def __init__(self, policy):
        self.policy = policy
        self.calls = 0

    @staticmethod
    def _check(value):
        if isinstance(value, str) and TRIGGER in value:
            raise RuntimeError(f"cannot handle {value!r}")

    def anonymize_texts(self, texts, records=None):
        self.calls += 1
        for text in texts:
            self._check(text)
        return [AnonymizedText(t.upper(), ()) for t in texts]

    def transform_values(self, values, entity, records=None):
        for value in values:
            self._check(value)
        return [None if v is None else f"<{entity}>" for v in values]

    def residual_entities(self, text):
        self._check(text)
        return residual_scan(text, self.policy.residual.entities)


def _policy(action="quarantine", **anonymization):
    return POLICY.model_copy(update={
        "residual": POLICY.residual.model_copy(update={"action": action}),
        "anonymization": POLICY.anonymization.model_copy(update=anonymization)})


def _batch(records):
    return [{"id": str(n), **r, SOURCE_ID: "s", OFFSET: n, SOURCE_KEY: str(n),
             P.RECORD_ID: f"r{n}", P.SOURCE: "s"} for n, r in enumerate(records, start=1)]


def run_batch(records, action="quarantine", erased=None, policy=None, **source):
    policy = policy or _policy(action)
    src = Source(id="s", path="x.jsonl", id_field="id", text_fields=["body"], **source)
    engine = FakeEngine(policy)
    anonymizer = BatchAnonymizer(policy, {"s": src}, erased or {}, engine,
                                 SubjectTokens(KEY).token)
    out = anonymizer.anonymize(_batch(records))
    return {"records": out.records, QUARANTINE: out.quarantine, FINDINGS: out.findings}, engine


def test_a_text_the_engine_raises_on_quarantines_its_record_only():
    out, engine = run_batch([{"body": "one"}, {"body": f"{TRIGGER} {SECRET}"},
                             {"body": "three"}, {"body": "four"}])
    assert [r["body"] for r in out["records"]] == ["ONE", "THREE", "FOUR"]
    [q] = out[QUARANTINE]
    assert (q["_offset"], q["reason"], q["stage"]) == (2, "ANONYMIZE_FAILED", "anonymize")
    assert q["message"] == "anonymizing body raised RuntimeError"
    assert engine.calls == 1 + 4  # the batch, then one text at a time


def test_a_structured_value_the_engine_raises_on_quarantines_its_record_only():
    out, _ = run_batch([{"body": "a", "email": "a@b.hk"}, {"body": "b", "email": TRIGGER},
                        {"body": "c", "email": None}], fields={"email": "EMAIL_ADDRESS"})
    assert [(r["id"], r["email"]) for r in out["records"]] == [
        ("1", "<EMAIL_ADDRESS>"), ("3", None)]
    [q] = out[QUARANTINE]
    assert (q["_offset"], q["reason"], q["message"]) == (
        2, "ANONYMIZE_FAILED", "anonymizing email raised RuntimeError")


def test_a_residual_scan_that_raises_quarantines_instead_of_passing():
    out, _ = run_batch([{"body": "fine", "note": f"{TRIGGER} {SECRET}"}, {"body": "fine too"}])
    assert [r["id"] for r in out["records"]] == ["2"]
    [q] = out[QUARANTINE]
    assert (q["_offset"], q["reason"], q["stage"]) == (1, "ANONYMIZE_FAILED", "residual")
    assert q["message"] == "the residual scan of note raised RuntimeError"


def test_undeclared_string_columns_are_scanned_for_residual_identifiers():
    card = hkid(random.Random(3))
    records = [{"body": "no pii", "note": "write to chan.taiman@gmail.com"},
               {"body": "no pii", "ref": f"holder {card}"}, {"body": "clean", "note": "ok"}]
    out, _ = run_batch(records)
    assert [r["id"] for r in out["records"]] == ["3"]
    assert [(q["_offset"], q["reason"], q["message"]) for q in out[QUARANTINE]] == [
        (1, "RESIDUAL_PII", "note still contains EMAIL_ADDRESS"),
        (2, "RESIDUAL_PII", "ref still contains HK_ID")]
    flagged, _ = run_batch(records, action="flag")
    assert flagged[QUARANTINE] == []
    assert [r[P.PII_COUNTS] for r in flagged["records"]] == [
        {"EMAIL_ADDRESS": 1}, {"HK_ID": 1}, {}]
    assert [(f["column"], f["entity"], f["operator"]) for f in flagged[FINDINGS]] == [
        ("note", "EMAIL_ADDRESS", "residual"), ("ref", "HK_ID", "residual")]


def test_no_message_quotes_the_text():
    out, _ = run_batch([{"body": f"{TRIGGER} {SECRET}", "note": f"{TRIGGER} {SECRET}"},
                        {"body": "x", "email": f"{TRIGGER} {SECRET}"}],
                       fields={"email": "EMAIL_ADDRESS"})
    assert len(out[QUARANTINE]) == 2
    assert all(SECRET not in str(q) and TRIGGER not in str(q) for q in out[QUARANTINE])


def test_the_input_records_are_not_changed():
    batch = _batch([{"body": "one"}, {"body": "two", "tags": ["a", "b"]}])
    before = [dict(r) for r in batch]
    src = Source(id="s", path="x.jsonl", id_field="id", text_fields=["body", "tags"])
    BatchAnonymizer(POLICY, {"s": src}, {}, FakeEngine(POLICY), SubjectTokens(KEY).token
                    ).anonymize(batch)
    assert batch == before


def test_a_text_longer_than_the_limit_quarantines_its_record_unread():
    out, engine = run_batch([{"body": "x" * 11}, {"body": "short"}],
                            policy=_policy(max_text_chars=10))
    assert [r["body"] for r in out["records"]] == ["SHORT"]
    [q] = out[QUARANTINE]
    assert (q["_offset"], q["stage"], q["reason"], q["message"]) == (
        1, "anonymize", "TEXT_TOO_LONG", "body is longer than 10 characters")
    assert engine.calls == 1  # the long text never reached the engine


def test_a_record_about_an_erased_subject_is_quarantined_with_its_request():
    email = "chan.taiman@gmail.com"
    erased = {SubjectTokens(KEY).token("EMAIL_ADDRESS", email): "req-7"}
    out, _ = run_batch([{"body": "a", "email": email}, {"body": "b", "email": "x@y.hk"}],
                       erased=erased, fields={"email": "EMAIL_ADDRESS"})
    assert [r["id"] for r in out["records"]] == ["2"]
    [q] = out[QUARANTINE]
    assert (q["stage"], q["reason"], q["request"]) == ("subjects", "SUBJECT_ERASED", "req-7")
    assert q["message"] == "concerns a subject of erasure request req-7"
    assert email not in str(q)


def test_quarantine_rows_have_the_one_shape_of_pipelines_record():
    from pipelines.record import quarantine_schema
    out, _ = run_batch([{"body": f"{TRIGGER}"}, {"body": "x", "note": "mail a@b.com"}])
    assert len(out[QUARANTINE]) == 2
    assert all(list(q) == quarantine_schema().names for q in out[QUARANTINE])


def test_findings_carry_tokens_and_counts_never_values():
    email = "chan.taiman@gmail.com"
    out, _ = run_batch([{"body": "a", "email": email}], fields={"email": "EMAIL_ADDRESS"})
    [record] = out["records"]
    assert record[P.PII_COUNTS] == {"EMAIL_ADDRESS": 1}
    assert SOURCE_ID not in record and OFFSET not in record  # finished for writing
    [f] = out[FINDINGS]
    assert (f["column"], f["entity"], f["subject"]) == (
        "email", "EMAIL_ADDRESS", SubjectTokens(KEY).token("EMAIL_ADDRESS", email))
    assert email not in str(f)


def test_the_dofn_routes_the_batch_to_its_three_outputs():
    policy = _policy()
    src = Source(id="s", path="x.jsonl", id_field="id", text_fields=["body"])
    fn = _AnonymizeBatch(policy, None, {"s": src}, erased={})  # no setup(): a fake engine
    fn.anonymizer = BatchAnonymizer(policy, {"s": src}, {}, FakeEngine(policy),
                                    SubjectTokens(KEY).token)
    out = {"records": [], QUARANTINE: [], FINDINGS: []}
    for item in fn.process(_batch([{"body": "ok", "note": "mail a@b.com"}, {"body": "fine"},
                                   {"body": TRIGGER}])):
        if isinstance(item, beam.pvalue.TaggedOutput):
            out[item.tag].append(item.value)
        else:
            out["records"].append(item)
    assert [r["body"] for r in out["records"]] == ["FINE"]
    assert [q["reason"] for q in out[QUARANTINE]] == ["RESIDUAL_PII", "ANONYMIZE_FAILED"]
    assert out[FINDINGS] == []
