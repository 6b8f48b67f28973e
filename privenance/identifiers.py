"""High-precision checks for direct identifiers that must never survive anonymization.

Shared by the pipeline's residual scan and the DPP4 validation suite. Each check
validates structure (Luhn, HKID check digit, IBAN mod 97, address ranges), so our
own outputs (tags, hashes, ENC: tokens, example-domain surrogates) never match.
"""
from __future__ import annotations

import ipaddress
import re

from privenance import textnorm

_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![A-Za-z0-9-])")
_RESERVED_EMAIL = re.compile(r"@(?:[\w-]+\.)*example\.(?:com|org|net)$", re.I)
# the one definition of each shape, shared by the recognizers (general.py, hk.py) and
# the residual checks here. A card: 12 to 19 digits, a space or hyphen between any two
# (luhn_ok decides). An HKID: one or two letters, six digits and the check digit,
# bracketed or not (groups: letters, digits, check digit; hkid_ok decides).
CARD_PATTERN = r"(?<![\d-])\d(?:[ -]?\d){11,18}(?![\d-])"
HKID_PATTERN = r"(?<![A-Za-z0-9])([A-Z]{1,2})(\d{6})\s?\(?([0-9A])\)?(?![A-Za-z0-9])"
_CARD = re.compile(CARD_PATTERN)
_HKID = re.compile(HKID_PATTERN)
_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IBAN = re.compile(r"(?<![A-Z0-9])[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?(?![A-Z0-9])")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return len(digits) >= 12 and total % 10 == 0


def hkid_ok(letters: str, digits: str, check: str) -> bool:
    """HKID check digit: weights 9..2 over the (space-padded) letters and digits, mod 11."""
    values = [36 if c == " " else ord(c) - 55 for c in letters.rjust(2)] + [int(d) for d in digits]
    expected = (11 - sum(v * w for v, w in zip(values, range(9, 1, -1))) % 11) % 11
    return check == ("A" if expected == 10 else str(expected))


def iban_ok(text: str) -> bool:
    # any whitespace _IBAN's \s took (a newline, a tab), not the space alone: the rest
    # is letters and digits, which int(c, 36) reads
    s = re.sub(r"\s", "", text)
    if not 15 <= len(s) <= 34:
        return False
    n = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(n) % 97 == 1


def hkid_check_ok(text: str) -> bool:
    """Whether the whole text is an HKID whose check digit holds (any case, spaces
    around it aside)."""
    m = _HKID.fullmatch(text.strip().upper())
    return bool(m) and hkid_ok(*m.groups())


def _hkid_text_ok(text: str) -> bool:
    m = _HKID.search(text.upper())
    return bool(m) and hkid_ok(*m.groups())


# check functions a policy-declared recognizer may name as its ``validator``: a match
# that fails its check is not a finding
VALIDATORS = {
    "luhn": lambda text: luhn_ok(re.sub(r"\D", "", text)),
    "hkid": _hkid_text_ok,
    "iban": lambda text: iban_ok(re.sub(r"[\s-]", "", text.upper())),
}


