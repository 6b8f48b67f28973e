"""Anonymizing records: Presidio and spaCy, a batch at a time, with findings and a
dead-letter output.

The engine (``pipelines/anonymize/engine.py``'s TextAnonymizer: spaCy model, recognizers,
operators) is built once per worker process, in ``DoFn.setup``, and shared by all
the process's threads (``apache_beam.utils.shared.Shared``); the key it needs is
resolved there from a ``KeyRef``, so no key bytes travel with the job.
"""
from __future__ import annotations

import json
from collections import Counter

import apache_beam as beam
from apache_beam.utils.shared import Shared

from pipelines.anonymize.surrogates import checked, span
from pipelines.runners.tagged_outputs import TaggedOutputs
from pipelines.record import QUARANTINE, quarantine_row
from pipelines.record import FILE, INTERNAL, OFFSET, SOURCE_ID, SURROGATES, finish
from privenance import provenance as P
from privenance.errors import Reason

FINDINGS = "findings"
DETECTED = "detected"  # subject tokens of the values detected (pipelines/anonymize/surrogates.py)


class _Engines:
    """What a worker process shares between its DoFn instances: the set-up engine and
    subject tokens (Shared needs an object it can hold a weak reference to)."""

    def __init__(self, policy, key_ref):
        from pipelines.anonymize.engine import TextAnonymizer
        from privenance.subject_tokens import SubjectTokens
        key = key_ref.resolve()
        self.engine = TextAnonymizer(policy, key)
        self.engine.setup()
        self.subjects = SubjectTokens(key)


class _AnonymizeBatch(beam.DoFn):
    def __init__(self, policy, key_ref, sources: dict, erased: dict[str, str],
                 keep_position: bool = False, surrogate_check: bool = False):
        self.policy, self.key_ref, self.sources = policy, key_ref, sources
        self.erased = erased  # subject token -> erasure request id
        self.keep_position, self.surrogate_check = keep_position, surrogate_check
        self._shared = Shared()

    def setup(self):
        # one engine per process and policy (and key), whatever the number of threads
        tag = f"{self.policy.sha256}:{self.key_ref.check}"
        self._engines = self._shared.acquire(
            lambda: _Engines(self.policy, self.key_ref), tag)
        self.engine, self.subjects = self._engines.engine, self._engines.subjects

    def process(self, batch: list):
        # the records change in place below, and an input is not ours to change (the
        # DaskRunner hands the same objects again when it computes a branch again)
        batch = [dict(r) for r in batch]
        limit = self.policy.anonymization.max_text_chars
        rejected: dict[int, tuple] = {}  # row -> (reason, stage, message[, request])
        # row -> [(column, finding, subject token, surrogate seed)]; the token and seed are
        # computed from the original value, which is never kept
        findings_of: dict[int, list] = {i: [] for i in range(len(batch))}
        token, seed = self.subjects.token, self._seed
        for record in batch:
            _declared_as_text(record, self.sources[record[SOURCE_ID]])
        # per-subject operators read the record as it came in, before any column changes
        originals = [dict(r) for r in batch] if self.engine.subject_fields else None
        # 1. free text: every text cell of the batch goes through spaCy's pipe at once
        cells, texts = [], []
        for i, record in enumerate(batch):
            for column in self.sources[record[SOURCE_ID]].text_fields:
                value = record.get(column)
                if isinstance(value, str) and value.strip():
                    if len(value) > limit:
                        rejected[i] = (Reason.TEXT_TOO_LONG, "anonymize",
                                       f"{column} is longer than {limit} characters")
                        continue
                    cells.append((i, column))
                    texts.append(value)
        keep = [n for n, (i, _) in enumerate(cells) if i not in rejected]
        results = isolate(lambda ns: self.engine.anonymize_texts(
            [texts[n] for n in ns], originals and [originals[cells[n][0]] for n in ns]), keep)
        for n, result in zip(keep, results):
            i, column = cells[n]
            if isinstance(result, Exception):
                rejected.setdefault(i, _failed("anonymize", f"anonymizing {column}", result))
                continue
            original = texts[n]
            batch[i][column] = result.text
            findings_of[i] += [(column, f, token(f.entity, original[f.start:f.end]),
                                seed(f, original[f.start:f.end]))
                               for f in result.findings]
        # 2. structured columns with a declared entity: column-wise, no NER
        by_column: dict[tuple, list[int]] = {}
        for i, record in enumerate(batch):
            for column, entity in self.sources[record[SOURCE_ID]].fields.items():
                if column in record and i not in rejected:
                    by_column.setdefault((column, entity), []).append(i)
        for (column, entity), rows in by_column.items():
            values = isolate(lambda r: self.engine.transform_values(
                [batch[i][column] for i in r], entity, originals and [originals[i] for i in r]),
                rows)
            operator = self.policy.rule_for(entity).operator
            for i, value in zip(rows, values):
                if isinstance(value, Exception):
                    rejected.setdefault(i, _failed("anonymize", f"anonymizing {column}", value))
                    continue
                if batch[i][column] is not None:
                    f = _StructuredFinding(entity, operator)
                    findings_of[i].append((column, f, token(entity, batch[i][column]),
                                           seed(f, batch[i][column])))
                batch[i][column] = value
        # 3. records that concern a subject whose erasure was requested
        for i, found in findings_of.items():
            request = next((self.erased[t] for _, _, t, _ in found if t in self.erased), None)
            if request and i not in rejected:
                rejected[i] = (Reason.SUBJECT_ERASED, "subjects",
                               f"concerns a subject of erasure request {request}", request)
        if self.surrogate_check:  # every value detected, rejected records' too
            for subject in sorted({t for found in findings_of.values() for _, _, t, _ in found
                                   if t is not None}):
                yield beam.pvalue.TaggedOutput(DETECTED, subject)
        # 4. residual scan of every string column that will be written, then emit
        action = self.policy.residual.action
        for i, record in enumerate(batch):
            if i not in rejected and action != "ignore":
                for column in scanned_columns(record):
                    try:
                        left = self.engine.residual_entities(_as_text(record[column]))
                    except Exception as exc:  # unscanned is not clean: fail closed
                        rejected[i] = _failed("residual", f"the residual scan of {column}", exc)
                        break
                    if left and action == "quarantine":
                        rejected[i] = (Reason.RESIDUAL_PII, "residual",
                                       f"{column} still contains {', '.join(sorted(set(left)))}")
                        break
                    for entity in left:
                        findings_of[i].append((column, _StructuredFinding(entity, "residual"),
                                               None, None))
            if i in rejected:
                reason, stage, message, *request = rejected[i]
                yield beam.pvalue.TaggedOutput(QUARANTINE, quarantine_row(
                    record, stage, reason, message, *request))
                continue
            counts = Counter(f.entity for _, f, _, _ in findings_of[i])
            record[P.PII_COUNTS] = dict(sorted(counts.items()))
            # where the record was read, for the writer to leave out a duplicate's findings
            position = ({FILE: record.get(FILE), OFFSET: record.get(OFFSET)}
                        if self.keep_position else {})
            for column, f, subject, _ in findings_of[i]:
                yield beam.pvalue.TaggedOutput(FINDINGS, {
                    P.RECORD_ID: record[P.RECORD_ID], P.SOURCE: record[P.SOURCE],
                    "column": column, "entity": f.entity, "start": f.start, "end": f.end,
                    "score": f.score, "operator": f.operator, "subject": subject,
                    "out_start": getattr(f, "out_start", None),
                    "out_end": getattr(f, "out_end", None), **position})
            finish(record, self.keep_position)
            spans = [span(column, getattr(f, "out_start", None), getattr(f, "out_end", None),
                          f.entity, s) for column, f, _, s in findings_of[i] if s is not None]
            if spans:
                record[SURROGATES] = spans
            yield record

    def _seed(self, finding, value) -> str | None:
        """The keyed seed of a checked surrogate's redraws (surrogates.py), else None."""
        if not (self.surrogate_check and finding.operator == "surrogate"
                and checked(finding.entity) and value is not None):
            return None
        return self.engine.operators[finding.entity].seed(str(value), finding.entity)


