"""Cutting an uncompressed JSONL or CSV file into parts of ``PART_ROWS`` rows, each read
on its own (``read_part``), so the workers share a big file: a cut always falls at a
row's end, found with the same parser as the file is read with (pipelines/read/formats.py).
"""
from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from pipelines.read.formats import (LongLine, RawRow, Undecodable, encoding_for, neutral_names,
                                    read_csv, read_jsonl, text_lines)

# Encodings in which a line break is the byte 0x0A and no other character contains it,
# and whose decoding is undone exactly by encoding: a file in one of them can be cut
# at a line's end, by bytes.
SPLITTABLE_ENCODINGS = {"utf-8", "utf-8-sig", "ascii"}
# rows per part of a splittable file: a runner hands parts to workers whole, so one
# worker may get a part more than another; 500 rows keep that under about 2 s of
# anonymizing (1,000: 3,000 records were 2 parts for one worker, 1 for the other)
PART_ROWS = 500


@dataclass(frozen=True)
class Part:
    """Rows of a file from byte ``start`` (a row's beginning) to ``end`` (None: the
    file's end): ``first_line``
    (JSONL: the number of its first line) or ``rows_before`` and ``header`` (CSV)."""
    start: int
    end: int | None
    first_line: int = 1
    rows_before: int = 0
    header: tuple | None = None


class _CountedLines:
    """The lines of a stream, counting the lines and bytes handed out so far."""

    def __init__(self, stream: BinaryIO, encoding: str, max_chars: int | None = None):
        self.lines, self.bytes = 0, 0
        head = stream.read(4)
        self.encoding = encoding_for(head, encoding)
        self._bom = 3 if self.encoding == "utf-8-sig" and head.startswith(codecs.BOM_UTF8) else 0
        self._source = text_lines(_Prepend(head, stream), encoding, max_chars=max_chars)

    def __iter__(self):
        self.bytes += self._bom
        for line in self._source:
            self.lines += 1
            self.bytes += (line.bytes if isinstance(line, LongLine)
                           else len(line.encode("utf-8", "surrogateescape")))
            yield line


class _Prepend:
    """A stream with bytes already read put back in front."""

    def __init__(self, head: bytes, stream: BinaryIO):
        self.head, self.stream = head, stream

    def read(self, n: int = -1) -> bytes:
        if not self.head:
            return self.stream.read(n)
        out, self.head = self.head, b""
        return out + (self.stream.read(n - len(out)) if n > len(out) else b"")


def plan_parts(stream: BinaryIO, fmt: str, encoding: str,
               every: int = PART_ROWS, max_chars: int | None = None,
               has_header: bool = True) -> list[Part] | None:
    """Where to cut a JSONL or CSV file into parts of ``every`` rows
    (CSV: records, which may span lines; JSONL: lines), read with the same parser as
    the file is; None when the file cannot be cut (its encoding is not one of
    SPLITTABLE_ENCODINGS, or its CSV header is unreadable)."""
    if codecs.lookup(encoding).name not in SPLITTABLE_ENCODINGS:
        return None
    lines = _CountedLines(stream, encoding, max_chars)
    if lines.encoding not in SPLITTABLE_ENCODINGS:  # a UTF-16 byte-order mark
        return None
    cuts, start = [], 0
    try:
        if fmt == "jsonl":
            for _ in lines:
                if lines.lines % every == 0:
                    cuts.append(Part(start, lines.bytes, first_line=lines.lines - every + 1))
                    start = lines.bytes
            cuts.append(Part(start, None, first_line=lines.lines - lines.lines % every + 1))
            return cuts
        counted = iter(lines)
        try:
            header = tuple(next(csv.reader(counted)))
        except (StopIteration, csv.Error):
            return None
        start, previous, count = lines.bytes, 0, 0
        if not has_header:  # the first row is data: the first part starts the file
            header, start, count = tuple(neutral_names(len(header))), 0, 1
        for row in read_csv(stream, encoding, list(header), rows_before=count,
                            lines=counted, max_chars=max_chars):
            count += 1
            if count % every == 0:
                cuts.append(Part(start, lines.bytes, rows_before=previous, header=header))
                start, previous = lines.bytes, row.offset
        cuts.append(Part(start, None, rows_before=previous, header=header))
        return cuts
    except Undecodable:
        return None


class _Range:
    """At most ``length`` bytes of a stream (None: all of the rest)."""

    def __init__(self, stream: BinaryIO, length: int | None):
        self.stream, self.left = stream, length

    def read(self, n: int = -1) -> bytes:
        if self.left is None:
            return self.stream.read(n)
        n = self.left if n < 0 else min(n, self.left)
        data = self.stream.read(n) if n else b""
        self.left -= len(data)
        return data


def read_part(path: str, fmt: str, encoding: str, part: Part,
              max_chars: int | None = None, has_header: bool = True) -> Iterator[RawRow]:
    """The rows of one part of an uncompressed JSONL or CSV file (see ``plan_parts``)."""
    from privenance import storage
    try:
        with storage.open_read(path) as stream:
            stream.seek(part.start)
            data = _Range(stream, None if part.end is None else part.end - part.start)
            # past the first part there is no byte-order mark to look for
            lines = text_lines(data, encoding, bom=part.start == 0, max_chars=max_chars)
            if fmt == "jsonl":
                yield from read_jsonl(data, encoding, part.first_line, lines, max_chars)
            else:
                header = list(part.header) if part.start else None
                yield from read_csv(data, encoding, header, part.rows_before, lines, max_chars,
                                    has_header=has_header)
    except (OSError, ValueError) as exc:
        yield RawRow(0, None, f"file cannot be read ({type(exc).__name__})")
