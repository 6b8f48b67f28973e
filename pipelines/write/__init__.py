"""Writing the outputs (dataset, findings, quarantine) as deterministic Parquet shards on any
filesystem (transform.py)."""
