"""The one adapter between plain steps and Beam.

- ``ApplySteps``: runs each record through its source's steps; a ``RecordRejected``
  (or any unexpected error) becomes a quarantine row on the dead-letter output.
- ``AnonymizeRecords``: batches records into Presidio/spaCy (engine built once per
  worker in ``DoFn.setup``), emits findings and residual-PII rejections.
- ``WriteParts`` and ``write_shards``: deterministic output: workers hash rows to a
  fixed number of shards and pickle them to part files; after the pipeline each shard
  is sorted before writing, so the bytes do not depend on the runner, the worker count
  or bundle boundaries.
"""
from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import logging
import os
import pickle
import sys
import uuid
from collections import Counter
from pathlib import Path

import apache_beam as beam

from pipelines.readers import read_source
from pipelines.steps import INTERNAL, OFFSET, SOURCE_ID, SOURCE_KEY, finish
from privenance import provenance as P
from privenance.errors import Reason, RecordRejected

QUARANTINE = "quarantine"
FINDINGS = "findings"
COUNTS = "counts"


def quarantine_row(record: dict, stage: str, reason: Reason, message: str, run_id: str,
                   request: str | None = None) -> dict:
    """Points at the raw record (source, key, offset); copies no raw values.
    ``request`` names the data-subject request that removed the record, if any."""
    return {"_source": record.get(SOURCE_ID), "_source_key": record.get(SOURCE_KEY),
            "_offset": record.get(OFFSET), "stage": stage, "reason": Reason(reason).value,
            "message": message, "request": request, "_run_id": run_id}


class ReadSource(beam.DoFn):
    """Source id in, its rows out in chunks of up to CHUNK rows; unreadable rows go to
    quarantine, the total to counts. Chunks, not rows, so that spreading them over the
    workers (a Reshuffle) groups 64 times fewer keys: the runner groups and re-encodes
    every key in one thread (~0.5 s per 10,000 rows, one key per row)."""

    CHUNK = 64  # the workers' shares differ by at most a chunk

    def __init__(self, sources: dict, run_id: str):
        self.sources, self.run_id = sources, run_id

    def process(self, source_id: str):
        source = self.sources[source_id]
        read, chunk = 0, []
        for row in read_source(source):
            read += 1
            if row.values is None:
                meta = {SOURCE_ID: source_id, OFFSET: row.offset, SOURCE_KEY: None}
                yield beam.pvalue.TaggedOutput(QUARANTINE, quarantine_row(
                    meta, "read", Reason.MALFORMED, row.problem, self.run_id))
                continue
            chunk.append({**row.values, SOURCE_ID: source_id, OFFSET: row.offset})
            if len(chunk) == self.CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk
        yield beam.pvalue.TaggedOutput(COUNTS, (source_id, read))


class _StepsDoFn(beam.DoFn):
    def __init__(self, steps_by_source: dict, run_id: str):
        self.steps_by_source, self.run_id = steps_by_source, run_id

    def setup(self):
        for steps in self.steps_by_source.values():
            for step in steps:
                step.setup()

    def process(self, record: dict):
        step_name = "?"
        try:
            for step in self.steps_by_source[record[SOURCE_ID]]:
                step_name = step.name
                record = step.process(record)
        except RecordRejected as exc:
            yield beam.pvalue.TaggedOutput(QUARANTINE, quarantine_row(
                record, step_name, exc.reason, exc.message, self.run_id, exc.request))
            return
        except Exception as exc:  # a bug must not crash the run nor leak the value
            yield beam.pvalue.TaggedOutput(QUARANTINE, quarantine_row(
                record, step_name, Reason.STEP_FAILED, f"{type(exc).__name__} in step",
                self.run_id))
            return
        yield record


class ApplySteps(beam.PTransform):
    """Records in; (records, quarantine) out."""

    def __init__(self, steps_by_source: dict, run_id: str):
        super().__init__()
        self.steps_by_source, self.run_id = steps_by_source, run_id

    def expand(self, records):
        out = records | "RunSteps" >> beam.ParDo(
            _StepsDoFn(self.steps_by_source, self.run_id)).with_outputs(QUARANTINE, main="records")
        return out.records, out[QUARANTINE]


