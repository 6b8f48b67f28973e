"""The dataset's Arrow schema, the same in every shard: the Python types seen per column
(``ColumnTypes``, combined over the whole output) unified into one Arrow type each
(``dataset_schema``); a column of mixed types is text (``to_string``)."""
from __future__ import annotations

import datetime as dt
import functools
import json

import apache_beam as beam

from pipelines.record import INTERNAL
from privenance import provenance as P


def _type_name(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return "list"  # of strings (readers keep no other list)
    if isinstance(value, dict) and set(value) == {"bytes", "path"}:
        return "image"  # pipelines/images/: the Hugging Face datasets Image convention
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int" if -(2 ** 63) <= value < 2 ** 63 else "str"
    if isinstance(value, float):
        return "float"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return "datetime"
        zone = _zone_name(value.tzinfo)  # kept: written as a timestamp in that zone
        return f"datetime@{zone}" if zone else "str"  # else ISO text, with its offset
    if isinstance(value, dt.date):
        return "date"
    return "str"


@functools.lru_cache(maxsize=256)
def _zone_name(tzinfo) -> str | None:
    """The zone as Arrow names it ("Asia/Hong_Kong", "+08:00"), None if it cannot."""
    import pyarrow as pa
    try:
        return pa.lib.tzinfo_to_string(tzinfo)
    except Exception:  # a tzinfo class Arrow does not know
        return None


class ColumnTypes(beam.CombineFn):
    """Observed Python types per source column, and each column's first position
    (source order, then position in the row), so every shard gets the same schema."""

    def __init__(self, source_order: dict):
        self.source_order = source_order

    def create_accumulator(self):
        return {}

    def add_input(self, acc, record):
        rank = self.source_order.get(record.get(P.SOURCE), 0)
        for pos, (column, value) in enumerate(record.items()):
            if column in P.COLUMNS or column in INTERNAL:
                continue
            order, types = acc.get(column, ((rank, pos), set()))
            name = _type_name(value)
            if name:
                types = types | {name}
            acc[column] = (min(order, (rank, pos)), types)
        return acc

    def merge_accumulators(self, accs):
        out = {}
        for acc in accs:
            for column, (order, types) in acc.items():
                o, t = out.get(column, (order, set()))
                out[column] = (min(o, order), t | types)
        return out

    def extract_output(self, acc):
        return {c: (order, sorted(types)) for c, (order, types) in acc.items()}


def dataset_schema(column_types: dict):
    """Arrow schema: source columns (unified types) then the provenance columns."""
    import pyarrow as pa
    fields = []
    for column, (_, types) in sorted(column_types.items(), key=lambda kv: (kv[1][0], kv[0])):
        t = set(types)
        if t <= {"int"} and t:
            typ = pa.int64()
        elif t and t <= {"int", "float"}:
            typ = pa.float64()
        elif t == {"bool"}:
            typ = pa.bool_()
        elif t == {"date"}:
            typ = pa.date32()
        elif t == {"datetime"}:
            typ = pa.timestamp("us")
        elif len(t) == 1 and next(iter(t)).startswith("datetime@"):
            # one zone throughout: kept, so each value reads back with its offset (values
            # in several zones, or with and without one, are ISO text with their offsets)
            typ = pa.timestamp("us", tz=next(iter(t)).split("@", 1)[1])
        elif t == {"list"}:
            typ = pa.list_(pa.string())
        elif t == {"image"}:
            typ = image_struct()
        else:
            typ = pa.string()
        fields.append(pa.field(column, typ))
    schema = pa.schema(fields + P.arrow_fields())
    pictures = [f.name for f in fields if f.type == image_struct()]
    return schema.with_metadata(huggingface_features(pictures)) if pictures else schema


def image_struct():
    """The Arrow type of an image cell (the Hugging Face `datasets` Image storage)."""
    import pyarrow as pa
    return pa.struct([("bytes", pa.binary()), ("path", pa.string())])


def huggingface_features(pictures: list[str]) -> dict:
    """The Parquet schema metadata by which Hugging Face ``datasets`` reads ``pictures``
    as Image features (decoded to pictures); it types the other columns from Arrow."""
    features = {name: {"_type": "Image"} for name in pictures}
    return {"huggingface": json.dumps({"info": {"features": features}}, sort_keys=True)}


def to_string(value):
    """A value of a text column as text: ISO dates, JSON lists, true/false."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):  # a column of lists and strings: the list as JSON text
        return json.dumps(value, ensure_ascii=False)
    return str(value)
