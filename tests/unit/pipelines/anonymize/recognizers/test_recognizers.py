"""Recognizer packs without the language model: patterns, check digits, boundaries,
and the overlap and propagation rules of the anonymizer."""
from __future__ import annotations

import ast
import random
import re
from pathlib import Path

import pytest
from presidio_analyzer import RecognizerResult

from pipelines.anonymize.engine import propagate_lists, resolve_overlaps
from pipelines.anonymize.recognizers import PACKS, general_pack, hk_pack
from pipelines.anonymize.recognizers.general import InternationalPhoneRecognizer, StreetAddressRecognizer
from pipelines.anonymize.recognizers.hk import (
    ChineseNameRecognizer,
    CjkSafeEmailRecognizer,
    HkAddressRecognizer,
    HkIdRecognizer,
    HkPhoneRecognizer,
    HkRomanizedNameRecognizer,
    hkid_check_ok,
)
from pipelines.anonymize.recognizers.names import NameGazetteerRecognizer
from privenance.demo import hkid
from tests.helpers import REPO

THRESHOLD = 0.4  # policies/default.yaml


def found(recognizer, text, threshold=THRESHOLD) -> list[str]:
    """The values a recognizer reports at or above the threshold, in text order."""
    results = recognizer.analyze(text, recognizer.supported_entities, None)
    return [text[r.start:r.end] for r in sorted(results, key=lambda r: r.start)
            if r.score >= threshold]


@pytest.fixture(scope="module")
def packs():
    return hk_pack() + general_pack()


# --- HKID ---------------------------------------------------------------------------

def test_hkid_check_digit_single_and_double_letter():
    # single letter: a space (value 36) pads the first position
    assert hkid_check_ok("A123456(3)") and hkid_check_ok("A1234563") and hkid_check_ok("A123456 3")
    assert not hkid_check_ok("A123456(4)")
    # two letters: X=33, Y=34 -> 33*9 + 34*8 + (1*7 + 2*6 + ... + 6*2) = 646, 646 % 11 = 8,
    # check digit 11 - 8 = 3
    assert hkid_check_ok("XY123456(3)") and not hkid_check_ok("XY123456(8)")
    # the generator's ids include check value 10, written A
    rng = random.Random(5)
    ids = [hkid(rng) for _ in range(300)]
    assert all(hkid_check_ok(i) for i in ids) and any(i.endswith("(A)") for i in ids)
    # changing the check digit of a valid id always breaks it
    for i in ids[:50]:
        wrong = "0" if i[-2] != "0" else "1"
        assert not hkid_check_ok(i[:-2] + wrong + ")")


def test_hkid_recognizer_reports_only_verified_ids():
    r = HkIdRecognizer()
    assert found(r, "HKID A123456(3), also A1234563 and XY123456(3).") == \
        ["A123456(3)", "A1234563", "XY123456(3)"]
    assert found(r, "HKID A123456(4) and Z987654(1)", threshold=0.01) == []
    assert found(r, "code XA1234563B and model A123456") == []


# --- phones --------------------------------------------------------------------------

@pytest.mark.parametrize("phone", ["+852 9123 4567", "(852) 6123 4567", "852-5123-4567",
                                   "+85291234567", "9123 4567", "2123-4567"])
def test_hk_phone_formats(phone):
    assert found(HkPhoneRecognizer(), f"Please ring {phone} today.") == [phone]


def test_hk_phone_leaves_other_numbers():
    r = HkPhoneRecognizer()
    text = "Order #12345678 shipped on 3 May 2024 for HK$1,299; HSI closed at 17,234.5"
    assert found(r, text, threshold=0.5) == []
    assert found(r, "ref 41234567 and 1123 4567") == []  # HK numbers start 2,3,5,6,7,8,9


