"""privenance revoke: a privacy officer's signed revocation of a certified version."""
from __future__ import annotations

from pathlib import Path

import typer


def revoke_command(
    name: str = typer.Option(..., help="Dataset name."),
    version: str = typer.Option(..., help="The certified version to revoke, e.g. "
                                          "2026-11-25.1a2b3c4d (`privenance subject erase` "
                                          "lists the versions that hold a person)."),
    reason: str = typer.Option(..., help="Request or incident id, e.g. DSR-2026-014 "
                                         "(never personal data)."),
    superseded_by: str = typer.Option(None, help="The version to use instead; default: the "
                                                 "one certified now in --certified, if another."),
    revocations: Path = typer.Option(Path("revocations"), help="Revocations folder (in git)."),
    certified: Path = typer.Option(Path("data/certified"), help="Certified datasets root."),
    approvers: Path = typer.Option(Path("keys/approvers.yaml"), help="The approvers list."),
    key_file: Path = typer.Option(None, help="Your privacy-officer private key; default "
                                             "$PRIVENANCE_APPROVER_KEY(_FILE), else "
                                             "~/.privenance/approver.key (where `keys "
                                             "init-approver` writes it)."),
):
    """Revoke a certified version: write revocations/NAME/VERSION.json, signed with your
    key (listed as privacy-officer in keys/approvers.yaml). Commit it to the default
    branch: from then on `verify`, `pull` and `load_certified` refuse that version,
    with the reason, even at an old revision.

    Example: privenance revoke --name demo --version 2026-11-25.1a2b3c4d --reason DSR-2026-014
    """
    from lineage.certificate import certificate_path
    from lineage.revocations import issue
    from privenance.approvers import load_approvers
    from privenance.contracts import Certificate
    from privenance.errors import VerificationFailed
    from privenance.keys import approver_seed
    if superseded_by is None:
        try:
            current = Certificate.load(certificate_path(certified / name)).version
        except VerificationFailed:  # none, or not a certificate
            current = None
        superseded_by = current if current != version else None
    path, _ = issue(revocations, name, version, reason, approver_seed(key_file),
                    load_approvers(approvers), superseded_by)
    typer.echo(f"revoked {name} {version} ({reason}): {path}; commit it to the default branch"
               + (f"; superseded by {superseded_by}" if superseded_by else ""))