def keep_freed_memory() -> bool:
    """Tune glibc's malloc for an anonymizing worker: allocations of up to 32 MB come
    from the heap, and up to 64 MB freed at its top stay mapped. With the defaults a
    worker keeps returning memory to the system and touching it anew: 8x the page
    faults (820,000 against 100,000 on 4,000 records), ~2 s of system time, and the
    NER itself ~10 % slower, for 20 MB more peak RSS. False where malloc is not
    glibc's (nothing to tune)."""
    import ctypes
    import platform
    if platform.libc_ver()[0] != "glibc":
        return False
    mallopt = ctypes.CDLL(None).mallopt
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's malloc.h
    # both: setting either one alone stops glibc from adapting the other
    return bool(mallopt(m_mmap_threshold, 32 << 20) and mallopt(m_trim_threshold, 64 << 20))


_SDK_WORKER_MAIN = "apache_beam.runners.worker.sdk_worker_main"
_work_done = False


def in_sdk_worker_process() -> bool:
    """Whether this process is a Beam SDK worker subprocess (multi-processing runs)."""
    return getattr(sys.modules["__main__"].__spec__, "name", None) == _SDK_WORKER_MAIN


def exit_without_finalizing() -> None:
    """At exit of an SDK worker process whose harness finished its work normally:
    flush the logs and leave with ``os._exit(0)``, as multiprocessing's children do.
    Python's finalization would free the loaded engines object by object, 0.5-0.7 s
    per worker, and Beam stops the workers one after the other. Any exception seen
    after the work was done (``sys.last_value``) leaves the normal exit in place."""
    if _work_done and not hasattr(sys, "last_value"):
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


