"""The per-record steps (pipelines/steps/) as a Beam transform with a dead-letter
output: a step's ``RecordRejected``, or any unexpected error, becomes a quarantine row."""
from __future__ import annotations

import apache_beam as beam

from pipelines.runners.tagged_outputs import TaggedOutputs
from pipelines.record import QUARANTINE, SOURCE_ID, quarantine_row
from privenance.errors import Reason, RecordRejected


class _StepsDoFn(beam.DoFn):
    def __init__(self, steps_by_source: dict):
        self.steps_by_source = steps_by_source

    def setup(self):
        for steps in self.steps_by_source.values():
            for step in steps:
                step.setup()

    def process(self, record: dict):
        # steps change the record in place, and an input is not ours to change: a
        # runner may hand the same object to another step or again (the DaskRunner
        # does, computing a side input's branch once more)
        record = dict(record)
        step_name = "?"
        try:
            for step in self.steps_by_source[record[SOURCE_ID]]:
                step_name = step.name
                record = step.process(record)
        except RecordRejected as exc:
            yield beam.pvalue.TaggedOutput(QUARANTINE, quarantine_row(
                record, step_name, exc.reason, exc.message, exc.request))
            return
        except Exception as exc:  # a bug must not crash the run nor leak the value
            yield beam.pvalue.TaggedOutput(QUARANTINE, quarantine_row(
                record, step_name, Reason.STEP_FAILED, f"{type(exc).__name__} in step"))
            return
        yield record


class ApplySteps(beam.PTransform):
    """Records in; (records, quarantine) out. ``steps_by_source``: source id -> the
    steps its records go through, in order."""

    def __init__(self, steps_by_source: dict):
        super().__init__()
        self.steps_by_source = steps_by_source

    def expand(self, records):
        out = records | "RunSteps" >> TaggedOutputs(
            _StepsDoFn(self.steps_by_source), QUARANTINE, main="records")
        return out.records, out[QUARANTINE]
