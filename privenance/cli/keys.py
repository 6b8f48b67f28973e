"""privenance keys: the team's certificate signing key pair.

The private key goes to a key file (mode 0600, never printed, never in the repo);
the public key goes to keys/signing.pub, which the team commits so that `privenance
verify` and `privenance pull` trust it by default.
"""
from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Signing keys: create the Ed25519 key pair that signs certificates.",
                  no_args_is_help=True)


@app.command("init")
def init_command(
    key_file: Path = typer.Option(Path(".privenance/signing.key"),
                                  help="Where the private key (hex seed) is written, mode 0600."),
    public_key: Path = typer.Option(Path("keys/signing.pub"),
                                    help="Where the public key (hex) is written, to commit."),
    force: bool = typer.Option(False, "--force",
                               help="Replace an existing key file (earlier certificates then "
                                    "no longer verify with the new public key)."),
):
    """Generate an Ed25519 signing key into KEY_FILE and write its public key.

    Example: privenance keys init --key-file ~/secrets/privenance-signing.key
    """
    import os

    from lineage.certificate import public_key_hex
    from privenance.errors import ConfigError
    from privenance.keys import SIGNING_ENV, Secret
    if key_file.exists() and not force:
        raise ConfigError("key file exists; pass --force to replace it", file=str(key_file))
    seed = Secret(os.urandom(32), f"file:{key_file}")
    key_file.parent.mkdir(parents=True, exist_ok=True)
    # created with 0600 from the start (no window with wider permissions), then moved
    # into place so an interrupted run never leaves a half-written key
    tmp = key_file.with_name(key_file.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(seed.reveal().hex() + "\n")
    os.replace(tmp, key_file)
    public = public_key_hex(seed)
    public_key.parent.mkdir(parents=True, exist_ok=True)
    public_key.write_text(public + "\n", encoding="ascii")
    typer.echo(f"private key: {key_file} (mode 0600; keep it out of the repository)")
    typer.echo(f"public key:  {public_key} ({public}); commit it")
    typer.echo(f"sign with it: export {SIGNING_ENV}_FILE={key_file}")
