"""privenance subject: data-subject requests (access, erasure, consent withdrawal).

Identifiers given here are turned into keyed subject tokens at once and never
written anywhere: not to the request files, the logs or the output.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer

app = typer.Typer(help="Data-subject requests: find a person's records in every certified "
                       "version, erase them, withdraw consent.", no_args_is_help=True)

# each may be given several times: a person has an English and a Chinese name, two emails
EMAIL = typer.Option(None, "--email", metavar="EMAIL",
                     help="The person's email address (repeatable).")
HKID = typer.Option(None, "--hkid", metavar="HKID", help="The person's HKID, e.g. A123456(7).")
PHONE = typer.Option(None, "--phone", metavar="PHONE",
                     help="The person's phone number (repeatable).")
NAME = typer.Option(None, "--name", metavar="NAME", help="The person's name, e.g. \"Chan Tai Man\" or "
                    "\"陳大文\" (repeatable: --name \"Chan Tai Man\" --name 陳大文).")
SOURCE = typer.Option(None, "--source", metavar="SOURCE",
                      help="The source id (as in the sources manifest) of the records --key "
                      "names.")
KEY = typer.Option(None, "--key", metavar="KEY",
                   help="A record's source key in --source (repeatable): its id field's "
                   "value (e.g. CS-00216); in a source without one, FILE#LINE (the line or "
                   "row, FILE empty for a one-file source); for a `format: images` source, "
                   "the picture's file name relative to the source's folder or glob (e.g. "
                   "2024/IMG_0412.jpg; for a one-file source, its file name).")
REQUESTS = typer.Option(Path("data/requests"), help="Requests directory (a pipeline input).")
NAME_ONLY_NOTE = ("note: {n} record(s) matched on a name alone. Names are not unique: such a "
                  "record may concern another person with the same name. Before disclosing it, "
                  "ask the requester for a second identifier (email, phone or HKID) and search "
                  "with it too.")


def _tokens(email, hkid, phone, name, keys=None) -> dict[str, str]:
    """token -> kind, for the identifiers given (at least one, or a --key)."""
    from privenance.errors import ConfigError
    from privenance.keys import pseudonymization_key
    from privenance.subject_tokens import ENTITY_OF_KIND, SubjectTokens
    given = [(kind, value) for kind, values in
             {"email": email, "hkid": hkid, "phone": phone, "name": name}.items()
             for value in (values or []) if value]
    if not given and not keys:
        raise ConfigError("give at least one of --email, --hkid, --phone, --name, or "
                          "--source with --key")
    subjects = SubjectTokens(pseudonymization_key())
    tokens = {}
    for kind, value in given:
        token = subjects.token(ENTITY_OF_KIND[kind], value)
        if token is None:
            raise ConfigError("the value has no letters or digits", field=f"--{kind}")
        tokens[token] = kind
    return tokens


def _records(source: str | None, keys: list[str] | None) -> dict[str, tuple[str, str]]:
    """Keyed record id -> (source, source key) of the records named by --source and
    --key; {} when none is."""
    from lineage.subjects import record_ids
    from privenance.errors import ConfigError
    from privenance.keys import pseudonymization_key
    keys = [k for k in keys or [] if k]
    if bool(source) != bool(keys):
        raise ConfigError("--source and --key go together: the source id and the "
                          "record's source key in it", field="--source" if keys else "--key")
    return record_ids(pseudonymization_key(), [(source, k) for k in keys]) if keys else {}


def _search(subjects: str, certified: str, tokens: dict, records: dict,
            dataset: str | None = None) -> list[dict]:
    """The records found by the tokens and by the named records, one row per (version,
    record)."""
    from lineage.subjects import find, find_records, indexed_versions, merge_hits
    by_token = find(subjects, tokens, dataset) if tokens else []
    by_key = find_records(subjects, certified, records, dataset) if records else []
    return merge_hits(indexed_versions(subjects, dataset), by_token, by_key)


@app.command("find")
def find_command(
    email: list[str] = EMAIL, hkid: list[str] = HKID, phone: list[str] = PHONE,
    name: list[str] = NAME, source: str = SOURCE, key: list[str] = KEY,
    dataset: str = typer.Option(None, help="Only this dataset (default: every dataset)."),
    subjects: str = typer.Option("data/subjects", help="Subject indexes of certified versions "
                                 "(a folder or URI)."),
    certified: str = typer.Option("data/certified", help="Certified datasets root (a folder "
                                  "or URI)."),
    show_stored: bool = typer.Option(False, "--show-stored", help="Also print what the current "
                                     "certified version stores for each record, with values the "
                                     "encrypt operator wrote decrypted (needs the key)."),
    as_json: bool = typer.Option(False, "--json", help="Print the matches as JSON."),
):
    """Find every record, in every certified version, that concerns a person.

    Matching uses keyed subject tokens, never a plaintext index. Prints each record's
    source key (its id field, e.g. CS-00216), source, dataset and version for the
    reply to an access request. A match on a name alone may be another person with
    the same name: ask for a second identifier. Exit 0 whether or not anything was
    found.

    A record can also be named by its source and source key (--source, --key): an
    image record, which holds no text to detect an identifier in, or a record the
    requester can point at. It is found by its keyed record id in the subject index of
    every version and in every record of the current certified versions. An image
    record's source key is its picture's file name relative to the source's folder or
    glob.

    Examples:

      privenance subject find --email chan.taiman@example.com

      privenance subject find --hkid "A123456(7)" --name "Chan Tai Man" --json

      privenance subject find --email chan.taiman@example.com --show-stored

      privenance subject find --source staff-photos --key 2024/IMG_0412.jpg

      privenance subject find --email chan.taiman@example.com --subjects
      s3://bucket/subjects --certified s3://bucket/certified
    """
    from lineage.subjects import indexed_versions
    tokens = _tokens(email, hkid, phone, name, key)
    records = _records(source, key)
    _repair(certified, subjects, dataset)
    versions = indexed_versions(subjects, dataset)
    hits = _search(subjects, certified, tokens, records, dataset)
    name_only = sum(1 for h in hits if h["name_only"])
    note = NAME_ONLY_NOTE.format(n=name_only) if name_only else None
    if as_json:
        typer.echo(json.dumps({"versions_searched": [f"{v.dataset}@{v.version}" for v in versions],
                               "records": hits, "note": note}, indent=2))
    else:
        kinds = sorted(set(tokens.values()) | ({"key"} if records else set()))
        typer.echo(f"searched {len(versions)} certified version(s) for {', '.join(kinds)}")
        for v in versions:
            mine = [h for h in hits if (h["dataset"], h["version"]) == (v.dataset, v.version)]
            typer.echo(f"  {v.dataset} {v.version} (as of {v.as_of}): {len(mine)} record(s)")
            if mine:
                typer.echo(f"    {'source key':<14} {'source':<22} {'matched on':<22} record id")
            for h in mine:
                key = h["source_key"] or "(not indexed)"
                flag = "  <- name only" if h["name_only"] else ""
                typer.echo(f"    {key:<14} {h['source']:<22} {', '.join(h['matched']):<22} "
                           f"{h['record_id']}{flag}")
        if note:
            typer.echo(note)
    if show_stored:
        _show_stored(hits, certified)


def _repair(certified: str, subjects: str, dataset: str | None = None) -> None:
    """Seal a current certified version's index an interrupted certify left unsealed
    (or refuse, exit 1, when it cannot), so no version is left out of a search."""
    from lineage.subjects import repair_unsealed
    for version in repair_unsealed(certified, subjects, dataset):
        typer.echo(f"repaired: sealed the subject index of {version} (an interrupted "
                   "certify had left it unsealed)", err=True)


def _show_stored(hits: list[dict], certified: str) -> None:
    """The stored rows of the matches in the current certified versions. Values the
    encrypt operator wrote (ENC:...) are decrypted: this is the key holder's answer
    to an access request, printed for them only."""
    import re

    import pyarrow.compute as pc

    from lineage.certificate import certificate_location
    from pipelines.anonymize.operators import decrypt
    from privenance import storage
    from privenance.contracts import Certificate
    from privenance.keys import pseudonymization_key
    key = pseudonymization_key()

    def reveal(value):
        if not isinstance(value, str):
            return value
        return re.sub(r"ENC:[A-Za-z0-9_-]+", lambda m: f"[decrypted: {decrypt(m.group(0), key)}]",
                      value)

    for name in sorted({h["dataset"] for h in hits}):
        cert_path = certificate_location(storage.join(certified, name))
        if not storage.exists(cert_path):
            continue
        cert = Certificate.load(cert_path)
        wanted = [h["record_id"] for h in hits
                  if h["dataset"] == name and h["version"] == cert.version]
        typer.echo(f"stored in {name} {cert.version} (current): {len(wanted)} record(s)")
        for f in cert.output.files:
            table = storage.read_parquet(storage.join(certified, name, f.path),
                                         encryption=cert.encryption)
            table = table.filter(pc.is_in(table["_record_id"], value_set=_array(wanted)))
            for row in table.to_pylist():
                typer.echo(f"  {row['_record_id']}")
                for column, value in row.items():
                    if value is not None and not column.startswith("_"):
                        typer.echo(f"    {column}: {reveal(value)}")


def _array(values):
    import pyarrow as pa
    return pa.array(values, type=pa.string())


@app.command("erase")
def erase_command(
    request: str = typer.Option(..., help="Request id, e.g. DSR-2026-014 (no personal details)."),
    email: list[str] = EMAIL, hkid: list[str] = HKID, phone: list[str] = PHONE,
    name: list[str] = NAME, source: str = SOURCE, key: list[str] = KEY,
    requests: Path = REQUESTS,
    received: str = typer.Option(None, help="Date the request was received; default today."),
    subjects: str = typer.Option("data/subjects", help="Subject indexes of certified versions "
                                 "(folder or URI)."),
    certified: str = typer.Option("data/certified", help="Certified datasets root (a folder "
                                  "or URI)."),
):
    """Record an erasure request. The next run of each dataset leaves out every record
    that concerns the person (reason SUBJECT_ERASED) and the new certificate lists the
    request. Only keyed tokens are recorded. Prints, per dataset that holds the
    person, the commands that certify it again (`dvc repro` when the DVC pipeline
    certifies that dataset), and the certified versions to revoke with `privenance
    revoke`.

    Records named by --source and --key (an image record: its picture's file name
    relative to the source's folder or glob) are left out too; only their keyed
    record ids are recorded, never the keys.

    Examples:

      privenance subject erase --request DSR-2026-014 --email chan.taiman@example.com

      privenance subject erase --request DSR-2026-016 --source staff-photos --key
      2024/IMG_0412.jpg
    """
    from privenance.subject_tokens import record_erasure
    tokens = _tokens(email, hkid, phone, name, key)
    records = _records(source, key)
    _repair(certified, subjects)  # before recording: a refusal leaves nothing half done
    day = _date(received)
    held: dict[tuple[str, str], int] = {}
    for hit in _search(subjects, certified, tokens, records):
        held[(hit["dataset"], hit["version"])] = held.get((hit["dataset"], hit["version"]), 0) + 1
    if record_erasure(requests, request, list(tokens), day, list(records)):
        typer.echo(f"recorded erasure request {request} ({len(tokens) + len(records)} "
                   f"identifier(s), as keyed tokens and record ids) in {requests}")
    else:
        typer.echo(f"request {request} is already recorded in {requests}; nothing changed")
    datasets = sorted({d for d, _ in held}) or certified_datasets(certified)
    if datasets:
        typer.echo("to certify a version without them:")
    for dataset in datasets:
        typer.echo(f"  {dataset}: {recertify_commands(dataset, certified, requests)}")
    if not held:
        typer.echo("no certified version holds the person")
    else:
        typer.echo("certified versions that hold the person (revoke each once a version "
                   "without them is certified):")
    for (dataset, version), records in held.items():
        typer.echo(f"  {dataset} {version}: {records} record(s)  ->  privenance revoke --name "
                   f"{dataset} --version {version} --reason {request}")


def certified_datasets(certified: str) -> list[str]:
    """The datasets with a certificate under ``certified`` (a local folder)."""
    from lineage.certificate import certificate_path
    root = Path(certified)
    return sorted(d.name for d in root.glob("*/") if certificate_path(d).is_file()) \
        if root.is_dir() else []


def recertify_commands(dataset: str, certified: str, requests: Path) -> str:
    """The command line that certifies ``dataset`` again with the recorded requests:
    `dvc repro` when the DVC pipeline here certifies that dataset, else the commands
    that made its current certificate (its policy, and the manifest of the staged run)."""
    import yaml

    from lineage.certificate import certificate_path
    try:
        params = yaml.safe_load(Path("params.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        params = None
    if (Path("dvc.yaml").is_file() and isinstance(params, dict)
            and params.get("dataset") == dataset and Path(requests) == Path("data/requests")):
        return "dvc repro"
    cert = _read_json(certificate_path(Path(certified) / dataset))
    staged = _read_json(Path("data/staged/run.json"))
    policy = (cert.get("policy") or {}).get("path") or f"policies/{dataset}.yaml"
    manifest = (staged.get("execution") or {}).get("sources_manifest") \
        if staged.get("run_id") == cert.get("run_id") else None
    manifest = manifest or ("data/demo/sources.yaml" if dataset == "demo"
                            else "data/sources.yaml")
    out = "" if Path(certified) == Path("data/certified") else f" --out {certified}"
    return (f"privenance run --sources {manifest} --policy {policy} --requests {requests} && "
            f"privenance validate --requests {requests} && "
            f"privenance certify --name {dataset} --policy {policy}{out} && "
            f"privenance report --name {dataset}")


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@app.command("withdraw")
def withdraw_command(
    request: str = typer.Option(..., help="Request id, e.g. DSR-2026-015."),
    consent_ref: str = typer.Option(..., help="The consent reference being withdrawn."),
    requests: Path = REQUESTS,
    received: str = typer.Option(None, help="Date the withdrawal was received; default today."),
):
    """Record a withdrawal of consent. The next run leaves out every record given under
    that consent reference (reason CONSENT_WITHDRAWN).

    Example: privenance subject withdraw --request DSR-2026-015 --consent-ref form-2024-03
    """
    from privenance.subject_tokens import record_withdrawal
    if record_withdrawal(requests, request, consent_ref, _date(received)):
        typer.echo(f"recorded withdrawal {request} in {requests}; run `dvc repro` to apply it")
    else:
        typer.echo(f"request {request} is already recorded in {requests}; nothing changed")


@app.command("requests")
def requests_command(requests: Path = REQUESTS):
    """List the recorded requests (ids, kinds and dates; no identifiers are stored).

    Example: privenance subject requests
    """
    from privenance.subject_tokens import load_requests
    rows = load_requests(requests).all()
    if not rows:
        typer.echo(f"no requests recorded in {requests}")
    for r in rows:
        what = r.get("consent_ref") or f"{r['identifiers']} identifier(s)"
        typer.echo(f"{r['received']}  {r['kind']:<10} {r['request']:<20} {what}")


def _date(value: str | None) -> dt.date:
    from privenance.errors import ConfigError
    try:
        return dt.date.fromisoformat(value) if value else dt.date.today()
    except ValueError:
        raise ConfigError("--received must be a date like 2026-11-25", field="--received") from None
