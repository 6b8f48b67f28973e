"""Presidio analyzer + our operators, configured from the policy.

``TextAnonymizer`` is built once per worker (``setup()`` is called from
``DoFn.setup``) and fed batches of texts through spaCy's ``pipe``. Only the
entities the policy lists are detected; operators are ours (keyed, deterministic),
applied right to left after overlaps are resolved.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from privenance.errors import ConfigError
from privenance.identifiers import find_identifiers
from privenance.keys import Secret
from privenance.policy import Policy

CJK = re.compile(r"[\u3400-\u9fff]")
LETTER = re.compile(r"[A-Za-z\u3400-\u9fff]")
# Presidio's default recognizers we keep, by the entity they serve
BUILTIN = {"EMAIL_ADDRESS": "EmailRecognizer", "CREDIT_CARD": "CreditCardRecognizer",
           "IBAN_CODE": "IbanRecognizer", "IP_ADDRESS": "IpRecognizer", "US_SSN": "UsSsnRecognizer",
           "US_DRIVER_LICENSE": "UsLicenseRecognizer", "US_PASSPORT": "UsPassportRecognizer",
           "US_BANK_NUMBER": "UsBankRecognizer", "URL": "UrlRecognizer",
           "DATE_TIME": "DateRecognizer", "MEDICAL_LICENSE": "MedicalLicenseRecognizer"}
PHONE_REGIONS = ("HK", "US", "UK", "CN", "SG", "AU", "CA", "IN", "DE", "FR")


@dataclass(frozen=True)
class Finding:
    """One detected entity. Offsets refer to the original text; never the value itself."""

    entity: str
    start: int
    end: int
    score: float
    operator: str


@dataclass(frozen=True)
class AnonymizedText:
    text: str
    findings: tuple[Finding, ...]


def _plausible(entity: str, value: str) -> bool:
    """Drop NER output that cannot be what it claims: spaCy's English model labels
    whole Chinese sentences, bare numbers and HK districts (Sha Tin) as PERSON.
    Pattern recognizers cover Chinese names."""
    if entity == "PERSON":
        from pipelines.recognizers.hk import HK_PLACES
        return (bool(LETTER.search(value)) and not CJK.search(value)
                and value.strip() not in HK_PLACES)
    return True


def _filtered_spacy_recognizer():
    """Presidio's SpacyRecognizer minus implausible spans. Filtering must happen here:
    Presidio drops findings contained in a larger one of the same type, so a
    sentence-wide false PERSON would otherwise swallow a real Chinese name."""
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    class FilteredSpacyRecognizer(SpacyRecognizer):
        def analyze(self, text, entities, nlp_artifacts=None):
            results = super().analyze(text, entities, nlp_artifacts)
            return [r for r in results if _plausible(r.entity_type, text[r.start:r.end])]

    return FilteredSpacyRecognizer(supported_language="en")


# Latin-script identifiers; Presidio's own patterns treat CJK as word characters and
# so can swallow the Chinese words glued to them (客戶...電郵是chan@gmail.com)
LATIN_SCRIPT = {"EMAIL_ADDRESS", "URL", "IP_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "US_SSN",
                "PHONE_NUMBER", "HK_ID", "US_DRIVER_LICENSE", "US_PASSPORT", "US_BANK_NUMBER"}


def trim_cjk(results: list, text: str) -> list:
    for r in results:
        if r.entity_type in LATIN_SCRIPT:
            while r.start < r.end and CJK.match(text[r.start]):
                r.start += 1
            while r.end > r.start and CJK.match(text[r.end - 1]):
                r.end -= 1
    return [r for r in results if r.end > r.start]


def resolve_overlaps(results: list) -> list:
    """Keep the highest score, then the longest span, among overlapping findings."""
    chosen = []
    for r in sorted(results, key=lambda r: (-r.score, -(r.end - r.start), r.start, r.entity_type)):
        if all(r.end <= c.start or r.start >= c.end for c in chosen):
            chosen.append(r)
    return sorted(chosen, key=lambda r: (r.start, r.end))


class TextAnonymizer:
    def __init__(self, policy: Policy, key: Secret):
        self.policy, self.key = policy, key
        self._analyzer = None

    def setup(self) -> None:
        from privenance.offline import go_offline
        go_offline()
        from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpEngineProvider
        from presidio_analyzer.predefined_recognizers import PhoneRecognizer

        from pipelines.operators import build_operator
        from pipelines.recognizers import PACKS
        cfg = self.policy.anonymization
        self.entities = sorted(cfg.entities)
        try:
            nlp_engine = NlpEngineProvider(nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": cfg.language, "model_name": cfg.nlp_model}],
                "ner_model_configuration": NerModelConfiguration(
                    labels_to_ignore=["ORG", "DATE", "TIME", "MONEY", "PERCENT", "CARDINAL",
                                      "ORDINAL", "QUANTITY", "PRODUCT", "EVENT", "WORK_OF_ART",
                                      "LAW", "LANGUAGE", "FAC", "NORP"]).to_dict(),
            }).create_engine()
        except OSError:
            raise ConfigError(f"spaCy model {cfg.nlp_model!r} is not installed; install its "
                              "package (privenance never downloads models)",
                              field="anonymization.nlp_model") from None
        registry = RecognizerRegistry(supported_languages=[cfg.language])
        registry.load_predefined_recognizers(languages=[cfg.language])
        wanted = {BUILTIN[e] for e in self.entities if e in BUILTIN}
        for recognizer in list(registry.recognizers):
            if recognizer.name not in wanted:
                registry.remove_recognizer(recognizer.name)
        registry.add_recognizer(_filtered_spacy_recognizer())
        if "PHONE_NUMBER" in self.entities:
            registry.add_recognizer(PhoneRecognizer(supported_regions=PHONE_REGIONS))
        for pack in cfg.recognizer_packs:
            if pack not in PACKS:
                raise ConfigError(f"unknown recognizer pack {pack!r}; choose from {', '.join(PACKS)}",
                                  field="anonymization.recognizer_packs")
            for recognizer in PACKS[pack]():
                if recognizer.supported_entities[0] in self.entities:
                    registry.add_recognizer(recognizer)
        self._analyzer = AnalyzerEngine(nlp_engine=nlp_engine, registry=registry,
                                        supported_languages=[cfg.language])
        self._batch = BatchAnalyzerEngine(self._analyzer)
        self.operators = {e: build_operator(self.policy.rule_for(e).operator, self.key,
                                            self.policy.rule_for(e).params) for e in self.entities}
        self.thresholds = {e: self.policy.rule_for(e).threshold or cfg.score_threshold
                           for e in self.entities}
        self._value_cache: dict[tuple, str] = {}

    def anonymize_texts(self, texts: list[str]) -> list[AnonymizedText]:
        cfg = self.policy.anonymization
        results = self._batch.analyze_iterator(
            texts, language=cfg.language, entities=self.entities,
            score_threshold=min(self.thresholds.values()), batch_size=cfg.batch_size)
        return [self._apply(text, found) for text, found in zip(texts, results)]

    def _apply(self, text: str, found: list) -> AnonymizedText:
        kept = [r for r in found if r.score >= self.thresholds[r.entity_type]]
        kept = resolve_overlaps(trim_cjk(kept, text))
        out, findings = text, []
        for r in reversed(kept):  # right to left keeps earlier offsets valid
            operator = self.operators[r.entity_type]
            out = out[:r.start] + operator(text[r.start:r.end], r.entity_type) + out[r.end:]
            findings.append(Finding(r.entity_type, r.start, r.end, round(r.score, 4), operator.name))
        return AnonymizedText(out, tuple(reversed(findings)))

    def transform_values(self, values: list, entity: str) -> list:
        """Transform a structured column with a declared entity, without NER (cached:
        columns repeat values)."""
        from pipelines.operators import build_operator
        operator = self.operators.get(entity)
        if operator is None:
            rule = self.policy.rule_for(entity)
            operator = self.operators[entity] = build_operator(rule.operator, self.key, rule.params)
        cache = self._value_cache
        out = []
        for v in values:
            if v is None:
                out.append(None)
                continue
            k = (entity, v if isinstance(v, str) else str(v))
            if k not in cache:
                cache[k] = operator(k[1], entity)
            out.append(cache[k])
        if len(cache) > 200_000:
            cache.clear()
        return out

    def residual_entities(self, text: str) -> list[str]:
        """Entity types of high-precision findings left in already-anonymized text."""
        return find_identifiers(text, self.policy.residual.entities)
