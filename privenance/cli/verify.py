"""privenance verify: check a certified dataset against its certificate."""
from __future__ import annotations

from pathlib import Path

import typer


def verify_command(
    path: str = typer.Argument(..., help="Folder (or URI) holding certificate.json and the "
                               "Parquet files."),
    public_key: str = typer.Option(None, help="Trusted Ed25519 public key (hex, or a file of hex)."),
    policy: Path = typer.Option(None, help="Also require the certificate's policy hash to match this policy."),
):
    """Recompute every hash and check the signature (and optionally the policy hash).

    Exit 0 when everything matches; exit 3 with what does not match otherwise.

    Example: privenance verify data/certified/demo --public-key keys/signing.pub
    """
    from lineage.certificate import trusted_public_key, verify
    from privenance import storage
    from privenance.policy import load_policy
    with storage.local_folder(path) as folder:
        cert = verify(folder, trusted_public_key(public_key),
                      load_policy(policy) if policy else None)
    typer.echo(f"OK: {cert['dataset']} {cert['version']}: {cert['output']['rows']} rows in "
               f"{len(cert['output']['files'])} files, signature and hashes match")
