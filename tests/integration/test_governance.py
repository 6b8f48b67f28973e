"""Governance end to end on generated data, with the real Beam pipeline, Great
Expectations, certificate and report: languages counted before and after the gates,
TDM opt-outs and generation markers quarantined with their reasons, small cells of a
policy-named column suppressed, and the report's representation and risk sections."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from faker import Faker

from expectations import load_dataset, validate
from privenance.policy import load_policy
from tests.helpers import privenance

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
RARE_DISTRICT = "Tai O"  # 2 records: below min_cell, must never be shown

SOURCES = """
sources:
  - id: hk-chats
    path: data/raw/chats.jsonl
    id_field: id
    text_fields: [text]
    licence: CC-BY-4.0
    attribution: "Example chats"
    consent: {basis: legitimate-interests}
    region: HK
  - id: mt-news
    path: data/raw/news.jsonl
    id_field: id
    text_fields: [text]
    licence: CC0-1.0
    consent: {basis: public-domain}
    origin: machine-translated
    region: CN
"""

POLICY = """
extends: default.yaml
name: governance-test
representation:
  columns: [district]
  min_cell: 5
  min_share: {en: 0.1}
  max_drop_rate_gap: 0.9
  min_group_records: 5
synthetic:
  max_share: {machine-translated: 0.5}
  markers: [{column: client, values: [ChatGPT]}]
