import re

import pytest
from cryptography.exceptions import InvalidTag

from pipelines.anonymize.engine import residual_scan
from pipelines.anonymize.operators import OPERATORS, build_operator, decrypt, parse_date
from privenance.errors import ConfigError
from privenance.identifiers import hkid_ok, luhn_ok
from privenance.keys import Secret

KEY, OTHER = Secret(b"\x01" * 32, "t"), Secret(b"\x02" * 32, "t")
RESIDUAL = ["EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "HK_ID", "US_SSN", "IP_ADDRESS"]


def op(name, key=KEY, **params):
    return build_operator(name, key, params)


def test_hash_is_keyed_deterministic_and_entity_scoped():
    h = op("hash")
    assert h("chan@gmail.com", "EMAIL_ADDRESS") == h("chan@gmail.com", "EMAIL_ADDRESS")
    assert len(h("x", "E")) == 16 and int(h("x", "E"), 16) >= 0
    assert h("chan@gmail.com", "EMAIL_ADDRESS") != op("hash", OTHER)("chan@gmail.com", "EMAIL_ADDRESS")
    assert h("A123456(7)", "HK_ID") != h("A123456(7)", "OTHER")


def test_hash_format_length_and_no_salt():
    # a fresh operator (another worker) gives the same code: nothing random is mixed in
    assert op("hash")("9123 4567", "PHONE_NUMBER") == op("hash")("9123 4567", "PHONE_NUMBER")
    assert re.fullmatch(r"[0-9a-f]{16}", op("hash")("9123 4567", "PHONE_NUMBER"))
    assert re.fullmatch(r"[0-9a-f]{40}", op("hash", length=40)("x", "E"))
    # not a bare SHA-256 of the value: the key matters
    import hashlib
    assert hashlib.sha256(b"x").hexdigest()[:16] not in {op("hash")("x", "E"), op("hash")("x", "")}


def test_hash_codes_never_read_as_a_residual_identifier():
    # about 1 in 1,845 raw 16-character HMAC codes is all digits; some pass a Luhn check
    import hashlib
    import hmac

    from privenance.identifiers import find_residual
    h = op("hash")
    all_digit = [str(i) for i in range(20_000)
                 if hmac.new(h.key, f"CREDIT_CARD\x1f{i}".encode(), hashlib.sha256).hexdigest()[:16].isdigit()]
    assert len(all_digit) >= 3  # the case below is exercised
    for value in all_digit:
        code = h(value, "CREDIT_CARD")
        assert re.fullmatch(r"[0-9a-f]{16}", code) and not code.isdigit()
        assert find_residual(f"Card on file: {code}, thanks") == []


def test_encrypt_round_trips_only_with_the_key():
    token = op("encrypt")("陳大文", "PERSON")
    assert token.startswith("ENC:") and token == op("encrypt")("陳大文", "PERSON")
    assert re.fullmatch(r"ENC:[A-Za-z0-9_-]+", token)
    assert decrypt(token, KEY) == "陳大文"
    assert op("encrypt", OTHER)("陳大文", "PERSON") != token
    with pytest.raises(InvalidTag):
        decrypt(token, OTHER)
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(InvalidTag):
        decrypt(tampered, KEY)


def test_surrogate_is_consistent_realistic_and_key_dependent():
    s = op("surrogate")
    a = s("Chan Tai Man", "PERSON")
    assert a == s("Chan Tai Man", "PERSON") and a != "Chan Tai Man" and " " in a
    assert a == op("surrogate")("Chan Tai Man", "PERSON")  # another instance, same fake
    names = {op("surrogate", Secret(bytes([i]) * 32, "t"))("Chan Tai Man", "PERSON") for i in range(8)}
    assert len(names) > 3
    assert all(re.fullmatch(r"[A-Z][a-z]+(?: [A-Z][a-z]+)+", n) for n in names)
    zh = s("陳大文", "PERSON")
    assert 2 <= len(zh) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in zh) and zh != "陳大文"
    assert s("chan@gmail.com", "EMAIL_ADDRESS").rsplit("@", 1)[1] in {"example.com", "example.org", "example.net"}
    assert s("9123 4567", "PHONE_NUMBER").startswith("555-")


def test_english_surrogate_names_are_fakers_own_draws():
    """The name drawn from precomputed weights is the one Faker en_US gives, seeded
    the same way: surrogates did not change when the draw got faster."""
    import random

    from faker import Faker

    from pipelines.anonymize.operators import _english_name
    fake = Faker("en_US")
    for seed in range(500):
        ours, theirs = random.Random(seed), random.Random(seed)
        fake.seed_instance(theirs.getrandbits(64))
        assert _english_name(ours) == f"{fake.first_name()} {fake.last_name()}"


def test_surrogates_can_never_be_real_identifiers():
    s = op("surrogate")
    for i in range(200):
        hkid = s(f"A12345{i % 10}(3)-{i}", "HK_ID")
        m = re.fullmatch(r"([A-Z])(\d{6})\((.)\)", hkid)
        assert m and not hkid_ok(*m.groups())
        card = s(f"4111 1111 1111 {i:04d}", "CREDIT_CARD")
        assert not luhn_ok(card.replace(" ", ""))
        assert s(f"10.0.0.{i}", "IP_ADDRESS").startswith("192.0.2.")
        fakes = " ".join([hkid, card, s(f"u{i}@gmail.com", "EMAIL_ADDRESS"), s(f"10.0.0.{i}", "IP_ADDRESS")])
        assert residual_scan(fakes, RESIDUAL) == [], fakes


