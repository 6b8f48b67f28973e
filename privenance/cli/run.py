"""privenance run: the Beam pipeline from sources to staged Parquet."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from privenance.files import DEFAULT_SHARDS, ROWS_PER_FILE


def run_command(
    ctx: typer.Context,
    sources: Path = typer.Option(Path("data/sources.yaml"), help="Sources manifest (YAML)."),
    policy: Path = typer.Option(Path("policies/default.yaml"), help="Policy (YAML)."),
    out: str = typer.Option("data/staged", help="Output folder: a local path or a URI "
                            "(s3://bucket/staged, gs://...)."),
    as_of: str = typer.Option(None, help="Date for retention checks (YYYY-MM-DD); default today."),
    shards: int = typer.Option(DEFAULT_SHARDS, min=1, help="Parquet files per output, at "
                               "least (more when an output has more than --rows-per-file "
                               "rows)."),
    rows_per_file: int = typer.Option(ROWS_PER_FILE, min=1, help="Records read per Parquet "
                                      "file, at most: bounds each writer's memory."),
    requests: Path = typer.Option(Path("data/requests"), help="Data-subject requests to honour "
                                  "(privenance subject erase / withdraw write them)."),
):
    """Validate, gate, anonymize and tag every record; write Parquet and a quarantine.

    Extra arguments after the options go to Beam, for example:

      privenance run --sources data/sources.yaml --out data/staged

      privenance run -- --direct_num_workers=2 --direct_running_mode=multi_processing

      privenance run -- --runner=PortableRunner --job_endpoint=embed

      privenance run --sources s3.yaml --out s3://bucket/staged -- --s3_endpoint_url=http://127.0.0.1:9000

    Sources and --out may be local paths or URIs of any filesystem Beam knows; S3 is
    configured by the AWS environment variables (AWS_ENDPOINT_URL for an
    S3-compatible server) or Beam's --s3_* options. The pseudonymization key never
    travels with the job: workers read it from the same environment variable or
    key file (which must be reachable from every worker).

    Exit code 0: success; 1: the run failed its accounting or quarantine limit;
    2: a configuration error (the file, line and field are named); 130: interrupted
    (Ctrl-C), nothing published.
    """
    from privenance.cli.summary import reason_lines
    from privenance.contracts import RunRecord
    from privenance.errors import Interrupted, RunFailed
    try:
        run = RunRecord.of(_run(ctx.args, sources, policy, out, as_of, shards, rows_per_file,
                                requests))
    except KeyboardInterrupt:  # before the pipeline started (it raises Interrupted itself)
        raise Interrupted(f"nothing was published to {out}") from None
    t = run.totals
    typer.echo(f"{'source':<24}{'read':>8}{'written':>9}{'quarantined':>13}")
    for sid, c in run.counts.items():
        typer.echo(f"{sid:<24}{c.read:>8}{c.written:>9}{c.quarantined:>13}")
    typer.echo(f"{'total':<24}{t.read:>8}{t.written:>9}{t.quarantined:>13}")
    for line in reason_lines(run.quarantine_reasons):
        typer.echo(line)
    for sid in run.sources_without_output:
        read = run.counts[sid].read
        what = f"all {read} rows were quarantined" if read else "no rows were read"
        typer.echo(f"  warning: source {sid} gave no records to the dataset: {what}")
    for r in run.requests:
        typer.echo(f"  {r['kind']} request {r['request']} (received {r['received']}): "
                   f"{r['records_removed']} records removed")
    for line in _encoding_advice(sources, run):
        typer.echo(f"  hint: {line}")
    pii = sum(sum(ops.values()) for ops in run.pii.values())
    typer.echo(f"PII findings treated: {pii}; output in {out}/")
    if not run.succeeded:
        raise RunFailed("; ".join(run.failures) + f" (see {out}/quarantine/); "
                        "this run cannot be validated or certified")


def _encoding_advice(sources: Path, run) -> list[str]:
    """For sources with many unreadable rows: the encoding their bytes look like."""
    from pipelines.preflight.source_profile import encoding_advice
    from privenance.sources import load_sources
    counts = run.counts
    if not any(c.quarantine_reasons.get("MALFORMED") for c in counts.values()):
        return []
    advice = [encoding_advice(s, counts[s.id].quarantine_reasons.get("MALFORMED", 0),
                              counts[s.id].read) for s in load_sources(sources).sources]
    return [a for a in advice if a]


def _run(beam_args, sources, policy, out, as_of, shards, rows_per_file, requests) -> dict:
    from pipelines.preflight.declarations import check_declarations
    from privenance.errors import ConfigError
    from privenance.offline import go_offline
    from privenance.policy import load_policy
    from privenance.sources import load_sources
    go_offline()
    from pipelines.run.options import REDACT_BEAM_ARGS
    REDACT_BEAM_ARGS.install()  # before Beam first parses them (and may quote them)
    if any(a.startswith("--s3_") for a in beam_args):  # the run's S3 options, for listing too
        from privenance import storage
        storage.configure(beam_args)
    pol = load_policy(policy)
    manifest = load_sources(sources)
    check_declarations(manifest, pol)
    try:
        as_of_date = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        raise ConfigError("--as-of must be a date like 2026-01-31", field="--as-of") from None
    from privenance.process import loading_for_good
    with loading_for_good():  # Beam's import (0.8 s): objects kept to the process's end
        from pipelines.run.driver import run
        from pipelines.run.options import RunOptions
        from privenance.keyref import KeyRef
    # where the key is, never its bytes: the workers read it themselves
    return run(RunOptions(manifest, pol, out, KeyRef.configured(), as_of_date,
                          beam_args=tuple(beam_args), num_shards=shards,
                          rows_per_file=rows_per_file, policy_path=str(policy),
                          requests_dir=requests))
