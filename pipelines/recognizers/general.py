"""Recognizers that are not specific to Hong Kong."""
from __future__ import annotations

import re

from presidio_analyzer import Pattern, PatternRecognizer

from privenance.identifiers import luhn_ok


class LuhnCardRecognizer(PatternRecognizer):
    """12 to 19 digit card numbers of any scheme (JCB, Maestro, 19-digit Visa), kept
    only when the Luhn checksum holds. Presidio's own card pattern misses these."""

    def __init__(self):
        super().__init__(
            supported_entity="CREDIT_CARD", name="LuhnCardRecognizer",
            patterns=[Pattern("luhn_card", r"(?<![\d-])\d(?:[ -]?\d){11,18}(?![\d-])", 0.3)],
            context=["card", "credit", "debit", "visa", "mastercard", "amex", "jcb", "卡"])

    def validate_result(self, pattern_text: str):
        return luhn_ok(re.sub(r"\D", "", pattern_text)) or False
