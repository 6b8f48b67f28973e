"""The privacy officer's lineage report: one self-contained offline HTML file and a
JSON twin. Built only from run.json, the validation summary and the certificate,
which hold counts, hashes and codes, never raw personal data."""
from __future__ import annotations

import html
import json
from pathlib import Path

from lineage import governance
from privenance import storage
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


DETECTION_QUALITY = Path(__file__).with_name("detection_quality.json")


def build(name: str, data: str | Path) -> dict:
    """Gather the report's facts (the JSON twin). ``data`` is a folder or a URI: only
    the small files are read, and the staged findings' four columns."""
    from lineage.certificate import certificate_location
    run = storage.read_json(storage.join(data, "staged", "run.json"))
    validation_path = storage.join(data, "validation", "summary.json")
    validation = storage.read_json(validation_path) if storage.exists(validation_path) else {}
    cert_path = certificate_location(storage.join(data, "certified", name))
    cert = storage.read_json(cert_path) if storage.exists(cert_path) else None
    if cert and cert.get("run_id") != run["run_id"]:
        cert = None  # a certificate of an earlier run does not describe this one
    suites = validation.get("suites", {})
    return {"dataset": name, "run": run, "validation": suites,
            "validated_rows": validation.get("rows"), "certificate": cert,
            "signing": signing_facts(cert),
            "licences_by_source": licences_by_source(cert),
            "operators": operator_changes(run, storage.join(data, "staged", "findings")),
            "detection": detection_note(run),
            "governance": governance.sections(run, suites),  # lineage/governance.py
            "images": image_facts(run),
            "data_docs": "../validation/data_docs/index.html"
            if storage.exists(storage.join(data, "validation", "data_docs", "index.html"))
            else None}


def signing_facts(cert: dict | None) -> dict | None:
    """Which key signed the certificate: its fingerprint, and whether it is the team's
    key (keys/signing.pub), this machine's DEMO key, or another one."""
    from privenance.keys import TEAM_PUBLIC_KEY, demo_public_key, fingerprint, team_public_key
    public = ((cert or {}).get("signature") or {}).get("public_key")
    if not public:
        return None
    try:
        shown = fingerprint(public)
    except ValueError:
        return {"fingerprint": None, "kind": "unreadable", "public_key": public}
    team = team_public_key()
    if team is not None:
        kind = "team" if public == team else "not-team"
    else:
        kind = "demo" if public == demo_public_key() else "no-team-key"
    return {"fingerprint": shown, "kind": kind, "public_key": public,
            "team_key_file": str(TEAM_PUBLIC_KEY),
            "team_fingerprint": fingerprint(team) if team else None}


def operator_changes(run: dict, findings_dir: str | Path) -> list[dict]:
    """Per operator: findings treated, entities, records and characters changed,
    from the findings (entity, offsets, operator; never a value)."""
    totals: dict[str, dict] = {}
    for entity, ops in run.get("pii", {}).items():
        for op, n in ops.items():
            t = totals.setdefault(op, {"operator": op, "findings": 0, "entities": set(),
                                       "records": set(), "characters": 0})
            t["findings"] += n
            t["entities"].add(entity)
    for table in _findings(findings_dir, ["_record_id", "operator", "start", "end"]):
        for rid, op, start, end in zip(*(table.column(c).to_pylist() for c in table.column_names)):
            t = totals.get(op)
            if t is not None:
                t["records"].add(rid)
                t["characters"] += max(0, (end or 0) - (start or 0))
    written = run["totals"]["written"] or 0
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


def _profile(run: dict) -> str:
    """The detection profile a run used (run.json names the thorough models only then)."""
    return "thorough" if (run.get("engines") or {}).get("thorough_models") else "fast"


