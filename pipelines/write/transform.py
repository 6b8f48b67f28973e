"""Writing the outputs, in the pipeline, to any filesystem, deterministically.

Each output (dataset, findings, quarantine) is cut into shards by a hash of each
row's key; a shard is one Parquet file whose rows are sorted, so the bytes depend
neither on the runner, the number of workers nor bundle boundaries, and a retried
bundle rewrites the same file with the same bytes (idempotent). A file holds at
most ``rows_per_file`` rows (more shards for more rows), which bounds a writer's
memory. Every file written is reported (path, sha256, rows, and counts the run
summary needs), so the driver never reads the outputs back to count them.

    rows -> spill: a few thousand rows at a time to a temporary file, sorted by
            bucket (the first 16 bits of the key's hash); the file's bucket index out
         -> with the row count (a side input): each file's byte range per shard
         -> GroupByKey -> per shard: its rows read back, sorted, run id stamped,
            one Parquet file -> file reports

Rows are spilled to temporary files and only their places are grouped (as Beam's
own WriteFiles does), so no worker or runner ever holds more than a file's rows:
a runner that hands each worker its share of a grouping in one piece (Beam's
in-process FnApiRunner does) would otherwise need memory in proportion to the
input. Spilling needs no row count, so it runs in the same worker stage as the
steps before it: the rows themselves never wait for the count (a runner would
hold them all until it is known). A shard is a range of buckets, so a spilled
file's rows of one shard lie next to each other whatever the number of shards.
A retried bundle spills to new temporary files and only the places a committed
bundle output are read; the temporary files go once every file is written.
"""
from __future__ import annotations

import array
import hashlib
import io
import math
import pickle
import uuid

import apache_beam as beam

from pipelines.runners.tagged_outputs import TaggedOutputs
from pipelines.record import INTERNAL, LEFT_OUT, read_position
from pipelines.write.schema import ColumnTypes, dataset_schema, to_string
from privenance import provenance as P
from privenance import storage
from privenance.errors import RecordRejected
from privenance.files import ROWS_PER_FILE

# rows left out: for an earlier row with the same unique key, or (the reason code and
# message in LEFT_OUT) by a ``check`` that rejected them
DUPLICATES = "duplicates"


BUCKETS = 1 << 16  # a shard is a range of buckets: at most this many shards


def bucket_of(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:2], "big")


def shard_of(bucket: int, num_shards: int) -> int:
    return bucket * num_shards // BUCKETS


def shard_count(rows: int, min_shards: int, rows_per_file: int) -> int:
    # beyond BUCKETS shards (over a billion rows at the default), files grow instead
    return min(BUCKETS, max(min_shards, math.ceil(rows / rows_per_file)))


def file_name(shard: int, shards: int) -> str:
    return f"part-{shard:05d}-of-{shards:05d}.parquet"