def test_international_phone_needs_a_prefix_or_context():
    r = InternationalPhoneRecognizer()
    assert found(r, "Mobile: 467 3395") == ["467 3395"]
    assert found(r, "416 60 039 office\n+46 (0)8 928 571 38 fax") == ["416 60 039", "+46 (0)8 928 571 38"]
    assert found(r, "They're not answering at 374 780 163") == ["374 780 163"]
    assert found(r, "Desk: +1-604-696-5272x565") == ["+1-604-696-5272x565"]
    # bare digit groups, dates, IPs, prices and index levels stay below the threshold
    assert found(r, "Batch 467 3395 passed") == []
    assert found(r, "on 2024-05-03 from 10.1.2.3, HK$1,299, HSI 17,234.5") == []


def test_hkid_and_cjk_email_patterns_are_tried_only_where_they_can_match(monkeypatch):
    """A text without six digits in a row (an HKID's) or without an @ (an email's) is
    not scanned by that pattern at all; where it is, the findings are the pattern's own."""
    from presidio_analyzer import PatternRecognizer
    scanned = []
    scan = PatternRecognizer.analyze

    def counting(self, text, *args, **kwargs):
        scanned.append(self.name)
        return scan(self, text, *args, **kwargs)
    monkeypatch.setattr(PatternRecognizer, "analyze", counting)
    hkid_recognizer, email = HkIdRecognizer(), CjkSafeEmailRecognizer()
    assert found(hkid_recognizer, "Order 12345 for Ms Chan, tel 9123 4567") == []
    assert found(email, "Order 12345 for Ms Chan, tel 9123 4567") == []
    assert scanned == []
    rng = random.Random(5)
    for text in [f"id {hkid(rng)} and {hkid(rng).lower()}, 我的電郵是chan@gmail.com，" for _ in range(20)]:
        for recognizer in (hkid_recognizer, email):
            expected = scan(recognizer, text, recognizer.supported_entities, None)
            assert ([(r.start, r.end, r.score) for r in recognizer.analyze(text, recognizer.supported_entities, None)]
                    == [(r.start, r.end, r.score) for r in expected])
    assert scanned.count("HkIdRecognizer") == 20 and scanned.count("CjkSafeEmailRecognizer") == 20


# --- identifiers glued to Chinese text ---------------------------------------------

def test_identifiers_inside_chinese_sentences():
    text = "我的電郵是chan.taiman@gmail.com，電話91234567，身份證A123456(3)。"
    assert found(CjkSafeEmailRecognizer(), text) == ["chan.taiman@gmail.com"]
    phones = HkPhoneRecognizer().analyze(text, ["PHONE_NUMBER"], None)
    assert [text[p.start:p.end] for p in phones if p.score >= 0.8] == ["91234567"]
    assert found(HkIdRecognizer(), text) == ["A123456(3)"]


# --- names ---------------------------------------------------------------------------

def test_chinese_names_need_a_title_or_label():
    r = ChineseNameRecognizer()
    assert found(r, "客戶陳大文先生來電，黃美玲小姐回覆。") == ["陳大文", "黃美玲"]
    assert found(r, "姓名：歐陽小明；聯絡人張家豪") == ["歐陽小明", "張家豪"]
    assert found(r, "李家明醫生和何詠詩經理開會") == ["李家明", "何詠詩"]
    assert found(r, "今天天氣很好，陳列室開放，黃金價格上升。") == []


@pytest.mark.parametrize("name", ["Chan Tai Man", "Wong Siu Ming", "Ka Yan Lau", "Lee Ka-yan",
                                  "Cheung Wing Sze", "Tai-man Chan", "Ng Chi Keung"])
def test_romanized_cantonese_names(name):
    assert found(HkRomanizedNameRecognizer(), f"Please ask {name} to sign.") == [name]


def test_romanized_names_are_case_sensitive_and_skip_places():
    r = HkRomanizedNameRecognizer()
    assert found(r, "we can chan on it, lee man said") == []
    assert found(r, "Offices in Wong Tai Sin, Ma On Shan and Tai Po.") == []


def test_name_context_phrases_without_the_language_model():
    r = NameGazetteerRecognizer()
    assert found(r, "my name is vitoria and I live here") == ["vitoria"]
    assert found(r, "Name:    Martim A Pereira\nAddress: x") == ["Martim A Pereira"]
    assert found(r, "Yesterday Dr. Cindy Holinka called.") == ["Cindy Holinka"]
    assert found(r, "my name is not important") == []
    # the addressee line above a street address, when it holds a known name
    assert "Marta Palermo" in found(r, ">Marta Palermo\n>1072 Pohlstrasse 9\n>Suite 858")
    assert found(r, "Knowledge Agency\n55470 72 Acheron Road") == []


