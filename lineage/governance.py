"""The report's governance sections (Hong Kong generative-AI framework): who is in the
data (representation, fairness and bias), text-and-data-mining opt-outs, synthetic
and generated content, and a risk assessment under the headings of the PCPD's
"Artificial Intelligence: Model Personal Data Protection Framework" (2024).

Computed from run.json (its ``representation``, ``tdm_opt_outs`` and ``governance``
blocks, counts and operators) and the validation summary: counts, codes and policy
settings only, never record values; cells of policy-named columns smaller than the
policy's ``min_cell`` were suppressed when the run counted them.
"""
from __future__ import annotations

from dataclasses import dataclass

from lineage.html import esc
from privenance.contracts import GovernanceFacts, RunRecord
from privenance.errors import Reason, explain
from privenance.plugins import pseudonymizes

# what each entity says about the data's sensitivity
ENTITY_CATEGORIES = {
    "HK_ID": "identity documents", "US_PASSPORT": "identity documents",
    "US_SSN": "identity documents", "US_DRIVER_LICENSE": "identity documents",
    "CREDIT_CARD": "financial", "IBAN_CODE": "financial", "US_BANK_NUMBER": "financial",
    "MEDICAL_LICENSE": "health",
    "PERSON": "names", "EMAIL_ADDRESS": "contact details", "PHONE_NUMBER": "contact details",
    "STREET_ADDRESS": "contact details", "IP_ADDRESS": "online identifiers",
}
SPECIAL = ("financial", "health", "identity documents", "biometrics", "children")
SECTOR_CATEGORIES = {"finance": ["financial"], "securities": ["financial"], "health": ["health"]}
ATTRIBUTE_NAMES = {"_source": "source", "_language": "language", "_origin": "origin",
                   "_licence_use": "licence use"}


def _share(n, total) -> float | None:
    return round(n / total, 4) if n is not None and total else None


def _success(suites: dict, name: str) -> bool | None:
    """A suite's result in the validation summary's ``suites`` (None: it did not run)."""
    return (suites.get(name) or {}).get("success")


def representation_section(run: RunRecord | dict, suites: dict) -> dict:
    """Distribution over each attribute before (read) and after (written) the gates,
    drop rate per group and the widest gap, with the thresholds and suite result."""
    run = RunRecord.of(run)
    rep = run.representation
    if not rep:
        return {"available": False}
    attributes = []
    for attribute in rep["attributes"]:
        groups = rep["groups"].get(attribute, {})
        read = sum(c["read"] or 0 for c in groups.values())
        written = sum(c["written"] or 0 for c in groups.values())
        attributes.append({
            "attribute": attribute, "name": ATTRIBUTE_NAMES.get(attribute, attribute),
            "suppressed_groups": rep["suppressed_groups"].get(attribute, 0),
            "groups": [{"value": v, "read": c["read"], "written": c["written"],
                        "quarantined": c["quarantined"],
                        "share_read": _share(c["read"], read),
                        "share_written": _share(c["written"], written),
                        "drop_rate": _share(c["quarantined"], c["read"])}
                       for v, c in groups.items()],
            "drop_rate_gap": rep["drop_rates"][attribute]})
    return {"available": True, "attributes": attributes, "min_cell": rep["min_cell"],
            "tagged": rep["tagged"], "read": run.totals.read,
            "thresholds": run.governance.representation_thresholds,
            "suite": _success(suites, "representation")}


def tdm_section(run: RunRecord | dict) -> dict:
    run = RunRecord.of(run)
    tdm = run.tdm_opt_outs or {"total": 0, "by_basis": {}}
    return {"honoured": run.governance.tdm_honoured, **tdm}


def _origins(run: RunRecord) -> dict:
    """The run's counts per origin (human, synthetic, ...), from its representation."""
    return (run.representation.get("groups") or {}).get("_origin", {})


def synthetic_section(run: RunRecord | dict, suites: dict) -> dict:
    run = RunRecord.of(run)
    origins = _origins(run)
    written = sum(c["written"] for c in origins.values())
    gov, reasons = run.governance, run.quarantine_reasons
    return {"origins": [{"origin": o, "read": c["read"], "written": c["written"],
                         "share_written": _share(c["written"], written)}
                        for o, c in origins.items()],
            "limits": gov.synthetic_limits, "markers": gov.generation_markers,
            "generated_as_human": reasons.get(Reason.GENERATED_AS_HUMAN.value, 0),
            "unknown_origin": reasons.get(Reason.UNKNOWN_ORIGIN.value, 0),
            "suite": _success(suites, "synthetic_content")}


