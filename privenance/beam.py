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
"""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import apache_beam as beam

from pipelines.anonymize.transform import AnonymizeRecords
from pipelines.steps.apply import ApplySteps
from pipelines.record import quarantine_schema
from pipelines.read.transform import ReadSources
from pipelines.record import OFFSET, SOURCE_ID
from pipelines.steps import gate_steps, tagging_steps
from pipelines.write.transform import WriteParquet
from privenance.keyref import KeyRef
from privenance.policy import Policy, load_policy
from privenance.sources import Source, load_sources

__all__ = ["Provenance", "PolicyGates", "Anonymize", "WriteParquet", "ReadSources", "KeyRef",
           "load", "quarantine_schema"]


def load(policy_path: str, sources_path: str, source_id: str) -> tuple[Policy, Source]:
    """A policy and one source of a manifest, validated as ``privenance run`` does."""
    manifest = load_sources(sources_path)
    source = next((s for s in manifest.sources if s.id == source_id), None)
    if source is None:
        raise KeyError(f"no source {source_id!r} in {sources_path}")
    return load_policy(policy_path), source


def _key(key: KeyRef | None) -> KeyRef:
    from privenance.keys import pseudonymization_key
    return key or KeyRef.of(pseudonymization_key())


class Gated(NamedTuple):
    records: beam.PCollection
    quarantine: beam.PCollection


class Anonymized(NamedTuple):
    records: beam.PCollection
    findings: beam.PCollection
    quarantine: beam.PCollection


class Provenance(beam.PTransform):
    """Rows of ``source`` in; rows with the provenance columns (record id, licence,
    consent, retention, origin, language) out. A row without its id or a declared column goes
    to quarantine. A row's position is its ``offset`` if it has one."""

    def __init__(self, source: Source, policy: Policy, key: KeyRef | None = None,
                 run_id: str | None = None):
        super().__init__()
        self.source, self.policy, self.key, self.run_id = source, policy, _key(key), run_id

    def expand(self, rows):
        sid = self.source.id
        marked = rows | "Mark" >> beam.Map(lambda row: {OFFSET: None, **row, SOURCE_ID: sid})
        steps = {sid: tagging_steps(self.source, self.policy, self.run_id, self.key)}
        return Gated(*(marked | "Tag" >> ApplySteps(steps)))


class PolicyGates(beam.PTransform):
    """Tagged records in; those the policy's TDM, licence, consent, retention and
    generation rules accept out, minimised to the columns the policy keeps. ``withdrawn``: consent
    references withdrawn (-> request id)."""

    def __init__(self, source: Source, policy: Policy, as_of: dt.date | None = None,
                 withdrawn: dict[str, str] | None = None):
        super().__init__()
        self.steps = {source.id: gate_steps(source, policy, as_of or dt.date.today(), withdrawn)}

    def expand(self, records):
        return Gated(*(records | "Gates" >> ApplySteps(self.steps)))


class Anonymize(beam.PTransform):
    """Gated records in; anonymized records, findings (entity, offsets, operator, a
    keyed subject token; never the value) and quarantine out. The engine is loaded
    once per worker process. ``erased``: subject tokens whose records to quarantine."""

    def __init__(self, source: Source, policy: Policy, key: KeyRef | None = None,
                 erased: dict[str, str] | None = None):
        super().__init__()
        self.inner = AnonymizeRecords(policy, _key(key), {source.id: source}, erased or {})

    def expand(self, records):
        return Anonymized(*(records | "Anonymize" >> self.inner))
