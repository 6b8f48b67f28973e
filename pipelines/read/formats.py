"""Read a source file into raw rows, never raising on bad content.

Each row comes out as ``RawRow(offset, values, problem)``: ``values`` is a dict of
the source's columns, or ``None`` with ``problem`` saying (without quoting the
data) why the row could not be read. The caller quarantines those.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from privenance.errors import Reason
from privenance.sources import Source

csv.field_size_limit(1 << 30)  # long free-text cells are legitimate


@dataclass(frozen=True)
class RawRow:
    offset: int                 # 1-based line (JSONL), data row (CSV) or row index + 1 (Parquet)
    values: dict | None
    problem: str | None = None
    file: str | None = None     # the file within a source of many (folder, glob)
    reason: str | None = None   # the quarantine reason of a problem row; None: MALFORMED


def _scalar(value):
    """Binary cells as they are (bytes, or a ``{bytes, path}`` picture): a source's
    ``image_fields`` read pictures from them, and tagging.BinaryAsText turns those of
    any other column into text; every other value as ``as_text`` gives it."""
    if isinstance(value, bytes) or (isinstance(value, dict) and set(value) == {"bytes", "path"}):
        return value
    return as_text(value)


def as_text(value):
    """Keep scalars and lists of strings (tags: a list column in the output); other
    nested JSON becomes a canonical JSON string, anything else its text."""
    if value is None or isinstance(value, (str, int, float, bool, dt.date)):
        return value
    if isinstance(value, list) and all(isinstance(v, str) or v is None for v in value):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return str(value)


def encoding_for(head: bytes, declared: str) -> str:
    # A byte-order mark beats the declared encoding: exporters add them silently.
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return declared


def _without_bom(encoding: str) -> str:
    # inside a file, U+FEFF is a character, not a mark to strip
    return "utf-8" if codecs.lookup(encoding).name == "utf-8-sig" else encoding


_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes decoding left as surrogates


def _has_undecodable(text: str) -> bool:
    return _UNDECODABLE.search(text) is not None


# A JSON \u escape of a UTF-16 surrogate: a pair decodes to one character, a lone one
# stays a surrogate, which is not text (spaCy, hashing and Arrow all refuse it).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(obj) -> bool:
    return _SURROGATE.search(json.dumps(obj, ensure_ascii=False)) is not None


class Undecodable(Exception):
    """The file cannot be decoded from here on (e.g. UTF-16 cut in the middle)."""


# A line longer than this many characters (per character of the policy's
# max_text_chars, plus room for the other columns) is not read: a record holding it
# would be refused anyway (TEXT_TOO_LONG), and a line of a decompressed bomb could be
# gigabytes. Only its size is kept (LongLine) and reading skips to the next line.
LINE_CHARS_PER_TEXT_CHAR = 4
LINE_SLACK_CHARS = 1 << 16
DEFAULT_MAX_TEXT_CHARS = 1_000_000


def max_line_chars(max_text_chars: int = DEFAULT_MAX_TEXT_CHARS) -> int:
    """The longest line read, for a policy's ``anonymization.max_text_chars``."""
    return LINE_CHARS_PER_TEXT_CHAR * max_text_chars + LINE_SLACK_CHARS


class LongLine:
    """A line longer than the reader's limit, skipped as it streamed by: its size only
    (``bytes`` as UTF-8, which is what a splittable file's offsets need)."""

    __slots__ = ("chars", "bytes")

    def __init__(self, pieces=()):
        self.chars = self.bytes = 0
        for piece in pieces:
            self.add(piece)

    def add(self, piece: str) -> None:
        self.chars += len(piece)
        self.bytes += len(piece.encode("utf-8", "surrogateescape"))