def _regions(gov: GovernanceFacts) -> tuple[list[str], list[str]]:
    """The sources outside the home region, and those whose region is not declared."""
    home, regions = gov.home_region, gov.source_regions
    return (sorted(s for s, r in regions.items() if r and r.split("-")[0] != home),
            sorted(s for s, r in regions.items() if not r))


def _volume(read: int, high: int) -> str:
    return "high" if read >= high else "medium" if read >= high // 10 else "low"


@dataclass
class Exposure:
    """What the risk assessment weighs, worked out once from the run."""

    found: dict[str, int]          # entity -> findings treated
    categories: list[str]
    special: list[str]
    cross_border: list[str]
    unknown_region: list[str]
    volume: str                    # low, medium or high
    generated: int                 # records written that are not human-authored
    level: str                     # the overall risk level: low, medium or high

    @classmethod
    def of(cls, run: RunRecord) -> Exposure:
        gov = run.governance
        found = {e: sum(ops.values()) for e, ops in run.pii.items()}
        categories = sorted({ENTITY_CATEGORIES.get(e, "other identifiers") for e in found})
        special = sorted({c for c in categories if c in SPECIAL}
                         | set(SECTOR_CATEGORIES.get(run.policy.sector, []))
                         | set(gov.special_categories))
        cross_border, unknown_region = _regions(gov)
        volume = _volume(run.totals.read, gov.high_volume)
        generated = sum(c["written"] for o, c in _origins(run).items() if o != "human")
        level = ("high" if special or cross_border or volume == "high"
                 else "medium" if found or unknown_region or volume == "medium" else "low")
        return cls(found, categories, special, cross_border, unknown_region, volume,
                   generated, level)


def _risk_factors(run: RunRecord, x: Exposure) -> dict:
    return {"volume": {"read": run.totals.read, "written": run.totals.written,
                       "level": x.volume},
            "entities_found": dict(sorted(x.found.items())), "categories": x.categories,
            "special_categories": x.special, "cross_border_sources": x.cross_border,
            "sources_of_unknown_region": x.unknown_region,
            "remote_sources": run.governance.remote_sources,
            "generated_records": x.generated, "risk_level": x.level}


def _human_oversight(gov: GovernanceFacts) -> dict:
    roles = gov.approvals_required
    return {"approvals_required": roles,
            # the level the policy declares, else the one its sign-offs imply
            "level": gov.human_oversight or ("human-in-the-loop" if roles
                                             else "human-out-of-the-loop"),
            "declared": gov.human_oversight is not None,
            "meaning": (f"a certified version needs sign-off by {', '.join(roles)}" if roles
                        else "no one signs off before a version is certified")}


def _mitigations(run: RunRecord, x: Exposure, suites: dict) -> dict:
    gov, reasons, k = run.governance, run.quarantine_reasons, run.governance.k_anonymity
    return {
        "anonymization": [{"entity": e, "operator": run.operators.get(e, "replace"),
                           "treated": n} for e, n in sorted(x.found.items())],
        "residual_scan": {"action": gov.residual_action,
                          "quarantined": reasons.get(Reason.RESIDUAL_PII.value, 0)},
        # k = 1, or no quasi-identifier declared: nothing was checked, whatever the suite says
        "k_anonymity": {**k, "checked": bool(k["quasi_identifiers"]) and k["k"] > 1,
                        "suite": _success(suites, "k_anonymity")},
        "minimisation": {**gov.minimisation,
                         "output_columns": {s.id: s.output_columns for s in run.sources}},
        "retention_enforced": gov.retention_enforced,
        "tdm_opt_outs_honoured": gov.tdm_honoured,
        "quarantined_by_reason": dict(sorted(reasons.items())),
        "validation": {name: s.get("success") for name, s in sorted(suites.items())},
    }


