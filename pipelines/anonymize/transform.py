"""Anonymizing records in Beam: batches through batch.py's BatchAnonymizer, its
findings and quarantine rows routed to their outputs (the dead-letter one tagged
QUARANTINE).

The engine (``pipelines/anonymize/engine.py``'s TextAnonymizer: spaCy model, recognizers,
operators) is built once per worker process, in ``DoFn.setup``, and shared by all
the process's threads (``apache_beam.utils.shared.Shared``); the key it needs is
resolved there from a ``KeyRef``, so no key bytes travel with the job.
"""
from __future__ import annotations

import apache_beam as beam
from apache_beam.utils.shared import Shared

from pipelines.anonymize.batch import BatchAnonymizer
from pipelines.record import QUARANTINE
from pipelines.runners.tagged_outputs import TaggedOutputs
from privenance.process import loading_for_good

FINDINGS = "findings"
DETECTED = "detected"  # subject tokens of the values detected (pipelines/anonymize/surrogates.py)


class _Engines:
    """What a worker process shares between its DoFn instances: the set-up engine and
    subject tokens (Shared needs an object it can hold a weak reference to)."""

    def __init__(self, policy, key_ref, texts: bool = True):
        from pipelines.anonymize.engine import TextAnonymizer
        from privenance.subject_tokens import SubjectTokens
        key = key_ref.resolve()
        with loading_for_good():  # privenance/process.py: the engines live as long as the worker
            self.engine = TextAnonymizer(policy, key)
            # no source with a text column: spaCy and the recognizers are not loaded
            self.engine.setup(texts=texts)
            self.subjects = SubjectTokens(key)


class _AnonymizeBatch(beam.DoFn):
    """A batch of records in; anonymized records out, findings, quarantine rows and (with
    ``surrogate_check``) the detected subject tokens on their tagged outputs."""

    def __init__(self, policy, key_ref, sources: dict, erased: dict[str, str],
                 keep_position: bool = False, surrogate_check: bool = False):
        self.policy, self.key_ref, self.sources = policy, key_ref, sources
        self.erased = erased  # subject token -> erasure request id
        self.keep_position, self.surrogate_check = keep_position, surrogate_check
        self._shared = Shared()

    def setup(self):
        # one engine per process and policy (and key), whatever the number of threads
        tag = f"{self.policy.sha256}:{self.key_ref.check}"
        texts = any(source.text_fields for source in self.sources.values())
        self._engines = self._shared.acquire(lambda: _Engines(self.policy, self.key_ref, texts), tag)
        self.anonymizer = BatchAnonymizer(self.policy, self.sources, self.erased,
                                          self._engines.engine, self._engines.subjects.token,
                                          self.keep_position, self.surrogate_check)

    def process(self, batch: list):
        out = self.anonymizer.anonymize(batch)
        for row in out.quarantine:
            yield beam.pvalue.TaggedOutput(QUARANTINE, row)
        for row in out.findings:
            yield beam.pvalue.TaggedOutput(FINDINGS, row)
        for token in out.detected:
            yield beam.pvalue.TaggedOutput(DETECTED, token)
        yield from out.records


class AnonymizeRecords(beam.PTransform):
    """Records in; (anonymized records, findings, quarantine) out. Records that
    concern a subject in ``erased`` (subject token -> request id) are quarantined.
    ``key_ref``: where workers find the pseudonymization key (privenance/keyref.py).
    ``on_dask``: batch without BatchElements, which the DaskRunner breaks
    (pipelines/runners/dask_runner.py); False on every other runner. ``keep_position``: records
    and findings keep where the record was read (steps.POSITION), for a writer that
    keeps the first read of records sharing an id (pipelines/write/transform.py).
    ``surrogate_check``: records carry their surrogates' places and keyed seeds
    (record.SURROGATES), and a fourth output holds the subject tokens of every value
    detected, in rejected records too, for the dataset's writer to redraw any fake that
    is one of them (pipelines/anonymize/surrogates.py)."""

    def __init__(self, policy, key_ref, sources: dict, erased: dict[str, str],
                 on_dask: bool = False, keep_position: bool = False,
                 surrogate_check: bool = False):
        super().__init__()
        self.policy, self.key_ref, self.sources = policy, key_ref, sources
        self.erased, self.on_dask, self.keep_position = erased, on_dask, keep_position
        self.surrogate_check = surrogate_check

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
            self.surrogate_check),
            FINDINGS, QUARANTINE, DETECTED, main="records")
        if self.surrogate_check:
            return out.records, out[FINDINGS], out[QUARANTINE], out[DETECTED]
        return out.records, out[FINDINGS], out[QUARANTINE]
