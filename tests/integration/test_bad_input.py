"""A corpus of bad input through the real pipeline: every row is written or
quarantined with a reason, the accounting holds, and no traceback reaches the user."""
from __future__ import annotations

import codecs
import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from tests.helpers import privenance

pytestmark = pytest.mark.integration
GOOD = {"licence": "CC0-1.0", "consent": {"basis": "public-domain"}}


def write_corpus(root):
    raw = root / "raw"
    raw.mkdir(parents=True)
    lines = [
        json.dumps({"id": "ok1", "text": "Call Chan Tai Man on 9123 4567."}).encode(),
        b'{"id": "broken", "text": "unterminated',                      # malformed JSON
        b'"just a string"',                                              # not an object
        json.dumps({"id": "nul", "text": "a\u0000b"}).encode(),          # escaped NUL: fine
        b'{"id": "rawnul", "text": "a\x00b"}',                           # raw NUL: invalid JSON
        b'{"id": "bad-utf8", "text": "caf\xe9"}',                        # latin-1 byte in UTF-8
        json.dumps({"id": None, "text": "no id"}).encode(),              # null id
        json.dumps({"text": "missing id"}).encode(),                     # missing id
        json.dumps({"id": "big", "text": "x" * 10_000_001}).encode(),    # 10 MB text
        json.dumps({"id": "spdx", "text": "t", "licence": "GPL-9.9-or-whatever"}).encode(),
        json.dumps({"id": "date", "text": "t", "retain_until": "2031-02-30"}).encode(),
        json.dumps({"id": "extra", "text": "t", "unexpected": {"nested": [1, 2]}}).encode(),
        json.dumps({"id": 7, "text": 12345}).encode(),                   # non-string text
    ]
    (raw / "mixed.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (raw / "utf16.jsonl").write_bytes(codecs.BOM_UTF16_LE + (
        json.dumps({"id": "u16", "text": "陳大文先生"}, ensure_ascii=False) + "\n").encode("utf-16-le"))
    (raw / "latin1.csv").write_bytes("id,text\n1,café crème\n".encode("latin-1"))
    (raw / "empty.jsonl").write_bytes(b"")
    (raw / "tricky.csv").write_text(
        'id,text,licence\n1,"multi\nline ""quoted"" text",CC0-1.0\n2,too,many,cells\n3\n'
        '4,"nul\x00inside",CC0-1.0\n,"no id",CC0-1.0\n', encoding="utf-8")
    (raw / "corrupt.parquet").write_bytes(b"PAR1 this is not parquet PAR1")
    sources = [
        {"id": "mixed", "path": str(raw / "mixed.jsonl"), "id_field": "id", "text_fields": ["text"], **GOOD},
        {"id": "utf16", "path": str(raw / "utf16.jsonl"), "id_field": "id", "text_fields": ["text"], **GOOD},
        {"id": "latin1", "path": str(raw / "latin1.csv"), "encoding": "latin-1", "id_field": "id",
         "text_fields": ["text"], **GOOD},
        {"id": "empty", "path": str(raw / "empty.jsonl"), **GOOD},
        {"id": "tricky", "path": str(raw / "tricky.csv"), "id_field": "id", "text_fields": ["text"],
         "consent": {"basis": "public-domain"}},
        {"id": "corrupt", "path": str(raw / "corrupt.parquet"), **GOOD},
    ]
    (root / "sources.yaml").write_text(yaml.safe_dump({"sources": sources}))
    policy = root / "policy.yaml"
    policy.write_text("extends: %s\nname: lenient\nquarantine: {max_share: 1.0}\n"
                      % (root.parent / "policies" / "default.yaml"))
    return root / "sources.yaml", policy


