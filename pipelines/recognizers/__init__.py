"""Recognizer packs, chosen by name in the policy (``anonymization.recognizer_packs``)."""
from __future__ import annotations


def hk_pack() -> list:
    from pipelines.recognizers import hk
    return [hk.HkIdRecognizer(), hk.HkPhoneRecognizer(), hk.HkRomanizedNameRecognizer(),
            hk.ChineseNameRecognizer(), hk.CjkSafeEmailRecognizer(), hk.StreetAddressRecognizer()]


def general_pack() -> list:
    from pipelines.recognizers import general
    return [general.LuhnCardRecognizer()]


PACKS = {"hk": hk_pack, "general": general_pack}
