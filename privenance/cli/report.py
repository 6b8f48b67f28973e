"""privenance report: the privacy officer's lineage report."""
from __future__ import annotations

from pathlib import Path

import typer


def report_command(
    name: str = typer.Option(None, help="Dataset name; default: the one certified from the "
                                        "staged run (or the only one certified)."),
    data: str = typer.Option("data", help="Data directory (staged, validation, certified): "
                                           "a folder or URI."),
    out: str = typer.Option("data/reports", help="Where report.html and report.json go "
                                                 "(a folder or URI)."),
):
    """Write one self-contained HTML report and its JSON twin. No raw personal data.

    Examples: privenance report --name demo; privenance report (the dataset certified
    from the staged run)

    On an object store: privenance report --data s3://bucket --out s3://bucket/reports
    (reads s3://bucket/staged, validation and certified; the Parquet files only for the
    schema and two date columns)
    """
    from lineage.report import write_report
    from privenance import storage
    from privenance.errors import ConfigError
    if not storage.exists(storage.join(data, "staged", "run.json")):
        raise ConfigError(f"no staged/run.json under {data}: run `privenance run` first, or "
                          "give --data the folder (or URI) holding staged/", field="--data")
    name = name or certified_name(data)
    html_path = write_report(name, data, out)
    typer.echo(f"report: {html_path}")
    signing = storage.read_json(storage.join(out, "report.json")).get("signing") or {}
    if signing.get("kind") == "demo":
        typer.echo("WARNING: the certificate was signed by this machine's DEMO key: it proves "
                   "nothing to anyone else (the report says so at the top)", err=True)
    elif signing.get("kind") in ("not-team", "no-team-key"):
        typer.echo(f"WARNING: the certificate was not signed by a team key "
                   f"({signing.get('fingerprint')}); see the report's signing section", err=True)


def certified_name(data: str | Path) -> str:
    """The dataset certified from the staged run, else the only certified dataset."""
    from lineage.certificate import certificate_location
    from privenance import storage
    from privenance.contracts import Certificate, RunRecord
    from privenance.errors import ConfigError
    root = storage.join(data, "certified")
    certs = {}
    for name in _folders(root):
        cert = certificate_location(storage.join(root, name))
        if storage.exists(cert):
            certs[name] = Certificate.load(cert)
    run = storage.join(data, "staged", "run.json")
    run_id = RunRecord.load(run).run_id if storage.exists(run) else None
    names = [n for n, c in certs.items() if run_id and c.run_id == run_id] or list(certs)
    if len(names) == 1:
        return names[0]
    raise ConfigError("name the dataset: " + (f"{root} holds {', '.join(names)}"
                                              if names else "nothing is certified yet"),
                      field="--name")


def _folders(root: str) -> list[str]:
    """The names of the folders directly in a folder or under a URI prefix, sorted."""
    from privenance import storage
    if not storage.is_uri(root):
        return [p.name for p in sorted(Path(root).glob("*/"))]
    base = root.rstrip("/") + "/"
    return sorted({f[len(base):].split("/")[0] for f in storage.list_files(root, hidden=True)
                   if "/" in f[len(base):]})
