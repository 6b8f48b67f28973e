"""Personal names that a small English NER model misses or mislabels.

Kinds of evidence, each scored on its own:

* a gazetteer of given names and surnames, built from Faker's person providers
  (Latin script, about 80 locales), applied to runs of capitalised tokens. A name
  that is also an English word (Will, Rose, Hill, Paris) needs more: another name
  token beside it, or a given name that the tagger reads as a proper noun;
* two or more foreign proper nouns that the NER called an organisation;
* context phrases: "my name is", "Name:", "Dear", "Mr", "was called" ...;
* the addressee line of a postal address block (the line above the street);
* speakers in a dialogue ("Danielle: Remember me?").
"""
from __future__ import annotations

import regex
from presidio_analyzer import EntityRecognizer

from pipelines.anonymize.nlp import parts_of_speech_batch
from pipelines.anonymize.recognizers.general import ADDRESS_ANCHORS, STOP_WORDS, result
from pipelines.anonymize.recognizers.lexicon import (
    EDITION_WORDS,
    EMPTY_LEXICON,
    FIELD_LABELS,
    GREETINGS,
    HK_PLACES,
    ID_LABELS,
    MODEL_WORDS,
    MONTHS_DAYS,
    PARTICLES,
    PLACE_BEFORE,
    TITLES,
    Lexicon,
    could_be_verb,
    english_given_names,
    english_lexicon,
    given_names,
    name_gazetteer,
)
from pipelines.anonymize.recognizers.token_runs import NeedsTags, gazetteer_runs, plain_word

_WORD = regex.compile(r"\p{L}{3,}")
_POSSESSIVE = regex.compile(r"\s?['’](?:s\b|\s)")
_LATIN_WORDS = regex.compile(r"[\p{Latin}\d][\p{Latin}\d'’-]*")
# one to four digits, not a year, standing alone (not 14:30, not 3.5)
_MODEL_NUMBER = regex.compile(r"(?!(?:1[89]|20)\d\d(?!\d))\d{1,4}(?![\d:.,/])")
_AT_SOMEONE = regex.compile(r"\p{L}+ed|shout|yell|look|stare|smile|laugh|point|wave|glance|glare|grin|"
                            r"wink|nod|scream|snap|bark|swear|mad|angry|upset|cross|annoyed")
# letters and digits mixed, up to four digits: V15, R50, S24, X1, WH-1000XM5 (an ID
# such as A123456(3) has more digits)
_MODEL_CODE = regex.compile(r"(?=[\p{L}-]*\d)(?=[\d-]*\p{L})[\p{L}\d-]{2,12}")


def _model_word(word: str, beside: bool) -> bool:
    """A word of a product's model name (beside=True: one that follows a product name)."""
    word = word.strip(",.;:!?)(\"'")
    return (word in MODEL_WORDS or (beside and word in EDITION_WORDS)
            or (bool(_MODEL_CODE.fullmatch(word)) and sum(c.isdigit() for c in word) <= 4))


def not_a_name(text: str, start: int, end: int) -> bool:
    """Whether text[start:end], found as a person's name, cannot be one: it holds a
    digit (HK$12,721, Visa 4539...), it starts with a greeting or "I'm" (Hi, I'm
    Jessica), it is an identity-document label or a platform (HKID, Visa, Twitter), it
    is a Hong Kong place or follows "in" or "at" (a place), or it is a product: a model
    word in it or right beside it (Philips Airfryer XXL, Dyson V15 Detect, iPhone 15 Pro
    Max)."""
    value = text[start:end]
    words = value.split()
    return not words or _not_a_name_itself(value, words) or _a_thing_or_place_by_context(text, start, end)


def _not_a_name_itself(value: str, words: list[str]) -> bool:
    if any(c.isdigit() for w in words if not w.startswith(("@", "#")) for c in w):
        return True  # a price (HK$12,721) or a code; a handle may hold digits (@johan0394)
    if words[0].strip(",.!").casefold() in GREETINGS or value.casefold() in ID_LABELS:
        return True
    if value in HK_PLACES:
        return True  # Sha Tin, Tuen Mun: read like Cantonese names, and are places
    if any(w.islower() and w in STOP_WORDS for w in words):
        return True  # "write to", "Hakuba had": prose, not a name
    return any(_model_word(w, beside=False) for w in words)


