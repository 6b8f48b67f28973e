"""The spaCy pipeline the anonymizer runs: only what detection needs.

The English model runs tok2vec, tagger, parser, attribute_ruler, lemmatizer and
ner. Measured on 1,000 texts of 300 characters: ner 3.4 s, parser 1.0 s,
attribute_ruler 1.0 s, tok2vec 1.0 s (it feeds only the tagger and the parser; the
ner has its own), lemmatizer 0.2 s, tagger 0.03 s. What detection uses:

- entities (ner: the model's network, with its greedy decoding run a batch at a time
  by ner_decoder.py, a third of spaCy's time for the same entities);
- part-of-speech tags, for a few of the name recognizer's decisions (tok2vec +
  tagger, on demand: only texts that reach such a decision pay for them, and
  the name recognizer tags those of a batch together; the
  coarse POS comes from the fine tag through the model's own tag map, a
  dictionary lookup, instead of the attribute_ruler's matcher);
- lemmas, for Presidio's context words. Its matching is by substring ("phone"
  matches "phones"), so the lower-cased word serves as well as the lemma;
- sentence starts, for the name recognizer (a rule-based sentencizer, after the
  ner so entities are unchanged, instead of the parser).

The lemmatizer stays loaded but disabled: its word lists tell English words from
names (pipelines/anonymize/recognizers/names.py).
"""
from __future__ import annotations

LEMMA = "privenance_lemma"
POS_ON_DEMAND = "privenance_pos_on_demand"
GREEDY_NER = "privenance_greedy_ner"


def _pos_maps(patterns: list[dict]) -> tuple[dict, dict]:
    """(tag -> POS, (tag, lower word) -> POS) from the attribute_ruler's single-token
    patterns; patterns that need the parser (DEP) cannot apply and are left out."""
    by_tag, by_word = {}, {}
    for p in patterns:
        pos = p.get("attrs", {}).get("POS")
        if not pos or len(p["patterns"]) != 1 or len(p["patterns"][0]) != 1:
            continue
        token = p["patterns"][0][0]
        if set(token) == {"TAG"}:
            by_tag[token["TAG"]] = pos
        elif set(token) == {"TAG", "LOWER"}:
            words = token["LOWER"]
            for word in words.get("IN", []) if isinstance(words, dict) else [words]:
                by_word[(token["TAG"], word)] = pos
    return by_tag, by_word


def _lemma(nlp, name):
    """spaCy factory: lemma = lower-cased word, a whole array at a time."""
    from spacy.attrs import LEMMA, LOWER

    def lemma(doc):
        if len(doc):
            doc.from_array([LEMMA], doc.to_array([LOWER]))
        return doc

    return lemma


def _greedy_ner(nlp, name):
    """spaCy factory: the model's ``ner``, decoded a batch at a time (ner_decoder.py)."""
    from pipelines.anonymize.ner_decoder import GreedyNerDecoder
    return GreedyNerDecoder(nlp.get_pipe("ner"))


def _pos_on_demand(nlp, name):
    """spaCy factory: tok2vec, tagger, then POS from the tag through the model's own tag
    map (a dictionary lookup instead of the attribute_ruler's matcher). Left out of
    nlp.pipe and called by a recognizer on the few texts whose decision needs a part of
    speech: tok2vec is about a third of the spaCy time for a text."""
    return PartsOfSpeech(nlp)


class PartsOfSpeech:
    """The on-demand component: ``__call__`` tags one doc, ``pipe`` a batch of docs
    (1.1 ms a doc in batches of 64 against 1.9 one at a time; the tags are equal)."""

    def __init__(self, nlp):
        from spacy.parts_of_speech import IDS
        by_tag, by_word = _pos_maps(nlp.get_pipe("attribute_ruler").patterns)
        strings = nlp.vocab.strings
        self.tag_pos = {strings.add(tag): IDS[pos] for tag, pos in by_tag.items()}
        self.word_pos = {(strings.add(tag), strings.add(word)): IDS[pos]
                         for (tag, word), pos in by_word.items()}
        self.tok2vec, self.tagger = nlp.get_pipe("tok2vec"), nlp.get_pipe("tagger")

    def __call__(self, doc):
        if len(doc):
            self._set_pos(self.tagger(self.tok2vec(doc)))
        return doc

    def pipe(self, docs, batch_size: int = 64):
        docs = list(docs)
        tagged = self.tagger.pipe(self.tok2vec.pipe([d for d in docs if len(d)],
                                                    batch_size=batch_size), batch_size=batch_size)
        for doc in tagged:
            self._set_pos(doc)
        yield from docs

    def _set_pos(self, doc) -> None:
        import numpy
        from spacy.attrs import LOWER, POS, TAG
        tags, lowers = doc.to_array([TAG, LOWER]).T.tolist()
        pos = [self.word_pos.get((t, w)) or self.tag_pos.get(t, 0) for t, w in zip(tags, lowers)]
        doc.from_array([POS], numpy.array(pos, dtype="uint64").reshape(-1, 1))


