"""privenance.storage on local paths and on URIs (path arithmetic only: the object store
itself is exercised in tests/integration/test_uri_chain.py and test_beam_native.py)."""
from __future__ import annotations

import gzip
import hashlib

import pytest

from privenance import storage
from privenance.errors import ConfigError


def test_join_parent_and_name_on_paths_and_uris(tmp_path):
    assert storage.join("s3://bucket/staged/", "/dataset/", "part-0.parquet") == \
        "s3://bucket/staged/dataset/part-0.parquet"
    assert storage.join(tmp_path, "a", "b") == str(tmp_path / "a" / "b")
    assert storage.parent_of("s3://bucket/staged/run.json") == "s3://bucket/staged"
    assert storage.parent_of(tmp_path / "run.json") == str(tmp_path)
    assert storage.name_of("s3://bucket/certified/demo/") == "demo"
    assert storage.is_uri("gs://b/k") and not storage.is_uri("data/staged")
    assert not storage.is_uri("C:/data")  # one letter and no // is a path
    assert storage.absolute("s3://b/k") == "s3://b/k"


def test_relative_links_within_one_store_and_absolute_across_stores(tmp_path):
    assert storage.relative("s3://b/certified/demo", "s3://b/reports") == "../certified/demo"
    assert storage.relative("s3://other/certified", "s3://b/reports") == "s3://other/certified"
    assert storage.relative(tmp_path / "a" / "x", tmp_path / "b") == "../a/x"
    assert storage.relative(tmp_path / "x", "s3://b/reports") == str((tmp_path / "x").resolve())


def test_list_files_recurses_sorted_filters_by_suffix_and_skips_hidden(tmp_path):
    for rel in ("b/2.parquet", "a.parquet", "a.json", ".hidden.parquet", ".dir/c.parquet"):
        storage.write_bytes(str(tmp_path / rel), b"x")
    assert storage.list_files(str(tmp_path), ".parquet") == [
        str(tmp_path / "a.parquet"), str(tmp_path / "b/2.parquet")]
    assert len(storage.list_files(str(tmp_path), ".parquet", hidden=True)) == 4
    assert storage.list_files(str(tmp_path / "missing")) == []


def test_write_bytes_replaces_whole_files_and_leaves_no_temporary(tmp_path):
    path = str(tmp_path / "deep" / "run.json")
    storage.write_json(path, {"b": 1, "a": [1, 2]})
    storage.write_json(path, {"c": "ü"})
    assert storage.read_json(path) == {"c": "ü"}
    assert [p.name for p in (tmp_path / "deep").iterdir()] == ["run.json"]
    stored = (tmp_path / "deep/run.json").read_bytes()
    assert storage.sha256(path) == hashlib.sha256(stored).hexdigest()


def test_open_read_decompresses_when_asked(tmp_path):
    path = tmp_path / "t.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"a": 1}\n'))
    with storage.open_read(str(path), compressed=True) as f:
        assert f.read() == b'{"a": 1}\n'
    with storage.open_read(str(path)) as f:
        assert f.read() == path.read_bytes()  # as stored


def test_delete_and_rename_local_files(tmp_path):
    a, b = tmp_path / "a", tmp_path / "sub" / "b"
    a.write_bytes(b"1")
    storage.rename([str(a)], [str(b)])
    assert not a.exists() and b.read_bytes() == b"1"
    storage.delete([str(b), str(tmp_path / "never-there")])  # a missing file is no error
    assert not b.exists()


def test_an_unknown_scheme_is_a_config_error_naming_it():
    with pytest.raises(ConfigError, match="no filesystem for nope://"):
        storage.list_files("nope://bucket/prefix")
