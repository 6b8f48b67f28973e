"""privenance: privacy and provenance pipelines for AI training data.

The Python API; heavy modules load only when a function is called.
"""
__version__ = "0.1.0"


def load_certified(name: str, repo: str = ".", rev: str | None = None,
                   public_key: str | None = None):
    """A certified dataset as a verified pyarrow Table (see lineage.pull.load_certified)."""
    from lineage.pull import load_certified as _load
    return _load(name, repo=repo, rev=rev, public_key=public_key)
