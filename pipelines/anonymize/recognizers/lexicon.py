"""The word lists the recognizers share: surnames, given-name syllables, places and
name gazetteers, Latin and Chinese script.

One module, imported by hk.py, zh.py and names.py alike, so that none of them imports
another for its words (they did, in a circle hk -> zh -> names -> hk).
"""
from __future__ import annotations

import importlib
import pkgutil
import re
from typing import NamedTuple

import regex

# --- Hong Kong: romanized (Cantonese) names and places ----------------------------

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


# --- Chinese script: surnames, titles, labels; words and places that are no name ---

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



# the Simplified forms (OpenCC t2s) of the surnames, titles and labels above that differ
ZH_SURNAMES_SIMPLIFIED = ("万严丰乌乐乔储党关农冯凤刘劳区卢卫厉双叶吕吴娄孙宁寿巩广庄庞张强怀权杨栾"
                          "欧毕汤满盖禄窦简纪缪罗聂苏荆萧蒋蓝蔺许谢谭贝贡费贺贾赖赵边邓邝邬邹郑郦"
                          "钟钮钱闵闻阎阙阚陆陈韦韩项顾颜饶马骆鲁鲍麦黄齐龙龚")
ZH_COMPOUND_SURNAMES_SIMPLIFIED = "欧阳|司马|诸葛|公孙"
ZH_TITLES_SIMPLIFIED = "经理|医生|律师|同学|老师|议员|护士|师傅|总监|校长"
ZH_LABELS_SIMPLIFIED = "客户|联络人|联系人|申请人|负责人"

# surnames, Traditional and Simplified (hk.py's lists plus their t2s forms)
SURNAMES = frozenset(ZH_SURNAMES + ZH_RARE_SURNAMES + ZH_SURNAMES_SIMPLIFIED)
COMPOUND_SURNAMES = frozenset(f"{ZH_COMPOUND_SURNAMES}|{ZH_COMPOUND_SURNAMES_SIMPLIFIED}".split("|"))
# words LAC sometimes calls a person: pronouns, kin, forms of address (Cantonese too)
NOT_NAMES = frozenset(("佢 佢哋 我 我哋 你 你哋 他 她 他們 她們 他们 她们 您 人哋 大家 自己 "
                       "老公 老婆 媽媽 爸爸 妈妈 阿媽 阿爸 阿妈 老豆 老母 哥哥 姐姐 家姐 細佬 细佬 "
                       "妹妹 弟弟 仔 女 BB 先生 小姐 女士 太太 師傅 师傅 老闆 老板 經理 经理 客戶 客户 "
                       "同事 朋友 屋企人 阿姨 姨姨 叔叔 伯伯 婆婆 公公").split())
# Cantonese particles and pronouns, never part of a name (LAC reads 你哋嘅 as one)
CANTONESE_FUNCTION = frozenset("哋嘅咗喺啲嘢咁冇唔佢吖啦喎嚟噉乜嗰咩囉嘞喇㗎")
# common words that start with a surname character: 張單 (the bill), 陳列室, 黃金
NOT_NAME_STARTS = ("張單", "张单", "張紙", "张纸", "張卡", "张卡", "張相", "张相", "張票", "张票",
                   "張表", "张表", "張床", "张床", "張枱", "張檯", "張凳", "張櫈", "張椅", "张椅",
                   "陳列", "陈列", "黃金", "黄金", "黃色", "黄色", "白色", "金額", "金额", "高興",
                   "高兴", "安排", "方便", "方法", "江湖", "周末", "周年", "周日", "周六", "周五",
                   # Cantonese 仲 (still): 仲有冇貨, 仲未收到
                   "仲")
