"""Models shipped inside privenance (package data), each pinned by a sha256.

names_en: the trained English name detector (benchmarks/train_names.py rebuilds it;
MODEL_CARD.md beside it). Its ``ner`` replaces the one of the policy's spaCy model.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from privenance.errors import ConfigError

HERE = Path(__file__).resolve().parent
SHIPPED = {"names_en": HERE / "names_en"}
# files that describe the model rather than make it (the card can change freely)
NOT_HASHED = {"MODEL_CARD.md", "README.md"}


def model_sha256(folder: Path) -> str:
    """One sha256 over a model folder: every file's relative path and bytes, in order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in NOT_HASHED
                       and "__pycache__" not in p.parts):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def model_folder(name: str, sha256: str) -> Path:
    """The folder of a shipped model, checked against the sha256 the policy pins."""
    folder = SHIPPED.get(name)
    if folder is None or not (folder / "config.cfg").is_file():
        raise ConfigError(f"names model {name!r} is not shipped with privenance "
                          f"(shipped: {', '.join(sorted(SHIPPED))})", field="anonymization.names_model")
    actual = model_sha256(folder)
    if actual != sha256:
        raise ConfigError(f"names model {name!r} does not match the sha256 the policy pins "
                          f"({actual[:12]}... is not {sha256[:12]}...): rebuild it with "
                          "benchmarks/train_names.py or pin the model you mean to run",
                          field="anonymization.names_model.sha256")
    return folder
