"""Recognizer packs, chosen by name in the policy (``anonymization.recognizer_packs``).

A pack is a function returning fresh Presidio recognizers; ``TextAnonymizer`` keeps
only those serving an entity the policy lists.
"""
from __future__ import annotations

from privenance.plugins import RECOGNIZER_PACKS


def hk_pack(policy=None) -> list:
    """HKID (check digit), HK phones, HK and Chinese-script addresses, romanized
    Cantonese and Chinese-script names (with the tool ``policy`` names), emails glued
    to Chinese text."""
    from pipelines.anonymize.recognizers import hk, zh
    tool = None
    if policy is not None:
        names = policy.anonymization.chinese_names
        tool = {"name": names.tool, "version": names.version, "model": names.model,
                "model_sha256": names.model_sha256}
    return [hk.HkIdRecognizer(), hk.HkPhoneRecognizer(), hk.HkRomanizedNameRecognizer(),
            hk.ChineseNameRecognizer(), hk.CjkSafeEmailRecognizer(), hk.HkAddressRecognizer(),
            zh.ChinesePersonRecognizer(tool=tool)]


def general_pack(policy=None) -> list:
    """Luhn-checked cards of any scheme, international phones and street addresses,
    and names the small NER model misses (gazetteer, context phrases, addressees)."""
    from pipelines.anonymize.recognizers import general, names
    return [general.LuhnCardRecognizer(), general.InternationalPhoneRecognizer(),
            general.StreetAddressRecognizer(), names.NameGazetteerRecognizer()]


PACKS = {"hk": hk_pack, "general": general_pack}  # as named in privenance/plugins.py
# the entities each pack's recognizers serve, known without building them (a test
# checks this against the recognizers themselves)
PACK_ENTITIES = {name: set(pack.entities) for name, pack in RECOGNIZER_PACKS.items()}
