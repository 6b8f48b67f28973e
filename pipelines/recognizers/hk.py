"""Hong Kong recognizer pack for Presidio.

Lookarounds such as ``(?<![A-Za-z0-9])`` replace ``\\b`` throughout: in Chinese
sentences (電話91234567) there is no word boundary between CJK characters and
Latin letters or digits, because Python treats both as word characters.
"""
from __future__ import annotations

import re

from presidio_analyzer import Pattern, PatternRecognizer

from privenance.identifiers import hkid_ok

LATIN_EDGE_L = r"(?<![A-Za-z0-9])"
LATIN_EDGE_R = r"(?![A-Za-z0-9])"


def hkid_check_ok(text: str) -> bool:
    m = re.fullmatch(r"([A-Z]{1,2})(\d{6})\s?\(?([0-9A])\)?", text.strip().upper())
    return bool(m) and hkid_ok(*m.groups())


class HkIdRecognizer(PatternRecognizer):
    """HKID: one or two letters, six digits, check digit (bracketed or not), verified."""

    def __init__(self):
        super().__init__(
            supported_entity="HK_ID", name="HkIdRecognizer",
            patterns=[Pattern("hkid", LATIN_EDGE_L + r"[A-Z]{1,2}\d{6}\s?(?:\([0-9A]\)|[0-9A])"
                              + LATIN_EDGE_R, 0.5)],
            context=["hkid", "identity card", "id card", "身份證", "身分證"])

    def validate_result(self, pattern_text: str):
        return hkid_check_ok(pattern_text)  # True -> score 1.0; False -> dropped


class HkPhoneRecognizer(PatternRecognizer):
    """HK phone numbers: +852 / (852) / 852- prefixes, or 8 digits starting 2,3,5,6,7,8,9.
    A bare 8-digit number scores below the default threshold unless context (phone,
    call, WhatsApp, 電話 ...) or a separator makes it likely."""

    def __init__(self):
        body = r"[235-9]\d{3}[\s-]?\d{4}"
        super().__init__(
            supported_entity="PHONE_NUMBER", name="HkPhoneRecognizer",
            patterns=[
                Pattern("hk_phone_prefixed", r"(?:\+852|\(852\)|(?<!\d)852)[\s-]?" + body + r"(?!\d)", 0.85),
                Pattern("hk_phone_cjk_context", r"(?<=電話|手機|聯絡|致電|號碼|電话)[\s:：]*" + body + r"(?!\d)", 0.85),
                Pattern("hk_phone_separated", r"(?<![\d#+])[235-9]\d{3}[\s-]\d{4}(?!\d)", 0.55),
                Pattern("hk_phone_plain", r"(?<![\d#+])[235-9]\d{7}(?!\d)", 0.3),
            ],
            context=["phone", "tel", "call", "mobile", "whatsapp", "contact", "sms", "fax",
                     "電話", "手機", "聯絡"])


HK_SURNAMES = ("Chan Wong Lee Li Cheung Chang Lau Ng Ho Leung Lam Tsang Yip Chow Tang Kwok Fung "
               "Yeung Mak Tse Lo Hui Siu Chu Cheng Choi Poon Kwan Ma Law Au Chung Tam Tsui Wu "
               "Yuen Kong Chiu Pang Lui Ko Tong Yau Shek Hung Lai Fok Lok Ip Tsoi Kan Sin").split()
HK_SYLLABLES = ("Tai Man Siu Ming Ka Yan Wing Sze Chi Keung Mei Ling Ho Yin Wai Suet Ying Kin Wah "
                "Hiu Tung Lun Kwok Fai Kit Hung Yee Po Shan Chun Kei Lok Hei Tsz Wan Lai Hoi Pui "
                "Sum Kwan Fung Yuk Mui Kam Cheuk Nga Yau Kai Hang Sing On Shing Kwong Lung Fat "
                "Tak Chung Hin Nok Yu Oi Chiu Wa Sau Bo Hon Pak Lam Yat Kwai Sai Chuen Man Yiu "
                "Wun Ngai Kiu Chak Ting Kuen Leung Fuk Sheung Hok Nam Chau Shu Kong").split()
# districts and places built from the same syllables, which are not people
HK_PLACES = {"Sha Tin", "Mong Kok", "Tsim Sha Tsui", "Causeway Bay", "Tuen Mun", "Yuen Long",
             "Tsuen Wan", "Kwai Tsing", "Sham Shui Po", "Kowloon Tong", "Kowloon City", "Tai Kok Tsui",
             "Tseung Kwan O", "Tung Chung", "Sheung Wan", "Admiralty", "Central", "Aberdeen",
             "Repulse Bay", "Stanley", "North Point", "Quarry Bay", "Happy Valley", "Jordan",
             "Yau Ma Tei", "Hung Hom", "To Kwa Wan", "Sai Ying Pun", "Kennedy Town", "Fanling",
             "Sheung Shui", "Tai Po Market", "Ma Wan", "Discovery Bay", "Lantau", "Kowloon",
             "Wong Tai Sin", "Ho Man Tin", "Lam Tin", "Kwai Chung", "Tai Po", "Sai Kung",
             "Tai Wai", "Fo Tan", "Kwun Tong", "Shek Kip Mei", "Tai Koo", "Lok Fu", "Tin Shui Wai",
             "Yau Tong", "Chai Wan", "Sai Wan", "Ma On Shan", "Tai Wo", "Wan Chai", "Lai Chi Kok"}


