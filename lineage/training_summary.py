"""The EU AI Act public summary of training content (Article 53(1)(d)), in the three
sections of the Commission's template of July 2025, from the certified versions a model
was trained on.

1. General information: provider, model, modalities, size, latest collection date,
   languages: what the caller states about the model, and what the versions hold.
2. List of data sources: each source, by kind (publicly available dataset, private or
   licensed dataset, synthetic data), with its records and licences.
3. Relevant data-processing aspects: text-and-data-mining reservations honoured, personal
   data found and how it was treated, what was removed and why.

Each version is verified (signature and every file hash) before anything is read from it,
so the summary covers only content that checks out. Counts, codes and declared metadata;
never a record value. Token counts are estimates (characters / 4), said as such.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from privenance.contracts import Certificate
from privenance.plugins import describe_operator

TEMPLATE = ("Template for the Public Summary of Training Content for general-purpose AI models "
            "(European Commission, 24 July 2025), Article 53(1)(d) of Regulation (EU) 2024/1689")
CHARS_PER_TOKEN = 4
KINDS = {"public": "2.1 Publicly available datasets",
         "private": "2.2 Private non-publicly available datasets (licensed or own data)",
         "synthetic": "2.5 Synthetic data"}


def _size_range(tokens: int) -> str:
    """The template's size band for text."""
    if tokens < 1_000_000_000:
        return "Less than 1 billion tokens"
    return "1 billion to 10 trillion tokens" if tokens <= 10 ** 13 else "More than 10 trillion tokens"


def _kind(licences: set[str], origins: set[str]) -> str:
    if origins and origins <= {"synthetic", "model-generated"}:
        return "synthetic"
    # a LicenseRef is an organisation's own terms: not a public dataset licence
    return "private" if not licences or any(l.startswith("LicenseRef") for l in licences) \
        else "public"