def text_lines(stream: BinaryIO, declared: str, block: int = 1 << 16,
               bom: bool = True, max_chars: int | None = None) -> Iterator[str | LongLine]:
    """The stream's text, a line at a time (with its ``\n``), decoded a block at a
    time: memory stays flat however big the file. Undecodable bytes become lone
    surrogates (flagged per row); a file that cannot be decoded at all raises
    ``Undecodable``. Splits on ``\n`` only: ``str.splitlines`` would also split on
    characters that are text in a record (\x1c, \u2028). ``bom``: the stream starts
    the file, so a byte-order mark there names the encoding (else: a part's bytes).
    A line of more than ``max_chars`` characters comes out as a ``LongLine``, never
    held whole. A line is gathered in pieces and joined once: time is linear in its
    length (appending each block to one string was quadratic)."""
    head = stream.read(block)
    encoding = encoding_for(head, declared) if bom else _without_bom(declared)
    decoder = codecs.getincrementaldecoder(encoding)(errors="surrogateescape")
    pieces: list[str] = []   # the current line so far
    held = 0                 # its length
    skipping: LongLine | None = None  # the current line, when too long to keep
    data = head
    while True:
        final = not data
        try:
            text = decoder.decode(data, final=final)
        except UnicodeError:
            raise Undecodable(encoding) from None
        first, *complete = text.split("\n")
        if complete:  # ``first`` ends the current line
            rest = complete.pop()
            if skipping is not None:
                skipping.add(first + "\n")
                yield skipping
            elif max_chars is not None and held + len(first) > max_chars:
                yield LongLine([*pieces, first, "\n"])
            else:
                yield "".join(pieces) + first + "\n"
            pieces, held, skipping = [], 0, None
            for line in complete:
                if max_chars is not None and len(line) > max_chars:
                    yield LongLine([line, "\n"])
                else:
                    yield line + "\n"
        else:
            rest = first
        if rest:
            if skipping is not None:
                skipping.add(rest)
            else:
                pieces.append(rest)
                held += len(rest)
                if max_chars is not None and held > max_chars:
                    skipping, pieces, held = LongLine(pieces), [], 0
        if final:
            break
        data = stream.read(block)
    if skipping is not None:
        yield skipping
    elif pieces:
        yield "".join(pieces)


def _too_long(what: str, max_chars: int | None) -> str:
    return f"{what} is longer than {max_chars or csv.field_size_limit():,} characters; not read"


def read_jsonl(stream: BinaryIO, encoding: str, first_line: int = 1,
               lines=None, max_chars: int | None = None) -> Iterator[RawRow]:
    """``first_line``: the number of the stream's first line (a part of a file).
    ``lines``: the stream's lines, if the caller reads them itself (with the same
    ``max_chars``: longer lines are quarantined as LINE_TOO_LONG)."""
    number = first_line - 1
    lines = lines if lines is not None else text_lines(stream, encoding, max_chars=max_chars)
    try:
        for number, line in enumerate(lines, start=first_line):
            if isinstance(line, LongLine):
                yield RawRow(number, None, _too_long("line", max_chars),
                             reason=Reason.LINE_TOO_LONG.value)
            elif line.strip():  # blank lines are not records
                yield _jsonl_row(number, line.rstrip("\r\n"), encoding)
    except Undecodable as exc:
        yield RawRow(number + 1, None, f"file is not valid {exc} from here on")


def _jsonl_row(number: int, text: str, encoding: str) -> RawRow:
    if _has_undecodable(text):
        return RawRow(number, None, f"line is not valid {encoding}")
    try:
        obj = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return RawRow(number, None, "line is not valid JSON")
    if not isinstance(obj, dict):
        return RawRow(number, None, "line is JSON but not an object")
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(obj):
        return RawRow(number, None, "line has an escape that is not valid Unicode")
    return RawRow(number, {str(k): (v if k == "consent" else _scalar(v)) for k, v in obj.items()})


class _CsvLines:
    """Lines for ``csv.reader``. A LongLine goes on as a blank line, and once the
    current record passes ``max_chars`` its further lines go on as their quotes,
    commas and line ends only: the parser still finds where the record ends, without
    holding it. Either is noted in ``long``, for that row to be quarantined."""

    _NOT_STRUCTURE = re.compile(r'[^",\r\n]+')

    def __init__(self, lines, max_chars: int | None):
        self.lines, self.long, self.max_chars = iter(lines), None, max_chars
        self.chars = 0  # of the current record; read_csv resets it after each one

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        if isinstance(line, LongLine):
            self.long = line
            return "\n"
        self.chars += len(line)
        if self.max_chars is not None and self.chars > self.max_chars:
            self.long = self.long or LongLine()
            return self._NOT_STRUCTURE.sub("", line)
        return line


def neutral_names(count: int) -> list[str]:
    """Column names of a CSV without a header row: col_1, col_2, ..."""
    return [f"col_{i}" for i in range(1, count + 1)]