# Hong Kong places that read like a person's name (a surname and two characters),
# and shops and brands named so (王老吉, 周大福, 李錦記)
ZH_PLACES = re.compile("黃大仙|黄大仙|何文田|馬鞍山|马鞍山|石硤尾|石硖尾|黃竹坑|黄竹坑|黃埔|黄埔|"
                       "柯士甸|蘇屋|苏屋|藍田|蓝田|錦田|锦田|秦石|彩虹|樂富|乐富|田心|華富|华富|"
                       "葵涌|葵芳|葵興|葵兴|羅湖|罗湖|林村|朗屏|洪水橋|洪水桥|杜老誌|王老吉|周大福|"
                       "周生生|李錦記|李锦记|謝瑞麟|谢瑞麟|陳意齋|陈意斋|利苑|馬會|马会|"
                       # districts and towns (沙田 in 我喺沙田買 is a place, not 沙 + 田)
                       "沙田|屯門|元朗|荃灣|葵青|深水埗|九龍塘|九龍城|大角咀|將軍澳|東涌|上環|中環|"
                       "金鐘|香港仔|淺水灣|赤柱|北角|鰂魚涌|跑馬地|佐敦|灣仔|西環|大埔|上水|粉嶺|"
                       "天水圍|觀塘|西貢|長洲|南丫島|大嶼山|紅磡|土瓜灣|油麻地|太子|火炭|大圍|坑口|"
                       "柴灣|筲箕灣|西灣河|太古|鴨脷洲|薄扶林|堅尼地城|大澳|牛頭角|九龍灣|鑽石山|"
                       "慈雲山|深井|青衣|馬灣|愉景灣|旺角|尖沙咀|銅鑼灣|油塘|秀茂坪|黃泥涌|石門|"
                       "沙头角|沙頭角|馬料水|白石角|何東|利東|金鐘道|彌敦道")
# a verb or pronoun LAC glued to the front of a name (搵楊志強, 佢哋話李生): cut it off
LEADING = ("佢哋", "我哋", "你哋", "佢", "搵", "揾", "找", "叫", "係", "系", "問", "问", "同", "畀",
           "俾", "話", "话", "請", "请", "call", "給", "给", "跟", "和", "與", "与", "讓", "让", "幫",
           "帮", "見", "见", "等", "約", "约", "通知", "聯絡", "联络", "致電", "致电")
# a particle or verb glued to the end (張嘉欣話, 陳生話) and titles, which are not the name
TRAILING = tuple(sorted(("話", "话", "講", "讲", "話畀", "呀", "啊", "啦", "喎", "嘅", "既", "咗",
                         "先生", "小姐", "女士", "太太", "生", "姐", "太"), key=len, reverse=True))
# words that introduce a name: I am, my name is, called, customer, contact
# (not 客戶: "客戶：" heads a customer's line in a chat, and a product often follows)
NAME_CUES = ("我係", "我系", "我叫", "我是", "叫做", "名叫", "我個名係", "我个名系", "我嘅名係",
             "我名叫", "姓名", "名字", "聯絡人", "联络人", "联系人", "收件人")
# a "name" right before one of these names a place or an organisation (霍姆區, 卡梅隆莊園,
# 明納努公園), unless a title follows (市長, 區議員)
PLACE_SUFFIX = re.compile(
    r"(?:區|区|州|市|縣|县|郡|省|鎮|镇|鄉|乡|村|島|岛|河|湖|灣|湾|堡|港|廳|厅|莊園|庄园|廣場|广场|公園|"
    r"公园|大學|大学|學院|学院|中學|中学|小學|小学|醫院|医院|公司|集團|集团|銀行|银行|酒店|大廈|大厦|大樓|"
    r"大楼|中心|神社|神廟|神庙|寺|教堂|禮拜堂|礼拜堂|星系|機場|机场|車站|车站|兵營|兵营|板塊|板块|高地|山脈|"
    r"山脉|王國|王国|帝國|帝国|球會|球会|俱樂部|俱乐部|樂隊|乐队|隊|队|軍|军)(?![長长民議议委])")
# reign titles (年號), which name their emperor (zh.REIGN): 乾隆五十一年, 明治天皇, 光緒年間
REIGN_TITLES = ("洪武 建文 永樂 永乐 洪熙 宣德 正統 正统 景泰 天順 天顺 成化 弘治 正德 嘉靖 隆慶 隆庆 "
                "萬曆 万历 泰昌 天啟 天启 崇禎 崇祯 天命 天聰 天聪 崇德 順治 顺治 康熙 雍正 乾隆 嘉慶 嘉庆 "
                "道光 咸豐 咸丰 同治 光緒 光绪 宣統 宣统 明治 大正 昭和 平成 令和 貞觀 贞观 開元 开元 天寶 "
                "天宝 永徽 武德 元和 貞元 贞元 咸淳 淳熙 紹興 绍兴 熙寧 熙宁 元豐 元丰 慶曆 庆历 元祐 "
                "建炎 至元 至正 永元 建武 建安 黃初 黄初 永和 太和 神龍 神龙 天授 景龍 景龙 開寶 开宝 "
                "太平興國 太平兴国 寬永 宽永 元祿 元禄 慶長 庆长 文久 安政 天保 嘉永 慶應 庆应").split()


