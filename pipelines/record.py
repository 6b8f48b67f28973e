"""The record the pipeline carries, a step over it, and how a step rejects it.

A record is a plain dict: the source's columns, the provenance columns
(privenance/provenance.py), and internal fields (``INTERNAL``) removed before
writing. A ``Step`` changes one record or raises ``RecordRejected`` with a reason
code; every Beam transform turns a rejection into a quarantine row
(``quarantine_row``) on its dead-letter output, tagged ``QUARANTINE``. A quarantine
row points at the raw record and copies none of its values.
"""
from __future__ import annotations

from privenance.errors import Reason

# Internal fields carried through the pipeline and removed before writing.
SOURCE_ID = "__source"
OFFSET = "__offset"
SOURCE_KEY = "__source_key"
FILE = "__file"  # the file within a source of many files (a folder or glob), else absent
GROUPS = "__groups"  # the record's representation groups, as tagged (TakeGroups)
# its surrogates' places and keyed seeds, for the writer's dataset-wide check
# (pipelines/anonymize/surrogates.py); no values
SURROGATES = "__surrogates"
# why the writer left a record out, when not as a duplicate: (reason code, message)
LEFT_OUT = "__left_out"
# the record's consent lets its pictures keep their faces (ConsentDecl.faces)
FACES_CONSENTED = "__faces_consented"
INTERNAL = (SOURCE_ID, OFFSET, SOURCE_KEY, FILE, GROUPS, SURROGATES, LEFT_OUT, FACES_CONSENTED)
MISSING = "(missing)"


class Step:
    """One transformation of one record. Heavy resources load in ``setup``."""

    name = "step"

    def setup(self) -> None:
        pass

    def process(self, record: dict) -> dict:
        raise NotImplementedError


# where a record was read: kept until it is written when the writer needs it (the first
# read of records sharing an id is written; pipelines/write/transform.py), removed there
POSITION = (SOURCE_ID, FILE, OFFSET, SOURCE_KEY)


def read_position(record: dict) -> tuple:
    """(file within the source or "", line or row): the order records were read in."""
    return (record.get(FILE) or "", record.get(OFFSET) or 0)


def finish(record: dict, keep_position: bool = False) -> dict:
    """Remove pipeline-internal fields before writing (``keep_position``: all but
    POSITION, which the writer removes)."""
    for field in INTERNAL:
        if not (keep_position and field in POSITION):
            record.pop(field, None)
    return record



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