def _treatment_risks(run: RunRecord, x: Exposure) -> list[str]:
    """What anonymization leaves: detection misses, entities kept, pseudonyms, no residual
    scan, re-identification through quasi-identifiers."""
    gov, operators, k = run.governance, run.operators, run.governance.k_anonymity
    risks = []
    if x.found:
        risks.append("Free text is anonymized by automatic detection, which misses some "
                     "identifiers (misspelt or unusual names, new formats).")
    kept = sorted(e for e in x.found if operators.get(e) == "keep")
    if kept:
        risks.append(f"Entities found and kept as they were: {', '.join(kept)}.")
    reversible = sorted(e for e in x.found if pseudonymizes(operators.get(e)))
    if reversible:
        risks.append("Pseudonymized, not anonymous: whoever holds the key can link or "
                     f"reverse {', '.join(reversible)}.")
    if gov.residual_action != "quarantine":
        risks.append(f"Records with identifiers left after anonymization are "
                     f"{'kept and flagged' if gov.residual_action == 'flag' else 'not checked'}.")
    if k.get("quasi_identifiers") and k.get("k", 1) < 2:
        risks.append("Quasi-identifiers are declared but k-anonymity is 1: combinations can "
                     "single people out.")
    if not k.get("quasi_identifiers"):
        risks.append("No quasi-identifiers declared: re-identification by combining columns "
                     "is not checked.")
    return risks


def _place_risks(gov: GovernanceFacts, x: Exposure) -> list[str]:
    """Where the data comes from: cross-border sources, transfer mechanisms, regions."""
    risks = []
    if x.cross_border:
        risks.append(f"Cross-border sources (outside {gov.home_region}): "
                     f"{', '.join(x.cross_border)}.")
    unprotected = [s for s in x.cross_border if not gov.transfer_mechanisms.get(s)]
    if unprotected:
        risks.append("Cross-border sources without a declared transfer mechanism: "
                     f"{', '.join(unprotected)}.")
    if not gov.risk_tier:
        risks.append("The policy does not state the AI use's risk tier (risk.tier).")
    if x.unknown_region:
        risks.append(f"Sources whose region is not declared: {', '.join(x.unknown_region)}.")
    return risks


def _oversight_risks(gov: GovernanceFacts, x: Exposure, suites: dict) -> list[str]:
    """What no one or nothing checked: sign-off, generated content, validation."""
    risks = []
    if x.level == "high" and not gov.approvals_required:
        risks.append("High-risk data certified without human sign-off (the PCPD framework "
                     "calls for human-in-the-loop oversight at this level).")
    if x.generated and not gov.synthetic_limits:
        risks.append(f"{x.generated} generated or translated records and no limit on their share.")
    if not suites:
        risks.append("Validation has not run: the principles' checks are not shown to hold.")
    failed = sorted(n for n, s in suites.items() if s.get("success") is False)
    if failed:
        risks.append(f"Validation suites failed: {', '.join(failed)}.")
    return risks


def risk_section(run: RunRecord | dict, suites: dict) -> dict:
    """Risk factors, the human oversight the policy implies, mitigations and residual
    risks, each worked out from the run; nothing here is typed by hand."""
    run = RunRecord.of(run)
    gov, x = run.governance, Exposure.of(run)
    return {"framework": "PCPD, Artificial Intelligence: Model Personal Data Protection "
                         "Framework (2024)",
            "risk_factors": _risk_factors(run, x), "human_oversight": _human_oversight(gov),
            "hong_kong": {"risk_tier": gov.risk_tier,
                          "collection_statements": gov.collection_statements,
                          "transfer_mechanisms": {s: gov.transfer_mechanisms.get(s)
                                                  for s in x.cross_border}},
            "mitigations": _mitigations(run, x, suites),
            "residual_risks": (_treatment_risks(run, x) + _place_risks(gov, x)
                               + _oversight_risks(gov, x, suites))}


def sections(run: RunRecord | dict, suites: dict) -> dict:
    """The report.json data of every governance section."""
    run = RunRecord.of(run)
    return {"representation": representation_section(run, suites), "tdm": tdm_section(run),
            "synthetic": synthetic_section(run, suites), "risk": risk_section(run, suites)}


# -- HTML ---------------------------------------------------------------------------

def _pct(share) -> str:
    return "—" if share is None else f"{100 * share:.1f} %"


def _bar(share, color: str) -> str:
    """A CSS bar (no scripts, no images)."""
    width = 0 if share is None else max(1, round(100 * share))
    return (f'<div style="background:#e4e7eb;border-radius:3px;width:120px;height:10px">'
            f'<div style="background:{color};width:{width}%;height:10px;border-radius:3px"></div></div>')


