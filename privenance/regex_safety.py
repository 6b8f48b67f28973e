"""The regular expressions a policy declares (recognizer patterns, allow lists) are
checked as the policy loads: valid, and not catastrophically slow on short probe texts,
so a bad pattern is a configuration error rather than a run that hangs."""
from __future__ import annotations

# Texts on which a pattern that backtracks catastrophically (nested quantifiers such
# as (a+)+ or (\w+\s?)*$) takes exponential time: each repeats one kind of character
# and ends in one that makes the match fail. A sound pattern scans one in microseconds.
_PROBE_UNITS = ("a", "A", "1", " ", ".", "-", "_", "a1", "a ", "a.")
_PROBE_SECONDS = 0.5


def _probes(pattern: str) -> list[str]:
    """The probe texts for a pattern: common characters and those it names itself."""
    own = sorted({c for c in pattern if c.isalnum()})[:12]
    return [unit * 30 + end for unit in (*_PROBE_UNITS, *own) for end in ("!", "\x00")]


def checked_regex(value: str) -> str:
    """A policy's regular expression: valid, and not catastrophically slow on a probe
    text (checked as the pipeline runs it: the ``regex`` package, Presidio's flags).
    The pipeline also stops a pattern on any text after a time limit
    (pipelines/anonymize/recognizers/declared.py), quarantining that record."""
    import re

    import regex
    try:
        re.compile(value)
        compiled = regex.compile(value, flags=regex.DOTALL | regex.MULTILINE | regex.IGNORECASE)
    except (re.error, regex.error) as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    import time
    deadline = time.monotonic() + _PROBE_SECONDS  # for all the probes together
    try:
        for probe in _probes(value):
            for _ in compiled.finditer(probe, timeout=max(0.01, deadline - time.monotonic())):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError
    except TimeoutError:
        raise ValueError("the pattern backtracks catastrophically (it took over "
                         f"{_PROBE_SECONDS} s on short repetitive texts): avoid nested "
                         "quantifiers such as (a+)+ or (\\w+\\s?)*") from None
    return value
