"""The report's governance sections computed from a run record (lineage/governance.py)."""
from __future__ import annotations

from lineage import governance


def run_record(**governance_facts) -> dict:
    facts = {"approvals_required": [], "k_anonymity": {"k": 1, "quasi_identifiers": []},
             "residual_action": "quarantine", "retention_enforced": True, "tdm_honoured": True,
             "minimisation": {"allowed": [], "drop": []}, "synthetic_limits": {},
             "generation_markers": [], "home_region": "HK", "special_categories": [],
             "high_volume": 100_000, "source_regions": {"a": "HK"}, "remote_sources": [],
             "representation_thresholds": {"min_share": {}, "max_drop_rate_gap": None}}
    facts.update(governance_facts)
    groups = {"_origin": {"human": {"read": 10, "written": 8, "quarantined": 2},
                          "model-generated": {"read": 4, "written": 4, "quarantined": 0}}}
    return {"totals": {"read": 14, "written": 12, "quarantined": 2},
            "policy": {"name": "p", "sector": "general"},
            "sources": [{"id": "a", "output_columns": ["body"]}],
            "pii": {"PERSON": {"keep": 3}}, "operators": {"PERSON": "keep"},
            "quarantine_reasons": {"TDM_RESERVED": 2},
            "tdm_opt_outs": {"total": 2, "by_basis": {"TDM_RESERVED": 2}},
            "representation": {"attributes": ["_origin"], "groups": groups, "min_cell": 5,
                               "suppressed_groups": {}, "tagged": 14,
                               "drop_rates": {"_origin": {"rates": {}, "gap": 0.0,
                                                          "highest": None, "lowest": None}}},
            "governance": facts}


def test_low_risk_run_without_sign_off():
    risk = governance.risk_section(run_record(), {"licence": {"success": True}})
    assert risk["risk_factors"]["risk_level"] == "medium"   # names found, nothing special
    assert risk["human_oversight"]["level"] == "human-out-of-the-loop"
    residual = " ".join(risk["residual_risks"])
    assert "kept as they were: PERSON" in residual
    assert "4 generated or translated records and no limit" in residual
    assert "No quasi-identifiers declared" in residual


def test_special_categories_cross_border_and_oversight():
    record = run_record(approvals_required=["privacy-officer"], special_categories=["children"],
                        source_regions={"a": "CN", "b": None},
                        k_anonymity={"k": 1, "quasi_identifiers": ["district"]},
                        residual_action="flag", synthetic_limits={"model-generated": 0.5})
    record["policy"]["sector"] = "health"
    risk = governance.risk_section(record, {"k_anonymity": {"success": False}})
    factors = risk["risk_factors"]
    assert factors["special_categories"] == ["children", "health"]
    assert factors["cross_border_sources"] == ["a"] and factors["sources_of_unknown_region"] == ["b"]
    assert factors["risk_level"] == "high"
    assert risk["human_oversight"]["level"] == "human-in-the-loop"
    residual = " ".join(risk["residual_risks"])
    assert "k-anonymity is 1" in residual and "kept and flagged" in residual
    assert "Validation suites failed: k_anonymity" in residual
    assert "without human sign-off" not in residual and "no limit" not in residual


def test_sections_render_without_scripts():
    data = governance.sections(run_record(), {})
    assert data["tdm"] == {"honoured": True, "total": 2, "by_basis": {"TDM_RESERVED": 2}}
    assert data["synthetic"]["origins"][1] == {"origin": "model-generated", "read": 4,
                                               "written": 4, "share_written": 0.3333}
    page = governance.render(data)
    assert "Risk assessment" in page and "TDM_RESERVED" in page and "<script" not in page
    assert "Validation has not run" in " ".join(data["risk"]["residual_risks"])


def test_k_anonymity_over_no_columns_is_not_checked_not_a_pass():
    from lineage.report import checklist_section
    data = governance.sections(run_record(), {"k_anonymity": {"success": True}})
    page = governance.render(data)
    row = page[page.index("k-anonymity</td>"):].split("</tr>")[0]
    assert "not checked" in row and "badge ok" not in row and "over no columns" not in row
    facts = {"validation": {"k_anonymity": {"success": True, "evaluated": 1, "failed": 0}},
             "governance": data, "data_docs": None}
    checklist = checklist_section(facts)
    assert "not checked" in checklist and "badge ok" not in checklist
    checked = governance.sections(run_record(k_anonymity={"k": 5, "quasi_identifiers": ["d"]}),
                                  {"k_anonymity": {"success": True}})
    row = governance.render(checked)
    row = row[row.index("k-anonymity</td>"):].split("</tr>")[0]
    assert "k = 5 over d" in row and "badge ok" in row