def test_bad_input_is_quarantined_with_reasons(workspace):
    sources, policy = write_corpus(workspace / "bad")
    result = privenance("run", "--sources", str(sources), "--policy", str(policy),
                        "--out", "out", "--as-of", "2026-11-25", cwd=workspace)
    assert "Traceback" not in result.stderr
    run = json.loads((workspace / "out/run.json").read_text())
    c = run["counts"]
    assert c["mixed"]["read"] == 13 and c["utf16"]["written"] == 1 and c["latin1"]["written"] == 1
    assert c["empty"]["read"] == 0 and c["corrupt"]["quarantined"] == 1
    assert c["tricky"]["read"] == 5
    for sid, counts in c.items():
        assert counts["read"] == counts["written"] + counts["quarantined"], sid
    q = pq.read_table(workspace / "out/quarantine").to_pylist()
    reasons = {(r["_source"], r["_source_key"] or r["_offset"]): r["reason"] for r in q}
    assert reasons[("mixed", 2)] == reasons[("mixed", 3)] == "MALFORMED"
    assert reasons[("mixed", 5)] == reasons[("mixed", 6)] == "MALFORMED"
    assert reasons[("mixed", 9)] == "LINE_TOO_LONG"  # 10 MB: over 4 x max_text_chars
    assert reasons[("mixed", "spdx")] == "INVALID_LICENCE"
    assert reasons[("mixed", "date")] == "INVALID_DATE"
    assert sum(r == "MISSING_ID" for r in reasons.values()) == 3  # null, missing, empty CSV cell
    assert reasons[("tricky", 2)] == "MALFORMED"
    # no raw text is copied into the quarantine
    flat = json.dumps(q)
    assert "unterminated" not in flat and "xxxxxxxx" not in flat and "no id" not in flat
    written = pq.read_table(workspace / "out/dataset").to_pylist()
    texts = {r["_source"] + ":" + str(r.get("id")): r["text"] for r in written}
    assert texts["mixed:nul"] == "a\x00b"
    assert "multi\nline" in texts["tricky:1"]


def test_sources_with_no_rows_at_all_give_an_empty_run(tmp_path):
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "sources.yaml").write_text(yaml.safe_dump({"sources": [
        {"id": "nothing", "path": str(tmp_path / "empty.jsonl"), "id_field": "id",
         "text_fields": ["text"], **GOOD}]}))
    policy = Path(__file__).resolve().parents[2] / "policies" / "default.yaml"
    result = privenance("run", "--sources", "sources.yaml", "--policy", str(policy),
                        "--out", "out", "--as-of", "2026-01-01", cwd=tmp_path,
                        env={"PRIVENANCE_PSEUDONYM_KEY": "ab" * 32})
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["totals"] == {"read": 0, "written": 0, "quarantined": 0}
    assert "Traceback" not in result.stderr


def test_hostile_input_ends_in_bounded_time_with_quarantine_rows(tmp_path):
    """A gzip bomb of one long line, a long line in a plain file and a declared pattern
    that backtracks on one text: each a quarantine row, in bounded time and memory."""
    import gzip
    import resource
    import time
    raw = tmp_path / "raw"
    raw.mkdir()
    with gzip.open(raw / "bomb.jsonl.gz", "wb") as f:  # 128 MB of one line, ~130 KB on disk
        f.write(b'{"id": "bomb", "text": "')
        for _ in range(128):
            f.write(b"x" * (1 << 20))
        f.write(b'"}\n{"id": "after", "text": "fine"}\n')
    slow = "Staff ID" + "a" * 30 + "!"
    (raw / "plain.jsonl").write_text("\n".join(json.dumps(r) for r in [
        {"id": "p1", "text": "nothing here"}, {"id": "long", "text": "y" * 100_000},
        {"id": "slow", "text": slow}, {"id": "p4", "text": "Staff IDaa"}]) + "\n")
    (tmp_path / "sources.yaml").write_text(yaml.safe_dump({"sources": [
        {"id": "bomb", "path": str(raw / "bomb.jsonl.gz"), "id_field": "id",
         "text_fields": ["text"], **GOOD},
        {"id": "plain", "path": str(raw / "plain.jsonl"), "id_field": "id",
         "text_fields": ["text"], **GOOD}]}))
    policy = Path(__file__).resolve().parents[2] / "policies" / "default.yaml"
    (tmp_path / "policy.yaml").write_text(
        f"extends: {policy}\nname: hostile\nquarantine: {{max_share: 1.0}}\n"
        "anonymization:\n  max_text_chars: 1000\n  recognizers:\n"
        "    - name: staff ids\n      supported_entity: STAFF_ID\n"
        "      patterns: [{regex: 'ID(a|a)+$', score: 0.9}]\n")
    start = time.monotonic()
    result = privenance("run", "--sources", "sources.yaml", "--policy", "policy.yaml",
                        "--out", "out", "--as-of", "2026-01-01", cwd=tmp_path,
                        env={"PRIVENANCE_PSEUDONYM_KEY": "ab" * 32})
    took = time.monotonic() - start
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert "Traceback" not in result.stderr and took < 180, took
    assert peak_mb < 1500, peak_mb  # the bomb's line (128 MB) is never held
    run = json.loads((tmp_path / "out/run.json").read_text())
    assert run["counts"]["bomb"]["read"] == 2 and run["counts"]["plain"]["read"] == 4
    q = pq.read_table(tmp_path / "out/quarantine").to_pylist()
    reasons = {(r["_source"], r["_source_key"] or r["_offset"]): r["reason"] for r in q}
    assert reasons == {("bomb", 1): "LINE_TOO_LONG", ("plain", 2): "LINE_TOO_LONG",
                       ("plain", "slow"): "ANONYMIZE_FAILED"}
    written = pq.read_table(tmp_path / "out/dataset").to_pylist()
    assert {r["id"]: r["text"] for r in written} == {
        "after": "fine", "p1": "nothing here", "p4": "Staff <STAFF_ID>"}
    assert slow not in json.dumps(written) + json.dumps(q)


