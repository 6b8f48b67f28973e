"""A normalized view of a text for detection, with a map back to the original.

Hong Kong text writes identifiers in forms that patterns for ASCII miss: full-width
letters and digits (Ａ１２３４５６（３）, ＠, ９１２３　４５６７), Chinese numerals for
phone numbers (九一二三四五六七), digits spaced out (9 1 2 3 4 5 6 7), zero-width
characters inside a value, and obfuscated emails (chan [at] gmail [dot] com).
Detection runs on ``view``; ``span`` maps a finding in the view back to the original
text, where the replacement lands. Pure Python: the residual scan and the DPP4 suite
use it too.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
# Han characters ("CJK" throughout the code), as the ranges of a character class:
# Extension A, the Unified Ideographs, the Compatibility Ideographs and the
# supplementary planes (Extensions B to H, where Cantonese characters such as 𠵱 live).
# The one definition: every pattern that means a Chinese character uses it.
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
CJK = re.compile(f"[{HAN}]")
# lone surrogates (a JSON "\\ud800" escape decodes to one): no UTF-8 encoding exists, so
# spaCy's tokenizer raises on them. The view has U+FFFD in their place, one for one
_SURROGATE = re.compile("[\ud800-\udfff]")
# full-width digits, letters, ＠ （ ） ＋ － ． ＿ and the ideographic space
_IDENTIFIER_FORMS = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff20\uff08\uff09"
                               "\uff0b\uff0d\uff0e\uff3f\u3000]")
_NUMERALS = {"零": "0", "〇": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5",
             "六": "6", "七": "7", "八": "8", "九": "9"}
# seven or more Chinese numerals in a row (an 8-digit phone, perhaps with a space):
# shorter runs are ordinary words (一二三, 十一)
_NUMERAL_RUN = re.compile(r"[零〇一二三四五六七八九](?:[ 　]?[零〇一二三四五六七八九]){6,}")
# single digits separated by single spaces, eight or more: "9 1 2 3 4 5 6 7"
_SPACED_DIGITS = re.compile(r"(?<!\d)(?<!\d )\d(?: \d){7,}(?! ?\d)")
# an HKID written out a character at a time: "A 1 2 3 4 5 6 ( 3 )"
_SPACED_HKID = re.compile(r"(?<![A-Za-z0-9])[A-Z](?: [A-Z])?(?: \d){6} (?:\( ?[0-9A] ?\)|[0-9A])(?![A-Za-z0-9])")
# an identifier-like run of Latin letters, digits and marks (7+, as a phone, an HKID,
# an IP or an email) right against Chinese text: patterns that look for a word boundary
# (\b) see none there, since CJK characters are word characters too. Shorter runs
# (2024年5月) are left alone: recognizers of Chinese text expect them so.
_CJK_LATIN = re.compile(rf"(?<=[{HAN}])[A-Za-z0-9][\w.@+()-]{{6,}}(?<![{HAN}])"
                        rf"|[A-Za-z0-9][\w.@+()-]{{5,}}[A-Za-z0-9)](?=[{HAN}])", re.ASCII)
_AT = re.compile(r"\s*[\[({<]\s*(?:at|AT|At)\s*[\])}>]\s*")
_DOT = re.compile(r"\s*[\[({<]\s*(?:dot|DOT|Dot)\s*[\])}>]\s*")
# anything a view would differ in; most texts have none of it and keep their own view
_NEEDS = re.compile("|".join(p.pattern for p in (_IDENTIFIER_FORMS, _NUMERAL_RUN, _SPACED_DIGITS,
                                                 _SPACED_HKID, _CJK_LATIN, _AT, _DOT))
                    + f"|[{ZERO_WIDTH}]|{_SURROGATE.pattern}")


@dataclass(frozen=True)
class View:
    """``text`` as detection sees it; ``starts[i]``/``ends[i]`` are the original span of
    view character ``i`` (None when the view is the text itself; empty for a space the
    view inserts)."""

    original: str
    text: str
    starts: tuple[int, ...] | None = None
    ends: tuple[int, ...] | None = None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the view span [start, end)."""
        if self.starts is None or end <= start:
            return start, end
        return self.starts[start], self.ends[end - 1]


def _replace(chars: list[tuple[str, int, int]], pattern: re.Pattern, repl) -> list:
    """Apply ``pattern`` to the characters' text; each replacement character takes the
    original span of everything its match covered."""
    text = "".join(c for c, _, _ in chars)
    out, last = [], 0
    for m in pattern.finditer(text):
        if m.start() == m.end():
            continue
        out += chars[last:m.start()]
        start, end = chars[m.start()][1], chars[m.end() - 1][2]
        out += [(c, start, end) for c in repl(m.group(0))]
        last = m.end()
    return out + chars[last:]


def _separate_scripts(chars: list) -> list:
    """Spaces around an identifier-like run glued to Chinese text (個IP係203.0.113.5,
    打91234567搵我), so it has word edges. An inserted space stands for no original
    character: its span is empty."""
    text = "".join(c for c, _, _ in chars)
    out, last = [], 0
    for m in _CJK_LATIN.finditer(text):
        start, end = m.span()
        out += chars[last:start]
        if start > 0 and is_cjk(text[start - 1]):
            out.append((" ", chars[start][1], chars[start][1]))
        out += chars[start:end]
        if end < len(text) and is_cjk(text[end]):
            out.append((" ", chars[end - 1][2], chars[end - 1][2]))
        last = end
    return out + chars[last:]


def is_cjk(ch: str) -> bool:
    """Whether the character is a Han character (HAN)."""
    return CJK.match(ch) is not None


def may_differ(text: str) -> bool:
    """Whether ``view(text)`` may differ from ``text`` (cheap: most texts do not)."""
    return bool(_NEEDS.search(text))


def view(text: str) -> View:
    """The normalized view of ``text`` (the text itself when nothing needs changing)."""
    if not _NEEDS.search(text):
        return View(text, text)
    chars = []
    for i, ch in enumerate(text):
        if ch in ZERO_WIDTH:
            continue  # a zero-width character splits nothing a reader sees
        if _SURROGATE.match(ch):
            ch = "\ufffd"
        # full-width letters, digits and the marks identifiers use become ASCII (NFKC);
        # Chinese punctuation (，。) stays as it is for the Chinese analyzers
        chars.append((unicodedata.normalize("NFKC", ch) if _IDENTIFIER_FORMS.match(ch) else ch,
                      i, i + 1))
    chars = _replace(chars, _NUMERAL_RUN, lambda s: "".join(_NUMERALS.get(c, "") for c in s))
    chars = _replace(chars, _SPACED_DIGITS, lambda s: s.replace(" ", ""))
    chars = _replace(chars, _SPACED_HKID, lambda s: s.replace(" ", ""))
    chars = _replace(chars, _AT, lambda s: "@")
    chars = _replace(chars, _DOT, lambda s: ".")
    chars = _separate_scripts(chars)
    normal = "".join(c for c, _, _ in chars)
    if normal == text:
        return View(text, text)
    return View(text, normal, tuple(s for _, s, _ in chars), tuple(e for _, _, e in chars))
