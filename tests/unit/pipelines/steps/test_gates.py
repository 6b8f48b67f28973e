import datetime as dt

import pytest

from pipelines.record import OFFSET, finish
from pipelines.steps.gates import (ConsentGate, ErasureGate, LicenceGate, Minimise,
                                   RetentionGate)
from pipelines.steps.tagging import DetectLanguage, TagProvenance
from privenance import provenance as P
from privenance.errors import Reason, RecordRejected
from privenance.keys import Secret
from privenance.policy import Policy
from privenance.sources import Source

KEY = Secret(b"k" * 32, "test")
POLICY = Policy(name="t", columns={"drop": ["secret_col"]})


def source(**kw):
    base = dict(id="s", path="x.jsonl", id_field="id", text_fields=["body"], licence="CC-BY-4.0",
                consent={"basis": "consent", "purposes": ["model-training"], "reference": "r1"},
                retain_until="2030-01-01")
    return Source(**{**base, **kw})


def run_steps(record, src=None, policy=POLICY, withdrawn=None, as_of=dt.date(2026, 1, 1)):
    src = src or source()
    steps = [TagProvenance(src, "run1", "sha", KEY), DetectLanguage(policy, src), LicenceGate(policy),
             ConsentGate(policy, withdrawn), RetentionGate(policy, as_of), Minimise(policy, src)]
    record = {**record, OFFSET: 1}
    for step in steps:
        record = step.process(record)
    return finish(record)


def reason_of(record, **kw):
    with pytest.raises(RecordRejected) as err:
        run_steps(record, **kw)
    return err.value.reason


def test_clean_record_gets_every_provenance_column():
    out = run_steps({"id": 7, "body": "hello", "secret_col": "x"})
    assert set(P.COLUMNS) <= set(out)
    assert out["id"] == 7 and "secret_col" not in out and not any(k.startswith("__") for k in out)
    assert out[P.LICENCE_USE] == "commercial" and out[P.CONSENT_PURPOSES] == ["model-training"]


def test_record_id_is_stable_keyed_and_source_scoped():
    a = run_steps({"id": 7})[P.RECORD_ID]
    assert a == run_steps({"id": 7})[P.RECORD_ID]
    assert a != run_steps({"id": 8})[P.RECORD_ID]
    assert a != P.record_id(b"other" * 8, "s", "7")


@pytest.mark.parametrize("record,kw,reason", [
    ({"body": "x"}, {}, Reason.MISSING_ID),
    ({"id": 1}, {"src": source(licence=None)}, Reason.MISSING_LICENCE),
    ({"id": 1, "licence": "not-a-licence"}, {}, Reason.INVALID_LICENCE),
    ({"id": 1, "licence": "CC-BY-NC-4.0"}, {}, Reason.LICENCE_NOT_ALLOWED),
    ({"id": 1}, {"src": source(consent=None)}, Reason.NO_CONSENT),
    ({"id": 1, "consent": {"basis": "consent", "purposes": ["support"]}}, {},
     Reason.PURPOSE_NOT_CONSENTED),
    ({"id": 1, "consent": '{"basis": "gossip"}'}, {}, Reason.NO_CONSENT),
    ({"id": 1, "consent": "not json"}, {}, Reason.MALFORMED),
    ({"id": 1}, {"withdrawn": {"r1": "DSR-1"}}, Reason.CONSENT_WITHDRAWN),
    ({"id": 1, "retain_until": "2020-01-01"}, {}, Reason.RETENTION_EXPIRED),
    ({"id": 1, "retain_until": "2020-13-45"}, {}, Reason.INVALID_DATE),
])
def test_gates_quarantine_with_reason(record, kw, reason):
    assert reason_of(record, **kw) == reason


def test_or_licence_takes_most_permissive_and_policy_allow_list():
    assert run_steps({"id": 1, "licence": "CC-BY-NC-4.0 OR MIT"})[P.LICENCE_USE] == "commercial"
    assert reason_of({"id": 1, "licence": "CC-BY-NC-4.0 AND MIT"}) == Reason.LICENCE_NOT_ALLOWED
    lenient = Policy(name="t", licences={"allowed": ["CC-BY-NC-4.0"]})
    assert run_steps({"id": 1, "licence": "CC-BY-NC-4.0"}, policy=lenient)[P.LICENCE] == "CC-BY-NC-4.0"


def test_minimise_keeps_only_allowed_columns_and_the_id():
    policy = Policy(name="t", columns={"allowed": ["body"]})
    out = run_steps({"id": 1, "body": "b", "extra": 2}, policy=policy)
    assert "extra" not in out and out["id"] == 1 and out["body"] == "b"


