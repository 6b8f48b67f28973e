"""Hong Kong governance fields: the policy's risk tier and human oversight, each source's
collection statement and transfer mechanism; what `check` says is missing and what the
risk assessment shows."""
from __future__ import annotations

import pytest

from pipelines.preflight.dryrun import CheckReport, governance_gaps
from privenance.errors import ConfigError
from privenance.policy import load_policy
from privenance.sources import SourcesManifest
from lineage.governance import risk_section
from tests.helpers import REPO


def _policy(tmp_path, body: str):
    path = tmp_path / "p.yaml"
    path.write_text(f"name: p\nextends: {REPO / 'policies/default.yaml'}\n{body}")
    return load_policy(path)


def test_high_risk_without_sign_off_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="approvals.required"):
        _policy(tmp_path, "risk: {tier: high}\n")
    with pytest.raises(ConfigError, match="review"):
        _policy(tmp_path, "risk: {tier: high}\napprovals: {required: [privacy-officer]}\n")
    assert _policy(tmp_path, "risk: {tier: high}\napprovals: {required: [privacy-officer]}\n"
                   "review: {max_leak_rate: 0.05}\n").risk.tier == "high"
    with pytest.raises(ConfigError, match="tier"):
        _policy(tmp_path, "risk: {tier: severe}\n")
    for preset in ("finance", "health", "government", "securities"):
        assert load_policy(REPO / f"policies/{preset}.yaml").risk.tier == "high"


def test_check_names_what_is_missing(tmp_path):
    manifest = SourcesManifest.model_validate({"sources": [
        {"id": "chats", "path": "chats.jsonl", "licence": "CC0-1.0",
         "collection_statement": {"reference": "https://example.com/pics", "version": "3"}},
        {"id": "vendor", "path": "vendor.jsonl", "licence": "CC0-1.0", "region": "CN"},
        {"id": "gba", "path": "gba.jsonl", "licence": "CC0-1.0", "region": "CN-GD",
         "transfer_mechanism": "gba-standard-contract"}]})
    report = CheckReport([], [], [], [])
    governance_gaps(manifest, _policy(tmp_path, ""), report)
    assert any("risk tier" in n for n in report.notes)
    assert [n for n in report.notes if "collection_statement" in n] == [
        "source vendor: no collection_statement (the personal information collection statement "
        "it was collected under)",
        "source gba: no collection_statement (the personal information collection statement "
        "it was collected under)"]
    assert len(report.problems) == 1 and "source vendor: held in CN" in report.problems[0]
    report = CheckReport([], [], [], [])
    governance_gaps(manifest, _policy(tmp_path, "risk: {tier: unacceptable}\n"), report)
    assert any("certify will refuse" in p for p in report.problems)


def test_risk_assessment_shows_tier_statements_and_mechanisms():
    run = {"totals": {"read": 10, "written": 10, "quarantined": 0}, "pii": {}, "sources": [],
           "policy": {"sector": "general"}, "governance": {
               "risk_tier": "limited", "human_oversight": "human-on-the-loop",
               "source_regions": {"a": "HK", "b": "SG"},
               "collection_statements": {"a": {"reference": "PICS-7", "version": "2"}, "b": None},
               "transfer_mechanisms": {"a": None, "b": None}}}
    risk = risk_section(run, {})
    assert risk["hong_kong"]["risk_tier"] == "limited"
    assert risk["hong_kong"]["transfer_mechanisms"] == {"b": None}
    assert risk["human_oversight"]["level"] == "human-on-the-loop"
    assert "Cross-border sources without a declared transfer mechanism: b." in risk["residual_risks"]