def detection_note(run: dict) -> dict:
    """The benchmark's figures for the engines this run used (lineage/detection_quality.json)."""
    quality = json.loads(DETECTION_QUALITY.read_text(encoding="utf-8"))
    engines, profile = run.get("engines") or {}, _profile(run)
    model, measured_model = engines.get("model") or {}, quality["settings"]["model"]
    differs = []
    if model and (model.get("name"), model.get("version")) != (measured_model["name"],
                                                               measured_model["version"]):
        differs.append(f'this run used the model {model.get("name")} {model.get("version")}, '
                       f'the figures {measured_model["name"]} {measured_model["version"]}')
    names, measured_names = engines.get("names_model"), quality["settings"].get("names_model")
    if names and measured_names and names.get("sha256") != measured_names["sha256"]:
        differs.append(f'this run used the name model {names.get("name")} '
                       f'{str(names.get("sha256"))[:12]}, the figures {measured_names["name"]} '
                       f'{measured_names["sha256"][:12]}')
    if engines.get("presidio-analyzer") not in (None, quality["settings"]["presidio-analyzer"]):
        differs.append(f'this run used presidio-analyzer {engines["presidio-analyzer"]}, the '
                       f'figures {quality["settings"]["presidio-analyzer"]}')
    rows = []
    for c in quality["real_text"]["corpora"]:
        ours = c.get(profile)
        if c.get("needs") and c["needs"] not in engines:
            ours, why = None, "not covered: this run had no Chinese name recognizer"
        else:
            why = None if ours else f"not measured for the {profile} profile"
        rows.append({"corpus": c["corpus"], "records": c["records"], "licence": c["licence"],
                     "vanilla": c["vanilla"], "ours": ours, "note": why})
    return {"profile": profile, "measured": quality["measured"], "caveat": quality["caveat"],
            "split": quality["split"],
            "settings": quality["settings"], "measure": quality["real_text"]["measure"],
            "corpora": rows, "synthetic": quality["synthetic"], "hk_chats": quality["hk_chats"],
            "differs": differs}


def _percent(n: int, total: int | None) -> float | None:
    return round(100.0 * n / total, 1) if total else None


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f} %"


# --- sections: each takes the facts and returns one <section>, or "" to leave it out ----

def _section(title: str, body: str, cls: str = "") -> str:
    return f'<section{f" class={chr(34)}{cls}{chr(34)}" if cls else ""}><h2>{_e(title)}</h2>{body}</section>'


def failed_run_section(facts: dict) -> str:
    run = facts["run"]
    if run.get("status") == "succeeded":
        return ""
    return _section("This run failed", f'<p>{_e("; ".join(run.get("failures") or []))}. '
                    "It cannot be validated, approved or certified.</p>", "alert")


def signing_section(facts: dict) -> str:
    """Who can vouch for the certificate: its key's fingerprint, loudly when a DEMO key."""
    s = facts.get("signing")
    if s is None:
        return ""
    fp = f'<p>Signed with the key <code class="fp">{_e(s["fingerprint"])}</code>.</p>'
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
    return _section(title, fp + (f"<p>{_e(words)}</p>" if words else ""), cls)


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
    rows = [[Raw(f'<a href="{_e(folder + path)}">{_e(title)}</a>'), standard, how]
            for path, title, standard, how in STANDARD_DOCUMENTS]
    rows += [[Raw('<a href="croissant.json">Croissant</a>'), "Croissant 1.0 with RAI 1.0",
              "mlcroissant validate"],
             [Raw('<a href="openlineage.jsonl">OpenLineage events</a>'), "OpenLineage run events",
              "any OpenLineage consumer"],
             ["EU AI Act training summary", "Commission template of July 2025 (Art. 53(1)(d))",
              Raw("made per model with <code>privenance training-summary</code>")]]
    return _section("Standard documents", _table(["document", "standard", "how to check it"], rows))


def dropped_sources_section(facts: dict) -> str:
    run = facts["run"]
    dropped = [[sid, run["counts"][sid]["read"],
                ", ".join(f"{r} {n}" for r, n in run["counts"][sid]["quarantine_reasons"].items())
                or "no rows read",
                "; ".join(explain(r) for r in run["counts"][sid]["quarantine_reasons"]) or ""]
               for sid in run.get("sources_without_output", [])]
    if not dropped:
        return ""
    return _section("Sources that gave no records",
                    "<p>Every row of these sources was quarantined: none of their data is in "
                    "the dataset.</p>"
                    + _table(["source", "rows read", "why (quarantine reasons)", "in plain words"],
                             dropped, {1}), "alert")


