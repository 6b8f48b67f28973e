"""The thorough detection profile: a second model's vote and a re-cased re-check."""
from __future__ import annotations

import pytest

from pipelines.anonymize.recognizers.ensemble import recased
from privenance.errors import ConfigError
from privenance.keys import Secret
from privenance.policy import load_policy
from tests.helpers import REPO, TEST_KEY_HEX

pytestmark = pytest.mark.integration


def policy(tmp_path, body: str):
    path = tmp_path / "p.yaml"
    path.write_text(f"extends: {REPO / 'policies' / 'default.yaml'}\nname: p\n"
                    f"anonymization:\n{body}")
    return load_policy(path)


@pytest.fixture(scope="module")
def thorough(tmp_path_factory):
    from pipelines.anonymize.engine import TextAnonymizer
    engine = TextAnonymizer(policy(tmp_path_factory.mktemp("t"), "  profile: thorough\n"),
                            Secret(bytes.fromhex(TEST_KEY_HEX), "test"))
    engine.setup()
    return engine


def test_recased_copies_only_texts_without_case():
    assert recased("watching justin bieber") == "Watching Justin Bieber"
    assert recased("OMG EVA MENDES") == "Omg Eva Mendes"
    assert recased("Watching Justin Bieber") is None and recased("1234") is None


def test_the_second_model_finds_names_in_capitals_and_single_names(thorough):
    out = [a.text for a in thorough.anonymize_texts([
        "omg EVA MENDES looked amazing last night", "Hendrix played at Woodstock"])]
    assert "MENDES" not in out[0] and "Hendrix" not in out[1]


def test_a_lone_word_the_second_model_calls_a_person_is_checked(thorough):
    from pipelines.anonymize.recognizers.ensemble import SecondOpinionRecognizer
    second = next(r for r in thorough._analyzer.registry.recognizers
                  if isinstance(r, SecondOpinionRecognizer))
    text = "I moved to Singapore last year with Dennis"
    second.prepare_batch([(text, None)])
    found = {text[r.start:r.end] for r in second.analyze(text, ["PERSON"])}
    assert "Singapore" not in found


def test_a_thorough_model_that_is_not_installed_is_a_configuration_error(tmp_path):
    from pipelines.anonymize.engine import TextAnonymizer
    engine = TextAnonymizer(policy(tmp_path, "  profile: thorough\n  thorough_models: [nope_md]\n"),
                            Secret(bytes.fromhex(TEST_KEY_HEX), "test"))
    with pytest.raises(ConfigError, match="never downloads"):
        engine.setup()
