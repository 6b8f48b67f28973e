"""Offline language detection per record, for the representation report.

A statistical model alone cannot tell the languages Hong Kong data is written in
apart: it says "zh" for Traditional Chinese, Simplified Chinese and written
Cantonese alike. So the script decides first, and rules do the rest:

- Han characters at least as many as Latin words: Chinese. Characters that only
  written Cantonese uses (咗 嘅 喺 冇 哋 嚟 啲 佢 ...) make it Cantonese (``yue``, in
  either script); otherwise OpenCC tells Traditional (``zh-Hant``) from Simplified
  (``zh-Hans``) by the characters that have a form in the other script only, and
  text with neither is ``zh``.
- kana: ``ja``; Hangul: ``ko``.
- otherwise py3langid (its model ships inside the package, nothing is downloaded),
  restricted to the policy's candidate languages: ``en``, ``fr``, ...
- no letters at all, or too little text to tell: ``und``.

Measured on real text with ``python benchmarks/language.py`` (README).
"""
from __future__ import annotations

import re
import threading

from privenance.textnorm import CJK

UNDETERMINED = "und"
CHINESE = ("zh-Hant", "zh-Hans", "yue", "zh")

# characters of written Cantonese that standard written Chinese (Traditional or
# Simplified) does not use
CANTONESE_CHARS = frozenset("咗嘅喺冇哋嚟啲佢冧嘢嗰噉攞睇嘥啱咩喎㗎嘞囉搵揾乜冚啫嚿揸踎諗谂㩒嬲瞓咁唔")
CANTONESE_WORDS = ("而家", "點解", "点解", "邊個", "边个", "邊度", "边度", "係咪", "系咪")
# Cantonese words standard Chinese writes too, in other words: 係 (is) but not in 關係,
# 仲 (still) but not in 仲裁, 俾 (give) but not in 俾使
_SHARED = re.compile(r"(?<![關关維维聯联連连干幹])係(?![數数統统屬属])|(?<!伯)仲(?![裁介夏春秋冬])"
                     r"|俾(?![使便])")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]{2,}")
_MIN_CONFIDENCE = 0.5  # py3langid's normalised probability below this: und
# what says nothing of the language: links, @handles, #tags, e-mail addresses, "RT"
_NOISE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+|[@#]\w+|\bRT\b")


class _Engines:
    """py3langid and OpenCC, each loaded when the first text that needs it arrives
    (py3langid for Latin-script text, OpenCC for Chinese: English-only data never
    loads OpenCC) and shared by the process's threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self.ident = self.t2s = self.s2t = None
        self.languages: tuple = ()

    def identifier(self, languages: tuple):
        """py3langid, restricted to ``languages`` (all when empty)."""
        with self._lock:
            if self.ident is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier
                self.ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            if languages != self.languages:
                self.ident.set_languages(list(languages) or None)
                self.languages = languages
            return self.ident

    def converters(self):
        """OpenCC's Traditional-to-Simplified and Simplified-to-Traditional converters."""
        with self._lock:
            if self.t2s is None:
                import opencc
                self.t2s, self.s2t = opencc.OpenCC("t2s"), opencc.OpenCC("s2t")
            return self.t2s, self.s2t


ENGINES = _Engines()


def cantonese_markers(text: str) -> int:
    """How many Cantonese-only characters and words ``text`` holds."""
    return (sum(ch in CANTONESE_CHARS for ch in text) + sum(text.count(w) for w in CANTONESE_WORDS)
            + len(_SHARED.findall(text)))


def chinese_script(han: str, t2s, s2t) -> str:
    """zh-Hant, zh-Hans or zh (neither kind of character, or as many of each)."""
    chars = sorted(set(han))
    joined = "\n".join(chars)
    as_simplified = t2s.convert(joined).split("\n")
    as_traditional = s2t.convert(joined).split("\n")
    if len(as_simplified) != len(chars) or len(as_traditional) != len(chars):
        return "zh"  # a conversion changed the line structure: cannot tell
    weight = {c: han.count(c) for c in chars}
    traditional = sum(weight[c] for c, s in zip(chars, as_simplified) if s != c)
    simplified = sum(weight[c] for c, t in zip(chars, as_traditional) if t != c)
    if traditional > simplified:
        return "zh-Hant"
    if simplified > traditional:
        return "zh-Hans"
    return "zh"


class LanguageDetector:
    """``detect(text)`` -> a language label (see the module docstring)."""

    def __init__(self, languages: list[str] | tuple = (), max_chars: int = 2000,
                 cantonese_min: int = 2):
        self.languages = tuple(sorted(set(languages)))
        self.max_chars, self.cantonese_min = max_chars, cantonese_min

    def detect(self, text: str | None) -> str:
        text = (text or "")[: self.max_chars]
        han = "".join(CJK.findall(text))
        kana, hangul = len(_KANA.findall(text)), len(_HANGUL.findall(text))
        latin_words = len(_LATIN_WORD.findall(text))
        if kana and kana * 4 >= len(han):
            return "ja"
        if hangul and hangul >= len(han) and hangul * 2 >= latin_words:
            return "ko"
        if han and len(han) >= latin_words:
            # one marker is enough in a short text: 佢喺邊? has three Han characters
            markers = cantonese_markers(text)
            if markers >= self.cantonese_min or (markers and len(han) < 20):
                return "yue"
            return chinese_script(han, *ENGINES.converters())
        if latin_words == 0:
            return UNDETERMINED
        ident = ENGINES.identifier(self.languages)
        # lower case: the model knows SHOUTED text less well than ordinary text
        language, confidence = ident.classify(_NOISE.sub(" ", text).lower())
        if language == "zh" or confidence < _MIN_CONFIDENCE:
            return UNDETERMINED  # Latin text the model cannot place
        return language
