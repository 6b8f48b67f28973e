"""The dataset-wide surrogate check (pipelines/anonymize/surrogates.py): a fake that is
a detected value is drawn again, of the same length, from its seed and the detected set
only; when none is found the record is left out, never written with the fake."""
from __future__ import annotations

import pytest

from pipelines.anonymize.operators import build_operator
from pipelines.anonymize.surrogates import REDRAWS, UniqueSurrogates, redraw, span, unique_redraw
from pipelines.record import LEFT_OUT, OFFSET, SOURCE_ID, SURROGATES
from privenance.errors import Reason, RecordRejected
from privenance.keys import Secret
from privenance.subject_tokens import SubjectTokens

KEY = Secret(b"\x07" * 32, "test")
TOKEN = SubjectTokens(KEY).token
SURROGATE = build_operator("surrogate", KEY, {})

FAKES = [("PERSON", "Chan Ka Yan"), ("PERSON", "Jennifer Whitaker"), ("PERSON", "陳嘉欣"),
         ("PERSON", "<PERSON>"), ("EMAIL_ADDRESS", "jsmith42@example.com"),
         ("PHONE_NUMBER", "555-0123"), ("HK_ID", "A123456(7)")]


@pytest.mark.parametrize("entity,fake", FAKES)
def test_a_redraw_has_the_fakes_length_and_depends_on_seed_and_counter_only(entity, fake):
    seed = SURROGATE.seed("Some Value", entity)
    draws = [redraw(seed, entity, fake, n) for n in range(1, 30)]
    assert all(len(d) == len(fake) for d in draws)
    assert draws == [redraw(seed, entity, fake, n) for n in range(1, 30)]  # deterministic
    assert len(set(draws)) > 3  # the counter draws others
    other = SURROGATE.seed("Another Value", entity)
    assert draws != [redraw(other, entity, fake, n) for n in range(1, 30)]
    if entity == "EMAIL_ADDRESS":
        assert all(d.endswith("@example.com") for d in draws)  # the reserved domain kept
    if entity == "PHONE_NUMBER":
        assert all(d.startswith("555-") for d in draws)
    if entity == "HK_ID":
        from privenance.identifiers import hkid_ok
        assert not any(hkid_ok(d[0], d[1:7], d[8]) for d in draws)  # a wrong check digit


def test_the_seed_is_keyed_and_holds_no_value():
    seed = SURROGATE.seed("Chan Tai Man", "PERSON")
    assert seed == build_operator("surrogate", KEY, {}).seed(" chan tai man ", "PERSON")
    assert seed != build_operator("surrogate", Secret(b"\x08" * 32, "t"), {}).seed(
        "Chan Tai Man", "PERSON")
    assert "chan" not in seed.lower()


def test_a_unique_redraw_is_not_in_the_detected_set_and_the_same_for_the_same_set():
    seed = SURROGATE.seed("Lee Mei Ling", "PERSON")
    fake = "Wong Chi Keung"
    first = redraw(seed, "PERSON", fake, 1)
    detected = {TOKEN("PERSON", fake), TOKEN("PERSON", first)}
    new = unique_redraw(seed, "PERSON", fake, detected, TOKEN)
    assert new is not None and len(new) == len(fake) and TOKEN("PERSON", new) not in detected
    assert new == unique_redraw(seed, "PERSON", fake, set(detected), TOKEN)
    assert unique_redraw(seed, "PERSON", fake, {TOKEN("PERSON", fake)}, TOKEN) == first
    every = {TOKEN("PERSON", redraw(seed, "PERSON", fake, n)) for n in range(1, REDRAWS + 1)}
    assert unique_redraw(seed, "PERSON", fake, every, TOKEN) is None


def _record(text: str, email: str, spans: list) -> dict:
    return {"_record_id": "r", "text": text, "email": email, SURROGATES: spans}


