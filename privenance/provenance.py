"""Provenance columns added to every output record, and their Arrow types."""
from __future__ import annotations

import hashlib
import hmac

RECORD_ID = "_record_id"
SOURCE = "_source"
LICENCE = "_licence"
LICENCE_USE = "_licence_use"
ATTRIBUTION = "_attribution"
CONSENT_BASIS = "_consent_basis"
CONSENT_PURPOSES = "_consent_purposes"
CONSENT_REF = "_consent_ref"
COLLECTED_AT = "_collected_at"
RETAIN_UNTIL = "_retain_until"
ORIGIN = "_origin"
LANGUAGE = "_language"  # detected per record (pipelines/steps/language.py)
PII_COUNTS = "_pii_counts"
RUN_ID = "_run_id"
POLICY_SHA256 = "_policy_sha256"

# provenance columns whose value a row may set (free text): scanned for residual
# identifiers like the source's own columns
ROW_SET = (ATTRIBUTION, CONSENT_REF, ORIGIN)

COLUMNS = (RECORD_ID, SOURCE, LICENCE, LICENCE_USE, ATTRIBUTION, CONSENT_BASIS,
           CONSENT_PURPOSES, CONSENT_REF, COLLECTED_AT, RETAIN_UNTIL, ORIGIN, LANGUAGE,
           PII_COUNTS, RUN_ID, POLICY_SHA256)


def arrow_fields():
    """Arrow fields of the provenance columns (imported lazily: pyarrow is heavy)."""
    import pyarrow as pa
    s = pa.string()
    types = {CONSENT_PURPOSES: pa.list_(s), COLLECTED_AT: pa.date32(), RETAIN_UNTIL: pa.date32(),
             # a list of (entity, count) structs, not an Arrow map: Hugging Face datasets
             # (and other loaders) have no map type
             PII_COUNTS: pa.list_(pa.struct([("entity", s), ("count", pa.int64())]))}
    return [pa.field(name, types.get(name, s)) for name in COLUMNS]


def record_id(key: bytes, source_id: str, source_key: str) -> str:
    """Stable keyed id: the same source record gets the same id in every run with the
    same key, and the id reveals nothing about the source key without it."""
    msg = f"{source_id}\x1f{source_key}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:32]