class _AnonymizeBatch(beam.DoFn):
    def __init__(self, policy, key, sources: dict, run_id: str, erased: dict[str, str]):
        self.policy, self.key, self.sources, self.run_id = policy, key, sources, run_id
        self.erased = erased  # subject token -> erasure request id

    def setup(self):
        from pipelines.anonymize import TextAnonymizer
        from pipelines.warm_workers import warm_engine
        from privenance.subjects import SubjectTokens
        keep_freed_memory()
        if in_sdk_worker_process():
            atexit.register(exit_without_finalizing)
        # a worker forked from the warm parent finds the engine already set up
        self.engine = warm_engine(self.policy, self.key)
        if self.engine is None:
            self.engine = TextAnonymizer(self.policy, self.key)
            self.engine.setup()
        self.subjects = SubjectTokens(self.key)

    def teardown(self):
        # Beam tears DoFns down only once the harness has finished all its work
        global _work_done
        _work_done = True

    def process(self, batch: list):
        limit = self.policy.anonymization.max_text_chars
        rejected: dict[int, tuple] = {}  # row -> (reason, stage, message[, request])
        # row -> [(column, finding, subject token)]; the token is computed from the
        # original value, which is never kept
        findings_of: dict[int, list] = {i: [] for i in range(len(batch))}
        token = self.subjects.token
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
            findings_of[i] += [(column, f, token(f.entity, original[f.start:f.end]))
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
                    findings_of[i].append((column, _StructuredFinding(entity, operator),
                                           token(entity, batch[i][column])))
                batch[i][column] = value
        # 3. records that concern a subject whose erasure was requested
        for i, found in findings_of.items():
            request = next((self.erased[t] for _, _, t in found if t in self.erased), None)
            if request and i not in rejected:
                rejected[i] = (Reason.SUBJECT_ERASED, "subjects",
                               f"concerns a subject of erasure request {request}", request)
        # 4. residual scan of every string column that will be written, then emit
        action = self.policy.residual.action
        for i, record in enumerate(batch):
            if i not in rejected and action != "ignore":
                for column in scanned_columns(record):
                    try:
                        left = self.engine.residual_entities(str(record[column]))
                    except Exception as exc:  # unscanned is not clean: fail closed
                        rejected[i] = _failed("residual", f"the residual scan of {column}", exc)
                        break
                    if left and action == "quarantine":
                        rejected[i] = (Reason.RESIDUAL_PII, "residual",
                                       f"{column} still contains {', '.join(sorted(set(left)))}")
                        break
                    for entity in left:
                        findings_of[i].append((column, _StructuredFinding(entity, "residual"),
                                               None))
            if i in rejected:
                reason, stage, message, *request = rejected[i]
                yield beam.pvalue.TaggedOutput(QUARANTINE, quarantine_row(
                    record, stage, reason, message, self.run_id, *request))
                continue
            counts = Counter(f.entity for _, f, _ in findings_of[i])
            record[P.PII_COUNTS] = dict(sorted(counts.items()))
            for column, f, subject in findings_of[i]:
                yield beam.pvalue.TaggedOutput(FINDINGS, {
                    P.RECORD_ID: record[P.RECORD_ID], P.SOURCE: record[P.SOURCE],
                    "column": column, "entity": f.entity, "start": f.start, "end": f.end,
                    "score": f.score, "operator": f.operator, "subject": subject})
            yield finish(record)


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


def _failed(stage: str, what: str, exc: Exception) -> tuple:
    # the exception's type only: its message may quote the text
    return (Reason.ANONYMIZE_FAILED, stage, f"{what} raised {type(exc).__name__}")


def scanned_columns(record: dict) -> list[str]:
    """The record's columns that will be written with a string or integer value (a
    card number can arrive as an integer): the source's own, and the provenance
    columns a row may set; not pipeline-internal."""
    return [c for c, v in record.items()
            if isinstance(v, (str, int)) and not isinstance(v, bool)
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
    concern a subject in ``erased`` (subject token -> request id) are quarantined."""

    def __init__(self, policy, key, sources: dict, run_id: str, erased: dict[str, str]):
        super().__init__()
        self.policy, self.key, self.sources, self.run_id = policy, key, sources, run_id
        self.erased = erased

    def expand(self, records):
        size = self.policy.anonymization.batch_size
        out = (records
               | "Batch" >> beam.BatchElements(min_batch_size=size, max_batch_size=size)
               | "Anonymize" >> beam.ParDo(_AnonymizeBatch(
                   self.policy, self.key, self.sources, self.run_id, self.erased)
               ).with_outputs(FINDINGS, QUARANTINE, main="records"))
        return out.records, out[FINDINGS], out[QUARANTINE]


# ---------------------------------------------------------------- deterministic writing

_TYPE_ORDER = ("bool", "int", "float", "date", "datetime", "str")


def _type_name(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int" if -(2 ** 63) <= value < 2 ** 63 else "str"
    if isinstance(value, float):
        return "float"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    return "str"


class ColumnTypes(beam.CombineFn):
    """Observed Python types per source column, and each column's first position
    (source order, then position in the row), so every shard gets the same schema."""

    def __init__(self, source_order: dict):
        self.source_order = source_order

    def create_accumulator(self):
        return {}

    def add_input(self, acc, record):
        rank = self.source_order.get(record.get(P.SOURCE), 0)
        for pos, (column, value) in enumerate(record.items()):
            if column in P.COLUMNS:
                continue
            order, types = acc.get(column, ((rank, pos), set()))
            name = _type_name(value)
            if name:
                types = types | {name}
            acc[column] = (min(order, (rank, pos)), types)
        return acc

    def merge_accumulators(self, accs):
        out = {}
        for acc in accs:
            for column, (order, types) in acc.items():
                o, t = out.get(column, (order, set()))
                out[column] = (min(o, order), t | types)
        return out

    def extract_output(self, acc):
        return {c: (order, sorted(types)) for c, (order, types) in acc.items()}


def dataset_schema(column_types: dict):
    """Arrow schema: source columns (unified types) then the provenance columns."""
    import pyarrow as pa
    fields = []
    for column, (_, types) in sorted(column_types.items(), key=lambda kv: (kv[1][0], kv[0])):
        t = set(types)
        if t <= {"int"} and t:
            typ = pa.int64()
        elif t and t <= {"int", "float"}:
            typ = pa.float64()
        elif t == {"bool"}:
            typ = pa.bool_()
        elif t == {"date"}:
            typ = pa.date32()
        elif t == {"datetime"}:
            typ = pa.timestamp("us")
        else:
            typ = pa.string()
        fields.append(pa.field(column, typ))
    return pa.schema(fields + P.arrow_fields())


def _to_string(value):
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _shard(key: str, num_shards: int) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % num_shards


class WriteParts(beam.DoFn):
    """Pickles rows to part files in ``directory`` for ``write_shards`` to turn into
    Parquet after the pipeline: each row goes to its shard (``shard_key`` hashed), a
    file per shard holds up to CHUNK rows, so the driver reads every row once. With
    ``source_order`` (the dataset) a file starts with its rows' ``ColumnTypes``, so the
    driver learns the schema without reading the rows. No GroupByKey: the in-process
    runner would hold every row of a shard in memory at once."""

    CHUNK = 10_000

    def __init__(self, directory: str, shard_key: str, num_shards: int,
                 source_order: dict | None = None):
        self.directory, self.shard_key, self.num_shards = directory, shard_key, num_shards
        self.source_order = source_order

    def start_bundle(self):
        self.rows = {}  # shard -> rows

    def process(self, row):
        shard = _shard(row[self.shard_key], self.num_shards)
        rows = self.rows.setdefault(shard, [])
        rows.append(row)
        if len(rows) >= self.CHUNK:
            self._flush(shard)

    def finish_bundle(self):
        for shard in list(self.rows):
            self._flush(shard)

    def _flush(self, shard: int):
        rows = self.rows.pop(shard)
        types = None
        if self.source_order is not None:
            fn = ColumnTypes(self.source_order)
            types = fn.create_accumulator()
            for row in rows:
                types = fn.add_input(types, row)
        Path(self.directory).mkdir(parents=True, exist_ok=True)
        name = f"{_part_prefix(shard, self.num_shards)}{uuid.uuid4().hex}.pkl"
        with open(Path(self.directory) / name, "wb") as f:
            pickle.dump(types, f, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(rows, f, protocol=pickle.HIGHEST_PROTOCOL)


def _part_prefix(shard: int, num_shards: int) -> str:
    return f"{shard:05d}-of-{num_shards:05d}-"


def _part_files(parts: Path, pattern: str = "*.pkl") -> list[Path]:
    return sorted(parts.glob(pattern)) if parts.exists() else []


def column_types(parts: Path) -> dict:
    """``ColumnTypes`` of every row of the part files, merged from the files' headers."""
    fn = ColumnTypes(source_order={})  # only merges and extracts
    accumulators = []
    for path in _part_files(parts):
        with open(path, "rb") as f:
            accumulators.append(pickle.load(f))
    return fn.extract_output(fn.merge_accumulators(accumulators))


def write_shards(parts: Path, directory: Path, sort_by: list[str], schema,
                 num_shards: int) -> None:
    """Deterministic Parquet from the part files of ``WriteParts`` (with the same
    ``num_shards``): each shard's rows sorted by ``sort_by`` (which should tell any two
    rows apart), so the bytes depend neither on the runner nor on bundle boundaries.
    Each shard is built as Arrow a part file at a time; shards with no rows are not
    written."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    strings = [f.name for f in schema if pa.types.is_string(f.type)]
    for shard in range(num_shards):
        batches = []
        for path in _part_files(parts, _part_prefix(shard, num_shards) + "*.pkl"):
            with open(path, "rb") as f:
                pickle.load(f)  # the header (column types)
                rows = pickle.load(f)
            for row in rows:
                for name in strings:
                    row[name] = _to_string(row.get(name))
            if rows:
                batches.append(pa.RecordBatch.from_pylist(rows, schema=schema))
        if not batches:
            continue
        table = pa.Table.from_batches(batches, schema=schema)
        order = pc.sort_indices(table, sort_keys=[(c, "ascending", "at_start") for c in sort_by])
        directory.mkdir(parents=True, exist_ok=True)
        name = f"part-{shard:05d}-of-{num_shards:05d}.parquet"
        pq.write_table(table.take(order), str(directory / name), compression="zstd")