def test_a_colliding_fake_is_replaced_in_its_cell_and_the_others_stay():
    check = UniqueSurrogates(None)
    check.token = TOKEN  # as setup() sets it from the key reference
    s_name, s_other, s_mail = (SURROGATE.seed(v, e) for v, e in [
        ("Lee Mei Ling", "PERSON"), ("Ho Yin", "PERSON"), ("a@b.hk", "EMAIL_ADDRESS")])
    text = "Chan Ka Yan met Jennifer Whitaker today."
    spans = [span("text", 0, 11, "PERSON", s_name), span("text", 16, 33, "PERSON", s_other),
             span("email", None, None, "EMAIL_ADDRESS", s_mail)]
    detected = frozenset({TOKEN("PERSON", "Chan Ka Yan"), TOKEN("EMAIL_ADDRESS", "zz1@example.com")})
    record = _record(text, "zz1@example.com", spans)
    assert check.fix(record, detected) == 2
    assert SURROGATES not in record
    assert record["text"][11:] == text[11:]  # same length: the other span's offsets hold
    new = record["text"][:11]
    assert new != "Chan Ka Yan" and TOKEN("PERSON", new) not in detected
    assert record["email"] != "zz1@example.com" and record["email"].endswith("@example.com")
    assert len(record["email"]) == len("zz1@example.com")
    # another record with the same value (the same seed) gets the same fake
    again = _record("Chan Ka Yan called.", "x", [span("text", 0, 11, "PERSON", s_name)])
    assert UniqueSurrogates.fix(check, again, detected) == 1
    assert again["text"] == new + " called."
    # nothing detected: nothing changes
    untouched = _record(text, "zz1@example.com", spans)
    assert check.fix(untouched, frozenset()) == 0 and untouched["text"] == text


def test_no_unique_fake_fails_closed_with_a_reason_and_no_value():
    check = UniqueSurrogates(None)
    check.token = TOKEN
    seed = SURROGATE.seed("Lee Mei Ling", "PERSON")
    fake = "Chan Ka Yan"
    every = frozenset({TOKEN("PERSON", fake)} | {
        TOKEN("PERSON", redraw(seed, "PERSON", fake, n)) for n in range(1, REDRAWS + 1)})
    with pytest.raises(RecordRejected) as caught:
        check.fix(_record(fake + " called.", "x", [span("text", 0, 11, "PERSON", seed)]), every)
    assert caught.value.reason == Reason.SURROGATE_COLLISION
    assert "Chan" not in str(caught.value) and "Lee" not in str(caught.value)


def test_the_writer_redraws_before_writing_and_leaves_out_what_it_cannot(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipelines.write.transform import DUPLICATES, _WriteShard
    check = UniqueSurrogates(None)
    check.setup = lambda: setattr(check, "token", TOKEN)
    seed = SURROGATE.seed("Lee Mei Ling", "PERSON")
    hopeless = SURROGATE.seed("Ho Yin", "PERSON")
    every = {TOKEN("PERSON", redraw(hopeless, "PERSON", "Wong Chi Wai", n))
             for n in range(1, REDRAWS + 1)}
    detected = frozenset({TOKEN("PERSON", "Chan Ka Yan"), TOKEN("PERSON", "Wong Chi Wai")} | every)
    rows = [{"_record_id": "r1", "text": "Chan Ka Yan", SOURCE_ID: "s", OFFSET: 1,
             SURROGATES: [span("text", 0, 11, "PERSON", seed)]},
            {"_record_id": "r2", "text": "Wong Chi Wai", SOURCE_ID: "s", OFFSET: 2,
             SURROGATES: [span("text", 0, 12, "PERSON", hopeless)]}]
    fixed = pa.schema([("_record_id", "string"), ("text", "string")])
    write = _WriteShard(str(tmp_path), "out", ["_record_id"], [], fixed, 1, 100, None,
                        spilled=False, unique_by="_record_id", surrogates=check)
    write.setup()
    out = list(write.process((0, rows), rows=2, types={}, run_id="x", detected=detected))
    (left,) = [o.value for o in out if getattr(o, "tag", None) == DUPLICATES]
    assert left["_record_id"] == "r2" and left[LEFT_OUT][0] == "SURROGATE_COLLISION"
    (report,) = [o for o in out if not hasattr(o, "tag")]
    assert report["surrogates_redrawn"] == 1
    (row,) = pq.read_table(tmp_path / report["path"]).to_pylist()
    assert row["_record_id"] == "r1" and len(row["text"]) == 11 and row["text"] != "Chan Ka Yan"
