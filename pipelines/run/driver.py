"""Build and run the privenance Beam pipeline, then account for every row and publish.

read -> tag provenance -> licence/consent/retention gates -> minimise
     -> anonymize (Presidio) -> residual scan -> write Parquet

The pipeline reads and writes through Beam's IO and FileSystems only, so ``--out``
and the sources may be local or on any filesystem Beam knows (``s3://``, ``gs://``).
It writes into ``<out>.incoming/``; once the accounting holds, the driver moves the
files into ``<out>/{dataset,quarantine,findings}/`` and writes ``<out>/run.json``
last. run.json is the marker of a complete output: it lists every file with its
hash, and later stages refuse a folder without it or whose files differ from it.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import re
import shutil
import signal
import sys
import threading
from collections import Counter, defaultdict
from pathlib import Path

from privenance import provenance as P, storage, versions
from privenance.encryption import facts as encryption_facts
from privenance.errors import Interrupted, OutOfSpace, RunFailed, is_disk_full
from privenance.keyref import KeyRef
from privenance.keys import Secret
from privenance.policy import Policy
from privenance.sources import SourcesManifest
from privenance.staged import RUN_FILE, quarantine_failures
from privenance.subject_tokens import Requests, load_requests

DEFAULT_SHARDS = 2
ROWS_PER_FILE = 20_000  # records read per Parquet file, at most: bounds a writer's memory
OUTPUTS = ("dataset", "findings", "quarantine")


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


_BEAM_NOISE = _DropBeamNoise()

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


def produced_by(policy: Policy) -> dict:
    """The code and engine versions a run records (privenance/versions.py), with the
    thorough profile's models when the policy uses it."""
    cfg = policy.anonymization
    engines = versions.engines(cfg.nlp_model, cfg.names_model)
    if "hk" in cfg.recognizer_packs:
        engines["chinese_names"] = cfg.chinese_names.model_dump()
    if cfg.profile == "thorough":
        engines["thorough_models"] = [versions.engines(m)["model"] for m in cfg.thorough_models]
    return {"code": versions.code(), "engines": engines}


def run_material(policy: Policy, manifest: SourcesManifest, as_of: dt.date, key: Secret,
                 requests: Requests) -> str:
    """What the run id is made of, except the inputs' hashes (known in the pipeline):
    the declarations, policy, date, a keyed check of the key, code and engines."""
    return json.dumps({"policy": policy.sha256, "code": produced_by(policy),
                       "manifest": manifest.model_dump(mode="json"),
                       "as_of": as_of.isoformat(), "key": key.derive("run-id", 8).hex(),
                       "requests": requests.fingerprint()}, sort_keys=True)


def make_run_id(material: str, input_hashes: dict) -> str:
    """Content-addressed: the same inputs, declarations, policy, date, key, code and
    engines give the same run id, which keeps outputs byte-identical across re-runs."""
    both = json.dumps({"material": material, "inputs": input_hashes}, sort_keys=True)
    return hashlib.sha256(both.encode()).hexdigest()[:16]


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


