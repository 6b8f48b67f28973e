"""The privacy officer's lineage report: one self-contained offline HTML file and a
JSON twin. Built only from run.json, the validation summary and the certificate,
which hold counts, hashes and codes, never raw personal data; all three are read through
their types (privenance/contracts.py). Sections with a home of their own: governance
(lineage/governance.py), the review (lineage/review.py), detection quality
(lineage/detection_quality.py) and the diff against the previous version
(lineage/version_diff.py)."""
from __future__ import annotations

import json
from pathlib import Path

from lineage import governance
from lineage.detection_quality import profile_of
from lineage.html import Raw, esc, section, table
from lineage.image_report import image_facts, images_section
from privenance import storage
from privenance.contracts import Certificate, Record, RunRecord, ValidationSummary
from privenance.errors import explain
from privenance.plugins import OPERATORS

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
.demo-banner{background:#a61b1b;color:#fff;font-weight:700;text-align:center;padding:10px;letter-spacing:.04em}
section.demo{background:#ffe3e3}.warnbox{border-left-color:#f0b429}.warnlist{color:#8d6708}
code.fp{font-size:14px;background:#f0f4f8;padding:2px 6px;border-radius:4px}
"""


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
        parts.append(f'<text x="0" y="{y + 16}" font-size="12">{esc(label)}</text>'
                     f'<rect x="200" y="{y + 4}" width="{w}" height="16" rx="3" fill="{color}"/>'
                     f'<text x="{206 + w}" y="{y + 16}" font-size="12">{n}</text>')
    return "".join(parts) + "</svg>"


def _badge(ok: bool | None, yes="pass", no="fail") -> Raw:
    if ok is None:
        return Raw('<span class="badge warn">not run</span>')
    return Raw(f'<span class="badge {"ok" if ok else "bad"}">{yes if ok else no}</span>')


def build(name: str, data: str | Path) -> dict:
    """Gather the report's facts (the JSON twin). ``data`` is a folder or a URI: only
    the small files are read, and the staged findings' four columns."""
    from lineage.certificate import certificate_location
    from lineage.detection_quality import detection_note
    from lineage.verification import signing_facts
    run = RunRecord.load(storage.join(data, "staged", "run.json"))
    validation_path = storage.join(data, "validation", "summary.json")
    validation = (ValidationSummary.load(validation_path) if storage.exists(validation_path)
                  else ValidationSummary())
    cert_path = certificate_location(storage.join(data, "certified", name))
    cert = Certificate.load(cert_path) if storage.exists(cert_path) else None
    if cert is not None and cert.run_id != run.run_id:
        cert = None  # a certificate of an earlier run does not describe this one
    # the suites as the summary holds them (governance and the checklist read them)
    suites = validation.to_dict().get("suites", {})
    return {"dataset": name, "run": run, "validation": suites,
            "validated_rows": validation.rows, "certificate": cert,
            "signing": signing_facts(cert),  # lineage/verification.py
            "licences_by_source": licences_by_source(cert),
            "operators": operator_changes(run, storage.join(data, "staged", "findings")),
            "detection": detection_note(run),
            "governance": governance.sections(run, suites),  # lineage/governance.py
            "images": image_facts(run),  # lineage/image_report.py
            "data_docs": "../validation/data_docs/index.html"
            if storage.exists(storage.join(data, "validation", "data_docs", "index.html"))
            else None}


def operator_changes(run: RunRecord, findings_dir: str | Path) -> list[dict]:
    """Per operator: findings treated, entities, records and characters changed,
    from the findings (entity, offsets, operator; never a value)."""
    totals: dict[str, dict] = {}
    for entity, ops in run.pii.items():
        for op, n in ops.items():
            t = totals.setdefault(op, {"operator": op, "findings": 0, "entities": set(),
                                       "records": set(), "characters": 0})
            t["findings"] += n
            t["entities"].add(entity)
    for part in _findings(findings_dir, ["_record_id", "operator", "start", "end"]):
        for rid, op, start, end in zip(*(part.column(c).to_pylist() for c in part.column_names)):
            t = totals.get(op)
            if t is not None:
                t["records"].add(rid)
                t["characters"] += max(0, (end or 0) - (start or 0))
    written = run.totals.written
    return [{**t, "entities": sorted(t["entities"]), "records": len(t["records"]),
             "records_percent": _percent(len(t["records"]), written)}
            for _, t in sorted(totals.items(), key=lambda kv: -kv[1]["findings"])]


def _findings(findings_dir: str | Path, columns: list[str]) -> list:
    """The findings' ``columns`` as pyarrow Tables (none when there are no findings)."""
    if not storage.is_uri(str(findings_dir)):
        findings_dir = Path(findings_dir)
        if not (findings_dir.is_dir() and any(findings_dir.glob("*.parquet"))):
            return []
        import pyarrow.parquet as pq
        return [pq.read_table(findings_dir, columns=columns)]
    return [storage.read_parquet(f, columns) for f in storage.list_files(findings_dir, ".parquet")]


def _percent(n: int, total: int | None) -> float | None:
    return round(100.0 * n / total, 1) if total else None


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f} %"


# --- sections: each takes the facts and returns one <section>, or "" to leave it out ----

def failed_run_section(facts: dict) -> str:
    run = facts["run"]
    if run.succeeded:
        return ""
    return section("This run failed", f'<p>{esc("; ".join(run.failures))}. '
                    "It cannot be validated, approved or certified.</p>", "alert")


def signing_section(facts: dict) -> str:
    """Who can vouch for the certificate: its key's fingerprint, loudly when a DEMO key."""
    s = facts.get("signing")
    if s is None:
        return ""
    fp = f'<p>Signed with the key <code class="fp">{esc(s["fingerprint"])}</code>.</p>'
    text = {
        "team": ("Signed by the team key", "",
                 (f"This is the team's key ({s['team_key_file']}): "
                  "a model team verifies the certificate with it.")),
        "demo": ("DEMO KEY: this certificate proves nothing", "alert demo",
                 ("It was signed by a demo key generated on this machine. Anyone can make "
                  "such a key, so the signature vouches for nothing beyond this machine. Create "
                  "the team key with privenance keys init and certify again before sharing.")),
        "not-team": ("Not signed by the team key", "alert",
                     (f"The project's team key ({s['team_key_file']}, "
                      f"{s['team_fingerprint']}) is a different key: verifying with it fails.")),
        "no-team-key": ("Signed by a key the project does not name", "alert warnbox",
                        ("There is no team public key (keys/signing.pub) to check the signing "
                         "key against: compare the fingerprint with the one the key holder "
                         "gives you.")),
        "unreadable": ("The certificate's signing key is unreadable", "alert", ""),
    }[s["kind"]]
    title, cls, words = text
    return section(title, fp + (f"<p>{esc(words)}</p>" if words else ""), cls)


# The certified version's documents in others' standards, and how a third party checks each
STANDARD_DOCUMENTS = [
    (".certificate.intoto.json", "in-toto attestation",
     "in-toto Statement v1 in a DSSE envelope, Ed25519 over DSSE's pre-authentication encoding",
     "any DSSE verifier (e.g. securesystemslib) with the team public key; subjects are the "
     "Parquet files' sha256"),
    (".spdx.json", "SPDX 3.0.1 dataset document",
     "SPDX 3.0.1 JSON-LD, Dataset and AI profiles", "any SPDX 3 reader; its sha256 is in the "
     "signed certificate"),
]


def documents_section(facts: dict) -> str:
    """Links to the certified version's standard documents and the report's exports."""
    cert = facts["certificate"]
    if not cert:
        return ""
    folder = f"../certified/{facts['dataset']}/"
    rows = [[Raw(f'<a href="{esc(folder + path)}">{esc(title)}</a>'), standard, how]
            for path, title, standard, how in STANDARD_DOCUMENTS]
    rows += [[Raw('<a href="croissant.json">Croissant</a>'), "Croissant 1.0 with RAI 1.0",
              "mlcroissant validate"],
             [Raw('<a href="openlineage.jsonl">OpenLineage events</a>'), "OpenLineage run events",
              "any OpenLineage consumer"],
             ["EU AI Act training summary", "Commission template of July 2025 (Art. 53(1)(d))",
              Raw("made per model with <code>privenance training-summary</code>")]]
    return section("Standard documents", table(["document", "standard", "how to check it"], rows))


def dropped_sources_section(facts: dict) -> str:
    run = facts["run"]
    dropped = [[sid, run.counts[sid].read,
                ", ".join(f"{r} {n}" for r, n in run.counts[sid].quarantine_reasons.items())
                or "no rows read",
                "; ".join(explain(r) for r in run.counts[sid].quarantine_reasons) or ""]
               for sid in run.sources_without_output]
    if not dropped:
        return ""
    return section("Sources that gave no records",
                    "<p>Every row of these sources was quarantined: none of their data is in "
                    "the dataset.</p>"
                    + table(["source", "rows read", "why (quarantine reasons)", "in plain words"],
                             dropped, {1}), "alert")


def funnel_section(facts: dict) -> str:
    run, cert = facts["run"], facts["certificate"]
    t = run.totals
    certified_rows = cert.output.rows if cert else 0
    kpis = "".join(f'<div class="kpi"><b>{v:,}</b>{esc(k)}</div>' for k, v in [
        ("records read", t.read), ("quarantined", t.quarantined),
        ("anonymized and written", t.written), ("certified", certified_rows)])
    return section("Funnel", f'<div class="kpis">{kpis}</div>' + _bars(
        [("read", t.read), ("quarantined", t.quarantined), ("written", t.written),
         ("certified", certified_rows)]))


def licences_by_source(cert: Certificate | dict | None) -> dict[str, dict[str, int]]:
    """Per source, the licences its certified rows carry as applied (a row's own
    licence, else its source's), with row counts; empty before certification."""
    per_source: dict[str, dict[str, int]] = {}
    for lic in Certificate.of(cert).licences if cert else []:
        for source, n in lic.rows_by_source.items():
            per_source.setdefault(source, {})[lic.licence] = n
    return per_source


def applied_licences(facts: dict) -> dict[str, str]:
    """Per source, "CC-BY-4.0: 12, CC0-1.0: 3" for the sources table."""
    return {source: ", ".join(f"{lic}: {n:,}" for lic, n in counts.items())
            for source, counts in licences_by_source(facts.get("certificate")).items()}


def sources_section(facts: dict) -> str:
    run = facts["run"]
    applied = applied_licences(facts)
    rows = [[s.id, s.format, applied.get(s.id) or s.licence or "per row",
             (s.consent or {}).get("basis") or "",
             ", ".join((s.consent or {}).get("purposes") or []), s.origin,
             run.counts[s.id].read, run.counts[s.id].written,
             run.counts[s.id].quarantined] for s in run.sources]
    return section("Sources, licences and consent", table(
        ["source", "format", "licence", "lawful basis", "purposes consented", "origin", "read",
         "written", "quarantined"], rows, {6, 7, 8}))


def quarantine_section(facts: dict) -> str:
    run = facts["run"]
    read = run.totals.read
    reasons = sorted(run.quarantine_reasons.items(), key=lambda kv: -kv[1])
    rows = [[reason, explain(reason), n, _pct(_percent(n, read))] for reason, n in reasons]
    return section("Quarantined records by reason", _bars(reasons, "#d64545")
                    + (table(["reason", "what it means", "records", "of records read"], rows, {2, 3})
                       if rows else "")
                    + '<p class="muted">Each quarantined record is listed in staged/quarantine '
                      "with its source, key and offset; no values are copied.</p>")


def pii_section(facts: dict) -> str:
    run = facts["run"]
    pii_rows = [[e, op, n] for e, ops in run.pii.items() for op, n in ops.items()]
    totals = sorted(((e, sum(ops.values())) for e, ops in run.pii.items()), key=lambda kv: -kv[1])
    return section("Personal data found and how it was treated",
                    _bars(totals, "#8719e0") + table(["entity", "operator", "count"], pii_rows, {2}))


def operator_summary(name: str) -> str:
    return OPERATORS[name].summary if name in OPERATORS else ""


def operators_section(facts: dict) -> str:
    ops = facts.get("operators") or []
    if not ops:
        return ""
    rows = [[o["operator"], operator_summary(o["operator"]), ", ".join(o["entities"]),
             o["findings"], o["records"], _pct(o["records_percent"]), o["characters"]] for o in ops]
    return section("How much each operator changed", table(
        ["operator", "what it does", "entities", "findings", "records changed",
         "of records written", "characters replaced"], rows, {3, 4, 5, 6}))


def checklist_section(facts: dict) -> str:
    suites, validated = facts["validation"], facts.get("validated_rows")
    k = (((facts.get("governance") or {}).get("risk") or {}).get("mitigations") or {}) \
        .get("k_anonymity")
    rows = []
    for name, s in sorted(suites.items()):
        if name == "k_anonymity" and k and governance.k_not_checked(k):
            rows.append([Raw(f"<b>{esc(name)}</b><br><span class=muted>"
                             f"{esc(governance.k_not_checked(k))}</span>"),
                         Raw('<span class="badge warn">not checked</span>'), "", "", "", "", ""])
            continue
        failed_rows = s.get("failed_rows") or {}
        worst = max(failed_rows.values(), default=None)
        detail = "; ".join(f"{e}: {n:,} rows" for e, n in failed_rows.items()) or \
            ", ".join(s.get("failed_expectations") or [])
        rows.append([Raw(f"<b>{esc(name)}</b><br><span class=muted>{esc(s.get('description', ''))}</span>"),
                     _badge(s.get("success")), s.get("evaluated", ""), s.get("failed", ""),
                     "" if worst is None else f"{worst:,}",
                     _pct(_percent(worst, validated)) if worst is not None else "", detail])
    docs = (f'<p><a href="{esc(facts["data_docs"])}">Open the Great Expectations Data Docs</a></p>'
            if facts["data_docs"] else '<p class="muted">No Data Docs yet: run privenance validate.</p>')
    body = (table(["suite", "result", "expectations", "failed", "rows failing (most)",
                    "of rows validated", "failing expectations"], rows, {2, 3, 4, 5})
            if rows else '<p class="muted">Validation has not run.</p>')
    return section("Data Protection Principles checklist", body + docs)


def licences_section(facts: dict) -> str:
    cert = facts["certificate"]
    rows = [[lic.licence, lic.use, lic.rows,
             ", ".join(f"{s}: {n:,}" for s, n in lic.rows_by_source.items()),
             "yes" if lic.share_alike else "no",
             ("; ".join(lic.attributions) or "MISSING") if lic.requires_attribution
             else "not required"]
            for lic in (cert.licences if cert else [])]
    return section("Licences and attribution obligations", table(
        ["licence (as applied per row)", "use", "rows", "rows per source", "share-alike",
         "attribution"], rows, {2})
        if rows else '<p class="muted">Not certified yet.</p>')


def requests_section(facts: dict) -> str:
    run, cert = facts["run"], facts["certificate"]
    rows = [[r["request"], r["kind"], r["received"],
             r.get("consent_ref") or f'{r.get("identifiers", 0)} identifier(s) as keyed tokens',
             r["records_removed"]] for r in run.requests]
    if not rows:
        return section("Data-subject requests honoured",
                        '<p class="muted">No erasure requests or consent withdrawals recorded.</p>')
    served_in = f'certified version {cert.version}' if cert else "this run (not certified yet)"
    return section("Data-subject requests honoured", table(
        ["request", "kind", "received", "what", "records removed"], rows, {4})
        + f'<p class="muted">Served in {esc(served_in)} (run {esc(run.run_id)}, as of '
          f'{esc(run.as_of)}). Erasures match records through keyed subject tokens; the '
          "identifiers are never stored.</p>")


def approvals_section(facts: dict) -> str:
    approvals = facts["certificate"].approvals if facts["certificate"] else []
    return section("Approvals", table(["who", "role", "when", "note"], [
        [a.get("by"), a.get("role"), a.get("at"), a.get("note")] for a in approvals])
        if approvals else '<p class="muted">No approvals recorded for this run.</p>')


def review_section(facts: dict) -> str:
    from lineage.review import report_section  # the review's bound, misses and damage
    return report_section(facts)


def detection_section(facts: dict) -> str:
    """What detection is known to miss, measured on public corpora (not on this data)."""
    from lineage.detection_quality import report_section
    return report_section(facts)


def diff_section(facts: dict) -> str:
    from lineage.version_diff import diff_html
    return section("Changes since the previous certified version",
                    diff_html(facts.get("diff")))


def metadata_section(facts: dict) -> str:
    run, cert = facts["run"], facts["certificate"]
    engines, code, policy, purpose = run.engines or {}, run.code or {}, run.policy, run.purpose
    meta = [["run id", run.run_id], ["as of", run.as_of], ["code version", run.code_version],
            ["git commit", f'{code.get("git_commit") or "not run from a checkout"}'
                           f'{" (with uncommitted changes)" if code.get("git_dirty") else ""}'],
            ["engines", ", ".join(f"{k} {v}" for k, v in sorted(engines.items())
                                  if isinstance(v, str))],
            ["spaCy model", f'{(engines.get("model") or {}).get("name")} {(engines.get("model") or {}).get("version")}'],
            ["detection profile", profile_of(run)],
            ["runner", run.execution.runner], ["policy", f'{policy.name} ({policy.sector})'],
            ["policy sha256", policy.sha256], ["purpose",
             f'{purpose.name} ({"commercial" if purpose.commercial else "non-commercial"})'],
            ["certificate version", cert.version if cert else "none"]]
    return section("Run metadata", table(["", ""], meta))


# The report, top to bottom. To add a section, write a function facts -> HTML (or "")
# and put it here; lineage/governance.py, when present, adds its SECTIONS before the
# run metadata (see sections()).
SECTIONS = [failed_run_section, signing_section, dropped_sources_section, funnel_section,
            sources_section, quarantine_section, pii_section, images_section, operators_section,
            checklist_section, detection_section, licences_section, requests_section,
            approvals_section, review_section, diff_section, documents_section,
            metadata_section]


def sections() -> list:
    """SECTIONS, with those of lineage/governance.py (its SECTIONS list) before the last."""
    import importlib
    import importlib.util
    if importlib.util.find_spec("lineage.governance") is None:
        return list(SECTIONS)
    extra = list(getattr(importlib.import_module("lineage.governance"), "SECTIONS", []))
    return SECTIONS[:-1] + extra + SECTIONS[-1:]


def render(facts: dict) -> str:
    run, cert = facts["run"], facts["certificate"]
    status = _badge(bool(cert), "certified", "not certified")
    demo = (facts.get("signing") or {}).get("kind") == "demo"
    banner = ('<div class="demo-banner">DEMO KEY: this certificate was signed by a locally '
              "generated demo key and proves nothing</div>") if demo else ""
    body = "\n".join(part for part in (make(facts) for make in sections()) if part)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>privenance lineage report: {esc(facts["dataset"])}</title><style>{CSS}</style></head><body>
{banner}<header><h1>Lineage report: {esc(facts["dataset"])} {status}</h1>
<p>Run {esc(run.run_id)} as of {esc(run.as_of)}, policy {esc(run.policy.name)},
purpose {esc(run.purpose.name)}. Contains counts and codes only, no personal data.</p></header>
<main>
{body}
</main></body></html>
"""


def write_report(name: str, data: str | Path, out: str | Path) -> str:
    """report.html, report.json, openlineage.jsonl and croissant.json; keeps a history of
    certified versions under ``out/history`` (a persisted DVC output) to diff against.
    ``data`` and ``out`` are folders or URIs; returns where report.html is."""
    facts = build(name, data)
    if facts["data_docs"]:  # from where the report is: data/reports, or data/reports/<name>
        facts["data_docs"] = storage.relative(
            storage.join(data, "validation", "data_docs", "index.html"), out)
    with storage.publish_folder(str(out)) as local:
        if storage.is_uri(str(out)):  # the versions recorded so far, to diff against
            storage.download_folder(storage.join(out, "history"), local / "history")
        croissant = _write(facts, name, data, local, str(out))
    if croissant is None and storage.is_uri(str(out)):
        stale = storage.join(out, "croissant.json")  # removed locally by write_croissant
        if storage.exists(stale):
            storage.delete([stale])
    return storage.join(out, "report.html")


def _as_json(value):
    """The typed records in the facts (run, certificate) as the JSON they were read from."""
    if isinstance(value, Record):
        return value.to_dict()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _write(facts: dict, name: str, data: str | Path, out: Path, published: str):
    """Write the report's files into the local folder ``out`` (published at
    ``published``); returns croissant.json's path, or None when not certified."""
    from lineage.croissant import write_croissant
    from lineage.openlineage import write_events
    from lineage.version_diff import diff_and_record, version_summary
    facts["diff"] = diff_and_record(out / "history",
                                    version_summary(facts["run"], facts["certificate"]))
    (out / "report.json").write_text(json.dumps(facts, indent=2, sort_keys=True,
                                                default=_as_json) + "\n")
    (out / "report.html").write_text(render(facts), encoding="utf-8")
    write_events(out / "openlineage.jsonl", name, facts["run"], facts["validation"],
                 facts["certificate"])
    return write_croissant(out / "croissant.json", name, facts["run"], facts["certificate"],
                           storage.join(data, "certified", name), published=published)
