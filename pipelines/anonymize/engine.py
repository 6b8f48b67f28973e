"""Presidio analyzer + our operators, configured from the policy.

``TextAnonymizer`` is built once per worker (``setup()`` is called from
``DoFn.setup``) and fed batches of texts through spaCy's ``pipe``. Only the
entities the policy lists are detected; operators are ours (keyed, deterministic),
applied right to left after overlaps are resolved.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from privenance.errors import ConfigError
from privenance.identifiers import find_residual
from privenance.keys import Secret
from privenance.policy import Policy
from privenance.textnorm import CJK

# what the spaCy NER labels that names no person or place: left out of detection
NER_LABELS_IGNORED = ["ORG", "DATE", "TIME", "MONEY", "PERCENT", "CARDINAL", "ORDINAL",
                      "QUANTITY", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE", "FAC",
                      "NORP"]


@dataclass(frozen=True)
class Finding:
    """One detected entity. ``start``/``end`` refer to the original text, ``out_start``/
    ``out_end`` to its replacement in the anonymized text (what a reviewer sees); never
    the value itself."""

    entity: str
    start: int
    end: int
    score: float
    operator: str
    out_start: int | None = None
    out_end: int | None = None


@dataclass(frozen=True)
class AnonymizedText:
    text: str
    findings: tuple[Finding, ...]


# Latin-script identifiers; Presidio's own patterns treat CJK as word characters and
# so can swallow the Chinese words glued to them (客戶...電郵是chan@gmail.com)
LATIN_SCRIPT = {"EMAIL_ADDRESS", "URL", "IP_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "US_SSN",
                "PHONE_NUMBER", "HK_ID", "US_DRIVER_LICENSE", "US_PASSPORT", "US_BANK_NUMBER"}


def trim_cjk(results: list, text: str) -> list:
    """Cut CJK characters off the edges of Latin-script findings."""
    for r in results:
        if r.entity_type in LATIN_SCRIPT:
            while r.start < r.end and CJK.match(text[r.start]):
                r.start += 1
            while r.end > r.start and CJK.match(text[r.end - 1]):
                r.end -= 1
    return [r for r in results if r.end > r.start]


# small words inside names that do not start a list item on their own
_PARTICLES = frozenset("the and von van der den del della des dos das ten ter".split())


def _list_items(text: str) -> list[list[tuple[int, int]]]:
    """Spans of the items of every list of names in the text: "Morrison, Rogers and
    Torres", "silvana, adam, chad and caleb"."""
    import regex
    word = r"\p{L}[\p{L}'’-]+" if text == text.lower() else r"\p{Lu}[\p{L}'’-]+"
    item = rf"{word}(?:[ \t]+(?!(?:and|or)[ \t]){word})?"
    lists = regex.finditer(rf"(?<![\p{{L}}\d])(?:{item})(?:(?:[ \t]*,[ \t]*|[ \t]+(?:and|&)[ \t]+)(?:{item}))+", text)
    out = []
    for m in lists:
        items = regex.finditer(rf"(?:^|(?<=,[ \t]*|[ \t]and[ \t]+|&[ \t]+)){item}", m.group(0))
        spans = [(m.start() + i.start(), m.start() + i.end()) for i in items]
        spans = [(a, b) for a, b in spans if text[a:b].split()[0].lower() not in _PARTICLES | {"and"}]
        if len(spans) > 1:
            out.append(spans)
    return out


def propagate_lists(results: list, text: str) -> list:
    """The other items of a list that holds a name are names too (not labels,
    greetings or products: "Chan Tai Man, HKID ...", "Hi, I'm Jessica")."""
    from presidio_analyzer import RecognizerResult

    from pipelines.anonymize.recognizers.names import not_a_name
    people = [r for r in results if r.entity_type == "PERSON"]
    if not people:
        return results
    seen = {(r.start, r.end) for r in results}
    extra = []
    for items in _list_items(text):
        hits = [r for r in people for a, b in items if r.start < b and a < r.end]
        if hits:
            score = max(r.score for r in hits)
            for a, b in items:
                if (a, b) not in seen and not not_a_name(text, a, b):
                    seen.add((a, b))
                    extra.append(RecognizerResult("PERSON", a, b, score))
    return results + extra


