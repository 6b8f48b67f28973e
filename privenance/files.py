"""File helpers shared by every stage: hashing and atomic directory replacement."""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

# records per Parquet file a run writes, at most (more files for more records): bounds a
# writer's memory. `privenance run --rows-per-file` changes it
ROWS_PER_FILE = 20_000
DEFAULT_SHARDS = 2       # Parquet files per output, at least


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def temp_dir_for(out: Path) -> Path:
    """A fresh hidden sibling of ``out`` to build the next version in."""
    tmp = out.with_name(f".{out.name}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)  # left by an interrupted run
    tmp.mkdir(parents=True)
    return tmp


def swap_in(tmp: Path, out: Path) -> None:
    """Replace ``out`` with ``tmp`` by renames, so no reader sees a partial result."""
    old = out.with_name(f".{out.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if out.exists():
        os.replace(out, old)
    os.replace(tmp, out)
    if old.exists():
        shutil.rmtree(old)