def _rows(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    return (f"<table><thead><tr>{head}</tr></thead><tbody>"
            + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
            + "</tbody></table>")


def _result(ok) -> str:
    if ok is None:
        return '<span class="badge warn">not run</span>'
    return f'<span class="badge {"ok" if ok else "bad"}">{"pass" if ok else "fail"}</span>'


def render(data: dict) -> str:
    """The governance sections as an HTML fragment for the lineage report."""
    return "".join(make({"governance": data}) for make in SECTIONS)


def _of(facts: dict) -> dict:
    """The report facts' governance data (computed when the facts lack it)."""
    return facts.get("governance") or sections(facts["run"], facts.get("validation") or {})


def representation_html(facts: dict) -> str:
    return _render_representation(_of(facts)["representation"])


def tdm_html(facts: dict) -> str:
    return _render_tdm(_of(facts)["tdm"])


def synthetic_html(facts: dict) -> str:
    return _render_synthetic(_of(facts)["synthetic"])


def risk_html(facts: dict) -> str:
    return _render_risk(_of(facts)["risk"])


# the report's sections (lineage/report.py puts them before the run metadata): each
# takes the report's facts and returns one <section>
SECTIONS = [representation_html, tdm_html, synthetic_html, risk_html]


def _render_representation(rep: dict) -> str:
    if not rep.get("available"):
        return ('<section><h2>Representation (fairness and bias)</h2><p class="muted">This run '
                "recorded no representation counts.</p></section>")
    parts = []
    for a in rep["attributes"]:
        gap = a["drop_rate_gap"]
        rows = [[esc(g["value"]), esc(g["read"] if g["read"] is not None else f"<{rep['min_cell']}"),
                 _bar(g["share_read"], "#9fb3c8") + _pct(g["share_read"]),
                 esc(g["written"] if g["written"] is not None else f"<{rep['min_cell']}"),
                 _bar(g["share_written"], "#2680c2") + _pct(g["share_written"]),
                 _bar(g["drop_rate"], "#d64545") + _pct(g["drop_rate"])] for g in a["groups"]]
        note = (f' {a["suppressed_groups"]} group(s) of fewer than {rep["min_cell"]} records '
                "suppressed." if a["suppressed_groups"] else "")
        parts.append(f"<h3>By {esc(a['name'])}</h3>"
                     + _rows(["group", "before the gates", "share", "certified data", "share",
                              "removed by the gates"], rows)
                     + f'<p class="muted">Widest gap in the share removed: {_pct(gap["gap"])}'
                     + (f' ({esc(gap["highest"])} against {esc(gap["lowest"])})' if gap["highest"] else "")
                     + f".{note}</p>")
    th = rep["thresholds"]
    limits = ", ".join([f"{esc(k)} at least {_pct(v)}" for k, v in th.get("min_share", {}).items()]
                       + ([f"drop-rate gap at most {_pct(th['max_drop_rate_gap'])}"]
                          if th.get("max_drop_rate_gap") is not None else [])) or "none set"
    return ("<section><h2>Representation (fairness and bias)</h2>"
            f"<p>Records before the policy gates (tagged: {rep['tagged']} of {rep['read']} read; "
            "the others could not be read or tagged) and in the certified data, by group. "
            f"Policy thresholds: {limits}. Suite: {_result(rep['suite'])}</p>"
            + "".join(parts) + "</section>")


def _render_tdm(tdm: dict) -> str:
    rows = [[esc(basis), esc(explain(basis)), esc(n)] for basis, n in tdm["by_basis"].items()]
    honoured = "honoured" if tdm["honoured"] else "not honoured (policy tdm.honour is false)"
    return ("<section><h2>Text-and-data-mining opt-outs</h2>"
            f"<p>Reservations are {honoured}: {tdm['total']} record(s) excluded.</p>"
            + (_rows(["basis", "what it means", "records excluded"], rows) if rows else "")
            + "</section>")


def _render_synthetic(syn: dict) -> str:
    rows = [[esc(o["origin"]), esc(o["read"]), esc(o["written"]),
             _bar(o["share_written"], "#8719e0") + _pct(o["share_written"])] for o in syn["origins"]]
    limits = ", ".join(f"{esc(k)} at most {_pct(v)}" for k, v in syn["limits"].items()) or "none set"
    markers = ", ".join(esc(m) for m in syn["markers"]) or "none declared"
    return ("<section><h2>Synthetic and generated content</h2>"
            + _rows(["origin", "read", "certified", "share"], rows)
            + f"<p>Limits on the certified share: {limits}. Suite: {_result(syn['suite'])}. "
            f"Generation markers checked on records declared human: {markers}; "
            f"{syn['generated_as_human']} quarantined (GENERATED_AS_HUMAN), "
            f"{syn['unknown_origin']} with an unknown origin.</p></section>")


def k_not_checked(k: dict) -> str | None:
    """Why k-anonymity was not checked (no quasi-identifiers, or k = 1), or None."""
    if not k.get("quasi_identifiers"):
        return "not checked: the policy declares no quasi-identifiers (k_anonymity)"
    if k.get("k", 1) <= 1:
        return "not checked: k = 1 holds for any data (set k_anonymity.k in the policy)"
    return None


def _k_anonymity(k: dict) -> str:
    why = k_not_checked(k)
    if why:
        return f'<span class="badge warn">not checked</span> {esc(why)}'
    return esc(f"k = {k['k']} over {', '.join(k['quasi_identifiers'])}") + " " + _result(k.get("suite"))


def _factor_rows(f: dict, hk: dict) -> list[list[str]]:
    """The risk factors table: volume, personal data, places, tier, statements."""
    return [["volume", esc(f"{f['volume']['read']} records read, {f['volume']['written']} written "
                             f"({f['volume']['level']})")],
               ["personal data found", esc(", ".join(f"{e} {n}" for e, n in f["entities_found"].items())
                                          or "none")],
               ["kinds of personal data", esc(", ".join(f["categories"]) or "none")],
               ["special categories", esc(", ".join(f["special_categories"]) or "none")],
               ["cross-border sources", esc(", ".join(f["cross_border_sources"]) or "none")],
               ["sources of undeclared region", esc(", ".join(f["sources_of_unknown_region"]) or "none")],
               ["generated or translated records", esc(f["generated_records"])],
               ["overall risk level", f'<b>{esc(f["risk_level"])}</b>'],
               ["risk tier (Digital Policy Office)", esc(hk.get("risk_tier") or "not stated")],
               ["collection statements (PICS)", esc("; ".join(
                   f"{s}: {c['reference']}" + (f" v{c['version']}" if c.get("version") else "")
                   if c else f"{s}: not declared" for s, c in hk.get("collection_statements", {}).items())
                   or "none")],
               ["transfer mechanisms", esc("; ".join(f"{s}: {m or 'not declared'}" for s, m in
                                                    hk.get("transfer_mechanisms", {}).items())
                                          or "no cross-border source")]]


def _measure_rows(m: dict) -> list[list[str]]:
    """The mitigations other than anonymization, one row each."""
    return [["residual scan", esc(f"{m['residual_scan']['action']}: "
                                  f"{m['residual_scan']['quarantined']} quarantined")],
             ["k-anonymity", _k_anonymity(m["k_anonymity"])],
             ["minimisation", esc(f"dropped always: {', '.join(m['minimisation'].get('drop', [])) or 'none'}; "
                                 f"extra columns allowed: {', '.join(m['minimisation'].get('allowed', [])) or 'none'}")],
             ["retention", esc("enforced" if m["retention_enforced"] else "not enforced")],
             ["TDM opt-outs", esc("honoured" if m["tdm_opt_outs_honoured"] else "not honoured")],
             ["records set aside", esc(", ".join(f"{r} {n}" for r, n in m["quarantined_by_reason"].items())
                                      or "none")]]


def _render_risk(risk: dict) -> str:
    o, m = risk["human_oversight"], risk["mitigations"]
    factors = _factor_rows(risk["risk_factors"], risk.get("hong_kong", {}))
    mitig = [[esc(a["entity"]), esc(a["operator"]), esc(a["treated"])] for a in m["anonymization"]]
    other = _measure_rows(m)
    residual = "".join(f"<li>{esc(r)}</li>" for r in risk["residual_risks"]) or "<li>none identified</li>"
    return ("<section><h2>Risk assessment</h2>"
            f'<p class="muted">Following the headings of the {esc(risk["framework"])}; '
            "computed from this run, its policy and its validation.</p>"
            "<h3>Risk factors</h3>" + _rows(["factor", "this run"], factors)
            + f"<h3>Human oversight</h3><p><b>{esc(o['level'])}</b>: {esc(o['meaning'])}.</p>"
            "<h3>Mitigations applied</h3>" + _rows(["entity", "operator", "treated"], mitig)
            + _rows(["measure", "this run"], other)
            + f"<h3>Residual risks</h3><ul>{residual}</ul></section>")
