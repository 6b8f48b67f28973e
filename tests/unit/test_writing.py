"""Spilling rows to temporary files and reading back one shard's (pipelines/writing.py)."""
import pytest

from pipelines.writing import BUCKETS, _places, _Spill, _unspill, bucket_of, shard_of


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
    from pipelines.pipeline import _out_lock
    from privenance.errors import RunFailed
    out = str(tmp_path / "staged")
    with _out_lock(out):
        with pytest.raises(RunFailed, match="another run is writing to .*staged"):
            with _out_lock(out):
                pass
    with _out_lock(out):  # released when the first run ended
        pass
