"""privenance keys: the team's signing key pair and the pseudonymization key.

Private keys go to key files (mode 0600, never printed, never in the repo) and are
recorded in the project key setting (.privenance/keys.json, git-ignored), so later
commands find them without an environment variable. The signing public key goes to
keys/signing.pub, which the team commits so that `privenance verify` and `privenance
pull` trust it by default, and `certify` refuses to sign with any other key.
"""
from __future__ import annotations

import os
from pathlib import Path

import typer

app = typer.Typer(help="Keys: create the signing key pair and the pseudonymization key, "
                       "or point the project at existing key files.",
                  no_args_is_help=True)


def _write_new_key(key_file: Path, force: bool, why_not_replace: str) -> bytes:
    """32 random bytes written as hex to ``key_file``; refuses to replace one without force."""
    from privenance.errors import ConfigError
    if key_file.exists() and not force:
        raise ConfigError(f"key file exists; pass --force to replace it ({why_not_replace})",
                          file=str(key_file))
    value = os.urandom(32)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    # created with 0600 from the start (no window with wider permissions), then moved
    # into place so an interrupted run never leaves a half-written key
    tmp = key_file.with_name(key_file.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(value.hex() + "\n")
    os.replace(tmp, key_file)
    return value


def _record(env: str, key_file: Path) -> None:
    from privenance.keys import record_setting
    settings = record_setting(env, key_file)
    typer.echo(f"recorded in {settings}: later commands use this key")
    overriding = [name for name in (env, env + "_FILE") if os.environ.get(name)]
    if overriding:
        typer.echo(f"note: ${overriding[0]} is set and takes precedence over {settings}")


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
    """Generate an Ed25519 signing key into KEY_FILE, write its public key and record
    KEY_FILE in the project key setting (.privenance/keys.json).

    Example: privenance keys init --key-file ~/secrets/privenance-signing.key
    """
    from privenance.keys import SIGNING_ENV, Secret, seed_public_hex
    seed = Secret(_write_new_key(key_file, force, "certificates signed with the old key "
                                                  "would no longer verify"), f"file:{key_file}")
    public = seed_public_hex(seed)
    public_key.parent.mkdir(parents=True, exist_ok=True)
    public_key.write_text(public + "\n", encoding="ascii")
    typer.echo(f"private key: {key_file} (mode 0600; keep it out of the repository)")
    typer.echo(f"public key:  {public_key} ({public}); commit it")
    _record(SIGNING_ENV, key_file)


@app.command("init-pseudonym")
def init_pseudonym_command(
    key_file: Path = typer.Option(Path(".privenance/pseudonym.key"),
                                  help="Where the key (32 random bytes, hex) is written, "
                                       "mode 0600."),
    force: bool = typer.Option(False, "--force",
                               help="Replace an existing key file (every record id, keyed "
                                    "hash, surrogate and subject token then changes)."),
):
    """Generate the pseudonymization key into KEY_FILE and record it in the project key
    setting (.privenance/keys.json).

    Keep it as long as the datasets it made: record ids, keyed hashes, surrogates,
    encrypted values and subject tokens all depend on it.

    Example: privenance keys init-pseudonym --key-file ~/secrets/privenance-pseudonym.key
    """
    from privenance.keys import PSEUDONYM_ENV
    _write_new_key(key_file, force, "every record id, keyed hash, surrogate and subject token "
                                    "changes with the key, so earlier versions' subject "
                                    "indexes would stop matching")
    typer.echo(f"pseudonymization key: {key_file} (mode 0600; keep it out of the repository "
               f"and back it up)")
    _record(PSEUDONYM_ENV, key_file)


@app.command("use")
def use_command(
    signing_key_file: Path = typer.Option(None, help="An existing signing key file (the team's "
                                                     "private key; checked against "
                                                     "keys/signing.pub)."),
    pseudonym_key_file: Path = typer.Option(None, help="An existing pseudonymization key file."),
):
    """Record existing key files in the project key setting (.privenance/keys.json),
    e.g. the team's keys handed to a new checkout.

    Example: privenance keys use --signing-key-file ~/secrets/privenance-signing.key
    """
    from privenance.errors import ConfigError
    from privenance.keys import (PSEUDONYM_ENV, SIGNING_ENV, Secret, check_team_key,
                                 read_key_file)
    if signing_key_file is None and pseudonym_key_file is None:
        raise ConfigError("name a key file", field="--signing-key-file/--pseudonym-key-file")
    # check both before recording either, so a bad one changes nothing
    if signing_key_file is not None:
        seed = read_key_file(signing_key_file, str(signing_key_file))
        check_team_key(Secret(seed[:32], f"path:{signing_key_file}"))
    if pseudonym_key_file is not None:
        read_key_file(pseudonym_key_file, str(pseudonym_key_file))
    for label, env, key_file in (("signing key", SIGNING_ENV, signing_key_file),
                                 ("pseudonymization key", PSEUDONYM_ENV, pseudonym_key_file)):
        if key_file is not None:
            typer.echo(f"{label}: {key_file}")
            _record(env, key_file)


@app.command("init-approver")
def init_approver_command(
    id: str = typer.Option(..., "--id", help="Your approver id, short and stable, e.g. mary.chan."),
    name: str = typer.Option(..., help="Your name as verify should show it, e.g. \"Mary Chan\"."),
    role: list[str] = typer.Option(..., help="A role you sign in, e.g. privacy-officer "
                                             "(repeatable)."),
    key_file: Path = typer.Option(Path("~/.privenance/approver.key"),
                                  help="Where your private key (hex seed) is written, mode "
                                       "0600; keep it yourself, out of the repository."),
    force: bool = typer.Option(False, "--force", help="Replace an existing key file."),
):
    """Generate YOUR Ed25519 approver key into KEY_FILE and print the entry to add to
    keys/approvers.yaml (reviewed and committed by the team). `privenance approve` and
    `privenance revoke` find it at the default KEY_FILE (~/.privenance/approver.key);
    elsewhere, pass --key-file KEY_FILE or set $PRIVENANCE_APPROVER_KEY_FILE.

    Example: privenance keys init-approver --id mary.chan --name "Mary Chan" --role privacy-officer
    """
    import json

    from privenance.approvers import Approver
    from privenance.errors import ConfigError
    from privenance.keys import APPROVER_ENV, DEFAULT_APPROVER_KEY, Secret, seed_public_hex
    from pydantic import ValidationError
    key_file = key_file.expanduser()
    try:  # check the entry before making a key for it
        Approver(id=id, name=name, roles=role, public_key="0" * 64)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(err["msg"], field="--" + str(err["loc"][0]).replace("roles", "role")
                          ) from None
    seed = Secret(_write_new_key(key_file, force, "approvals signed with the old key would "
                                                  "no longer match keys/approvers.yaml"),
                  f"file:{key_file}")
    typer.echo(f"private key: {key_file} (mode 0600; yours alone, keep it out of the repository)")
    if key_file.resolve() == DEFAULT_APPROVER_KEY.expanduser().resolve():
        typer.echo("privenance approve and privenance revoke sign with it by default")
    else:
        typer.echo(f"to sign with it: pass --key-file {key_file} to privenance approve and "
                   f"privenance revoke, or export {APPROVER_ENV}_FILE={key_file}")
    typer.echo("add this entry under `approvers:` in keys/approvers.yaml and commit it:")
    typer.echo(f"  - {{id: {id}, name: {json.dumps(name, ensure_ascii=False)}, "
               f"roles: [{', '.join(role)}], public_key: {seed_public_hex(seed)}}}")