def test_rejection_messages_carry_no_values():
    with pytest.raises(RecordRejected) as err:
        run_steps({"id": 1, "licence": "secret-person@example.com"})
    assert "secret-person" not in str(err.value)


def test_a_row_under_its_own_licence_is_not_credited_to_the_source():
    from pipelines.preflight.dryrun import gate_sample
    from pipelines.read.formats import RawRow
    own = source(licence="LicenseRef-acme-internal", attribution="acme (forum.csv)",
                 consent={"basis": "contract", "purposes": [], "reference": None})
    policy = Policy(name="t", licences={"allowed": ["LicenseRef-acme-internal"]})
    tag = TagProvenance(own, "run1", "sha", KEY)
    as_source = tag.process({"id": 1, "body": "x", OFFSET: 1})
    cc_by = tag.process({"id": 2, "body": "x", "licence": "CC-BY-SA-4.0", OFFSET: 2})
    credited = tag.process({"id": 3, "body": "x", "licence": "CC-BY-4.0",
                            "attribution": "forum user 12", OFFSET: 3})
    cc0 = tag.process({"id": 4, "body": "x", "licence": "CC0-1.0", OFFSET: 4})
    assert (as_source[P.LICENCE], as_source[P.ATTRIBUTION]) == ("LicenseRef-acme-internal",
                                                                 "acme (forum.csv)")
    assert (cc_by[P.LICENCE], cc_by[P.ATTRIBUTION]) == ("CC-BY-SA-4.0", None)
    assert credited[P.ATTRIBUTION] == "forum user 12" and cc0[P.ATTRIBUTION] is None
    # check counts the rows whose licence needs an attribution they lack: the CC-BY-SA one
    rows = [RawRow(i, r, None) for i, r in enumerate([
        {"id": 1, "body": "x"}, {"id": 2, "body": "x", "licence": "CC-BY-SA-4.0"},
        {"id": 3, "body": "x", "licence": "CC-BY-4.0", "attribution": "forum user 12"},
        {"id": 4, "body": "x", "licence": "CC0-1.0"}], 1)]
    result = gate_sample(own, rows, policy, dt.date(2026, 1, 1))
    assert (result.quarantined, result.no_attribution) == (0, 1)


def test_check_keys_records_of_a_many_file_source_without_an_id_by_file_and_offset():
    """Two files of a folder source without an id field both start at offset 1: the
    run keys them by file and offset, so check must not call the second a duplicate."""
    from pipelines.preflight.dryrun import gate_sample
    from pipelines.read.formats import RawRow
    source = Source(id="s", path="x/", format="jsonl", licence="CC0-1.0", text_fields=["body"],
                    consent={"basis": "public-domain"})
    rows = [RawRow(1, {"body": "x"}, None, "a.jsonl"), RawRow(1, {"body": "y"}, None, "b.jsonl")]
    result = gate_sample(source, rows, Policy(name="t"), dt.date(2026, 1, 1))
    assert result.sampled == 2 and result.quarantined == 0


def test_a_record_an_erasure_request_names_by_its_id_is_quarantined_with_the_request():
    tagged = TagProvenance(source(), "run1", "sha", KEY).process({"id": 7, OFFSET: 1})
    gate = ErasureGate({tagged[P.RECORD_ID]: "DSR-9"})
    with pytest.raises(RecordRejected) as err:
        gate.process(dict(tagged))
    assert err.value.reason == Reason.SUBJECT_ERASED and err.value.request == "DSR-9"
    other = TagProvenance(source(), "run1", "sha", KEY).process({"id": 8, OFFSET: 1})
    assert gate.process(dict(other)) == other and ErasureGate().process(dict(tagged)) == tagged


def test_an_image_records_source_key_is_its_file_name():
    """Folder or one file, the key is the picture's name (not FILE#1), so a requester
    can name it; the record id is the one `subject find --key` computes."""
    from lineage.subjects import record_ids
    from pipelines.record import FILE, SOURCE_KEY
    pictures = Source(id="photos", path="raw/photos", format="images", licence="CC0-1.0")
    one = Source(id="photos", path="raw/solo/portrait.jpg", licence="CC0-1.0")
    tag = TagProvenance(pictures, "run1", "sha", KEY)
    in_folder = tag.process({FILE: "2024/a.jpg", OFFSET: 1})
    alone = TagProvenance(one, "run1", "sha", KEY).process({OFFSET: 1})
    assert (in_folder[SOURCE_KEY], alone[SOURCE_KEY]) == ("2024/a.jpg", "portrait.jpg")
    assert list(record_ids(KEY, [("photos", "2024/a.jpg")])) == [in_folder[P.RECORD_ID]]