def build(p, manifest: SourcesManifest, policy: Policy, incoming: str, key_ref: KeyRef,
          as_of: dt.date, requests: Requests, num_shards: int, rows_per_file: int,
          run_material: str, on_dask: bool = False) -> None:
    """The whole run as one Beam pipeline on ``p``. Everything it writes goes under
    ``incoming`` (a folder or URI): the outputs' Parquet files, and ``_pipeline.json``
    (the run id, rows read per source, input hashes, every file's report). ``on_dask``:
    the pipeline runs on Beam's DaskRunner, which needs another way to batch and to
    write (pipelines/runners/dask_runner.py); False on every other runner."""
    import apache_beam as beam

    from pipelines.anonymize.surrogates import UniqueSurrogates
    from pipelines.anonymize.transform import AnonymizeRecords
    from pipelines.steps.apply import ApplySteps
    from pipelines.run.progress import CountRecords
    from pipelines.record import QUARANTINE, quarantine_row, quarantine_schema
    from pipelines.read.transform import CHANGED, COUNTS, HASHES, ReadSources, source_hashes
    from pipelines.run.representation import CountRepresentation
    from pipelines.record import read_position
    from pipelines.steps import gate_steps, tagging_steps
    from pipelines.write.transform import WriteParquet
    from privenance.errors import Reason

    sources = {s.id: s for s in manifest.sources}
    tag = {s.id: tagging_steps(s, policy, None, key_ref) for s in manifest.sources}
    steps = {s.id: gate_steps(s, policy, as_of, requests.withdrawn_refs) for s in manifest.sources}
    from pipelines.read.formats import max_line_chars
    read = p | "Read" >> ReadSources(manifest, max_line_chars(policy.anonymization.max_text_chars))
    records = read["records"] | "Progress" >> beam.ParDo(CountRecords())
    # tagging and the gates apart, for the representation counts to see every tagged
    # record before a gate removes it (pipelines/run/representation.py)
    tagged, untagged = records | "Tag" >> ApplySteps(tag)
    kept, rejected = tagged | "PolicyGates" >> ApplySteps(steps)
    clean, findings, residual, detected = kept | "Anonymize" >> AnonymizeRecords(
        policy, key_ref, sources, requests.erased_tokens, on_dask=on_dask, keep_position=True,
        surrogate_check=True)
    # no surrogate may be a value detected anywhere in the data, nor a subject whose
    # erasure was requested: the dataset's writer redraws any that is (one pass)
    erased = p | "ErasedTokens" >> beam.Create(sorted(requests.erased_tokens))
    detected = (detected, erased) | "AllDetected" >> beam.Flatten()

    # the run id is content-addressed: it needs every input's hash, known in the pipeline
    hashes = read[HASHES] | "AllHashes" >> beam.combiners.ToList()
    run_id = hashes | "RunId" >> beam.Map(
        lambda h: make_run_id(run_material, source_hashes(manifest, h)))

    source_order = {sid: i for i, sid in enumerate(sources)}
    # the number of files per output follows the records read (known before anonymizing
    # ends, so writing needs no second pass over the rows to count them)
    read_total = read[COUNTS] | "Values" >> beam.Values() | "ReadTotal" >> beam.CombineGlobally(sum)
    # records of a source that share an id share a record id: the dataset's writer keeps
    # the first read of them and leaves the others out (then quarantined, their findings
    # left out too), whatever the runner or worker count; so are records with a surrogate
    # that equals a detected value and could not be drawn again (SURROGATE_COLLISION)
    dataset, duplicates = clean | "WriteDataset" >> WriteParquet(
        incoming, "dataset", P.RECORD_ID, [P.RECORD_ID], run_id=run_id, count_by=[P.SOURCE],
        source_order=source_order, min_shards=num_shards, rows_per_file=rows_per_file,
        always_one_file=True, expected_rows=read_total, spill=not on_dask, unique=True,
        encrypt=({"columns": policy.encryption.columns, "kms": policy.encryption.kms}
                 if policy.encryption.columns else None),
        surrogates=UniqueSurrogates(key_ref), detected=detected)
    repeated = duplicates | "DuplicateRows" >> beam.Map(_left_out_row)
    left_out = duplicates | "DuplicatePositions" >> beam.Map(
        lambda r: (r[P.RECORD_ID], read_position(r)))
    representation = (tagged, clean, duplicates) | "Representation" >> CountRepresentation(
        policy.representation.columns, incoming)
    reports = [
        dataset,
        ((read[QUARANTINE], untagged, rejected, residual, repeated)
         | "AllQuarantine" >> beam.Flatten()
         | "WriteQuarantine" >> WriteParquet(
             incoming, "quarantine", "_source", ["_source", "_file", "_offset", "stage"], run_id=run_id,
             count_by=["_source", "reason", "request"], schema=quarantine_schema(),
             rows_per_file=rows_per_file, run_id_column="_run_id", expected_rows=read_total,
             spill=not on_dask)),
        findings | "WriteFindings" >> WriteParquet(
            incoming, "findings", P.RECORD_ID,
            [P.RECORD_ID, "column", "start", "end", "entity", "score", "operator", "subject"],
            run_id=run_id, count_by=["entity", "operator"], schema=findings_schema(),
            min_shards=num_shards, rows_per_file=rows_per_file, run_id_column=None,
            expected_rows=read_total, spill=not on_dask, exclude=left_out),
    ]
    all_reports = reports | "AllReports" >> beam.Flatten() | "ReportList" >> beam.combiners.ToList()
    counts = read[COUNTS] | "CountList" >> beam.combiners.ToList()
    # the last step reads every sink's output (the representation counts' too), so a
    # runner that computes only the graph's last step (the DaskRunner) runs them all
    _ = (p | "Finally" >> beam.Create([None])
         | "WriteRunInfo" >> beam.Map(
             _write_pipeline_info, incoming=incoming, run_id=beam.pvalue.AsSingleton(run_id),
             hashes=beam.pvalue.AsSingleton(hashes), counts=beam.pvalue.AsSingleton(counts),
             reports=beam.pvalue.AsSingleton(all_reports),
             representation=beam.pvalue.AsList(representation),
             changed=beam.pvalue.AsList(read[CHANGED])))


