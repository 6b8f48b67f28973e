"""privenance check: a dry run on a sample before a long job."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer


def check_command(
    sources: Path = typer.Option(Path("data/sources.yaml"), help="Sources manifest (YAML)."),
    policy: Path = typer.Option(Path("policies/default.yaml"), help="Policy (YAML)."),
    sample: int = typer.Option(1000, min=1, help="Records read per source."),
    as_of: str = typer.Option(None, help="Date for retention checks (YYYY-MM-DD); default today."),
    requests: Path = typer.Option(Path("data/requests"), help="Data-subject requests to honour."),
    scan: bool = typer.Option(True, "--scan/--no-scan", help="Scan undeclared columns for "
                              "personal data with the recognizers (a few seconds to load)."),
):
    """Dry-run the policy gates on the first records of each source, without Beam.

    Reports declared columns the data lacks, unknown entities, invalid licences,
    placeholders left by `privenance init`, records that would be quarantined and why
    (licence, consent, purpose, retention, unreadable rows), attribution a licence
    requires, and undeclared columns that look like personal data. No value is printed.

    Exit code 0: nothing blocking; 1: the run would fail or quarantine more than the
    policy's quarantine.max_share, or another problem was found; 2: a configuration
    error.

    Examples:

      privenance check --sources data/sources.yaml --policy policies/acme.yaml

      privenance check --sample 200 --no-scan --as-of 2026-01-31
    """
    from pipelines.preflight.dryrun import check
    from privenance.cli.summary import reason_lines
    from privenance.errors import ConfigError
    from privenance.offline import go_offline
    from privenance.policy import load_policy
    from privenance.sources import load_sources
    from privenance.subject_tokens import load_requests
    go_offline()
    pol = load_policy(policy)
    manifest = load_sources(sources)
    try:
        day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        raise ConfigError("--as-of must be a date like 2026-01-31", field="--as-of") from None
    scanner = None
    if scan:
        from pipelines.preflight.source_profile import Scanner
        scanner = Scanner(pol)
    report = check(manifest, pol, sample, day, load_requests(requests).withdrawn_refs, scanner)
    typer.echo(f"{'source':<24}{'sampled':>8}{'pass':>8}{'quarantined':>13}{'share':>7}")
    for s in report.sources:
        share = s.quarantined / s.sampled if s.sampled else 0.0
        typer.echo(f"{s.id:<24}{s.sampled:>8}{s.sampled - s.quarantined:>8}"
                   f"{s.quarantined:>13}{share:>7.0%}")
        for line in reason_lines(s.reasons, indent="  would be "):
            typer.echo(line)
    for e in report.config_errors:
        typer.echo(f"error: {e}", err=True)
    for p in report.problems:
        typer.echo(f"problem: {p}")
    for n in report.notes:
        typer.echo(f"note: {n}")
    verdict = {0: "nothing blocking", 1: "problems found",
               2: "configuration errors: fix them first"}[report.exit_code]
    typer.echo(f"check: {verdict} (sample of up to {sample} records per source; quarantined "
               f"{report.share:.0%}, the policy allows {pol.quarantine.max_share:.0%})")
    if report.exit_code:
        raise typer.Exit(report.exit_code)
