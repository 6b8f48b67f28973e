import codecs

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.readers import read_source
from privenance.sources import Source


def rows(path, **kw):
    return list(read_source(Source(id="s", path=str(path), **kw)))


def test_jsonl_bad_lines_become_problems_not_crashes(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_bytes(b'{"a": 1}\n\n{broken\n[1,2]\n{"b": "\xff\xfe"}\n{"c": {"n": 1}}\n')
    out = rows(p)
    assert [r.offset for r in out] == [1, 3, 4, 5, 6]
    assert [r.problem is None for r in out] == [True, False, False, False, True]
    assert out[-1].values == {"c": '{"n": 1}'}  # nested values flattened to JSON text


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
