"""Quarantine rows: one per rejected record, pointing at it without copying it."""
from __future__ import annotations

from pipelines.steps import FILE, OFFSET, SOURCE_ID, SOURCE_KEY
from privenance.errors import Reason

QUARANTINE = "quarantine"  # the dead-letter output's tag, in every transform


def quarantine_row(record: dict, stage: str, reason: Reason, message: str,
                   request: str | None = None) -> dict:
    """Points at the raw record (source, file, key, offset); copies no raw values.
    ``request`` names the data-subject request that removed the record, if any. The
    run id is set where the row is written (it depends on every input's hash)."""
    return {"_source": record.get(SOURCE_ID), "_file": record.get(FILE),
            "_source_key": record.get(SOURCE_KEY), "_offset": record.get(OFFSET),
            "stage": stage, "reason": Reason(reason).value, "message": message,
            "request": request, "_run_id": None}


def quarantine_schema():
    import pyarrow as pa
    return pa.schema([("_source", pa.string()), ("_file", pa.string()),
                      ("_source_key", pa.string()), ("_offset", pa.int64()),
                      ("stage", pa.string()), ("reason", pa.string()),
                      ("message", pa.string()), ("request", pa.string()),
                      ("_run_id", pa.string())])
