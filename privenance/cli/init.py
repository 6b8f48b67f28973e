"""privenance init: scaffold a sources manifest and a policy for your own files."""
from __future__ import annotations

import datetime as dt
import glob
import json
import os
import re
import shutil
from pathlib import Path

import typer

KNOWN = (".jsonl", ".ndjson", ".json", ".csv", ".parquet", ".pq")
PICTURES = (".jpg", ".jpeg", ".png", ".webp")


def _is_picture(path) -> bool:
    return Path(path).suffix.lower() in PICTURES


def _expand(paths: list[str]) -> tuple[list[str], list[str]]:
    """(data files, picture sources) named by PATHS, in order: each data file of the
    files, folders and globs is a source; a folder or glob holding pictures, or a
    picture file, is one ``format: images`` source."""
    from privenance.errors import ConfigError
    files: list[str] = []
    pictures: list[str] = []
    for p in paths:
        matches = sorted(glob.glob(p, recursive=True)) if glob.has_magic(p) else [p]
        if not matches:
            raise ConfigError("matches no file", field=p)
        if glob.has_magic(p) and any(_is_picture(m) for m in matches):
            pictures.append(p)
        for m in matches:
            if os.path.isdir(m):
                inside = [f for f in sorted(Path(m).rglob("*")) if f.is_file()]
                files += [str(f) for f in inside if f.suffix.lower() in KNOWN]
                if any(_is_picture(f) for f in inside):
                    pictures.append(m)
            elif os.path.isfile(m):
                if not _is_picture(m):
                    files.append(m)
                elif not glob.has_magic(p):
                    pictures.append(m)
            else:
                raise ConfigError("file not found", field=m)
    if not files and not pictures:
        raise ConfigError("no data file or picture found", field=" ".join(paths))
    return list(dict.fromkeys(files)), list(dict.fromkeys(pictures))


def _date(value: str | None, option: str) -> dt.date | None:
    from privenance.errors import ConfigError
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        raise ConfigError("must be a date like 2031-03-01", field=option) from None


def _default_name() -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", Path.cwd().name).strip("-._").lower() or "dataset"


def init_command(
    paths: list[str] = typer.Argument(..., help="Your data files, folders or globs "
                                      "(JSONL, CSV, Parquet; pictures: JPEG, PNG, WebP)."),
    name: str = typer.Option(None, help="Dataset name (also the policy's name); default: "
                                        "this folder's name."),
    sources: Path = typer.Option(Path("data/sources.yaml"), help="Manifest to write."),
    policy: Path = typer.Option(None, help="Policy to write; default policies/<name>.yaml."),
    licence: str = typer.Option(None, "--licence", "--license",
                                help="SPDX licence id of the files, e.g. CC-BY-4.0 or "
                                     "LicenseRef-acme-internal for your own data."),
    attribution: str = typer.Option(None, help="Who must be credited, e.g. \"Acme Ltd "
                                               "complaints archive\"."),
    consent: str = typer.Option(None, help="Lawful basis: consent, contract, legal-obligation, "
                                           "public-task, legitimate-interests, public-domain."),
    purpose: list[str] = typer.Option(None, "--purpose", help="A purpose consented to, e.g. "
                                      "model-training (repeatable)."),
    consent_ref: str = typer.Option(None, help="Reference of the consent form or contract."),
    collected_at: str = typer.Option(None, help="When the data was collected (YYYY-MM-DD)."),
    retain_until: str = typer.Option(None, help="Date to delete by (YYYY-MM-DD), or `none`."),
    origin: str = typer.Option("human", help="human | synthetic | machine-translated | "
                                             "model-generated."),
    sample: int = typer.Option(1000, min=1, help="Rows read per file to guess its columns."),
    header: bool = typer.Option(None, "--header/--no-header",
                                help="Whether the CSV files' first row names the columns; "
                                     "default: judged from the row (a row that looks like "
                                     "data gets columns col_1, col_2, ...)."),
    force: bool = typer.Option(False, "--force", help="Replace files that exist."),
    dvc: bool = typer.Option(True, "--dvc/--no-dvc", help="Point params.yaml (sources, policy, "
                             "raw, dataset) at what init writes, when the folder has "
                             "dvc.yaml and params.yaml, so `dvc repro` certifies your data."),
):
    """Write a commented sources manifest and a policy (extending default.yaml) for
    your files, from a sample of each: format, encoding, id field, free-text columns
    and columns that hold identifiers (found with the real recognizers; no value is
    printed or written). What a sample cannot tell is taken from the options or
    written as a FILL-IN placeholder that `check` and `run` refuse.

    Examples:

      privenance init data/raw/*.csv data/raw/notes.jsonl

      privenance init data/raw --licence LicenseRef-acme-internal --consent contract
      --purpose model-training --retain-until 2031-12-31

      privenance init data/raw/export.csv --no-header   # a CSV without a header row

      privenance init data/raw/photos --licence CC0-1.0   # a folder of pictures

    In a checkout with dvc.yaml and params.yaml, init also sets params.yaml's sources,
    policy, raw (the folder of your files) and dataset, so `dvc repro` (and `make run`)
    certify your dataset into data/certified/NAME; --no-dvc leaves params.yaml alone.
    """
    from pipelines.preflight.source_profile import Scanner, profile_source
    from privenance import onboard
    from privenance.offline import go_offline
    from privenance.policy import load_policy
    go_offline()
    name = name or _default_name()
    policy, default, base = _policy_paths(name, policy, sources, force)
    d = onboard.Declarations(
        licence=licence, attribution=attribution, consent=consent,
        purposes=list(dict.fromkeys(onboard.purpose_name(p) for p in purpose or [])),
        consent_ref=consent_ref, collected_at=_date(collected_at, "--collected-at"),
        retain_until=None if (retain_until or "").lower() == "none"
        else _date(retain_until, "--retain-until"),
        no_retention=(retain_until or "").lower() == "none", origin=origin)
    base_policy = load_policy(base)
    warnings = _declaration_warnings(d, base_policy)
    files, pictures = _expand(paths)
    typer.echo(f"sampling {len(files)} file(s) and {len(pictures)} picture source(s), up to "
               f"{sample} rows each (loading the recognizers takes a few seconds)")
    scanner = Scanner(base_policy)
    taken: set[str] = set()
    entries = [(onboard.source_id(f, taken), profile_source(f, scanner, sample, header=header))
               for f in files]
    entries += [(onboard.source_id(p.rstrip("/").split("*")[0].rstrip("/") or "pictures",
                                   taken), profile_source(p, None, sample, fmt="images"))
                for p in pictures]
    files += pictures  # a picture source's folder or glob lies in the folder DVC depends on
    manifest = onboard.manifest_text(entries, d, dt.date.today(), sample)
    extends = os.path.relpath(default, policy.parent)
    if not default.exists():
        from privenance.versions import ROOT
        default.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "policies" / "default.yaml", default)
        typer.echo(f"wrote {default} (the shipped default policy, which yours extends)")
    onboard.write_new(sources, manifest, force)
    onboard.write_new(policy, onboard.policy_text(name, extends, d, _kept_columns(entries)),
                      force)
    _print_entries(entries)
    typer.echo(f"wrote {sources} and {policy}")
    for w in warnings + _profile_warnings(entries):
        typer.echo(f"warning: {w}")
    wired = wire_dvc(sources, policy, name, files) if dvc else None
    _next_steps(sources, policy, name, onboard.placeholders_in(manifest), wired, files)


