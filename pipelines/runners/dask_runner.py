"""What the pipeline does differently on Beam's DaskRunner, and only there.

Beam 2.77's DaskRunner drops whatever a DoFn yields from ``finish_bundle``
(apache_beam/runners/dask/transform_evaluator.py ~198-200 collects a bundle's outputs
before calling it). Two steps rely on it elsewhere: ``beam.BatchElements`` (its last
batch of a bundle) and the writer's ``_Spill`` (its last places). On Dask the
pipeline batches by a GroupByKey over a hash of the record id instead
(``BatchByKey``), and writes without spilling (pipelines/write/transform.py). Every other
runner keeps the default path: ``on_dask`` is False unless the pipeline runs on the
DaskRunner (``runs_on_dask``, known when the graph is built).
"""
from __future__ import annotations

import apache_beam as beam

from privenance import provenance as P

BATCH_KEYS = 16  # groups the records are hashed into; each is cut into batches


def is_dask_runner(beam_args) -> bool:
    """Whether the Beam arguments choose the DaskRunner."""
    return "--runner=DaskRunner" in beam_args


def runs_on_dask(pipeline) -> bool:
    """Whether ``pipeline`` runs on Beam's DaskRunner (by its class, without importing
    dask: the other runners never need it)."""
    return any(cls.__name__ == "DaskRunner" and cls.__module__.startswith("apache_beam.runners.dask")
               for cls in type(pipeline.runner).__mro__)


def _batches(key_records, size: int):
    _, records = key_records
    records = sorted(records, key=lambda r: r[P.RECORD_ID])  # the same batches every run
    for start in range(0, len(records), size):
        yield records[start:start + size]


class BatchByKey(beam.PTransform):
    """Records in; lists of at most ``size`` records out, with no finish_bundle: the
    records are grouped by a hash of their (keyed) record id into ``keys`` groups,
    and each group is cut into batches. (A group is held whole by one worker, as
    the DaskRunner holds every group of a GroupByKey.)"""

    def __init__(self, size: int, keys: int = BATCH_KEYS):
        super().__init__()
        self.size, self.keys = size, keys

    def expand(self, records):
        from pipelines.write.transform import bucket_of
        keys, size = self.keys, self.size
        return (records
                | "Key" >> beam.Map(lambda r: (bucket_of(str(r[P.RECORD_ID])) % keys, r))
                | "Group" >> beam.GroupByKey()
                | "Cut" >> beam.FlatMap(_batches, size))
