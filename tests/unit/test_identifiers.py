from pipelines.recognizers.hk import HkIdRecognizer, HkPhoneRecognizer, hkid_check_ok
from privenance.identifiers import find_identifiers, iban_ok, luhn_ok


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


def test_identifiers_inside_chinese_sentences():
    assert find_identifiers("我的電郵是chan.taiman@gmail.com，身份證A123456(3)。") == ["EMAIL_ADDRESS", "HK_ID"]
    found = HkPhoneRecognizer().analyze("客戶來電，電話91234567，查詢訂單。", ["PHONE_NUMBER"], None)
    assert found and found[0].score >= 0.8


def test_hk_recognizers_leave_non_personal_numbers():
    text = "Order #12345678 shipped on 3 May 2024 for HK$1,299; HSI closed at 17,234.5"
    assert [r for r in HkPhoneRecognizer().analyze(text, ["PHONE_NUMBER"], None) if r.score >= 0.5] == []
    assert HkIdRecognizer().analyze(text, ["HK_ID"], None) == []
