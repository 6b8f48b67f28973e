"""privenance summary: what the last run did and where its outputs are, in a few lines."""
from __future__ import annotations

from pathlib import Path

import typer


def reason_lines(reasons: dict, indent: str = "  ") -> list[str]:
    """One line per quarantine reason, most frequent first: code, count, plain words."""
    from privenance.errors import explain
    return [f"{indent}quarantined {reason}: {n} ({explain(reason)})"
            for reason, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))]


def summary_command(root: Path = typer.Option(Path("data"), help="Data directory.")):
    """Print what the last run produced and where to look."""
    run = root / "staged" / "run.json"
    if not run.exists():
        typer.echo("no run yet: try `make run` or `dvc repro`")
        raise typer.Exit(1)
    from privenance.contracts import Certificate, RunRecord
    info = RunRecord.load(run)
    t = info.totals
    typer.echo(f"run {info.run_id}: {t.read} read, {t.written} written, "
               f"{t.quarantined} quarantined" + ("" if info.status != "failed"
                                                 else " (FAILED: cannot be certified)"))
    for line in reason_lines(info.quarantine_reasons):
        typer.echo(line)
    # reports/<dataset>/ is where `dvc repro` writes them, reports/ where `report` does
    reports = [(p, "lineage report") for p in [root / "reports" / "report.html",
                                               *sorted((root / "reports").glob("*/report.html"))]]
    for path, what in [(root / "validation" / "summary.json", "validation results"),
                       (root / "validation" / "data_docs" / "index.html", "Data Docs"),
                       *reports]:
        if path.exists():
            typer.echo(f"{what}: {path}")
    from lineage.certificate import certificate_path
    for cert in sorted(certificate_path(d) for d in (root / "certified").glob("*/")
                       if certificate_path(d).exists()):
        c = Certificate.load(cert)
        typer.echo(f"certified: {cert.parent} (version {c.version}, status {c.status})")
