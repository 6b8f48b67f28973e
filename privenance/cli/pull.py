"""privenance pull: fetch a certified dataset at a revision and verify it."""
from __future__ import annotations

import typer


def pull_command(
    name: str = typer.Argument(..., help="Dataset name (data/certified/<name> in the repo)."),
    repo: str = typer.Option(..., help="Git URL or path of the data repository."),
    rev: str = typer.Option(None, help="Git revision (tag, branch, commit); default HEAD."),
    to: str = typer.Option("datasets", help="Directory (or URI) to place <name>/ in."),
    public_key: str = typer.Option(None, help="Trusted Ed25519 public key (hex or file); "
                                   "default $PRIVENANCE_SIGNING_PUBLIC_KEY, then "
                                   "keys/signing.pub, then this machine's signing key."),
    trust_demo_key: bool = typer.Option(False, "--trust-demo-key",
                                        help="With no other key, trust this machine's DEMO "
                                             "signing key (the demo only; warns)."),
):
    """Fetch with DVC, verify the certificate, its signed approvals and the hashes, refuse
    a version revoked on the repository's default branch (whatever REV is), and only
    then keep the files. A folder holding another dataset's certificate, or any file,
    subfolder or link the certificate does not list, is refused. Prints the key it
    trusted, with its fingerprint.

    Example: privenance pull demo --repo ../data-repo --rev v1 --to datasets --public-key keys/signing.pub

    With --to s3://bucket/datasets the dataset is verified locally first, then uploaded
    to s3://bucket/datasets/<name>, its certificate last.
    """
    from lineage.verification import trust_line, trusted_key
    from lineage.pull import pull
    from privenance import storage
    from privenance.offline import go_offline
    go_offline()
    key, where = trusted_key(public_key, trust_demo_key)
    typer.echo(trust_line(key, where))
    cert = pull(name, repo, rev, to, key)
    typer.echo(f"pulled {name} {cert.version} ({cert.output.rows} rows) to "
               f"{storage.join(to, name)}: verified")
    encrypted = cert.encryption
    if encrypted:
        typer.echo(f"{len(encrypted['columns'])} column(s) are encrypted at rest (KMS "
                   f"{encrypted['kms']}): read them with privenance.load_certified and the "
                   "key (see README, Encryption at rest)")