def funnel_section(facts: dict) -> str:
    run, cert = facts["run"], facts["certificate"]
    t = run["totals"]
    certified_rows = cert["output"]["rows"] if cert else 0
    kpis = "".join(f'<div class="kpi"><b>{v:,}</b>{_e(k)}</div>' for k, v in [
        ("records read", t["read"]), ("quarantined", t["quarantined"]),
        ("anonymized and written", t["written"]), ("certified", certified_rows)])
    return _section("Funnel", f'<div class="kpis">{kpis}</div>' + _bars(
        [("read", t["read"]), ("quarantined", t["quarantined"]), ("written", t["written"]),
         ("certified", certified_rows)]))


def licences_by_source(cert: dict | None) -> dict[str, dict[str, int]]:
    """Per source, the licences its certified rows carry as applied (a row's own
    licence, else its source's), with row counts; empty before certification."""
    per_source: dict[str, dict[str, int]] = {}
    for lic in (cert or {}).get("licences", []):
        for source, n in (lic.get("rows_by_source") or {}).items():
            per_source.setdefault(source, {})[lic["licence"]] = n
    return per_source


def applied_licences(facts: dict) -> dict[str, str]:
    """Per source, "CC-BY-4.0: 12, CC0-1.0: 3" for the sources table."""
    return {source: ", ".join(f"{lic}: {n:,}" for lic, n in counts.items())
            for source, counts in licences_by_source(facts.get("certificate")).items()}


def sources_section(facts: dict) -> str:
    run = facts["run"]
    applied = applied_licences(facts)
    rows = [[s["id"], s["format"],
             applied.get(s["id"]) or s["licence"] or "per row",
             (s.get("consent") or {}).get("basis") or "",
             ", ".join((s.get("consent") or {}).get("purposes") or []), s["origin"],
             run["counts"][s["id"]]["read"], run["counts"][s["id"]]["written"],
             run["counts"][s["id"]]["quarantined"]] for s in run["sources"]]
    return _section("Sources, licences and consent", _table(
        ["source", "format", "licence", "lawful basis", "purposes consented", "origin", "read",
         "written", "quarantined"], rows, {6, 7, 8}))


def quarantine_section(facts: dict) -> str:
    run = facts["run"]
    read = run["totals"]["read"]
    reasons = sorted(run["quarantine_reasons"].items(), key=lambda kv: -kv[1])
    rows = [[reason, explain(reason), n, _pct(_percent(n, read))] for reason, n in reasons]
    return _section("Quarantined records by reason", _bars(reasons, "#d64545")
                    + (_table(["reason", "what it means", "records", "of records read"], rows, {2, 3})
                       if rows else "")
                    + '<p class="muted">Each quarantined record is listed in staged/quarantine '
                      "with its source, key and offset; no values are copied.</p>")


def pii_section(facts: dict) -> str:
    run = facts["run"]
    pii_rows = [[e, op, n] for e, ops in run["pii"].items() for op, n in ops.items()]
    totals = sorted(((e, sum(ops.values())) for e, ops in run["pii"].items()), key=lambda kv: -kv[1])
    return _section("Personal data found and how it was treated",
                    _bars(totals, "#8719e0") + _table(["entity", "operator", "count"], pii_rows, {2}))


# what the report says of pictures without content credentials, and why
NO_MANIFEST = ("No manifest proves nothing: a picture without C2PA content credentials "
               "makes no claim about how it was made, so it is no evidence that a person or a "
               "camera made it, nor that a model did not.")
CREDENTIAL_REASONS = ("TDM_CREDENTIALS", "CREDENTIALS_INVALID", "GENERATED_AS_HUMAN")