# --- addresses ---------------------------------------------------------------------

def test_hong_kong_addresses():
    r = HkAddressRecognizer()
    assert found(r, "Deliver to Flat A, 12/F, Block 3, Tai Koo Shing, Quarry Bay please") == \
        ["Flat A, 12/F, Block 3, Tai Koo Shing, Quarry Bay"]
    assert found(r, "Room 1203, 12/F, Tower 2, Times Square, 1 Matheson Street, Causeway Bay.") == \
        ["Room 1203, 12/F, Tower 2, Times Square, 1 Matheson Street, Causeway Bay"]
    assert found(r, "黃小姐住在九龍旺角彌敦道123號4樓。") == ["九龍旺角彌敦道123號4樓"]
    assert found(r, "香港中環皇后大道中99號") == ["香港中環皇后大道中99號"]
    assert found(r, "Results in Central and Sha Tin were strong.") == []


def test_street_address_blocks():
    r = StreetAddressRecognizer()
    block = "3369 24 Clarke Avenue\n Apt. 805\n Pines Beach\n\n New Zealand 34694"
    assert found(r, f"Ship to:\n{block}\nThanks") == [block]
    assert found(r, "Sandra lives on Hansinegata 120 street.") == ["Hansinegata 120"]
    assert found(r, "Meet at Via Roma 131, Montafia.") == ["Via Roma 131, Montafia"]
    assert found(r, "PSC 4355, Box 4187\nAPO AP 28906") == ["PSC 4355, Box 4187\nAPO AP 28906"]
    assert found(r, "It is the corner of Östbygatan 14 and Sigurmundsson Greens.") == \
        ["the corner of Östbygatan 14 and Sigurmundsson Greens"]


def test_non_personal_sentences_produce_no_findings(packs):
    texts = ["Order #12345 shipped on 3 May 2024 for HK$1,299; HSI closed at 17,234.5",
             "In 2020 we had 3 kids and 2 dogs.",
             "The Hang Seng Index closed at 17,234.5 on 2024-05-03, up 1.2%.",
             "HSBC and Cathay Pacific reported results in Central and Sha Tin.",
             "訂單12345已於2024年5月3日寄出，金額HK$1,299。"]
    for text in texts:
        assert [(r.name, v) for r in packs for v in found(r, text)] == [], text


def test_packs_are_chosen_by_name_and_never_raise_on_odd_text(packs):
    assert set(PACKS) == {"hk", "general"}
    assert {e for r in packs for e in r.supported_entities} == \
        {"HK_ID", "PHONE_NUMBER", "PERSON", "EMAIL_ADDRESS", "STREET_ADDRESS", "CREDIT_CARD"}
    for text in ["", "\n\n", "電話", "12/F", "Name:", "PSC ,", "a" * 2000, "1 " * 500]:
        for r in packs:
            assert all(0 <= x.start <= x.end <= len(text) for x in r.analyze(text, r.supported_entities, None))


# --- the anonymizer's rules on findings --------------------------------------------

def _r(entity, start, end, score):
    return RecognizerResult(entity, start, end, score)


def test_overlaps_keep_the_container_then_the_best_score_and_the_rest():
    text = "Mrs. Jennifer Alcaraz Suite 541 6343 Skogstien 106"
    person = _r("PERSON", 5, 27, 1.0)        # "Jennifer Alcaraz Suite"
    address = _r("STREET_ADDRESS", 22, len(text), 0.75)
    inner = _r("PERSON", 37, 46, 0.9)        # "Skogstien", inside the address
    out = resolve_overlaps([inner, address, person], text)
    assert [(r.entity_type, text[r.start:r.end]) for r in out] == [
        ("PERSON", "Jennifer Alcaraz Suite"), ("STREET_ADDRESS", "541 6343 Skogstien 106")]


