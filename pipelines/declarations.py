"""Check what the sources manifest and the policy declare, before a run reads any data
for real: fail closed on a typo rather than let a column pass through untreated.

- every declared column (a source's id_field, text_fields and fields; the policy's
  quasi-identifiers and validation columns) exists in the data, judged on a sample;
- every entity the policy or the manifest names has a recognizer that will run.

Each problem is a ConfigError naming the file and line that declared it.
"""
from __future__ import annotations

import re
from itertools import islice

from privenance import provenance as P
from privenance.policy import Policy
from privenance.sources import Source, SourcesManifest

SAMPLE_ROWS = 1000  # records read per source to learn its columns


def sample_columns(source: Source, rows: int = SAMPLE_ROWS) -> set[str]:
    """Column names in the first ``rows`` readable records of a source (for JSONL,
    the union of their keys). Empty when nothing is readable: the readers quarantine
    unreadable rows, and an empty source has nothing to leak."""
    from pipelines.readers import read_source
    columns: set[str] = set()
    for row in islice(read_source(source), rows):
        if row.values is not None:
            columns.update(row.values)
    return columns


def source_columns(source: Source) -> dict[str, tuple]:
    """The columns a source declares, each with its key path in the manifest entry."""
    declared = {}
    if source.id_field:
        declared[source.id_field] = ("id_field",)
    for i, column in enumerate(source.text_fields):
        declared.setdefault(column, ("text_fields", i))
    for column in source.fields:
        declared.setdefault(column, ("fields", column))
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


# words of ordinary headers: "First Name" or "Date Of Birth" is a header, "Chan Tai Man" is not
HEADER_WORDS = frozenset("""name names first last middle full given family surname date birth
time created updated id no number code type status email mail phone mobile tel address
street city country district region language lang text body message note notes comment
comments title subject summary description amount price total score rating age gender
sex category product channel source licence license author user customer client staff
agent case ticket order account reference ref of the and at on by to""".split())
_WORD = re.compile(r"[A-Z][a-z]+")
_CJK = re.compile(r"[\u3400-\u9fff]{2,4}")


def looks_like_data(name: str) -> bool:
    """Whether a column name looks like a value (an email, a number, a person's name),
    as in a CSV whose header row is a data row: such a name is never echoed."""
    from pipelines.recognizers.hk import ZH_SURNAMES
    from privenance.identifiers import find_identifiers
    words = name.split()
    return bool(
        "@" in name or re.search(r"\d{6}", name) or find_identifiers(name)
        or (2 <= len(words) <= 4 and all(_WORD.fullmatch(w) for w in words)
            and not any(w.lower() in HEADER_WORDS for w in words))
        or (_CJK.fullmatch(name) and name[0] in ZH_SURNAMES))


def _listing(columns: set[str]) -> str:
    shown = sorted(c for c in columns if not looks_like_data(c))
    hidden = len(columns) - len(shown)
    if hidden:
        shown.append(f"({hidden} name(s) withheld: they look like personal data)")
    return ", ".join(shown) if shown else "(none)"


def _did_you_mean(column: str, have: set[str]) -> str:
    """"did you mean 'x'? " for the closest column name, never one that looks like data."""
    import difflib
    safe = {c.lower(): c for c in have if not looks_like_data(c)}
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
                    f"source {source.id}: column {column!r} is not in the data (first "
                    f"{SAMPLE_ROWS:,} rows); {_did_you_mean(column, have)}"
                    f"its columns are: {_listing(have)}", index, *loc)
    everywhere = set().union(*sampled.values())
    if not everywhere:
        return
    for column, loc in policy_columns(policy).items():
        if column not in everywhere:
            yield policy.config_error(
                f"column {column!r} is in no source; {_did_you_mean(column, everywhere)}"
                f"the sources' columns are: {_listing(everywhere)}", *loc)


def check_columns(manifest: SourcesManifest, policy: Policy,
                  sampled: dict[str, set[str]] | None = None) -> None:
    """Raise the first of ``column_problems``."""
    for problem in column_problems(manifest, policy, sampled):
        raise problem


def entity_problems(manifest: SourcesManifest, policy: Policy):
    """A ConfigError for each entity named by the policy's operators or the manifest's
    ``fields`` that no recognizer or operator will serve (a typo would switch
    treatment off)."""
    from pipelines.anonymize import detectable_entities
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
                    f"source {source.id}: unknown entity {entity!r} for column {column!r}; "
                    f"choose from {choices}", index, "fields", column)


def check_entities(manifest: SourcesManifest, policy: Policy) -> None:
    """Raise the first of ``entity_problems``."""
    for problem in entity_problems(manifest, policy):
        raise problem


def check_declarations(manifest: SourcesManifest, policy: Policy) -> None:
    """All of the above, in the order a user would fix them."""
    check_entities(manifest, policy)
    check_columns(manifest, policy)