def _policy_paths(name: str, policy: Path | None, sources: Path,
                  force: bool) -> tuple[Path, Path, Path]:
    """The policy to write, the default.yaml beside it that it extends, and the policy
    to read the defaults from (that default.yaml, else the shipped one); refuses a name
    or a file that would replace something."""
    from privenance.errors import ConfigError
    from privenance.versions import ROOT
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise ConfigError("use letters, digits and ._- only", field="--name")
    policy = policy or Path("policies") / f"{name}.yaml"
    default = policy.parent / "default.yaml"
    packaged = ROOT / "policies" / "default.yaml"
    if policy.resolve() == default.resolve() or name in ("default", "demo"):
        raise ConfigError("choose another name: default and demo are the shipped policies",
                          field="--name")
    for target in (sources, policy):  # check both before writing either
        if target.exists() and not force:
            raise ConfigError("exists; pass --force to replace it", file=str(target))
    base = default if default.exists() else packaged
    if not base.exists():
        raise ConfigError("no default.yaml to extend; copy policies/default.yaml from "
                          "privenance beside the policy", file=str(default))
    return policy, default, base


def _declaration_warnings(d, base_policy) -> list[str]:
    """What the options declare that the policy would refuse or quarantine."""
    from privenance import onboard
    warnings = onboard.check_declarations(d, base_policy.consent.lawful_bases)
    if (d.consent in base_policy.consent.require_purpose_for and d.purposes
            and base_policy.purpose.name not in d.purposes):
        warnings.append(f"the policy's purpose is {base_policy.purpose.name}, which is not "
                        "among the purposes consented to: every record would be quarantined "
                        "(PURPOSE_NOT_CONSENTED)")
    return warnings


def _kept_columns(entries) -> list[str]:
    """Columns the policy lets through: neither declared nor withheld, nor free text."""
    return sorted({c.name for _, p in entries for c in p.columns.values()
                   if c.name != p.id_field and c.name not in p.text_fields
                   and c.name not in p.withheld
                   and c.name not in p.fields and not c.in_text
                   and c.kind not in ("other", "image")})


def _print_entries(entries) -> None:
    for sid, prof in entries:
        declared = [f"id {prof.id_field}"] if prof.id_field else []
        declared += [f"text {c}" for c in prof.text_fields]
        declared += [f"{c}: {e} ({prof.columns[c].share:.0%})" for c, e in prof.fields.items()]
        declared += [f"image {c}" for c in prof.image_fields]
        if prof.format == "images":
            typer.echo(f"  {sid} (images, {prof.rows} picture(s) sampled)")
            continue
        typer.echo(f"  {sid} ({prof.format}, {prof.encoding}, {prof.rows} rows sampled): "
                   f"{'; '.join(declared) or 'nothing declared'}")


