"""Check what the sources manifest and the policy declare, before a run reads any data
for real: fail closed on a typo rather than let a column pass through untreated.

- every declared column (a source's id_field, text_fields and fields; the policy's
  quasi-identifiers and validation columns) exists in the data, judged on a sample;
- every entity the policy or the manifest names has a recognizer that will run.

Each problem is a ConfigError naming the file and line that declared it.
"""
from __future__ import annotations

from itertools import islice

from privenance import provenance as P
from privenance.identifiers import name_problem
from privenance.policy import Policy
from privenance.sources import Source, SourcesManifest

SAMPLE_ROWS = 1000  # records read per source to learn its columns


def sample_columns(source: Source, rows: int = SAMPLE_ROWS) -> list[str]:
    """Column names in the first ``rows`` readable records of a source (for JSONL,
    the union of their keys), in order of appearance. Empty when nothing is readable:
    the readers quarantine unreadable rows, and an empty source has nothing to leak."""
    from pipelines.read.formats import read_source
    columns: dict[str, None] = {}
    for row in islice(read_source(source), rows):
        if row.values is not None:
            columns.update(dict.fromkeys(row.values))
    return list(columns)


def shown(column: str) -> str:
    """A column name as a message may show it: quoted, unless it looks like data."""
    return "a column whose name looks like personal data" if name_problem(
        column, identifiers_only=True) else repr(column)


def safe_loc(loc: tuple) -> tuple:
    """A key path for an error's field, cut before a column name that looks like data
    (the error's ``file:line: field`` would quote it)."""
    for n, part in enumerate(loc):
        if isinstance(part, str) and name_problem(part, identifiers_only=True):
            return loc[:n]
    return loc


def name_problems(manifest: SourcesManifest, policy: Policy,
                  sampled: dict[str, list[str]] | None = None, scanner=None):
    """A ConfigError for each name that would leave privenance and looks like personal
    data, never quoting it: a CSV header row that looks like data (a file without
    one: ``header: false``), a JSON key or Parquet column, a declared column, a
    source's file or folder name. ``scanner`` (pipelines/preflight/source_profile.py): the recognizers
    judge the names too."""
    if sampled is None:
        sampled = {s.id: sample_columns(s) for s in manifest.sources}
    from pipelines.preflight.source_profile import flagged_names

    def flagged(names):
        return flagged_names(scanner, names) if scanner is not None else {}
    for index, source in enumerate(manifest.sources):
        names = [n for n in sampled[source.id] if n not in source.names_not_personal]
        header_row = source.format == "csv" and source.header
        by_scan = flagged(names)
        for n, name in enumerate(names, 1):
            what = name_problem(name, identifiers_only=not header_row) or by_scan.get(name)
            if not what:
                continue
            if header_row:
                yield manifest.config_error(
                    f"source {source.id}: the first row looks like data, not column names "
                    f"(column {n} looks like {what}); if the file has no header row, set "
                    "header: false in its entry (columns are then col_1, col_2, ...); if it "
                    "is a header that only reads like data, list its names under "
                    "names_not_personal",
                    index, "path")
            else:
                yield manifest.config_error(
                    f"source {source.id}: column {n} looks like personal data ({what}); "
                    "column names reach the output: rename it in the data (or, if it is "
                    "not personal data, list it under names_not_personal)", index, "path")
            break  # one error per source: the others would quote the same row
        for column, loc in source_columns(source).items():
            what = column not in source.names_not_personal and name_problem(
                column, identifiers_only=True)
            if what:
                yield manifest.config_error(f"source {source.id}: a declared column name "
                                            f"looks like personal data ({what})", index,
                                            *safe_loc(loc))
        for part in _name_parts(source, manifest):
            what = name_problem(part, identifiers_only=True)
            if what:
                yield manifest.config_error(f"source {source.id}: a file or folder name of "
                                            f"its path looks like personal data ({what}); "
                                            "file names are recorded", index, "path")
                break
    for column, loc in {**policy_columns(policy), **{
            c: ("columns", "allowed", i) for i, c in enumerate(policy.columns.allowed)}}.items():
        what = name_problem(column, identifiers_only=True)
        if what:
            yield policy.config_error(f"a column name looks like personal data ({what})",
                                      *safe_loc(loc))


def _name_parts(source: Source, manifest: SourcesManifest) -> list[str]:
    """The folder and file names of a source's path and files (with and without their
    extensions), as run.json and quarantine rows record them."""
    parts = [p for p in source.path.split("://")[-1].split("/") if p]
    parts += [p for f in manifest.files(source.id) for p in f.name.split("/") if p]
    return list(dict.fromkeys(q for p in parts for q in (p, p.split(".")[0], p.rsplit(".", 1)[0])))