def resolve_overlaps(results: list, text: str) -> list:
    """Make findings disjoint without uncovering anything any of them covered.

    A finding inside a longer one is dropped: replacing the outer one hides it too (a
    person's name inside a street address). Among partly overlapping findings the
    highest score, then the longest, keeps its span; the other keeps what is left of
    its own, so no detected character survives."""
    ranked = sorted(results, key=lambda r: (-r.score, -(r.end - r.start), r.start, r.entity_type))

    def inside(r, i):  # r lies within another finding (of two identical spans, the later)
        return any(o.start <= r.start and r.end <= o.end
                   and ((o.start, o.end) != (r.start, r.end) or j < i)
                   for j, o in enumerate(ranked) if j != i)

    outer = [r for i, r in enumerate(ranked) if not inside(r, i)]
    chosen = []
    for r in outer:
        start, end = r.start, r.end
        for c in chosen:
            if start < c.end and c.start < end:
                if c.start <= start:
                    start = c.end
                else:
                    end = c.start
        if (start, end) != (r.start, r.end):  # a remainder: no separators at its edges
            while start < end and not text[start].isalnum():
                start += 1
            while end > start and not text[end - 1].isalnum():
                end -= 1
        if end - start >= 2 or (start, end) == (r.start, r.end):
            r.start, r.end = start, end
            chosen.append(r)
    return sorted(chosen, key=lambda r: (r.start, r.end))


def residual_scan(text: str, entities) -> list[str]:
    """Entity types of high-precision identifiers in anonymized text, our own outputs
    (hashes, ENC: tokens, tags, surrogate IPs) aside. Shared with the DPP4 suite."""
    return find_residual(text, entities)


def subject_fields(policy: Policy) -> dict[str, str]:
    """entity -> the record field naming its data subject, for operators that vary
    per subject (shift_date with ``params.subject_field``: one patient's dates all
    move by the same keyed amount, so intervals between them survive)."""
    return {entity: str(rule.params["subject_field"])
            for entity, rule in policy.anonymization.entities.items()
            if rule.operator == "shift_date" and rule.params.get("subject_field")}


def _nlp_engine(cfg):
    """Presidio's spaCy engine with only the components detection needs (nlp.py), the
    trained names model's ner in place of the spaCy model's. Presidio would download a
    missing model (spacy.cli.download): refused first, as a configuration error."""
    import spacy
    from presidio_analyzer.nlp_engine import NerModelConfiguration

    from pipelines.anonymize.models import model_folder
    from pipelines.anonymize.nlp import load_pipeline, nlp_engine_class
    missing = ConfigError(f"spaCy model {cfg.nlp_model!r} is not installed; install its "
                          "package (privenance never downloads models)",
                          field="anonymization.nlp_model")
    if not (spacy.util.is_package(cfg.nlp_model) or Path(cfg.nlp_model).is_dir()):
        raise missing
    try:
        nlp_engine = nlp_engine_class()(
            models=[{"lang_code": cfg.language, "model_name": cfg.nlp_model}],
            ner_model_configuration=NerModelConfiguration(labels_to_ignore=NER_LABELS_IGNORED))
        # instead of nlp_engine.load(): only the components detection needs (nlp.py)
        names = (None if cfg.names_model is None or cfg.language != "en"
                 else model_folder(cfg.names_model.name, cfg.names_model.sha256))
        nlp_engine.nlp = {cfg.language: load_pipeline(cfg.nlp_model, names)}
    except OSError:
        raise missing from None
    return nlp_engine


