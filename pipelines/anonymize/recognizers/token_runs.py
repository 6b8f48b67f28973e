"""Evidence 1 of names.py: runs of name-like tokens, scored against the name gazetteer.

A run is a stretch of capitalised tokens (in a text written all in lower case: proper
nouns, nouns and adjectives). Ordinary words at its edges are dropped; what is left is
a person's name when it holds a known given name or surname that is no English word,
or enough else says so (two known names, proper nouns throughout, a foreign name the
NER called an organisation). Parts of speech are asked only where a decision needs
them: tagging the text (tok2vec) is a third of the spaCy time.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

from pipelines.anonymize.nlp import parts_of_speech
from pipelines.anonymize.recognizers.general import STOP_WORDS
from pipelines.anonymize.recognizers.lexicon import (
    DETERMINERS,
    MONTHS_DAYS,
    NOT_PERSON_NEXT,
    PARTICLES,
    Lexicon,
    could_be_verb,
    given_names,
    hk_place_pattern,
    name_gazetteer,
)

# entities whose capitalised words are proper nouns (titles of works, events and laws
# hold verbs: "Carry Me Back To Poland")
NAMING_LABELS = frozenset("PERSON ORG PRODUCT GPE LOC FAC NORP".split())
# parts of speech of a name-like word in a text written all in lower case
_LOWER_CASE_NAME_POS = ("PROPN", "NOUN", "ADJ", "X")


class NeedsTags(Exception):
    """A decision needs parts of speech that the text does not have yet."""


def plain_word(word: str, names: frozenset, english: frozenset) -> bool:
    """An English word that is no known name."""
    w = word.rstrip(".").casefold()
    return w in english and w not in names


class Context(NamedTuple):
    """What scoring a run needs to know of its text."""
    doc: object
    names: frozenset     # the name gazetteer
    lexicon: Lexicon
    places: frozenset    # indices of tokens the NER put in a place, nationality or language
    orgs: frozenset      # indices of tokens the NER called an organisation, product or work
    lower_text: bool     # the text is written all in lower case
    pos: Callable        # token -> its part of speech


def part_of_speech(doc, nlp, probe: bool) -> Callable:
    """token -> its part of speech, tagging the text on first use (a probe raises
    NeedsTags instead). Capitalised words in the NER's named entities count as proper
    nouns, whatever the tagger says: so tagging is needed less often, and the answer
    does not depend on the order of asking."""
    named = {t.i for ent in doc.ents if ent.label_ in NAMING_LABELS
             for t in ent if t.text[:1].isupper()}

    def pos(tok) -> str:
        if tok.i in named:
            return "PROPN"
        if nlp is not None and not doc.has_annotation("POS"):
            if probe:
                raise NeedsTags
            parts_of_speech(doc, nlp)
        return tok.pos_
    return pos


def _token_indices(doc, labels) -> frozenset:
    return frozenset(t.i for ent in doc.ents if ent.label_ in labels for t in ent)


def gazetteer_runs(text: str, doc, lexicon: Lexicon, nlp, probe: bool = False) -> list:
    """(start, end, score) of the names among the runs of name-like tokens. A probe
    raises NeedsTags where it would otherwise tag the text."""
    context = Context(
        doc=doc, names=name_gazetteer(), lexicon=lexicon,
        # a name-like word in a place needs a name that is no English word (Victoria, Jordan)
        places=_token_indices(doc, ("GPE", "LOC", "FAC", "NORP", "LANGUAGE")),
        # the small model often tags foreign names as ORG (Irenke Sörös, Wisława Szczepańska)
        orgs=_token_indices(doc, ("ORG", "PRODUCT", "WORK_OF_ART")),
        lower_text=text == text.lower(), pos=part_of_speech(doc, nlp, probe))
    out = []
    for run in name_like_runs(text, context):
        out.extend(score_run(run, context))
    return out


def _name_like(tok, run: list, context: Context) -> bool:
    word = tok.text
    if context.lower_text:
        return word.isalpha() and len(word) > 2 and context.pos(tok) in _LOWER_CASE_NAME_POS
    # a capitalised verb may join a run here: a plain word at its edge is dropped
    # later, and a lone name that is also a word needs a proper noun
    return ((word[:1].isupper() and not word.isupper())
            or (len(word) <= 2 and word[:1].isupper() and word.rstrip(".").isalpha())
            or bool(run and word in PARTICLES))


def name_like_runs(text: str, context: Context) -> list[list]:
    """The runs of consecutive name-like tokens, none in a Hong Kong place (which reads
    like a Cantonese name: Sha Tin, Wong Tai Sin), a month, a day or a stop word."""
    hk_places = [m.span() for m in hk_place_pattern().finditer(text)]
    runs, run = [], []
    for tok in context.doc:
        namelike = _name_like(tok, run, context)
        in_place = any(a <= tok.idx < b for a, b in hk_places)
        if namelike and not in_place and tok.text not in MONTHS_DAYS and tok.text.lower() not in STOP_WORDS:
            run.append(tok)
        elif run:
            runs.append(run)
            run = []
    return runs + [run] if run else runs


def score_run(run: list, context: Context) -> list:
    """[(start, end, score)] of the run's name, or [] when it names none."""
    run = _without_plain_edges(run, context)
    if not run or _names_a_thing(run, context):
        return []
    span = context.doc[run[0].i:run[-1].i + 1]
    words = [t.text for t in run if len(t.text.rstrip(".")) > 1 and t.text not in PARTICLES]
    known = [w for w in words if w.casefold() in context.names]
    score = _run_score(run, words, known, context)
    return [] if score is None else [(span.start_char, span.end_char, score)]


