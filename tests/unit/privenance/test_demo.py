"""The demo generator (privenance/demo.py), called as the Python API would."""
from privenance.demo import generate


def test_generate_takes_a_string_path(tmp_path):
    counts = generate(str(tmp_path / "raw"), tickets=3, interviews=2, posts=2)
    names = sorted(p.name for p in (tmp_path / "raw").iterdir())
    assert names == ["forum.csv", "interviews.parquet", "photos", "tickets.jsonl"]
    assert sum(counts.values()) >= 7
