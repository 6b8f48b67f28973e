"""The frozen validation split of the labelled development corpora (issue 37).

A record is in the validation part of its corpus when the first 8 hex digits of
sha256("<corpus>:<record id>"), read as a number, are divisible by 5: a fifth of each
corpus, chosen once by id alone (not by content, order or labels), so it never changes
when the corpus or the code does. Neither the trained name model
(benchmarks/train_names.py) nor any rule is tuned on these records; the figures the
README, lineage/detection_quality.json and the report quote are measured on them.
The ids are also listed, one a line, in <corpus>.validation.txt beside this file
(written by ``python -m benchmarks.splits``), so the split can be checked without code.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPLITS = ("validation", "train", "all")


def is_validation(corpus: str, record_id) -> bool:
    """Whether the record belongs to the frozen validation fifth of its corpus."""
    digest = hashlib.sha256(f"{corpus}:{record_id}".encode("utf-8")).hexdigest()
    return int(digest[:8], 16) % 5 == 0


def select(corpus: str, records: list[dict], split: str) -> list[dict]:
    """The records of ``split`` (validation, train or all), in their corpus order."""
    if split == "all":
        return list(records)
    want = split == "validation"
    return [r for r in records if is_validation(corpus, r["id"]) == want]


def write_lists(data: Path) -> None:
    """Write <corpus>.validation.txt for every corpus folder under ``data``."""
    for folder in sorted(p for p in data.iterdir() if (p / "records.jsonl").is_file()):
        ids = [json.loads(line)["id"] for line in
               (folder / "records.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
        chosen = [str(i) for i in ids if is_validation(folder.name, i)]
        (HERE / f"{folder.name}.validation.txt").write_text("\n".join(chosen) + "\n")
        print(f"{folder.name}: {len(chosen)} of {len(ids)} records in the validation split")

