"""privenance: privacy and provenance pipelines for AI training data.

The Python API; heavy modules load only when a function is called.
"""
__version__ = "0.1.0"
