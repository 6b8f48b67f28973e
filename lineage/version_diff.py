"""What changed since the previous certified version: the report keeps a summary of each
certified version under ``history/`` (a persisted DVC output) and diffs the current one
against the newest other one."""
from __future__ import annotations

import json
from pathlib import Path

from lineage.html import esc, table
from privenance.contracts import Certificate, RunRecord


def version_summary(run: RunRecord, cert: Certificate | None) -> dict:
    """What the diff compares: rows, sources, licences and PII counts of one version."""
    return {"version": cert.version if cert else None, "run_id": run.run_id,
            "rows": cert.output.rows if cert else 0,
            "sources": {sid: c.written for sid, c in run.counts.items()},
            "licences": {lic.licence: lic.rows for lic in cert.licences} if cert else {},
            "pii": {e: sum(ops.values()) for e, ops in run.pii.items()},
            "quarantine": run.quarantine_reasons,
            "requests": sorted(r["request"] for r in run.requests)}


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


def previous(history: Path, current_version: str | None) -> dict | None:
    """The newest recorded version other than the current one."""
    entries = [json.loads(p.read_text()) for p in sorted(history.glob("*.json"))]
    entries = [e for e in entries if e["version"] and e["version"] != current_version]
    return max(entries, key=lambda e: e["recorded"], default=None)


def diff_and_record(history: Path, summary: dict) -> dict | None:
    """The diff of ``summary`` against the newest other version in ``history``; then
    records this version there (once: a version keeps the place it was first recorded)."""
    history.mkdir(parents=True, exist_ok=True)
    changes = diff(previous(history, summary["version"]), summary)
    if summary["version"]:
        known = history / f"{summary['version']}.json"
        recorded = json.loads(known.read_text())["recorded"] if known.exists() else \
            1 + max((json.loads(p.read_text())["recorded"] for p in history.glob("*.json")), default=0)
        known.write_text(json.dumps({**summary, "recorded": recorded}, indent=2, sort_keys=True))
    return changes


def diff_html(d: dict | None) -> str:
    """The diff as the report shows it (``_table`` and ``_e`` are the report's helpers)."""
    if not d:
        return '<p class="muted">No earlier certified version to compare with.</p>'
    rows = [["certified rows", "", d["rows"]["before"], d["rows"]["after"]]]
    for kind in ("sources", "licences", "pii", "quarantine"):
        rows += [[kind, k, v["before"], v["after"]] for k, v in d.get(kind, {}).items()]
    if d.get("new_requests"):
        rows.append(["requests honoured", ", ".join(d["new_requests"]), "", "new"])
    return (f'<p>Compared with version {esc(d["previous_version"])}.</p>'
            + table(["what", "which", "before", "after"], rows, {2, 3}))