def image_facts(run: dict) -> dict | None:
    """For image sources (``format: images`` or ``image_fields``): the pictures written
    (records of an images source; cells of image fields) by the state of their
    C2PA manifest (valid or trusted, invalid, none), those quarantined for what their
    credentials said, and what was removed; None without image sources."""
    ids = [s["id"] for s in run["sources"]
           if s.get("format") == "images" or s.get("image_fields")]
    if not ids:
        return None
    images = run.get("images") or {}
    states = images.get("credentials") or {}
    quarantined = {r: sum(run["counts"][i]["quarantine_reasons"].get(r, 0) for i in ids)
                   for r in CREDENTIAL_REASONS}
    return {"sources": ids, "written": sum(run["counts"][i]["written"] for i in ids),
            "manifest": {"valid": states.get("valid", 0) + states.get("trusted", 0),
                         "invalid": states.get("invalid", 0), "none": states.get("none", 0)},
            "quarantined_for_credentials": {r: n for r, n in quarantined.items() if n},
            "formats": images.get("formats") or {},
            "metadata_removed": images.get("metadata_removed") or {},
            "faces_found": images.get("faces_found", 0),
            "faces_blurred": images.get("faces_blurred", 0), "note": NO_MANIFEST}


def images_section(facts: dict) -> str:
    images = facts.get("images")
    if not images:
        return ""
    manifest = images["manifest"]
    rows = [["valid or trusted (signed, content unchanged since)", manifest["valid"]],
            ["invalid (tampered or broken; kept or quarantined per images.invalid_credentials)",
             manifest["invalid"]], ["no manifest", manifest["none"]]]
    rows += [[f"quarantined: {r} ({explain(r)})", n]
             for r, n in images["quarantined_for_credentials"].items()]
    removed = ", ".join(f"{k} {n}" for k, n in images["metadata_removed"].items()) or "none"
    return _section("Image records: content credentials and treatment",
                    f'<p>{images["written"]:,} picture(s) written from '
                    f'{_e(", ".join(images["sources"]))}, by their C2PA manifest:</p>'
                    + _table(["C2PA manifest", "pictures"], rows, {1})
                    + f"<p><b>{_e(images['note'])}</b></p>"
                    + f'<p class="muted">Metadata removed (pictures, by kind): {_e(removed)}. '
                      f'Faces found {images["faces_found"]:,}, pixelated '
                      f'{images["faces_blurred"]:,}. Formats: '
                    + _e(", ".join(f"{m} {n}" for m, n in images["formats"].items()) or "none")
                    + ".</p>")


def operator_summary(name: str) -> str:
    return OPERATORS[name].summary if name in OPERATORS else ""


def operators_section(facts: dict) -> str:
    ops = facts.get("operators") or []
    if not ops:
        return ""
    rows = [[o["operator"], operator_summary(o["operator"]), ", ".join(o["entities"]),
             o["findings"], o["records"], _pct(o["records_percent"]), o["characters"]] for o in ops]
    return _section("How much each operator changed", _table(
        ["operator", "what it does", "entities", "findings", "records changed",
         "of records written", "characters replaced"], rows, {3, 4, 5, 6}))


def checklist_section(facts: dict) -> str:
    suites, validated = facts["validation"], facts.get("validated_rows")
    k = (((facts.get("governance") or {}).get("risk") or {}).get("mitigations") or {}) \
        .get("k_anonymity")
    rows = []
    for name, s in sorted(suites.items()):
        if name == "k_anonymity" and k and governance.k_not_checked(k):
            rows.append([Raw(f"<b>{_e(name)}</b><br><span class=muted>"
                             f"{_e(governance.k_not_checked(k))}</span>"),
                         Raw('<span class="badge warn">not checked</span>'), "", "", "", "", ""])
            continue
        failed_rows = s.get("failed_rows") or {}
        worst = max(failed_rows.values(), default=None)
        detail = "; ".join(f"{e}: {n:,} rows" for e, n in failed_rows.items()) or \
            ", ".join(s.get("failed_expectations") or [])
        rows.append([Raw(f"<b>{_e(name)}</b><br><span class=muted>{_e(s.get('description', ''))}</span>"),
                     _badge(s.get("success")), s.get("evaluated", ""), s.get("failed", ""),
                     "" if worst is None else f"{worst:,}",
                     _pct(_percent(worst, validated)) if worst is not None else "", detail])
    docs = (f'<p><a href="{_e(facts["data_docs"])}">Open the Great Expectations Data Docs</a></p>'
            if facts["data_docs"] else '<p class="muted">No Data Docs yet: run privenance validate.</p>')
    body = (_table(["suite", "result", "expectations", "failed", "rows failing (most)",
                    "of rows validated", "failing expectations"], rows, {2, 3, 4, 5})
            if rows else '<p class="muted">Validation has not run.</p>')
    return _section("Data Protection Principles checklist", body + docs)


