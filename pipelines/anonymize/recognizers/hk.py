"""Hong Kong recognizer pack for Presidio.

Lookarounds such as ``(?<![A-Za-z0-9])`` replace ``\\b`` throughout: in Chinese
sentences (電話91234567) there is no word boundary between CJK characters and
Latin letters or digits, because Python treats both as word characters.
"""
from __future__ import annotations

import re

from presidio_analyzer import Pattern, PatternRecognizer

from privenance.identifiers import hkid_ok

# Presidio compiles patterns case-insensitively unless told otherwise, which costs
# time; patterns without letters (digits, Chinese) need not be
CASE_SENSITIVE = re.DOTALL | re.MULTILINE
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
        from pipelines.anonymize.recognizers.general import judge_phones
        return judge_phones(text, super().analyze(text, entities, nlp_artifacts, regex_flags),
                            bare=self.BARE)


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
             "Yau Tong", "Chai Wan", "Sai Wan", "Ma On Shan", "Tai Wo", "Wan Chai", "Lai Chi Kok",
             "Tai Koo Shing", "Taikoo Shing", "Mei Foo", "Mei Foo Sun Chuen", "Whampoa",
             "Kowloon Bay", "Ngau Tau Kok", "Tsing Yi", "Siu Sai Wan", "Hang Seng"}


def hk_place_pattern() -> re.Pattern:
    """Any Hong Kong place name of HK_PLACES, as a whole word."""
    global _HK_PLACE_RE
    if _HK_PLACE_RE is None:
        names = "|".join(re.escape(p) for p in sorted(HK_PLACES, key=len, reverse=True))
        _HK_PLACE_RE = re.compile(rf"(?<![A-Za-z])(?:{names})(?![A-Za-z])")
    return _HK_PLACE_RE


_HK_PLACE_RE: re.Pattern | None = None


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


# common surnames in Hong Kong and Taiwan; enough after a label (客戶陳大文)
ZH_SURNAMES = ("陳黃李張梁林劉吳何鄭蔡郭曾謝馮楊王周葉羅許朱胡徐潘盧麥余杜湯鍾鐘袁蘇馬譚莫鄧"
               "關歐區彭呂高龐簡沈趙孫錢韓唐董程曹魏蕭鄒石姚江孔邱賴洪翁施游詹廖侯溫温傅范"
               "戴宋柯薛白丁任鄺岑尹甘伍冼霍植戚聶魯古黎容岳嚴卓邵湛雷莊駱阮凌康姜龔陶顏俞")
# rarer ones, which are also common word starts (方面, 金額, 田地), only before a title
ZH_RARE_SURNAMES = ("方金田左顧管殷褚衛蔣秦尤喻柏竇章葛奚郎韋苗鳳柳鮑史費廉賀倪滕畢郝鄔樂"
                    "于皮卞齊元卜孟穆汪祁毛禹狄米貝臧伏茅熊紀舒屈項祝藍閔席季麻強賈路婁危"
                    "童梅盛刁夏樊虞支房裘繆郁杭包崔鈕嵇邢裴陸荀羊惠甄封芮儲靳糜松焦巫烏"
                    "班仰仲伊寧仇欒厲戎祖武符景束龍幸司韶薄懷蒲鄂索藺屠蒙池喬胥雙聞黨翟"
                    "貢勞姬扶冉宰酈雍桑桂濮牛壽邊扈燕冀浦尚農晏柴瞿閻慕茹艾庾居衡步耿滿"
                    "弘匡寇廣祿闕沃蔚隆鞏晁敖冷辛闞饒沙鞠豐巢荊竺權逯蓋桓萬")
ZH_COMPOUND_SURNAMES = "歐陽|司徒|上官|司馬|諸葛|公孫|端木"
ZH_TITLES = ("先生|女士|小姐|太太|經理|醫生|主任|教授|律師|同學|老師|議員|博士|護士|師傅|"
             "總監|主席|校長|社工|姑娘")
# words that introduce a name: customer, name, contact person, applicant, patient, I am
ZH_LABELS = "客戶|姓名|名字|聯絡人|申請人|收件人|負責人|病人|我叫|我是|叫做"


_CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")


# the Simplified forms (OpenCC t2s) of the surnames, titles and labels above that differ
ZH_SURNAMES_SIMPLIFIED = ("万严丰乌乐乔储党关农冯凤刘劳区卢卫厉双叶吕吴娄孙宁寿巩广庄庞张强怀权杨栾"
                          "欧毕汤满盖禄窦简纪缪罗聂苏荆萧蒋蓝蔺许谢谭贝贡费贺贾赖赵边邓邝邬邹郑郦"
                          "钟钮钱闵闻阎阙阚陆陈韦韩项顾颜饶马骆鲁鲍麦黄齐龙龚")