def starts_surname(seg: str, i: int) -> bool:
    return seg[i:i + 1] in SURNAMES or seg[i:i + 2] in COMPOUND_SURNAMES


def plausible_name(value: str) -> bool:
    """Whether a CJK span can be a name: no pronoun, particle or common word."""
    if not value or value in NOT_NAMES or value.startswith(NOT_NAME_STARTS):
        return False
    if any(c in CANTONESE_FUNCTION for c in value):
        return False
    if len(value) == 1:  # 杰, 毛 as a person: only a surname alone
        return value in SURNAMES
    return True


# --- Latin script: given names and surnames from Faker's person providers ---------

_LATIN_NAME = regex.compile(r"\p{Latin}[\p{Latin}'’-]*")


def name_gazetteer() -> frozenset:
    """Casefolded given names and surnames from every Latin-script Faker locale."""
    return _load_names()[0]


def given_names() -> frozenset:
    """The given names alone (Scott, Teresa), without surnames such as Park or Block."""
    return _load_names()[1]


def english_given_names() -> frozenset:
    """The given names of Faker's English-speaking locales (George, Sarah): a word of
    these in lower case is worth a second look even when it is also an English word
    (other locales' lists hold words such as Peace, Sister or Lawyer)."""
    return _load_names()[2]


# the locales whose given names english_given_names holds
ENGLISH_LOCALES = ("en_US", "en_GB", "en_IE", "en_NZ", "en_IN")


def _load_names() -> tuple[frozenset, frozenset, frozenset]:
    global _NAMES
    if _NAMES is None:
        from faker.providers import person
        every, given, english = set(), set(), set()
        for module in pkgutil.iter_modules(person.__path__):
            try:
                provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
            except (ImportError, AttributeError):
                continue
            for attr in dir(provider):
                # first_names, last_names_female, male_last_names, first_romanized_names ...
                if not attr.endswith(("names", "names_male", "names_female", "names_nonbinary")) \
                        or not ("first" in attr or "last" in attr):
                    continue
                names = {n.casefold() for n in _strings(getattr(provider, attr))
                         if len(n) > 1 and _LATIN_NAME.fullmatch(n)}
                every |= names
                if "first" in attr:
                    given |= names
                    if module.name in ENGLISH_LOCALES:
                        english |= names
        _NAMES = (frozenset(every), frozenset(given), frozenset(english))
    return _NAMES


_NAMES: tuple[frozenset, frozenset, frozenset] | None = None


def _strings(values) -> list:
    """The strings in a Faker name list (a tuple, a weighted dict, or lists of those)."""
    if isinstance(values, str):
        return [values]
    if isinstance(values, (list, tuple, set, frozenset, dict)):
        return [s for v in values for s in _strings(v)]
    return []


# --- Latin script: words around names, which are no name --------------------------

MONTHS_DAYS = set(("January February March April May June July August September October "
                   "November December Monday Tuesday Wednesday Thursday Friday Saturday Sunday "
                   "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Mon Tue Wed Thu Fri Sat Sun")
                  .split())
PARTICLES = set("van von der den de da das dos du del della di la le ten ter bin al ibn".split())
# a run of capitalised words followed by one of these names an organisation or a place
NOT_PERSON_NEXT = set(("Inc Ltd LLC LLP PLC Corp Corporation Co Company Group Holdings Bank "
                       "University College School Hospital Clinic Institute Foundation Trust "
                       "Partners Associates Capital Limited GmbH AG SA NV BV Index Street Road "
                       "Avenue Lane Drive Close Place Terrace Square Way Court Park Station "
                       "Airport Centre Center Building Tower Plaza Mall Hotel Restaurant Cafe").split())
