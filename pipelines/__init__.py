"""Beam pipelines: plain-Python steps over records, one adapter to Beam, Presidio engines."""
