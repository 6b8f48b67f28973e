"""Read a source file into raw rows, never raising on bad content.

Each row comes out as ``RawRow(offset, values, problem)``: ``values`` is a dict of
the source's columns, or ``None`` with ``problem`` saying (without quoting the
data) why the row could not be read. The caller quarantines those.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass
from typing import Iterator

from privenance.sources import Source

csv.field_size_limit(1 << 30)  # long free-text cells are legitimate


@dataclass(frozen=True)
class RawRow:
    offset: int                 # 1-based line (JSONL), data row (CSV) or row index + 1 (Parquet)
    values: dict | None
    problem: str | None = None


def _scalar(value):
    """Keep scalars; nested JSON becomes a canonical JSON string (Arrow needs flat columns)."""
    if value is None or isinstance(value, (str, int, float, bool, dt.date)):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return str(value)


def _encoding_for(head: bytes, declared: str) -> str:
    # A byte-order mark beats the declared encoding: exporters add them silently.
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return declared


def _has_undecodable(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


# A JSON \u escape of a UTF-16 surrogate: a pair decodes to one character, a lone one
# stays a surrogate, which is not text (spaCy, hashing and Arrow all refuse it).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(obj) -> bool:
    text = json.dumps(obj, ensure_ascii=False)
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def _is_wide(encoding: str) -> bool:
    return codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))


def _decode_whole(path: str, encoding: str) -> str | None:
    """Decode a whole file; undecodable bytes become surrogates (flagged per row).
    None when the file cannot be decoded at all (e.g. truncated UTF-16)."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        return data.decode(encoding, errors="surrogateescape")
    except UnicodeError:
        return None


def read_jsonl(source: Source) -> Iterator[RawRow]:
    with open(source.path, "rb") as f:
        head = f.read(4)
    encoding = _encoding_for(head, source.encoding)
    if _is_wide(encoding):  # not line-splittable as bytes: decode the whole file
        text = _decode_whole(source.path, encoding)
        if text is None:
            yield RawRow(0, None, f"file is not valid {encoding}")
            return
        lines = (line.encode("utf-8", "surrogateescape") for line in text.split("\n"))
        yield from _jsonl_lines(lines, "utf-8")
        return
    with open(source.path, "rb") as f:
        yield from _jsonl_lines(f, encoding)


def _jsonl_lines(lines, encoding: str) -> Iterator[RawRow]:
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue  # blank lines are not records
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            yield RawRow(number, None, f"line is not valid {encoding}")
            continue
        if _has_undecodable(text):
            yield RawRow(number, None, "line has bytes that are not valid text")
            continue
        try:
            obj = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            yield RawRow(number, None, "line is not valid JSON")
            continue
        if not isinstance(obj, dict):
            yield RawRow(number, None, "line is JSON but not an object")
            continue
        if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(obj):
            yield RawRow(number, None, "line has an escape that is not valid Unicode")
            continue
        yield RawRow(number, {str(k): (v if k == "consent" else _scalar(v)) for k, v in obj.items()})


def read_csv(source: Source) -> Iterator[RawRow]:
    with open(source.path, "rb") as f:
        encoding = _encoding_for(f.read(4), source.encoding)
    text = _decode_whole(source.path, encoding)
    if text is None:
        yield RawRow(0, None, f"file is not valid {encoding}")
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error:
        yield RawRow(0, None, "header row is not valid CSV")
        return
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            yield RawRow(number, None, "row is not valid CSV")
            continue
        if not any(cells):
            number -= 1
            continue  # blank lines are not records
        if any(_has_undecodable(c) for c in cells):
            yield RawRow(number, None, f"row is not valid {encoding}")
        elif len(cells) > len(header):
            yield RawRow(number, None, "row has more fields than the header")
        else:
            cells += [None] * (len(header) - len(cells))  # missing trailing cells are nulls
            # an empty CSV cell is a null: CSV cannot tell them apart
            yield RawRow(number, {h: (c if c != "" else None) for h, c in zip(header, cells)})


def read_parquet(source: Source) -> Iterator[RawRow]:
    """Row group by row group, page checksums verified where the file has them. From
    the first batch of a row group that cannot be read, each remaining row of the group
    (counted from the footer) is a problem row, and reading goes on with the next group:
    every row is accounted for. An unreadable footer is one problem row at offset 0."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    # ValueError: e.g. a string column whose bytes are not UTF-8 fails in to_pylist
    errors = (pa.ArrowException, OSError, ValueError)
    try:
        file = pq.ParquetFile(source.path, page_checksum_verification=True)
        metadata = file.metadata
        sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
    except errors:
        yield RawRow(0, None, "file is not readable Parquet")
        return
    start = 0
    for group, size in enumerate(sizes):
        read = 0
        try:
            for batch in file.iter_batches(batch_size=4096, row_groups=[group]):
                rows = batch.to_pylist()  # whole, so a batch that fails yields no row
                for row in rows:
                    read += 1
                    yield RawRow(start + read, {k: _scalar(v) for k, v in row.items()})
            problem = f"row group {group} has fewer rows than the file's footer says"
        except errors:
            problem = f"row group {group} is not readable Parquet"
        # the rest of the group (all of it when its first batch failed)
        for number in range(start + read + 1, start + size + 1):
            yield RawRow(number, None, problem)
        start += max(size, read)


def estimate_rows(source: Source) -> int:
    """About how many rows a source holds, cheaply, for progress display only:
    Parquet's row count, else the non-blank lines (less the CSV header)."""
    try:
        if source.format == "parquet":
            import pyarrow.parquet as pq
            return pq.ParquetFile(source.path).metadata.num_rows
        with open(source.path, "rb") as f:
            lines = sum(1 for line in f if line.strip())
        return max(lines - 1, 0) if source.format == "csv" else lines
    except Exception:  # unreadable files are reported by the readers, not here
        return 0


READERS = {"jsonl": read_jsonl, "csv": read_csv, "parquet": read_parquet}


def read_source(source: Source) -> Iterator[RawRow]:
    """Rows of one source; a file that cannot be opened at all yields one problem row."""
    try:
        yield from READERS[source.format](source)
    except OSError:
        yield RawRow(0, None, "file cannot be read")