def _contents(folder: Path, encrypted: list[str]) -> dict:
    """What the certified Parquet files hold, by provenance column: rows, characters of
    text, licences and origins per source, languages, the latest collection date."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    per_source = defaultdict(lambda: {"rows": 0, "licences": set(), "origins": set()})
    chars, languages, latest = 0, Counter(), None
    for part in sorted(folder.glob("*.parquet")):
        names = pq.ParquetFile(part).schema_arrow.names
        table = pq.read_table(part, columns=[n for n in names if n not in encrypted])
        for name in table.column_names:
            if not name.startswith("_") and table.schema.field(name).type in ("string", "large_string"):
                chars += pc.sum(pc.utf8_length(table[name])).as_py() or 0
        cols = {c: table[c].to_pylist() for c in ("_source", "_licence", "_origin", "_language")
                if c in table.column_names}
        licences = cols.get("_licence") or [None] * table.num_rows
        origins = cols.get("_origin") or [None] * table.num_rows
        for source, licence, origin in zip(cols.get("_source", []), licences, origins):
            s = per_source[source]
            s["rows"] += 1
            s["licences"].add(licence)
            s["origins"].add(origin)
        languages.update(cols.get("_language", []))
        if "_collected_at" in table.column_names:
            newest = pc.max(table["_collected_at"]).as_py()
            latest = max(filter(None, (latest, newest)), default=None)
    return {"sources": per_source, "chars": chars, "languages": languages, "latest": latest}


def build(versions: list[tuple[Path, Certificate | dict]], model: dict) -> dict:
    """The summary of the verified certified ``versions`` ((folder, certificate) pairs);
    ``model`` is what the provider states: provider, contact, name, version,
    dependencies, placed_on_market."""
    versions = [(folder, Certificate.of(cert)) for folder, cert in versions]
    sources, rows, chars, languages, latest = {}, 0, 0, Counter(), None
    tdm, tdm_basis, pii, removed = 0, Counter(), defaultdict(Counter), Counter()
    for folder, cert in versions:
        held = _contents(folder, (cert.encryption or {}).get("columns", []))
        chars += held["chars"]
        languages.update(held["languages"])
        latest = max(filter(None, (latest, held["latest"])), default=None)
        rows += cert.output.rows
        for sid, s in sorted(held["sources"].items()):
            entry = sources.setdefault(sid, {"name": sid, "records": 0, "licences": set(),
                                             "origins": set(), "datasets": []})
            entry["records"] += s["rows"]
            entry["licences"] |= {l for l in s["licences"] if l}
            entry["origins"] |= {o for o in s["origins"] if o}
            entry["datasets"].append(f"{cert.dataset} {cert.version}")
        opt = cert.tdm_opt_outs or {}
        tdm += opt.get("total", 0)
        tdm_basis.update(opt.get("by_basis", {}))
        for entity, ops in cert.pii.items():
            pii[entity].update(ops)
        removed.update(cert.quarantine.get("reasons", {}))
    tokens = chars // CHARS_PER_TOKEN
    listed = defaultdict(list)
    for s in sources.values():
        listed[KINDS[_kind(s["licences"], s["origins"])]].append(
            {"name": s["name"], "records": s["records"], "licences": sorted(s["licences"]),
             "origins": sorted(s["origins"]), "certified_versions": s["datasets"]})
    kinds = {kind: listed.get(kind, []) for kind in KINDS.values()}
    return {
        "template": TEMPLATE,
        "1. General information": {
            "1.1 Provider identification": {"name": model.get("provider"),
                                            "contact": model.get("contact")},
            "1.2 Model identification": {
                "versioned model name": model.get("name"),
                "model dependencies": model.get("dependencies") or [],
                "date placed on the Union market": model.get("placed_on_market")},
            "1.3 Modalities, overall training data size and other characteristics": {
                "modalities": ["text"],
                "text size": _size_range(tokens),
                "estimated tokens": tokens,
                "how tokens were estimated": f"characters of text columns / {CHARS_PER_TOKEN}",
                "records": rows,
                "latest date of data collection": latest.isoformat() if latest else None,
                "records by language": dict(sorted(languages.items())),
                "certified versions": [f"{c.dataset} {c.version}" for _, c in versions]}},
        "2. List of data sources": {
            KINDS["public"]: kinds[KINDS["public"]],
            KINDS["private"]: kinds[KINDS["private"]],
            "2.3 Data crawled and scraped from online sources":
                "None recorded: the sources above were declared files, not crawled by the provider.",
            "2.4 User data": "Only where a source above declares it, with its consent basis.",
            KINDS["synthetic"]: kinds[KINDS["synthetic"]]},
        "3. Relevant data processing aspects": {
            "3.1 Respect of reservation of rights from the text and data mining exception": {
                "measures": "Text-and-data-mining reservations (TDMRep, tdm-policy, robots/ai.txt "
                            "opt-outs recorded at collection, explicit opt-outs) were honoured "
                            "under the policy: reserved records were excluded before training.",
                "records excluded": tdm, "by basis": dict(sorted(tdm_basis.items()))},
            "3.2 Removal of illegal content":
                "Not screened by privenance: state the provider's own measures.",
            "3.3 Other information": {
                "personal data found and how it was treated": [
                    f"{entity}: {n} found and {describe_operator(op)}"
                    for entity, ops in sorted(pii.items()) for op, n in sorted(ops.items())],
                "records excluded, by reason": dict(sorted(removed.items())),
                "provenance": "Every record carries its licence, consent and provenance; "
                              "licences not allowed for the purpose, records without a lawful "
                              "basis and records past their retention date were excluded. Each "
                              "certified version is signed: check it with `privenance verify`."}},
    }


def markdown(summary: dict) -> str:
    """The summary as a readable document: a heading per section and subsection."""
    lines = ["# Public summary of training content", "", f"Following the {summary['template']}.", ""]

    def emit(value, depth):
        pad = "  " * depth
        if isinstance(value, dict):
            for k, v in value.items():
                if isinstance(v, (dict, list)) and v:
                    lines.append(f"{pad}- **{k}**:")
                    emit(v, depth + 1)
                else:
                    lines.append(f"{pad}- **{k}**: {v if v not in (None, [], {}) else 'none'}")
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    lines.append(f"{pad}- {item.get('name', '')}")
                    emit({k: v for k, v in item.items() if k != "name"}, depth + 1)
                else:
                    lines.append(f"{pad}- {item}")

    for section, body in summary.items():
        if section == "template":
            continue
        lines += [f"## {section}", ""]
        for subsection, value in body.items():
            lines += [f"### {subsection}", ""]
            if isinstance(value, str):
                lines.append(value)
            else:
                emit(value, 0) if value else lines.append("None.")
            lines.append("")
    return "\n".join(lines)
