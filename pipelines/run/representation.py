"""Who is in the data, before and after the gates (the representation report), and
the other governance facts a run records in run.json.

``GroupCounts`` counts records by source, language, origin, licence use and the
policy's ``representation.columns``: aggregates only. The pipeline counts the tagged
records (their groups taken by TakeGroups, before any gate) and the records
written, and ``write_groups`` puts both in ``_representation.json`` beside the
outputs (removed when the run is published). ``governance_summary`` suppresses small
cells of the policy's columns (quasi-identifiers), works out drop rates by group and
counts the TDM opt-outs by basis, for run.json.
"""
from __future__ import annotations

from collections import Counter

import apache_beam as beam

from pipelines.record import GROUPS
from pipelines.steps.tagging import group_keys
from privenance import provenance as P
from privenance.errors import TDM_REASONS
from privenance.policy import Policy
from privenance.sources import SourcesManifest

GROUPS_FILE = "_representation.json"
ATTRIBUTES = (P.SOURCE, P.LANGUAGE, P.ORIGIN, P.LICENCE_USE)
SUPPRESSED = "(suppressed)"


class GroupCounts(beam.CombineFn):
    """Records in; {attribute: {value: count}} out (empty input: every attribute, no
    values). A record's groups are those TakeGroups recorded, when it did: the gates
    change the records that pass them, possibly before they are counted here."""

    def __init__(self, columns: list[str]):
        self.columns = list(columns)

    def create_accumulator(self):
        return Counter()

    def add_input(self, acc, record):
        acc.update(record.get(GROUPS) or group_keys(record, self.columns))
        return acc

    def merge_accumulators(self, accs):
        out = Counter()
        for acc in accs:
            out.update(acc)
        return out

    def extract_output(self, acc):
        out = {a: {} for a in [*ATTRIBUTES, *self.columns]}
        for (attribute, value), n in sorted(acc.items()):
            out[attribute][value] = n
        return out


def write_groups(_, incoming: str, read: dict, written: dict,
                 left_out: dict | None = None) -> None:
    """The two counts into ``incoming/_representation.json``; ``left_out``: counts of
    records among ``written`` that the writer left out (duplicates), taken off."""
    from privenance import storage
    written = {attribute: dict(values) for attribute, values in written.items()}  # not ours
    for attribute, values in (left_out or {}).items():
        for value, n in values.items():
            written[attribute][value] -= n
            if not written[attribute][value]:
                del written[attribute][value]
    storage.write_json(storage.join(incoming, GROUPS_FILE), {"read": read, "written": written})


class CountRepresentation(beam.PTransform):
    """(tagged records, records to write[, records the writer left out]) in;
    ``_representation.json`` under ``incoming``."""

    def __init__(self, columns: list[str], incoming: str):
        super().__init__()
        self.columns, self.incoming = list(columns), incoming

    def expand(self, pcolls):
        tagged, written, *left_out = pcolls
        read = tagged | "CountTagged" >> beam.CombineGlobally(GroupCounts(self.columns))
        kept = written | "CountWritten" >> beam.CombineGlobally(GroupCounts(self.columns))
        extra = {}
        if left_out:
            extra["left_out"] = beam.pvalue.AsSingleton(
                left_out[0] | "CountLeftOut" >> beam.CombineGlobally(GroupCounts(self.columns)))
        return (tagged.pipeline | "Once" >> beam.Create([None])
                | "WriteGroups" >> beam.Map(write_groups, incoming=self.incoming,
                                            read=beam.pvalue.AsSingleton(read),
                                            written=beam.pvalue.AsSingleton(kept), **extra))


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


def representation(counts: dict, policy: Policy) -> dict:
    """The ``representation`` block of run.json from the pipeline's two counts."""
    cfg = policy.representation
    attributes = [*ATTRIBUTES, *cfg.columns]
    out = {"attributes": attributes, "min_cell": cfg.min_cell, "groups": {}, "drop_rates": {},
           "suppressed_groups": {}}
    for attribute in attributes:
        read = counts["read"].get(attribute, {})
        written = counts["written"].get(attribute, {})
        groups = {v: {"read": read.get(v, 0), "written": written.get(v, 0)}
                  for v in sorted(set(read) | set(written))}
        if attribute in cfg.columns:
            groups, n = _suppress(groups, cfg.min_cell)
            out["suppressed_groups"][attribute] = n
        for c in groups.values():
            c["quarantined"] = (None if c["read"] is None or c["written"] is None
                                else max(0, c["read"] - c["written"]))
        out["groups"][attribute] = groups
        out["drop_rates"][attribute] = drop_rates(groups, cfg.min_group_records)
    # read but not tagged (unreadable, no id, a declared column missing): no group
    out["tagged"] = sum(counts["read"].get(P.SOURCE, {}).values())
    return out


def tdm_opt_outs(reasons: dict) -> dict:
    """Records excluded for a TDM reservation, by basis (its reason code)."""
    by_basis = {r.value: reasons[r.value] for r in TDM_REASONS if reasons.get(r.value)}
    return {"total": sum(by_basis.values()), "by_basis": by_basis}


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
        "risk_tier": policy.risk.tier,
        "human_oversight": policy.risk.human_oversight,
        # per source: the collection statement (PICS) and, leaving HK, the transfer mechanism
        "collection_statements": {s.id: s.collection_statement.model_dump()
                                  if s.collection_statement else None for s in manifest.sources},
        "transfer_mechanisms": {s.id: s.transfer_mechanism for s in manifest.sources},
        "remote_sources": remote,
    }


def governance_summary(incoming: str, summary: dict, policy: Policy,
                       manifest: SourcesManifest) -> dict:
    """The run.json blocks ``representation``, ``tdm_opt_outs`` and ``governance``, from
    the pipeline's counts under ``incoming`` and the run ``summary``."""
    from privenance import storage
    counts = storage.read_json(storage.join(incoming, GROUPS_FILE))
    return {"representation": representation(counts, policy),
            "tdm_opt_outs": tdm_opt_outs(summary["quarantine_reasons"]),
            "governance": governance_facts(policy, manifest)}