def test_the_other_items_of_a_list_of_names_are_names():
    text = "Our 3 founders: Monjeau, Graves and Reed. HSBC and Cathay Pacific."
    results = propagate_lists([_r("PERSON", 16, 23, 0.6)], text)
    assert sorted(text[r.start:r.end] for r in results) == ["Graves", "Monjeau", "Reed"]


@pytest.mark.parametrize("locale", ["en_US", "en_GB", "zh_CN", "de_DE", "fr_FR", "en_AU", "en_IN"])
def test_regional_phone_recognizer_finds_what_presidios_finds(locale):
    """Scanning only runs of 7+ digits, and stopping once each is covered, finds the
    same numbers as Presidio's PhoneRecognizer scanning whole texts region by region
    (before context judges them: test_context_numbers.py)."""
    from faker import Faker
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    from pipelines.anonymize.registry import PHONE_REGIONS
    from pipelines.anonymize.recognizers.general import regional_phone_recognizer
    fake = Faker(locale)
    Faker.seed(11)
    texts = [f"{fake.sentence()} Call {fake.phone_number()} ext. 12 or {fake.phone_number()}; "
             f"order #{fake.random_int(10000, 99999)} of {fake.date()} 10:30." for _ in range(30)]
    stock, ours = PhoneRecognizer(supported_regions=PHONE_REGIONS), regional_phone_recognizer(PHONE_REGIONS)

    def spans(results, text):
        return sorted((r.start, r.end, r.score) for r in results
                      if sum(c.isdigit() for c in text[r.start:r.end]) >= 7)
    ours_found = [spans(ours.scan(t), t) for t in texts]
    assert sum(map(bool, ours_found)) >= 25  # the test has numbers to find
    assert ours_found == [spans(stock.analyze(t, ["PHONE_NUMBER"]), t) for t in texts]


def test_prefilters_skip_only_texts_that_cannot_match(monkeypatch):
    """The address anchors' must-contain search and the Chinese-name CJK check find the
    same spans as running every pattern, on Faker addresses of many countries and on
    Chinese text."""
    from faker import Faker
    from presidio_analyzer import PatternRecognizer

    from pipelines.anonymize.recognizers import general
    texts = ["客戶陳大文先生住在沙田", "姓名：李家明", "陳列室 Parijsstraat 8", "HAUPTSTRASSE 5", "Große Straße 7",
             "GROẞE STRAẞE 7", "RUE DE VIRTON 38", "Praça da Sé 12", "ALLÉE DES PINS 3"]
    for locale in ["de_DE", "nl_NL", "sv_SE", "fi_FI", "da_DK", "no_NO", "it_IT", "fr_FR", "en_US"]:
        fake = Faker(locale)
        Faker.seed(3)
        texts += [f"{fake.name()} lives at {fake.address()}. Call after {fake.date()}."
                  for _ in range(15)]
    address, chinese = StreetAddressRecognizer(), ChineseNameRecognizer()

    def spans(recognizer):
        return [sorted((r.start, r.end, r.score) for r in recognizer.analyze(t, recognizer.supported_entities))
                for t in texts]
    fast = spans(address), spans(chinese)
    assert sum(map(bool, fast[0])) > 50 and sum(map(bool, fast[1])) == 2
    for anchor in ("street_suffix", "street_prefix"):  # each skips some texts, not all
        assert 10 < sum(bool(general._ANCHOR_NEEDS[anchor].search(t.casefold())) for t in texts) < len(texts)
    monkeypatch.setattr(general, "_ANCHOR_NEEDS", {})
    monkeypatch.setattr(ChineseNameRecognizer, "analyze", PatternRecognizer.analyze)
    assert (spans(address), spans(chinese)) == fast


# ------------------------------------------------ declared patterns that backtrack

def test_a_catastrophic_pattern_is_refused_when_the_policy_loads(tmp_path):
    from privenance.errors import ConfigError
    from privenance.policy import load_policy
    p = tmp_path / "p.yaml"
    p.write_text("name: x\nanonymization:\n  recognizers:\n    - name: slow\n"
                 "      supported_entity: STAFF_ID\n"
                 "      patterns: [{regex: '(b|b)+$', score: 0.9}]\n")
    with pytest.raises(ConfigError, match="backtracks catastrophically") as err:
        load_policy(p)
    assert ":6: anonymization.recognizers.0.patterns.0.regex" in str(err.value)