def _profile_warnings(entries) -> list[str]:
    warnings = []
    for sid, prof in entries:
        if prof.header_note:
            warnings.append(f"source {sid}: the first row looks like data, not column names "
                            f"({prof.header_note}): it is read as data and the columns are "
                            "named col_1, col_2, ... (header: false; --header if wrong)")
        if prof.withheld:
            warnings.append(f"source {sid}: {len(prof.withheld)} column name(s) look like "
                            "personal data; check and run refuse them: rename them in the "
                            "data, or list those that are not under names_not_personal")
    return warnings


# what the DVC stages write: an input folder holding one of them would make a cycle
STAGE_OUTPUTS = ("data/staged", "data/validation", "data/certified", "data/reports",
                 "data/subjects", "data/requests", "data/demo/raw")
PARAMS, DVC_FILE = Path("params.yaml"), Path("dvc.yaml")


def input_folder(files: list[str]) -> str | None:
    """The one folder, inside this one, that holds every file and no stage's output
    (dvc.yaml's run stage depends on it); None when there is none."""
    try:
        rel = [Path(os.path.relpath(Path(f).resolve(), Path.cwd())) for f in files]
    except ValueError:  # another drive
        return None
    parents = [p.parent for p in rel]
    common = Path(os.path.commonpath([str(p) for p in parents])) if parents else Path(".")
    if str(common) in (".", "") or ".." in common.parts:
        return None
    folder = common.as_posix()
    if any(out == folder or out.startswith(folder + "/") or folder.startswith(out + "/")
           for out in STAGE_OUTPUTS):
        return None
    return folder


def wire_dvc(sources: Path, policy: Path, name: str, files: list[str]) -> dict | None:
    """Set params.yaml's sources, policy, raw and dataset (other lines, comments
    included, are kept); returns what was set, or None when this folder has no DVC
    pipeline or the files are in no folder a stage may depend on."""
    import yaml
    if not (PARAMS.is_file() and DVC_FILE.is_file()):
        return None
    folder = input_folder(files)
    try:
        params = yaml.safe_load(PARAMS.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    if folder is None or not isinstance(params, dict) or "${raw}" not in DVC_FILE.read_text(
            encoding="utf-8"):
        return None
    values = {"sources": sources.as_posix(), "policy": policy.as_posix(), "raw": folder,
              "dataset": name}
    lines = PARAMS.read_text(encoding="utf-8").splitlines()
    for key, value in values.items():
        line = f"{key}: {json.dumps(value)}"
        at = next((i for i, text in enumerate(lines) if re.match(rf"{key}\s*:", text)), None)
        if at is None:
            lines.append(line)
        else:
            lines[at] = line
    PARAMS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"was": {k: params.get(k) for k in values}, **values}


def _next_steps(sources: Path, policy: Path, name: str, placeholders: list[int],
                wired: dict | None = None, files: list[str] = ()) -> None:
    from privenance.errors import ConfigError
    from privenance.keys import PSEUDONYM_ENV, SIGNING_ENV, _configured
    typer.echo("next steps:")
    step = 1
    if placeholders:
        typer.echo(f"  {step}. fill in the FILL-IN placeholder(s) in {sources} (line(s) "
                   f"{', '.join(map(str, placeholders))}), or re-run init with --licence, "
                   "--attribution, --consent, --purpose, --retain-until and --force")
        step += 1
    typer.echo(f"  {step}. check the guesses in {sources} (comments say what the sample showed)")
    step += 1
    for env, command in ((SIGNING_ENV, "privenance keys init"),
                         (PSEUDONYM_ENV, "privenance keys init-pseudonym")):
        try:
            have = _configured(env) is not None
        except ConfigError:
            have = False
        if not have:
            typer.echo(f"  {step}. {command}   (no key configured yet)")
            step += 1
    flags = f"--sources {sources} --policy {policy}"
    for command in (f"privenance check {flags}", f"privenance run {flags}",
                    "privenance validate", f"privenance certify --name {name}",
                    f"privenance report --name {name}"):
        typer.echo(f"  {step}. {command}")
        step += 1
    if wired:
        was = wired["was"]
        typer.echo(f"  with DVC: wrote sources: {wired['sources']}, policy: {wired['policy']}, "
                   f"raw: {wired['raw']} and dataset: {name} in {PARAMS}, so `dvc repro` "
                   f"certifies {name} into data/certified/{name} (for the demo again, set them "
                   f"back to {was['sources']}, {was['policy']}, {was['raw']}, {was['dataset']})")
    else:
        folder = input_folder(list(files)) or "<the folder holding your files>"
        typer.echo(f"  with DVC: in {PARAMS} set sources: {sources}, policy: {policy}, "
                   f"raw: {folder} and dataset: {name}; dvc.yaml's run stage depends on "
                   "${raw} (keep your files in a folder of their own, e.g. data/raw)")
