"""The recognizers a policy needs, as a Presidio ``RecognizerRegistry``.

Presidio's predefined recognizers for the entities the policy lists, the spaCy NER
(implausible spans left out), regional phone numbers, the policy's recognizer packs
(pipelines/anonymize/recognizers, chosen by name), the recognizers it declares, and in
the thorough profile a second opinion on names. Fail closed: an entity no recognizer
finds is a configuration error, as it would pass through untreated.
"""
from __future__ import annotations

import functools
import logging
import re

from privenance.errors import ConfigError
from privenance.plugins import recognizer_pack
from privenance.textnorm import CJK, HAN

LETTER = re.compile(f"[A-Za-z{HAN}]")
# Presidio's default recognizers we keep, by the entity they serve
BUILTIN = {"EMAIL_ADDRESS": "EmailRecognizer", "CREDIT_CARD": "CreditCardRecognizer",
           "IBAN_CODE": "IbanRecognizer", "IP_ADDRESS": "IpRecognizer", "US_SSN": "UsSsnRecognizer",
           "US_DRIVER_LICENSE": "UsLicenseRecognizer", "US_PASSPORT": "UsPassportRecognizer",
           "US_BANK_NUMBER": "UsBankRecognizer", "URL": "UrlRecognizer",
           "DATE_TIME": "DateRecognizer", "MEDICAL_LICENSE": "MedicalLicenseRecognizer"}
PHONE_REGIONS = ("HK", "US", "GB", "CN", "SG", "AU", "CA", "IN", "DE", "FR")
# what the spaCy NER gives once the labels TextAnonymizer ignores are left out
NER_ENTITIES = {"PERSON", "LOCATION"}


def detectable_entities(policy) -> set[str]:
    """Entities some recognizer can find under this policy: Presidio's built-ins we
    keep, the NER's, regional phone numbers, and the policy's recognizer packs.
    Cheap (nothing is built); ``build_registry`` checks the real registry."""
    known = set(BUILTIN) | NER_ENTITIES | {"PHONE_NUMBER"}
    known |= {r.supported_entity for r in policy.anonymization.recognizers}
    for pack in policy.anonymization.recognizer_packs:
        known |= set(recognizer_pack(pack).entities)
    return known


def build_registry(policy, entities: list[str]):
    """The registry of every recognizer that serves one of ``entities`` under
    ``policy``; a ConfigError if some entity has none."""
    from presidio_analyzer import RecognizerRegistry
    cfg = policy.anonymization
    registry = RecognizerRegistry(supported_languages=[cfg.language])
    _load_predefined(registry, cfg.language, entities)
    from pipelines.anonymize.recognizers import not_persons
    # the packs' places that read like names (the hk pack's Sha Tin) are no person
    plausible = functools.partial(_plausible, not_persons=not_persons(cfg.recognizer_packs))
    for recognizer in (_filtered_spacy_recognizer(plausible), *_phone(entities),
                       *_packs(policy, entities), *_declared(cfg),
                       *_thorough(cfg, entities, plausible)):
        registry.add_recognizer(recognizer)
    missing = set(entities) - set(registry.get_supported_entities([cfg.language]))
    if missing:  # fail closed: an entity nothing finds would pass through untreated
        raise ConfigError(f"no recognizer finds {', '.join(sorted(missing))}",
                          field="anonymization.entities")
    return registry


def _load_predefined(registry, language: str, entities: list[str]) -> None:
    """Presidio's predefined recognizers, those in BUILTIN for ``entities`` only, built
    from Presidio's own configuration (the same context words, in the same order) as
    ``load_predefined_recognizers`` builds them. Only the wanted ones are built: it
    builds every one (compiling the patterns of each, the URL recognizer's list of
    every top-level domain among them) for all but a few to be removed: little CPU
    unprofiled, much under cProfile (benchmarks/PROFILE.md)."""
    from presidio_analyzer.recognizer_registry.recognizers_loader_utils import (
        RecognizerConfigurationLoader, RecognizerListLoader)
    wanted = {BUILTIN[e] for e in entities if e in BUILTIN}
    configuration = RecognizerConfigurationLoader.get(registry_configuration={
        "global_regex_flags": registry.global_regex_flags, "supported_languages": [language]})
    configuration["recognizers"] = [
        conf for conf in configuration["recognizers"]
        if RecognizerListLoader.get_recognizer_name(recognizer_conf=conf) in wanted]
    # Presidio warns about each predefined recognizer of another language it skips:
    # noise in the run's log
    presidio_log = logging.getLogger("presidio-analyzer")
    presidio_log.setLevel(logging.ERROR)
    try:
        registry.recognizers.extend(RecognizerListLoader.get(**configuration))
    finally:
        presidio_log.setLevel(logging.WARNING)


def _phone(entities: list[str]) -> list:
    from pipelines.anonymize.recognizers.general import regional_phone_recognizer
    return [regional_phone_recognizer(PHONE_REGIONS)] if "PHONE_NUMBER" in entities else []


def _packs(policy, entities: list[str]) -> list:
    """The recognizers of the policy's packs that serve one of ``entities``."""
    from pipelines.anonymize.recognizers import PACKS
    out = []
    for pack in policy.anonymization.recognizer_packs:
        recognizer_pack(pack)  # an unknown name is a ConfigError naming the known ones
        out += [r for r in PACKS[pack](policy) if r.supported_entities[0] in entities]
    return out


def _declared(cfg) -> list:
    from pipelines.anonymize.recognizers.declared import DeclaredRecognizer
    return [DeclaredRecognizer(decl, cfg.language) for decl in cfg.recognizers]


def _thorough(cfg, entities: list[str], plausible) -> list:
    """The thorough profile's vote of other models on names."""
    if not (cfg.profile == "thorough" and "PERSON" in entities):
        return []
    from pipelines.anonymize.recognizers.ensemble import SecondOpinionRecognizer, model_location
    for model in cfg.thorough_models:
        model_location(model)  # a missing model is a configuration error now
    return [SecondOpinionRecognizer(cfg.thorough_models, plausible, cfg.language)]


def _plausible(entity: str, value: str, not_persons: frozenset = frozenset()) -> bool:
    """Drop NER output that cannot be what it claims: spaCy's English model labels
    whole Chinese sentences, bare numbers, places the recognizer packs know
    (``not_persons``: HK districts such as Sha Tin) and text across lines (a town and
    the country below it) as PERSON. Pattern recognizers cover Chinese names."""
    if entity == "PERSON":
        return (bool(LETTER.search(value)) and not CJK.search(value) and "\n" not in value
                and value.strip() not in not_persons)
    return True


def _filtered_spacy_recognizer(plausible):
    """Presidio's SpacyRecognizer minus implausible spans. Filtering must happen here:
    Presidio drops findings contained in a larger one of the same type, so a
    sentence-wide false PERSON would otherwise swallow a real Chinese name."""
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    class FilteredSpacyRecognizer(SpacyRecognizer):
        def analyze(self, text, entities, nlp_artifacts=None):
            from pipelines.anonymize.recognizers.names import not_a_name
            results = super().analyze(text, entities, nlp_artifacts)
            # labels, products, prices and greetings the NER calls persons (HKID, Dyson
            # V15 Detect, HK$12,721, "Hi, I'm ...": the name recognizers find the name)
            return [r for r in results if plausible(r.entity_type, text[r.start:r.end])
                    and not (r.entity_type == "PERSON" and not_a_name(text, r.start, r.end))]

    return FilteredSpacyRecognizer(supported_language="en")
