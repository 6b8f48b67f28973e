"""privenance certify: sign a validated staged dataset (see lineage/certificate.py)."""
from __future__ import annotations

from pathlib import Path

import typer


def certify_command(
    name: str = typer.Option(None, help="Dataset name; default: the name of the run's policy."),
    staged: str = typer.Option("data/staged", help="Output of `privenance run` (folder or URI)."),
    validation: str = typer.Option("data/validation", help="Output of `privenance validate` "
                                   "(folder or URI)."),
    policy: Path = typer.Option(None, help="Policy (YAML); default: the one the run names."),
    out: str = typer.Option("data/certified", help="Certified datasets root (folder or URI)."),
    approvals: Path = typer.Option(Path("data/approvals.jsonl"), help="Approvals log from `privenance approve`."),
    subjects: str = typer.Option("data/subjects",
                                 help="Where each version's subject index is kept (folder or URI)."),
    allow_empty: bool = typer.Option(False, "--allow-empty",
                                     help="Certify a run that kept no records."),
    approvers: Path = typer.Option(Path("keys/approvers.yaml"),
                                   help="Approvers list (ids, roles, public keys) the "
                                        "approvals' signatures are checked against."),
    reviews: Path = typer.Option(Path("data/reviews"), help="Review verdicts from `privenance "
                                 "review` (<run id>/), required when the policy has a review "
                                 "section."),
):
    """Certify a staged dataset: copy its Parquet files and write a signed certificate.

    Refuses (exit 1) a run that failed or quarantined more than the policy allows,
    staged files that differ from what the run wrote, validation results of any other
    run or files, a failed blocking suite, and missing or void approvals (an approval
    is of one run's exact content, policy, code and engines, signed by a key the
    approvers list names for its role, each role by a different person unless the
    policy allows otherwise). An empty dataset is refused unless --allow-empty. When the
    policy has a review section, a run with no review, an incomplete one, one signed by
    a key not listed as reviewer, one of other content or one whose leak bound exceeds
    max_leak_rate is refused (see `privenance review`).

    Example: privenance certify --name demo
    """
    from lineage.certificate import certify
    from privenance import storage
    from privenance.contracts import Certificate
    from privenance.keys import signing_seed
    from privenance.offline import go_offline
    from privenance.policy import load_policy
    from privenance.staged import RUN_FILE, load_run
    go_offline()
    with storage.local_folder(staged) as staged_dir, \
            storage.local_folder(validation) as validation_dir, \
            storage.publish_folder(out) as out_dir, \
            storage.synced_folder(subjects) as subjects_dir:
        policy = load_policy(policy or load_run(staged_dir / RUN_FILE).policy.path)
        name = name or policy.name
        cert = certify(name, staged_dir, validation_dir, policy, out_dir, signing_seed(),
                       approvals_file=approvals, subjects_root=subjects_dir,
                       allow_empty=allow_empty, approvers_file=approvers,
                       reviews_root=reviews)
    cert = Certificate.of(cert)
    typer.echo(f"certified {name} version {cert.version}: {cert.output.rows} rows, "
               f"{len(cert.output.files)} files -> {storage.join(out, name)}")