FIELD_LABELS = set(("Date Time Name Phone Mobile Desk Fax Email E-mail Website Web Address Subject "
                    "From To Cc Re Note Notes User Bot Agent Customer Client Answer Question Tel "
                    "Title Status Priority Ref Order Total Price Amount Summary Description").split())
TITLES = "Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Madam|Mister|Lady|Lord"
# words before a noun phrase that names a thing more often than a person
DETERMINERS = frozenset("the a an this these those my your our their its".split())
# labels of identity documents and cards, and names of platforms, written like names
# (HKID, Visa, Twitter): never a person's name
ID_LABELS = frozenset("hkid id passport visa mastercard amex unionpay octopus cvv cvc twitter "
                      "facebook youtube instagram tumblr myspace google skype whatsapp wechat "
                      "iphone ipad itunes android linkedin".split())
# a name right after one of these is a place (in Harrison, at Stetson): in the labelled
# corpora 83 places and 2 people follow them in posts, 200 places and 2 people in judgments
PLACE_BEFORE = frozenset(("in", "at"))
# a greeting or "I'm" opens a sentence that may hold a name; it is not part of one
GREETINGS = frozenset("hi hello hey dear thanks thank cheers morning evening afternoon "
                      "regards greetings welcome i'm i’m im".split())
# words of product and model names (Airfryer XXL, LG OLED C3), never in a person's name;
# and words that follow a product's name (iPhone 15 Pro Max, Galaxy S24 Ultra), which a
# person's name may hold (Max Verstappen): they count only beside a found name
MODEL_WORDS = frozenset("XL XXL XXXL OLED QLED LED LCD HD UHD 4K 5G".split())
EDITION_WORDS = frozenset("Pro Max Plus Ultra Mini Lite Series Edition Gen SE".split())


# --- English: the spaCy model's word lists (WordNet, in its lemmatizer tables) -----

class Lexicon(NamedTuple):
    english: frozenset      # words of any part of speech
    verbs: frozenset        # verb lemmas (begin)
    verb_forms: frozenset   # irregular verb forms (began, begun)
    verb_rules: tuple       # (suffix, replacement) pairs that undo an inflection
    modifiers: frozenset = frozenset()  # adjectives and adverbs (sweet, only)
    inflected: frozenset = frozenset()  # irregular forms of any part of speech (media, feet)


EMPTY_LEXICON = Lexicon(frozenset(), frozenset(), frozenset(), ())
AUXILIARIES = frozenset("is was are were am be been being has have had do does did will would "
                        "can could may might must shall should 's 're 've 'd 'll".split())


def english_lexicon(nlp) -> Lexicon:
    """WordNet's English words and verb forms, as shipped in the spaCy pipeline's
    lemmatizer tables (empty when it has none)."""
    if "lemmatizer" not in nlp.component_names:  # loaded, though it may not run
        return EMPTY_LEXICON
    lookups = nlp.get_pipe("lemmatizer").lookups
    if not lookups.has_table("lemma_index"):
        return EMPTY_LEXICON
    index = lookups.get_table("lemma_index")
    exceptions = lookups.get_table("lemma_exc") if lookups.has_table("lemma_exc") else {}
    rules = lookups.get_table("lemma_rules") if lookups.has_table("lemma_rules") else {}
    return Lexicon(
        english=frozenset(w for pos in ("noun", "verb", "adj", "adv") for w in index.get(pos, [])),
        verbs=frozenset(index.get("verb", [])),
        verb_forms=frozenset(exceptions.get("verb", {})),
        verb_rules=tuple(tuple(rule) for rule in rules.get("verb", [])),
        modifiers=frozenset(w for pos in ("adj", "adv") for w in index.get(pos, [])),
        inflected=frozenset(w for forms in exceptions.values() for w in forms))


def could_be_verb(word: str, lexicon: Lexicon) -> bool:
    """Whether some reading of the word is a verb form, by WordNet's lists and the
    lemmatizer's suffix rules; false only when no reading is (then no tagger is needed)."""
    w = word.lower()
    if w in AUXILIARIES or w in lexicon.verbs or w in lexicon.verb_forms:
        return True
    return any(w.endswith(suffix) and w[:len(w) - len(suffix)] + replacement in lexicon.verbs
               for suffix, replacement in lexicon.verb_rules)
