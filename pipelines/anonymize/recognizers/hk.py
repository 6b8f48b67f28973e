"""Hong Kong recognizer pack for Presidio.

Lookarounds such as ``(?<![A-Za-z0-9])`` replace ``\\b`` throughout: in Chinese
sentences (電話91234567) there is no word boundary between CJK characters and
Latin letters or digits, because Python treats both as word characters.
"""
from __future__ import annotations

import re

import regex
from presidio_analyzer import Pattern, PatternRecognizer

from pipelines.anonymize.recognizers.general import judge_phones, street_types
from pipelines.anonymize.recognizers.lexicon import (
    HK_PLACES,
    HK_SURNAMES,
    HK_SYLLABLES,
    ZH_COMPOUND_SURNAMES,
    ZH_COMPOUND_SURNAMES_SIMPLIFIED,
    ZH_LABELS,
    ZH_LABELS_SIMPLIFIED,
    ZH_RARE_SURNAMES,
    ZH_SURNAMES,
    ZH_SURNAMES_SIMPLIFIED,
    ZH_TITLES,
    ZH_TITLES_SIMPLIFIED,
    hk_place_pattern,
    plausible_name,
)
from privenance.identifiers import HKID_PATTERN, hkid_check_ok
from privenance.textnorm import CJK, HAN

# Presidio compiles patterns case-insensitively unless told otherwise, which costs
# time; patterns without letters (digits, Chinese) need not be
CASE_SENSITIVE = re.DOTALL | re.MULTILINE
LATIN_EDGE_L = r"(?<![A-Za-z0-9])"
LATIN_EDGE_R = r"(?![A-Za-z0-9])"
# the regex module, as Presidio's patterns: the same Unicode digits
SIX_DIGITS = regex.compile(r"\d{6}")


class HkIdRecognizer(PatternRecognizer):
    """HKID: one or two letters, six digits, check digit (bracketed or not), verified."""

    def __init__(self):
        super().__init__(
            supported_entity="HK_ID", name="HkIdRecognizer",
            patterns=[Pattern("hkid", HKID_PATTERN, 0.5)],
            context=["hkid", "identity card", "id card", "身份證", "身分證"])

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        # every HKID holds six digits in a row, and most texts none: the pattern
        # (case-insensitive, as Presidio compiles it) is slow to try at every letter
        if not SIX_DIGITS.search(text):
            return []
        return super().analyze(text, entities, nlp_artifacts, regex_flags)

    def validate_result(self, pattern_text: str):
        return hkid_check_ok(pattern_text)  # True -> score 1.0; False -> dropped


class HkPhoneRecognizer(PatternRecognizer):
    """HK phone numbers: +852 / (852) / 852- prefixes, or 8 digits starting 2,3,5,6,7,8,9.
    Context decides for a number without a prefix (general.judge_phones): it is a phone
    after "call me on", "WhatsApp", "電話", not after "order", "訂單", "HK$" or inside a
    longer code; with no cue either way it still counts (0.45: a missed phone is a leak)."""

    BARE = 0.45

    def __init__(self):
        body = r"[235-9]\d{3}[\s-]?\d{4}"
        super().__init__(
            supported_entity="PHONE_NUMBER", name="HkPhoneRecognizer",
            patterns=[
                Pattern("hk_phone_prefixed", r"(?:\+852|\(852\)|(?<!\d)852)[\s-]?" + body + r"(?!\d)", 0.85),
                Pattern("hk_phone_cjk_context", r"(?<=(?:電話|手機|聯絡|致電|號碼|電话)[\s:：]{0,3})" + body + r"(?!\d)", 0.85),
                Pattern("hk_phone_separated", r"(?<![\d#+])[235-9]\d{3}[\s-]\d{4}(?!\d)", 0.55),
                Pattern("hk_phone_plain", r"(?<![\d#+])[235-9]\d{7}(?!\d)", 0.3),
            ],
            context=["phone", "tel", "call", "mobile", "whatsapp", "contact", "sms", "fax",
                     "電話", "手機", "聯絡"],
            global_regex_flags=CASE_SENSITIVE)

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        return judge_phones(text, super().analyze(text, entities, nlp_artifacts, regex_flags),
                            bare=self.BARE)


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
            context=["mr", "ms", "mrs", "miss", "customer", "name", "client", "dear", "wrote"],
            # case matters: Presidio's default IGNORECASE would read "chan on" as a name
            global_regex_flags=CASE_SENSITIVE)

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        """Drop matches inside a Hong Kong place name (Wong Tai Sin, Ma On Shan)."""
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        places = [m.span() for m in hk_place_pattern().finditer(text)]
        return [r for r in results if not any(a < r.end and r.start < b for a, b in places)]


