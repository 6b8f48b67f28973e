"""The command a local multi-processing run starts each Beam SDK worker with: Beam's
own ``sdk_worker_main``, with the worker's log records going to the runner only.

Without a handler of its own, the worker's root logger gets a stderr handler from
the first module-level ``logging.warning`` of Beam's import, and then every INFO
line of the harness lands on the user's terminal. Only for the in-process runner's
local workers (pipelines/run/options.py ``beam_options``); other runners start their
workers their own way.
"""
import logging
import runpy
import sys


class _WithoutDiskFullTracebacks:
    """The worker's stderr less the tracebacks of a full disk: Beam's harness prints
    every failed bundle's traceback there, and the run says that the disk is full in
    one line of its own (privenance/errors.py ``is_disk_full``)."""

    DISK_FULL = ("[Errno 28] No space left on device", "[Errno 122] Disk quota exceeded")

    def __init__(self, stream):
        self.stream, self.dropped = stream, False

    def write(self, text: str) -> int:
        # print() writes its line end apart: dropped with the traceback before it
        drop = any(m in text for m in self.DISK_FULL) or (self.dropped and text == "\n")
        self.dropped = drop
        return len(text) if drop else self.stream.write(text)

    def __getattr__(self, name):
        return getattr(self.stream, name)


if __name__ == "__main__":
    logging.getLogger().addHandler(logging.NullHandler())
    sys.stderr = _WithoutDiskFullTracebacks(sys.stderr)
    runpy.run_module("apache_beam.runners.worker.sdk_worker_main", run_name="__main__",
                     alter_sys=True)
