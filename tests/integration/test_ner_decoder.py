"""The batch NER decoder finds exactly the entities of spaCy's own entity recognizer."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from pipelines.anonymize.ner_decoder import GreedyNerDecoder, supports

REPO = Path(__file__).resolve().parents[2]


def model_name() -> str:
    from privenance.policy import load_policy
    return load_policy(REPO / "policies" / "default.yaml").anonymization.nlp_model


@pytest.fixture(scope="module")
def model():
    import spacy
    return spacy.load(model_name(), exclude=["parser", "senter", "lemmatizer"])


def texts(n: int) -> list[str]:
    """Faker texts full of entities of many kinds, plus edge cases: empty, blank,
    one word, runs of spaces and newlines (whitespace tokens cannot start an entity)."""
    from faker import Faker
    fake, rng = Faker("en_US"), random.Random(3)
    Faker.seed(3)
    out = ["", " ", "  \n  ", "Paris", "John Smith", "Mr.  Lee\n\nfrom  Hong Kong",
           "Apple Inc. paid $3 million to Jane Doe on 1 May 2024 in London , UK ."]
    for _ in range(n):
        parts = [f"{fake.name()} of {fake.company()}", f"moved to {fake.city()}, {fake.state()}",
                 f"on {fake.date()} for ${rng.randint(1, 999)},000", fake.sentence(),
                 f"{fake.first_name()}  {fake.last_name()}\n", f"in {fake.country()}."]
        rng.shuffle(parts)
        out.append(" ".join(parts[:rng.randint(1, len(parts))]))
    return out


def entities(docs) -> list[list[tuple]]:
    return [[(e.start, e.end, e.label_) for e in doc.ents] + [[t.ent_iob_ for t in doc]]
            for doc in docs]


def test_decoder_finds_spacys_entities(model):
    ner = model.get_pipe("ner")
    assert supports(ner)
    sample = texts(400)
    spacy_docs = list(ner.pipe([model.make_doc(t) for t in sample], batch_size=64))
    ours = list(GreedyNerDecoder(ner).pipe([model.make_doc(t) for t in sample], batch_size=50))
    assert sum(len(doc.ents) for doc in ours) > 1000
    assert entities(ours) == entities(spacy_docs)
    # a batch split by token count (the decoder's memory bound) decodes the same
    small = GreedyNerDecoder(ner, max_tokens=60)
    assert entities(small.pipe([model.make_doc(t) for t in sample])) == entities(spacy_docs)


def with_sentences(doc, rng):
    """Sentence starts at random tokens (entities must not cross them)."""
    for token in doc[1:]:
        token.is_sent_start = rng.random() < 0.2 or None
    return doc


def test_move_validity_is_spacys(model):
    """Along random walks of valid moves, the decoder allows exactly the moves spaCy's
    BiluoPushDown allows, at every step (whitespace tokens, sentence starts, open
    entities of every label, the last token)."""
    import numpy
    from spacy.pipeline._parser_internals.stateclass import StateClass
    ner = model.get_pipe("ner")
    moves, decoder, rng = ner.moves, GreedyNerDecoder(ner), random.Random(7)
    names = [moves.get_class_name(i) for i in range(moves.n_moves)]
    steps = 0
    for text in texts(60)[1:]:
        doc = with_sentences(model.make_doc(text), rng)
        sent_start = numpy.append(doc.to_array("SENT_START") == 1, False)
        state, is_open, label = StateClass(doc), False, 0
        for step, token in enumerate(doc):
            theirs = [bool(moves.is_valid(state, name)) for name in names]
            ours = decoder._valid(numpy.array([is_open]), numpy.array([label], dtype="uint64"),
                                  numpy.array([len(doc) - step]), sent_start[[step + 1]],
                                  numpy.array([token.is_space]))
            assert ours[0].tolist() == theirs, (step, [n for n, ok in zip(names, theirs) if ok])
            name = rng.choice([n for n, ok in zip(names, theirs) if ok])
            moves.apply_transition(state, name)
            kind, _, tag = name.partition("-")
            is_open = kind in "BI"
            label = model.vocab.strings[tag] if kind == "B" else label
            steps += 1
    assert steps > 1000


def test_decoder_keeps_sentence_boundaries_and_preset_entities(model):
    """Sentence starts set before the NER stop entities crossing them; a document with
    preset entities goes to spaCy's own decoding (their rules are not reproduced)."""
    from spacy.tokens import Span
    ner, rng = model.get_pipe("ner"), random.Random(5)
    sample = texts(100)
    spacy_docs = list(ner.pipe([with_sentences(model.make_doc(t), rng) for t in sample]))
    rng = random.Random(5)
    ours = list(GreedyNerDecoder(ner).pipe([with_sentences(model.make_doc(t), rng) for t in sample]))
    assert entities(ours) == entities(spacy_docs)

    def preset(text):
        doc = model.make_doc(text)
        doc.set_ents([Span(doc, 0, 1, label="ORG")], default="unmodified")
        return doc
    sample = [t for t in texts(30) if t.strip()]
    assert (entities(GreedyNerDecoder(ner).pipe([preset(t) for t in sample]))
            == entities(ner.pipe([preset(t) for t in sample])))


def test_pipeline_decodes_with_the_decoder_only_where_it_applies(model):
    from pipelines.anonymize.nlp import GREEDY_NER, load_pipeline
    nlp = load_pipeline(model_name())
    assert GREEDY_NER in nlp.pipe_names and "ner" not in nlp.pipe_names
    assert not supports(model.get_pipe("tagger"))
    beam = model.__class__(vocab=model.vocab).add_pipe("beam_ner")
    assert not supports(beam)
