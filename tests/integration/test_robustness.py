"""Fail closed on damaged input and on an anonymizer that raises, through the real
pipeline: every row is written or quarantined with a reason, and the run goes on."""
from __future__ import annotations

import json
from pathlib import Path

import apache_beam as beam
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.helpers import damage_row_group, privenance, write_groups

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
GOOD = {"licence": "CC0-1.0", "consent": {"basis": "public-domain"}}


def test_damaged_parquet_row_group_is_accounted_for_in_the_run(tmp_path):
    path = tmp_path / "groups.parquet"
    write_groups(path, groups=4, size=25)
    damage_row_group(path, 2)
    (tmp_path / "sources.yaml").write_text(yaml.safe_dump({"sources": [
        {"id": "groups", "path": str(path), "id_field": "id", "text_fields": ["t"], **GOOD}]}))
    result = privenance("run", "--sources", "sources.yaml", "--policy",
                        str(REPO / "policies/default.yaml"), "--out", "out",
                        "--as-of", "2026-01-01", cwd=tmp_path)
    assert "Traceback" not in result.stderr
    c = json.loads((tmp_path / "out/run.json").read_text())["counts"]["groups"]
    assert c["read"] == pq.ParquetFile(path).metadata.num_rows == 100
    assert c["read"] == c["written"] + c["quarantined"]
    assert c["quarantined"] == 25
    q = pq.read_table(tmp_path / "out/quarantine").to_pylist()
    assert sorted(r["_offset"] for r in q) == list(range(51, 76))
    assert {(r["stage"], r["reason"]) for r in q} == {("read", "MALFORMED")}


# ------------------------------------------------- an anonymizer that raises on one text

TRIGGER = "zqx-raise-here"


@pytest.fixture
def hkid_recognizer_raises_on_trigger(monkeypatch):
    """The real HKID recognizer, made to raise (quoting the text) on the trigger text."""
    from pipelines.anonymize.recognizers.hk import HkIdRecognizer
    analyze = HkIdRecognizer.analyze

    def raising(self, text, *args, **kwargs):
        if TRIGGER in text:
            raise ValueError(f"recognizer failed on {text!r}")
        return analyze(self, text, *args, **kwargs)
    monkeypatch.setattr(HkIdRecognizer, "analyze", raising)


def test_real_anonymizer_raising_on_one_text_quarantines_that_record_only(
        hkid_recognizer_raises_on_trigger, monkeypatch):
    from apache_beam.testing.test_pipeline import TestPipeline
    from apache_beam.testing.util import assert_that, equal_to

    from pipelines.anonymize.transform import AnonymizeRecords
    from pipelines.record import OFFSET, SOURCE_ID, SOURCE_KEY
    from privenance import provenance as P
    from privenance.keyref import KeyRef
    from privenance.policy import load_policy
    from privenance.sources import Source
    from tests.helpers import TEST_KEY_HEX

    email = "chan.taiman@gmail.com"
    bodies = [f"Please write to {email} today.", f"Chan Tai Man {TRIGGER} wrote to {email}.",
              "Nothing personal here.", f"Reply to {email} soon."]
    records = [{"id": str(n), "body": body, SOURCE_ID: "s", OFFSET: n, SOURCE_KEY: str(n),
                P.RECORD_ID: f"r{n}", P.SOURCE: "s"} for n, body in enumerate(bodies, start=1)]
    source = Source(id="s", path="x.jsonl", id_field="id", text_fields=["body"])
    policy = load_policy(REPO / "policies/default.yaml")
    monkeypatch.setenv("PRIVENANCE_PSEUDONYM_KEY", TEST_KEY_HEX)
    key = KeyRef.env("PRIVENANCE_PSEUDONYM_KEY")  # the workers resolve it in setup()

    def leaks_no_email(rows):
        assert not [r for r in rows if email in r["body"]]

    def emails_found_in_r1_and_r4_only(found):
        assert {r for r, entity in found if entity == "EMAIL_ADDRESS"} == {"r1", "r4"}
        assert "r2" not in {r for r, _ in found}  # a quarantined record has no findings

    with TestPipeline() as p:
        written, findings, quarantine = (
            p | "Records" >> beam.Create(records)
            | "Anonymize" >> AnonymizeRecords(policy, key, {"s": source}, erased={}))
        assert_that(written | "Ids" >> beam.Map(lambda r: r["id"]), equal_to(["1", "3", "4"]),
                    label="OthersWritten")
        assert_that(written, leaks_no_email, label="OthersAnonymized")
        assert_that(findings | "Found" >> beam.Map(lambda f: (f[P.RECORD_ID], f["entity"])),
                    emails_found_in_r1_and_r4_only, label="Findings")
        assert_that(quarantine | "Why" >> beam.Map(
            lambda q: (q["_offset"], q["stage"], q["reason"], q["message"])),
            equal_to([(2, "anonymize", "ANONYMIZE_FAILED", "anonymizing body raised ValueError")]),
            label="TriggerQuarantined")


