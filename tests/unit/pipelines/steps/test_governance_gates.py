"""Governance steps on plain records: language detection, TDM opt-outs, generation
markers; the policy sections' validation; the representation aggregates."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from faker import Faker

from pipelines.steps.language import LanguageDetector
from pipelines.run.representation import GroupCounts, _suppress, drop_rates
from pipelines.record import GROUPS, OFFSET, finish
from pipelines.steps.gates import GenerationGate, TdmGate
from pipelines.steps.tagging import DetectLanguage, TagProvenance, TakeGroups
from privenance import provenance as P
from privenance.errors import ConfigError, Reason, RecordRejected
from privenance.keys import Secret
from privenance.policy import Policy, load_policy
from privenance.sources import Source
from tests.helpers import REPO

KEY = Secret(b"k" * 32, "test")
REAL_DEV = Path("/work/shared/data/real_dev")
DETECT = LanguageDetector(Policy(name="t").representation.languages)


def source(**kw):
    base = dict(id="s", path="x.jsonl", id_field="id", text_fields=["body"], licence="CC-BY-4.0")
    return Source(**{**base, **kw})


def tagged(record, src=None, policy=Policy(name="t")):
    src = src or source()
    record = TagProvenance(src, "run1", "sha", KEY).process({**record, OFFSET: 1})
    return DetectLanguage(policy, src).process(record)


# -- language -------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("我今日好攰，聽日先覆你啦，佢哋都未嚟。", "yue"),
    ("我哋喺銅鑼灣等你，你幾時到？", "yue"),
    ("个refund搞成点？我系陈先生，唔该send个invoice俾我。", "yue"),   # Cantonese, Simplified
    ("香港特別行政區政府今日公布新的醫療政策，並將於明年實施。", "zh-Hant"),
    ("香港特别行政区政府今日公布新的医疗政策，并将于明年实施。", "zh-Hans"),
    ("The applicant was represented by a lawyer practising in Nicosia.", "en"),
    ("@paulwalk It 's the view from where I 'm living for two weeks .", "en"),
    ("12345 !!! ...", "und"),
    ("", "und"),
])
def test_language_of_each_kind(text, expected):
    assert DETECT.detect(text) == expected


def test_language_on_generated_text():
    fake_en, fake_zh, fake_cn = Faker("en_US"), Faker("zh_TW"), Faker("zh_CN")
    for f in (fake_en, fake_zh, fake_cn):
        f.seed_instance(3)
    assert all(DETECT.detect(fake_en.paragraph(5)) == "en" for _ in range(10))
    # Faker's zh_TW text is Traditional, zh_CN's Simplified; neither is Cantonese
    assert sum(DETECT.detect(fake_zh.paragraph(5)) == "zh-Hant" for _ in range(10)) >= 9
    assert sum(DETECT.detect(fake_cn.paragraph(5)) == "zh-Hans" for _ in range(10)) >= 9


def test_language_engines_load_only_for_the_text_that_needs_them(monkeypatch):
    """English-only data never loads OpenCC, and Chinese-only data never loads py3langid."""
    from pipelines.steps import language
    monkeypatch.setattr(language, "ENGINES", language._Engines())
    assert DETECT.detect("Please call me back about the order tomorrow morning.") == "en"
    assert language.ENGINES.ident is not None and language.ENGINES.t2s is None
    monkeypatch.setattr(language, "ENGINES", language._Engines())
    assert DETECT.detect("我們明天下午在會議室開會討論這個問題") == "zh-Hant"
    assert language.ENGINES.t2s is not None and language.ENGINES.ident is None


@pytest.mark.skipif(not REAL_DEV.exists(), reason="real_dev corpora not present")
def test_language_on_real_text():
    """Real English judgments and Traditional Chinese sentences; standard Chinese is
    never taken for Cantonese (the full figures: benchmarks/language.py)."""
    def texts(name, n):
        lines = (REAL_DEV / name / "records.jsonl").read_text(encoding="utf-8").splitlines()
        return [json.loads(line)["text"] for line in lines[:n]]
    assert all(DETECT.detect(t) == "en" for t in texts("tab_train", 20))
    zh = [DETECT.detect(t) for t in texts("uner_zh_gsd_train", 400)]
    assert zh.count("zh-Hant") >= 0.98 * len(zh) and "yue" not in zh


def test_detect_language_step_sets_the_column_from_text_fields():
    record = tagged({"id": 1, "body": "我哋聽日見，唔該晒。", "other": "English words here"})
    assert record[P.LANGUAGE] == "yue"
    assert tagged({"id": 2, "body": None})[P.LANGUAGE] == "und"
    assert P.LANGUAGE in P.COLUMNS


# -- TDM opt-outs ---------------------------------------------------------------------

@pytest.mark.parametrize("row, declared, reason", [
    ({"tdm_reservation": 1}, {}, Reason.TDM_RESERVED),
    ({"tdm_reservation": "1"}, {}, Reason.TDM_RESERVED),
    ({}, {"tdm_reservation": 1}, Reason.TDM_RESERVED),
    ({"tdm_policy": "https://example.org/tdm.json"}, {}, Reason.TDM_POLICY),
    ({"robots_opt_out": True}, {}, Reason.TDM_ROBOTS),
    ({"tdm_opt_out": "yes"}, {}, Reason.TDM_OPT_OUT),
    ({"tdm_reservation": "maybe"}, {}, Reason.TDM_RESERVED),   # unreadable: fail closed
])
def test_tdm_reservations_are_quarantined_with_their_basis(row, declared, reason):
    src = source(**declared)
    record = tagged({"id": 1, "body": "x", **row}, src)
    with pytest.raises(RecordRejected) as exc:
        TdmGate(Policy(name="t"), src).process(record)
    assert exc.value.reason == reason and "example.org" not in exc.value.message


def test_tdm_gate_passes_unreserved_licensed_and_not_honoured():
    src = source(tdm_reservation=1)
    url = "https://example.org/tdm.json"
    # the row says 0: not reserved, whatever the source declared
    record = TdmGate(Policy(name="t"), src).process(tagged({"id": 1, "tdm_reservation": 0}, src))
    assert "tdm_reservation" not in record
    licensed = Policy(name="t", tdm={"licensed_policies": [url]})
    TdmGate(licensed, src).process(tagged({"id": 2, "tdm_policy": url}, src))
    TdmGate(Policy(name="t", tdm={"honour": False}), src).process(tagged({"id": 3}, src))


# -- generation markers and origins ---------------------------------------------------

def test_generation_markers_on_records_declared_human():
    policy = Policy(name="t", synthetic={"markers": [{"column": "watermark"},
                                                     {"column": "client", "values": ["ChatGPT"]}]})
    gate = GenerationGate(policy)
    gate.process(tagged({"id": 1, "client": "Outlook", "watermark": ""}))
    for row in ({"watermark": "synthid:abc"}, {"client": "chatgpt-4o"}):
        with pytest.raises(RecordRejected) as exc:
            gate.process(tagged({"id": 2, **row}))
        assert exc.value.reason == Reason.GENERATED_AS_HUMAN and "synthid" not in exc.value.message
    # declared model-generated: the marker is expected, the record stays
    gate.process(tagged({"id": 3, "origin": "model-generated", "client": "ChatGPT"}))
    with pytest.raises(RecordRejected) as exc:
        gate.process(tagged({"id": 4, "origin": "robot"}))
    assert exc.value.reason == Reason.UNKNOWN_ORIGIN


# -- policy -----------------------------------------------------------------------------

def test_policy_sections_point_at_file_and_line(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("name: p\nrepresentation:\n  min_share: {en: 0.7, zh-Hant: 0.6}\n")
    with pytest.raises(ConfigError) as exc:
        load_policy(bad)
    assert str(exc.value).startswith(f"{bad}:3") and "add up to more than 1" in str(exc.value)
    bad.write_text("name: p\nsynthetic:\n  max_share: {robot: 0.1}\n")
    with pytest.raises(ConfigError) as exc:
        load_policy(bad)
    assert f"{bad}:3" in str(exc.value)


def test_default_policy_honours_tdm_and_sets_no_thresholds():
    policy = load_policy(REPO / "policies/default.yaml")
    assert policy.tdm.honour and policy.representation.min_share == {}
    assert {"representation", "synthetic_content"} <= set(policy.validation.blocking_suites)


# -- representation aggregates ----------------------------------------------------------

def test_groups_are_taken_before_the_gates_and_counted():
    policy = Policy(name="t", representation={"columns": ["district", "age_band"]})
    record = TakeGroups(policy).process(tagged(
        {"id": 1, "body": "hello there my friend", "district": "Sha Tin",
         "licence": "CC-BY-NC-4.0"}))
    assert dict(record[GROUPS]) == {"_source": "s", "_language": "en", "_origin": "human",
                                    "_licence_use": "non-commercial", "district": "Sha Tin",
                                    "age_band": "(missing)"}
    counter = GroupCounts(["district", "age_band"])
    acc = counter.add_input(counter.create_accumulator(), dict(record))
    record["district"] = "changed by a gate"  # counted as tagged, whatever happens after
    acc = counter.merge_accumulators([acc, counter.add_input(counter.create_accumulator(), record)])
    counts = counter.extract_output(acc)
    assert counts["district"] == {"Sha Tin": 2} and counts["_language"] == {"en": 2}
    assert GROUPS not in finish(record)
    assert counter.extract_output(counter.create_accumulator())["district"] == {}


def test_small_cells_are_suppressed_and_gaps_measured():
    groups = {"Sha Tin": {"read": 40, "written": 30}, "Tai O": {"read": 3, "written": 3},
              "Central": {"read": 20, "written": 2}, "Wan Chai": {"read": 30, "written": 30}}
    kept, n = _suppress(groups, 5)
    assert n == 2 and "Tai O" not in kept and "Central" not in kept
    assert kept["(suppressed)"] == {"read": 23, "written": 5, "groups": 2}
    kept, _ = _suppress({"a": {"read": 9, "written": 9}, "b": {"read": 2, "written": 1}}, 5)
    assert kept["(suppressed)"]["read"] is None  # a small merged group hides its counts
    gap = drop_rates({"en": {"read": 100, "written": 90}, "yue": {"read": 50, "written": 30},
                      "ja": {"read": 3, "written": 0}}, 20)
    assert gap["gap"] == 0.3 and (gap["highest"], gap["lowest"]) == ("yue", "en")


def test_check_dry_run_counts_tdm_opt_outs_and_markers():
    import datetime as dt

    from pipelines.preflight.dryrun import gate_sample
    from pipelines.read.formats import RawRow
    policy = Policy(name="t", synthetic={"markers": [{"column": "watermark"}]},
                    consent={"lawful_bases": ["public-domain"], "require_purpose_for": []})
    src = source(consent={"basis": "public-domain"})
    rows = [RawRow(i, {"id": i, "body": "hello there", **extra})
            for i, extra in enumerate([{}, {"tdm_opt_out": True}, {"watermark": "x"}])]
    result = gate_sample(src, rows, policy, dt.date(2026, 1, 1))
    assert dict(result.reasons) == {"TDM_OPT_OUT": 1, "GENERATED_AS_HUMAN": 1}


def test_check_dry_run_counts_a_repeated_id_as_the_run_quarantines_it():
    """Duplicate ids within a source (issue 31): `check` said nothing was blocking. A
    record that passes with the id of an earlier one that passed is a DUPLICATE_ID; one
    that fails a gate first leaves the id to the next."""
    import datetime as dt

    from pipelines.preflight.dryrun import gate_sample
    from pipelines.read.formats import RawRow
    policy = Policy(name="t", consent={"lawful_bases": ["public-domain"],
                                       "require_purpose_for": []})
    src = source(consent={"basis": "public-domain"}, licence="CC0-1.0")
    rows = [RawRow(i, {"id": key, "body": "hello there", **extra})
            for i, (key, extra) in enumerate([("a", {}), ("a", {}), ("b", {"tdm_opt_out": True}),
                                              ("b", {}), ("a", {}), ("c", {})])]
    result = gate_sample(src, rows, policy, dt.date(2026, 1, 1))
    assert dict(result.reasons) == {"DUPLICATE_ID": 2, "TDM_OPT_OUT": 1}
