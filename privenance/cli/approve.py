"""privenance approve: record a human sign-off for the current staged run."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer


def approve_command(
    by: str = typer.Option(..., help="Who approves (name or staff id)."),
    role: str = typer.Option(..., help="Role, as listed in the policy's approvals.required."),
    note: str = typer.Option("", help="What was reviewed, any conditions."),
    staged: Path = typer.Option(Path("data/staged"), help="The staged run being approved."),
    approvals: Path = typer.Option(Path("data/approvals.jsonl"), help="Approvals log (append-only)."),
):
    """Record an approval of the staged run (its run id), for `privenance certify`.

    Example: privenance approve --by "Mary Chan" --role privacy-officer --note "reviewed report"
    """
    run = json.loads((staged / "run.json").read_text())
    entry = {"run_id": run["run_id"], "by": by, "role": role, "note": note,
             "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    approvals.parent.mkdir(parents=True, exist_ok=True)
    with approvals.open("a", encoding="utf-8") as f:
        f.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
    typer.echo(f"approved run {run['run_id']} as {role}")
