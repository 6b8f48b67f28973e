"""privenance approve: sign off the current staged run with your own key."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer

APPROVAL_SCHEMA = "privenance.approval/1"


def approve_command(
    role: str = typer.Option(..., help="Role, as listed in the policy's approvals.required."),
    note: str = typer.Option("", help="What was reviewed, any conditions (no personal data)."),
    staged: Path = typer.Option(Path("data/staged"), help="The staged run being approved."),
    policy: Path = typer.Option(None, help="Policy (YAML); default: the one the run names."),
    approvals: Path = typer.Option(Path("data/approvals.jsonl"), help="Approvals log (append-only)."),
    approvers: Path = typer.Option(Path("keys/approvers.yaml"),
                                   help="The approvers list: ids, roles, public keys."),
    key_file: Path = typer.Option(None, help="Your approver private key; default "
                                             "$PRIVENANCE_APPROVER_KEY(_FILE), else "
                                             "~/.privenance/approver.key (where `keys "
                                             "init-approver` writes it)."),
):
    """Sign an approval of the staged run, for `privenance certify`.

    The approval is of exactly this content: the run id, the dataset's hash, the
    policy's hash and the code and engine versions, signed with your Ed25519 key,
    which keys/approvers.yaml must list for the role. It is void when any of them
    changes. The role must be one the policy requires.

    Example: privenance approve --role privacy-officer --note "reviewed report"
    (signs with ~/.privenance/approver.key unless --key-file or
    $PRIVENANCE_APPROVER_KEY(_FILE) names another key)
    """
    from privenance.approvers import load_approvers, signed, signer
    from privenance.errors import ConfigError
    from privenance.keys import approver_seed
    from privenance.policy import load_policy
    from privenance.staged import (RUN_FILE, binding, check_outputs, load_run, require_policy,
                                   require_succeeded)
    run = load_run(staged / RUN_FILE)
    require_succeeded(run)
    pol = load_policy(policy or run.policy.path)
    require_policy(run, pol)
    roles = pol.approvals.required
    if role not in roles:
        raise ConfigError(f"role {role!r} is not one the policy requires; its roles are: "
                          f"{', '.join(roles) or '(none: this policy needs no approval)'}",
                          field="--role")
    seed = approver_seed(key_file)
    me = signer(seed, load_approvers(approvers), role)
    check_outputs(run, staged, ("dataset",))  # approve what is on disk, unchanged
    entry = signed({"schema": APPROVAL_SCHEMA, "run_id": run.run_id, "approver": me.id,
                    "by": me.name, "role": role, "note": note,
                    "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                    "binding": binding(run)}, seed)
    approvals.parent.mkdir(parents=True, exist_ok=True)
    with approvals.open("a", encoding="utf-8") as f:
        f.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
    typer.echo(f"approved run {run.run_id} (dataset {entry['binding']['dataset_sha256'][:12]}) "
               f"as {role}: signed by {me.id}")