# ------------------------------------------------------- fuzzing the whole real anonymizer

@pytest.fixture(scope="module")
def engine():
    from pipelines.anonymize.engine import TextAnonymizer
    from privenance.keys import Secret
    from privenance.policy import load_policy
    from tests.helpers import TEST_KEY_HEX
    e = TextAnonymizer(load_policy(REPO / "policies/default.yaml"),
                       Secret(bytes.fromhex(TEST_KEY_HEX), "test"))
    e.setup()
    return e


def _chars(low: int, high: int):
    return st.characters(min_codepoint=low, max_codepoint=high)


CHARS = st.one_of(
    st.characters(),                      # anything, lone surrogates too
    _chars(0x20, 0x7E),                   # ASCII
    _chars(0x00, 0x1F), _chars(0x7F, 0x9F),  # control characters
    _chars(0x4E00, 0x9FFF), _chars(0x3000, 0x303F),  # CJK ideographs and punctuation
    _chars(0xFF01, 0xFF5E),               # full-width forms
    _chars(0x1F300, 0x1FAFF), st.sampled_from(["\u200d", "\ufe0f"]),  # emoji, ZWJ
)
# identifier-like fragments, some valid, some nearly so, and our own output shapes
FRAGMENTS = st.sampled_from([
    "chan.taiman@gmail.com", "陳大文@example.com", "A123456(3)", "AB987654(2)", "Z683365(5)",
    "9123 4567", "+852 9123 4567", "(852) 2123-4567", "4111 1111 1111 1111",
    "4111-1111-1111-1111", "192.168.1.1", "999.1.1.1", "GB82WEST12345698765432",
    "123-45-6789", "陳大文先生", "李小姐", "Chan Tai Man", "Mr. Wong", "香港九龍彌敦道100號",
    "ENC:abc_-", "<PERSON>", "<HK_ID>", "a1b2c3d4e5f6", "@", ".", "(", ")", "-", "\n",
])
PIECES = st.one_of(st.text(CHARS, max_size=40), FRAGMENTS,
                   st.text(_chars(0x61, 0x7A), min_size=300, max_size=3000),  # a very long word
                   st.text(_chars(0x4E00, 0x9FFF), min_size=200, max_size=800))
TEXTS = st.lists(PIECES, max_size=6).map("".join)


@settings(max_examples=40, deadline=None)
@given(texts=st.lists(TEXTS, min_size=1, max_size=4))
# found by this test: a lone surrogate (spaCy's tokenizer raised UnicodeEncodeError) and
# an IBAN with a newline between groups (the residual scan's check raised ValueError)
@example(texts=["\ud800"])
@example(texts=["GB82WEST\n12345698765432"])
def test_fuzzed_texts_never_make_the_anonymizer_raise(engine, texts):
    results = engine.anonymize_texts(texts)
    assert len(results) == len(texts)
    for text, result in zip(texts, results):
        assert isinstance(result.text, str)
        assert all(0 <= f.start < f.end <= len(text) for f in result.findings)
        assert isinstance(engine.residual_entities(result.text), list)
        assert isinstance(engine.residual_entities(text), list)
