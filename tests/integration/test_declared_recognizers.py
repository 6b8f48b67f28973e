"""Recognizers and allow-lists declared in the policy, with the real engine."""
from __future__ import annotations

import pytest

from privenance.errors import ConfigError
from privenance.keys import Secret
from privenance.policy import load_policy
from tests.helpers import REPO, TEST_KEY_HEX

pytestmark = pytest.mark.integration

POLICY = f"""extends: {REPO / "policies" / "default.yaml"}
name: declared
anonymization:
  recognizers:
    - name: ECHR application numbers
      supported_entity: CASE_NUMBER
      patterns:
        - {{name: application no, regex: "(?<=no\\\\. )\\\\d{{3,6}}/\\\\d{{2}}\\\\b", score: 0.9}}
    - name: project codenames
      supported_entity: CODENAME
      deny_list: [綠寶石, Big Ben]
    - name: member cards
      supported_entity: MEMBER_CARD
      validator: luhn
      patterns:
        - {{name: card, regex: "(?<=member )\\\\d{{16}}", score: 0.8}}
  allow_list:
    terms: [Philips Airfryer XXL]
    patterns: ["ORD-\\\\d{{4}}-\\\\d{{6}}"]
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from pipelines.anonymize.engine import TextAnonymizer
    path = tmp_path_factory.mktemp("policy") / "declared.yaml"
    path.write_text(POLICY)
    anonymizer = TextAnonymizer(load_policy(path), Secret(bytes.fromhex(TEST_KEY_HEX), "test"))
    anonymizer.setup()
    return anonymizer


def anonymize(engine, text):
    return engine.anonymize_texts([text])[0]


def test_a_declared_pattern_finds_case_numbers(engine):
    out = anonymize(engine, "The applicant lodged application no. 36110/97 with the Court.")
    assert out.text == "The applicant lodged application no. <CASE_NUMBER> with the Court."


def test_deny_list_terms_match_in_chinese_and_as_latin_words(engine):
    assert anonymize(engine, "項目代號綠寶石同Big Ben已完成").text == "項目代號<CODENAME>同<CODENAME>已完成"
    found = anonymize(engine, "the Big Bent road").findings
    assert "CODENAME" not in {f.entity for f in found}  # not a whole word


def test_a_validator_drops_matches_that_fail_it(engine):
    from pipelines.anonymize.recognizers.declared import DeclaredRecognizer
    decl = engine.policy.anonymization.recognizers[2]
    recognizer = DeclaredRecognizer(decl, "en")
    assert [r.entity_type for r in recognizer.analyze("member 4111111111111111 joined",
                                                      ["MEMBER_CARD"])] == ["MEMBER_CARD"]
    assert recognizer.analyze("member 4111111111111112 joined", ["MEMBER_CARD"]) == []
    assert "4111111111111112" in anonymize(engine, "member 4111111111111112 joined").text


def test_allowed_text_is_never_replaced(engine):
    text = "Order ORD-2025-034246 for a Philips Airfryer XXL, mail chan.taiman@gmail.com"
    out = anonymize(engine, text)
    assert "ORD-2025-034246" in out.text and "Philips Airfryer XXL" in out.text
    assert "chan.taiman@gmail.com" not in out.text


@pytest.mark.parametrize("body, line, field, words", [
    ("  recognizers:\n    - {name: x, supported_entity: X, patterns: [{regex: 'a(['}]}\n",
     5, "anonymization.recognizers.0.patterns.0.regex", "not a valid regular expression"),
    ("  recognizers:\n    - {name: x, supported_entity: X, validator: mod97, deny_list: [a]}\n",
     5, "anonymization.recognizers.0.validator", "unknown validator"),
    ("  recognizers:\n    - {name: x, supported_entity: X}\n",
     5, "anonymization.recognizers.0", "needs patterns or a deny_list"),
    ("  recognizers:\n    - {name: x, supported_entity: lower, deny_list: [a]}\n",
     5, "anonymization.recognizers.0.supported_entity", "pattern"),
    ("  allow_list: {patterns: ['ORD-(']}\n", 4, "anonymization.allow_list.patterns",
     "not a valid regular expression"),
])
def test_declarations_are_checked_at_load_with_file_and_line(tmp_path, body, line, field,
                                                             words):
    path = tmp_path / "bad.yaml"
    path.write_text(f"extends: {REPO / 'policies' / 'default.yaml'}\nname: bad\n"
                    f"anonymization:\n{body}")
    with pytest.raises(ConfigError) as error:
        load_policy(path)
    message = str(error.value)
    assert message.startswith(f"{path}:{line}:") and field in message and words in message


def test_the_chinese_name_tool_the_policy_names_must_be_the_one_installed(tmp_path):
    from pipelines.anonymize.engine import TextAnonymizer
    path = tmp_path / "zh.yaml"
    path.write_text(f"extends: {REPO / 'policies' / 'default.yaml'}\nname: zh\n"
                    "anonymization:\n  chinese_names: {version: 0.0.9}\n")
    engine = TextAnonymizer(load_policy(path), Secret(bytes.fromhex(TEST_KEY_HEX), "test"))
    with pytest.raises(ConfigError, match="anonymization.chinese_names.*0.0.9"):
        engine.setup()
