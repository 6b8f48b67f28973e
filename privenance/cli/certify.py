"""privenance certify: sign a validated staged dataset (see lineage/certificate.py)."""
from __future__ import annotations

from pathlib import Path

import typer


def certify_command(
    name: str = typer.Option("demo", help="Dataset name."),
    staged: Path = typer.Option(Path("data/staged"), help="Output of `privenance run`."),
    validation: Path = typer.Option(Path("data/validation"), help="Output of `privenance validate`."),
    policy: Path = typer.Option(Path("policies/default.yaml"), help="Policy (YAML)."),
    out: Path = typer.Option(Path("data/certified"), help="Certified datasets root."),
    approvals: Path = typer.Option(Path("data/approvals.jsonl"), help="Approvals log from `privenance approve`."),
    subjects: Path = typer.Option(Path("data/subjects"),
                                  help="Where each version's subject index is kept."),
):
    """Certify a staged dataset: copy its Parquet files and write a signed certificate.

    Refuses (exit 1) unless every blocking validation suite passed and every approval
    the policy requires is recorded for this run.

    Example: privenance certify --name demo
    """
    from lineage.certificate import certify
    from privenance.keys import signing_seed
    from privenance.offline import go_offline
    from privenance.policy import load_policy
    go_offline()
    cert = certify(name, staged, validation, load_policy(policy), out, signing_seed(),
                   approvals_file=approvals, subjects_root=subjects)
    typer.echo(f"certified {name} version {cert['version']}: {cert['output']['rows']} rows, "
               f"{len(cert['output']['files'])} files -> {out / name}")
