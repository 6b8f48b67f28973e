from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.anonymize.recognizers.hk import HkIdRecognizer, HkPhoneRecognizer, hkid_check_ok
from privenance.identifiers import (find_identifiers, find_residual, iban_ok, luhn_ok,
                                    residual_flags)


def test_hkid_check_digit():
    assert hkid_check_ok("A123456(3)") and hkid_check_ok("A1234563")
    assert not hkid_check_ok("A123456(4)")
    from privenance.demo import hkid
    import random
    rng = random.Random(3)
    assert all(hkid_check_ok(hkid(rng)) for _ in range(200))


def test_high_precision_identifiers_and_our_outputs():
    text = ("mail chan.tm@gmail.com card 4111 1111 1111 1111 id A123456(3) ssn 123-45-6789 "
            "ip 10.1.2.3 iban GB82 WEST 1234 5698 7654 32")
    assert sorted(find_identifiers(text)) == sorted(
        ["EMAIL_ADDRESS", "CREDIT_CARD", "HK_ID", "US_SSN", "IP_ADDRESS", "IBAN_CODE"])
    ours = "user12@example.com <PERSON> 3f9a1c0b2d4e5f60 ENC:AbC-_x A123456(4) 4111 1111 1111 1112"
    assert find_identifiers(ours) == []
    assert luhn_ok("4111111111111111") and not luhn_ok("1234")
    assert iban_ok("GB82WEST12345698765432") and not iban_ok("GB00WEST12345698765432")


def test_an_iban_split_by_other_whitespace_is_found_not_raised_on():
    # _IBAN's \s takes a newline, tab or ideographic space between the groups, which
    # iban_ok then read as a digit in base 36 (ValueError: the hypothesis fuzz found it)
    for gap in ("\n", "\t", "\u3000", "\x1c"):
        assert set(find_residual(f"GB82WEST{gap}12345698765432")) == {"IBAN_CODE"}
        assert iban_ok(f"GB82 WEST{gap}1234 5698 7654 32")


def test_identifiers_inside_chinese_sentences():
    assert find_identifiers("我的電郵是chan.taiman@gmail.com，身份證A123456(3)。") == ["EMAIL_ADDRESS", "HK_ID"]
    found = HkPhoneRecognizer().analyze("客戶來電，電話91234567，查詢訂單。", ["PHONE_NUMBER"], None)
    assert found and found[0].score >= 0.8


def test_hk_recognizers_leave_non_personal_numbers():
    text = "Order #12345678 shipped on 3 May 2024 for HK$1,299; HSI closed at 17,234.5"
    assert [r for r in HkPhoneRecognizer().analyze(text, ["PHONE_NUMBER"], None) if r.score >= 0.5] == []
    assert HkIdRecognizer().analyze(text, ["HK_ID"], None) == []


# Identifiers, split into chunks glued by separators, our own outputs or nothing, in
# ASCII or other decimal digits, among other text
IDENTIFIERS = ["4111111111111111", "378282246310005", "4111111111111112", "A123456(3)",
               "GB75ABCD1234EFGH5678", "123-45-6789", "10.1.2.3", "chan.tm@gmail.com",
               "user12@example.com"]
GLUE = ["", " ", "-", ".", "<TAG>", "<PERSON>", "ENC:Ab-_9", "3f9a1c0b", "3f9a1c0b2d4e5f60",
        "192.0.2.7", "@", "x", "電話"]
DIGITS = {"ascii": "0123456789", "full-width": "０１２３４５６７８９",
          "arabic-indic": "٠١٢٣٤٥٦٧٨٩"}


@st.composite
def texts(draw):
    value = draw(st.sampled_from(IDENTIFIERS))
    cuts = sorted(draw(st.sets(st.integers(1, len(value) - 1), max_size=4)))
    chunks = [value[a:b] for a, b in zip([0, *cuts], [*cuts, len(value)])]
    glued = chunks[0] + "".join(draw(st.sampled_from(GLUE)) + c for c in chunks[1:])
    digits = DIGITS[draw(st.sampled_from(sorted(DIGITS)))]
    glued = glued.translate(str.maketrans("0123456789", digits))
    around = st.lists(st.sampled_from(GLUE + ["1", "42", "A", "GB", " card "]),
                      max_size=4).map("".join)
    return draw(around) + glued + draw(around)


@settings(max_examples=1500, deadline=None)
@given(st.lists(texts(), min_size=1, max_size=6))
def test_residual_flags_agree_with_find_residual(values):
    """The prefilter may only skip texts find_residual would pass (see MAY_HOLD)."""
    assert residual_flags(values) == [bool(find_residual(t)) for t in values]


def _scan_every_text(text) -> list[str]:
    """find_residual as it was before its MAY_HOLD gate: every text scanned."""
    from privenance import textnorm
    from privenance.identifiers import OWN_OUTPUT
    found = find_identifiers(OWN_OUTPUT.sub(" ", text))
    normal = textnorm.view(text).text
    return found + (find_identifiers(OWN_OUTPUT.sub(" ", normal)) if normal != text else [])


@settings(max_examples=1500, deadline=None)
@given(texts())
def test_find_residual_skips_only_texts_where_a_scan_finds_nothing(text):
    """find_residual scans only the texts MAY_HOLD lets through (issue 34): the same
    identifiers as scanning every text."""
    assert find_residual(text) == _scan_every_text(text)


def test_find_residual_gate_on_anonymized_looking_texts():
    for text in ["Hi <PERSON>, your order 12345 ships to <STREET_ADDRESS>.", "3f9a1c0b2d4e5f60 wrote",
                 "41111111<X>11111111", "４１１１ １１１１ １１１１ １１１１", "chan (at) gmail (dot) com",
                 "a@b.co", "A123456(3)", "ip 10.1.2.3", ""]:
        assert find_residual(text) == _scan_every_text(text), text


def test_residual_flags_edge_cases():
    values = ["41111111<X>11111111",              # a card only across one of our tags
              "４１１１ １１１１ １１１１ １１１１",  # full-width digits: always scanned
              "GB75 ABCD 1234 EFGH 5678",          # no long digit run
              "4111ENC:ab1111 1111 1111", "@user hi", "192.0.2.5 and 3f9a1c0b2d4e5f60",
              "\ud800 4111 1111 1111 1111",       # not UTF-8 encodable: every text scanned
              "a@b.co", "a@b.co", None, 5]
    assert residual_flags(values) == [bool(find_residual(v)) for v in values] == [
        True, True, True, False, False, False, True, True, True, False, False]


def test_names_that_look_like_data_are_told_without_quoting_them():
    from privenance.identifiers import name_problem
    data = {"Leung Tai Man": "a person's name", "+852 9123 4567": "a phone number",
            "91234567": "a phone number", "leung.tm@gmail.com": "an email address",
            "A123456(3)": "an identifier, HK_ID", "A123456(4)": "an HKID",
            "My router stopped working and nobody called me back": "a sentence",
            "2024-03-01": "a date", "1001": "a number", "Mary Chan": "a person's name"}
    for name, what in data.items():
        assert name_problem(name) == what, name
        assert name not in what
    headers = ["customer_name", "Customer Name", "case_ref", "contact_mail", "mobile",
               "narrative", "ticket_id", "Email Address", "Order Date", "col_1", "_record_id"]
    assert [h for h in headers if name_problem(h)] == []
    # identifiers only: a number or a date is a fine JSON key or folder name
    assert name_problem("2024", identifiers_only=True) is None
    assert name_problem("leung.tm@gmail.com", identifiers_only=True)
