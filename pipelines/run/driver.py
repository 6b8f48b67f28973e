"""Run the privenance Beam pipeline (pipelines/run/graph.py), then account for every row
and publish (pipelines/run/accounting.py).

The pipeline reads and writes through Beam's IO and FileSystems only, so ``out`` and
the sources may be local or on any filesystem Beam knows (``s3://``, ``gs://``). It
writes into ``<out>.incoming/``; once the accounting holds, the driver moves the files
into ``<out>/`` and writes ``<out>/run.json`` last.
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import signal
import threading
from pathlib import Path

from pipelines.run.accounting import (check_accounting, check_inputs_unchanged, incoming_for,
                                      publish, remove_incoming, summarize)
from pipelines.run.graph import PIPELINE_INFO, RunGraph
from pipelines.run.options import BEAM_NOISE, REDACT_BEAM_ARGS, RunOptions, beam_options
from privenance import storage
from privenance.errors import Interrupted, OutOfSpace, RunFailed, is_disk_full
from privenance.policy import Policy
from privenance.sources import SourcesManifest
from privenance.staged import quarantine_failures
from privenance.subject_tokens import load_requests



class StopOnInterrupt:
    """Context manager: Ctrl-C (SIGINT) stops the run quietly. Beam turns a
    KeyboardInterrupt raised inside a step into a logged traceback and a RuntimeError;
    this remembers that the user asked to stop, silences the logs from then on, and lets
    ``run`` raise Interrupted (one line, exit 130) whatever Beam raised."""

    def __init__(self):
        self.interrupted = False
        self._previous = None

    def _handle(self, signum, frame):
        self.interrupted = True
        logging.disable(logging.CRITICAL)  # Beam logs the interrupted step's traceback
        raise KeyboardInterrupt

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def run(options: RunOptions) -> dict:
    """Run the pipeline; returns the run summary (also written to ``<out>/run.json``),
    whose ``status`` is "failed" (with the ``failures``) when more records were
    quarantined than the policy allows."""
    BEAM_NOISE.install()
    REDACT_BEAM_ARGS.install()
    storage.configure(list(options.beam_args))
    requests = load_requests(options.requests_dir)
    check_encryption(options.manifest, options.policy)
    out = storage.absolute(options.out)
    options = dataclasses.replace(options, out=out)
    with _out_lock(out):
        try:
            return _run_locked(options, requests)
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            # what the run wrote goes, so the space comes back; out has no run.json
            # (publish removes it first), so no stage takes what is there for a run
            remove_incoming(incoming_for(out))
            raise OutOfSpace(f"no space left on device while writing {out}: nothing was "
                             "published; free some space and run again") from None


def check_encryption(manifest: SourcesManifest, policy: Policy) -> None:
    """Before anything runs: every column to encrypt reaches the output of some source,
    and the KMS's key can be had (the workers read it again themselves)."""
    columns = policy.encryption.columns
    if not columns:
        return
    from pipelines.steps.gates import output_columns
    from privenance.encryption import properties
    written = set().union(*(output_columns(policy, s) for s in manifest.sources))
    missing = [c for c in columns if c not in written]
    if missing:
        raise policy.config_error(f"{len(missing)} column(s) to encrypt are not written by any "
                                  "source (declare them, or remove them from the list)",
                                  "encryption", "columns")
    properties(columns, policy.encryption.kms)


@contextlib.contextmanager
def _out_lock(out: str):
    """One run at a time into a local ``out``: an exclusive lock on a file beside it
    (``.<out>.lock``), released by the system however the run ends, so a crash
    leaves no stale lock. Two runs into one folder would delete each other's files."""
    if storage.is_uri(out):  # object stores have no locks; one writer is the user's to keep
        yield
        return
    import fcntl
    import os
    parent, _, name = out.rstrip("/").rpartition("/")
    lock_path = f"{parent}/.{name}.lock"
    Path(parent).mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise RunFailed(f"another run is writing to {out} (it holds {lock_path}); "
                            "wait for it to end or choose another --out") from None
        yield
    finally:
        os.close(fd)


def _run_locked(options: RunOptions, requests) -> dict:
    import apache_beam as beam

    from pipelines.run.progress import ProgressDisplay
    manifest, policy, out, log = options.manifest, options.policy, options.out, options.log
    incoming = incoming_for(out)
    log(f"run: {len(manifest.sources)} sources, policy {policy.name} "
        f"({policy.sha256[:12]}), as of {options.as_of}")
    runner, beam_opts = beam_options(list(options.beam_args))
    storage.delete(storage.list_files(incoming))  # left by an interrupted run
    with StopOnInterrupt() as stop:
        try:
            with ProgressDisplay(log):
                with beam.Pipeline(runner=runner, options=beam_opts) as p:
                    _ = p | "Run" >> RunGraph(options, incoming, requests)
        except BaseException:
            if not stop.interrupted:
                raise
            storage.delete(storage.list_files(incoming))  # nothing half-made stays
            raise Interrupted(f"nothing was published to {out}") from None
    info = storage.read_json(storage.join(incoming, PIPELINE_INFO))
    check_inputs_unchanged(info)  # like broken accounting: nothing is published
    summary = summarize(info, options, requests)
    from pipelines.run.representation import governance_summary
    summary.update(governance_summary(incoming, summary, policy, manifest))
    check_accounting(summary)  # broken accounting: nothing is published at all
    # a failed run is still published, for its quarantine to be inspected, but marked
    # so: validate and certify refuse it
    summary["failures"] = quarantine_failures(summary, policy)
    summary["status"] = "failed" if summary["failures"] else "succeeded"
    publish(incoming, out, summary)
    log(f"run {summary['run_id']}: published to {out}")
    return summary