"""


def write_corpus(root: Path) -> dict:
    fake_en, fake_tw, fake_cn = Faker("en_US"), Faker("zh_TW"), Faker("zh_CN")
    for f in (fake_en, fake_tw, fake_cn):
        f.seed_instance(11)
    chats = []
    for i in range(30):
        kind = ("yue", "zh-Hant", "en")[i % 3]
        text = {"yue": f"我哋聽日喺{fake_tw.city()}見，佢話唔該晒，冇問題。",
                "zh-Hant": fake_tw.paragraph(3), "en": fake_en.paragraph(3)}[kind]
        row = {"id": f"c{i}", "text": text, "district": "Sha Tin" if i < 16 else "Wan Chai",
               "client": "Outlook"}
        chats.append(row)
    chats[28]["district"] = chats[29]["district"] = RARE_DISTRICT
    chats[0]["tdm_reservation"] = 1
    chats[1]["robots_opt_out"] = True
    chats[2]["client"] = "ChatGPT-4o"          # declared human, marked generated
    news = [{"id": f"n{i}", "text": fake_cn.paragraph(3)} for i in range(8)]
    news[0]["tdm_opt_out"] = True
    (root / "data/raw").mkdir(parents=True)
    for name, rows in (("chats", chats), ("news", news)):
        (root / f"data/raw/{name}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return {"chats": chats, "news": news}


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    root = tmp_path_factory.mktemp("governance")
    shutil.copytree(REPO / "policies", root / "policies")
    (root / "policies/governance.yaml").write_text(POLICY)
    corpus = write_corpus(root)
    (root / "data/sources.yaml").write_text(SOURCES)
    args = ("--policy", "policies/governance.yaml")
    privenance("run", *args, "--as-of", "2026-11-25", cwd=root)
    privenance("validate", cwd=root)
    privenance("certify", "--name", "gov", cwd=root)
    privenance("report", "--name", "gov", cwd=root)
    return root, corpus


def test_run_counts_groups_and_quarantines_opt_outs_and_markers(reported):
    root, _ = reported
    run = json.loads((root / "data/staged/run.json").read_text())
    assert run["quarantine_reasons"] == {"GENERATED_AS_HUMAN": 1, "TDM_OPT_OUT": 1,
                                         "TDM_RESERVED": 1, "TDM_ROBOTS": 1}
    assert run["tdm_opt_outs"] == {"total": 3, "by_basis": {
        "TDM_RESERVED": 1, "TDM_ROBOTS": 1, "TDM_OPT_OUT": 1}}
    rep = run["representation"]
    languages = rep["groups"]["_language"]
    assert {k: v["read"] for k, v in languages.items()} == {"yue": 10, "zh-Hant": 10, "en": 10,
                                                          "zh-Hans": 8}
    assert languages["yue"]["quarantined"] == 1 and languages["zh-Hans"]["quarantined"] == 1
    assert sum(v["read"] for v in rep["groups"]["_source"].values()) == run["totals"]["read"] == 38
    districts = rep["groups"]["district"]
    assert RARE_DISTRICT not in districts and rep["suppressed_groups"]["district"] == 1
    assert districts["(suppressed)"]["read"] is None  # 2 records: the counts are hidden too
    # counted in the certified data too: the policy's columns reach the output
    assert districts["Sha Tin"] == {"read": 16, "written": 13, "quarantined": 3}
    dataset = pq.read_table(root / "data/staged/dataset")
    assert set(dataset.column("_language").to_pylist()) == {"yue", "zh-Hant", "en", "zh-Hans"}
    quarantine = pq.read_table(root / "data/staged/quarantine")
    assert "district" not in quarantine.column_names
    assert not any("ChatGPT" in str(v) for v in quarantine.column("message").to_pylist())


def test_suites_pass_and_fail_on_the_policy_thresholds(reported):
    root, _ = reported
    summary = json.loads((root / "data/validation/summary.json").read_text())
    assert summary["suites"]["representation"]["success"]
    assert summary["suites"]["synthetic_content"]["success"]
    run = json.loads((root / "data/staged/run.json").read_text())
    strict = root / "policies/strict.yaml"
    strict.write_text(POLICY.replace("{en: 0.1}", "{en: 0.5}").replace("0.9", "0.01")
                      .replace("{machine-translated: 0.5}", "{machine-translated: 0.1}"))
    result = validate(load_dataset(root / "data/staged/dataset"), load_policy(strict), run)
    assert result["suites"]["representation"]["failed_expectations"] == [
        "expect_column_values_to_be_in_set(_language)",
        "expect_column_max_to_be_between(_check_drop_rate_gap_language)",
        "expect_column_max_to_be_between(_check_drop_rate_gap_source)"]
    assert not result["suites"]["synthetic_content"]["success"]


def test_report_croissant_and_certificate(reported):
    root, corpus = reported
    facts = json.loads((root / "data/reports/report.json").read_text())
    gov = facts["governance"]
    assert [a["attribute"] for a in gov["representation"]["attributes"]] == [
        "_source", "_language", "_origin", "_licence_use", "district"]
    risk = gov["risk"]
    assert risk["risk_factors"]["cross_border_sources"] == ["mt-news"]
    assert risk["risk_factors"]["risk_level"] == "high"
    assert risk["human_oversight"]["level"] == "human-out-of-the-loop"
    assert any("Cross-border" in r for r in risk["residual_risks"])
    assert gov["synthetic"]["generated_as_human"] == 1
    page = (root / "data/reports/report.html").read_text(encoding="utf-8")
    for heading in ("Representation (fairness and bias)", "By language", "Text-and-data-mining "
                    "opt-outs", "Synthetic and generated content", "Risk assessment",
                    "Residual risks", "human-out-of-the-loop"):
        assert heading in page, heading
    everything = page + json.dumps(facts, ensure_ascii=False)
    assert RARE_DISTRICT not in everything and "ChatGPT" not in everything
    assert "<script" not in page and "http" not in page.split("</style>", 1)[1].split("Data Docs")[0]
    cert = json.loads((root / "data/certified/gov/.certificate.json").read_text())
    assert cert["tdm_opt_outs"]["total"] == 3
    croissant = json.loads((root / "data/reports/croissant.json").read_text())
    assert any("Text-and-data-mining opt-outs: 3 record(s)" in step
               for step in croissant["rai:dataPreprocessingProtocol"])
    assert "machine-translated 7" in croissant["rai:dataManipulationProtocol"]
    assert any(b.startswith("Languages detected") and "yue 26.5 % (removed 10.0 %)" in b
               for b in croissant["rai:dataBiases"])
    fields = {f["name"] for f in croissant["recordSet"][0]["field"]}
    assert "_language" in fields
