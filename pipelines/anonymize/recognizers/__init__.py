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


def hk_not_persons() -> frozenset:
    """Hong Kong districts and places, built from the syllables of Cantonese names
    (Sha Tin, Wong Tai Sin): the NER's PERSON on one of these is dropped."""
    from pipelines.anonymize.recognizers.lexicon import HK_PLACES
    return frozenset(HK_PLACES)


PACKS = {"hk": hk_pack, "general": general_pack}  # as named in privenance/plugins.py
# what each pack knows is no person, though an NER model may read it as one
NOT_PERSONS = {"hk": hk_not_persons}


def not_persons(packs) -> frozenset:
    """The values the chosen packs say are no person's name."""
    return frozenset().union(*(NOT_PERSONS[p]() for p in packs if p in NOT_PERSONS))
# the entities each pack's recognizers serve, known without building them (a test
# checks this against the recognizers themselves)
PACK_ENTITIES = {name: set(pack.entities) for name, pack in RECOGNIZER_PACKS.items()}
