"""High-precision checks for direct identifiers that must never survive anonymization.

Shared by the pipeline's residual scan and the DPP4 validation suite. Each check
validates structure (Luhn, HKID check digit, IBAN mod 97, address ranges), so our
own outputs (tags, hashes, ENC: tokens, example-domain surrogates) never match.
"""
from __future__ import annotations

import ipaddress
import re

_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![A-Za-z0-9-])")
_RESERVED_EMAIL = re.compile(r"@(?:[\w-]+\.)*example\.(?:com|org|net)$", re.I)
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){11,18}(?![\d-])")
_HKID = re.compile(r"(?<![A-Za-z0-9])([A-Z]{1,2})(\d{6})\s?\(?([0-9A])\)?(?![A-Za-z0-9])")
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
    s = text.replace(" ", "")
    if not 15 <= len(s) <= 34:
        return False
    n = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(n) % 97 == 1


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
    """Identifiers left in anonymized text, ignoring privenance's own outputs."""
    if not isinstance(text, str):
        return []
    return find_identifiers(OWN_OUTPUT.sub(" ", text), entities)