def parquet_bytes(table, encrypt: dict | None = None) -> bytes:
    """``table`` as Parquet bytes; with ``encrypt`` ({columns, kms}), those columns are
    encrypted (privenance/encryption.py), and placed last."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    sink = pa.BufferOutputStream()
    if encrypt:
        from privenance.encryption import encrypted_last, properties
        table = encrypted_last(table, encrypt["columns"])
        pq.write_table(table, sink, compression="zstd",
                       encryption_properties=properties(encrypt["columns"], encrypt["kms"]))
    else:
        pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def _report(output: str, name: str, data: bytes, table, count_by: list[str]) -> dict:
    counts = []
    if count_by and table.num_rows:
        counts = table.group_by(count_by).aggregate([([], "count_all")]).to_pylist()
    from pipelines.images import treatment_counts
    report = {"output": output, "path": f"{output}/{name}", "rows": table.num_rows,
              "sha256": hashlib.sha256(data).hexdigest(), "counts": counts}
    images = treatment_counts(table)  # what image records had removed (run.json "images")
    return {**report, "images": images} if images else report


SPILL_ROWS = 5_000  # rows a spilling bundle holds before it writes them out
SPILL_FOLDER = "_spill"


class _Spill(beam.DoFn):
    """Rows in; the rows written, a few thousand at a time, to a temporary file under
    ``spill_dir``: one pickled list per bucket of ``shard_key``, in bucket order.
    Out for each file: (path, its buckets, where each bucket's list ends). The files
    hold only what the outputs will hold, and are deleted once every file is written."""

    def __init__(self, spill_dir: str, shard_key: str, spill_rows: int = SPILL_ROWS):
        self.spill_dir, self.shard_key, self.spill_rows = spill_dir, shard_key, spill_rows

    def start_bundle(self):
        self.held: dict[int, list] = {}
        self.count = 0

    def process(self, row):
        self.held.setdefault(bucket_of(str(row[self.shard_key])), []).append(row)
        self.count += 1
        if self.count >= self.spill_rows:
            yield self._spill()

    def finish_bundle(self):
        from apache_beam.transforms.window import GlobalWindows
        if self.held:
            yield GlobalWindows.windowed_value(self._spill())

    def _spill(self):
        path = storage.join(self.spill_dir, f"{uuid.uuid4().hex}.pickle")
        buckets, ends, offset = array.array("H"), array.array("Q"), 0
        with storage.open_write(path) as f:
            for bucket in sorted(self.held):
                data = pickle.dumps(self.held[bucket], protocol=pickle.HIGHEST_PROTOCOL)
                f.write(data)
                offset += len(data)
                buckets.append(bucket)
                ends.append(offset)
        self.held, self.count = {}, 0
        return path, buckets.tobytes(), ends.tobytes()  # compact: one pair per bucket


def _places(spilled, num_shards: int):
    """A spilled file's (path, buckets, ends) in; (shard, (path, start, end)) out for
    each shard with rows in it: the byte range of its buckets (they are adjacent)."""
    path, buckets, ends = spilled
    buckets, ends = array.array("H", buckets), array.array("Q", ends)
    shard, start = None, 0
    for i, bucket in enumerate(buckets):
        s = shard_of(bucket, num_shards)
        if s != shard:
            if shard is not None:
                yield shard, (path, start, ends[i - 1])
            shard, start = s, ends[i - 1] if i else 0
    if shard is not None:
        yield shard, (path, start, ends[-1])


def _unspill(places) -> list:
    """The rows at the places ``_places`` gave, in the order of the places."""
    rows = []
    for path, start, end in sorted(places):
        with storage.open_read(path) as f:
            f.seek(start)
            data = io.BytesIO(f.read(end - start))
        while data.tell() < end - start:  # one pickled list per bucket
            rows += pickle.load(data)  # our own temporary file, this run's
    return rows


class _DeleteSpill(beam.DoFn):
    """Once every file is written (the reports a side input), the temporary files."""

    def __init__(self, spill_dir: str):
        self.spill_dir = spill_dir

    def process(self, _, reports):
        storage.delete(storage.list_files(self.spill_dir))
        if not storage.is_uri(self.spill_dir):  # the empty local folders too
            import contextlib
            import os
            with contextlib.suppress(OSError):  # the parent is shared by the outputs
                os.rmdir(self.spill_dir)
                os.rmdir(os.path.dirname(self.spill_dir))
        return []


def first_read(rows: list[dict], key: str) -> tuple[list[dict], list[dict]]:
    """(kept, duplicates): of rows sharing ``key``'s value, the one read first
    (steps.read_position: file, then line or row) is kept, the others are duplicates;
    the same whatever order the rows come in."""
    first: dict = {}
    for i, row in enumerate(rows):
        j = first.setdefault(row[key], i)
        if read_position(row) < read_position(rows[j]):
            first[row[key]] = i
    kept, duplicates = [], []
    for i, row in enumerate(rows):
        (kept if first[row[key]] == i else duplicates).append(row)
    return kept, duplicates


class _WriteShard(beam.DoFn):
    """(shard, places of its spilled rows) in: reads the rows back, sorts them, stamps
    the run id, writes one Parquet file under ``directory/output``; its report out.
    ``unique_by``: of rows sharing that column's value only the first read is written,
    the others leave on the DUPLICATES output (a key's rows are all in one shard: the
    shard key). ``excluded`` (side input): (shard key value, read position) pairs of
    rows to leave out. ``surrogates``: the dataset-wide surrogate check
    (pipelines/anonymize/surrogates.py) over each row, with ``detected`` (side input);
    a row it rejects leaves on the DUPLICATES output with its reason in LEFT_OUT."""

    def __init__(self, directory: str, output: str, sort_by: list[str], count_by: list[str],
                 fixed_schema, min_shards: int, rows_per_file: int, run_id_column: str,
                 spilled: bool = True, shard_key: str = P.RECORD_ID,
                 unique_by: str | None = None, encrypt: dict | None = None, surrogates=None):
        self.directory, self.output, self.sort_by, self.count_by = directory, output, sort_by, count_by
        self.fixed_schema, self.min_shards, self.rows_per_file = fixed_schema, min_shards, rows_per_file
        self.run_id_column, self.spilled, self.encrypt = run_id_column, spilled, encrypt
        self.shard_key, self.unique_by, self.surrogates = shard_key, unique_by, surrogates

    def setup(self):
        if self.surrogates is not None:
            self.surrogates.setup()

    def process(self, shard_places, rows: int, types: dict, run_id: str, excluded=(),
                detected=frozenset()):
        shard, places = shard_places
        values = self._rows(places, excluded)
        if not values and excluded:
            return
        if self.unique_by:
            values, duplicates = first_read(values, self.unique_by)
            for row in duplicates:
                yield beam.pvalue.TaggedOutput(DUPLICATES, row)
        redrawn = 0
        if self.surrogates is not None:  # before the rows lose their internal fields
            values, rejected, redrawn = self._check_surrogates(values, detected)
            for row in rejected:
                yield beam.pvalue.TaggedOutput(DUPLICATES, row)
        table = self._table(values, types, run_id)
        name = file_name(shard, shard_count(rows, self.min_shards, self.rows_per_file))
        data = parquet_bytes(table, self.encrypt)
        storage.write_bytes(storage.join(self.directory, self.output, name), data)
        report = _report(self.output, name, data, table, self.count_by)
        if self.surrogates is not None:
            report["surrogates_redrawn"] = redrawn
        yield report

    def _rows(self, places, excluded) -> list[dict]:
        """The shard's rows, less those ``excluded`` (shard key and read position)."""
        # the grouped rows themselves when nothing was spilled (the DaskRunner)
        # (copies: the rows change below, and the runner's own objects are not ours)
        values = _unspill(places) if self.spilled else [dict(r) for r in places]
        if excluded:
            left_out = {(key, tuple(position)) for key, position in excluded}
            values = [r for r in values
                      if (r[self.shard_key], read_position(r)) not in left_out]
        return values

    def _check_surrogates(self, values: list[dict], detected) -> tuple[list, list, int]:
        """The rows kept, the rows rejected (reason in LEFT_OUT) and the fakes redrawn."""
        kept, rejected, redrawn = [], [], 0
        for row in values:
            try:
                redrawn += self.surrogates.fix(row, detected)
            except RecordRejected as exc:  # fail closed: never a colliding fake
                row[LEFT_OUT] = (exc.reason.value, exc.message)
                rejected.append(row)
                continue
            kept.append(row)
        return kept, rejected, redrawn

    def _table(self, values: list[dict], types: dict, run_id: str):
        """The rows as one Arrow table of the output's schema, sorted, run id stamped."""
        import pyarrow as pa
        import pyarrow.compute as pc
        schema = self.fixed_schema or dataset_schema(types)
        strings = [f.name for f in schema if pa.types.is_string(f.type)]
        batches, chunk = [], []
        for row in values:  # to Arrow a chunk at a time: Arrow holds a row in less memory
            chunk.append(self._output_row(row, run_id, strings))
            if len(chunk) == 10_000:
                batches.append(pa.RecordBatch.from_pylist(chunk, schema=schema))
                chunk = []
        if chunk:
            batches.append(pa.RecordBatch.from_pylist(chunk, schema=schema))
        table = pa.Table.from_batches(batches, schema=schema)
        order = pc.sort_indices(table, sort_keys=[(c, "ascending", "at_start") for c in self.sort_by])
        return table.take(order)

    def _output_row(self, row: dict, run_id: str, strings: list[str]) -> dict:
        """``row`` as written: no internal fields, the run id, text columns as text."""
        for field in INTERNAL:  # where the row was read: not written
            row.pop(field, None)
        if self.run_id_column and run_id is not None:
            row[self.run_id_column] = run_id
        if isinstance(row.get(P.PII_COUNTS), dict):
            row[P.PII_COUNTS] = [{"entity": e, "count": n} for e, n in row[P.PII_COUNTS].items()]
        for name in strings:
            row[name] = to_string(row.get(name))
        return row


class _TokenSet(beam.CombineFn):
    """Tokens in; one frozenset of them (empty when there are none)."""

    def create_accumulator(self):
        return set()

    def add_input(self, acc, token):
        acc.add(token)
        return acc

    def merge_accumulators(self, accs):
        out = set()
        for acc in accs:
            out |= acc
        return out

    def extract_output(self, acc):
        return frozenset(acc)


class _WriteEmpty(beam.DoFn):
    """When an output has no file (no rows at all), one empty file, so it reads as an
    empty table (and validate and certify can say why they refuse it)."""

    def __init__(self, directory: str, output: str, fixed_schema, min_shards: int,
                 encrypt: dict | None = None):
        self.directory, self.output = directory, output
        self.fixed_schema, self.min_shards, self.encrypt = fixed_schema, min_shards, encrypt

    def process(self, _, reports: list, types: dict):
        if reports:
            return
        table = (self.fixed_schema or dataset_schema(types)).empty_table()
        name = file_name(0, self.min_shards)
        data = parquet_bytes(table, self.encrypt)
        storage.write_bytes(storage.join(self.directory, self.output, name), data)
        yield _report(self.output, name, data, table, [])


class WriteParquet(beam.PTransform):
    """Rows in; deterministic Parquet files under ``directory/output`` (a local folder
    or URI); a PCollection of file reports out ({output, path, rows, sha256, counts}).

    ``shard_key`` is hashed to pick a row's file; ``sort_by`` orders each file (and
    should tell any two rows apart); ``count_by`` names the columns each report counts
    rows by. ``expected_rows``: a singleton PCollection of (an upper bound of) the rows
    to come, known before they are, which sets the number of files without waiting
    for the rows (the pipeline passes the records read); default: the rows counted. ``schema``: a fixed Arrow schema, or None to take the dataset's from the
    rows' column types (``source_order`` orders its columns). ``run_id``: a value or
    a singleton PCollection, stamped into ``run_id_column`` (None: rows keep theirs). ``always_one_file``: write an empty
    file when there are no rows. ``encrypt``: {columns, kms} to write those columns
    encrypted (privenance/encryption.py; the KMS's key is read on the worker, never
    carried in the job). ``spill``: False groups the rows themselves instead of
    their spilled places (for the DaskRunner, which drops ``_Spill``'s finish_bundle
    output: pipelines/runners/dask_runner.py); then nothing is left to delete either.

    ``unique``: of rows sharing their shard key only the first read is written (rows
    carry where they were read: steps.POSITION, removed on writing); then the output
    is (reports, duplicates: the rows left out). ``exclude``: a PCollection of (shard
    key value, read position) pairs of rows to leave out (a duplicate's findings).
    ``surrogates``: a check over each row before it is written (UniqueSurrogates,
    pipelines/anonymize/surrogates.py), given ``detected`` (a PCollection of subject
    tokens) as a set; with ``unique``, the rows it rejects join the duplicates, their
    reason code and message in record.LEFT_OUT; each report counts the fakes it
    redrew (surrogates_redrawn)."""

    def __init__(self, directory: str, output: str, shard_key: str = P.RECORD_ID,
                 sort_by: list[str] = (P.RECORD_ID,), run_id=None, count_by: list[str] = (), schema=None, source_order: dict | None = None,
                 min_shards: int = 1, rows_per_file: int = ROWS_PER_FILE,
                 run_id_column: str | None = P.RUN_ID, always_one_file: bool = False,
                 expected_rows=None, spill: bool = True, unique: bool = False,
                 exclude=None, encrypt: dict | None = None, surrogates=None, detected=None):
        super().__init__()
        self.directory, self.output, self.shard_key = directory, output, shard_key
        self.sort_by = list(sort_by)
        self.run_id, self.count_by, self.schema = run_id, list(count_by), schema
        self.source_order = source_order or {}
        self.min_shards, self.rows_per_file = min_shards, rows_per_file
        self.run_id_column, self.always_one_file = run_id_column, always_one_file
        self.expected_rows, self.spill, self.encrypt = expected_rows, spill, encrypt
        self.unique, self.exclude = unique, exclude
        self.surrogates, self.detected = surrogates, detected

    def expand(self, rows):
        expected = self.expected_rows
        if expected is None:
            expected = rows | "Count" >> beam.combiners.Count.Globally()
        count = beam.pvalue.AsSingleton(expected)
        if self.schema is None:
            types = rows | "ColumnTypes" >> beam.CombineGlobally(ColumnTypes(self.source_order))
        else:
            types = rows.pipeline | "NoTypes" >> beam.Create([{}])
        types = beam.pvalue.AsSingleton(types)
        run_id = self.run_id
        if not isinstance(run_id, beam.pvalue.PCollection):
            run_id = rows.pipeline | "RunId" >> beam.Create([run_id])
        key, min_shards, per_file = self.shard_key, self.min_shards, self.rows_per_file
        spill_dir = storage.join(self.directory, SPILL_FOLDER, self.output)
        if self.spill:
            places = (rows
                      | "Spill" >> beam.ParDo(_Spill(spill_dir, key))
                      | "Places" >> beam.FlatMap(lambda spilled, n: _places(
                          spilled, shard_count(n, min_shards, per_file)), n=count))
        else:  # the rows themselves, to the same shards
            places = rows | "Shard" >> beam.Map(lambda row, n: (shard_of(
                bucket_of(str(row[key])), shard_count(n, min_shards, per_file)), row), n=count)
        side_inputs = {"rows": count, "types": types, "run_id": beam.pvalue.AsSingleton(run_id)}
        if self.exclude is not None:
            side_inputs["excluded"] = beam.pvalue.AsList(self.exclude)
        if self.surrogates is not None:
            side_inputs["detected"] = beam.pvalue.AsSingleton(
                self.detected | "DetectedSet" >> beam.CombineGlobally(_TokenSet()))
        written = (places
                   | "GroupShards" >> beam.GroupByKey()
                   | "WriteShards" >> TaggedOutputs(_WriteShard(
                       self.directory, self.output, self.sort_by, self.count_by, self.schema,
                       min_shards, per_file, self.run_id_column, spilled=self.spill,
                       shard_key=key, unique_by=key if self.unique else None,
                       encrypt=self.encrypt, surrogates=self.surrogates),
                       DUPLICATES, main="reports", **side_inputs))
        reports = written.reports
        if self.spill:
            _ = (rows.pipeline | "AfterWriting" >> beam.Create([None])
                 | "DeleteSpill" >> beam.ParDo(_DeleteSpill(spill_dir),
                                               reports=beam.pvalue.AsList(reports)))
        if self.always_one_file:
            # no report: no file was written (no rows); the rows are not counted again
            # (a global count costs about 30 ms of CPU to build, on every run)
            empty = (rows.pipeline | "Once" >> beam.Create([None])
                     | "WriteEmpty" >> beam.ParDo(_WriteEmpty(self.directory, self.output,
                                                              self.schema, min_shards,
                                                              self.encrypt),
                                                  reports=beam.pvalue.AsList(reports),
                                                  types=types))
            reports = (reports, empty) | "Reports" >> beam.Flatten()
        return (reports, written[DUPLICATES]) if self.unique else reports
