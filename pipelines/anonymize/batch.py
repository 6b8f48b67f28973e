"""Anonymizing a batch of records, without Beam: records in; anonymized records,
findings and quarantine rows out.

``BatchAnonymizer`` runs the engine (engine.py's TextAnonymizer, or any object with
its ``anonymize_texts``, ``transform_values``, ``residual_entities`` and
``subject_fields``) over a list of records, in four passes: free text (every text
cell of the batch through spaCy's ``pipe`` at once), declared structured columns
(column-wise, no NER), erasure requests, and the residual scan. A record the engine
fails on, or that is left with an identifier, is rejected with a reason code and
becomes a quarantine row (pipelines/record.py); the others are unaffected. The Beam
transform (transform.py) only routes the three lists to its outputs.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from pipelines.anonymize.surrogates import checked, span
from pipelines.record import FILE, INTERNAL, OFFSET, SOURCE_ID, SURROGATES, finish, quarantine_row
from privenance import provenance as P
from privenance.errors import Reason, RecordRejected


@dataclass
class AnonymizedBatch:
    """What a batch gives: anonymized records (finished for writing), finding rows
    (entity, offsets, operator, keyed tokens; never a value), quarantine rows, and the
    subject tokens of every value detected, in rejected records too (with the surrogate
    check: no fake may be one of them)."""

    records: list[dict] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    quarantine: list[dict] = field(default_factory=list)
    detected: list[str] = field(default_factory=list)


@dataclass
class _Work:
    """One batch in progress: its records (copies, changed in place), what they were
    before any column changed (for per-subject operators), the rejections so far
    (row -> (stage, RecordRejected)) and each row's findings as
    (column, finding, subject token, surrogate seed): both are computed from the
    original value, which is never kept."""

    records: list[dict]
    originals: list[dict] | None
    rejected: dict[int, tuple[str, RecordRejected]] = field(default_factory=dict)
    findings: dict[int, list] = field(default_factory=dict)

    def reject(self, row: int, stage: str, reason: Reason, message: str,
               request: str | None = None) -> None:
        """The record's last rejection wins (a later too-long column)."""
        self.rejected[row] = (stage, RecordRejected(reason, message, request))

    def fail(self, row: int, stage: str, what: str, exc: Exception) -> None:
        """The record's first failure is kept; the exception's type only: its message
        may quote the text."""
        if row not in self.rejected:
            self.reject(row, stage, Reason.ANONYMIZE_FAILED, f"{what} raised {type(exc).__name__}")


