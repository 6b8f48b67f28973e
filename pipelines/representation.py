"""Who is in the data, before and after the gates (the representation report), and
the other governance facts a run records in run.json.

``CountGroups`` counts the tagged records (after TagProvenance and DetectLanguage,
before any gate) by source, language, origin, licence use and the policy's
``representation.columns``: aggregates only, written to a temporary file beside the
outputs. ``governance_summary`` adds the written counts (from the dataset Parquet),
suppresses small cells of the policy's columns (quasi-identifiers), works out drop
rates by group, and counts the TDM opt-outs by basis.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import apache_beam as beam

from privenance import provenance as P
from privenance.errors import Reason, RecordRejected
from privenance.policy import Policy
from privenance.sources import SourcesManifest

GROUPS_FILE = "_group_counts"
ATTRIBUTES = (P.SOURCE, P.LANGUAGE, P.ORIGIN, P.LICENCE_USE)
SUPPRESSED = "(suppressed)"
MISSING = "(missing)"


def licence_use(expression) -> str:
    """The use a licence permits, as LicenceGate will find it; missing or invalid too."""
    from privenance.licences import classify
    if not expression:
        return MISSING
    try:
        return classify(str(expression)).use
    except RecordRejected:
        return "invalid"


def group_keys(record: dict, columns: list[str]):
    """(attribute, value) pairs of one tagged record, each counted once."""
    for attribute in ATTRIBUTES:
        value = licence_use(record[P.LICENCE]) if attribute == P.LICENCE_USE else record[attribute]
        yield (attribute, str(value) if value is not None else MISSING), 1
    for column in columns:
        value = record.get(column)
        yield (column, MISSING if value is None or value == "" else str(value)), 1


class CountGroups(beam.PTransform):
    """Tagged records in; one JSON line per (attribute, value) count written to ``path``."""

    def __init__(self, columns: list[str], path: str):
        super().__init__()
        self.columns, self.path = list(columns), path

    def expand(self, records):
        return (records
                | "GroupKeys" >> beam.FlatMap(group_keys, self.columns)
                | "SumGroups" >> beam.CombinePerKey(sum)
                | "GroupsJson" >> beam.Map(lambda kv: json.dumps(
                    {"attribute": kv[0][0], "value": kv[0][1], "read": kv[1]}))
                | "WriteGroups" >> beam.io.WriteToText(self.path, shard_name_template=""))


def _suppress(groups: dict, k: int) -> tuple[dict, int]:
    """Groups of a quasi-identifier with fewer than ``k`` records, before or after the
    gates, merged into one; its counts are hidden too when it is itself small."""
    kept, merged, n = {}, Counter(), 0
    for value, c in groups.items():
        if c["read"] < k or 0 < c["written"] < k:
            merged.update({"read": c["read"], "written": c["written"]})
            n += 1
        else:
            kept[value] = c
    if n:
        small = merged["read"] < k or 0 < merged["written"] < k
        kept[SUPPRESSED] = {"read": None if small else merged["read"],
                            "written": None if small else merged["written"], "groups": n}
    return kept, n


def drop_rates(groups: dict, min_records: int) -> dict:
    """Share quarantined per group (groups of at least ``min_records`` read), and the gap
    between the highest and the lowest."""
    rates = {v: round(1 - c["written"] / c["read"], 4) for v, c in groups.items()
             if c["read"] is not None and c["read"] >= min_records and v != SUPPRESSED}
    if not rates:
        return {"rates": {}, "gap": 0.0, "highest": None, "lowest": None}
    highest, lowest = max(rates, key=rates.get), min(rates, key=rates.get)
    return {"rates": rates, "gap": round(rates[highest] - rates[lowest], 4),
            "highest": highest, "lowest": lowest}


def representation(tmp: Path, policy: Policy) -> dict:
    """The ``representation`` block of run.json (and removes the temporary counts)."""
    import pyarrow.parquet as pq

    from pipelines.pipeline import _counts
    cfg = policy.representation
    read: dict[str, Counter] = {}
    path = tmp / GROUPS_FILE
    for line in (path.read_text().splitlines() if path.exists() else []):
        entry = json.loads(line)
        read.setdefault(entry["attribute"], Counter())[entry["value"]] += entry["read"]
    path.unlink(missing_ok=True)
    attributes = [*ATTRIBUTES, *cfg.columns]
    files = sorted((tmp / "dataset").glob("*.parquet"))
    present = set(pq.read_schema(files[0]).names) if files else set()
    out = {"attributes": attributes, "min_cell": cfg.min_cell, "groups": {}, "drop_rates": {},
           "suppressed_groups": {}}
    for attribute in attributes:
        written = Counter()
        # a column that did not reach the output has nothing written to count
        for r in _counts(tmp / "dataset", [attribute]) if attribute in present else []:
            value = r[attribute]
            written[MISSING if value is None or value == "" else str(value)] += r["count_all"]
        counts = read.get(attribute, Counter())
        groups = {v: {"read": counts.get(v, 0), "written": written.get(v, 0)}
                  for v in sorted(set(counts) | set(written))}
        if attribute in cfg.columns:
            groups, n = _suppress(groups, cfg.min_cell)
            out["suppressed_groups"][attribute] = n
        for c in groups.values():
            c["quarantined"] = (None if c["read"] is None or c["written"] is None
                                else max(0, c["read"] - c["written"]))
        out["groups"][attribute] = groups
        out["drop_rates"][attribute] = drop_rates(groups, cfg.min_group_records)
    # read but not tagged (unreadable, no id, a declared column missing): no group
    out["tagged"] = sum(read.get(P.SOURCE, Counter()).values())
    return out


def tdm_opt_outs(tmp: Path) -> dict:
    """Records excluded for a TDM reservation, by basis (from the quarantine messages,
    which name the basis and nothing else)."""
    from pipelines.pipeline import _counts
    by_basis = Counter()
    for r in _counts(tmp / "quarantine", ["reason", "message"]):
        if r["reason"] == Reason.TDM_OPT_OUT.value:
            by_basis[r["message"].split("tdm basis ", 1)[-1].split(":")[0]] += r["count_all"]
    return {"total": sum(by_basis.values()), "by_basis": dict(sorted(by_basis.items()))}


def governance_facts(policy: Policy, manifest: SourcesManifest) -> dict:
    """What the policy and manifest say that the risk assessment needs (no data)."""
    remote = [s.id for s in manifest.sources if "://" in s.path]
    return {
        "approvals_required": list(policy.approvals.required),
        "k_anonymity": {"k": policy.k_anonymity.k,
                        "quasi_identifiers": list(policy.k_anonymity.quasi_identifiers)},
        "residual_action": policy.residual.action,
        "retention_enforced": policy.retention.enforce,
        "tdm_honoured": policy.tdm.honour,
        "minimisation": {"allowed": list(policy.columns.allowed), "drop": list(policy.columns.drop)},
        "synthetic_limits": {**policy.synthetic.max_share,
                             **({"non-human": policy.synthetic.max_non_human_share}
                                if policy.synthetic.max_non_human_share is not None else {})},
        "generation_markers": [m.column for m in policy.synthetic.markers],
        "representation_thresholds": {"min_share": dict(policy.representation.min_share),
                                      "max_drop_rate_gap": policy.representation.max_drop_rate_gap},
        "home_region": policy.risk.home_region,
        "special_categories": list(policy.risk.special_categories),
        "high_volume": policy.risk.high_volume,
        "source_regions": {s.id: s.region for s in manifest.sources},
        "remote_sources": remote,
    }


def governance_summary(tmp: Path, policy: Policy, manifest: SourcesManifest) -> dict:
    """The run.json blocks: ``representation``, ``tdm_opt_outs`` and ``governance``."""
    return {"representation": representation(tmp, policy), "tdm_opt_outs": tdm_opt_outs(tmp),
            "governance": governance_facts(policy, manifest)}