class TextAnonymizer:
    def __init__(self, policy: Policy, key: Secret):
        self.policy, self.key = policy, key
        self._analyzer = None

    def _operator(self, name: str, params: dict):
        from pipelines.anonymize.operators import build_operator
        return build_operator(name, self.key, params)

    def setup(self, texts: bool = True) -> None:
        """Operators and thresholds; with ``texts``, also the detection engine (spaCy,
        Presidio, the recognizers). ``texts=False`` when no source has a text column:
        structured columns and the residual scan need neither, so a structured-only
        run never loads them (they load on the first text if one comes after all)."""
        from privenance.offline import go_offline
        go_offline()
        from pipelines.anonymize.registry import detectable_entities
        cfg = self.policy.anonymization
        self.entities = cfg.detected_entities()
        missing = set() if texts else set(self.entities) - detectable_entities(self.policy)
        if missing:  # fail closed without the engine too (build_registry checks the real one)
            raise ConfigError(f"no recognizer finds {', '.join(sorted(missing))}",
                              field="anonymization.entities")
        self.operators = {e: self._operator(self.policy.rule_for(e).operator,
                                            self.policy.rule_for(e).params) for e in self.entities}
        self.thresholds = {e: cfg.score_threshold if self.policy.rule_for(e).threshold is None
                           else self.policy.rule_for(e).threshold for e in self.entities}
        # entities whose operator varies per data subject (shift_date with subject_field)
        self.subject_fields = subject_fields(self.policy)
        self._value_cache: dict[tuple, str] = {}
        if texts:
            self._load_detection()

    def _load_detection(self) -> None:
        """spaCy, Presidio's analyzer and the policy's recognizers: what free text needs."""
        from presidio_analyzer import AnalyzerEngine

        from pipelines.anonymize.nlp import context_enhancer
        from pipelines.anonymize.recognizers.declared import AllowListFilter
        from pipelines.anonymize.registry import build_registry
        cfg = self.policy.anonymization
        nlp_engine = _nlp_engine(cfg)
        registry = build_registry(self.policy, self.entities)
        self._allowed = AllowListFilter(cfg.allow_list)
        # context words may also follow the value ("416 60 039 office")
        enhancer = context_enhancer(prefix=5, suffix=2)
        # recognizers that look at a whole batch first (names.py: tagging in batches)
        self._batch_preparers = [r for r in registry.recognizers if hasattr(r, "prepare_batch")]
        self._analyzer = AnalyzerEngine(nlp_engine=nlp_engine, registry=registry,
                                        supported_languages=[cfg.language],
                                        context_aware_enhancer=enhancer)

    def anonymize_texts(self, texts: list[str], records: list[dict] | None = None
                        ) -> list[AnonymizedText]:
        """Anonymize a batch of texts. ``records`` (the record each text comes from)
        supply the subject of per-subject operators (shift_date's subject_field)."""
        from privenance.textnorm import view
        if texts and self._analyzer is None:
            self._load_detection()
        cfg = self.policy.anonymization
        records = records or [{}] * len(texts)
        threshold = min(self.thresholds.values())
        out = []
        for start in range(0, len(texts), cfg.batch_size):
            # detection reads each text's normalized view (full-width forms, Chinese
            # numerals, obfuscated emails); replacements land on the original text
            views = [view(t) for t in texts[start:start + cfg.batch_size]]
            # BatchAnalyzerEngine.analyze_iterator, but the recognizers that can may
            # look at the whole batch before its texts are analyzed one by one
            batch = list(self._analyzer.nlp_engine.process_batch(
                [v.text for v in views], language=cfg.language, batch_size=cfg.batch_size))
            for recognizer in self._batch_preparers:
                recognizer.prepare_batch(batch)
            for (text, artifacts), seen, record in zip(batch, views, records[start:]):
                found = self._analyzer.analyze(text, language=cfg.language, entities=self.entities,
                                               nlp_artifacts=artifacts, score_threshold=threshold)
                # CJK trimmed off in the view, where a phone in Chinese numerals is digits
                found = trim_cjk(found, text)
                for r in found:
                    r.start, r.end = seen.span(r.start, r.end)
                out.append(self._apply(seen.original, found, record))
        return out

    def _replacement(self, value: str, entity: str, record: dict, avoid=()) -> str:
        """``avoid``: the values detected beside this one, which a surrogate must not be."""
        operator = self.operators[entity]
        field = self.subject_fields.get(entity)
        if getattr(operator, "avoids_values", False):
            return operator(value, entity, avoid)
        if field is None:
            return operator(value, entity)
        subject = record.get(field)
        return operator(value, entity, "" if subject is None else str(subject))

    def _apply(self, text: str, found: list, record: dict) -> AnonymizedText:
        kept = [r for r in found if r.score >= self.thresholds[r.entity_type]]
        # (a name found once is not propagated to its other occurrences: on the frozen
        # validation split that found no name more and destroyed 1.6 % more of TAB's
        # text that needed no masking; benchmarks/ablate_names.py)
        kept = propagate_lists(kept, text)
        kept = self._allowed(kept, text)
        kept = resolve_overlaps(kept, text)
        out, replacements = text, []
        detected = sorted({text[r.start:r.end] for r in kept})
        for r in reversed(kept):  # right to left keeps earlier offsets valid
            replacement = self._replacement(text[r.start:r.end], r.entity_type, record, detected)
            out = out[:r.start] + replacement + out[r.end:]
            replacements.append(len(replacement))
        findings, shift = [], 0
        for r, length in zip(kept, reversed(replacements)):  # left to right: output offsets
            findings.append(Finding(r.entity_type, r.start, r.end, round(r.score, 4),
                                    self.operators[r.entity_type].name,
                                    r.start + shift, r.start + shift + length))
            shift += length - (r.end - r.start)
        return AnonymizedText(out, tuple(findings))

    def transform_values(self, values: list, entity: str, records: list[dict] | None = None) -> list:
        """Transform a structured column with a declared entity, without NER (cached:
        columns repeat values). ``records`` as in ``anonymize_texts``."""
        if entity not in self.operators:
            rule = self.policy.rule_for(entity)
            self.operators[entity] = self._operator(rule.operator, rule.params)
        cache = self._value_cache
        field = self.subject_fields.get(entity)
        records = records or [{}] * len(values)
        out = []
        for v, record in zip(values, records):
            if v is None:
                out.append(None)
                continue
            text = v if isinstance(v, str) else str(v)
            k = (entity, text, None if field is None else str(record.get(field)))
            if k not in cache:
                cache[k] = self._replacement(text, entity, record)
            out.append(cache[k])
        if len(cache) > 20_000:  # a bound on memory; columns repeat values nearby
            cache.clear()
        return out

    def residual_entities(self, text: str) -> list[str]:
        """Entity types of the policy's residual identifiers left in anonymized text."""
        return residual_scan(text, self.policy.residual.entities)