def detection_section(facts: dict) -> str:
    """What detection is known to miss, measured on public corpora (not on this data)."""
    d = facts.get("detection")
    if not d:
        return ""
    col = f"privenance, {d['profile']} profile (this run)"
    rows = [[c["corpus"], f'{c["records"]:,}', c["licence"],
             f'{c["vanilla"]["names"]:.1f} % / {c["vanilla"]["damage"]:.1f} %',
             c["note"] or f'{c["ours"]["names"]:.1f} % / {c["ours"]["damage"]:.1f} %'] for c in d["corpora"]]
    syn, hk = d["synthetic"], d["hk_chats"]
    other = "thorough" if d["profile"] == "fast" else "fast"
    differs = "".join(f"<li>{_e(x)}: the figures may not apply.</li>" for x in d["differs"])
    return _section("Detection quality: what the benchmark measured", (
        f"<p>These are <b>not measurements of this dataset</b>. They are privenance's benchmark "
        f"figures on public labelled corpora (measured {_e(d['measured'])}, on "
        f"{_e(d['split'])}) for the settings this "
        f"run used: the <b>{_e(d['profile'])}</b> detection profile, spaCy model "
        f"{_e(d['settings']['model']['name'])} {_e(d['settings']['model']['version'])}. They were "
        f"measured under {_e(d['settings']['policy'])}; this run's policy is "
        f"<b>{_e(facts['run']['policy']['name'])}</b>, and a policy that changes thresholds, "
        f"entities or recognizers changes what is found. {_e(d['caveat'])}</p>"
        + (f"<ul class=warnlist>{differs}</ul>" if differs else "")
        + f"<p class=muted>{_e(d['measure'])}.</p>"
        + _table(["corpus", "records", "licence", "vanilla Presidio: names surviving / damage",
                  f"{col}: names surviving / damage"], rows, {1})
        + f"<p>On {_e(syn['corpus'])}: {syn['fast']:.1f} % of direct identifiers "
          f"survive (vanilla Presidio {syn['vanilla']:.1f} %), names {syn['person_fast']:.1f} % "
          f"({syn['person_vanilla']:.1f} %). On {_e(hk['corpus'])}: {hk['identifiers_surviving']:.0f} % "
          f"of identifiers and {hk['names_surviving']:.0f} % of {hk['names']} names survive; "
          f"{hk['clean_lines_changed']:.1f} % of lines without personal data change "
          f"(vanilla {hk['clean_lines_changed_vanilla']:.1f} %).</p>"
        + f"<p class=muted>A name detection missed stays in the text: the residual scan and "
          f"the DPP4 suite check structured identifiers only. The {other} profile "
          f"(anonymization.profile) trades speed for recall differently; see README "
          f"\"Measured\" and benchmarks/DETECTION.md.</p>"))


def licences_section(facts: dict) -> str:
    cert = facts["certificate"]
    rows = [[lic["licence"], lic["use"], lic["rows"],
             ", ".join(f"{s}: {n:,}" for s, n in (lic.get("rows_by_source") or {}).items()),
             "yes" if lic["share_alike"] else "no",
             ("; ".join(lic["attributions"]) or "MISSING") if lic["requires_attribution"]
             else "not required"]
            for lic in (cert["licences"] if cert else [])]
    return _section("Licences and attribution obligations", _table(
        ["licence (as applied per row)", "use", "rows", "rows per source", "share-alike",
         "attribution"], rows, {2})
        if rows else '<p class="muted">Not certified yet.</p>')