def _a_thing_or_place_by_context(text: str, start: int, end: int) -> bool:
    """The words beside the span say it is a product (a model word or number right
    after it) or a place (after "in" or "at")."""
    # the words beside the span, cut where Chinese text is glued on (個Philips Airfryer XXL壞咗)
    nxt = _LATIN_WORDS.match(text, end + 1) if text[end:end + 1] in (" ", "-") else None
    before = text[max(0, start - 24):start].split() if text[start - 1:start] == " " else []
    if nxt and _MODEL_NUMBER.match(text, nxt.start()):
        return True  # a model number: Redmi Note 13, Sonicare 9900 (not a year, a phone or Mark 14:30)
    return bool(_place_after(text, end, before) or (nxt and _model_word(nxt.group(0), beside=True))
                or (before and _model_word(before[-1], beside=True)))


def _place_after(text: str, end: int, before: list[str]) -> bool:
    """The span follows "in" or "at": a place. But "in Giles Deacon 's show": a
    possessive after the name makes it a person's, and so does a verb before "at"
    (shouted at Gary, looked at Tiffany)."""
    if not before or before[-1].lower() not in PLACE_BEFORE or _POSSESSIVE.match(text, end):
        return False
    return not (before[-1].lower() == "at" and len(before) > 1 and _AT_SOMEONE.fullmatch(before[-2].lower()))


def trim_labels(text: str, start: int, end: int) -> tuple[int, int]:
    """text[start:end] without the field labels and greetings that open it: the NER reads
    "Customer Kin-Wah Chow" or "Hi Jessica" as one name, but only the name is personal
    data (a span of nothing else is returned empty)."""
    for m in regex.finditer(r"[\p{L}'’]+[,:]?\s*", text[start:end]):
        word = m.group(0).rstrip(",: \t\n")
        if word not in FIELD_LABELS and word.casefold() not in GREETINGS:
            return start + m.start(), end
    return end, end


def capitalised(word: str) -> str | None:
    """``word`` capitalised as a name is (george, SCOTT: George, Scott), or None when that
    changes its length ('ﬁ'.upper() is 'FI'): a recased copy keeps every offset."""
    name = word[0].upper() + word[1:].lower()
    return name if len(name) == len(word) else None