ZH_COMPOUND_SURNAMES_SIMPLIFIED = "欧阳|司马|诸葛|公孙"
ZH_TITLES_SIMPLIFIED = "经理|医生|律师|同学|老师|议员|护士|师傅|总监|校长"
ZH_LABELS_SIMPLIFIED = "客户|联络人|联系人|申请人|负责人"


class ChineseNameRecognizer(PatternRecognizer):
    """Chinese personal names, Traditional or Simplified: a surname (one character or a
    compound like 歐陽) and a given name of one or two characters, right before a
    title (陳大文先生, 李家明醫生, 张伟经理) or after a label (客戶, 姓名：, 聯絡人).
    Without such context a surname character is too often an ordinary word (陳列室,
    黃金), so bare characters are left alone (the model in zh.py reads those), and so
    is a common word before a title (陳列室經理)."""

    def __init__(self):
        given = r"[\u4e00-\u9fff]{1,2}"
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
        if not _CJK_CHAR.search(text):
            return []
        from pipelines.anonymize.recognizers.zh import plausible_name  # zh.py imports this module
        return [r for r in super().analyze(text, entities, nlp_artifacts, regex_flags)
                if plausible_name(text[r.start:r.end])]


class CjkSafeEmailRecognizer(PatternRecognizer):
    """Emails glued to Chinese text (我的電郵是chan@gmail.com，...), where \\b fails."""

    def __init__(self):
        super().__init__(
            supported_entity="EMAIL_ADDRESS", name="CjkSafeEmailRecognizer",
            patterns=[Pattern("email_cjk", r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@"
                              r"(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![A-Za-z0-9-])", 0.9)])


HK_ESTATE_WORDS = ("Estate|Court|Garden|Gardens|Centre|Center|Building|Mansion|Mansions|House|"
                   "Tower|Towers|Plaza|Villa|Villas|Terrace|Heights|City|Park|Square|Place|Lodge|"
                   "Shing|Chuen|Sun Chuen|Tsuen|Oasis|Bay")


# a CJK character that can be part of a place name (not 住 在 於 是 的 到 ... or a title)
ZH_PLACE_CHAR = r"(?:(?![住在於于是的到往址搬送寄給和與及或姐生士電話郵])[\u4e00-\u9fff])"


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
        from pipelines.anonymize.recognizers.general import _street_types
        tail = (rf"(?:,?\s+(?:Block|Tower|Blk\.?)\s+[A-Z0-9]{{1,3}})?"
                rf"(?:,?\s+(?:{word}\s){{0,3}}(?:{HK_ESTATE_WORDS}))?"
                rf"(?:,?\s+\d{{1,4}}[A-Z]?(?:-\d{{1,4}})?\s+(?:{word}\s){{1,3}}(?:Street|Road|Avenue|Lane|Path|Terrace|Drive|St|Rd))?"
                rf"(?:,?\s+(?:{word}\s){{1,3}}(?:{_street_types()})(?=,?\s+(?:{'|'.join(sorted(HK_PLACES, key=len, reverse=True))})))?"
                rf"(?:,?\s+(?:{'|'.join(sorted(HK_PLACES, key=len, reverse=True))}))?"
                rf"(?:,?\s+(?:Kowloon|Hong Kong|New Territories|N\.?T\.?))?")
        super().__init__(
            supported_entity="STREET_ADDRESS", name="HkAddressRecognizer",
            patterns=[
                Pattern("hk_flat_floor", rf"{LATIN_EDGE_L}(?:{unit},?\s+)?{floor}{tail}", 0.7),
                Pattern("hk_flat", rf"{LATIN_EDGE_L}{unit},?\s+(?:Block|Tower|Blk\.?)\s+[A-Z0-9]{{1,3}}{tail}", 0.7),
                # the place part holds no verb or particle: 住在九龍旺角彌敦道 starts at 九龍
                Pattern("zh_address", rf"(?:{ZH_PLACE_CHAR}{{1,12}}?(?:道|街|路|里|徑|巷)[東西南北中]?)"
                        r"\d{1,4}(?:-\d{1,4})?號(?:[\u4e00-\u9fff\dA-Za-z]{0,12}?(?:樓|室|座|舖|號舖))*", 0.8),
                # estates and buildings: 華富邨華安樓12樓, 沙田第一城12座3樓A室
                Pattern("zh_estate", rf"{ZH_PLACE_CHAR}{{2,8}}(?:邨|苑|村|城|花園|大廈|中心|廣場|山莊|閣)"
                        r"[\u4e00-\u9fff\d]{0,6}?(?:\d{1,3}|[一二三四五六七八九十]{1,3})(?:樓|座)"
                        r"(?:\d{1,3}樓)?(?:[\dA-Z]{1,4}室)?", 0.75),
            ],
            context=["address", "live", "lives", "deliver", "delivery", "flat", "住址", "地址"])