def parts_of_speech(doc, nlp) -> None:
    """Give doc its parts of speech in place, if the pipeline left them for later."""
    if len(doc) and not doc.has_annotation("POS") and POS_ON_DEMAND in nlp.component_names:
        nlp.get_pipe(POS_ON_DEMAND)(doc)


def parts_of_speech_batch(docs: list, nlp) -> None:
    """``parts_of_speech`` for many docs at once (cheaper per doc than one by one)."""
    todo = [d for d in docs if len(d) and not d.has_annotation("POS")]
    if todo and POS_ON_DEMAND in nlp.component_names:
        for _ in nlp.get_pipe(POS_ON_DEMAND).pipe(todo):
            pass


def nlp_engine_class():
    """Presidio's SpacyNlpEngine with the per-document artifacts (token offsets, lemmas,
    context keywords) read from whole arrays instead of token by token; the values
    are the ones Presidio computes."""
    from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine
    from spacy.attrs import IDX, LEMMA

    class ArraySpacyNlpEngine(SpacyNlpEngine):
        def _doc_to_nlp_artifact(self, doc, language):
            strings = doc.vocab.strings
            rows = doc.to_array([IDX, LEMMA]).tolist() if len(doc) else []
            lemmas = [strings[lemma] for _, lemma in rows]
            entities, scores = self._get_updated_entities(self._get_entities(doc),
                                                          self._get_scores_for_entities(doc))
            artifacts = NlpArtifacts(entities=entities, tokens=doc,
                                     tokens_indices=[idx for idx, _ in rows], lemmas=lemmas,
                                     nlp_engine=None, language=language, scores=scores)
            # NlpArtifacts.set_keywords without its two method calls per lemma
            vocab = doc.vocab
            artifacts.keywords = [part for lemma in lemmas
                                  if not (lex := vocab[lemma]).is_stop and not lex.is_punct
                                  and lemma not in ("-PRON-", "be")
                                  for part in lemma.lower().split(":")]
            artifacts.nlp_engine = self
            return artifacts

    return ArraySpacyNlpEngine


def _with_ner_of(nlp, names_model):
    """nlp with its ner replaced by the one of the pipeline in folder ``names_model``
    (the trained name detector, pipelines/anonymize/models); None leaves the model's own.

    Only that ner is built, from the folder's config, and read from disk as spacy.load
    reads it: loading the whole pipeline to source its ner also read a vocabulary
    and a tokenizer nothing uses (0.03 s of CPU against 0.3; the entities are equal)."""
    if names_model is None:
        return nlp
    from pathlib import Path

    from spacy.util import load_config, load_meta
    folder = Path(names_model)
    load_meta(folder / "meta.json")  # spacy.load's check: warns if trained for another spaCy
    config = dict(load_config(folder / "config.cfg", interpolate=True)["components"]["ner"])
    factory = config.pop("factory")
    index = nlp.pipe_names.index("ner")
    disabled = "ner" in nlp.disabled
    nlp.remove_pipe("ner")
    ner = nlp.add_pipe(factory, name="ner", config=config, before=nlp.pipe_names[index]
                       if index < len(nlp.pipe_names) else None)
    ner.from_disk(folder / "ner", exclude=["vocab"])
    if disabled:
        nlp.disable_pipe("ner")
    return nlp