class HkRomanizedNameRecognizer(PatternRecognizer):
    """Cantonese romanized names: surname first (Chan Tai Man) or last (Ka Yan Lau,
    Ka-yan Lau, Tai-man Chan), which a small English NER model often misses."""

    def __init__(self):
        sur = "|".join(HK_SURNAMES)
        syl = "|".join(sorted(set(HK_SYLLABLES), key=len, reverse=True))
        given = rf"(?:{syl})(?:[\s-](?:{syl}|{syl.lower()}))?"
        super().__init__(
            supported_entity="PERSON", name="HkRomanizedNameRecognizer",
            patterns=[Pattern("surname_first", rf"{LATIN_EDGE_L}(?:{sur})\s(?:{syl})(?:[\s-](?:{syl}|{syl.lower()}))?{LATIN_EDGE_R}", 0.65),
                      Pattern("given_first", rf"{LATIN_EDGE_L}{given}\s(?:{sur}){LATIN_EDGE_R}", 0.6)],
            context=["mr", "ms", "mrs", "miss", "customer", "name", "client", "dear", "wrote"])

    def validate_result(self, pattern_text: str):
        return False if pattern_text in HK_PLACES else None


ZH_SURNAMES = ("陳黃李張梁林劉吳何鄭蔡郭曾謝馮楊王周葉羅許朱胡徐潘盧麥余杜湯鍾袁蘇馬譚莫鄧"
               "關歐區彭呂高龐簡")
ZH_TITLES = "先生|女士|小姐|太太|經理|醫生|主任|教授|律師|同學|老師"


class ChineseNameRecognizer(PatternRecognizer):
    """Chinese personal names in Traditional Chinese: surname + one or two characters,
    strong next to a title (先生, 女士, 小姐 ...) or after 客戶 / 姓名."""

    def __init__(self):
        name = rf"[{ZH_SURNAMES}][\u4e00-\u9fff]{{1,2}}"
        super().__init__(
            supported_entity="PERSON", name="ChineseNameRecognizer", supported_language="en",
            patterns=[Pattern("zh_name_title", rf"{name}(?={ZH_TITLES})", 0.85),
                      Pattern("zh_name_label", rf"(?<=客戶|姓名|名字|聯絡人|申請人)[:：\s]*{name}", 0.85)])

    def validate_result(self, pattern_text: str):
        return None


class CjkSafeEmailRecognizer(PatternRecognizer):
    """Emails glued to Chinese text (我的電郵是chan@gmail.com，...), where \\b fails."""

    def __init__(self):
        super().__init__(
            supported_entity="EMAIL_ADDRESS", name="CjkSafeEmailRecognizer",
            patterns=[Pattern("email_cjk", r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@"
                              r"(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![A-Za-z0-9-])", 0.9)])


def _street_suffixes() -> str:
    from faker.providers.address.en_US import Provider
    suffixes = set(Provider.street_suffixes) | {"St", "Rd", "Ave", "Blvd", "Ln", "Dr", "Ct"}
    return "|".join(sorted(suffixes, key=len, reverse=True))


class StreetAddressRecognizer(PatternRecognizer):
    """Street addresses: HK flat/floor/block forms, Chinese-script addresses, and
    number + street name + suffix (US/UK style)."""

    def __init__(self):
        suffix = _street_suffixes()
        word = r"[A-Z][a-z]+"
        super().__init__(
            supported_entity="STREET_ADDRESS", name="StreetAddressRecognizer",
            patterns=[
                Pattern("hk_flat", r"(?:Flat|Room|Rm|Unit|Shop)\s+[A-Z0-9]{1,5},?\s+"
                        r"(?:\d{1,3}/F|\d{1,3}(?:st|nd|rd|th)?\s+Floor|G/F)"
                        rf"(?:,?\s+(?:Block|Tower)\s+[A-Z0-9]{{1,3}})?(?:,?\s+(?:{word}\s?){{1,4}})?", 0.7),
                Pattern("numbered_street", rf"(?<![\w#$])\d{{1,5}}[A-Z]?\s+(?:{word}\s){{1,3}}(?:{suffix})\.?"
                        r"(?:,?\s+(?:Apt\.?|Suite|Unit)\s+\d+[A-Z]?)?(?![a-z])", 0.6),
                Pattern("zh_address", r"[\u4e00-\u9fff]{2,10}(?:道|街|路|里|徑)\d{1,4}號"
                        r"(?:[\u4e00-\u9fff\d]{0,12}(?:樓|室|座|舖))?", 0.8),
            ],
            context=["address", "live", "lives", "deliver", "delivery", "flat", "住址", "地址"])
