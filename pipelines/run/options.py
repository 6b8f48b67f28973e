"""What a run is asked to do: ``RunOptions`` (built by ``privenance run``), and the
Beam options and runner from the pass-through arguments, with how run.json and Beam's
warnings may show those arguments (an allow-list: a credential can hide under any name).
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from privenance.files import DEFAULT_SHARDS, ROWS_PER_FILE
from privenance.keyref import KeyRef
from privenance.policy import Policy
from privenance.sources import SourcesManifest


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr)


@dataclass(frozen=True)
class RunOptions:
    """One run: what it reads (``manifest``), under which ``policy``, where it
    publishes (``out``: a folder or a URI), and how.

    ``key``: where the workers find the pseudonymization key, never the key itself
    (the job graph is serialized, and on some runners uploaded). ``as_of``: the date
    retention is checked against. ``beam_args``: passed through to Beam.
    ``num_shards``: Parquet files per output, at least; ``rows_per_file``: records per
    file, at most. ``policy_path``: as run.json records it. ``requests_dir``: the
    data-subject requests to honour (privenance/subject_tokens.py). ``log``: where the
    run's progress lines go."""

    manifest: SourcesManifest
    policy: Policy
    out: str
    key: KeyRef
    as_of: dt.date
    beam_args: tuple[str, ...] = ()
    num_shards: int = DEFAULT_SHARDS
    rows_per_file: int = ROWS_PER_FILE
    policy_path: str = ""
    requests_dir: Path | None = None
    log: Callable[[str], None] = field(default=_to_stderr, compare=False)

    def __post_init__(self):
        if not isinstance(self.key, KeyRef):  # key bytes would travel with the job
            raise TypeError("RunOptions.key is a privenance.keyref.KeyRef (where the key "
                            f"is), not {type(self.key).__name__}")
        object.__setattr__(self, "out", str(self.out))
        object.__setattr__(self, "beam_args", tuple(self.beam_args))


class _DropBeamNoise(logging.Filter):
    """Beam warnings that say nothing about this run: importing Beam warns that the
    BigQuery client (apitools) is missing, and each multi-processing worker that it has
    no semi-persistent directory (used by Dataflow's containers); privenance needs
    neither. The workers' warnings reach the driver through Beam's job service logger.
    The DaskRunner warns that a Create's default partition size changed in Beam."""

    NOISE = ("apitools not found", "No semi_persistent_directory found",
             "If direct_num_workers is not equal to 1",  # our local worker processes
             "The new default partition size is",  # the DaskRunner, once per Create
             # a full disk: the run says so in one line (a worker's traceback says no more)
             "[Errno 28] No space left on device", "[Errno 122] Disk quota exceeded")
    LOGGERS = ("", "apache_beam.runners.portability.local_job_service",
               "apache_beam.runners.portability.fn_api_runner.fn_runner",
               "apache_beam.runners.dask.transform_evaluator", "apache_beam.runners.common",
               "apache_beam.runners.worker.sdk_worker")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(noise in message for noise in self.NOISE)

    def install(self) -> None:
        for name in self.LOGGERS:
            if self not in logging.getLogger(name).filters:
                logging.getLogger(name).addFilter(self)


BEAM_NOISE = _DropBeamNoise()

# Beam options whose values run.json records (a DVC output that gets pushed) and Beam's
# own warnings may print: how the run ran, never a credential. Any other option is
# recorded by name only, its value replaced: an allow-list, because a credential can
# hide under any name (--s3_session_token, --password, --aws_access_key_id, ...).
RECORDED_BEAM_OPTIONS = frozenset({
    "runner", "direct_num_workers", "direct_running_mode", "environment_type",
    "job_endpoint", "num_workers", "max_num_workers", "autoscaling_algorithm",
    "worker_machine_type", "machine_type", "region", "s3_region_name", "s3_verify",
    "s3_disable_ssl", "save_main_session", "setup_file", "experiments", "streaming",
    "dask_gateway", "dask_client_address", "parallelism", "flink_master", "spark_master_url",
    "direct_runner_use_stacked_bundle", "pickle_library", "sdk_location"})
REDACTED = "<redacted>"
# a value that may carry a credential even under a recorded name: a URL with a user
# part (https://user:secret@host), or anything the identifier checks flag
_USERINFO = re.compile(r"//[^/@\s]*@")


