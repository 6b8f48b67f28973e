"""Progress while the pipeline runs: worker counts through the real Beam runner, the
driver's summing and its log line, and the row estimates it divides by."""
import time

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.testing.util import assert_that, equal_to

from pipelines.progress import CountRecords, ProgressDisplay, records_counted
from pipelines.readers import estimate_rows
from privenance.sources import Source


def test_counts_pass_records_through_and_sum_over_workers(tmp_path):
    with beam.Pipeline() as p:
        out = (p | beam.Create(list(range(250))) | beam.Reshuffle()
               | beam.ParDo(CountRecords(str(tmp_path / "progress"))))
        assert_that(out, equal_to(list(range(250))))
    assert records_counted(tmp_path / "progress") == 250
    (tmp_path / "progress" / "other-worker").write_text("50")
    (tmp_path / "progress" / "half-written.tmp").write_text("999")
    assert records_counted(tmp_path / "progress") == 300


def test_estimated_rows_per_format(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"a": 1}\n\n{"a": 2}\n{broken\n')
    (tmp_path / "a.csv").write_text("a,b\n1,2\n3,4\n\n")
    pq.write_table(pa.table({"a": list(range(7))}), tmp_path / "a.parquet")
    assert estimate_rows(Source(id="j", path=str(tmp_path / "a.jsonl"))) == 3
    assert estimate_rows(Source(id="c", path=str(tmp_path / "a.csv"))) == 2
    assert estimate_rows(Source(id="p", path=str(tmp_path / "a.parquet"))) == 7
    assert estimate_rows(Source(id="m", path=str(tmp_path / "missing.jsonl"))) == 0


def test_display_logs_progress_when_not_a_terminal(tmp_path):
    (tmp_path / "rows.jsonl").write_text('{"a": 1}\n' * 40)
    counts = tmp_path / "progress"
    counts.mkdir()
    (counts / "w1").write_text("10")
    lines = []
    with ProgressDisplay(counts, [Source(id="s", path=str(tmp_path / "rows.jsonl"))],
                         lines.append, interval=0.01, log_every=0.0):
        time.sleep(0.2)
    assert lines and lines[-1].startswith("anonymize: 10 of about 40 records")
    assert "min left" in lines[-1]
