"""Anonymizing records in Beam: batches through batch.py's BatchAnonymizer, its
findings and quarantine rows routed to their outputs (the dead-letter one tagged
QUARANTINE).

The engine (``pipelines/anonymize/engine.py``'s TextAnonymizer: spaCy model, recognizers,
operators) is built once per worker process, in ``DoFn.setup``, and shared by all
the process's threads (``apache_beam.utils.shared.Shared``); the key it needs is
resolved there from a ``KeyRef``, so no key bytes travel with the job.
"""
from __future__ import annotations

import hashlib

import apache_beam as beam
from apache_beam.utils.shared import Shared

from pipelines.anonymize.batch import FAKE, BatchAnonymizer
from pipelines.record import QUARANTINE
from pipelines.runners.tagged_outputs import TaggedOutputs

FINDINGS = "findings"


class _Engines:
    """What a worker process shares between its DoFn instances: the set-up engine and
    subject tokens (Shared needs an object it can hold a weak reference to)."""

    def __init__(self, policy, key_ref, avoid: frozenset = frozenset()):
        from pipelines.anonymize.engine import TextAnonymizer
        from privenance.subject_tokens import SubjectTokens
        key = key_ref.resolve()
        self.engine = TextAnonymizer(policy, key, avoid)
        self.engine.setup()
        self.subjects = SubjectTokens(key)


class _AnonymizeBatch(beam.DoFn):
    """A batch of records in; anonymized records out, findings and quarantine rows on
    their tagged outputs."""

    def __init__(self, policy, key_ref, sources: dict, erased: dict[str, str],
                 keep_position: bool = False, avoid: frozenset = frozenset()):
        self.policy, self.key_ref, self.sources = policy, key_ref, sources
        self.erased = erased  # subject token -> erasure request id
        self.keep_position = keep_position
        self.avoid = frozenset(avoid)  # tokens no surrogate may be (keyed: no values)
        self._shared = Shared()

    def setup(self):
        # one engine per process and policy (and key), whatever the number of threads
        avoided = hashlib.sha256("".join(sorted(self.avoid)).encode()).hexdigest()[:16]
        tag = f"{self.policy.sha256}:{self.key_ref.check}:{avoided}"
        self._engines = self._shared.acquire(
            lambda: _Engines(self.policy, self.key_ref, self.avoid), tag)
        self.anonymizer = BatchAnonymizer(self.policy, self.sources, self.erased,
                                          self._engines.engine, self._engines.subjects.token,
                                          self.keep_position)

    def process(self, batch: list):
        out = self.anonymizer.anonymize(batch)
        for row in out.quarantine:
            yield beam.pvalue.TaggedOutput(QUARANTINE, row)
        for row in out.findings:
            yield beam.pvalue.TaggedOutput(FINDINGS, row)
        yield from out.records


@beam.ptransform_fn
def SurrogateCollisions(findings):  # noqa: N802 (a transform, named like one)
    """Tokens of fakes that equal a value detected somewhere in the data, as a singleton
    PCollection (a sorted list): finding rows in."""
    def pairs(row):
        if row.get("subject"):
            yield row["subject"], "detected"
        if row.get(FAKE):
            yield row[FAKE], "fake"
    return (findings
            | "TokenKinds" >> beam.FlatMap(pairs)
            | "GroupTokens" >> beam.GroupByKey()
            | "BothKinds" >> beam.FlatMap(
                lambda kv: [kv[0]] if {"detected", "fake"} <= set(kv[1]) else [])
            | "Collisions" >> beam.combiners.ToList()
            | "Sorted" >> beam.Map(sorted))


class AnonymizeRecords(beam.PTransform):
    """Records in; (anonymized records, findings, quarantine) out. Records that
    concern a subject in ``erased`` (subject token -> request id) are quarantined.
    ``key_ref``: where workers find the pseudonymization key (privenance/keyref.py).
    ``on_dask``: batch without BatchElements, which the DaskRunner breaks
    (pipelines/runners/dask_runner.py); False on every other runner. ``keep_position``: records
    and findings keep where the record was read (steps.POSITION), for a writer that
    keeps the first read of records sharing an id (pipelines/write/transform.py). ``avoid``:
    keyed tokens of values no surrogate may be (the run's second pass)."""

    def __init__(self, policy, key_ref, sources: dict, erased: dict[str, str],
                 on_dask: bool = False, keep_position: bool = False,
                 avoid: frozenset = frozenset()):
        super().__init__()
        self.policy, self.key_ref, self.sources = policy, key_ref, sources
        self.erased, self.on_dask, self.keep_position = erased, on_dask, keep_position
        self.avoid = avoid

    def expand(self, records):
        size = self.policy.anonymization.batch_size
        if self.on_dask:
            from pipelines.runners.dask_runner import BatchByKey
            batches = records | "BatchByKey" >> BatchByKey(size)
        else:
            batches = records | "Batch" >> beam.BatchElements(min_batch_size=size,
                                                               max_batch_size=size)
        out = batches | "Anonymize" >> TaggedOutputs(_AnonymizeBatch(
            self.policy, self.key_ref, self.sources, self.erased, self.keep_position,
            self.avoid),
            FINDINGS, QUARANTINE, main="records")
        return out.records, out[FINDINGS], out[QUARANTINE]