def recorded_args(beam_args) -> list[str]:
    """The pass-through arguments as run.json and messages may show them: recorded
    options with their values, every other option by name with its value redacted,
    and no bare value (the value of a ``--name value`` pair)."""
    from privenance.identifiers import find_residual
    out = []
    args = list(beam_args)
    for i, arg in enumerate(args):
        if not arg.startswith("-"):
            previous = args[i - 1] if i else ""
            name = previous.lstrip("-")
            if (previous.startswith("--") and "=" not in previous
                    and name in RECORDED_BEAM_OPTIONS and _safe_value(arg, find_residual)):
                out.append(arg)
            elif previous.startswith("--") and "=" not in previous:
                out.append(REDACTED)
            continue  # a stray value: never recorded
        name, eq, value = arg.lstrip("-").partition("=")
        if not eq:
            out.append(f"--{name}")
        elif name in RECORDED_BEAM_OPTIONS and _safe_value(value, find_residual):
            out.append(f"--{name}={value}")
        else:
            out.append(f"--{name}={REDACTED}")
    return out


def _safe_value(value: str, find_residual) -> bool:
    return not _USERINFO.search(value) and not find_residual(value)


class _RedactBeamArgs(logging.Filter):
    """Beam warns about the arguments it cannot parse (``Unparseable argument: --x=v``,
    ``Discarding unparseable args: [...]``), quoting them: such a warning names them
    as ``recorded_args`` does."""

    LOGGER = "apache_beam.options.pipeline_options"
    UNPARSEABLE = re.compile(r"(Unparseable argument: )(\S+?)(\. Did you mean .*)?$", re.S)

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, list) for a in record.args):
            record.args = tuple(recorded_args(a) if isinstance(a, list) else a
                                for a in record.args)
        m = self.UNPARSEABLE.match(record.getMessage())
        if m:
            arg = m.group(2)
            shown = recorded_args([arg])[0] if arg.startswith("-") else REDACTED
            record.msg, record.args = f"{m.group(1)}{shown}{m.group(3) or ''}", ()
        return True

    def install(self) -> None:
        logger = logging.getLogger(self.LOGGER)
        if not any(isinstance(f, _RedactBeamArgs) for f in logger.filters):
            logger.addFilter(self)


REDACT_BEAM_ARGS = _RedactBeamArgs()


def beam_options(beam_args: list[str]):
    """Beam options from the pass-through arguments, and the runner to use.

    Beam 2.77's DirectRunner first tries the Prism runner, which downloads a binary
    from the internet. privenance must never download at run time, so the default
    (and an explicit --runner=DirectRunner) runs on Beam's in-process FnApiRunner,
    which is what DirectRunner falls back to anyway and which honours
    --direct_num_workers and --direct_running_mode, or --environment_type (with
    --environment_config) for workers started elsewhere.
    """
    from apache_beam.options.pipeline_options import PipelineOptions
    args = [a for a in beam_args if a not in ("--runner=DirectRunner", "--runner=direct")]
    if "--job_endpoint=embed" in args and not any(a.startswith("--environment_type") for a in args):
        args.append("--environment_type=LOOPBACK")  # the embedded job server: workers in-process, no Docker
    local_processes = ("--direct_running_mode=multi_processing" in args
                       and not any(a.startswith("--runner") for a in args))
    if local_processes:  # started below with our worker command (pipelines/run/worker.py)
        args.remove("--direct_running_mode=multi_processing")
    options, runner = PipelineOptions(args), None
    from pipelines.runners.dask_runner import is_dask_runner
    if is_dask_runner(args):  # Beam does not resolve this one by name
        from apache_beam.runners.dask.dask_runner import DaskRunner
        runner = DaskRunner()
    elif not any(a.startswith("--runner") for a in args):
        from apache_beam.runners.portability.fn_api_runner import FnApiRunner
        environment = None
        if local_processes:
            from apache_beam.transforms.environments import SubprocessSDKEnvironment
            environment = SubprocessSDKEnvironment.from_command_string(
                f"{sys.executable} -m pipelines.run.worker")
        elif any(a.startswith("--environment_type") for a in args):
            # workers the environment starts (e.g. EXTERNAL: a worker pool elsewhere),
            # --direct_num_workers of them
            from apache_beam.options.pipeline_options import PortableOptions
            from apache_beam.transforms.environments import Environment
            environment = Environment.from_options(options.view_as(PortableOptions))
        runner = FnApiRunner(default_environment=environment)
    return runner, options
