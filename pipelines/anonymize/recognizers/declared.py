"""Recognizers and allow-lists declared in the policy (``anonymization.recognizers``
and ``anonymization.allow_list``), as Presidio's recognizers.yaml declares them.

Deny-list terms and allow-list terms match as whole words in Latin script and
anywhere in CJK text (where no space or ``\\b`` separates words).

A declared pattern runs with a time limit per text (``PATTERN_SECONDS``): one that
backtracks catastrophically on a text raises ``PatternTimedOut``, which fails that
text, so its record is quarantined (ANONYMIZE_FAILED). Presidio's own limit (60 s)
would skip the pattern and let the text through unscanned. The policy refuses such
patterns when it loads, where a repetitive probe text shows them (policy.py).
"""
from __future__ import annotations

import re

import regex
from presidio_analyzer import Pattern, PatternRecognizer

from privenance.identifiers import VALIDATORS
from privenance.policy import AllowList, RecognizerDecl

PATTERN_SECONDS = 1.0  # per declared pattern and text


class PatternTimedOut(Exception):
    """A declared pattern ran out of time on a text. Not a TimeoutError, which
    Presidio catches to skip the pattern."""


class BoundedPattern:
    """A compiled pattern whose ``finditer`` stops after ``seconds`` with
    PatternTimedOut, whatever timeout the caller asks for."""

    def __init__(self, pattern: str, flags: int = 0, seconds: float = PATTERN_SECONDS):
        self.compiled, self.seconds = regex.compile(pattern, flags=flags), seconds

    def finditer(self, text: str, timeout=None):
        try:
            yield from self.compiled.finditer(text, timeout=self.seconds)
        except TimeoutError:
            raise PatternTimedOut("a declared pattern ran out of time on this text") from None


def term_pattern(term: str) -> str:
    """A regex for ``term``: whole words at its Latin-script or digit edges."""
    body = re.escape(term)
    head = r"(?<![A-Za-z0-9])" if re.match(r"[A-Za-z0-9]", term) else ""
    tail = r"(?![A-Za-z0-9])" if re.search(r"[A-Za-z0-9]$", term) else ""
    return head + body + tail


class DeclaredRecognizer(PatternRecognizer):
    """A PatternRecognizer built from a ``RecognizerDecl``; a match that fails the
    declared validator is dropped."""

    def __init__(self, decl: RecognizerDecl, language: str):
        patterns = [Pattern(p.name, p.regex, p.score) for p in decl.patterns]
        if decl.deny_list:
            patterns.append(Pattern(f"{decl.name} deny-list",
                                    "|".join(term_pattern(t) for t in decl.deny_list), 1.0))
        self.check = VALIDATORS[decl.validator] if decl.validator else None
        super().__init__(supported_entity=decl.supported_entity, name=decl.name,
                         patterns=patterns, context=decl.context or None,
                         supported_language=language)
        for pattern in self.patterns:  # compiled here, with the flags Presidio uses
            pattern.compiled_regex = BoundedPattern(pattern.regex, self.global_regex_flags)
            pattern.compiled_with_flags = self.global_regex_flags

    def validate_result(self, pattern_text: str):
        return None if self.check is None else bool(self.check(pattern_text))


class AllowListFilter:
    """Takes allowed text out of findings: a finding inside it is dropped, one that
    overlaps it keeps only what lies outside (if a word of it is left)."""

    def __init__(self, allow: AllowList):
        parts = [term_pattern(t) for t in allow.terms] + [f"(?:{p})" for p in allow.patterns]
        self.pattern = (BoundedPattern("|".join(parts), regex.IGNORECASE | regex.V0)
                        if parts else None)

    def __call__(self, results: list, text: str) -> list:
        if self.pattern is None or not results:
            return results
        allowed = [m.span() for m in self.pattern.finditer(text) if m.end() > m.start()]
        if not allowed:
            return results
        from presidio_analyzer import RecognizerResult
        out = []
        for r in results:
            pieces = [(r.start, r.end)]
            for a, b in allowed:
                pieces = [part for s, e in pieces
                          for part in ((s, min(e, a)), (max(s, b), e)) if part[1] > part[0]]
            for s, e in pieces:
                while s < e and not text[s].isalnum():
                    s += 1
                while e > s and not text[e - 1].isalnum():
                    e -= 1
                if (s, e) == (r.start, r.end):
                    out.append(r)
                elif e - s >= 2:
                    out.append(RecognizerResult(r.entity_type, s, e, r.score,
                                                r.analysis_explanation))
        return out
