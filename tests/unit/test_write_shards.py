"""Workers pickle rows to part files; write_shards turns them into Parquet shards, a
chunk at a time, sorted by Arrow: every row lands once, sorted with nulls first, and
the bytes do not depend on the order or chunking the rows came in."""
import random

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines import beam as pb


def schema(_=None):
    return pa.schema([("id", pa.string()), ("start", pa.int64()), ("note", pa.string())])


def write(rows, directory, monkeypatch):
    monkeypatch.setattr(pb.WriteParts, "CHUNK", 7)  # many part files
    with beam.Pipeline() as p:
        _ = p | beam.Create(rows) | beam.ParDo(pb.WriteParts(
            str(directory / "parts"), "id", num_shards=2, source_order={}))
    assert len(list((directory / "parts").glob("*.pkl"))) >= 100 // 7
    # the schema comes from the part files' headers, without reading their rows
    assert pb.column_types(directory / "parts") == {"id": ((0, 0), ["str"]),
                                                   "start": ((0, 1), ["int"]),
                                                   "note": ((0, 2), ["int"])}
    pb.write_shards(directory / "parts", directory / "out", ["id", "start", "note"],
                    schema(), num_shards=2)
    return [pq.read_table(f).to_pylist() for f in sorted((directory / "out").glob("*.parquet"))]


def test_shards_hold_every_row_once_sorted_with_nulls_first(tmp_path, monkeypatch):
    rows = [{"id": f"r{i % 13:02d}", "start": (None if i % 5 == 0 else i), "note": i}
            for i in range(100)]  # an int in a string column is written as text
    shuffled = random.Random(3).sample(rows, len(rows))
    shards = write(shuffled, tmp_path / "a", monkeypatch)
    assert len(shards) == 2
    assert sorted(r["note"] for shard in shards for r in shard) == sorted(str(i) for i in range(100))
    for shard in shards:
        keys = [(r["id"], -1 if r["start"] is None else r["start"], r["note"]) for r in shard]
        assert keys == sorted(keys)
    # another arrival order gives the same files
    again = write(list(reversed(shuffled)), tmp_path / "b", monkeypatch)
    assert again == shards