def load_pipeline(model: str, names_model=None):
    """The model with the parser excluded, the ner decoded by ner_decoder.py, the
    attribute_ruler and lemmatizer replaced by a dictionary lookup, and tok2vec +
    tagger run only on demand (parts_of_speech); raises OSError when the model is not
    installed. ``names_model``: a folder whose ner replaces the model's (the trained
    name detector). Limits numpy's BLAS to one thread for the whole process (a worker
    runs one model)."""
    import spacy
    from spacy.language import Language

    from thinc.api import use_ops
    from threadpoolctl import threadpool_limits

    from pipelines.anonymize.ner_decoder import supports

    for name, factory in ((LEMMA, _lemma), (POS_ON_DEMAND, _pos_on_demand),
                          (GREEDY_NER, _greedy_ner)):
        if not Language.has_factory(name):
            Language.factory(name, func=factory)
    # The dense layers' matrix products through numpy's BLAS instead of thinc's default
    # blis: the same entities (0 of 11,500 texts differ), NER 4-8 % faster where
    # OpenBLAS has a better kernel for the CPU (AVX-512 here, blis runs its Haswell one).
    # On one thread: OpenBLAS's default of a thread per core makes these small
    # products slower, and spins the cores the other workers need.
    threadpool_limits(limits=1, user_api="blas")
    with use_ops("numpy", use_blis=False):
        nlp = spacy.load(model, exclude=["parser", "senter"],
                         disable=["tok2vec", "tagger", "attribute_ruler", "lemmatizer"])
        if (any(name not in nlp.component_names for name in ("tok2vec", "tagger", "attribute_ruler"))
                or "ner" in getattr(nlp.get_pipe("tok2vec"), "listening_components", ["ner"])):
            # another model layout (e.g. a ner that listens to the shared tok2vec, which
            # then must run on every text): run the model as it is
            return _with_ner_of(spacy.load(model), names_model)
        _with_ner_of(nlp, names_model)
    nlp.add_pipe(LEMMA, first=True)
    if supports(nlp.get_pipe("ner")):
        # the same entities, a third of the time (ner_decoder.py); the disabled ner
        # keeps the model the decoder runs
        nlp.add_pipe(GREEDY_NER, before="ner")
        nlp.disable_pipe("ner")
    nlp.add_pipe(POS_ON_DEMAND, last=True)
    nlp.disable_pipe(POS_ON_DEMAND)
    nlp.add_pipe("sentencizer", last=True)
    return nlp


def context_enhancer(prefix: int, suffix: int):
    """Presidio's LemmaContextAwareEnhancer, with two costs removed (measured: 40% of
    the analyzer's own time on 300-character texts). It deep-copies every result
    before looking at it, although the analyzer built them for this call alone: here
    scores are raised in place. And it finds each result's token by scanning all tokens
    from the start: here by bisecting the token end offsets. Scores are unchanged."""
    import bisect

    from presidio_analyzer import RecognizerResult
    from presidio_analyzer.context_aware_enhancers import (ContextAwareEnhancer,
                                                           LemmaContextAwareEnhancer)

    class FastContextEnhancer(LemmaContextAwareEnhancer):
        def enhance_using_context(self, text, raw_results, nlp_artifacts, recognizers,
                                  context=None):
            # the loop of LemmaContextAwareEnhancer.enhance_using_context, minus the copy
            with_context = {r.id: r for r in recognizers if r.context}
            extra = [word.lower() for word in context or []]
            if nlp_artifacts is None:
                return raw_results
            for result in raw_results:
                meta = result.recognition_metadata or {}
                recognizer = with_context.get(meta.get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY))
                if recognizer is None or meta.get(RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY):
                    continue
                words = self._extract_surrounding_words(
                    nlp_artifacts, text[result.start:result.end], result.start) + extra
                word = self._find_supportive_word_in_context(words, recognizer.context,
                                                             self.context_matching_mode)
                if word:
                    result.score = min(max(result.score + self.context_similarity_factor,
                                           self.min_score_with_context_similarity),
                                       ContextAwareEnhancer.MAX_SCORE)
                    result.analysis_explanation.set_supportive_context_word(word)
                    result.analysis_explanation.set_improved_score(result.score)
            return raw_results

        def _extract_surrounding_words(self, nlp_artifacts, word, start):
            if not nlp_artifacts.tokens:
                return [""]
            # token end offsets, computed once per text and kept with its artifacts
            # (never on self: one engine may serve several threads)
            ends = getattr(nlp_artifacts, "privenance_token_ends", None)
            if ends is None:
                from spacy.attrs import IDX, LENGTH
                ends = nlp_artifacts.tokens.to_array([IDX, LENGTH]).sum(axis=1).tolist()
                nlp_artifacts.privenance_token_ends = ends
            index = bisect.bisect_right(ends, start)  # the first token ending after start
            if index == len(ends):
                raise ValueError("match is not within the text's tokens")
            words = (self._add_n_words_backward(index, self.context_prefix_count,
                                                nlp_artifacts.lemmas, nlp_artifacts.keywords)
                     + self._add_n_words_forward(index, self.context_suffix_count,
                                                 nlp_artifacts.lemmas, nlp_artifacts.keywords))
            return list(set(words))

    return FastContextEnhancer(context_prefix_count=prefix, context_suffix_count=suffix)
