"""privenance report: the privacy officer's lineage report."""
from __future__ import annotations

from pathlib import Path

import typer


def report_command(
    name: str = typer.Option(None, help="Dataset name; default: the one certified from the "
                                        "staged run (or the only one certified)."),
    data: Path = typer.Option(Path("data"), help="Data directory (staged, validation, certified)."),
    out: Path = typer.Option(Path("data/reports"), help="Where report.html and report.json go."),
):
    """Write one self-contained HTML report and its JSON twin. No raw personal data.

    Examples: privenance report --name demo; privenance report (the dataset certified
    from the staged run)
    """
    import json

    from lineage.report import write_report
    name = name or certified_name(data)
    html_path = write_report(name, data, out)
    typer.echo(f"report: {html_path}")
    signing = json.loads((out / "report.json").read_text()).get("signing") or {}
    if signing.get("kind") == "demo":
        typer.echo("WARNING: the certificate was signed by this machine's DEMO key: it proves "
                   "nothing to anyone else (the report says so at the top)", err=True)
    elif signing.get("kind") in ("not-team", "no-team-key"):
        typer.echo(f"WARNING: the certificate was not signed by a team key "
                   f"({signing.get('fingerprint')}); see the report's signing section", err=True)


def certified_name(data: Path) -> str:
    """The dataset certified from the staged run, else the only certified dataset."""
    import json

    from lineage.certificate import certificate_path
    from privenance.errors import ConfigError
    certs = {p.parent.name: json.loads(p.read_text(encoding="utf-8"))
             for p in map(certificate_path, sorted((data / "certified").glob("*/")))
             if p.is_file()}
    run = data / "staged" / "run.json"
    run_id = json.loads(run.read_text(encoding="utf-8")).get("run_id") if run.is_file() else None
    names = [n for n, c in certs.items() if run_id and c.get("run_id") == run_id] or list(certs)
    if len(names) == 1:
        return names[0]
    raise ConfigError("name the dataset: " + (f"{data / 'certified'} holds {', '.join(names)}"
                                              if names else "nothing is certified yet"),
                      field="--name")