def source_columns(source: Source) -> dict[str, tuple]:
    """The columns a source declares, each with its key path in the manifest entry."""
    declared = {}
    if source.id_field:
        declared[source.id_field] = ("id_field",)
    for i, column in enumerate(source.text_fields):
        declared.setdefault(column, ("text_fields", i))
    for column in source.fields:
        declared.setdefault(column, ("fields", column))
    for i, column in enumerate(source.image_fields):
        declared.setdefault(column, ("image_fields", i))
    return declared


def policy_columns(policy: Policy) -> dict[str, tuple]:
    """The source columns a policy declares (quasi-identifiers, validation columns)."""
    declared = {}
    for i, column in enumerate(policy.k_anonymity.quasi_identifiers):
        declared.setdefault(column, ("k_anonymity", "quasi_identifiers", i))
    for column in policy.validation.columns:
        if column not in P.COLUMNS:
            declared.setdefault(column, ("validation", "columns", column))
    return declared


def _listing(columns) -> str:
    """Column names for a message; those that look like data are counted, not shown."""
    hidden = [c for c in columns if name_problem(c, identifiers_only=True)]
    shown_names = sorted(c for c in columns if c not in hidden)
    if hidden:
        shown_names.append(f"{len(hidden)} whose name looks like personal data")
    return ", ".join(shown_names) if shown_names else "(none)"


def _did_you_mean(column: str, have) -> str:
    """"did you mean 'x'? " for the closest column name, never one that looks like data."""
    import difflib
    safe = {c.lower(): c for c in have if not name_problem(c)}
    close = difflib.get_close_matches(column.lower(), list(safe), n=1, cutoff=0.6)
    return f"did you mean {safe[close[0]]!r}? " if close else ""


def column_problems(manifest: SourcesManifest, policy: Policy,
                    sampled: dict[str, set[str]] | None = None):
    """A ConfigError for each declared column that the data lacks, in manifest order.
    ``sampled`` (source id -> columns) spares reading the sources again."""
    if sampled is None:
        sampled = {s.id: sample_columns(s) for s in manifest.sources}
    for index, source in enumerate(manifest.sources):
        have = sampled[source.id]
        if not have:
            continue
        for column, loc in source_columns(source).items():
            if column not in have:
                yield manifest.config_error(
                    f"source {source.id}: column {shown(column)} is not in the data (first "
                    f"{SAMPLE_ROWS:,} rows); {_did_you_mean(column, have)}"
                    f"its columns are: {_listing(have)}", index, *safe_loc(loc))
    everywhere = set().union(*sampled.values())
    if not everywhere:
        return
    for column, loc in policy_columns(policy).items():
        if column not in everywhere:
            yield policy.config_error(
                f"column {shown(column)} is in no source; {_did_you_mean(column, everywhere)}"
                f"the sources' columns are: {_listing(everywhere)}", *safe_loc(loc))


def check_columns(manifest: SourcesManifest, policy: Policy,
                  sampled: dict[str, set[str]] | None = None) -> None:
    """Raise the first of ``column_problems``."""
    for problem in column_problems(manifest, policy, sampled):
        raise problem


def entity_problems(manifest: SourcesManifest, policy: Policy):
    """A ConfigError for each entity named by the policy's operators or the manifest's
    ``fields`` that no recognizer or operator will serve (a typo would switch
    treatment off)."""
    from pipelines.anonymize.registry import detectable_entities
    known = detectable_entities(policy)
    choices = ", ".join(sorted(known))
    for entity in policy.anonymization.entities:
        if entity not in known:
            yield policy.config_error(
                f"unknown entity {entity!r}: no recognizer of the packs "
                f"{policy.anonymization.recognizer_packs} finds it; choose from {choices}",
                "anonymization", "entities", entity)
    for index, source in enumerate(manifest.sources):
        for column, entity in source.fields.items():
            if entity not in known:
                yield manifest.config_error(
                    f"source {source.id}: unknown entity {entity!r} for column {shown(column)}; "
                    f"choose from {choices}", index, *safe_loc(("fields", column)))


def check_entities(manifest: SourcesManifest, policy: Policy) -> None:
    """Raise the first of ``entity_problems``."""
    for problem in entity_problems(manifest, policy):
        raise problem


def check_declarations(manifest: SourcesManifest, policy: Policy) -> None:
    """All of the above, in the order a user would fix them; names that look like
    personal data first, as other messages would have to quote them."""
    sampled = {s.id: sample_columns(s) for s in manifest.sources}
    for problem in name_problems(manifest, policy, sampled):
        raise problem
    check_entities(manifest, policy)
    check_columns(manifest, policy, sampled)
