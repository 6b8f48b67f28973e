"""Reading the sources, in the pipeline, on any filesystem.

``ReadSources`` turns the manifest's files (listed once on the driver: names only,
no data) into raw records, a quarantine of unreadable rows, the rows read per source
and each file's hash:

    files -> plan (in the pass that hashes each file): an uncompressed UTF-8 JSONL or
             CSV file is cut into parts of PART_ROWS rows; a Parquet file gives one
             part per row group; any other file is one part
          -> Reshuffle (parts go to every worker) -> read each part, streaming
          -> records, in the same worker stage as the steps after reading

A part is read in constant memory (a block at a time, decompressed on the fly), so a
file of any size fits a worker, and many files and parts are read in parallel. Line
and row numbers of a part equal those of a whole-file read (a CSV is cut only between
records, with the real parser). Only a part that may be big (a compressed file, a
large row group) has its records reshuffled over the workers after reading; the
others' records never leave the worker that read them before they are anonymized
and spilled, so no runner holds them between stages.
"""
from __future__ import annotations

import dataclasses
import hashlib

import apache_beam as beam

from pipelines.runners.tagged_outputs import TaggedOutputs
from pipelines.record import FILE, OFFSET, QUARANTINE, SOURCE_ID, quarantine_row
from pipelines.read.formats import (max_line_chars as max_line_chars_for, parquet_row_groups,
                                    read_file)
from pipelines.read.parts import plan_parts, read_part
from privenance.errors import Reason
from privenance.sources import SourcesManifest

COUNTS = "counts"    # (source id, rows read)
HASHES = "hashes"    # (source id, file name, sha256 of the stored bytes)
CHANGED = "changed"  # source id of a file that changed between hashing and reading
SPREAD = "spread"    # chunks of rows of a big part, to be spread over the workers
BIG_ROW_GROUP = 2_000  # rows of a Parquet row group whose records are spread


def file_units(manifest: SourcesManifest) -> list[dict]:
    """One dict per file to read: source id, format, encoding, path, name, and whether
    the source has several files (then records and quarantine rows name the file)."""
    units = []
    for source in manifest.sources:
        files = manifest.files(source.id)
        for file in files:
            units.append({"source": source.id, "format": source.format,
                          "encoding": source.encoding, "header": source.header,
                          "path": file.path,
                          "name": file.name if len(files) > 1 else None,
                          # a picture's file name is its record's source key, even alone
                          # (pipelines/steps/tagging.py image_key)
                          "record_name": file.name if len(files) > 1
                          or source.format == "images" else None})
    return units


def may_have_big_parts(unit: dict) -> bool:
    """Whether a file may give a part too big for one worker's share: a Parquet file
    (its row groups), a compressed file or one in an encoding that cannot be cut."""
    import codecs

    from pipelines.read.parts import SPLITTABLE_ENCODINGS
    from privenance.sources import compression_of
    return (unit["format"] == "parquet" or compression_of(unit["path"]) is not None
            or codecs.lookup(unit["encoding"]).name not in SPLITTABLE_ENCODINGS)


class PlanParts(beam.DoFn):
    """A file in, its parts out (and its hash on the HASHES output): an uncompressed
    JSONL or CSV file in a splittable encoding is cut every ``PART_ROWS`` rows, in the
    same pass that hashes it; Parquet gives one part per row group; any other file is
    one part. A part says whether its rows should be spread over the workers after
    reading (``spread``): those of a part that may be big (a compressed file, a large
    row group); a cut file's parts are small and spread over the workers themselves.

    The hash must cover exactly the bytes the records come from: the last part of a cut
    file ends where hashing ended (bytes appended later are not read), and each part
    carries the file's size and modification time from before hashing (``seen``), which
    ``ReadPart`` compares after reading; a file that changed in between (or while it was
    hashed) goes to the CHANGED output, and the run fails."""

    def __init__(self, max_line_chars: int):
        self.max_line_chars = max_line_chars

    def process(self, unit: dict):
        try:
            yield from self._plan(unit)
        except OSError as exc:
            # an unreadable file (no permission, a folder where a file was listed, gone
            # since it was listed): read whole, which gives its one MALFORMED row
            yield beam.pvalue.TaggedOutput(HASHES, (unit["source"], unit["name"] or "",
                                                    f"unreadable ({type(exc).__name__})"))
            from privenance import storage
            yield {**unit, "groups": None, "range": None, "spread": False,
                   "seen": storage.stat(unit["path"])}

    def _plan(self, unit: dict):
        from privenance import storage
        from privenance.sources import compression_of
        path, fmt = unit["path"], unit["format"]
        seen = storage.stat(path)
        parts = None
        with storage.open_read(path) as raw:
            stream = _Hashing(raw)
            try:
                if fmt in ("jsonl", "csv") and compression_of(path) is None:
                    parts = plan_parts(stream, fmt, unit["encoding"],
                                       max_chars=self.max_line_chars,
                                       has_header=unit["header"])
            finally:
                stream.read_rest()
        yield beam.pvalue.TaggedOutput(HASHES, (unit["source"], unit["name"] or "",
                                                stream.hexdigest()))
        if seen["size"] != stream.size:  # it changed while it was hashed
            yield beam.pvalue.TaggedOutput(CHANGED, unit["source"])
        unit = {**unit, "seen": seen}
        if fmt == "parquet":
            with storage.open_read(path) as f:
                sizes = parquet_row_groups(f)
            if not sizes:  # unreadable footer (one problem row) or no row groups (no rows)
                yield {**unit, "groups": None, "range": None, "spread": False}
                return
            for group, rows in enumerate(sizes):
                yield {**unit, "groups": (group, group + 1), "range": None,
                       "spread": rows > BIG_ROW_GROUP}
            return
        if parts is None:  # read whole; spread when that may be much (a compressed file)
            yield {**unit, "groups": None, "range": None, "spread": may_have_big_parts(unit)}
            return
        # the last part ends where hashing did, not wherever the file ends by then
        parts[-1] = dataclasses.replace(parts[-1], end=stream.size)
        for part in parts:
            yield {**unit, "groups": None, "range": part, "spread": False}