def _ip_ok(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
        return True
    except ValueError:
        return False


CHECKS = {
    "EMAIL_ADDRESS": lambda t: [m for m in _EMAIL.finditer(t) if not _RESERVED_EMAIL.search(m.group(0))],
    "CREDIT_CARD": lambda t: [m for m in _CARD.finditer(t) if luhn_ok(re.sub(r"\D", "", m.group(0)))],
    "HK_ID": lambda t: [m for m in _HKID.finditer(t) if hkid_ok(*m.groups())],
    "US_SSN": lambda t: list(_SSN.finditer(t)),
    "IP_ADDRESS": lambda t: [m for m in _IPV4.finditer(t) if _ip_ok(m.group(0))],
    "IBAN_CODE": lambda t: [m for m in _IBAN.finditer(t) if iban_ok(m.group(0))],
}


def find_identifiers(text, entities=tuple(CHECKS)) -> list[str]:
    """Entity types of the high-precision identifiers in ``text`` (one per match)."""
    if not isinstance(text, str):
        return []
    return [e for e in entities if e in CHECKS for _ in CHECKS[e](text)]


# Our own outputs, blanked before a residual check: keyed hashes (hex with a letter,
# which may hold a Luhn-valid digit run), ENC: tokens, <TAG>s and surrogate IPs in the
# RFC 5737 documentation range.
OWN_OUTPUT = re.compile(r"(?<![0-9A-Za-z@._%+-])(?=[0-9a-f]*[a-f])[0-9a-f]{8,64}(?![0-9A-Za-z@_-])(?!\.\w)"
                        r"|ENC:[A-Za-z0-9_-]+|<[A-Z_]+>|(?<![\d.])192\.0\.2\.\d{1,3}(?![\d.])")


def find_residual(text, entities=tuple(CHECKS)) -> list[str]:
    """Identifiers left in anonymized text, ignoring privenance's own outputs; checked
    on the text's normalized view too (full-width forms, zero-width characters,
    obfuscated emails: privenance/textnorm.py)."""
    if not isinstance(text, str) or not may_hold_residual(text):
        return []  # most anonymized texts: nothing to find, no scan (0.7 ms a text)
    found = find_identifiers(OWN_OUTPUT.sub(" ", text), entities)
    normal = textnorm.view(text).text
    if normal != text:
        found += find_identifiers(OWN_OUTPUT.sub(" ", normal), entities)
    return found


# Which texts find_residual can flag at all: a prefilter for scanning many texts, run
# vectorized by RE2 in Arrow. Exact, because it is a necessary condition:
# OWN_OUTPUT.sub only swaps whole tokens for one space, so a stretch without spaces in
# the blanked text is also in the text. In a text whose digits are all 0-9 (Python's \d
# also takes other decimal digits, such as "３"; such texts are always scanned):
#   EMAIL_ADDRESS needs x@y.z; HK_ID a capital and six digits; US_SSN ddd-dd-dddd;
#   IP_ADDRESS d.d.d.d; IBAN_CODE two capitals and two digits; all without spaces;
#   CREDIT_CARD needs 12 digits, each next to the following one or one space or hyphen
#   apart. In the text that separator may instead be one blanked own-output token, but
#   only a <TAG>: a hex token or a 192.0.2.x cannot follow a digit (their lookbehinds)
#   and an ENC: token would have swallowed the digit after it.
# Only ASCII classes, so RE2 and Python's re read the pattern alike.
MAY_HOLD = re.compile(r"[A-Za-z0-9._%+-]@[A-Za-z0-9-]+\.[A-Za-z0-9-]"
                      r"|[A-Z][0-9]{6}|[0-9]{3}-[0-9]{2}-[0-9]{4}"
                      r"|[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|[A-Z]{2}[0-9]{2}"
                      r"|[0-9](?:(?:[ -]|<[A-Z_]+>)?[0-9]){11}")
_OTHER_DIGIT = re.compile(r"[^\D0-9]")  # a decimal digit other than 0-9


def may_hold_residual(text: str, matches: bool | None = None, ascii_: bool | None = None) -> bool:
    """Whether ``find_residual`` can find anything in ``text`` (MAY_HOLD: exact).
    ``matches`` and ``ascii_``: whether MAY_HOLD matches it and whether it is ASCII,
    when already known (residual_flags computes them for many texts at once)."""
    matches = bool(MAY_HOLD.search(text)) if matches is None else matches
    ascii_ = text.isascii() if ascii_ is None else ascii_
    return matches or (not ascii_ and bool(_OTHER_DIGIT.search(text))) or textnorm.may_differ(text)


def residual_flags(values) -> list[bool]:
    """``[bool(find_residual(v)) for v in values]``, quicker over many texts: MAY_HOLD
    and the ASCII check run over all of them at once (Arrow), and only the texts
    ``may_hold_residual`` lets through are scanned, once per distinct text."""
    import pyarrow as pa
    import pyarrow.compute as pc
    texts = [v if isinstance(v, str) else None for v in values]
    try:
        array = pa.array(texts, pa.string())
    except (pa.ArrowException, UnicodeError):  # e.g. a lone surrogate: scan every text
        may_hold, ascii_only = [True] * len(texts), [True] * len(texts)
    else:
        may_hold = pc.match_substring_regex(array, MAY_HOLD.pattern).to_pylist()
        ascii_only = pc.string_is_ascii(array).to_pylist()
    found: dict[str, bool] = {}
    flags = []
    for text, may, ascii_ in zip(texts, may_hold, ascii_only):
        if text is None or not may_hold_residual(text, may, ascii_):
            flags.append(False)
        else:
            if text not in found:
                found[text] = bool(find_residual(text))
            flags.append(found[text])
    return flags


# Common Hong Kong names, romanized: surrogate names draw from them (pipelines/anonymize/operators.py)
# and a column name made of them reads as a person's name (name_problem)
HK_SURNAMES = ["Chan", "Wong", "Lee", "Cheung", "Lau", "Ng", "Ho", "Leung", "Lam", "Tsang", "Yip",
               "Chow", "Tang", "Kwok", "Fung", "Yeung", "Mak", "Tse", "Lo", "Hui", "Chu", "Poon",
               "Siu", "Choi", "Kwan", "Law", "Au", "Chung", "Tam", "Yuen"]
# not Tai Man and Siu Ming: the names forms use as examples, which real customers have too
HK_GIVEN = ["Ka Yan", "Wing Sze", "Chi Keung", "Mei Ling", "Ho Yin",
            "Ka Wai", "Suet Ying", "Kin Wah", "Hiu Tung", "Wai Lun", "Pui Shan", "Tsz Kin",
            "Ka Ho", "Wing Yan", "Chun Kit", "Hoi Ting", "Man Kit", "Sze Wing", "Ching Yee",
            "Kwok Wai", "Lok Yi", "Tsz Ching", "Yan Ting", "Chi Wai", "Hei Man", "Wai Kei"]
_GIVEN_SYLLABLES = frozenset(w for g in HK_GIVEN for w in g.split()) | frozenset(
    "Wai Kwok Yee Chi Ka Ming Man Yan Fai Kin Hung Sze Ling Ying Kit Wing Ho Yin Lok Tsz Hoi "
    "Pui Shan Mei Siu Tai Chun Kei Hei Tung Hiu Suet Wah Lun Yuk Fung Kam Yiu Chiu Wan".split())
_PHONE_SHAPE = re.compile(r"\+?\(?\d[\d\s().-]{5,}\d")
_NUMBER = re.compile(r"[+-]?[$€£¥]?\d[\d,]*(?:\.\d+)?%?")
_DATE_SHAPE = re.compile(r"\d{1,4}[-/.年]\d{1,2}[-/.月]\d{1,4}日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?.*)?")
_TITLE_WORD = re.compile(r"[A-Z][a-z]+(?:-[A-Za-z][a-z]+)?")
NAME_MAX_CHARS, NAME_MAX_WORDS = 64, 6  # a longer name reads as a sentence of data


def _person_name(text: str) -> bool:
    """Two to four capitalised words of a common Hong Kong or English name (Chan Siu
    Ming, Siu Ming Chan, Mary Chan, John Smith): how data, not a header, reads."""
    words = text.split()
    if not 2 <= len(words) <= 4 or not all(_TITLE_WORD.fullmatch(w) for w in words):
        return False
    syllables = [s.capitalize() for w in words for s in w.split("-")]
    surnames = set(HK_SURNAMES)
    if syllables[0] in surnames and all(s in _GIVEN_SYLLABLES for s in syllables[1:]):
        return True
    if syllables[-1] in surnames and all(s in _GIVEN_SYLLABLES for s in syllables[:-1]):
        return True
    from faker.providers.person.en_US import Provider
    return words[0] in Provider.first_names and (words[-1] in Provider.last_names
                                                 or words[-1] in surnames)


def name_problem(name, identifiers_only: bool = False) -> str | None:
    """What a column name, JSON key or file name looks like when it looks like data
    rather than a name (an email address, a phone number, an HKID, another identifier,
    a person's name; unless ``identifiers_only``, also a number, a date, a sentence), or
    None. Says what, never quotes it: the name may be personal data (a CSV read without
    its header row)."""
    text = str(name).strip()
    if not text:
        return None
    found = find_residual(text)
    if found or _EMAIL.search(text):
        return "an email address" if "@" in text else f"an identifier, {found[0]}"
    if _HKID.search(text.upper()):
        return "an HKID"
    if sum(c.isdigit() for c in text) >= 7 and _PHONE_SHAPE.search(text) and not (
            _DATE_SHAPE.fullmatch(text)):
        return "a phone number"
    if _person_name(text):
        return "a person's name"
    if identifiers_only:
        return None
    if _NUMBER.fullmatch(text):
        return "a number"
    if _DATE_SHAPE.fullmatch(text):
        return "a date"
    if len(text) > NAME_MAX_CHARS or len(text.split()) >= NAME_MAX_WORDS:
        return "a sentence"
    return None
