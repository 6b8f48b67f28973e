"""privenance validate: the Great Expectations suites on the staged dataset."""
from __future__ import annotations

from pathlib import Path

import typer


def validate_command(
    dataset: str = typer.Option("data/staged/dataset", help="Staged Parquet folder (or URI)."),
    run_info: str = typer.Option("data/staged/run.json", help="run.json of that run (or URI)."),
    policy: Path = typer.Option(None, help="Policy (YAML); default: the one the run names."),
    out: str = typer.Option("data/validation", help="Where summary.json and Data Docs go "
                            "(a folder or URI)."),
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

    On an object store: privenance validate --run-info s3://bucket/staged/run.json
    --dataset s3://bucket/staged/dataset --out s3://bucket/validation
    """
    from privenance import storage
    from privenance.errors import ConfigError
    staged = run_info.rsplit("/", 1)[0] if "/" in run_info else "."
    if storage.is_uri(run_info) or storage.is_uri(dataset):
        if dataset.rstrip("/") != f"{staged}/dataset":
            raise ConfigError(f"--dataset must be the dataset folder beside --run-info "
                              f"({staged}/dataset)", field="--dataset")
    with storage.local_folder(staged) as local, storage.publish_folder(out) as out_dir:
        if storage.is_uri(run_info):
            run_info, dataset = str(local / "run.json"), str(local / "dataset")
        _validate(Path(dataset), Path(run_info), policy, out_dir, as_of, requests, allow_empty)
    typer.echo(f"Data Docs: {storage.join(out, 'data_docs', 'index.html')}")


def _validate(dataset: Path, run_info: Path, policy, out: Path, as_of, requests,
              allow_empty: bool) -> None:
    from expectations import validate
    from privenance.contracts import ValidationSummary
    from privenance.errors import ConfigError
    from privenance.policy import load_policy
    from privenance.staged import (check_outputs, load_run, require_policy, require_rows,
                                   require_succeeded, run_sha256)
    from privenance.subject_tokens import load_requests
    run = load_run(run_info)
    pol = load_policy(policy or run.policy.path)
    require_succeeded(run)
    require_policy(run, pol)
    if dataset.resolve() != (run_info.parent / "dataset").resolve():
        raise ConfigError("--dataset must be the dataset folder beside --run-info "
                          f"({run_info.parent / 'dataset'})", field="--dataset")
    checked = check_outputs(run, run_info.parent)
    require_rows(run, allow_empty, "validate")
    bound_to = {"run_json_sha256": run_sha256(run_info), "checked_files": checked,
                "allow_empty": allow_empty}
    with _Progress() as progress:
        summary = validate(dataset, pol, run, out_dir=out, as_of=as_of,
                           requests=load_requests(requests), bound_to=bound_to,
                           progress=progress)
    summary = ValidationSummary.of(summary)
    for name, r in summary.suites.items():
        mark = "pass" if r.success else ("FAIL" if r.blocking else "warn")
        rows = r.failed_rows
        detail = ", ".join(e + (f": {rows[e]:,} rows" if e in rows else "")
                           for e in r.failed_expectations)
        detail = f"  ({detail})" if detail else ""
        typer.echo(f"{mark:<5} {name}{detail}")
    if not summary.success:
        raise typer.Exit(1)


class _Progress:
    """Validation's steps as ``run`` shows its own: a tqdm bar on a terminal, one
    line per step with the seconds so far otherwise (dvc repro, CI logs)."""

    def __enter__(self):
        import sys
        import time
        self.started, self.bar, self.err = time.monotonic(), None, sys.stderr
        return self

    def __call__(self, step: str, done: int, total: int) -> None:
        import time
        if self.err.isatty():
            if self.bar is None:
                from tqdm import tqdm
                self.bar = tqdm(total=total, desc="validate", unit=" steps", file=self.err,
                                dynamic_ncols=True)
            self.bar.set_postfix_str(step)
            self.bar.update(done - self.bar.n)
        else:
            print(f"validate: {step} ({done}/{total}, {time.monotonic() - self.started:.1f} s)",
                  file=self.err, flush=True)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()