def test_mask_replace_redact_keep_and_dates():
    assert op("mask")("91234567", "PHONE_NUMBER") == "****4567"
    assert op("mask", chars_to_keep=0)("abc", "X") == "***"
    assert op("mask", chars_to_keep=2, masking_char="#")("A123456(3)", "HK_ID") == "########3)"
    assert op("mask")("abc", "X") == "***"  # too short to show anything
    assert op("replace")("x", "PERSON") == "<PERSON>" and op("redact")("x", "P") == ""
    assert op("keep")("x", "P") == "x"
    assert op("generalize_date")("3 May 2024", "DATE_TIME") == "2024-05"
    assert op("generalize_date", granularity="year")("2024-05-03", "DATE_TIME") == "2024"
    assert op("generalize_date")("sometime", "DATE_TIME") == "<DATE_TIME>"
    shifted = op("shift_date", max_days=10)("2024-05-03", "DATE_TIME")
    assert shifted == op("shift_date", max_days=10)("2024-05-03", "DATE_TIME")
    assert abs((parse_date(shifted) - parse_date("2024-05-03")).days) <= 10


def test_shift_date_is_keyed_and_the_same_for_one_subject():
    shifts = {op("shift_date", Secret(bytes([i]) * 32, "t"), max_days=30).shift() for i in range(10)}
    assert len(shifts) > 3 and all(-30 <= d <= 30 for d in shifts)
    shift = op("shift_date", max_days=365)
    a = shift("2024-01-10", "DATE_TIME", subject="patient-7")
    b = shift("2024-03-01", "DATE_TIME", subject="patient-7")
    assert (parse_date(b) - parse_date(a)).days == 51  # interval kept for one subject
    assert len({shift.shift(f"patient-{i}") for i in range(20)}) > 5


def test_every_policy_operator_exists_and_bad_config_is_config_error():
    from privenance.plugins import OPERATORS as DESCRIBED
    assert set(DESCRIBED) == set(OPERATORS)
    with pytest.raises(ConfigError):
        build_operator("shred", KEY)
    with pytest.raises(ConfigError):
        op("mask", chars_to_keep="four")
    with pytest.raises(ConfigError):
        op("generalize_date", granularity="week")


def test_residual_scan_ignores_our_outputs_but_not_real_identifiers():
    hashes = [op("hash")(f"4111 1111 1111 {i:04d}", "CREDIT_CARD") for i in range(3000)]
    tokens = [op("encrypt")(f"user{i}@gmail.com", "EMAIL_ADDRESS") for i in range(50)]
    ours = " ".join(hashes + tokens + ["<PERSON>", "<EMAIL_ADDRESS>", "192.0.2.7"])
    assert residual_scan(ours, RESIDUAL) == []
    real = "card 4111 1111 1111 1111, mail deadbeef12@gmail.com, id A123456(3), ip 8.8.8.8"
    assert sorted(residual_scan(real, RESIDUAL)) == ["CREDIT_CARD", "EMAIL_ADDRESS", "HK_ID", "IP_ADDRESS"]


def test_surrogate_is_never_a_value_detected_beside_it():
    """A fake equal to another detected value would point at a real person: it is
    re-drawn, deterministically, and the first draw of other values is unchanged."""
    s = op("surrogate")
    for value, entity in (("Wong Ka Yan", "PERSON"), ("陳美玲", "PERSON"),
                          ("chan@gmail.com", "EMAIL_ADDRESS"), ("9123 4567", "PHONE_NUMBER"),
                          ("A123456(3)", "HK_ID")):
        first = s(value, entity)
        assert first == s._draw(value, entity, 0)  # unchanged when nothing collides
        other = s(value, entity, [first.upper(), "someone else"])  # another person's value
        assert other != first and other.casefold() != first.casefold()
        assert other == op("surrogate")(value, entity, [first])  # same bytes, any instance
    assert {"Leung Tai Man", "Chan Siu Ming"}.isdisjoint(s(f"Person {i}", "PERSON")
                                                         for i in range(300))


def _spellings(fake: str, entity: str) -> list[str]:
    """Other ways to write ``fake`` that a data subject's token treats as the same."""
    if entity == "PERSON" and " " in fake:
        return [fake.upper(), "Mr " + " ".join(reversed(fake.split()))]
    if entity == "PERSON":
        return [fake + "先生", " ".join(fake)]
    if entity == "PHONE_NUMBER":
        return [fake.replace("-", " "), fake.replace("-", "")]
    return [fake.upper(), f" {fake.lower()} "]


def test_the_surrogates_in_text_check_and_subject_tokens_agree_on_the_same_identifier():
    """The fake avoids a detected value written another way exactly when the value's
    subject token (what the dataset-wide check compares) is the fake's: one notion of
    "the same identifier" (privenance.subject_tokens.normalize)."""
    from privenance.subject_tokens import SubjectTokens
    token = SubjectTokens(KEY).token
    s = op("surrogate")
    for value, entity in (("Wong Ka Yan", "PERSON"), ("Mary Poppins", "PERSON"),
                          ("陳美玲", "PERSON"), ("chan@gmail.com", "EMAIL_ADDRESS"),
                          ("9123 4567", "PHONE_NUMBER"), ("A123456(3)", "HK_ID")):
        first = s(value, entity)
        for spelling in _spellings(first, entity):
            assert token(entity, spelling) == token(entity, first)
            other = s(value, entity, [spelling])
            assert other != first and token(entity, other) != token(entity, spelling)
    # what tokens tell apart, the check does not avoid: a dot in an email is another one
    email = s("chan@gmail.com", "EMAIL_ADDRESS")
    user, _, domain = email.partition("@")
    dotted = f"{user[0]}.{user[1:]}@{domain}"
    assert token("EMAIL_ADDRESS", dotted) != token("EMAIL_ADDRESS", email)
    assert s("chan@gmail.com", "EMAIL_ADDRESS", [dotted]) == email