def _left_out_row(row: dict) -> dict:
    """The quarantine row of a record the dataset's writer left out: a later duplicate
    of an id, or a record whose reason it gives (record.LEFT_OUT)."""
    from pipelines.record import LEFT_OUT, quarantine_row
    from privenance.errors import Reason
    if row.get(LEFT_OUT):
        reason, message = row[LEFT_OUT]
        return quarantine_row(row, "surrogates", Reason(reason), message)
    return quarantine_row(row, "deduplicate", Reason.DUPLICATE_ID,
                          "an earlier record of this source has the same id")


PIPELINE_INFO = "_pipeline.json"


def _write_pipeline_info(_, incoming: str, run_id: str, hashes: list, counts: list,
                         reports: list, representation: list, changed: list = ()) -> None:
    """``representation``: unused; the representation counts are written by then.
    ``changed``: sources with a file that changed while it was hashed and read."""
    from privenance import storage
    storage.write_json(storage.join(incoming, PIPELINE_INFO), {
        "run_id": run_id, "hashes": sorted(map(list, hashes)),
        "read": {source: n for source, n in sorted(counts)},
        "files": sorted(reports, key=lambda r: r["path"]),
        "changed": sorted(set(changed))})


def check_inputs_unchanged(info: dict) -> None:
    """Fail the run when an input changed between hashing and reading: its hash would
    not say which bytes the records came from."""
    if info.get("changed"):
        raise RunFailed("input changed while the run read it: source(s) "
                        + ", ".join(info["changed"]) + " (size or modification time differs "
                        "from when it was hashed); nothing was published: run again once "
                        "the input is complete")


def findings_schema():
    import pyarrow as pa
    return pa.schema([(P.RECORD_ID, pa.string()), (P.SOURCE, pa.string()),
                      ("column", pa.string()), ("entity", pa.string()),
                      ("start", pa.int64()), ("end", pa.int64()), ("score", pa.float64()),
                      ("operator", pa.string()),
                      # keyed subject token of the value (privenance/subject_tokens.py)
                      ("subject", pa.string()),
                      # where the replacement lies in the written text (review highlights)
                      ("out_start", pa.int64()), ("out_end", pa.int64())])


