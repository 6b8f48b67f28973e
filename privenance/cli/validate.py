"""privenance validate: the Great Expectations suites on the staged dataset."""
from __future__ import annotations

import json
from pathlib import Path

import typer


def validate_command(
    dataset: Path = typer.Option(Path("data/staged/dataset"), help="Staged Parquet directory."),
    run_info: Path = typer.Option(Path("data/staged/run.json"), help="run.json of that run."),
    policy: Path = typer.Option(Path("policies/default.yaml"), help="Policy (YAML)."),
    out: Path = typer.Option(Path("data/validation"), help="Where summary.json and Data Docs go."),
    as_of: str = typer.Option(None, help="Date for retention checks; default the run's date."),
    requests: Path = typer.Option(Path("data/requests"),
                                  help="Data-subject requests the run had to honour."),
):
    """Run one suite per Data Protection Principle, plus licence and k-anonymity.

    Exit 1 when a blocking suite fails, so `dvc repro` stops before certification.

    Example: privenance validate --dataset data/staged/dataset --out data/validation
    """
    from expectations import validate
    from privenance.policy import load_policy
    from privenance.subjects import load_requests
    pol = load_policy(policy)
    run = json.loads(run_info.read_text())
    summary = validate(dataset, pol, run, out_dir=out, as_of=as_of,
                       requests=load_requests(requests))
    for name, r in summary["suites"].items():
        mark = "pass" if r["success"] else ("FAIL" if r["blocking"] else "warn")
        detail = f"  ({', '.join(r['failed_expectations'])})" if r["failed_expectations"] else ""
        typer.echo(f"{mark:<5} {name}{detail}")
    typer.echo(f"Data Docs: {out / 'data_docs' / 'index.html'}")
    if not summary["success"]:
        raise typer.Exit(1)
