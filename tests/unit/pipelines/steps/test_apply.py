"""ApplySteps: each record goes through its source's steps in order; a step's rejection,
or any error in a step, becomes a quarantine row naming the step, without the value."""
from __future__ import annotations

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from pipelines.record import OFFSET, QUARANTINE, SOURCE_ID, Step
from pipelines.steps.apply import ApplySteps, _StepsDoFn
from privenance.errors import Reason, RecordRejected

SECRET = "value of a data subject"


class Append(Step):
    """Appends its letter to the record's "trail": shows the order steps ran in."""

    def __init__(self, letter: str):
        self.name = f"append-{letter}"
        self.letter = letter
        self.ready = False

    def setup(self):
        self.ready = True

    def process(self, record):
        assert self.ready, "setup runs before process"
        record["trail"] = record.get("trail", "") + self.letter
        return record


class RejectMarked(Step):
    name = "reject-marked"

    def process(self, record):
        if record.get("mark") == "reject":
            raise RecordRejected(Reason.MISSING_ID, "no id")
        if record.get("mark") == "crash":
            raise ValueError(SECRET)  # a bug: its message holds a value
        return record


def _record(source, offset, mark=None):
    return {SOURCE_ID: source, OFFSET: offset, "mark": mark}


def test_steps_run_in_order_per_source_and_failures_are_quarantined():
    steps = {"a": [Append("x"), RejectMarked(), Append("y")], "b": [Append("z")]}
    records = [_record("a", 1), _record("a", 2, "reject"), _record("a", 3, "crash"),
               _record("b", 4, "reject")]
    with beam.Pipeline() as p:
        kept, quarantined = p | beam.Create(records) | ApplySteps(steps)
        assert_that(kept | beam.Map(lambda r: (r[SOURCE_ID], r[OFFSET], r["trail"])),
                    equal_to([("a", 1, "xy"), ("b", 4, "z")]), label="kept")
        assert_that(quarantined | beam.Map(
            lambda q: (q["_offset"], q["stage"], q["reason"], q["message"])),
            equal_to([(2, "reject-marked", "MISSING_ID", "no id"),
                      (3, "reject-marked", "STEP_FAILED", "ValueError in step")]),
            label="quarantined")


def test_the_input_record_is_not_changed_and_no_value_reaches_the_quarantine():
    """A runner may hand the same object to another consumer: steps work on a copy."""
    record = _record("a", 1)
    fn = _StepsDoFn({"a": [Append("x")]})
    fn.setup()
    [out] = list(fn.process(record))
    assert out["trail"] == "x" and "trail" not in record
    [crashed] = list(_StepsDoFn({"a": [RejectMarked()]}).process(_record("a", 2, "crash")))
    assert crashed.tag == QUARANTINE and SECRET not in repr(crashed.value)
