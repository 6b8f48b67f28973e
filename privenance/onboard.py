"""`privenance init`: a commented sources manifest and a policy for a newcomer's own
files, from the profiles pipelines/preflight/source_profile.py made of a sample of them.

What a sample cannot tell (licence, attribution, consent, retention) comes from the
options or is written as a PLACEHOLDER that `check` and `run` refuse (privenance/sources.py).
The files written name columns, entities and shares, never a value.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from privenance.errors import ConfigError, RecordRejected
from privenance.sources import LICENCE_HINT, PLACEHOLDER

ORIGINS = ("human", "synthetic", "machine-translated", "model-generated")
FILL_LICENCE = (f"{PLACEHOLDER} the licence as an SPDX id (CC-BY-4.0, or LicenseRef-<org>-internal "
                "for your own data), or pass --licence to privenance init")
FILL_ATTRIBUTION = (f"{PLACEHOLDER} who must be credited (the licence requires attribution), "
                    "or pass --attribution to privenance init")
FILL_BASIS = (f"{PLACEHOLDER} the lawful basis (consent, contract, legitimate-interests, ...), "
              "or pass --consent to privenance init")
FILL_PURPOSES = (f"{PLACEHOLDER} the purposes consented to, e.g. model-training, "
                 "or pass --purpose to privenance init")
FILL_RETENTION = (f"{PLACEHOLDER} the date to delete by (YYYY-MM-DD), or null for none, "
                  "or pass --retain-until to privenance init")


@dataclass
class Declarations:
    """What the user told init (None: not told)."""

    licence: str | None = None
    attribution: str | None = None
    consent: str | None = None
    purposes: list[str] = field(default_factory=list)
    consent_ref: str | None = None
    collected_at: dt.date | None = None
    retain_until: dt.date | None = None
    no_retention: bool = False       # --retain-until none: no limit, said on purpose
    origin: str = "human"


def purpose_name(text: str) -> str:
    """Purposes are written as the policy writes them: model_training -> model-training."""
    return re.sub(r"[\s_]+", "-", text.strip().lower())


def check_declarations(d: Declarations, lawful_bases: list[str]) -> list[str]:
    """Refuse what cannot be right (ConfigError); return warnings about what will be
    refused later (a licence that does not permit commercial use)."""
    from privenance.licences import classify, suggest_licence
    warnings = []
    if d.licence is not None:
        try:
            info = classify(d.licence)
        except RecordRejected as exc:
            hint = suggest_licence(d.licence)
            raise ConfigError(f"{exc.message}: {d.licence!r}; "
                              f"{f'did you mean {hint}? ' if hint else ''}{LICENCE_HINT}",
                              field="--licence") from None
        if info.use not in ("commercial", "unspecified"):
            warnings.append(f"licence {d.licence} allows {info.use} use only; the policy's "
                            "purpose is commercial, so its records would be quarantined "
                            "(set purpose.commercial: false and licences.allowed_uses in the "
                            "policy if the model is not commercial)")
    if d.consent is not None and d.consent not in lawful_bases:
        raise ConfigError(f"unknown lawful basis {d.consent!r}; choose from "
                          f"{', '.join(lawful_bases)}", field="--consent")
    if d.origin not in ORIGINS:
        raise ConfigError(f"unknown origin {d.origin!r}; choose from {', '.join(ORIGINS)}",
                          field="--origin")
    return warnings


def source_id(path: str, taken: set[str]) -> str:
    """A manifest id from a file name: complaints.csv -> complaints (unique)."""
    from privenance.identifiers import name_problem
    name = Path(path).name.split(".")[0]
    if name_problem(Path(path).name.rsplit(".", 1)[0], identifiers_only=True):
        name = "source"  # an id is printed and recorded everywhere: never a person's
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-._") or "source"
    sid, n = base, 2
    while sid in taken:
        sid, n = f"{base}-{n}", n + 1
    taken.add(sid)
    return sid


def _q(value) -> str:
    """A YAML scalar (JSON's double-quoted strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


_YAML_WORDS = {"null", "true", "false", "yes", "no", "on", "off", "y", "n"}


def _key(name: str) -> str:
    """A column name as a YAML key or list item: plain when that is safe."""
    plain = re.fullmatch(r"[A-Za-z_][\w.-]*", name) and name.lower() not in _YAML_WORDS
    return name if plain else _q(name)


def _flow(names) -> str:
    return "[" + ", ".join(map(_key, names)) + "]"


def _pct(share: float) -> str:
    return f"{share:.0%}"


def _org(licence: str) -> str | None:
    """acme in LicenseRef-acme-internal: your own data is attributed to yourselves."""
    m = re.fullmatch(r"LicenseRef-(.+?)(-internal|-proprietary|-private)?", licence)
    return m.group(1) if m else None


def source_entry(sid: str, prof, d: Declarations, licence_required_attribution: bool) -> list[str]:
    """The manifest lines of one source, with what the sample showed as comments."""
    over = set(prof.overrides)
    rights = _rights_lines(prof, d, over, licence_required_attribution) + _date_lines(d, over)
    if prof.format == "images":
        return [f"  - id: {sid}"] + _picture_lines(prof) + rights + [
            # a declared origin would overrule the pictures' own claims
            "    # no origin: each picture's C2PA or XMP digital source type sets it (a "
            "trained model's pictures are model-generated), else human"]
    return ([f"  - id: {sid}"] + _file_lines(prof) + _column_lines(prof) + _dropped_lines(prof)
            + rights + [f"    origin: {d.origin}                  # human | synthetic | "
                        "machine-translated | model-generated"])


def _picture_lines(prof) -> list[str]:
    """A folder, glob or file of pictures: where, how it is read, what the sample held."""
    return [f"    path: {_q(prof.path)}",
            "    format: images                # pictures (JPEG, PNG, WebP): a record per "
            "file, keyed by its file name",
            f"    # sampled {prof.rows} picture(s)"
            + (f", {prof.unreadable} not a picture (they will be quarantined as MALFORMED)"
               if prof.unreadable else ""),
            "    # credentials (C2PA, XMP) read, metadata stripped, faces treated per the "
            "policy's images section"]


def _file_lines(prof) -> list[str]:
    """Where the source is and how it is read, and what the sample held."""
    lines = [f"    path: {_q(prof.path)}",
             f"    format: {prof.format}                 # jsonl | csv | parquet",
             f"    encoding: {prof.encoding}            # guessed from the file's first MB "
             "(big5hkscs, gb18030, utf-16... for other files)"]
    if prof.format == "csv" and not prof.header:
        why = f"the first row looks like data ({prof.header_note})" if prof.header_note \
            else "--no-header"
        lines.append(f"    header: false                 # {why}: columns are named col_1, "
                     "col_2, ...")
    lines.append(f"    # sampled {prof.rows} row(s)"
                 + (f", {prof.unreadable} unreadable (they will be quarantined as MALFORMED)"
                    if prof.unreadable else ""))
    return lines


def _column_lines(prof) -> list[str]:
    """The id field, the text fields and the identifier fields the sample suggests."""
    if prof.id_field:
        lines = [f"    id_field: {_key(prof.id_field)}   # filled and unique in the sample; "
                 "passes through unchanged (never personal data)"]
    else:
        lines = ["    # no id_field: no column is filled, unique and free of personal data; "
                 "records are keyed by their position in the file"]
    cols = prof.columns
    if prof.text_fields:
        lines.append(f"    text_fields: {_flow(prof.text_fields)}   # free text: names, emails, "
                     "phones... are found and treated")
        for name in prof.text_fields:
            found = ", ".join(f"{e} {_pct(s)}" for e, s in cols[name].mentions()) or "none"
            lines.append(f"    #   {name}: cells mentioning {found}")
    if prof.image_fields:
        lines.append(f"    image_fields: {_flow(prof.image_fields)}   # pictures (bytes, or a "
                     "file's path per row): credentials read, metadata stripped, faces treated")
    if prof.fields:
        lines.append("    fields:                       # columns that hold one identifier each")
        for name, entity in prof.fields.items():
            lines.append(f"      {_key(name)}: {entity}   # {_pct(cols[name].share)} of sampled "
                         "cells")
    return lines


def _dropped_lines(prof) -> list[str]:
    """Comments on the columns left undeclared, so dropped (never a withheld name)."""
    cols = prof.columns
    dropped = [c for c in cols.values() if c.name != prof.id_field
               and c.name not in prof.text_fields and c.name not in prof.fields
               and c.name not in prof.image_fields]
    if not dropped:
        return []
    lines = ["    # not declared, so dropped from the output (data minimisation); to "
             "keep one, list it in the policy's columns.allowed:"]
    for c in dropped:
        if c.name in prof.withheld:  # never written: it may be a customer's identifier
            number = list(cols).index(c.name) + 1
            lines.append(f"    #   column {number}: its name looks like personal data "
                         f"({prof.withheld[c.name]}); check and run refuse it: rename it "
                         "in the data")
            continue
        seen = ", ".join(f"{e} {_pct(s)}" for e, s in c.mentions())
        lines.append(f"    #   {c.name}: {c.kind}"
                     + (f", cells mentioning {seen}" if seen else ", no personal data found"))
    return lines


def _rights_lines(prof, d: Declarations, over: set,
                  licence_required_attribution: bool) -> list[str]:
    """Licence, attribution and consent: declared, a placeholder, or left to the rows."""
    lines = []
    if over:
        lines.append(f"    # the rows carry {', '.join(prof.overrides)}: a row's value overrides "
                     "the source's")
    if "licence" not in over or d.licence:
        lines.append(f"    licence: {_q(d.licence or FILL_LICENCE)}")
    attribution = d.attribution
    if attribution is None and d.licence and _org(d.licence):
        attribution = f"{_org(d.licence)} ({Path(prof.path).name})"
        lines.append("    # attribution from the licence id: your own data credits you")
    if attribution:
        lines.append(f"    attribution: {_q(attribution)}")
    elif "attribution" not in over and licence_required_attribution:
        lines.append(f"    attribution: {_q(FILL_ATTRIBUTION)}")
    if "consent" not in over or d.consent:
        basis = d.consent or FILL_BASIS
        purposes = d.purposes or ([FILL_PURPOSES] if basis in ("consent", FILL_BASIS) else [])
        consent = f"{{basis: {_q(basis)}, purposes: [{', '.join(_q(p) for p in purposes)}]"
        consent += f", reference: {_q(d.consent_ref)}}}" if d.consent_ref else "}"
        lines.append(f"    consent: {consent}")
    return lines


def _date_lines(d: Declarations, over: set) -> list[str]:
    """When the data was collected and until when it may be kept."""
    lines = []
    if d.collected_at:
        lines.append(f"    collected_at: {d.collected_at.isoformat()}")
    if d.retain_until:
        lines.append(f"    retain_until: {d.retain_until.isoformat()}")
    elif d.no_retention:
        lines.append("    retain_until: null              # no retention limit (--retain-until "
                     "none)")
    elif "retain_until" not in over:
        lines.append(f"    retain_until: {_q(FILL_RETENTION)}")
    return lines


def manifest_text(entries: list[tuple[str, object]], d: Declarations, today: dt.date,
                  rows: int) -> str:
    """The whole sources.yaml for (source id, profile) pairs."""
    from privenance.licences import classify
    requires = True
    if d.licence:
        requires = classify(d.licence).requires_attribution
    head = [
        f"# Sources manifest written by `privenance init` on {today.isoformat()} from the "
        f"first {rows} rows",
        "# of each file. Check every guess before the first run: the comments say what the",
        "# sample showed (column names, entity types and shares; never a value). A value",
        f"# starting with {PLACEHOLDER} is what init could not tell: `privenance check` and",
        "# `privenance run` refuse this file until it is filled in. A row may override the",
        "# licence, attribution, consent, collected_at, retain_until and origin with columns",
        "# of the same name. Every field is described in the README (\"Declaring your sources\").",
        "sources:"]
    body = []
    for sid, prof in entries:
        body += source_entry(sid, prof, d, requires) + [""]
    return "\n".join(head + body).rstrip() + "\n"


def policy_text(name: str, extends: str, d: Declarations, keep_candidates: list[str]) -> str:
    """A policy that extends default.yaml and changes only what init was told."""
    lines = [
        f"# Policy of {name}, written by `privenance init`. It starts from {extends} (every",
        "# setting is explained there) and changes only what is below. Lines starting with #",
        "# are comments.",
        f"extends: {extends}",
        f"name: {_q(name)}",
        f"description: {_q(f'The default policy applied to {name}.')}",
        ""]
    if d.licence and d.licence.startswith("LicenseRef-"):
        lines += ["# Your organisation's own licence ids: their use is otherwise \"unspecified\" "
                  "and refused.",
                  "licences:",
                  f"  allowed: [{_q(d.licence)}]", ""]
    lines += ["# Data minimisation (DPP1): source columns that no source declares are dropped.",
              "# List here the ones to keep (they are scanned for residual identifiers)."]
    if keep_candidates:
        lines.append(f"# No personal data was found in the sample of: {', '.join(keep_candidates)}")
    lines += ["columns:", "  allowed: []", ""]
    return "\n".join(lines)


def placeholders_in(text: str) -> list[int]:
    """Line numbers of the placeholders in a written file."""
    return [n for n, line in enumerate(text.splitlines(), 1) if PLACEHOLDER in line
            and not line.lstrip().startswith("#")]


def write_new(path: Path, text: str, force: bool) -> None:
    """Write ``path``; refuse to replace an existing file without --force."""
    if path.exists() and not force:
        raise ConfigError("exists; pass --force to replace it", file=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