def write_repeats_and_zones(root: Path):
    """Sources with repeated ids (within a file, across a folder's files, after a first
    copy that fails a gate) and timestamps with zones (JSONL and CSV text, Parquet
    timestamps in a zone)."""
    import datetime as dt

    import pyarrow as pa
    raw = root / "raw"
    (raw / "many").mkdir(parents=True)
    rows = [{"id": "d1", "text": "hello", "ts": "2024-03-01T12:00:00+08:00"},
            {"id": "d1", "text": "Call Chan Tai Man on 9123 4567."},
            {"id": "d2", "text": "first d2", "licence": "GPL-9.9-or-whatever"},
            {"id": "d2", "text": "second d2"}, {"id": "d1", "text": "third"}]
    (raw / "dups.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (raw / "many/b.jsonl").write_text('{"id": "m1", "text": "from b"}\n'
                                      '{"id": "m2", "text": "only b"}\n')
    (raw / "many/a.jsonl").write_text('{"id": "m1", "text": "from a"}\n')
    (raw / "t.csv").write_text("id,text,ts\nc1,hello,2024-03-01T12:00:00+08:00\n"
                               "c1,again,2024-03-01T12:00:00-05:00\n"
                               "c2,hi,2024-03-01T12:00:00-05:00\n")
    hk = dt.datetime(2024, 3, 1, 4, tzinfo=dt.timezone.utc)  # 12:00 in Hong Kong
    pq.write_table(pa.table({"id": ["p1"], "text": ["hello"], "ts_hk": pa.array(
        [hk], pa.timestamp("us", tz="Asia/Hong_Kong"))}), raw / "hk.parquet")
    sources = [{"id": sid, "path": str(raw / path), "id_field": "id", "text_fields": ["text"],
                **GOOD} for sid, path in [("dups", "dups.jsonl"), ("many", "many"),
                                          ("csv", "t.csv"), ("hk", "hk.parquet")]]
    (root / "sources.yaml").write_text(yaml.safe_dump({"sources": sources}))
    policy = Path(__file__).resolve().parents[2] / "policies" / "default.yaml"
    (root / "policy.yaml").write_text(f"extends: {policy}\nname: repeats\n"
                                      "quarantine: {max_share: 1.0}\n"
                                      "columns: {allowed: [ts, ts_hk]}\n")


