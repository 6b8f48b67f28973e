"""The subject index (lineage/subjects.py) on files built here: tokens only, sealed with
the version's certificate, found by token, and an index that does not match its
certificate, or is missing, is never searched silently."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lineage import subjects
from privenance.errors import RunFailed


def staged_run(staged: Path) -> Path:
    """A staged run: run.json naming the id field, a dataset and findings with tokens."""
    (staged / "dataset").mkdir(parents=True)
    (staged / "findings").mkdir()
    (staged / "run.json").write_text(json.dumps(
        {"sources": [{"id": "tickets", "id_field": "ticket_id"}]}))
    pq.write_table(pa.table({"_record_id": ["r1", "r2", "r3"], "_source": ["tickets"] * 3,
                             "ticket_id": ["T1", "T2", ""]}), staged / "dataset/part-0.parquet")
    pq.write_table(pa.table({
        "subject": ["tok-a", "tok-a", "tok-b", None, "tok-c"],
        "_record_id": ["r1", "r1", "r2", "r2", "r3"], "_source": ["tickets"] * 5,
        "entity": ["EMAIL_ADDRESS", "EMAIL_ADDRESS", "PERSON", "DATE_TIME", "PERSON"]}),
        staged / "findings/part-0.parquet")
    return staged


def certify(tmp_path: Path, root: Path, version: str, staged: Path) -> Path:
    """What certify does for the index: build it, write a certificate naming it, seal."""
    version_dir = root / "demo" / version
    facts = subjects.build_index(staged / "findings", version_dir)
    cert = tmp_path / f"{version}.certificate.json"
    cert.write_text(json.dumps({"dataset": "demo", "version": version, "as_of": "2026-11-25",
                                "run_id": f"run-{version}", "subject_index": facts}))
    subjects.seal_index(version_dir, cert)
    return version_dir


def test_index_holds_tokens_and_source_keys_deduplicated(tmp_path):
    staged = staged_run(tmp_path / "staged")
    version_dir = certify(tmp_path, tmp_path / "subjects", "v1", staged)
    rows = pq.read_table(version_dir / subjects.INDEX_FILE).to_pylist()
    assert [(r["subject"], r["_record_id"], r["source_key"]) for r in rows] == [
        ("tok-a", "r1", "T1"), ("tok-b", "r2", "T2"), ("tok-c", "r3", None)]  # "" is no key
    assert sorted(p.name for p in version_dir.iterdir()) == [
        subjects.CERT_COPY, subjects.INDEX_FILE, subjects.ORDER_FILE]
    assert not list(version_dir.parent.glob(".*"))  # nothing left being assembled


def test_find_searches_every_sealed_version_in_certification_order(tmp_path):
    staged, root = staged_run(tmp_path / "staged"), tmp_path / "subjects"
    certify(tmp_path, root, "v9", staged)
    certify(tmp_path, root, "v1", staged)  # certified later, though it sorts first
    assert [(v.version, v.sequence) for v in subjects.indexed_versions(root)] == [
        ("v9", 1), ("v1", 2)]
    hits = subjects.find(root, {"tok-a": "email", "tok-b": "name"})
    assert [(h["version"], h["record_id"], h["source_key"], h["matched"], h["name_only"])
            for h in hits] == [("v9", "r1", "T1", ["email"], False),
                               ("v9", "r2", "T2", ["name"], True),
                               ("v1", "r1", "T1", ["email"], False),
                               ("v1", "r2", "T2", ["name"], True)]
    assert subjects.find(root, {"tok-unknown": "email"}) == []
    assert subjects.indexed_versions(root, "other") == []


def test_an_index_changed_after_sealing_or_without_its_certificate_is_not_searched(tmp_path):
    staged, root = staged_run(tmp_path / "staged"), tmp_path / "subjects"
    changed = certify(tmp_path, root, "v1", staged)
    unsealed = certify(tmp_path, root, "v2", staged)
    pq.write_table(pa.table({"subject": ["tok-a"], "_record_id": ["x"], "_source": ["t"],
                             "entity": ["PERSON"], "source_key": [None]}),
                   changed / subjects.INDEX_FILE)
    (unsealed / subjects.CERT_COPY).unlink()
    assert subjects.indexed_versions(root) == []


def test_repair_seals_a_certified_versions_index_or_refuses_when_it_is_missing(tmp_path):
    staged, root = staged_run(tmp_path / "staged"), tmp_path / "subjects"
    version_dir = certify(tmp_path, root, "v1", staged)
    certified = tmp_path / "certified" / "demo"
    certified.mkdir(parents=True)
    (certified / ".certificate.json").write_bytes((version_dir / subjects.CERT_COPY).read_bytes())
    assert subjects.repair_unsealed(tmp_path / "certified", root) == []  # already sealed
    (version_dir / subjects.CERT_COPY).unlink()
    (version_dir / subjects.ORDER_FILE).unlink()
    assert subjects.repair_unsealed(tmp_path / "certified", root) == ["demo v1"]
    assert [v.version for v in subjects.indexed_versions(root)] == ["v1"]
    (version_dir / subjects.CERT_COPY).unlink()
    (version_dir / subjects.INDEX_FILE).unlink()
    with pytest.raises(RunFailed, match="has no subject index"):
        subjects.repair_unsealed(tmp_path / "certified", root)


def test_find_records_by_id_in_every_index_and_every_current_certified_record(tmp_path):
    """A record named by its key: found in the index of each version, with tokens (r2) or
    without (an image record, r4: a row of its own), and in the current certified
    version's rows (r9: certified before indexes held every record)."""
    staged, root = staged_run(tmp_path / "staged"), tmp_path / "subjects"
    pq.write_table(pa.table({"_record_id": ["r4"], "_source": ["photos"]}),
                   staged / "dataset/part-1.parquet")
    v1 = certify(tmp_path, root, "v1", staged)
    index = pq.read_table(v1 / subjects.INDEX_FILE).to_pylist()
    assert [(r["subject"], r["_record_id"]) for r in index][-1] == (None, "r4")
    assert json.loads((v1 / subjects.CERT_COPY).read_text())["subject_index"]["records"] == 3
    v2 = certify(tmp_path, root, "v2", staged)
    certified = tmp_path / "certified" / "demo"
    certified.mkdir(parents=True)
    pq.write_table(pa.table({"_record_id": ["r1", "r2", "r9"]}), certified / "part-0.parquet")
    cert = json.loads((v2 / subjects.CERT_COPY).read_text())
    cert["output"] = {"files": [{"path": "part-0.parquet", "sha256": "x"}], "rows": 3}
    (certified / ".certificate.json").write_text(json.dumps(cert))
    named = {"r2": ("tickets", "T2"), "r9": ("photos", "a.jpg"), "r0": ("photos", "b.jpg"),
             "r4": ("photos", "c.jpg")}
    hits = subjects.find_records(root, tmp_path / "certified", named)
    assert [(h["version"], h["record_id"], h["source_key"], h["matched"]) for h in hits] == [
        ("v1", "r4", "c.jpg", ["key"]), ("v1", "r2", "T2", ["key"]),
        ("v2", "r9", "a.jpg", ["key"]), ("v2", "r4", "c.jpg", ["key"]),
        ("v2", "r2", "T2", ["key"])]
    assert subjects.find(root, {"tok-a": "email"})[0]["record_id"] == "r1"  # no null match
    both = subjects.merge_hits(subjects.indexed_versions(root),
                               subjects.find(root, {"tok-b": "name"}), hits)
    assert [(h["version"], h["record_id"], h["matched"], h["name_only"]) for h in both] == [
        ("v1", "r4", ["key"], False), ("v1", "r2", ["key", "name"], False),
        ("v2", "r9", ["key"], False), ("v2", "r4", ["key"], False),
        ("v2", "r2", ["key", "name"], False)]