class _Hashing:
    """A stream that hashes the bytes read through it."""

    def __init__(self, stream):
        self.stream, self.digest, self.size = stream, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        data = self.stream.read(n)
        self.digest.update(data)
        self.size += len(data)
        return data

    def read_rest(self) -> None:
        while self.read(1 << 20):
            pass

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


class ReadPart(beam.DoFn):
    """A part in; its rows out in chunks of up to CHUNK rows (on the SPREAD output when
    the part says so); unreadable rows go to quarantine, the count to COUNTS, and the
    source to CHANGED when the file is not as it was when hashed (PlanParts)."""

    CHUNK = 64

    def __init__(self, max_line_chars: int):
        self.max_line_chars = max_line_chars

    def process(self, part: dict):
        from privenance import storage
        meta = {SOURCE_ID: part["source"]}
        if part.get("record_name"):
            meta[FILE] = part["record_name"]
        if part["range"] is not None:
            rows = read_part(part["path"], part["format"], part["encoding"], part["range"],
                             self.max_line_chars, has_header=part["header"])
        else:
            groups = range(*part["groups"]) if part["groups"] else None
            rows = read_file(part["path"], part["format"], part["encoding"], groups,
                             self.max_line_chars, has_header=part["header"])
        def out(chunk):
            return beam.pvalue.TaggedOutput(SPREAD, chunk) if part["spread"] else chunk
        read, chunk = 0, []
        for row in rows:
            read += 1
            if row.values is None:
                yield beam.pvalue.TaggedOutput(QUARANTINE, quarantine_row(
                    {**meta, OFFSET: row.offset}, "read",
                    Reason(row.reason or Reason.MALFORMED), row.problem))
                continue
            chunk.append({**row.values, **meta, OFFSET: row.offset})
            if len(chunk) == self.CHUNK:
                yield out(chunk)
                chunk = []
        if chunk:
            yield out(chunk)
        yield beam.pvalue.TaggedOutput(COUNTS, (part["source"], read))
        if storage.stat(part["path"]) != part["seen"]:  # the hash may not cover what was read
            yield beam.pvalue.TaggedOutput(CHANGED, part["source"])


class ReadSources(beam.PTransform):
    """The manifest's files in; outputs ``records``, ``quarantine``, ``counts`` (rows read
    per source: every file's parts summed), ``hashes`` (per file) and ``changed`` (the
    source of a file that changed while the run hashed and read it, once per look)."""

    def __init__(self, manifest: SourcesManifest, max_line_chars: int | None = None):
        """``max_line_chars``: the longest line read (longer ones are quarantined as
        LINE_TOO_LONG); by default ``readers.max_line_chars()`` of the default policy."""
        super().__init__()
        self.units = file_units(manifest)
        self.max_line_chars = max_line_chars or max_line_chars_for()

    def expand(self, pbegin):
        planned = (pbegin | "Files" >> beam.Create(self.units)
                   | "SpreadFiles" >> beam.Reshuffle()
                   | "Plan" >> TaggedOutputs(PlanParts(self.max_line_chars), HASHES, CHANGED,
                                             main="parts"))
        read = (planned.parts | "SpreadParts" >> beam.Reshuffle()
                | "ReadParts" >> TaggedOutputs(ReadPart(self.max_line_chars), SPREAD, QUARANTINE,
                                               COUNTS, CHANGED,
                                               main="chunks"))
        # the rows of a big part go to every worker, a chunk at a time; the others stay
        # where they were read. Joining the two streams makes a runner hold every
        # record between stages (Beam's FnApiRunner materializes such a Flatten), so
        # the join is only there when a file may have a big part.
        chunks = read.chunks
        if any(may_have_big_parts(unit) for unit in self.units):
            spread = read[SPREAD] | "SpreadRecords" >> beam.Reshuffle()
            chunks = (chunks, spread) | "AllChunks" >> beam.Flatten()
        records = chunks | "Unchunk" >> beam.FlatMap(lambda chunk: chunk)
        counts = read[COUNTS] | "SumCounts" >> beam.CombinePerKey(sum)
        changed = (planned[CHANGED], read[CHANGED]) | "AllChanged" >> beam.Flatten()
        return {"records": records, QUARANTINE: read[QUARANTINE], COUNTS: counts,
                HASHES: planned[HASHES], CHANGED: changed}


def source_hashes(manifest: SourcesManifest, hashes: list[tuple]) -> dict[str, dict]:
    """Per source: its ``sha256`` (the file's own for one file; for several, over their
    names and hashes) and, for several, ``files`` [{name, sha256}]."""
    by_source: dict[str, list] = {s.id: [] for s in manifest.sources}
    for source, name, digest in hashes:
        by_source[source].append((name, digest))
    out = {}
    for source, files in by_source.items():
        files.sort()
        if len(files) == 1 and files[0][0] == "":
            out[source] = {"sha256": files[0][1]}
        else:
            joined = "\n".join(f"{name} {digest}" for name, digest in files)
            out[source] = {"sha256": hashlib.sha256(joined.encode()).hexdigest(),
                           "files": [{"name": n, "sha256": d} for n, d in files]}
    return out