def summarize(info: dict, manifest: SourcesManifest, policy: Policy, as_of: dt.date,
              policy_path: str, beam_args: list[str], requests: Requests) -> dict:
    """The run summary from the pipeline's own report (``_pipeline.json``): rows per
    source in every output, and whether read = written + quarantined."""
    from pipelines.read.transform import source_hashes
    from pipelines.steps.gates import output_columns
    read = {s.id: info["read"].get(s.id, 0) for s in manifest.sources}
    inputs = source_hashes(manifest, info["hashes"])
    written, quarantined, reasons = Counter(), Counter(), Counter()
    by_source_reason = defaultdict(Counter)
    removed_by_request = Counter()
    pii = defaultdict(Counter)
    for file in info["files"]:
        for r in file["counts"]:
            n = r["count_all"]
            if file["output"] == "dataset":
                written[r[P.SOURCE]] += n
            elif file["output"] == "quarantine":
                quarantined[r["_source"]] += n
                reasons[r["reason"]] += n
                by_source_reason[r["_source"]][r["reason"]] += n
                if r["request"]:
                    removed_by_request[r["request"]] += n
            else:
                pii[r["entity"]][r["operator"]] += n
    images = image_totals(info["files"])
    counts = {s.id: {"read": read[s.id], "written": written[s.id],
                     "quarantined": quarantined[s.id],
                     "quarantine_reasons": dict(sorted(by_source_reason[s.id].items()))}
              for s in manifest.sources}
    made_by = produced_by(policy)
    return {
        "run_id": info["run_id"],
        "as_of": as_of.isoformat(),
        "code_version": made_by["code"]["version"],
        **made_by,
        # how it ran; the only part that may differ between runs of the same inputs
        "execution": {"runner": next((a.split("=", 1)[1] for a in recorded_args(beam_args)
                                      if a.startswith("--runner=")), "DirectRunner"),
                      "beam_args": recorded_args(beam_args),
                      # the manifest run from, for the commands that run it again
                      "sources_manifest": manifest._file},
        "policy": {"name": policy.name, "sha256": policy.sha256, "path": policy_path,
                   "sector": policy.sector},
        "purpose": policy.purpose.model_dump(),
        # columns the dataset holds encrypted, and the KMS whose key reads them
        **({"encryption": encryption_facts(policy.encryption.columns, policy.encryption.kms)}
           if policy.encryption.columns else {}),
        "sources": [{"id": s.id, "path": s.path, "format": s.format,
                     **inputs[s.id], "licence": s.licence,
                     "attribution": s.attribution,
                     "consent": s.consent.model_dump() if s.consent else None,
                     "origin": s.origin, "id_field": s.id_field,
                     "text_fields": s.text_fields, "fields": s.fields,
                     # the source columns minimisation lets reach the output (DPP1)
                     "output_columns": sorted(output_columns(policy, s))}
                    for s in manifest.sources],
        "counts": counts,
        # sources that gave no record to the dataset: every row quarantined, or none read
        "sources_without_output": [sid for sid, c in counts.items() if c["written"] == 0],
        "totals": {"read": sum(read.values()), "written": sum(written.values()),
                   "quarantined": sum(quarantined.values())},
        "quarantine_reasons": dict(sorted(reasons.items())),
        "pii": {e: dict(sorted(ops.items())) for e, ops in sorted(pii.items())},
        # image records: metadata removed by kind (records), faces found and blurred
        **({"images": images} if images else {}),
        "operators": {e: policy.rule_for(e).operator
                      for e in policy.anonymization.detected_entities()},
        # data-subject requests honoured by this run, and the records each removed
        "requests": [{**r, "records_removed": removed_by_request[r["request"]]}
                     for r in requests.all()],
        # fakes that equaled a value detected in the data, drawn again by the dataset's
        # writer (pipelines/anonymize/surrogates.py); counts only
        "surrogates": {"fakes_redrawn": sum(f.get("surrogates_redrawn", 0)
                                            for f in info["files"])},
        "outputs": {name: [{k: f[k] for k in ("path", "rows", "sha256")}
                           for f in info["files"] if f["output"] == name] for name in OUTPUTS},
    }


def image_totals(files: list[dict]) -> dict:
    """The dataset files' image treatment counts (pipelines/images/), summed."""
    removed, found, blurred, any_images = Counter(), 0, 0, False
    for file in files:
        images = file.get("images")
        if file["output"] != "dataset" or not images:
            continue
        any_images = True
        removed.update(images["metadata_removed"])
        found, blurred = found + images["faces_found"], blurred + images["faces_blurred"]
    if not any_images:
        return {}
    return {"metadata_removed": dict(sorted(removed.items())), "faces_found": found,
            "faces_blurred": blurred}


def check_accounting(summary: dict) -> None:
    broken = [sid for sid, c in summary["counts"].items()
              if c["read"] != c["written"] + c["quarantined"]]
    if broken:
        raise RunFailed("accounting failed: rows read != rows written + quarantined for "
                        + ", ".join(broken))


def incoming_for(out: str) -> str:
    """Where a run writes before it is published: a hidden sibling of ``out``."""
    parent, _, name = str(out).rstrip("/").rpartition("/")
    return f"{parent}/.{name}.incoming"