def _without_plain_edges(run: list, context: Context) -> list:
    """The run without the ordinary words at its edges ("Customer Ho Wing Sze")."""
    names, english = context.names, context.lexicon.english
    while run and (run[-1].text in PARTICLES or plain_word(run[-1].text, names, english)):
        run = run[:-1]
    while run and plain_word(run[0].text, names, english):
        run = run[1:]
    return run


def _names_a_thing(run: list, context: Context) -> bool:
    """The run names a thing, an organisation or a place: the Kindle Paperwhite, a
    Philips Sonicare (unless the NER says a person), Matheson Street, Fernandez Inc."""
    doc, end = context.doc, run[-1].i + 1
    before = doc[run[0].i - 1].lower_ if run[0].i else ""
    # a name before a noun names whose thing it is: a Justin Bieber concert, the
    # Sokolov novel (the tagger asked only here: a determiner, a run, a lower-case word)
    modifier = (end < len(doc) and doc[end].is_lower and doc[end].is_alpha
                and before in DETERMINERS and context.pos(doc[end]) == "NOUN")
    if before in DETERMINERS and not modifier and not any(t.ent_type_ == "PERSON" for t in run):
        return True
    return (any(t.text.rstrip(".") in NOT_PERSON_NEXT for t in run)
            or (end < len(doc) and doc[end].text.rstrip(".") in NOT_PERSON_NEXT))


def _run_score(run: list, words: list, known: list, context: Context) -> float | None:
    """The run's score as a name, None when it is none. ``known``: its gazetteer words;
    ``clear`` ones are no English word too."""
    clear = [w for w in known if w.casefold() not in context.lexicon.english]
    if not known:
        return 0.5 if _foreign_name_as_org(run, words, context) else None
    if context.lower_text:
        return (0.6 if len(words) > 1 else 0.45) if clear else None
    if clear:
        if len(run) > 1:
            return 0.65
        return None if run[0].i in context.places else 0.5  # a one-word place or brand
    if any(t.i in context.places for t in run):
        return None
    if len(known) > 1 or (len(words) > 1 and all(context.pos(t) == "PROPN" for t in run)):
        return 0.5
    return 0.45 if _word_used_as_name(run, words, context) else None


def _foreign_name_as_org(run: list, words: list, context: Context) -> bool:
    """Two or more proper nouns, none an English word, that the NER called an
    organisation: far more often a foreign name than a company."""
    english = context.lexicon.english
    return (not context.lower_text and bool(english) and len(words) > 1
            and all(t.i in context.orgs for t in run)
            and not any(w.casefold() in english for w in words)
            and all(context.pos(t) == "PROPN" for t in run))


def _word_used_as_name(run: list, words: list, context: Context) -> bool:
    """A given name that is also a word (Rose, Scott, Teresa), used as a proper noun:
    not first in its sentence, or first and followed by a verb."""
    if not (len(run) == 1 and words and words[0].casefold() in given_names()):
        return False
    doc, end = context.doc, run[-1].i + 1
    placed = not run[0].is_sent_start or (end < len(doc) and could_be_verb(doc[end].text, context.lexicon)
                                          and context.pos(doc[end]) in ("VERB", "AUX"))
    return placed and context.pos(run[0]) == "PROPN"
