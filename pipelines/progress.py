"""Progress of a running pipeline, shown by the driver while Beam works.

Workers may be other processes (multi-processing DirectRunner), so each ``CountRecords``
instance writes its running count to a small file in a shared directory, at most once
a second; the driver's ``ProgressDisplay`` sums the files and shows a bar on a terminal,
or a log line every 30 seconds otherwise (``dvc repro``, CI logs). Progress is
best-effort: a runner whose workers cannot write the driver's disk just shows none.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import apache_beam as beam

from pipelines.readers import estimate_rows


class CountRecords(beam.DoFn):
    """Passes records through unchanged, counting them into ``directory``."""

    def __init__(self, directory: str):
        self.directory = directory

    def setup(self):
        self.count, self.written_at = 0, 0.0
        self.path = Path(self.directory) / f"{os.getpid()}-{id(self)}"

    def process(self, record):
        self.count += 1
        if time.monotonic() - self.written_at > 1:
            self._write()
        yield record

    def finish_bundle(self):
        self._write()

    def _write(self):
        self.written_at = time.monotonic()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_suffix(".tmp")
            partial.write_text(str(self.count))
            os.replace(partial, self.path)  # readers never see a half-written number
        except OSError:
            pass


def records_counted(directory: Path) -> int:
    total = 0
    for path in directory.glob("*"):
        try:
            total += int(path.read_text()) if path.suffix != ".tmp" else 0
        except (OSError, ValueError):
            pass
    return total


class ProgressDisplay:
    """Context manager: a thread that shows records counted in ``directory`` against
    the rows the sources are expected to hold."""

    def __init__(self, directory: Path, sources, log, interval: float = 0.5,
                 log_every: float = 30.0):
        self.directory, self.log = directory, log
        self.total = sum(estimate_rows(s) for s in sources)
        self.interval, self.log_every = interval, log_every
        self._stop = threading.Event()

    def __enter__(self):
        self._thread = threading.Thread(target=self._show, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _show(self):
        started = time.monotonic()
        bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm
            bar = tqdm(total=self.total or None, unit=" records", desc="anonymize",
                       file=sys.stderr, dynamic_ncols=True)
        logged = started
        while not self._stop.wait(self.interval):
            done = records_counted(self.directory)
            if bar is not None:
                bar.update(done - bar.n)
            elif time.monotonic() - logged >= self.log_every:
                logged = time.monotonic()
                self.log(self.line(done, logged - started))
        if bar is not None:
            bar.update(records_counted(self.directory) - bar.n)
            bar.close()

    def line(self, done: int, seconds: float) -> str:
        rate = done / seconds if seconds > 0 else 0.0
        text = f"anonymize: {done:,} of about {self.total:,} records, {rate:,.0f} records/s"
        if rate > 0 and self.total > done:
            text += f", about {(self.total - done) / rate / 60:,.0f} min left"
        return text
