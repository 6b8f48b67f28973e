"""privenance report: the privacy officer's lineage report."""
from __future__ import annotations

from pathlib import Path

import typer


def report_command(
    name: str = typer.Option("demo", help="Dataset name."),
    data: Path = typer.Option(Path("data"), help="Data directory (staged, validation, certified)."),
    out: Path = typer.Option(Path("data/reports"), help="Where report.html and report.json go."),
):
    """Write one self-contained HTML report and its JSON twin. No raw personal data.

    Example: privenance report --name demo
    """
    from lineage.report import write_report
    html_path = write_report(name, data, out)
    typer.echo(f"report: {html_path}")
