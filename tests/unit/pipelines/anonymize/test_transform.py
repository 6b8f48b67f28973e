"""The anonymize DoFn isolates engine errors to their record and scans every written
string column for residual identifiers (a fake engine: this tests our own logic)."""
from __future__ import annotations

import random

import apache_beam as beam

from pipelines.anonymize.engine import AnonymizedText, residual_scan
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


def run_batch(records, action="quarantine", **source):
    policy = POLICY.model_copy(update={"residual": POLICY.residual.model_copy(
        update={"action": action})})
    src = Source(id="s", path="x.jsonl", id_field="id", text_fields=["body"], **source)
    fn = _AnonymizeBatch(policy, None, {"s": src}, erased={})  # no setup(): a fake engine
    fn.engine, fn.subjects = FakeEngine(policy), SubjectTokens(KEY)
    batch = [{"id": str(n), **r, SOURCE_ID: "s", OFFSET: n, SOURCE_KEY: str(n),
              P.RECORD_ID: f"r{n}", P.SOURCE: "s"} for n, r in enumerate(records, start=1)]
    out = {"records": [], QUARANTINE: [], FINDINGS: []}
    for item in fn.process(batch):
        if isinstance(item, beam.pvalue.TaggedOutput):
            out[item.tag].append(item.value)
        else:
            out["records"].append(item)
    return out, fn.engine


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
