import pytest

from pipelines.operators import OPERATORS, build_operator, decrypt, parse_date
from privenance.errors import ConfigError
from privenance.keys import Secret

KEY, OTHER = Secret(b"\x01" * 32, "t"), Secret(b"\x02" * 32, "t")


def op(name, key=KEY, **params):
    return build_operator(name, key, params)


def test_hash_is_keyed_deterministic_and_entity_scoped():
    h = op("hash")
    assert h("chan@gmail.com", "EMAIL_ADDRESS") == h("chan@gmail.com", "EMAIL_ADDRESS")
    assert len(h("x", "E")) == 16 and int(h("x", "E"), 16) >= 0
    assert h("chan@gmail.com", "EMAIL_ADDRESS") != op("hash", OTHER)("chan@gmail.com", "EMAIL_ADDRESS")
    assert h("A123456(7)", "HK_ID") != h("A123456(7)", "OTHER")


def test_encrypt_round_trips_only_with_the_key():
    token = op("encrypt")("陳大文", "PERSON")
    assert token.startswith("ENC:") and token == op("encrypt")("陳大文", "PERSON")
    assert decrypt(token, "PERSON", KEY) == "陳大文"
    with pytest.raises(Exception):
        decrypt(token, "PERSON", OTHER)


def test_surrogate_is_consistent_realistic_and_key_dependent():
    s = op("surrogate")
    a = s("Chan Tai Man", "PERSON")
    assert a == s("Chan Tai Man", "PERSON") and a != "Chan Tai Man" and " " in a
    names = {op("surrogate", Secret(bytes([i]) * 32, "t"))("Chan Tai Man", "PERSON") for i in range(8)}
    assert len(names) > 3
    assert any("\u4e00" <= c <= "\u9fff" for c in s("陳大文", "PERSON"))
    assert s("chan@gmail.com", "EMAIL_ADDRESS").rsplit("@", 1)[1] in {"example.com", "example.org", "example.net"}
    assert s("9123 4567", "PHONE_NUMBER").startswith("555-")


def test_mask_replace_redact_keep_and_dates():
    assert op("mask")("91234567", "PHONE_NUMBER") == "****4567"
    assert op("mask", chars_to_keep=0)("abc", "X") == "***"
    assert op("replace")("x", "PERSON") == "<PERSON>" and op("redact")("x", "P") == ""
    assert op("keep")("x", "P") == "x"
    assert op("generalize_date")("3 May 2024", "DATE_TIME") == "2024-05"
    assert op("generalize_date", granularity="year")("2024-05-03", "DATE_TIME") == "2024"
    assert op("generalize_date")("sometime", "DATE_TIME") == "<DATE_TIME>"
    shifted = op("shift_date", max_days=10)("2024-05-03", "DATE_TIME")
    assert shifted == op("shift_date", max_days=10)("2024-05-03", "DATE_TIME")
    assert abs((parse_date(shifted) - parse_date("2024-05-03")).days) <= 10


def test_every_policy_operator_exists_and_unknown_is_config_error():
    from privenance.policy import OPERATOR_NAMES
    assert set(OPERATOR_NAMES) == set(OPERATORS)
    with pytest.raises(ConfigError):
        build_operator("shred", KEY)