def test_repeated_ids_keep_the_first_read_and_zones_are_kept_on_any_worker_count(tmp_path):
    """Issue 31: duplicate ids were all written (check said nothing, validate failed the
    whole dataset) and a zoned timestamp was written as naive UTC."""
    import datetime as dt

    from tests.helpers import output_hashes
    write_repeats_and_zones(tmp_path)
    args = ["--sources", "sources.yaml", "--policy", "policy.yaml", "--as-of", "2026-01-01"]
    check = privenance("check", *args, "--no-scan", cwd=tmp_path, check=False)
    assert check.returncode == 1 and "DUPLICATE_ID" in check.stdout + check.stderr
    result = privenance("run", *args, "--out", "out", cwd=tmp_path)
    assert "Traceback" not in result.stderr
    run = json.loads((tmp_path / "out/run.json").read_text())
    assert {s: (c["read"], c["written"], c["quarantined"]) for s, c in run["counts"].items()} == {
        "dups": (5, 2, 3), "many": (3, 2, 1), "csv": (3, 2, 1), "hk": (1, 1, 0)}
    q = pq.read_table(tmp_path / "out/quarantine").to_pylist()
    assert sorted((r["_source"], r["_file"], r["_offset"], r["reason"]) for r in q) == [
        ("csv", None, 2, "DUPLICATE_ID"), ("dups", None, 2, "DUPLICATE_ID"),
        ("dups", None, 3, "INVALID_LICENCE"), ("dups", None, 5, "DUPLICATE_ID"),
        ("many", "b.jsonl", 1, "DUPLICATE_ID")]
    table = pq.read_table(tmp_path / "out/dataset")
    written = table.to_pylist()
    assert len({r["_record_id"] for r in written}) == len(written) == 7
    assert {r["id"]: r["text"] for r in written if r["_source"] != "hk"} == {
        "d1": "hello", "d2": "second d2", "m1": "from a", "m2": "only b", "c1": "hello", "c2": "hi"}
    # the left-out copy's findings (a name, a phone) are not counted nor written
    assert run["pii"] == {} and run["outputs"]["findings"] == []
    assert run["representation"]["groups"]["_source"]["dups"]["written"] == 2
    # zones: text keeps its offset, a Parquet timestamp its zone (same instant, same offset)
    assert {r["id"]: r["ts"] for r in written if r["id"] in ("d1", "c1", "c2")} == {
        "d1": "2024-03-01T12:00:00+08:00", "c1": "2024-03-01T12:00:00+08:00",
        "c2": "2024-03-01T12:00:00-05:00"}
    assert str(table.schema.field("ts_hk").type) == "timestamp[us, tz=Asia/Hong_Kong]"
    (stamp,) = [r["ts_hk"] for r in written if r["id"] == "p1"]
    assert stamp.isoformat() == "2024-03-01T12:00:00+08:00"
    assert stamp == dt.datetime(2024, 3, 1, 4, tzinfo=dt.timezone.utc)
    # which copy is kept does not depend on the workers: byte-identical outputs
    privenance("run", *args, "--out", "out2", "--",
               "--direct_num_workers=2", "--direct_running_mode=multi_processing", cwd=tmp_path)
    assert output_hashes(tmp_path / "out") == output_hashes(tmp_path / "out2")


def test_a_full_disk_is_one_line_and_leaves_the_last_run_as_it_was(workspace):
    """Issue 31: a full output disk was "internal error" after Beam's tracebacks. On a
    small tmpfs (as root; the error mapping itself is unit-tested in test_cli.py): one
    line, exit 74, nothing of the failed run left, the previous run untouched."""
    import subprocess
    disk = workspace / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("mounting a tmpfs needs root")
    try:
        args = ["--policy", "policies/demo.yaml", "--out", "disk/staged", "--as-of", "2026-01-01"]
        privenance("run", *args, cwd=workspace)
        before = (disk / "staged/run.json").read_bytes()
        free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
        (disk / "filler").write_bytes(b"\0" * (free - 8192))  # 8 KiB left
        result = privenance("run", *args, "--", "--direct_num_workers=2",
                            "--direct_running_mode=multi_processing", cwd=workspace, check=False)
        assert result.returncode == 74, result.stderr
        assert "Traceback" not in result.stderr
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert errors == [f"error: no space left on device while writing {disk}/staged: "
                          "nothing was published; free some space and run again"]
        assert (disk / "staged/run.json").read_bytes() == before
        assert sorted(p.name for p in disk.iterdir()) == [".staged.lock", "filler", "staged"]
        assert not [p for p in disk.rglob("*.tmp")]
    finally:
        subprocess.run(["umount", str(disk)], check=True)