class ChineseNameRecognizer(PatternRecognizer):
    """Chinese personal names, Traditional or Simplified: a surname (one character or a
    compound like 歐陽) and a given name of one or two characters, right before a
    title (陳大文先生, 李家明醫生, 张伟经理) or after a label (客戶, 姓名：, 聯絡人).
    Without such context a surname character is too often an ordinary word (陳列室,
    黃金), so bare characters are left alone (the model in zh.py reads those), and so
    is a common word before a title (陳列室經理)."""

    def __init__(self):
        given = f"[{HAN}]{{1,2}}"
        compound = f"{ZH_COMPOUND_SURNAMES}|{ZH_COMPOUND_SURNAMES_SIMPLIFIED}"
        common = rf"(?:{compound}|[{ZH_SURNAMES}{ZH_SURNAMES_SIMPLIFIED}]){given}"
        any_surname = (rf"(?:{compound}|[{ZH_SURNAMES}{ZH_RARE_SURNAMES}"
                       rf"{ZH_SURNAMES_SIMPLIFIED}]){given}")
        titles = f"{ZH_TITLES}|{ZH_TITLES_SIMPLIFIED}"
        labels = f"{ZH_LABELS}|{ZH_LABELS_SIMPLIFIED}"
        super().__init__(
            supported_entity="PERSON", name="ChineseNameRecognizer", supported_language="en",
            patterns=[Pattern("zh_name_title", rf"{any_surname}(?={titles})", 0.85),
                      Pattern("zh_name_label", rf"(?<=(?:{labels})[:：\s]*){common}", 0.85)],
            global_regex_flags=CASE_SENSITIVE)

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        # every name starts with a surname character from the CJK block; text without
        # one cannot match, and the label lookbehind is slow to try at every position
        if not CJK.search(text):
            return []
        return [r for r in super().analyze(text, entities, nlp_artifacts, regex_flags)
                if plausible_name(text[r.start:r.end])]


class CjkSafeEmailRecognizer(PatternRecognizer):
    """Emails glued to Chinese text (我的電郵是chan@gmail.com，...), where \\b fails."""

    def __init__(self):
        super().__init__(
            supported_entity="EMAIL_ADDRESS", name="CjkSafeEmailRecognizer",
            patterns=[Pattern("email_cjk", r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@"
                              r"(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![A-Za-z0-9-])", 0.9)])

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        if "@" not in text:  # no email without one: the pattern is not tried at all
            return []
        return super().analyze(text, entities, nlp_artifacts, regex_flags)


HK_ESTATE_WORDS = ("Estate|Court|Garden|Gardens|Centre|Center|Building|Mansion|Mansions|House|"
                   "Tower|Towers|Plaza|Villa|Villas|Terrace|Heights|City|Park|Square|Place|Lodge|"
                   "Shing|Chuen|Sun Chuen|Tsuen|Oasis|Bay")


# a CJK character that can be part of a place name (not 住 在 於 是 的 到 ... or a title)
ZH_PLACE_CHAR = rf"(?:(?![住在於于是的到往址搬送寄給和與及或姐生士電話郵])[{HAN}])"


class HkAddressRecognizer(PatternRecognizer):
    """Hong Kong addresses: Flat/Room + floor (12/F, G/F, 3rd Floor), Block/Tower,
    building or estate, street and district; and Chinese-script addresses
    (九龍旺角彌敦道123號4樓). A district alone (Sha Tin) is not an address."""

    def __init__(self):
        word = r"[A-Z][A-Za-z'-]+"
        floor = r"(?:\d{1,3}/F|[GLU]/F|\d{1,3}(?:st|nd|rd|th)?\s+Floor|Ground\s+Floor)"
        unit = r"(?:Flat|Room|Rm\.?|Unit|Shop|Suite)\s+[A-Z0-9]{1,5}"
        # a street without a number between the floor and the district: "Flat 18, 16/F,
        # Ramirez Forge, Sha Tin" (the street types of general.py: Forge, Fords, Ville)
        tail = (rf"(?:,?\s+(?:Block|Tower|Blk\.?)\s+[A-Z0-9]{{1,3}})?"
                rf"(?:,?\s+(?:{word}\s){{0,3}}(?:{HK_ESTATE_WORDS}))?"
                rf"(?:,?\s+\d{{1,4}}[A-Z]?(?:-\d{{1,4}})?\s+(?:{word}\s){{1,3}}(?:Street|Road|Avenue|Lane|Path|Terrace|Drive|St|Rd))?"
                rf"(?:,?\s+(?:{word}\s){{1,3}}(?:{street_types()})(?=,?\s+(?:{'|'.join(sorted(HK_PLACES, key=len, reverse=True))})))?"
                rf"(?:,?\s+(?:{'|'.join(sorted(HK_PLACES, key=len, reverse=True))}))?"
                rf"(?:,?\s+(?:Kowloon|Hong Kong|New Territories|N\.?T\.?))?")
        super().__init__(
            supported_entity="STREET_ADDRESS", name="HkAddressRecognizer",
            patterns=[
                Pattern("hk_flat_floor", rf"{LATIN_EDGE_L}(?:{unit},?\s+)?{floor}{tail}", 0.7),
                Pattern("hk_flat", rf"{LATIN_EDGE_L}{unit},?\s+(?:Block|Tower|Blk\.?)\s+[A-Z0-9]{{1,3}}{tail}", 0.7),
                # the place part holds no verb or particle: 住在九龍旺角彌敦道 starts at 九龍
                Pattern("zh_address", rf"(?:{ZH_PLACE_CHAR}{{1,12}}?(?:道|街|路|里|徑|巷)[東西南北中]?)"
                        rf"\d{{1,4}}(?:-\d{{1,4}})?號(?:[{HAN}\dA-Za-z]{{0,12}}?(?:樓|室|座|舖|號舖))*", 0.8),
                # estates and buildings: 華富邨華安樓12樓, 沙田第一城12座3樓A室
                Pattern("zh_estate", rf"{ZH_PLACE_CHAR}{{2,8}}(?:邨|苑|村|城|花園|大廈|中心|廣場|山莊|閣)"
                        rf"[{HAN}\d]{{0,6}}?(?:\d{{1,3}}|[一二三四五六七八九十]{{1,3}})(?:樓|座)"
                        r"(?:\d{1,3}樓)?(?:[\dA-Z]{1,4}室)?", 0.75),
            ],
            context=["address", "live", "lives", "deliver", "delivery", "flat", "住址", "地址"])