def test_a_pattern_that_runs_out_of_time_fails_the_text_instead_of_skipping():
    import time

    from pipelines.anonymize.recognizers.declared import DeclaredRecognizer, PatternTimedOut
    from privenance.policy import RecognizerDecl
    decl = RecognizerDecl.model_validate({"name": "slow", "supported_entity": "STAFF_ID",
                                          "patterns": [{"regex": r"ID(a|a)+$", "score": 0.9}]})
    recognizer = DeclaredRecognizer(decl, "en")
    assert [(r.start, r.end) for r in recognizer.analyze("is IDaa", ["STAFF_ID"])] == [(3, 7)]
    start = time.monotonic()
    with pytest.raises(PatternTimedOut):  # Presidio would skip the pattern after 60 s
        recognizer.analyze("ID" + "a" * 30 + "!", ["STAFF_ID"])
    assert time.monotonic() - start < 15


def test_a_second_opinion_is_vetoed_where_the_trained_model_reads_an_organisation():
    import types

    import spacy
    from spacy.tokens import Span

    from pipelines.anonymize.recognizers.ensemble import SecondOpinionRecognizer
    text = "Mystery Jets played with Alan Smith"
    doc = spacy.blank("en")(text)
    doc.ents = [Span(doc, 0, 2, label="ORG")]  # the trained model: Mystery Jets is a band
    second = SecondOpinionRecognizer([], lambda entity, value: True)
    second._found = {text: [(0, 12), (25, 35)]}  # the second model: two persons
    found = second.analyze(text, ["PERSON"], types.SimpleNamespace(tokens=doc))
    assert [text[r.start:r.end] for r in found] == ["Alan Smith"]


def test_a_second_models_lone_capitalised_word_counts_inside_a_sentence_not_at_its_start():
    import spacy
    from spacy.tokens import Span

    from pipelines.anonymize.recognizers.ensemble import SecondOpinionRecognizer
    believable = SecondOpinionRecognizer._believable
    text = "Zorblat said hi. Qwimby waved at Zorblat\nQwimby left with zorblat"
    doc = spacy.blank("en")(text)
    words = {(t.i, t.text) for t in doc}
    assert (0, "Zorblat") in words and (4, "Qwimby") in words and (7, "Zorblat") in words
    one = {i: Span(doc, i, i + 1, label="PERSON") for i, _ in words}
    assert believable(text, one[7])          # capitalised inside a sentence
    assert not believable(text, one[0])      # opens the text
    assert not believable(text, one[4])      # opens a sentence
    assert not believable(text, one[9])      # opens a line
    assert not believable(text, one[12])     # lower case, not a known name


# --- the layout of the recognizers (issue 32) ----------------------------------------

RECOGNIZERS = REPO / "pipelines" / "anonymize" / "recognizers"
PACKAGE = "pipelines.anonymize.recognizers"


def _sibling_imports(path: Path) -> tuple[set[str], set[str]]:
    """(module-level, function-level) imports of other recognizer modules by one module."""
    top, inner = set(), set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    nested = {id(n) for f in functions for n in ast.walk(f) if n is not f}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE + "."):
            (inner if id(node) in nested else top).add(node.module.rsplit(".", 1)[1])
    return top, inner


def test_recognizer_modules_import_each_other_at_module_level_without_a_circle():
    """hk -> zh -> names -> hk was a circle, dodged by imports inside functions; the word
    lists they shared now live in lexicon.py."""
    graph = {}
    for path in sorted(RECOGNIZERS.glob("*.py")):
        if path.name == "__init__.py":  # the packs build their recognizers lazily
            continue
        top, inner = _sibling_imports(path)
        assert not inner, f"{path.name} imports {sorted(inner)} inside a function"
        graph[path.stem] = top

    def reaches(start, goal, seen=()):
        return any(n == goal or (n not in seen and reaches(n, goal, seen + (n,)))
                   for n in graph.get(start, ()))
    assert not [m for m in graph if reaches(m, m)]
    assert {"hk", "zh", "names"} <= {m for m in graph if "lexicon" in graph[m]}