def isolate(call, items: list) -> list:
    """``call(items)``, one result per item; if it raises (or miscounts), ``call([item])``
    item by item, so one bad item does not fail the others: an item that still raises
    gets its exception in place of a result."""
    if not items:
        return []
    try:
        results = list(call(items))
        if len(results) == len(items):
            return results
    except Exception:
        pass
    out = []
    for item in items:
        try:
            (result,) = call([item])  # exactly one result, or a ValueError
        except Exception as exc:
            result = exc
        out.append(result)
    return out


def _as_text(value) -> str:
    return "\n".join(map(str, value)) if isinstance(value, list) else str(value)


def _declared_as_text(record: dict, source) -> None:
    """A declared text or structured column holding a list (JSON tags) is treated as its
    JSON text, as the detection and operators need one string; lists stay lists only
    in columns the policy lets through, scanned for residual identifiers item by item."""
    for column in (*source.text_fields, *source.fields):
        if isinstance(record.get(column), list):
            record[column] = json.dumps(record[column], ensure_ascii=False)


def _failed(stage: str, what: str, exc: Exception) -> tuple:
    # the exception's type only: its message may quote the text
    return (Reason.ANONYMIZE_FAILED, stage, f"{what} raised {type(exc).__name__}")


def scanned_columns(record: dict) -> list[str]:
    """The record's columns that will be written with a string or integer value (a
    card number can arrive as an integer): the source's own, and the provenance
    columns a row may set; not pipeline-internal."""
    return [c for c, v in record.items()
            if isinstance(v, (str, int, list)) and not isinstance(v, bool)
            and (c not in P.COLUMNS or c in P.ROW_SET)
            and c not in INTERNAL and not c.startswith("__")]


class _StructuredFinding:
    """A whole-cell finding in a declared column: no offsets, score 1."""

    __slots__ = ("entity", "operator")
    start = end = None
    score = 1.0

    def __init__(self, entity, operator):
        self.entity, self.operator = entity, operator


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
