"""Spilling rows to temporary files and reading back one shard's (pipelines/write/transform.py)."""
import pytest

from pipelines.write.transform import BUCKETS, _places, _Spill, _unspill, bucket_of, shard_of


def spilled_file(tmp_path, rows):
    spill = _Spill(str(tmp_path), "id", spill_rows=10 ** 9)
    spill.start_bundle()
    assert list(spill.process(rows[0])) == []  # nothing written below spill_rows
    for row in rows[1:]:
        list(spill.process(row))
    (windowed,) = spill.finish_bundle()
    return windowed.value


@pytest.mark.parametrize("shards", [1, 2, 7, 50, BUCKETS])
def test_each_row_is_read_back_once_in_its_shard_for_any_shard_count(tmp_path, shards):
    rows = [{"id": f"R{i}", "n": i} for i in range(3000)]
    places = list(_places(spilled_file(tmp_path, rows), shards))
    assert len({shard for shard, _ in places}) == len(places)  # one range per shard
    seen = []
    for shard, place in places:
        got = _unspill([place])
        assert {shard_of(bucket_of(r["id"]), shards) for r in got} == {shard}
        seen += got
    assert sorted(r["n"] for r in seen) == list(range(3000))


def test_shards_are_even_ranges_of_buckets():
    counts = [0] * 7
    for bucket in range(BUCKETS):
        counts[shard_of(bucket, 7)] += 1
    assert max(counts) - min(counts) <= 1
    assert [shard_of(b, 7) for b in range(BUCKETS)] == sorted(shard_of(b, 7) for b in range(BUCKETS))


def test_a_second_run_into_the_same_out_is_refused_while_the_first_holds_it(tmp_path):
    from pipelines.run.driver import _out_lock
    from privenance.errors import RunFailed
    out = str(tmp_path / "staged")
    with _out_lock(out):
        with pytest.raises(RunFailed, match="another run is writing to .*staged"):
            with _out_lock(out):
                pass
    with _out_lock(out):  # released when the first run ended
        pass


def test_of_rows_sharing_an_id_the_first_read_is_kept_whatever_their_order():
    """Duplicate ids within a source (issue 31): the later reads are left out, the same
    ones whatever order a runner hands the rows in."""
    import itertools

    from pipelines.record import FILE, OFFSET
    from pipelines.write.transform import first_read
    rows = [{"id": "a", FILE: "b.jsonl", OFFSET: 1}, {"id": "a", FILE: "a.jsonl", OFFSET: 9},
            {"id": "c", FILE: None, OFFSET: 3}, {"id": "c", FILE: None, OFFSET: 2},
            {"id": "a", FILE: "a.jsonl", OFFSET: 10}, {"id": "d", FILE: None, OFFSET: 5}]
    for order in itertools.permutations(rows):
        kept, duplicates = first_read(list(order), "id")
        assert sorted((r["id"], r[FILE] or "", r[OFFSET]) for r in kept) == [
            ("a", "a.jsonl", 9), ("c", "", 2), ("d", "", 5)]
        assert len(duplicates) == 3 and {r["id"] for r in duplicates} == {"a", "c"}


def test_a_shard_writes_one_row_per_id_and_leaves_excluded_rows_out(tmp_path):
    import pyarrow.parquet as pq

    from pipelines.record import FILE, OFFSET, SOURCE_ID
    from pipelines.write.transform import DUPLICATES, _WriteShard
    rows = [{"_record_id": "r1", "n": 1, SOURCE_ID: "s", OFFSET: 2},
            {"_record_id": "r1", "n": 2, SOURCE_ID: "s", OFFSET: 1},
            {"_record_id": "r2", "n": 3, SOURCE_ID: "s", OFFSET: 3, FILE: None}]
    fixed = __import__("pyarrow").schema([("_record_id", "string"), ("n", "int64")])
    write = _WriteShard(str(tmp_path), "out", ["_record_id"], [], fixed, 1, 100, None,
                        spilled=False, shard_key="_record_id", unique_by="_record_id")
    out = list(write.process((0, rows), rows=3, types={}, run_id="x",
                             excluded=[("r2", ("", 3))]))
    duplicates = [o.value for o in out if getattr(o, "tag", None) == DUPLICATES]
    assert [(d["n"], d[OFFSET]) for d in duplicates] == [(1, 2)]
    (report,) = [o for o in out if not hasattr(o, "tag")]
    table = pq.read_table(tmp_path / report["path"])
    assert table.to_pylist() == [{"_record_id": "r1", "n": 2}]  # internal fields not written


def test_a_zone_is_kept_when_a_column_has_one_and_iso_text_with_offsets_when_several():
    """Timezone-aware timestamps (issue 31) were written as naive UTC."""
    import datetime as dt
    import zoneinfo

    import pyarrow as pa

    from pipelines.write.schema import ColumnTypes, dataset_schema, to_string
    hk = dt.datetime(2024, 3, 1, 12, tzinfo=zoneinfo.ZoneInfo("Asia/Hong_Kong"))
    plus8 = dt.datetime(2024, 3, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    naive = dt.datetime(2024, 3, 1, 12)

    def schema(*values):
        types = ColumnTypes({})
        acc = types.create_accumulator()
        for v in values:
            acc = types.add_input(acc, {"ts": v})
        return dataset_schema(types.extract_output(acc)).field("ts").type

    assert schema(hk, hk) == pa.timestamp("us", tz="Asia/Hong_Kong")
    assert schema(plus8) == pa.timestamp("us", tz="+08:00")
    assert schema(naive) == pa.timestamp("us")
    assert schema(hk, plus8) == schema(hk, naive) == pa.string()
    assert to_string(plus8) == "2024-03-01T12:00:00+08:00"
    for value in (hk, plus8):  # the same instant and the same offset back
        back = pa.array([value], type=schema(value)).to_pylist()[0]
        assert back == value and back.utcoffset() == dt.timedelta(hours=8)


@pytest.mark.parametrize("rows", [0, 3])
def test_an_output_gets_one_empty_file_when_it_has_no_rows_and_none_otherwise(tmp_path, rows):
    """``always_one_file``: the empty file is decided from the writer's own reports (the
    rows are not counted a second time)."""
    import apache_beam as beam
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipelines.write.transform import WriteParquet
    schema = pa.schema([("_record_id", pa.string()), ("n", pa.int64())])
    with beam.Pipeline() as p:
        _ = (p | beam.Create([{"_record_id": f"r{i}", "n": i} for i in range(rows)],
                             reshuffle=False).with_output_types(dict)
             | WriteParquet(str(tmp_path), "out", schema=schema, run_id_column=None,
                            min_shards=2, always_one_file=True, spill=False))
    written = [pq.read_table(f).num_rows for f in sorted((tmp_path / "out").glob("*.parquet"))]
    if rows:
        assert sum(written) == rows and 0 not in written
    else:
        assert written == [0]