class NameGazetteerRecognizer(EntityRecognizer):
    """PERSON from name lists, context phrases and address blocks (see module doc).
    Needs spaCy's tokens (part of speech) and the model's English word list; with no
    NLP artifacts it uses the context phrases only."""

    def __init__(self):
        super().__init__(supported_entities=["PERSON"], name="NameGazetteerRecognizer",
                         context=["name", "mr", "mrs", "ms", "dear", "customer", "client"])
        self._lexicons: dict[int, Lexicon] = {}
        self._candidates: dict[int, tuple] = {}  # _recase_candidates, per lexicon

    def load(self) -> None:
        name_gazetteer()

    def analyze(self, text, entities, nlp_artifacts=None):
        english = frozenset()
        found = []
        if nlp_artifacts is not None and getattr(nlp_artifacts, "tokens", None) is not None:
            english = self.lexicon(nlp_artifacts).english
            runs = getattr(nlp_artifacts, "privenance_name_runs", None)  # prepare_batch's
            found += self._gazetteer_runs(text, nlp_artifacts) if runs is None else runs
            recased = getattr(nlp_artifacts, "privenance_recased", None)  # prepare_batch's
            if recased is None:
                recased = self._recased_persons([(text, nlp_artifacts)])[0]
            found += recased
        found += (self._context_phrases(text, english) + self._addressees(text, english)
                  + self._speakers(text, english))
        found = [f for f in found if not not_a_name(text, f[0], f[1])] + self._handles(
            text, self._not_people(nlp_artifacts))
        return [result(self, "PERSON", s, e, score) for s, e, score in found]

    def prepare_batch(self, batch: list) -> None:
        """Called with a batch of (text, nlp_artifacts) pairs before they are analyzed:
        the texts whose name-list decisions need parts of speech are tagged together
        (about 60 % of the cost of tagging them one by one); the others' name-list
        findings are kept with their artifacts for ``analyze``."""
        need = []
        for text, artifacts in batch:
            if getattr(artifacts, "tokens", None) is None:
                continue
            try:
                artifacts.privenance_name_runs = self._gazetteer_runs(text, artifacts, probe=True)
            except NeedsTags:
                need.append(artifacts.tokens)
        nlp = self._pipeline(batch[0][1]) if need else None
        if nlp is not None:
            parts_of_speech_batch(need, nlp)
        ready = [(text, a) for text, a in batch if getattr(a, "tokens", None) is not None]
        for (_, artifacts), persons in zip(ready, self._recased_persons(ready)):
            artifacts.privenance_recased = persons

    # --- evidence 6: names written in lower case or capitals ------------------------
    def _recase(self, text: str, doc, lexicon: Lexicon) -> tuple[str, list] | None:
        """A copy of the text in which known given names and surnames written in lower
        case (george) or in capitals (SCOTT WEILAND) are capitalised as names are,
        with the spans changed; None when there is none. Only the case of letters
        changes, so offsets hold; in a text mostly in capitals the other words are put
        in lower case too. Candidates: see _recase_candidates."""
        lower, capitals, shouted = self._recase_candidates(lexicon)
        # most texts have no candidate: a set lookup per word decides before any token
        words = _WORD.findall(text)
        hits = {w for w in words if w.islower() and w.casefold() in lower}
        shouting = False
        upper = [w for w in words if w.isupper()]
        if upper:
            # a text that shouts: more words in capitals than not
            shouting = 2 * len(upper) > len(words)
            pool = shouted if shouting else capitals
            hits |= {w for w in upper if w.casefold() in pool}
        if not hits:
            return None
        chars, changed = list(text), []
        for tok in doc:
            word = tok.text
            name = capitalised(word) if word in hits else None
            if name is not None:
                chars[tok.idx:tok.idx + len(word)] = name
                changed.append((tok.idx, tok.idx + len(word)))
        if not changed:
            return None
        if shouting:  # the other words of a text in capitals, in lower case
            spans = set(changed)
            for tok in doc:
                span = (tok.idx, tok.idx + len(tok.text))
                lower_word = tok.text.lower()
                if span not in spans and tok.text.isupper() and len(lower_word) == len(tok.text):
                    chars[span[0]:span[1]] = lower_word
        return "".join(chars), changed

    def _recase_candidates(self, lexicon: Lexicon) -> tuple[frozenset, frozenset, frozenset]:
        """Casefolded words worth recasing (computed once per lexicon): given names in
        lower case that cannot be a verb, an adjective or an adverb (not marry, will,
        sweet); given names of 4+ letters in capitals among lower-case words (an acronym
        such as MAC or AUS is not one); any known name in a text that shouts. None is a
        stop word or an English word, unless an English given name (george, not sister)."""
        if id(lexicon) not in self._candidates:
            from spacy.lang.en.stop_words import STOP_WORDS as SPACY_STOP_WORDS
            plain = ((lexicon.english | lexicon.inflected) - english_given_names()) \
                | STOP_WORDS | SPACY_STOP_WORDS
            given = {w for w in given_names() - plain if len(w) > 2 and w.isalpha()}
            lower = frozenset(w for w in given - lexicon.modifiers if not could_be_verb(w, lexicon))
            capitals = frozenset(w for w in given if len(w) > 3)
            shouted = frozenset(w for w in name_gazetteer() - plain if len(w) > 2 and w.isalpha())
            self._candidates[id(lexicon)] = (lower, capitals, shouted)
        return self._candidates[id(lexicon)]

    @staticmethod
    def _sentences_with(doc, changed: list) -> list[tuple[int, int]]:
        """(start, end) of the sentences holding a changed span (the whole text when the
        doc has no sentence starts): only they go through the model again."""
        if not doc.has_annotation("SENT_START"):
            return [(0, len(doc.text))]
        out = []
        for sent in doc.sents:
            a, b = sent.start_char, sent.end_char
            if any(a <= s < b for s, _ in changed):
                out.append((a, b))
        return out

    def _recased_persons(self, items: list) -> list:
        """For each (text, nlp_artifacts): the PERSON entities the model finds in the
        recased copy (_recase) over a recased word; the copies of a batch go through the
        model together. The model decides: a gazetteer word alone is not a name."""
        # (item, offset of the sentence, its recased text, the changed spans)
        parts = []
        for i, (text, artifacts) in enumerate(items):
            copy = self._recase(text, artifacts.tokens, self.lexicon(artifacts))
            if copy is not None:
                recased, changed = copy
                parts += [(i, a, recased[a:b], changed)
                          for a, b in self._sentences_with(artifacts.tokens, changed)]
        nlp = self._pipeline(items[0][1]) if parts else None
        out = [[] for _ in items]
        if nlp is None:
            return out
        docs = nlp.pipe([p[2] for p in parts], batch_size=max(1, len(parts)))
        for (i, offset, _, changed), doc in zip(parts, docs):
            text, starts = items[i][0], {a for a, _ in changed}
            for e in doc.ents:
                if e.label_ != "PERSON":
                    continue
                # the entity's runs of recased or capitalised words ("George with Carmen"
                # is two names), those holding a recased word
                run: list = []
                for tok in list(e) + [None]:
                    if tok is not None and (offset + tok.idx in starts or text[offset + tok.idx].isupper()):
                        run.append(tok)
                        continue
                    if any(offset + t.idx in starts for t in run):
                        out[i].append((offset + run[0].idx, offset + run[-1].idx + len(run[-1].text), 0.5))
                    run = []
        return out

    # --- evidence 1: name lists ------------------------------------------------------
    @staticmethod
    def _pipeline(nlp_artifacts):
        """The spaCy pipeline that made the tokens, or None."""
        try:
            return nlp_artifacts.nlp_engine.nlp[nlp_artifacts.tokens.lang_]
        except (AttributeError, KeyError, TypeError):
            return None

    def lexicon(self, nlp_artifacts) -> Lexicon:
        """WordNet's English words and verb forms, as shipped in the spaCy model's
        lemmatizer tables (empty when the model has none)."""
        nlp = self._pipeline(nlp_artifacts)
        if nlp is None:
            return EMPTY_LEXICON
        if id(nlp) not in self._lexicons:
            self._lexicons[id(nlp)] = english_lexicon(nlp)
        return self._lexicons[id(nlp)]

    def _gazetteer_runs(self, text, nlp_artifacts, probe: bool = False) -> list:
        """Findings from runs of name-like tokens (token_runs.py). A probe raises
        NeedsTags where it would otherwise tag the text."""
        return gazetteer_runs(text, nlp_artifacts.tokens, self.lexicon(nlp_artifacts),
                              self._pipeline(nlp_artifacts), probe)

    # --- evidence 2: context phrases -------------------------------------------------
    _NAME = r"\p{L}[\p{L}'’-]*"
    _CAP = r"\p{Lu}[\p{L}'’-]*"
    # (pattern, score, strong): after a strong phrase any word but a stop word may be a
    # name; after a weak one an ordinary English word ends it (call me back, Dear Customer)
    # (pattern, score, strong, needles): a phrase is tried only on texts holding one of
    # its needles (lower case); most texts hold none, and trying each pattern at every
    # position was a third of this recognizer's time
    _PHRASES = (
        # my name is vitoria: any case, one or two words
        (regex.compile(rf"(?i:\b(?:my name is|my name's|name is|named|known as)"
                       rf"\s+)({_NAME}(?:\s+{_NAME})?)"), 0.7, True, ("name", "known as")),
        # call me Borna, but not call me back
        (regex.compile(rf"(?i:\b(?:call me|calls me)\s+)({_NAME}(?:\s+{_NAME})?)"), 0.7, False, ("call",)),
        # Name: Martim A Pereira (to the end of the line)
        (regex.compile(rf"(?i:\b(?:full name|name|account holder|addressee|recipient)\s*:)[ \t]*"
                       rf"({_NAME}\.?(?:[ \t]+{_NAME}\.?){{0,3}})"), 0.7, True,
         ("name", "holder", "addressee", "recipient")),
        # Mr Chan, Dr. Cindy Holinka, ms. Quinzia, was called Djevad Šušulić
        (regex.compile(rf"\b(?i:{TITLES})\.?\s+({_CAP}(?:\s+(?:{_CAP}|\p{{Lu}}\.?)){{0,2}})"), 0.7, True,
         tuple(TITLES.lower().split("|"))),
        (regex.compile(rf"\b(?:called|nicknamed|christened)\s+({_CAP}(?:\s+(?:{_CAP}|\p{{Lu}}\.?)){{0,2}})"),
         0.6, False, ("called", "nicknamed", "christened")),
        # What's your last name? Arcuri
        (regex.compile(rf"(?i:\bname)\s*\?\s*({_CAP}(?:\s+{_CAP}){{0,2}})"), 0.6, True, ("name",)),
        # Hi Jessica, Thanks Shelby, I'm Jessica Edwards, this is Chan Tai Man
        (regex.compile(rf"\b(?:Dear|Hi|Hello|Hey|[Tt]hanks|[Tt]hank you|[Cc]heers)\s*,?\s+({_CAP}(?:\s+{_CAP}){{0,2}})"),
         0.55, False, ("dear", "hi", "hello", "hey", "thank", "cheers")),
        (regex.compile(rf"\b(?:I'm|I’m|I am|[Tt]his is|[Ii]t's|[Ii]t’s)\s+({_CAP}(?:\s+{_CAP}){{0,2}})"), 0.55, False,
         ("i'm", "i’m", "i am", "this is", "it's", "it’s")),
        # company: "with Whitney tonight", "sat next to Shane & Jonah" (9 people, 3
        # organisations after "with" in the posts tuned on)
        (regex.compile(r"\b(?:with|With|WITH)\s+(\p{Lu}\p{Ll}[\p{L}'’-]*)(?![\p{L}'’-])"), 0.45, False, ("with",)),
        # a signature: "Gregory here, call me back"
        (regex.compile(rf"(?:^|(?<=[.!?]\s))({_CAP}(?:\s+{_CAP}){{0,2}})(?=\s+here\b)", regex.M), 0.5, False,
         (" here",)),
    )

    # words after "call me" or a greeting that are no name, even without a word list
    _NOT_AFTER_CALL = frozenset("back later again now today tonight tomorrow asap please "
                                "anytime soon first everyone all team guys".split())

    def _context_phrases(self, text, english: frozenset = frozenset()) -> list:
        out, names, lower = [], name_gazetteer(), text.lower()
        for pattern, score, strong, needles in self._PHRASES:
            if not any(needle in lower for needle in needles):
                continue
            for m in pattern.finditer(text):
                end = None
                for w in regex.finditer(r"\S+", m.group(1)):
                    # stop at the first ordinary word: "my name is not important"
                    # (an initial such as the A in Martim A Pereira is no article)
                    word = w.group(0).strip(".,")
                    initial = len(word) == 1 and word.isupper() and w.start() > 0
                    if ((word.lower() in STOP_WORDS and not initial) or word in MONTHS_DAYS
                            or (not strong and (word.lower() in self._NOT_AFTER_CALL
                                                or plain_word(word, names, english)))):
                        break
                    end = m.start(1) + w.start() + len(w.group(0).rstrip(".,"))
                if end:
                    out.append((m.start(1), end, score))
        return out

    # --- evidence 5: social-media handles ----------------------------------------------
    # @name, not the @ of an email address (chan@gmail.com) or of "@ 7:30"
    _HANDLE = regex.compile(r"(?<![\w@.])@(\w{2,30})(?![\w@])")

    @staticmethod
    def _not_people(nlp_artifacts) -> list[tuple[int, int]]:
        """Character spans the NER calls an organisation or a place (the trained model,
        pipelines/anonymize/models/names_en, learnt from BTC which accounts are organisations')."""
        doc = getattr(nlp_artifacts, "tokens", None)
        if doc is None:
            return []
        return [(e.start_char, e.end_char) for e in doc.ents if e.label_ in ("ORG", "GPE", "LOC")]

    def _handles(self, text, not_people: list[tuple[int, int]] = ()) -> list:
        """A @handle names an account, and most accounts are people's: the part after
        the @ is treated as a name (the @ stays, so the text still reads as a mention),
        unless the NER reads it as an organisation's or a place's (@BBCNews, @NYCMayor):
        on the validation tweets of BTC that halves the organisations and places
        destroyed (21.0 % -> 16.4 %) for 1.6 points more names left (11.9 % -> 13.5 %)."""
        if "@" not in text:
            return []
        handles = [m for m in self._HANDLE.finditer(text)
                   if not any(a < m.end() and m.start() < b for a, b in not_people)]
        if not handles:
            return []
        out = [(m.start(1), m.end(1), 0.5) for m in handles]
        # the person's name written out beside their handle: "@SnoopDogg hey snoop",
        # "@keevaguilfoyle ... Keeva": a word of 4+ letters that starts or ends the handle
        # or is one of its capitalised parts
        parts = set()
        for m in handles:
            handle = m.group(1)
            parts |= {p.casefold() for p in regex.findall(r"\p{Lu}\p{Ll}{3,}", handle)}
            parts |= {handle.casefold()}
        for w in regex.finditer(r"(?<![\w@])\p{L}{4,}(?!\w)", text):
            word = w.group(0).casefold()
            if word not in STOP_WORDS and word not in ID_LABELS and any(word == p or (p.startswith(word) or p.endswith(word))
                                              and len(p) > len(word) for p in parts):
                out.append((w.start(), w.end(), 0.45))
        return out

    # --- evidence 3: the addressee line of an address block --------------------------
    _LINE = regex.compile(r"^[ \t>?]*((?:\p{Lu}[\p{L}'’-]*\.?|\p{Lu}\.?)(?:[ \t]+(?:\p{Lu}[\p{L}'’-]*\.?|\p{Lu}\.?|"
                          + "|".join(sorted(PARTICLES)) + r")){1,3})[ \t]*$", regex.M)

    def _addressees(self, text, english: frozenset) -> list:
        """A line of 2-4 capitalised words right above a street line, with a known name
        in it or no English word (Knowledge Agency is a company, Tzigane Lantos is not)."""
        out, names = [], name_gazetteer()
        for m in self._LINE.finditer(text):
            words = [w.rstrip(".").casefold() for w in m.group(1).split()]
            if not (any(w in names for w in words)
                    or (english and not any(w in english for w in words if len(w) > 1))):
                continue
            below = [line.lstrip(" \t>?") for line in text[m.end():m.end() + 120].split("\n")[1:]]
            below = next((line for line in below if line.strip()), "")
            if any(p.match(below) for name, p, _ in ADDRESS_ANCHORS if name not in ("unit", "po_box")):
                out.append((m.start(1), m.end(1), 0.55))
        return out

    # --- evidence 4: speakers in a dialogue --------------------------------------------
    _SPEAKER = regex.compile(r"^[ \t>]*(\p{Lu}[\p{L}'’-]+)(?=[ \t]*:[ \t]*\S)", regex.M)

    def _speakers(self, text, english: frozenset) -> list:
        """Line-initial "Danielle: ..." in a text with two or more such lines; the label
        must be a known name or no English word (Status: open is a form field)."""
        names = name_gazetteer()
        found = [m for m in self._SPEAKER.finditer(text) if m.group(1).lower() not in STOP_WORDS and (
                 m.group(1).casefold() in names or (english and m.group(1).casefold() not in english))]
        if len({m.group(1) for m in found}) < 2:
            return []
        return [(m.start(1), m.end(1), 0.5) for m in found if m.group(1) not in FIELD_LABELS]