def requests_section(facts: dict) -> str:
    run, cert = facts["run"], facts["certificate"]
    rows = [[r["request"], r["kind"], r["received"],
             r.get("consent_ref") or f'{r.get("identifiers", 0)} identifier(s) as keyed tokens',
             r["records_removed"]] for r in run.get("requests", [])]
    if not rows:
        return _section("Data-subject requests honoured",
                        '<p class="muted">No erasure requests or consent withdrawals recorded.</p>')
    served_in = f'certified version {cert["version"]}' if cert else "this run (not certified yet)"
    return _section("Data-subject requests honoured", _table(
        ["request", "kind", "received", "what", "records removed"], rows, {4})
        + f'<p class="muted">Served in {_e(served_in)} (run {_e(run["run_id"])}, as of '
          f'{_e(run["as_of"])}). Erasures match records through keyed subject tokens; the '
          "identifiers are never stored.</p>")


def approvals_section(facts: dict) -> str:
    approvals = (facts["certificate"] or {}).get("approvals") or []
    return _section("Approvals", _table(["who", "role", "when", "note"], [
        [a.get("by"), a.get("role"), a.get("at"), a.get("note")] for a in approvals])
        if approvals else '<p class="muted">No approvals recorded for this run.</p>')


def review_section(facts: dict) -> str:
    from lineage.review import report_section  # the review's bound, misses and damage
    return report_section(facts, _section, _table, _e)


def diff_section(facts: dict) -> str:
    return _section("Changes since the previous certified version", _diff_html(facts.get("diff")))


def metadata_section(facts: dict) -> str:
    run, cert = facts["run"], facts["certificate"]
    engines, code = run.get("engines") or {}, run.get("code") or {}
    meta = [["run id", run["run_id"]], ["as of", run["as_of"]], ["code version", run["code_version"]],
            ["git commit", f'{code.get("git_commit") or "not run from a checkout"}'
                           f'{" (with uncommitted changes)" if code.get("git_dirty") else ""}'],
            ["engines", ", ".join(f"{k} {v}" for k, v in sorted(engines.items())
                                  if isinstance(v, str))],
            ["spaCy model", f'{(engines.get("model") or {}).get("name")} {(engines.get("model") or {}).get("version")}'],
            ["detection profile", _profile(run)],
            ["runner", run["execution"]["runner"]], ["policy", f'{run["policy"]["name"]} ({run["policy"]["sector"]})'],
            ["policy sha256", run["policy"]["sha256"]], ["purpose",
             f'{run["purpose"]["name"]} ({"commercial" if run["purpose"]["commercial"] else "non-commercial"})'],
            ["certificate version", cert["version"] if cert else "none"]]
    return _section("Run metadata", _table(["", ""], meta))


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
    body = "\n".join(part for part in (section(facts) for section in sections()) if part)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>privenance lineage report: {_e(facts["dataset"])}</title><style>{CSS}</style></head><body>
{banner}<header><h1>Lineage report: {_e(facts["dataset"])} {status}</h1>
<p>Run {_e(run["run_id"])} as of {_e(run["as_of"])}, policy {_e(run["policy"]["name"])},
purpose {_e(run["purpose"]["name"])}. Contains counts and codes only, no personal data.</p></header>
<main>
{body}
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


def _write(facts: dict, name: str, data: str | Path, out: Path, published: str):
    """Write the report's files into the local folder ``out`` (published at
    ``published``); returns croissant.json's path, or None when not certified."""
    from lineage.croissant import write_croissant
    from lineage.openlineage import write_events
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
    (out / "report.html").write_text(render(facts), encoding="utf-8")
    write_events(out / "openlineage.jsonl", name, facts["run"], facts["validation"],
                 facts["certificate"])
    return write_croissant(out / "croissant.json", name, facts["run"], facts["certificate"],
                           storage.join(data, "certified", name), published=published)
