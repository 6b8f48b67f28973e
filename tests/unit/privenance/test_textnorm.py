"""The normalized view detection reads, and the map back to the original text."""
from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from privenance.identifiers import find_residual, residual_flags
from privenance.textnorm import view

CASES = [
    ("身份證Ａ１２３４５６（３）", "身份證 A123456(3)", "A123456(3)", "Ａ１２３４５６（３）"),
    ("電話９１２３　４５６７", "電話9123 4567", "9123 4567", "９１２３　４５６７"),
    ("電郵chan＠gmail.com", "電郵 chan@gmail.com", "chan@gmail.com", "chan＠gmail.com"),
    ("call 9 1 2 3 4 5 6 7 now", "call 91234567 now", "91234567", "9 1 2 3 4 5 6 7"),
    ("打九一二三四五六七啦", "打 91234567 啦", "91234567", "九一二三四五六七"),
    ("chan [at] gmail [dot] com", "chan@gmail.com", "chan@gmail.com", "chan [at] gmail [dot] com"),
    ("A1\u200b23456(3)", "A123456(3)", "A123456(3)", "A1\u200b23456(3)"),
    ("身份證 A 1 2 3 4 5 6 ( 3 )", "身份證 A123456(3)", "A123456(3)", "A 1 2 3 4 5 6 ( 3 )"),
    ("個IP係203.0.113.5", "個IP係 203.0.113.5", "203.0.113.5", "203.0.113.5"),
    ("打九一二三四五六七搵我", "打 91234567 搵我", "91234567", "九一二三四五六七"),
]


def test_views_and_spans_map_back_to_the_original():
    for text, normal, value, original in CASES:
        v = view(text)
        assert v.text == normal
        start = v.text.index(value)
        a, b = v.span(start, start + len(value))
        assert text[a:b] == original


def test_ordinary_text_is_its_own_view():
    for text in ("plain text", "一二三四", "陳大文先生，多謝", "order 1 2 3", "at the dot"):
        v = view(text)
        assert v.text == text and v.span(1, 3) == (1, 3)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab 1９２＠[at]()dot一二九〇　\u200b.")), max_size=40))
def test_every_view_span_lies_within_the_text_in_order(text):
    v = view(text)
    for i in range(len(v.text)):
        a, b = v.span(i, i + 1)
        assert 0 <= a <= b <= len(text)  # empty: a space the view inserted
    if v.starts:
        assert list(v.starts) == sorted(v.starts)


def test_a_lone_surrogate_is_a_replacement_character_in_the_view():
    # spaCy cannot encode one (UnicodeEncodeError): the view, which detection reads,
    # holds U+FFFD in its place, so offsets still map one for one
    v = view("ab \ud800 cd")
    assert v.text == "ab \ufffd cd" and v.span(0, len(v.text)) == (0, len(v.text))
    v.text.encode("utf-8")


def test_the_residual_scan_reads_the_view():
    assert find_residual("HKID Ａ１２３４５６（３）") == ["HK_ID"]
    assert find_residual("write to chan [at] gmail [dot] com") == ["EMAIL_ADDRESS"]
    assert residual_flags(["chan (at) gmail (dot) com", "no identifier here"]) == [True, False]
    assert not re.search(r"\d", view("已付款").text)