def publish(incoming: str, out: str, summary: dict) -> None:
    """Move the run's files from ``incoming`` into ``out`` and write run.json last.
    run.json goes first: from then until it is written again, ``out`` has no marker,
    so no stage mistakes a half-published folder for a run."""
    storage.delete([storage.join(out, RUN_FILE)] if storage.exists(storage.join(out, RUN_FILE)) else [])
    new = [f["path"] for files in summary["outputs"].values() for f in files]
    stale = [p for name in OUTPUTS for p in storage.list_files(storage.join(out, name))
             if p not in {storage.join(out, n) for n in new}]
    storage.delete(stale)
    storage.rename([storage.join(incoming, p) for p in new], [storage.join(out, p) for p in new])
    storage.write_json(storage.join(out, RUN_FILE), summary)
    storage.delete(storage.list_files(incoming))
    if not storage.is_uri(incoming):
        shutil.rmtree(incoming, ignore_errors=True)  # the empty folders


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


def run(manifest: SourcesManifest, policy: Policy, out: str | Path, key: Secret, as_of: dt.date,
        beam_args: list[str] = (), num_shards: int = DEFAULT_SHARDS,
        policy_path: str = "", requests_dir: Path | None = None,
        log=lambda msg: print(msg, file=sys.stderr), rows_per_file: int = ROWS_PER_FILE) -> dict:
    """Run the pipeline; returns the run summary (also written to ``<out>/run.json``),
    whose ``status`` is "failed" (with the ``failures``) when more records were
    quarantined than the policy allows. ``requests_dir`` holds the data-subject
    requests to honour (privenance/subject_tokens.py). ``out`` is a folder or a URI."""
    _BEAM_NOISE.install()
    REDACT_BEAM_ARGS.install()
    beam_args = list(beam_args)
    storage.configure(beam_args)
    requests = load_requests(requests_dir)
    key_ref = KeyRef.of(key)  # the workers read the key themselves: no key bytes in the job
    check_encryption(manifest, policy)
    out = storage.absolute(out)
    with _out_lock(out):
        try:
            return _run_locked(manifest, policy, out, key, as_of, beam_args, num_shards,
                               policy_path, requests, key_ref, log, rows_per_file)
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            # what the run wrote goes, so the space comes back; out has no run.json
            # (publish removes it first), so no stage takes what is there for a run
            _remove_incoming(incoming_for(out))
            raise OutOfSpace(f"no space left on device while writing {out}: nothing was "
                             "published; free some space and run again") from None


def _remove_incoming(incoming: str) -> None:
    with contextlib.suppress(Exception):  # best effort: the disk is full, not broken
        storage.delete(storage.list_files(incoming, hidden=True))
    if not storage.is_uri(incoming):
        shutil.rmtree(incoming, ignore_errors=True)


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


def _run_locked(manifest, policy, out, key, as_of, beam_args, num_shards, policy_path,
                requests, key_ref, log, rows_per_file) -> dict:
    import apache_beam as beam

    from pipelines.runners.dask_runner import is_dask_runner
    from pipelines.run.progress import ProgressDisplay
    incoming = incoming_for(out)
    log(f"run: {len(manifest.sources)} sources, policy {policy.name} "
        f"({policy.sha256[:12]}), as of {as_of}")
    runner, options = beam_options(beam_args)
    storage.delete(storage.list_files(incoming))  # left by an interrupted run
    with StopOnInterrupt() as stop:
        try:
            with ProgressDisplay(log):
                with beam.Pipeline(runner=runner, options=options) as p:
                    build(p, manifest, policy, incoming, key_ref, as_of, requests,
                          num_shards, rows_per_file,
                          run_material(policy, manifest, as_of, key, requests),
                          on_dask=is_dask_runner(beam_args))
        except BaseException:
            if not stop.interrupted:
                raise
            storage.delete(storage.list_files(incoming))  # nothing half-made stays
            raise Interrupted(f"nothing was published to {out}") from None
    info = storage.read_json(storage.join(incoming, PIPELINE_INFO))
    check_inputs_unchanged(info)  # like broken accounting: nothing is published
    summary = summarize(info, manifest, policy, as_of, policy_path, beam_args, requests)
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
