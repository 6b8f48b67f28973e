"""Build and run the privenance Beam pipeline, then account for every row.

read -> tag provenance -> licence/consent/retention gates -> minimise
     -> anonymize (Presidio) -> residual scan -> write Parquet

Outputs land in ``<out>/{dataset,quarantine,findings}/`` plus ``<out>/run.json``.
Everything is written to a temporary sibling directory and swapped in only after
the accounting invariant holds, so a crash leaves the previous output intact.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import shutil
import sys
from collections import Counter, defaultdict
from pathlib import Path

from pipelines.warm_workers import WarmWorkers, uses_worker_processes
from privenance import provenance as P, versions
from privenance.errors import RunFailed
from privenance.files import file_sha256, swap_in, temp_dir_for
from privenance.keys import Secret
from privenance.policy import Policy
from privenance.sources import SourcesManifest
from privenance.staged import RUN_FILE, quarantine_failures
from privenance.subjects import Requests, load_requests

DEFAULT_SHARDS = 2
PROGRESS_DIR = "_progress"  # workers' record counts while the pipeline runs
PARTS_DIR = "_parts"  # workers' rows, pickled, until write_outputs makes the Parquet


class _DropBeamNoise(logging.Filter):
    """Beam warnings that say nothing about this run: importing Beam warns that the
    BigQuery client (apitools) is missing, and each multi-processing worker that it has
    no semi-persistent directory (used by Dataflow's containers); privenance needs
    neither. The workers' warnings reach the driver through Beam's job service logger."""

    NOISE = ("apitools not found", "No semi_persistent_directory found")
    LOGGERS = ("", "apache_beam.runners.portability.local_job_service")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(noise in message for noise in self.NOISE)

    def install(self) -> None:
        for name in self.LOGGERS:
            if self not in logging.getLogger(name).filters:
                logging.getLogger(name).addFilter(self)


_BEAM_NOISE = _DropBeamNoise()


def produced_by(policy: Policy) -> dict:
    """The code and engine versions a run records (privenance/versions.py), with the
    thorough profile's models when the policy uses it."""
    cfg = policy.anonymization
    engines = versions.engines(cfg.nlp_model)
    if "hk" in cfg.recognizer_packs:
        engines["chinese_names"] = cfg.chinese_names.model_dump()
    if cfg.profile == "thorough":
        engines["thorough_models"] = [versions.engines(m)["model"] for m in cfg.thorough_models]
    return {"code": versions.code(), "engines": engines}


def make_run_id(policy: Policy, manifest: SourcesManifest, input_hashes: dict, as_of: dt.date,
                key: Secret, requests: Requests) -> str:
    """Content-addressed: the same inputs, declarations, policy, date, key, code and
    engines give the same run id, which keeps outputs byte-identical across re-runs."""
    material = json.dumps({"policy": policy.sha256, "inputs": input_hashes,
                           "code": produced_by(policy),
                           "manifest": manifest.model_dump(mode="json"),
                           "as_of": as_of.isoformat(), "key": key.derive("run-id", 8).hex(),
                           "requests": requests.fingerprint()}, sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def _beam_runner_and_options(beam_args: list[str], worker_command: str | None = None):
    """Beam options from the pass-through arguments, and the runner to use.

    Beam 2.77's DirectRunner first tries the Prism runner, which downloads a binary
    from the internet. privenance must never download at run time, so the default
    (and an explicit --runner=DirectRunner) runs on Beam's in-process FnApiRunner,
    which is what DirectRunner falls back to anyway and which honours
    --direct_num_workers and --direct_running_mode. ``worker_command``, if given,
    starts each multi-processing worker instead of Beam's own command line.
    """
    from apache_beam.options.pipeline_options import PipelineOptions
    args = [a for a in beam_args if a not in ("--runner=DirectRunner", "--runner=direct")]
    if "--job_endpoint=embed" in args and not any(a.startswith("--environment_type") for a in args):
        args.append("--environment_type=LOOPBACK")  # the embedded job server: workers in-process, no Docker
    runner = None
    if not any(a.startswith("--runner") for a in args):
        from apache_beam.runners.portability.fn_api_runner import FnApiRunner
        runner = FnApiRunner() if worker_command is None else _warm_worker_runner(worker_command)
    return runner, PipelineOptions(args)


def _warm_worker_runner(worker_command: str):
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner
    from apache_beam.transforms.environments import SubprocessSDKEnvironment
    environment = SubprocessSDKEnvironment.from_command_string(worker_command)

    class WarmWorkerRunner(FnApiRunner):
        # FnApiRunner.run_pipeline sets Beam's own worker command line for
        # multi_processing; this keeps ours
        _default_environment = property(lambda self: environment, lambda self, value: None)

    return WarmWorkerRunner()


def build_and_run(manifest: SourcesManifest, policy: Policy, tmp: Path, key: Secret,
                  as_of: dt.date, run_id: str, requests: Requests, beam_args: list[str],
                  num_shards: int, worker_command: str | None = None) -> None:
    import apache_beam as beam

    from pipelines.beam import COUNTS, AnonymizeRecords, ApplySteps, ReadSource, WriteParts
    from pipelines.progress import CountRecords
    from pipelines.steps import (ConsentGate, LicenceGate, Minimise, RequireColumns,
                                 RetentionGate, TagProvenance)

    sources = {s.id: s for s in manifest.sources}
    steps = {s.id: [RequireColumns(s), TagProvenance(s, run_id, policy.sha256, key),
                    LicenceGate(policy),
                    ConsentGate(policy, requests.withdrawn_refs), RetentionGate(policy, as_of),
                    Minimise(policy, s)] for s in manifest.sources}

    runner, options = _beam_runner_and_options(beam_args, worker_command)
    with beam.Pipeline(runner=runner, options=options) as p:
        read = (p | "SourceIds" >> beam.Create(sorted(sources))
                | "Read" >> beam.ParDo(ReadSource(sources, run_id)).with_outputs(
                    "quarantine", COUNTS, main="rows"))
        # spread the rows of each file over the workers, a chunk at a time
        rows = (read.rows | "Spread" >> beam.Reshuffle()
                | "Unchunk" >> beam.FlatMap(lambda chunk: chunk)
                | "Progress" >> beam.ParDo(CountRecords(str(tmp / PROGRESS_DIR))))
        kept, rejected = rows | "PolicyGates" >> ApplySteps(steps, run_id)
        clean, findings, residual = kept | "Anonymize" >> AnonymizeRecords(
            policy, key, sources, run_id, requests.erased_tokens)
        parts = tmp / PARTS_DIR
        source_order = {sid: i for i, sid in enumerate(sources)}
        _ = clean | "WriteDataset" >> beam.ParDo(WriteParts(
            str(parts / "dataset"), P.RECORD_ID, num_shards, source_order))
        _ = ((read.quarantine, rejected, residual) | "AllQuarantine" >> beam.Flatten()
             | "WriteQuarantine" >> beam.ParDo(WriteParts(str(parts / "quarantine"), "_source", 1)))
        _ = findings | "WriteFindings" >> beam.ParDo(WriteParts(
            str(parts / "findings"), P.RECORD_ID, num_shards))
        _ = (read[COUNTS] | "SumCounts" >> beam.CombinePerKey(sum)
             | "CountsJson" >> beam.Map(lambda kv: json.dumps({"source": kv[0], "read": kv[1]}))
             | "WriteCounts" >> beam.io.WriteToText(str(tmp / "_read_counts"),
                                                    shard_name_template=""))


def quarantine_schema():
    import pyarrow as pa
    return pa.schema([("_source", pa.string()), ("_source_key", pa.string()),
                      ("_offset", pa.int64()), ("stage", pa.string()),
                      ("reason", pa.string()), ("message", pa.string()),
                      ("request", pa.string()), ("_run_id", pa.string())])


def findings_schema():
    import pyarrow as pa
    return pa.schema([(P.RECORD_ID, pa.string()), (P.SOURCE, pa.string()),
                      ("column", pa.string()), ("entity", pa.string()),
                      ("start", pa.int64()), ("end", pa.int64()), ("score", pa.float64()),
                      ("operator", pa.string()),
                      # keyed subject token of the value (privenance/subjects.py)
                      ("subject", pa.string())])


def write_outputs(tmp: Path, num_shards: int) -> None:
    """The workers' part files become the dataset, quarantine and findings Parquet.
    A run that keeps no record still writes one empty dataset file, so the dataset
    reads as an empty table (and validate and certify can say why they refuse it)."""
    import pyarrow.parquet as pq

    from pipelines.beam import column_types, dataset_schema, write_shards
    parts = tmp / PARTS_DIR
    types = column_types(parts / "dataset")
    schema = dataset_schema(types)
    write_shards(parts / "dataset", tmp / "dataset", [P.RECORD_ID], schema, num_shards)
    if not list((tmp / "dataset").glob("*.parquet")):
        (tmp / "dataset").mkdir(parents=True, exist_ok=True)
        pq.write_table(schema.empty_table(), str(tmp / "dataset" / f"part-00000-of-{num_shards:05d}.parquet"),
                       compression="zstd")
    write_shards(parts / "quarantine", tmp / "quarantine", ["_source", "_offset", "stage"],
                 quarantine_schema(), 1)
    write_shards(parts / "findings", tmp / "findings",
                 [P.RECORD_ID, "column", "start", "end", "entity", "score", "operator",
                  "subject"], findings_schema(), num_shards)
    shutil.rmtree(parts, ignore_errors=True)  # no parts at all when no rows were read


def _counts(directory: Path, columns: list[str]) -> list[dict]:
    """Each distinct combination of ``columns`` in the Parquet files, with its
    ``count_all``; counted by Arrow, so a million findings cost no Python objects."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    files = sorted(directory.glob("*.parquet")) if directory.exists() else []
    if not files:
        return []
    table = pa.concat_tables(pq.read_table(f, columns=columns) for f in files)
    return table.group_by(columns).aggregate([([], "count_all")]).to_pylist()


def output_files(tmp: Path) -> dict[str, list[dict]]:
    """Every Parquet file the run wrote, by output, with its hash and row count, so
    validate and certify can tell that they look at exactly what this run wrote."""
    import pyarrow.parquet as pq
    out = {}
    for name in ("dataset", "findings", "quarantine"):
        files = sorted((tmp / name).glob("*.parquet")) if (tmp / name).is_dir() else []
        out[name] = [{"path": f"{name}/{f.name}", "sha256": file_sha256(f),
                      "rows": pq.ParquetFile(f).metadata.num_rows} for f in files]
    return out


def summarize(tmp: Path, manifest: SourcesManifest, policy: Policy, run_id: str,
              as_of: dt.date, input_hashes: dict, policy_path: str, beam_args: list[str],
              requests: Requests) -> dict:
    """Count rows per source in every output and check read = written + quarantined."""
    read = {s.id: 0 for s in manifest.sources}
    for line in (tmp / "_read_counts").read_text().splitlines():
        entry = json.loads(line)
        read[entry["source"]] = entry["read"]
    (tmp / "_read_counts").unlink()
    written, quarantined, reasons = Counter(), Counter(), Counter()
    for r in _counts(tmp / "dataset", [P.SOURCE]):
        written[r[P.SOURCE]] += r["count_all"]
    by_source_reason = defaultdict(Counter)
    removed_by_request = Counter()
    for r in _counts(tmp / "quarantine", ["_source", "reason", "request"]):
        n = r["count_all"]
        quarantined[r["_source"]] += n
        reasons[r["reason"]] += n
        by_source_reason[r["_source"]][r["reason"]] += n
        if r["request"]:
            removed_by_request[r["request"]] += n
    pii = defaultdict(Counter)
    for r in _counts(tmp / "findings", ["entity", "operator"]):
        pii[r["entity"]][r["operator"]] += r["count_all"]
    counts = {s.id: {"read": read[s.id], "written": written[s.id],
                     "quarantined": quarantined[s.id],
                     "quarantine_reasons": dict(sorted(by_source_reason[s.id].items()))}
              for s in manifest.sources}
    from pipelines.steps import output_columns
    made_by = produced_by(policy)
    return {
        "run_id": run_id,
        "as_of": as_of.isoformat(),
        "code_version": made_by["code"]["version"],
        **made_by,
        # how it ran; the only part that may differ between runs of the same inputs
        "execution": {"runner": next((a.split("=", 1)[1] for a in beam_args
                                      if a.startswith("--runner=")), "DirectRunner"),
                      "beam_args": [a for a in beam_args if "key" not in a.lower()]},
        "policy": {"name": policy.name, "sha256": policy.sha256, "path": policy_path,
                   "sector": policy.sector},
        "purpose": policy.purpose.model_dump(),
        "sources": [{"id": s.id, "path": s.path, "format": s.format,
                     "sha256": input_hashes[s.id], "licence": s.licence,
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
        "operators": {e: policy.rule_for(e).operator
                      for e in policy.anonymization.detected_entities()},
        # data-subject requests honoured by this run, and the records each removed
        "requests": [{**r, "records_removed": removed_by_request[r["request"]]}
                     for r in requests.all()],
    }


def check_accounting(summary: dict) -> None:
    broken = [sid for sid, c in summary["counts"].items()
              if c["read"] != c["written"] + c["quarantined"]]
    if broken:
        raise RunFailed("accounting failed: rows read != rows written + quarantined for "
                        + ", ".join(broken))


def run(manifest: SourcesManifest, policy: Policy, out: Path, key: Secret, as_of: dt.date,
        beam_args: list[str] = (), num_shards: int = DEFAULT_SHARDS,
        policy_path: str = "", requests_dir: Path | None = None,
        log=lambda msg: print(msg, file=sys.stderr), warm: WarmWorkers | None = None) -> dict:
    """Run the pipeline; returns the run summary (also written to ``<out>/run.json``),
    whose ``status`` is "failed" (with the ``failures``) when more records were
    quarantined than the policy allows. ``requests_dir`` holds the data-subject requests to honour (privenance/subjects.py).
    ``warm`` forks the workers of a multi-processing run (pipelines/warm_workers.py)."""
    beam_args = list(beam_args)
    if warm is None:  # called as a library: the CLI starts it earlier, before it reads the policy
        with WarmWorkers(enabled=uses_worker_processes(beam_args)) as warm:
            return run(manifest, policy, out, key, as_of, beam_args, num_shards, policy_path,
                       requests_dir, log, warm)
    warm.load(policy, key)
    _BEAM_NOISE.install()
    requests = load_requests(requests_dir)
    input_hashes = {s.id: file_sha256(s.path) for s in manifest.sources}
    run_id = make_run_id(policy, manifest, input_hashes, as_of, key, requests)
    out = Path(out)
    tmp = temp_dir_for(out)
    log(f"run {run_id}: {len(manifest.sources)} sources, policy {policy.name} "
        f"({policy.sha256[:12]}), as of {as_of}")
    from pipelines.progress import ProgressDisplay
    with ProgressDisplay(tmp / PROGRESS_DIR, manifest.sources, log):
        build_and_run(manifest, policy, tmp, key, as_of, run_id, requests, beam_args, num_shards,
                      warm.command)
    if warm.enabled:
        log(f"{warm.forked} workers were forked from a warm parent (engines loaded once)"
            if warm.forked else "workers started the ordinary way (no warm parent)")
        warm.close()  # its memory is not needed for the writing
    shutil.rmtree(tmp / PROGRESS_DIR, ignore_errors=True)
    write_outputs(tmp, num_shards)
    summary = summarize(tmp, manifest, policy, run_id, as_of, input_hashes, policy_path,
                        beam_args, requests)
    check_accounting(summary)  # broken accounting: nothing is published at all
    summary["outputs"] = output_files(tmp)
    # a failed run is still published, for its quarantine to be inspected, but marked
    # so: validate and certify refuse it
    summary["failures"] = quarantine_failures(summary, policy)
    summary["status"] = "failed" if summary["failures"] else "succeeded"
    (tmp / RUN_FILE).write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    swap_in(tmp, out)
    return summary
