"""Reading hashes exactly the bytes its records come from: a file appended to, or
changed, between planning (hashing) and reading is caught, and the run fails."""
from __future__ import annotations

import gzip
import hashlib
import json

import pytest
from apache_beam.pvalue import TaggedOutput

from pipelines.run.accounting import check_inputs_unchanged
from pipelines.read.formats import max_line_chars
from pipelines.read.transform import CHANGED, HASHES, PlanParts, ReadPart
from privenance.errors import RunFailed


def _write(path, first: int, n: int, mode="w"):
    with open(path, mode, encoding="utf-8") as f:
        for i in range(first, first + n):
            f.write(json.dumps({"id": f"R{i:05d}", "text": "hello"}) + "\n")


def _split(outputs) -> tuple[list, dict]:
    main, tagged = [], {}
    for out in outputs:
        if isinstance(out, TaggedOutput):
            tagged.setdefault(out.tag, []).append(out.value)
        else:
            main.append(out)
    return main, tagged


def _unit(path, fmt="jsonl"):
    return {"source": "chats", "format": fmt, "encoding": "utf-8", "path": str(path), "name": None,
            "header": True}


def _read(parts) -> tuple[int, list]:
    rows, changed = 0, []
    for part in parts:
        chunks, tagged = _split(ReadPart(max_line_chars()).process(part))
        rows += sum(len(c) for c in chunks)
        changed += tagged.get(CHANGED, [])
    return rows, changed


def test_rows_appended_after_hashing_are_not_read_and_fail_the_run(tmp_path):
    path = tmp_path / "chats.jsonl"
    _write(path, 0, 2735)
    hashed = hashlib.sha256(path.read_bytes()).hexdigest()
    parts, tagged = _split(PlanParts(max_line_chars()).process(_unit(path)))
    assert tagged[HASHES] == [("chats", "", hashed)] and not tagged.get(CHANGED)
    assert len(parts) == 6  # cut every 500 rows
    _write(path, 2735, 479, mode="a")  # a writer appends while the run goes on
    rows, changed = _read(parts)
    # the records come from the hashed bytes only, and the change is reported
    assert rows == 2735
    assert changed and set(changed) == {"chats"}


def test_an_unchanged_file_reads_every_row_and_reports_nothing(tmp_path):
    path = tmp_path / "chats.jsonl"
    _write(path, 0, 1500)
    parts, tagged = _split(PlanParts(max_line_chars()).process(_unit(path)))
    assert not tagged.get(CHANGED)
    assert _read(parts) == (1500, [])


def test_parts_of_a_few_thousand_rows_deal_evenly_to_two_workers(tmp_path):
    # Beam's local runner deals a stage's parts to its workers in turn, whole: with
    # 1,000-row parts 3,000 rows were 2,000 for one worker and 1,000 for the other
    path = tmp_path / "chats.jsonl"
    _write(path, 0, 3000)
    parts, _ = _split(PlanParts(max_line_chars()).process(_unit(path)))
    shares = [_read(parts[worker::2])[0] for worker in (0, 1)]
    assert shares == [1500, 1500]


def test_a_compressed_file_changed_before_it_is_read_is_reported(tmp_path):
    path = tmp_path / "chats.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(json.dumps({"id": "R1"}) + "\n")
    parts, tagged = _split(PlanParts(max_line_chars()).process(_unit(path)))
    assert tagged[HASHES] == [("chats", "", hashlib.sha256(path.read_bytes()).hexdigest())]
    with gzip.open(path, "at", encoding="utf-8") as f:  # a second gzip member
        f.write(json.dumps({"id": "R2"}) + "\n")
    rows, changed = _read(parts)
    assert changed == ["chats"]


def test_the_run_fails_with_one_line_naming_the_source():
    check_inputs_unchanged({"changed": []})
    with pytest.raises(RunFailed, match="input changed while the run read it: source.s. chats") as e:
        check_inputs_unchanged({"changed": ["chats"]})
    assert "\n" not in str(e.value)
