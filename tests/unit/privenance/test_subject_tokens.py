"""Subject tokens and request records (privenance/subject_tokens.py)."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from privenance.errors import ConfigError
from privenance.keys import Secret
from privenance.subject_tokens import SubjectTokens, load_requests, record_erasure, record_withdrawal

KEY = Secret(b"k" * 32, "test")


@pytest.mark.parametrize("entity, a, b", [
    ("EMAIL_ADDRESS", "Chan.TaiMan@Example.com", " chan.taiman@example.com"),
    ("HK_ID", "A123456(3)", "a1234563"),
    ("HK_ID", "A 123456 (3)", "A123456（3）"),          # full-width brackets from CJK input
    ("PHONE_NUMBER", "+852 9123 4567", "9123-4567"),
    ("PHONE_NUMBER", "(852) 91234567", "00852 9123 4567"),
    ("PERSON", "Chan Tai Man", "Tai-man Chan"),
    ("PERSON", "Mr. Chan Tai Man", "chan tai man"),
    ("PERSON", "陳大文先生", "陳大文"),
    ("PERSON", "陳 小玲", "陳小玲客戶"),
    ("HK_ID", "Ａ１２３４５６（３）", "A123456(3)"),
    ("EMAIL_ADDRESS", "Chan＠Gmail.com", "chan@gmail.com"),
])
def test_spellings_of_one_identifier_share_a_token(entity, a, b):
    tokens = SubjectTokens(KEY)
    assert tokens.token(entity, a) == tokens.token(entity, b) is not None


@pytest.mark.parametrize("entity, a, b", [
    ("EMAIL_ADDRESS", "chan@example.com", "chen@example.com"),
    ("PHONE_NUMBER", "9123 4567", "9123 4568"),
    ("PERSON", "Chan Tai Man", "Chan Tai Ming"),
    ("HK_ID", "A123456(3)", "A123457(3)"),
])
def test_different_identifiers_differ(entity, a, b):
    tokens = SubjectTokens(KEY)
    assert tokens.token(entity, a) != tokens.token(entity, b)


def test_tokens_are_keyed_and_typed():
    one, other = SubjectTokens(KEY), SubjectTokens(Secret(b"o" * 32, "test"))
    assert one.token("EMAIL_ADDRESS", "a@b.com") != other.token("EMAIL_ADDRESS", "a@b.com")
    # the same digits as a phone and as something else are different subjects
    assert one.token("PHONE_NUMBER", "91234567") != one.token("HK_ID", "91234567")
    assert one.token("DATE_TIME", "2024-01-01") is None and one.token("PERSON", " - ") is None
    assert "a@b.com" not in one.token("EMAIL_ADDRESS", "a@b.com")


def test_requests_are_recorded_once_and_read_back(tmp_path):
    tokens = SubjectTokens(KEY)
    t = [tokens.token("EMAIL_ADDRESS", "a@b.com"), tokens.token("PERSON", "Chan Tai Man")]
    assert record_erasure(tmp_path, "DSR-1", t, dt.date(2026, 11, 20))
    assert not record_erasure(tmp_path, "DSR-1", t[:1], dt.date(2026, 11, 21))
    assert record_withdrawal(tmp_path, "DSR-2", "form-2024-03", dt.date(2026, 11, 22))
    requests = load_requests(tmp_path)
    assert requests.erased_tokens == {t[0]: "DSR-1", t[1]: "DSR-1"}
    assert requests.withdrawn_refs == {"form-2024-03": "DSR-2"}
    assert [r["request"] for r in requests.all()] == ["DSR-1", "DSR-2"]
    assert "a@b.com" not in (tmp_path / "erasures.jsonl").read_text()
    assert load_requests(tmp_path / "missing").all() == []


@pytest.mark.parametrize("request_id", ["chan@example.com", "Chan Tai Man", "", "x" * 65])
def test_request_ids_cannot_hold_personal_details(tmp_path, request_id):
    with pytest.raises(ConfigError, match="request id"):
        record_erasure(tmp_path, request_id, ["0" * 32], dt.date(2026, 11, 20))


def test_a_broken_requests_file_is_a_config_error_with_its_line(tmp_path):
    (tmp_path / "erasures.jsonl").write_text(json.dumps({"request": "DSR-1", "received": "x",
                                                         "tokens": []}) + "\n{not json\n")
    with pytest.raises(ConfigError) as err:
        load_requests(tmp_path)
    assert "erasures.jsonl:2" in str(err.value)


def test_erase_takes_several_names_and_emails(tmp_path, monkeypatch):
    """An English and a Chinese name, two emails: one request, a token for each."""
    import json

    from typer.testing import CliRunner

    from privenance import cli
    cli._register()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli.app, [
        "subject", "erase", "--request", "DSR-1", "--name", "Chan Siu Ling", "--name", "陳小玲",
        "--email", "a@x.com", "--email", "b@y.com", "--requests", "requests"])
    assert result.exit_code == 0, result.output
    (entry,) = [json.loads(line) for line in (tmp_path / "requests" / "erasures.jsonl")
                .read_text().splitlines()]
    assert len(entry["tokens"]) == 4 and "陳小玲" not in json.dumps(entry, ensure_ascii=False)


def test_identifiers_without_a_token_compare_case_spaces_and_punctuation_aside():
    """What the surrogate operator compares for entities no subject token covers: one
    card, address or IP however it is spaced or cased."""
    from privenance.subject_tokens import normalize
    assert normalize("CREDIT_CARD", "4111 1111 1111 1111") == normalize("CREDIT_CARD", "4111-1111-1111-1111")
    assert normalize("STREET_ADDRESS", "12 Main St.") == normalize("STREET_ADDRESS", "12 MAIN ST")
    assert normalize("IP_ADDRESS", "192.0.2.1") != normalize("IP_ADDRESS", "192.0.2.11")
    assert normalize("IP_ADDRESS", "...") is None


def test_an_erasure_by_record_keeps_record_ids_and_changes_the_fingerprint(tmp_path):
    before = load_requests(tmp_path).fingerprint()
    assert "erased_records" not in before  # earlier runs keep their run ids
    assert record_erasure(tmp_path, "DSR-3", [], dt.date(2026, 11, 20), ["rid-b", "rid-a"])
    requests = load_requests(tmp_path)
    assert requests.erased_records == {"rid-a": "DSR-3", "rid-b": "DSR-3"}
    assert requests.erased_tokens == {}
    assert requests.all() == [{"request": "DSR-3", "kind": "erasure", "received": "2026-11-20",
                               "identifiers": 2}]
    assert requests.fingerprint()["erased_records"] == [("rid-a", "DSR-3"), ("rid-b", "DSR-3")]


def test_erase_by_source_key_records_only_the_keyed_record_id(tmp_path, monkeypatch):
    """A picture named by its file name: the request file holds its record id, never
    the name; --key without --source is a one-line config error."""
    from typer.testing import CliRunner

    from lineage.subjects import record_ids
    from privenance import cli
    from tests.helpers import TEST_KEY_HEX
    cli._register()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli.app, [
        "subject", "erase", "--request", "DSR-4", "--source", "photos", "--key",
        "chan-tai-man.jpg", "--requests", "requests"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "requests" / "erasures.jsonl").read_text()
    (entry,) = [json.loads(line) for line in text.splitlines()]
    expected = record_ids(Secret(bytes.fromhex(TEST_KEY_HEX), "t"), [("photos", "chan-tai-man.jpg")])
    assert entry["records"] == list(expected) and entry["tokens"] == []
    assert "chan-tai-man" not in text and "chan-tai-man" not in result.output
    lone = CliRunner().invoke(cli.app, ["subject", "erase", "--request", "DSR-5", "--key", "x.jpg",
                                        "--requests", "requests"])
    assert isinstance(lone.exception, ConfigError) and "go together" in str(lone.exception)
