"""privenance's pipeline pieces as Beam transforms, for your own Beam pipeline.

Records are dicts (one per row). Each transform returns its records and a
dead-letter PCollection of quarantine rows (a reason code, no raw values)::

    import apache_beam as beam
    from privenance.beam import Anonymize, PolicyGates, Provenance, WriteParquet, load
    policy, source = load("policies/default.yaml", "data/sources.yaml", "tickets")

    with beam.Pipeline() as p:
        rows = p | beam.Create([{"ticket_id": "T-1", "body": "Call Chan Tai Man on 9123 4567"}])
        tagged = rows | Provenance(source, policy)            # .records, .quarantine
        kept = tagged.records | PolicyGates(source, policy)   # licence, consent, retention, minimise
        clean = kept.records | Anonymize(source, policy)      # .records, .findings, .quarantine
        clean.records | WriteParquet("out", "dataset")        # deterministic Parquet files

The pseudonymization key is never put in the job: by default the workers read the
project's configured key themselves (``PRIVENANCE_PSEUDONYM_KEY``, its ``_FILE``, or
the project setting); pass ``key=KeyRef.env("MY_KEY")`` to name another.

Each transform takes one source (as above) or a manifest's sources, for records that
``ReadSources`` read. ``Run`` is the whole of ``privenance run``'s graph (read, tag,
gates, anonymize, write), built from these same transforms (pipelines/run/graph.py).
"""
from __future__ import annotations

from pipelines.read.transform import ReadSources
from pipelines.record import quarantine_schema
from pipelines.run.graph import (Anonymize, Anonymized, Gated, PolicyGates, Provenance,
                                 RunGraph as Run)
from pipelines.run.options import RunOptions
from pipelines.write.transform import WriteParquet
from privenance.keyref import KeyRef
from privenance.policy import Policy, load_policy
from privenance.sources import Source, load_sources

__all__ = ["Provenance", "PolicyGates", "Anonymize", "WriteParquet", "ReadSources", "KeyRef",
           "Run", "RunOptions", "Gated", "Anonymized", "load", "quarantine_schema"]


def load(policy_path: str, sources_path: str, source_id: str) -> tuple[Policy, Source]:
    """A policy and one source of a manifest, validated as ``privenance run`` does."""
    manifest = load_sources(sources_path)
    source = next((s for s in manifest.sources if s.id == source_id), None)
    if source is None:
        raise KeyError(f"no source {source_id!r} in {sources_path}")
    return load_policy(policy_path), source
