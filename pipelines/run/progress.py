"""Progress of a running pipeline.

``CountRecords`` passes records through, counting them three ways: a Beam Metrics
counter (``privenance:records``, what any runner's monitoring shows), a log line
from the worker every 30 seconds (a worker's log reaches the driver or the runner's
console on every runner), and a count in this process, which ``ProgressDisplay``
shows as a bar on a terminal when the workers run in the driver's process (the
default one-worker run). Nothing is written to any disk.
"""
from __future__ import annotations

import logging
import sys
import threading
import time

import apache_beam as beam

_counted = [0]  # records counted by CountRecords instances in this process
_lock = threading.Lock()
_log = logging.getLogger("privenance.progress")


def records_counted() -> int:
    return _counted[0]


class CountRecords(beam.DoFn):
    """Passes records through unchanged, counting them."""

    LOG_EVERY = 30.0

    def setup(self):
        self.counter = beam.metrics.Metrics.counter("privenance", "records")
        self.count, self.logged_at, self.started = 0, time.monotonic(), time.monotonic()

    def process(self, record):
        self.count += 1
        self.counter.inc()
        with _lock:
            _counted[0] += 1
        if time.monotonic() - self.logged_at > self.LOG_EVERY:
            self.logged_at = time.monotonic()
            rate = self.count / (self.logged_at - self.started)
            _log.info("worker: %s records so far, %.0f records/s", f"{self.count:,}", rate)
        yield record


class ProgressDisplay:
    """Context manager: while the pipeline runs, a thread shows the records counted
    in this process, as a bar on a terminal or a log line every 30 s otherwise."""

    def __init__(self, log, interval: float = 0.5, log_every: float = 30.0):
        self.log, self.interval, self.log_every = log, interval, log_every
        self._stop = threading.Event()

    def __enter__(self):
        self._start = records_counted()
        self._thread = threading.Thread(target=self._show, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def done(self) -> int:
        return records_counted() - self._start

    def _show(self):
        started = logged = time.monotonic()
        bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm
            bar = tqdm(unit=" records", desc="anonymize", file=sys.stderr, dynamic_ncols=True)
        while not self._stop.wait(self.interval):
            done = self.done()
            if bar is not None:
                bar.update(done - bar.n)
            elif done and time.monotonic() - logged >= self.log_every:
                logged = time.monotonic()
                self.log(self.line(done, logged - started))
        if bar is not None:
            bar.update(self.done() - bar.n)
            bar.close()

    @staticmethod
    def line(done: int, seconds: float) -> str:
        rate = done / seconds if seconds > 0 else 0.0
        return f"anonymize: {done:,} records so far, {rate:,.0f} records/s"