def read_csv(stream: BinaryIO, encoding: str, header: list[str] | None = None,
             rows_before: int = 0, lines=None, max_chars: int | None = None,
             has_header: bool = True) -> Iterator[RawRow]:
    """``header`` and ``rows_before``: for a part of a file, the file's header and the
    data rows before the part (the stream then starts at a row). ``lines``: the
    stream's lines, if the caller reads them itself (with the same ``max_chars``: a row
    with a longer line, or a longer cell, is quarantined as LINE_TOO_LONG).
    ``has_header`` false: the first row is data, and the columns are named by
    ``neutral_names``."""
    lines = _CsvLines(lines if lines is not None
                      else text_lines(stream, encoding, max_chars=max_chars), max_chars)
    reader = csv.reader(lines)
    number = rows_before
    first = None  # the first row, when it is data
    try:
        if header is None:
            try:
                header = next(reader)
            except StopIteration:
                return
            except csv.Error:
                yield RawRow(0, None, "header row is not valid CSV")
                return
            lines.chars = 0
            if lines.long is not None and has_header:
                yield RawRow(0, None, _too_long("header row", max_chars),
                             reason=Reason.LINE_TOO_LONG.value)
                return
            if not has_header:  # a long first row stays flagged for the loop below
                first, header = header, neutral_names(len(header))
        while True:
            number += 1
            try:
                cells, first = (first, None) if first is not None else (next(reader), None)
            except StopIteration:
                return
            except csv.Error:
                lines.long, lines.chars = None, 0
                yield RawRow(number, None, "row is not valid CSV")
                continue
            lines.chars = 0
            if lines.long is not None:
                yield RawRow(number, None, _too_long("row", max_chars),
                             reason=Reason.LINE_TOO_LONG.value)
                lines.long = None
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
    except Undecodable as exc:
        yield RawRow(number, None, f"file is not valid {exc} from here on")


def parquet_row_groups(stream: BinaryIO) -> list[int] | None:
    """The row count of each row group, from the footer; None if it is unreadable."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    try:
        metadata = pq.ParquetFile(stream).metadata
        return [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
    except (pa.ArrowException, OSError, ValueError):
        return None


def read_parquet(stream: BinaryIO, groups: range | None = None) -> Iterator[RawRow]:
    """Row group by row group (``groups``: only these), page checksums verified where
    the file has them. From the first batch of a row group that cannot be read, each
    remaining row of the group (counted from the footer) is a problem row, and reading
    goes on with the next group: every row is accounted for, and offsets (row index + 1)
    do not depend on which groups are read. An unreadable footer is one problem row at
    offset 0."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    # ValueError: e.g. a string column whose bytes are not UTF-8 fails in to_pylist
    errors = (pa.ArrowException, OSError, ValueError)
    try:
        file = pq.ParquetFile(stream, page_checksum_verification=True)
        metadata = file.metadata
        sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
    except errors:
        if groups is None or 0 in groups:  # one problem row, from the part holding group 0
            yield RawRow(0, None, "file is not readable Parquet")
        return
    start = 0
    for group, size in enumerate(sizes):
        if groups is not None and group not in groups:
            start += size
            continue
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


MAX_IMAGE_BYTES = 64 << 20  # a bigger picture file is quarantined unread


def read_image(stream: BinaryIO, max_bytes: int = MAX_IMAGE_BYTES) -> Iterator[RawRow]:
    """One picture file as one row: its bytes in an ``image`` column ``{bytes, path}``
    (the path, a neutral name, is set when the picture is cleaned). Decoding waits for
    the steps (pipelines/images/), which quarantine a picture that is not one."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        yield RawRow(1, None, f"image file is larger than {max_bytes:,} bytes; not read")
    elif not data:
        yield RawRow(1, None, "image file is empty")
    else:
        yield RawRow(1, {"image": {"bytes": data, "path": None}})


READERS = {"jsonl": read_jsonl, "csv": read_csv}

def read_file(path: str, fmt: str, encoding: str, groups: range | None = None,
              max_chars: int | None = None, has_header: bool = True) -> Iterator[RawRow]:
    """Rows of one file of any filesystem, decompressed by its extension; a file that
    cannot be opened at all yields one problem row. ``max_chars``: the longest line
    read (``max_line_chars``); ``has_header``: see read_csv."""
    from privenance import storage
    try:
        if fmt in ("parquet", "images"):
            with storage.open_read(path) as stream:
                yield from read_parquet(stream, groups) if fmt == "parquet" else read_image(stream)
        else:
            with storage.open_read(path, compressed=True) as stream:
                yield from (read_csv(stream, encoding, max_chars=max_chars, has_header=has_header)
                            if fmt == "csv" else READERS[fmt](stream, encoding, max_chars=max_chars))
    except (OSError, EOFError, ValueError) as exc:  # unreadable, or a damaged gzip/zstd stream
        yield RawRow(0, None, f"file cannot be read ({type(exc).__name__})")


def read_source(source: Source, max_chars: int | None = None) -> Iterator[RawRow]:
    """Rows of every file of a source, in file order (each RawRow names its file when
    the source has more than one). ``max_chars``: the longest line read; by default
    that of the default policy (``max_line_chars``)."""
    max_chars = max_chars or max_line_chars()
    from privenance.sources import format_of, list_source_files
    files = list_source_files(source)
    for file in files:
        fmt = source.format or format_of(file.path)
        for row in read_file(file.path, fmt, source.encoding, max_chars=max_chars,
                             has_header=source.header):
            yield row if len(files) == 1 else RawRow(row.offset, row.values, row.problem,
                                                     file.name, row.reason)