class BatchAnonymizer:
    """Anonymizes lists of records with ``engine``. ``sources``: source id -> Source;
    ``erased``: subject token -> erasure request id (records that concern such a
    subject are quarantined); ``token``: the keyed subject token of (entity, value)
    (privenance/subject_tokens.py); ``keep_position``: records and findings keep where
    the record was read (pipelines/record.py POSITION); ``surrogate_check``: records
    carry their surrogates' places and keyed seeds (record.SURROGATES) for the dataset's
    writer to redraw a fake that is a detected value (pipelines/anonymize/surrogates.py)."""

    def __init__(self, policy, sources: dict, erased: dict[str, str], engine, token,
                 keep_position: bool = False, surrogate_check: bool = False):
        self.policy, self.sources, self.erased = policy, sources, erased
        self.engine, self.token, self.keep_position = engine, token, keep_position
        self.surrogate_check = surrogate_check

    def anonymize(self, batch: list[dict]) -> AnonymizedBatch:
        # the records change in place below, and an input is not ours to change (the
        # DaskRunner hands the same objects again when it computes a branch again)
        records = [dict(r) for r in batch]
        for record in records:
            _declared_as_text(record, self.sources[record[SOURCE_ID]])
        # per-subject operators read the record as it came in, before any column changes
        originals = [dict(r) for r in records] if self.engine.subject_fields else None
        work = _Work(records, originals, findings={i: [] for i in range(len(records))})
        self._texts(work)
        self._fields(work)
        self._erased(work)
        out = AnonymizedBatch()
        if self.surrogate_check:
            out.detected = sorted({t for found in work.findings.values()
                                   for _, _, t, _ in found if t is not None})
        for i, record in enumerate(records):
            if i not in work.rejected:
                self._residual(work, i)
            if i in work.rejected:
                stage, exc = work.rejected[i]
                out.quarantine.append(quarantine_row(record, stage, exc.reason, exc.message,
                                                     exc.request))
            else:
                self._emit(record, work.findings[i], out)
        return out

    def _text_cells(self, work: _Work) -> tuple[list[tuple[int, str]], list[str]]:
        """The batch's non-blank text cells, as (row, column) and their texts; a text
        over the policy's limit rejects its record."""
        limit = self.policy.anonymization.max_text_chars
        cells, texts = [], []
        for i, record in enumerate(work.records):
            for column in self.sources[record[SOURCE_ID]].text_fields:
                value = record.get(column)
                if not (isinstance(value, str) and value.strip()):
                    continue
                if len(value) > limit:
                    work.reject(i, "anonymize", Reason.TEXT_TOO_LONG,
                                f"{column} is longer than {limit} characters")
                    continue
                cells.append((i, column))
                texts.append(value)
        return cells, texts

    def _texts(self, work: _Work) -> None:
        """Free text: every text cell of the batch goes through the engine at once."""
        cells, texts = self._text_cells(work)
        keep = [n for n, (i, _) in enumerate(cells) if i not in work.rejected]
        originals = work.originals
        results = isolate(lambda ns: self.engine.anonymize_texts(
            [texts[n] for n in ns], originals and [originals[cells[n][0]] for n in ns]), keep)
        for n, result in zip(keep, results):
            i, column = cells[n]
            if isinstance(result, Exception):
                work.fail(i, "anonymize", f"anonymizing {column}", result)
                continue
            original = texts[n]
            work.records[i][column] = result.text
            work.findings[i] += [
                (column, f, self.token(f.entity, original[f.start:f.end]),
                 self._seed(f, original[f.start:f.end]))
                for f in result.findings]

    def _fields(self, work: _Work) -> None:
        """Structured columns with a declared entity: column-wise, no NER."""
        by_column: dict[tuple, list[int]] = {}
        for i, record in enumerate(work.records):
            for column, entity in self.sources[record[SOURCE_ID]].fields.items():
                if column in record and i not in work.rejected:
                    by_column.setdefault((column, entity), []).append(i)
        for (column, entity), rows in by_column.items():
            self._field(work, column, entity, rows)

    def _field(self, work: _Work, column: str, entity: str, rows: list[int]) -> None:
        records, originals = work.records, work.originals
        values = isolate(lambda r: self.engine.transform_values(
            [records[i][column] for i in r], entity, originals and [originals[i] for i in r]),
            rows)
        operator = self.policy.rule_for(entity).operator
        for i, value in zip(rows, values):
            if isinstance(value, Exception):
                work.fail(i, "anonymize", f"anonymizing {column}", value)
                continue
            if records[i][column] is not None:
                f = _StructuredFinding(entity, operator)
                work.findings[i].append((column, f, self.token(entity, records[i][column]),
                                         self._seed(f, records[i][column])))
            records[i][column] = value

    def _erased(self, work: _Work) -> None:
        """Records that concern a subject whose erasure was requested."""
        for i, found in work.findings.items():
            request = next((self.erased[t] for _, _, t, _ in found if t in self.erased), None)
            if request and i not in work.rejected:
                work.reject(i, "subjects", Reason.SUBJECT_ERASED,
                            f"concerns a subject of erasure request {request}", request)

    def _residual(self, work: _Work, i: int) -> None:
        """The residual scan of every string column that will be written: quarantined
        or flagged as a finding, as the policy says; unscanned is not clean."""
        action = self.policy.residual.action
        if action == "ignore":
            return
        record = work.records[i]
        for column in scanned_columns(record):
            try:
                left = self.engine.residual_entities(_as_text(record[column]))
            except Exception as exc:  # fail closed
                work.fail(i, "residual", f"the residual scan of {column}", exc)
                return
            if left and action == "quarantine":
                work.reject(i, "residual", Reason.RESIDUAL_PII,
                            f"{column} still contains {', '.join(sorted(set(left)))}")
                return
            for entity in left:
                work.findings[i].append((column, _StructuredFinding(entity, "residual"),
                                         None, None))

    def _emit(self, record: dict, found: list, out: AnonymizedBatch) -> None:
        counts = Counter(f.entity for _, f, _, _ in found)
        record[P.PII_COUNTS] = dict(sorted(counts.items()))
        # where the record was read, for the writer to leave out a duplicate's findings
        position = ({FILE: record.get(FILE), OFFSET: record.get(OFFSET)}
                    if self.keep_position else {})
        for column, f, subject, _ in found:
            out.findings.append({
                P.RECORD_ID: record[P.RECORD_ID], P.SOURCE: record[P.SOURCE],
                "column": column, "entity": f.entity, "start": f.start, "end": f.end,
                "score": f.score, "operator": f.operator, "subject": subject,
                "out_start": getattr(f, "out_start", None),
                "out_end": getattr(f, "out_end", None), **position})
        finish(record, self.keep_position)
        spans = [span(column, getattr(f, "out_start", None), getattr(f, "out_end", None),
                      f.entity, seed) for column, f, _, seed in found if seed is not None]
        if spans:
            record[SURROGATES] = spans
        out.records.append(record)

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
