"""pull (lineage/pull.py) fails closed: a fetch that fails, a default branch that cannot
be read, or a folder that does not verify leaves nothing at the target. The fetch and
the verification are replaced here; the real round trip through git and DVC is in
tests/integration/test_dvc.py and test_tampering.py."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lineage import pull as pull_module
from privenance.errors import ConfigError, VerificationFailed


def fake_fetch(name, repo, rev, dest):
    dest.mkdir(parents=True)
    (dest / "part-0.parquet").write_bytes(f"rows at {rev}".encode())


def test_a_verified_fetch_replaces_the_previous_version(tmp_path, monkeypatch):
    monkeypatch.setattr(pull_module, "fetch", fake_fetch)
    monkeypatch.setattr(pull_module, "_verify_against_head",
                        lambda staged, name, repo, key: {"dataset": name, "version": "v2"})
    old = tmp_path / "out" / "demo"
    old.mkdir(parents=True)
    (old / "stale.parquet").write_bytes(b"old")
    cert = pull_module.pull("demo", "repo", "v2", tmp_path / "out", "key")
    assert cert["version"] == "v2"
    assert sorted(p.name for p in old.iterdir()) == ["part-0.parquet"]
    assert (old / "part-0.parquet").read_bytes() == b"rows at v2"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["demo"]  # no temporaries


def test_a_fetch_that_does_not_verify_leaves_the_target_as_it_was(tmp_path, monkeypatch):
    def refuse(staged, name, repo, key):
        raise VerificationFailed("hash mismatch: part-0.parquet")
    monkeypatch.setattr(pull_module, "fetch", fake_fetch)
    monkeypatch.setattr(pull_module, "_verify_against_head", refuse)
    with pytest.raises(VerificationFailed):
        pull_module.pull("demo", "repo", "v3", tmp_path / "out", "key")
    assert list((tmp_path / "out").iterdir()) == []
    old = tmp_path / "out" / "demo"
    old.mkdir()
    (old / "part-0.parquet").write_bytes(b"verified earlier")
    with pytest.raises(VerificationFailed):
        pull_module.pull("demo", "repo", "v3", tmp_path / "out", "key")
    assert (old / "part-0.parquet").read_bytes() == b"verified earlier"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["demo"]


def test_a_repository_that_is_not_there_is_a_one_line_config_error(tmp_path):
    missing = str(tmp_path / "no-repo")
    with pytest.raises(ConfigError, match="cannot fetch dataset 'demo' at v1") as fetched:
        pull_module.fetch("demo", missing, "v1", tmp_path / "dest")
    assert "\n" not in str(fetched.value) and not (tmp_path / "dest").exists()
    with pytest.raises(ConfigError, match="cannot read the revocations on the default branch"):
        pull_module._head_checkout(missing, tmp_path / "head")


def test_parts_are_read_as_one_table_in_order(tmp_path):
    for i in range(2):
        pq.write_table(pa.table({"_record_id": [f"r{i}a", f"r{i}b"]}), tmp_path / f"p{i}.parquet")
    table = pull_module._concat([tmp_path / "p0.parquet", tmp_path / "p1.parquet"])
    assert table.column("_record_id").to_pylist() == ["r0a", "r0b", "r1a", "r1b"]
