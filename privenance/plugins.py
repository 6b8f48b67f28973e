"""The plug-ins a policy chooses by name, and what each one is: anonymization
operators and recognizer packs, with their descriptions.

The core holds their metadata only; the implementations live in pipelines/anonymize
(operators.py registers each operator class against a name here, recognizers/ builds
the packs). So the policy validates names when it loads, and the report, Croissant,
SPDX and governance exports describe operators, without importing the pipelines.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass

from privenance.errors import ConfigError


@dataclass(frozen=True)
class OperatorInfo:
    """An operator as a reader of the dataset needs to know it. ``reversible``: the key
    holder can recover the original value; ``linkable``: the same value gives the same
    output everywhere, so whoever holds the key can link records of one person."""

    name: str
    description: str  # a clause: "<entity> was ..." (Croissant, SPDX, training summary)
    summary: str      # a few words for a table (the lineage report)
    reversible: bool = False
    linkable: bool = False


OPERATORS = {o.name: o for o in (
    OperatorInfo("keep", "kept unchanged", "kept unchanged"),
    OperatorInfo("redact", "removed", "removed"),
    OperatorInfo("replace", "replaced by its entity tag", "replaced by a tag such as <PERSON>"),
    OperatorInfo("mask", "masked except the last characters", "masked with *"),
    OperatorInfo("hash", "replaced by a keyed hash (HMAC-SHA256), linkable only with the key",
                 "replaced by a keyed hash", linkable=True),
    OperatorInfo("encrypt",
                 "encrypted deterministically (AES-SIV), reversible only by the key holder",
                 "encrypted (AES-SIV: the key holder can read it back)",
                 reversible=True, linkable=True),
    OperatorInfo("surrogate", "replaced by a consistent realistic surrogate chosen by a keyed hash",
                 "replaced by a consistent fake value", linkable=True),
    OperatorInfo("generalize_date", "generalized to a coarser date",
                 "generalized to a coarser date"),
    OperatorInfo("shift_date", "shifted by a keyed number of days",
                 "shifted by a keyed number of days"),
)}


@dataclass(frozen=True)
class RecognizerPackInfo:
    """A named set of recognizers (pipelines/anonymize/recognizers) and the entities
    they serve, known without building them (a test checks them against the pack)."""

    name: str
    description: str
    entities: frozenset[str]


RECOGNIZER_PACKS = {p.name: p for p in (
    RecognizerPackInfo(
        "hk", "Hong Kong: HKID (check digit), HK phones, HK and Chinese-script addresses, "
        "romanized Cantonese and Chinese-script names, emails glued to Chinese text",
        frozenset({"HK_ID", "PHONE_NUMBER", "PERSON", "EMAIL_ADDRESS", "STREET_ADDRESS"})),
    RecognizerPackInfo(
        "general", "Luhn-checked cards of any scheme, international phones and street "
        "addresses, and names the small NER model misses",
        frozenset({"CREDIT_CARD", "PHONE_NUMBER", "STREET_ADDRESS", "PERSON"})),
)}


def unknown_name(kind: str, name: str, known) -> str:
    """"unknown operator 'hsah'; did you mean 'hash'? choose from ..." (the hint only
    for a close name)."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown {kind} {name!r}; {hint}choose from {', '.join(known)}"


def operator_info(name: str) -> OperatorInfo:
    """The operator called ``name``; a ConfigError naming the known ones if none is."""
    if name not in OPERATORS:
        raise ConfigError(unknown_name("operator", name, OPERATORS),
                          field="anonymization.entities.operator")
    return OPERATORS[name]


def recognizer_pack(name: str) -> RecognizerPackInfo:
    """The recognizer pack called ``name``; a ConfigError naming the known ones if none is."""
    if name not in RECOGNIZER_PACKS:
        raise ConfigError(unknown_name("recognizer pack", name, RECOGNIZER_PACKS),
                          field="anonymization.recognizer_packs")
    return RECOGNIZER_PACKS[name]


def pseudonymizes(name: str | None) -> bool:
    """Whether whoever holds the key can link or reverse what the operator wrote."""
    info = OPERATORS.get(name)
    return bool(info and (info.linkable or info.reversible))


def describe_operator(name: str) -> str:
    """What an operator did, as a clause; an unknown name (an older run's) as itself."""
    return OPERATORS[name].description if name in OPERATORS else name
