"""The privacy officer's lineage report: one self-contained offline HTML file and a
JSON twin. Built only from run.json, the validation summary and the certificate,
which hold counts, hashes and codes, never raw personal data."""
from __future__ import annotations

import html
import json
from pathlib import Path

from privenance.errors import explain

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1f2933;background:#f5f7fa}
main{max-width:1040px;margin:0 auto;padding:24px}
header{background:#102a43;color:#fff;padding:20px 24px}
header h1{margin:0 0 4px;font-size:22px} header p{margin:0;opacity:.85}
section{background:#fff;border-radius:8px;padding:16px 20px;margin:16px 0;box-shadow:0 1px 2px rgba(0,0,0,.08)}
h2{font-size:16px;margin:0 0 12px;color:#243b53}
table{border-collapse:collapse;width:100%} th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e4e7eb}
th{font-weight:600;color:#486581;font-size:12px;text-transform:uppercase;letter-spacing:.03em}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:2px 8px;border-radius:10px;font-size:12px;font-weight:600}
.ok{background:#e3f9e5;color:#207227}.bad{background:#ffe3e3;color:#a61b1b}.warn{background:#fff3c4;color:#8d6708}
.kpis{display:flex;gap:12px;flex-wrap:wrap}.kpi{flex:1;min-width:140px;background:#f0f4f8;border-radius:6px;padding:10px 12px}
.alert{border-left:4px solid #d64545}
.kpi b{display:block;font-size:22px}.muted{color:#627d98;font-size:12px} code{font-size:12px}
"""


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def _bars(items: list[tuple[str, int]], color: str = "#2680c2") -> str:
    """A horizontal bar chart as inline SVG (no scripts, no network)."""
    if not items:
        return '<p class="muted">none</p>'
    top = max(n for _, n in items) or 1
    row, width = 24, 520
    parts = [f'<svg role="img" width="100%" viewBox="0 0 {width + 260} {row * len(items)}">']
    for i, (label, n) in enumerate(items):
        w = max(2, int(width * n / top))
        y = i * row
        parts.append(f'<text x="0" y="{y + 16}" font-size="12">{_e(label)}</text>'
                     f'<rect x="200" y="{y + 4}" width="{w}" height="16" rx="3" fill="{color}"/>'
                     f'<text x="{206 + w}" y="{y + 16}" font-size="12">{n}</text>')
    return "".join(parts) + "</svg>"


def _table(headers: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(
        f'<td class="n">{_e(c)}</td>' if i in numeric else f"<td>{c if isinstance(c, Raw) else _e(c)}</td>"
        for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class Raw(str):
    """Trusted HTML built here (badges); everything else is escaped."""


def _badge(ok: bool | None, yes="pass", no="fail") -> Raw:
    if ok is None:
        return Raw('<span class="badge warn">not run</span>')
    return Raw(f'<span class="badge {"ok" if ok else "bad"}">{yes if ok else no}</span>')


def _diff_html(d: dict | None) -> str:
    if not d:
        return '<p class="muted">No earlier certified version to compare with.</p>'
    rows = [["certified rows", "", d["rows"]["before"], d["rows"]["after"]]]
    for kind in ("sources", "licences", "pii", "quarantine"):
        rows += [[kind, k, v["before"], v["after"]] for k, v in d.get(kind, {}).items()]
    if d.get("new_requests"):
        rows.append(["requests honoured", ", ".join(d["new_requests"]), "", "new"])
    return (f'<p>Compared with version {_e(d["previous_version"])}.</p>'
            + _table(["what", "which", "before", "after"], rows, {2, 3}))


def build(name: str, data: Path) -> dict:
    """Gather the report's facts (the JSON twin)."""
    run = json.loads((data / "staged" / "run.json").read_text())
    validation_path = data / "validation" / "summary.json"
    validation = json.loads(validation_path.read_text()) if validation_path.exists() else {}
    from lineage.certificate import certificate_path
    cert_path = certificate_path(data / "certified" / name)
    cert = json.loads(cert_path.read_text()) if cert_path.exists() else None
    if cert and cert.get("run_id") != run["run_id"]:
        cert = None  # a certificate of an earlier run does not describe this one
    suites = validation.get("suites", {})
    return {"dataset": name, "run": run, "validation": suites, "certificate": cert,
            "data_docs": "../validation/data_docs/index.html"
            if (data / "validation" / "data_docs" / "index.html").exists() else None}


def render(facts: dict) -> str:
    run, cert, suites = facts["run"], facts["certificate"], facts["validation"]
    t = run["totals"]
    certified_rows = cert["output"]["rows"] if cert else 0
    status = _badge(bool(cert), "certified", "not certified")
    kpis = "".join(f'<div class="kpi"><b>{v}</b>{_e(k)}</div>' for k, v in [
        ("records read", t["read"]), ("quarantined", t["quarantined"]),
        ("anonymized and written", t["written"]), ("certified", certified_rows)])
    sources = [[s["id"], s["format"], s["licence"] or "per row", (s.get("consent") or {}).get("basis") or "",
                ", ".join((s.get("consent") or {}).get("purposes") or []), s["origin"],
                run["counts"][s["id"]]["read"], run["counts"][s["id"]]["written"],
                run["counts"][s["id"]]["quarantined"]] for s in run["sources"]]
    pii_rows = [[e, op, n] for e, ops in run["pii"].items() for op, n in ops.items()]
    pii_totals = sorted(((e, sum(ops.values())) for e, ops in run["pii"].items()),
                        key=lambda kv: -kv[1])
    checklist = [[name, _badge(s.get("success")), s.get("evaluated", ""), s.get("failed", "")]
                 for name, s in sorted(suites.items())]
    docs = (f'<p><a href="{_e(facts["data_docs"])}">Open the Great Expectations Data Docs</a></p>'
            if facts["data_docs"] else '<p class="muted">No Data Docs yet: run privenance validate.</p>')
    licences = cert["licences"] if cert else []
    lic_rows = [[lic["licence"], lic["use"], lic["rows"], "yes" if lic["share_alike"] else "no",
                 "; ".join(lic["attributions"]) if lic["requires_attribution"] else "not required"]
                for lic in licences]
    approvals = cert["approvals"] if cert else []
    request_rows = [[r["request"], r["kind"], r["received"],
                     r.get("consent_ref") or f'{r.get("identifiers", 0)} identifier(s) as keyed tokens',
                     r["records_removed"]] for r in run.get("requests", [])]
    served_in = (f'certified version {cert["version"]}' if cert else "this run (not certified yet)")
    reason_rows = [[reason, explain(reason), n]
                   for reason, n in sorted(run["quarantine_reasons"].items(), key=lambda kv: -kv[1])]
    dropped = [[sid, run["counts"][sid]["read"],
                ", ".join(f"{r} {n}" for r, n in run["counts"][sid]["quarantine_reasons"].items())
                or "no rows read"] for sid in run.get("sources_without_output", [])]
    warnings = ""
    if run.get("status") != "succeeded":
        warnings += (f'<section class="alert"><h2>This run failed</h2><p>{_e("; ".join(run.get("failures") or []))}. '
                     "It cannot be validated, approved or certified.</p></section>")
    if dropped:
        warnings += ('<section class="alert"><h2>Sources that gave no records</h2>'
                     + _table(["source", "rows read", "why (quarantine reasons)"], dropped, {1})
                     + "</section>")
    engines = run.get("engines") or {}
    code = run.get("code") or {}
    meta = [["run id", run["run_id"]], ["as of", run["as_of"]], ["code version", run["code_version"]],
            ["git commit", f'{code.get("git_commit") or "not run from a checkout"}'
                           f'{" (with uncommitted changes)" if code.get("git_dirty") else ""}'],
            ["engines", ", ".join(f"{k} {v}" for k, v in sorted(engines.items()) if k != "model")],
            ["spaCy model", f'{(engines.get("model") or {}).get("name")} {(engines.get("model") or {}).get("version")}'],
            ["runner", run["execution"]["runner"]], ["policy", f'{run["policy"]["name"]} ({run["policy"]["sector"]})'],
            ["policy sha256", run["policy"]["sha256"]], ["purpose",
             f'{run["purpose"]["name"]} ({"commercial" if run["purpose"]["commercial"] else "non-commercial"})'],
            ["certificate version", cert["version"] if cert else "none"]]
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>privenance lineage report: {_e(facts["dataset"])}</title><style>{CSS}</style></head><body>
<header><h1>Lineage report: {_e(facts["dataset"])} {status}</h1>
<p>Run {_e(run["run_id"])} as of {_e(run["as_of"])}, policy {_e(run["policy"]["name"])},
purpose {_e(run["purpose"]["name"])}. Contains counts and codes only, no personal data.</p></header>
<main>{warnings}
<section><h2>Funnel</h2><div class="kpis">{kpis}</div>
{_bars([("read", t["read"]), ("quarantined", t["quarantined"]), ("written", t["written"]), ("certified", certified_rows)])}</section>
<section><h2>Sources, licences and consent</h2>{_table(["source", "format", "licence", "lawful basis", "purposes consented", "origin", "read", "written", "quarantined"], sources, {6, 7, 8})}</section>
<section><h2>Quarantined records by reason</h2>{_bars(sorted(run["quarantine_reasons"].items(), key=lambda kv: -kv[1]), "#d64545")}
{_table(["reason", "what it means", "records"], reason_rows, {2}) if reason_rows else ""}
<p class="muted">Each quarantined record is listed in staged/quarantine with its source, key and offset; no values are copied.</p></section>
<section><h2>Personal data found and how it was treated</h2>{_bars(pii_totals, "#8719e0")}
{_table(["entity", "operator", "count"], pii_rows, {2})}</section>
<section><h2>Data Protection Principles checklist</h2>{_table(["suite", "result", "expectations", "failed"], checklist, {2, 3}) if checklist else '<p class="muted">Validation has not run.</p>'}{docs}</section>
<section><h2>Licences and attribution obligations</h2>{_table(["licence", "use", "rows", "share-alike", "attribution"], lic_rows, {2}) if lic_rows else '<p class="muted">Not certified yet.</p>'}</section>
<section><h2>Data-subject requests honoured</h2>{_table(["request", "kind", "received", "what", "records removed"], request_rows, {4}) + f'<p class="muted">Served in {_e(served_in)} (run {_e(run["run_id"])}, as of {_e(run["as_of"])}). Erasures match records through keyed subject tokens; the identifiers are never stored.</p>' if request_rows else '<p class="muted">No erasure requests or consent withdrawals recorded.</p>'}</section>
<section><h2>Approvals</h2>{_table(["who", "role", "when", "note"], [[a.get("by"), a.get("role"), a.get("at"), a.get("note")] for a in approvals]) if approvals else '<p class="muted">No approvals recorded for this run.</p>'}</section>
<section><h2>Changes since the previous certified version</h2>{_diff_html(facts.get("diff"))}</section>
<section><h2>Run metadata</h2>{_table(["", ""], meta)}</section>
</main></body></html>
"""


def version_summary(facts: dict) -> dict:
    """What the diff compares: rows, sources, licences and PII counts of one version."""
    run, cert = facts["run"], facts["certificate"] or {}
    return {"version": cert.get("version"), "run_id": run["run_id"],
            "rows": cert.get("output", {}).get("rows", 0),
            "sources": {sid: c["written"] for sid, c in run["counts"].items()},
            "licences": {lic["licence"]: lic["rows"] for lic in cert.get("licences", [])},
            "pii": {e: sum(ops.values()) for e, ops in run["pii"].items()},
            "quarantine": run["quarantine_reasons"],
            "requests": sorted(r["request"] for r in run.get("requests", []))}


def diff(previous: dict | None, current: dict) -> dict | None:
    if previous is None:
        return None

    def delta(a: dict, b: dict) -> dict:
        return {k: {"before": a.get(k, 0), "after": b.get(k, 0)} for k in sorted(set(a) | set(b))
                if a.get(k, 0) != b.get(k, 0)}
    return {"previous_version": previous["version"], "rows": {"before": previous["rows"],
                                                              "after": current["rows"]},
            "sources": delta(previous["sources"], current["sources"]),
            "licences": delta(previous["licences"], current["licences"]),
            "pii": delta(previous["pii"], current["pii"]),
            "quarantine": delta(previous.get("quarantine", {}), current["quarantine"]),
            "new_requests": sorted(set(current["requests"]) - set(previous.get("requests", [])))}


def _previous(history: Path, current_version: str | None) -> dict | None:
    """The newest recorded version other than the current one."""
    entries = [json.loads(p.read_text()) for p in sorted(history.glob("*.json"))]
    entries = [e for e in entries if e["version"] and e["version"] != current_version]
    return max(entries, key=lambda e: e["recorded"], default=None)


def write_report(name: str, data: Path, out: Path) -> Path:
    """report.html, report.json, openlineage.jsonl and croissant.json; keeps a history of
    certified versions under ``out/history`` (a persisted DVC output) to diff against."""
    from lineage.croissant import write_croissant
    from lineage.openlineage import write_events
    facts = build(name, data)
    summary = version_summary(facts)
    history = out / "history"
    history.mkdir(parents=True, exist_ok=True)
    facts["diff"] = diff(_previous(history, summary["version"]), summary)
    if summary["version"]:
        known = history / f"{summary['version']}.json"
        recorded = json.loads(known.read_text())["recorded"] if known.exists() else \
            1 + max((json.loads(p.read_text())["recorded"] for p in history.glob("*.json")), default=0)
        known.write_text(json.dumps({**summary, "recorded": recorded}, indent=2, sort_keys=True))
    (out / "report.json").write_text(json.dumps(facts, indent=2, sort_keys=True) + "\n")
    html_path = out / "report.html"
    html_path.write_text(render(facts), encoding="utf-8")
    write_events(out / "openlineage.jsonl", name, facts["run"], facts["validation"],
                 facts["certificate"])
    write_croissant(out / "croissant.json", name, facts["run"], facts["certificate"],
                    data / "certified" / name)
    return html_path
