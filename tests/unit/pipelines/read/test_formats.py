import codecs

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.read.formats import read_source
from privenance.sources import Source
from tests.helpers import damage_row_group, write_groups


def rows(path, **kw):
    return list(read_source(Source(id="s", path=str(path), **kw)))


def test_jsonl_bad_lines_become_problems_not_crashes(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_bytes(b'{"a": 1}\n\n{broken\n[1,2]\n{"b": "\xff\xfe"}\n{"c": {"n": 1}}\n')
    out = rows(p)
    assert [r.offset for r in out] == [1, 3, 4, 5, 6]
    assert [r.problem is None for r in out] == [True, False, False, False, True]
    assert out[-1].values == {"c": '{"n": 1}'}  # nested values flattened to JSON text


def test_jsonl_lone_surrogate_escapes_are_problems_pairs_are_text(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text('{"t": "\\ud83d\\ude00"}\n{"t": "x\\ud800"}\n{"\\udc00": 1}\n'
                 '{"t": ["\\uDBFF"]}\n{"t": "\\\\ud800"}\n', encoding="ascii")
    out = rows(p)
    assert [r.problem is None for r in out] == [True, False, False, False, True]
    assert out[0].values == {"t": "\U0001F600"} and out[4].values == {"t": "\\ud800"}


def test_utf16_and_bom_files_are_read(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_bytes(codecs.BOM_UTF16_LE + '{"name": "陳大文"}\n'.encode("utf-16-le"))
    assert rows(p)[0].values == {"name": "陳大文"}
    q = tmp_path / "b.csv"
    q.write_bytes(codecs.BOM_UTF8 + "id,text\n1,hé\n".encode())
    assert rows(q)[0].values == {"id": "1", "text": "hé"}


def test_csv_embedded_newlines_extra_and_missing_cells(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text('id,text\n1,"line one\nline ""two"""\n2,a,b\n3\n', encoding="utf-8")
    out = rows(p)
    assert out[0].values == {"id": "1", "text": 'line one\nline "two"'}
    assert out[1].values is None and "more fields" in out[1].problem
    assert out[2].values == {"id": "3", "text": None}


def test_latin1_bytes_in_utf8_csv_are_quarantined_per_row(tmp_path):
    p = tmp_path / "a.csv"
    p.write_bytes(b"id,text\n1,ok\n2,caf\xe9\n")
    out = rows(p)
    assert out[0].values is not None and out[1].values is None
    assert rows(p, encoding="latin-1")[1].values == {"id": "2", "text": "café"}


def test_parquet_and_corrupt_parquet(tmp_path):
    p = tmp_path / "a.parquet"
    pq.write_table(pa.table({"id": [1, 2], "t": ["x", None]}), p)
    assert [r.values for r in rows(p)] == [{"id": 1, "t": "x"}, {"id": 2, "t": None}]
    bad = tmp_path / "b.parquet"
    bad.write_bytes(b"PAR1 not really")
    out = rows(bad)
    assert len(out) == 1 and out[0].values is None


def test_empty_files_have_no_rows(tmp_path):
    for name in ("e.jsonl", "e.csv"):
        (tmp_path / name).write_bytes(b"")
        assert rows(tmp_path / name) == []


@pytest.mark.parametrize("column", [0, 1])  # 0: only the checksum tells; 1: undecodable
def test_damaged_row_group_is_quarantined_row_by_row_and_reading_goes_on(tmp_path, column):
    p = tmp_path / "groups.parquet"
    write_groups(p)
    damage_row_group(p, 1, column)
    if column == 0:
        assert pq.read_table(p).num_rows == 200  # unverified, the damage reads as data
    out = rows(p)
    assert len(out) == pq.ParquetFile(p).metadata.num_rows == 200
    assert [r.offset for r in out] == list(range(1, 201))
    bad = [r for r in out if r.values is None]
    assert [r.offset for r in bad] == list(range(51, 101))
    assert all("row group 1" in r.problem for r in bad)
    good = [r.values for r in out if r.values is not None]
    assert good == [{"id": i, "t": f"text {i}"} for i in [*range(50), *range(100, 200)]]


def test_lists_of_strings_stay_lists_other_nesting_becomes_json(tmp_path):
    from pipelines.write.schema import ColumnTypes, dataset_schema
    p = tmp_path / "a.jsonl"
    p.write_text('{"tags": ["billing", "router"], "mixed": [1, "a"], "obj": {"k": ["v"]}}\n')
    [row] = rows(p)
    assert row.values == {"tags": ["billing", "router"], "mixed": '[1, "a"]',
                          "obj": '{"k": ["v"]}'}
    fn = ColumnTypes({})
    schema = dataset_schema(fn.extract_output(fn.add_input(fn.create_accumulator(), row.values)))
    assert str(schema.field("tags").type) == "list<item: string>"
    assert str(schema.field("obj").type) == "string"


# ------------------------------------------------ cutting a file into parts (by bytes)

def _parts_equal_whole(path, fmt, encoding="utf-8", every=3):
    from pipelines.read.formats import read_file
    from pipelines.read.parts import plan_parts, read_part
    with open(path, "rb") as f:
        parts = plan_parts(f, fmt, encoding, every=every)
    assert parts is not None
    whole = list(read_file(str(path), fmt, encoding))
    assert [r for p in parts for r in read_part(str(path), fmt, encoding, p)] == whole
    return parts, whole


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_jsonl_parts_give_the_rows_and_line_numbers_of_the_whole_file(tmp_path, encoding):
    lines = [("" if i % 7 == 0 else "{bad" if i % 5 == 0 else '{"id": %d, "t": "陳大文 é"}' % i)
             for i in range(23)]
    p = tmp_path / "a.jsonl"
    p.write_bytes(codecs.BOM_UTF8 + "\r\n".join(lines).encode() + b'\n{"x": "\xff"}')
    parts, whole = _parts_equal_whole(p, "jsonl", encoding)
    assert len(parts) == 9  # 24 lines, 3 to a part, and the end
    assert [r.offset for r in whole if r.problem] == [6, 11, 16, 21, 24]


@pytest.mark.parametrize("every", [1, 2, 3, 100])
def test_csv_parts_cut_between_records_never_inside_a_quoted_newline(tmp_path, every):
    rows = ["id,text,n"]
    for i in range(31):
        rows.append("" if i % 9 == 0 else f'{i},"multi\nline ""q""\nend",{i}' if i % 4 == 0
                    else f"{i},a\"b,{i},extra" if i % 5 == 0 else f"{i},plain 陳 {i},{i}")
    p = tmp_path / "c.csv"
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    parts, whole = _parts_equal_whole(p, "csv", every=every)
    assert len(whole) == 27 and [r.offset for r in whole] == list(range(1, 28))
    assert len(parts) == 27 // every + 1
    assert all(part.header == ("id", "text", "n") for part in parts)


def test_files_that_cannot_be_cut_by_bytes_are_one_part(tmp_path):
    from pipelines.read.parts import plan_parts
    p = tmp_path / "u.csv"
    p.write_text("id,t\n1,a\n", encoding="utf-16")
    with open(p, "rb") as f:  # a UTF-16 byte-order mark, whatever the declared encoding
        assert plan_parts(f, "csv", "utf-8") is None
    with open(p, "rb") as f:
        assert plan_parts(f, "csv", "utf-16") is None


def test_a_part_starting_with_bytes_like_a_byte_order_mark_is_still_utf8(tmp_path):
    p = tmp_path / "m.jsonl"  # line 4 starts a part, with the bytes of a UTF-16 mark
    p.write_bytes(b'{"a": 1}\n{"a": 2}\n{"a": 3}\n\xff\xfe{"a": 4}\n{"a": "\xe9\x99\xb3"}\n')
    parts, whole = _parts_equal_whole(p, "jsonl")
    assert len(parts) == 2 and whole[3].problem and whole[4].values == {"a": "陳"}


# ------------------------------------------------ hostile input: long lines, bombs

def test_text_lines_is_linear_in_a_long_line():
    import io
    import time

    from pipelines.read.formats import text_lines
    data = b"x" * (40 << 20) + b"\nend\n"  # one 40 MB line: quadratic reading took seconds
    start = time.monotonic()
    lines = list(text_lines(io.BytesIO(data), "utf-8"))
    assert time.monotonic() - start < 3
    assert [len(line) for line in lines] == [(40 << 20) + 1, 4]


def test_a_line_over_the_cap_is_skipped_unread_and_reading_goes_on(tmp_path):
    from pipelines.read.formats import max_line_chars, read_file
    long = '{"id": "big", "t": "' + "é" * 5000 + '"}'
    p = tmp_path / "a.jsonl"
    p.write_text('{"id": "a"}\n' + long + '\n{"id": "b"}\n' + long, encoding="utf-8")
    got = list(read_file(str(p), "jsonl", "utf-8", max_chars=1000))
    assert [(r.offset, r.reason) for r in got] == [(1, None), (2, "LINE_TOO_LONG"),
                                                   (3, None), (4, "LINE_TOO_LONG")]
    assert "é" not in got[1].problem and got[2].values == {"id": "b"}
    assert max_line_chars(1000) < max_line_chars(2000)


def test_parts_of_a_file_with_long_lines_equal_the_whole(tmp_path):
    from pipelines.read.formats import read_file
    from pipelines.read.parts import plan_parts, read_part
    p = tmp_path / "a.jsonl"
    p.write_text("".join('{"i": %d, "t": "%s"}\n' % (i, "陳" * (3000 if i % 4 == 1 else 3))
                         for i in range(10)), encoding="utf-8")
    with open(p, "rb") as f:
        parts = plan_parts(f, "jsonl", "utf-8", every=3, max_chars=1000)
    whole = list(read_file(str(p), "jsonl", "utf-8", max_chars=1000))
    assert [r for part in parts for r in read_part(str(p), "jsonl", "utf-8", part, 1000)] == whole
    assert [r.offset for r in whole if r.reason == "LINE_TOO_LONG"] == [2, 6, 10]


def test_csv_row_over_the_cap_is_quarantined_on_one_line_or_many(tmp_path):
    from pipelines.read.formats import read_file
    p = tmp_path / "c.csv"
    p.write_text("id,t\n1,short\n2," + "x" * 5000 + "\n3,\"" + "y\n" * 3000 + "\"\n4,ok\n",
                 encoding="utf-8")
    got = list(read_file(str(p), "csv", "utf-8", max_chars=1000))
    assert [(r.offset, r.reason) for r in got] == [(1, None), (2, "LINE_TOO_LONG"),
                                                   (3, "LINE_TOO_LONG"), (4, None)]
    assert got[3].values == {"id": "4", "t": "ok"}


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".zst", ".xz"])
def test_a_compression_bomb_is_read_in_bounded_memory(tmp_path, suffix):
    import bz2
    import gzip
    import lzma
    import time
    import tracemalloc

    import zstandard

    from pipelines.read.formats import read_file
    size = 256 << 20  # 256 MB of one line, compressed to well under a megabyte
    p = tmp_path / f"bomb.jsonl{suffix}"
    block = b"x" * (1 << 20)
    opener = {".gz": lambda: gzip.open(p, "wb"), ".bz2": lambda: bz2.open(p, "wb"),
              ".zst": lambda: zstandard.ZstdCompressor().stream_writer(open(p, "wb")),
              ".xz": lambda: lzma.open(p, "wb", preset=0)}[suffix]
    with opener() as f:
        f.write(b'{"id": "bomb", "t": "')
        for _ in range(size // len(block)):
            f.write(block)
        f.write(b'"}\n{"id": "next"}\n')
    assert p.stat().st_size < 2 << 20
    # the peak of what Python allocated while reading (the process's own peak may be
    # higher already, from earlier tests, and would hide a regression)
    tracemalloc.start()
    start = time.monotonic()
    try:
        got = list(read_file(str(p), "jsonl", "utf-8", max_chars=100_000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - start < 30
    assert [(r.offset, r.reason) for r in got] == [(1, "LINE_TOO_LONG"), (2, None)]
    assert peak < 100 << 20  # far below the 256 MB the line holds


def test_an_unreadable_file_is_planned_as_one_part_that_gives_one_problem_row(tmp_path):
    """Root reads any file, so a folder stands in for a file without permission:
    opening it raises an OSError as a chmod 000 file does (it was exit 70)."""
    from pipelines.read.transform import HASHES, PlanParts, ReadPart
    from pipelines.read.formats import max_line_chars
    folder = tmp_path / "x.jsonl"
    folder.mkdir()
    unit = {"source": "s", "format": "jsonl", "encoding": "utf-8", "path": str(folder),
            "name": None, "header": True}
    out = list(PlanParts(max_line_chars()).process(unit))
    assert [o.tag for o in out if hasattr(o, "tag")] == [HASHES]
    (part,) = [o for o in out if not hasattr(o, "tag")]
    rows = list(ReadPart(max_line_chars()).process(part))
    quarantined = [o.value for o in rows if getattr(o, "tag", None) == "quarantine"]
    assert [(q["reason"], q["_offset"]) for q in quarantined] == [("MALFORMED", 0)]
    assert [o.value for o in rows if getattr(o, "tag", None) == "counts"] == [("s", 1)]


def test_csv_without_header_row_reads_its_first_row_as_data(tmp_path):
    import io

    from pipelines.read.formats import read_csv
    from pipelines.read.parts import plan_parts, read_part
    data = "".join(f"Chan Ka Yan {i},9123{i:04d},x{i}@mail.hk\n" for i in range(1, 8)).encode()
    rows = list(read_csv(io.BytesIO(data), "utf-8", has_header=False))
    assert [r.offset for r in rows] == list(range(1, 8))
    assert list(rows[0].values) == ["col_1", "col_2", "col_3"]
    assert rows[0].values["col_3"] == "x1@mail.hk"
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    with path.open("rb") as f:
        parts = plan_parts(f, "csv", "utf-8", every=3, has_header=False)
    parted = [r for p in parts for r in read_part(str(path), "csv", "utf-8", p, has_header=False)]
    assert parted == rows and len(parts) == 3