def test_han_characters_are_defined_once_in_the_core():
    """One character class for CJK (privenance.textnorm.HAN); no module writes its own
    range of the CJK blocks."""
    from privenance.textnorm import CJK, is_cjk
    root = RECOGNIZERS.parents[2]
    own = [str(p.relative_to(root)) for folder in ("privenance", "pipelines", "lineage", "expectations")
           for p in (root / folder).rglob("*.py") if p != root / "privenance" / "textnorm.py"
           and re.search(r"\\u(?:3400|4e00|9fff)", p.read_text(encoding="utf-8"), re.I)]
    assert own == []
    assert all(is_cjk(c) for c in "陳㗎𠵱") and not any(is_cjk(c) for c in "a1。，")
    assert CJK.search("我係Jessica") and not CJK.search("Jessica")


def test_the_hkid_recognizer_finds_what_the_residual_check_flags():
    """One HKID shape (privenance.identifiers.HKID_PATTERN): an identifier the residual
    scan would flag after anonymization is one the recognizer finds before it (an
    unclosed bracket too). Likewise one card shape."""
    from pipelines.anonymize.recognizers.general import LuhnCardRecognizer
    from privenance.identifiers import find_identifiers
    value = hkid(random.Random(7))
    letters, check = value[:-3], value[-2]
    for text in (f"HKID {value}", f"HKID {letters}{check}", f"HKID {letters}({check}",
                 f"HKID {letters} {check}", f"身份證{value}"):
        assert ("HK_ID" in find_identifiers(text, ("HK_ID",))) == bool(found(HkIdRecognizer(), text)), text
    assert found(HkIdRecognizer(), f"HKID {letters}({check}") == [f"{letters}({check}"]
    for text in ("card 4539 1488 0343 6467", "card 3530111333300000", "ref 4539-1488-0343-6468"):
        assert ("CREDIT_CARD" in find_identifiers(text, ("CREDIT_CARD",))) == bool(
            found(LuhnCardRecognizer(), text, threshold=0.0)), text


def test_places_that_are_no_person_come_from_the_recognizer_packs():
    """The registry reads the Hong Kong places through the packs (hk pack: Sha Tin), not by
    importing hk.py; without the hk pack nothing is dropped as a Hong Kong place."""
    from pipelines.anonymize import engine, registry
    from pipelines.anonymize.recognizers import not_persons
    for module in (engine, registry):
        source = Path(module.__file__).read_text(encoding="utf-8")
        assert "recognizers.hk" not in source and "HK_PLACES" not in source
    assert "Sha Tin" in not_persons(["hk", "general"]) and not not_persons(["general"])
    assert not registry._plausible("PERSON", "Sha Tin", not_persons(["hk"]))
    assert registry._plausible("PERSON", "Sha Tin", not_persons(["general"]))
    assert registry._plausible("PERSON", "Chan Tai Man", not_persons(["hk"]))


def test_recasing_names_never_shifts_an_offset():
    """A lower-case word whose casefold is a known given name but whose capital is two
    characters (the 'ﬁ' ligature: 'ﬁ'.upper() is 'FI') is left as it is: the recased
    copy keeps every character at its place, so the spans found in it hold."""
    from types import SimpleNamespace

    from pipelines.anonymize.recognizers.names import capitalised
    r = NameGazetteerRecognizer()
    lexicon = object()
    r._candidates[id(lexicon)] = (frozenset({"fiona", "george"}), frozenset(), frozenset())
    text = "ask ﬁona and george"
    doc = [SimpleNamespace(text=m.group(0), idx=m.start()) for m in re.finditer(r"\S+", text)]
    recased, changed = r._recase(text, doc, lexicon)
    assert len(recased) == len(text) and recased == "ask ﬁona and George"
    assert changed == [(13, 19)] and recased[13:19] == "George"
    assert capitalised("ﬁona") is None and capitalised("SCOTT") == "Scott"
