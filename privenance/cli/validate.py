"""privenance validate: the Great Expectations suites on the staged dataset."""
from __future__ import annotations

from pathlib import Path

import typer


def validate_command(
    dataset: Path = typer.Option(Path("data/staged/dataset"), help="Staged Parquet directory."),
    run_info: Path = typer.Option(Path("data/staged/run.json"), help="run.json of that run."),
    policy: Path = typer.Option(None, help="Policy (YAML); default: the one the run names."),
    out: Path = typer.Option(Path("data/validation"), help="Where summary.json and Data Docs go."),
    as_of: str = typer.Option(None, help="Date for retention checks; default the run's date."),
    requests: Path = typer.Option(Path("data/requests"),
                                  help="Data-subject requests the run had to honour."),
    allow_empty: bool = typer.Option(False, "--allow-empty",
                                     help="Validate a run that kept no records."),
):
    """Run one suite per Data Protection Principle, plus licence and k-anonymity.

    Refuses (exit 1) a run that failed, staged files that are not those the run
    wrote, and an empty dataset unless --allow-empty. The results name the run and
    the hash of every file checked, so `certify` accepts them for this content only.
    Exit 1 when a blocking suite fails, so `dvc repro` stops before certification.

    Example: privenance validate --dataset data/staged/dataset --out data/validation
    """
    from expectations import validate
    from privenance.errors import ConfigError
    from privenance.policy import load_policy
    from privenance.staged import (check_outputs, load_run, require_policy, require_rows,
                                   require_succeeded, run_sha256)
    from privenance.subjects import load_requests
    run = load_run(run_info)
    pol = load_policy(policy or run["policy"]["path"])
    require_succeeded(run)
    require_policy(run, pol)
    if dataset.resolve() != (run_info.parent / "dataset").resolve():
        raise ConfigError("--dataset must be the dataset folder beside --run-info "
                          f"({run_info.parent / 'dataset'})", field="--dataset")
    checked = check_outputs(run, run_info.parent)
    require_rows(run, allow_empty, "validate")
    bound_to = {"run_json_sha256": run_sha256(run_info), "checked_files": checked,
                "allow_empty": allow_empty}
    summary = validate(dataset, pol, run, out_dir=out, as_of=as_of,
                       requests=load_requests(requests), bound_to=bound_to)
    for name, r in summary["suites"].items():
        mark = "pass" if r["success"] else ("FAIL" if r["blocking"] else "warn")
        detail = f"  ({', '.join(r['failed_expectations'])})" if r["failed_expectations"] else ""
        typer.echo(f"{mark:<5} {name}{detail}")
    typer.echo(f"Data Docs: {out / 'data_docs' / 'index.html'}")
    if not summary["success"]:
        raise typer.Exit(1)
