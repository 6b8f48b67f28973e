"""Progress while the pipeline runs: counts through the real Beam runner, and the
driver's log line."""
import time

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from pipelines.run import progress
from pipelines.run.progress import CountRecords, ProgressDisplay, records_counted


def test_counts_pass_records_through_and_report_a_beam_metric():
    before = records_counted()
    p = beam.Pipeline()
    out = p | beam.Create(list(range(250))) | beam.Reshuffle() | beam.ParDo(CountRecords())
    assert_that(out, equal_to(list(range(250))))
    result = p.run()
    result.wait_until_finish()
    assert records_counted() - before == 250  # in-process workers: the driver sees them
    counters = result.metrics().query()["counters"]
    assert [c.committed for c in counters if c.key.metric.name == "records"] == [250]


def test_display_logs_progress_when_not_a_terminal():
    lines = []
    with ProgressDisplay(lines.append, interval=0.01, log_every=0.0):
        progress._counted[0] += 10  # as ten records through CountRecords would
        time.sleep(0.2)
    assert lines and lines[-1].startswith("anonymize: 10 records so far")
