"""Recognizers that are not specific to Hong Kong: Luhn-checked cards, international
phone numbers and street addresses.

Patterns use the ``regex`` module (Presidio's own) for Unicode letter classes, and
lookarounds instead of ``\\b`` so that identifiers glued to CJK text are found.
"""
from __future__ import annotations

import re

import regex
from presidio_analyzer import (
    AnalysisExplanation,
    EntityRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerResult,
)

from privenance.identifiers import CARD_PATTERN, luhn_ok
from privenance.textnorm import HAN, is_cjk


def result(recognizer: EntityRecognizer, entity: str, start: int, end: int,
           score: float) -> RecognizerResult:
    """A finding tagged with its recognizer, so Presidio's context enhancer can boost it."""
    explanation = AnalysisExplanation(recognizer=recognizer.name, original_score=score)
    return RecognizerResult(entity, start, end, score, analysis_explanation=explanation,
                            recognition_metadata={
        RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name,
        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id})


class LuhnCardRecognizer(PatternRecognizer):
    """12 to 19 digit card numbers of any scheme (JCB, Maestro, 19-digit Visa), kept
    only when the Luhn checksum holds. Presidio's own card pattern misses these."""

    def __init__(self):
        super().__init__(
            supported_entity="CREDIT_CARD", name="LuhnCardRecognizer",
            patterns=[Pattern("luhn_card", CARD_PATTERN, 0.3)],
            context=["card", "credit", "debit", "visa", "mastercard", "amex", "jcb", "卡"])

    def validate_result(self, pattern_text: str):
        return luhn_ok(re.sub(r"\D", "", pattern_text)) or False


# --- what the words around a number say it is --------------------------------------

# words before a number that say it is a phone, or something else; a word of REF after
# a business word goes with it ("order number" is not a phone, "my number is" is)
PHONE_WORDS = frozenset(
    "phone phones tel telephone mobile mobiles mob cell cellphone fax faxes whatsapp whats wechat "
    "signal telegram sms text texts call calls called calling ring dial reach reached contact "
    "contacts hotline desk office answer answered answering message messages registered number "
    "numbers".split())
NOT_PHONE_WORDS = frozenset(
    "order orders purchase invoice inv receipt ref reference booking reservation confirmation "
    "tracking waybill shipment parcel consignment ticket transaction txn sku item product model "
    "serial batch lot voucher coupon promo passenger passengers pax guest guests seat seats qty "
    "quantity unit units price total subtotal amount paid cost refund balance fee points hkd usd "
    "rmb cny $ € £ ¥ #".split())
_REF = frozenset("number num nr no # id code".split())
_ZH_CUE = re.compile(r"(?P<no>訂單|订单|單號|单号|編號|编号|發票|发票|收據|收据|參考|参考|預訂|预订|追蹤|"
                     r"追踪|運單|运单|金額|金额|價錢|价钱|價格|价格|總額|总额|合共|港幣|港币|人民幣|人民币)"
                     r"|(?P<yes>電話|电话|手機|手机|聯絡|联络|聯繫|联系|致電|致电|打俾|打畀|打比|微信|傳真|传真|號碼|号码)")
# the words of the lower-cased text before a number, nearest last, with the sentence
# ends between them (a full stop after an abbreviation such as tel. or no. is none)
_CUE_TOKEN = re.compile(rf"[a-z]+|[$€£¥#]|[{HAN}]+|[!?。！？\n]|\.(?=\s|$)")
_ABBREVIATIONS = frozenset("tel no mob ref inv nr num ph".split())
# words right after a number: "58793794 (mobile)", "12345678 passengers", "52118487元"
_AFTER_PHONE = frozenset("mobile cell office fax home work tel phone whatsapp".split())
_AFTER_NOT_PHONE = frozenset("passenger passengers pax guests people persons unit units pcs pieces "
                             "items dollars hkd usd rmb points views followers km kg".split())
_AFTER_TOKEN = re.compile(r"[\s(\[-]{0,3}([a-z]+|[元蚊件位人])")
_CUE_REACH = 40  # characters before a number searched for a cue (about five words)


def phone_context(text: str, start: int, end: int) -> int:
    """What the words around text[start:end] say it is: 1 a phone number (call me on,
    WhatsApp, 電話), -1 something else (an order or invoice number, a price, a count of
    passengers, a piece of a longer code such as ORD-2025-034246), 0 nothing either way.
    The nearest cue before the number in the same sentence decides, else a word right
    after it. Words are looked up in sets: a regular expression of every cue tried at
    each position cost 50 us a number."""
    after = _AFTER_TOKEN.match(text[end:end + 16].lower())
    if after and after.group(1) in _AFTER_PHONE:
        return 1  # "2534 1234-Office", "58793794 (mobile)": a label, not part of a code
    if _in_code(text, start, end):
        return -1
    verdict = _cue_before(text[max(0, start - _CUE_REACH):start].lower())
    if verdict:
        return verdict
    if after and (after.group(1) in _AFTER_NOT_PHONE or after.group(1) in "元蚊件位人"):
        return -1
    return 0


def _cue_before(before: str) -> int:
    """What the nearest cue in the (lower-cased) text before a number, in its sentence,
    says: 1 a phone, -1 something else, 0 nothing."""
    tokens = _CUE_TOKEN.findall(before)
    for i in range(len(tokens) - 1, -1, -1):
        word, previous = tokens[i], tokens[i - 1] if i else None
        if word == "\n" and previous in PHONE_WORDS:
            return 1  # a label on the line above: "Phone:\n467 3395"
        if word in "!?。！？\n" or (word == "." and previous not in _ABBREVIATIONS):
            return 0  # the sentence before says nothing about this number
        verdict = _cue(word, previous)
        if verdict:
            return verdict
    return 0


def _cue(word: str, previous: str | None) -> int:
    """What one word before a number says it is (1 a phone, -1 something else, 0 nothing)."""
    if word in _REF and previous in NOT_PHONE_WORDS:
        return -1  # order number, ref no.
    if word in PHONE_WORDS:
        return 1
    if word in NOT_PHONE_WORDS:
        return -1
    if is_cjk(word[0]):  # a run of CJK: its last cue decides
        cue = None
        for cue in _ZH_CUE.finditer(word):
            pass
        if cue is not None:
            return 1 if cue.group("yes") else -1
    return 0


def _in_code(text: str, start: int, end: int) -> bool:
    """The number is glued to letters or digits by - / _ . or directly to Latin letters:
    part of a reference (ORD-2025-034246, SF1234567890, INV/2025/52118487)."""
    def latin_or_digit(i):
        return 0 <= i < len(text) and (text[i].isdigit() or "a" <= text[i].lower() <= "z")

    def digit(i):
        return 0 <= i < len(text) and text[i].isdigit()
    return (latin_or_digit(start - 1) or latin_or_digit(end)
            or (start >= 2 and text[start - 1] in "-/_" and latin_or_digit(start - 2))
            or (end + 1 < len(text) and text[end] in "-/_" and latin_or_digit(end + 1))
            or (text[start - 1:start] == "." and digit(start - 2))
            or (text[end:end + 1] == "." and digit(end + 1)))


def judge_phones(text: str, results: list, bare: float | None = None) -> list:
    """Phone findings rescored by their context (phone_context): dropped when the words
    around say the number is something else, raised to 0.75 when they say it is a phone.
    With no cue either way a finding keeps its score, or gets at least ``bare`` (a bare
    HK number in a chat is more likely a phone than not: a missed phone is a leak).
    A number written as a phone (+852, (852), +1-...) is never dropped."""
    kept = []
    for r in results:
        value = text[r.start:r.end]
        start = r.start + len(value) - len(value.lstrip())
        value = value.strip()
        context = phone_context(text, start, start + len(value))
        if context < 0 and not value.startswith(("+", "(")):
            continue
        if context > 0:
            r.score = max(r.score, 0.75)
        elif context == 0 and bare is not None and not _COMPACT_DATE.fullmatch(value):
            r.score = max(r.score, bare)
        kept.append(r)
    return kept


# 20240503: a date written without separators, not a phone unless something says so
_COMPACT_DATE = re.compile(r"20\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")


# digit groups separated by a space, dot or dash, with an optional +country code,
# (area code) and extension: 467 3395, 21 253 109 8211, +46 (0)8 928 571 38, 345-899-3560x4587
_PHONE = regex.compile(
    r"(?<![\w+#$€£¥/.,:-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,5}(?:[ .-]\d{1,8}){1,5}"
    r"(?:\s?(?:x|ext\.?)\s?\d{1,5})?(?![\w.,/:-]?\d)")
_DATE_LIKE = re.compile(r"\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{1,3}(?:\.\d{1,3}){3}")
class InternationalPhoneRecognizer(EntityRecognizer):
    """Phone numbers in any national format, as digit groups. A '+' or '(area)' prefix
    scores 0.5; bare digit groups score 0.3 and need a cue close by (phone, mobile,
    fax, office, call ...) to count, so prices, dates, IP addresses and order numbers
    are left alone (judge_phones). The context check is our own: Presidio's skips
    spaCy stop words, and "call" is one."""

    def __init__(self):
        super().__init__(supported_entities=["PHONE_NUMBER"], name="InternationalPhoneRecognizer")

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):
        found = []
        for m in _PHONE.finditer(text):
            value = m.group(0)
            digits = re.sub(r"\D", "", re.split(r"\s?(?:x|ext)", value)[0])
            if not 7 <= len(digits) <= 15 or _DATE_LIKE.fullmatch(value.strip()):
                continue
            score = 0.5 if value.startswith(("+", "(")) else 0.3
            found.append(result(self, "PHONE_NUMBER", m.start(), m.end(), score))
        return judge_phones(text, found)


# words that are never part of a street or a name (shared with names.py)
STOP_WORDS = set((
    "the a an and or but of to in on at for with from by as is are was were be been we you he "
    "she they it i my your his her our their this that these those have has had does did will "
    "would can could should may might must not no yes so if then than there here when where who "
    "whom which what why how all any some each every about after before into over under between "
    "during until while since per me him them myself yourself himself herself themselves yours "
    "ours").split())
_MONTHS = set(("january february march april may june july august september october november "
               "december jan feb mar apr jun jul aug sep sept oct nov dec").split())
# the words around a card's expiry date and security code (4539 1488 0343 6467 Exp: 12/27)
_CARD_WORDS = set("exp expiry expires expiration expiring valid thru cvv cvc cvv2 pin".split())

# --- street addresses --------------------------------------------------------------

_NUM = r"\d{1,6}[A-Za-z]?"
# a word starting with a letter (any script) that is not a stop word, so that in
# "lives on Hansinegata 120" the street starts at Hansinegata
_W = rf"(?!(?i:{'|'.join(sorted(STOP_WORDS | _MONTHS))})(?![\p{{L}}'’-]))\p{{L}}[\p{{L}}'’.-]*"
STREET_TYPES = ("Street St Road Rd Avenue Ave Av Lane Ln Drive Dr Close Place Pl Terrace "
                "Way Court Ct Crescent Cres Boulevard Blvd Square Sq Parade Grove Gardens Mews "
                "Row Highway Hwy Parkway Pkwy Circle Cir Trail Walk Path Alley Bypass Causeway "
                "Expressway Freeway Loop Plaza Quay Rise Vale View Wynd Green Hill Isle Park "
                "Point Ridge Run Spur Track Centre Center Estate Gate Port Villas Village").split()


def street_types() -> str:
    """Our street types plus the USPS suffixes Faker knows (Spurs, Harbor, Crossing ...)."""
    from faker.providers.address.en_US import Provider
    types = set(STREET_TYPES) | set(Provider.street_suffixes)
    return "|".join(sorted(types, key=len, reverse=True))


# street names written with the type first: Rue de Virton 38, Via Roma 131, Calle Mayor 5
STREET_PREFIXES = ("Rue Rua Via Viale Vicolo Calle Carrer Camino Avenida Avda. Avinguda Av. Avenue "
                   "Piazza Piazzetta Corso Largo Travessa Traversa Chemin Boulevard Bd Place Plaza "
                   "Praça Paseo Strada Ulica ul. Plac Aleja Al. Allée Impasse Quai Rambla Ronda").split()
# street names written as one compound word: Parijsstraat, Hafnarstraeti, Ringvej, Laukaantie
STREET_SUFFIXES = ("straat strasse straße str. stra straeti gata gatan gate gade vej veien vegen "
                   "vegur vägen väg katu kuja tie tee laan weg gasse allee utca útja út tér stræde "
                   "plein kade dreef singel stig stien bakken torget torv ring ringen vei leite "
                   "kaari polku rinne aukio sokak caddesi ulica cesta").split()
_PREFIX = "|".join(map(regex.escape, STREET_PREFIXES))
_UNIT = r"(?:(?i:Apt\.?|Apartment|Suite|Ste\.)|Unit|Flat|Room|Rm\.?|Box)[ \t]*#?[ \t]*\d{1,5}[A-Za-z]?"
_MILITARY = (r"(?i:(?:(?:PSC|CMR|Unit)[ \t]+\d{3,5},?[ \t]+Box[ \t]+\d{3,5}|(?:USNS|USNV|USS|USCGC)[ \t]+\p{L}+(?:[ \t]+\p{L}+)?)"
             r"(?:,?[ \t]*\n?[ \t]*[AFD]PO[ \t]+A[AEP][ \t]+\d{5})?|[AFD]PO[ \t]+A[AEP][ \t]+\d{5})")
_ANCHORS = [
    # 3369 24 Clarke Avenue, 1317 Kimberly Way, 8116 56 rue La Boétie St.
    ("numbered_street", rf"(?:{_NUM}[ \t]+){{1,2}}(?:{_W}[ \t]+){{0,4}}(?i:{street_types()})\.?(?![\p{{L}}\d])", 0.65),
    # 56539 Rua Cyro Schmutzer Franco 1213, Via Tasso 129, rue du centre 320
    ("street_prefix", rf"(?:{_NUM}[ \t]+){{0,2}}(?i:{_PREFIX})[ \t]+(?:{_W}[ \t]+){{0,5}}{_NUM}\.?", 0.65),
    # 23680 Parijsstraat 8, Hammarvägen 15, 2224 Trenerys gate 232
    ("street_suffix", rf"(?:{_NUM}[ \t]+){{0,2}}(?:{_W}[ \t]+){{0,2}}\p{{L}}*(?i:{'|'.join(map(regex.escape, STREET_SUFFIXES))})[ \t]+{_NUM}\.?", 0.65),
    # 3657 Laukaantie 80, 974 Via Roma 131, 594 Hegedûs Gyula utca 76.: number, name, number
    ("number_name_number", rf"{_NUM}(?:[ \t]+\d{{1,5}})?[ \t]+(?:{_W}[ \t]+){{1,4}}\d{{1,5}}[A-Za-z]?\.?", 0.55),
    # 389 167 king alexander: two numbers then a name
    ("two_numbers_name", rf"\d{{2,6}}[ \t]+\d{{1,5}}[ \t]+{_W}(?:[ \t]+{_W}){{0,3}}", 0.5),
    # the corner of Östbygatan 14 and Sigurmundsson Greens
    ("corner", r"(?i:the[ \t]+)?(?i:corner[ \t]+of)[ \t]+[^\n,;!?]{3,60}?[ \t]+(?i:and)[ \t]+[^\n,;!?]{2,40}?(?=[ \t]*(?:[,;!?\n]|\.(?:\s|$)|$))", 0.6),
    ("po_box", r"P\.?[ \t]?O\.?[ \t]+Box[ \t]+\d{1,6}", 0.6),
    ("military", _MILITARY, 0.65),
    ("unit", _UNIT, 0.5),
]
ADDRESS_ANCHORS = [(name, regex.compile(rf"(?<![\p{{L}}\d#$€£¥.,/-]){p}"), s) for name, p, s in _ANCHORS]


def _casefolded(words: list[str]) -> str:
    return "|".join(sorted({re.escape(w.casefold()) for w in words}, key=len, reverse=True))


# a part every match of an anchor contains, searched for first in the case-folded text
# (a case-sensitive stdlib search: 4x quicker than the case-insensitive one): the
# suffix anchor's \p{L}* backtracks at every letter of the text, and the prefix
# anchor tries its case-insensitive list at every position
_ANCHOR_NEEDS = {"street_suffix": re.compile(rf"(?:{_casefolded(STREET_SUFFIXES)})[ \t]+\d"),
                 "street_prefix": re.compile(rf"(?:{_casefolded(STREET_PREFIXES)})[ \t]")}
# what may follow an address anchor in the same block (one blank line allowed):
# flat or suite, city, region and postcode
_NEXT = regex.compile(
    rf"(?:[ \t]*,[ \t]*\n?[ \t>?]*|[ \t]*\n[ \t>?]*(?:\n[ \t>?]*)?,?[ \t]*|[ \t]+)"
    rf"(?:{_UNIT}|{_MILITARY}|P\.?[ \t]?O\.?[ \t]+Box[ \t]+\d{{1,6}}"
    rf"|(?:\p{{Lu}}[\p{{L}}'’.-]*|[\p{{Lu}}\d]{{1,4}})(?:[ -](?:\p{{L}}[\p{{L}}'’.-]*|\(\p{{L}}+\)))*(?:,?[ \t]+\d{{3,6}}(?:[ -]\d{{2,4}})?)?"
    rf"|\d{{3,6}}(?:[ -]\d{{2,4}})?|nan(?:[ \t]+\d{{3,6}}(?:\s\d{{2}})?)?)"
    rf"(?=[ \t]*(?:[,.;:!?)\n]|$))")


# anchors that start with bare numbers, and a digit group right before one
_NUMBERS_FIRST = ("number_name_number", "two_numbers_name")
_DIGIT_GROUP_BEFORE = regex.compile(r"\d[ \t-]$")
_POSTCODE_END = regex.compile(r"\d{3,6}(?:[ -]\d{2,4})?$")
_SENTENCE_END = regex.compile(r"\p{L}{4}\.$")


def _words_ok(value: str, name: str, mixed_case: bool) -> bool:
    """Reject anchors made of ordinary words (in 2020 we had 3 kids) or dates (3 May 2024)."""
    words = regex.findall(r"\p{L}[\p{L}'’.-]*", value)
    if name in ("po_box", "unit", "military", "corner"):
        return True
    if any(w.lower().strip(".:") in STOP_WORDS | _MONTHS | _CARD_WORDS for w in words):
        return False
    street_word = regex.fullmatch(rf"(?i:{_PREFIX})", words[0]) if words else None
    if not words or (mixed_case and words[0][0].islower() and not street_word):
        return False  # lower-case words in mixed-case text: prose, not a street name
    last = regex.findall(r"\d+", value)[-1]
    # a trailing year is a date or an event, not a house number
    return not (name == "number_name_number" and len(last) == 4 and last[:2] in ("19", "20"))


class StreetAddressRecognizer(EntityRecognizer):
    """Street addresses in the usual international shapes (number + street + type,
    type + street + number, compound street words, PO boxes, APO/FPO military
    addresses), extended over the rest of the address block: flat or suite, city,
    region and postcode lines."""

    CONTEXT = ("address", "live", "lives", "located", "deliver", "delivery", "ship", "send",
               "meet", "billing", "mail", "住址", "地址")

    def __init__(self):
        super().__init__(supported_entities=["STREET_ADDRESS"], name="StreetAddressRecognizer",
                         context=list(self.CONTEXT))

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):
        spans, mixed_case, folded = [], text != text.lower(), text.casefold()
        for name, pattern, score in ADDRESS_ANCHORS:
            needs = _ANCHOR_NEEDS.get(name)
            if needs is not None and not needs.search(folded):
                continue
            for m in pattern.finditer(text):
                if name in _NUMBERS_FIRST and _DIGIT_GROUP_BEFORE.search(text, max(0, m.start() - 3), m.start()):
                    continue  # the tail of a longer run of digit groups: a card or a phone
                if _words_ok(m.group(0), name, mixed_case):
                    end, parts = self._extend(text, m.end())
                    # each further part (suite, city, postcode) makes an address surer
                    spans.append((m.start(), end, min(0.95, score + 0.1 * parts)))
        return [result(self, "STREET_ADDRESS", s, e, score) for s, e, score in _merge(spans)]

    @staticmethod
    def _extend(text: str, end: int, limit: int = 6) -> tuple[int, int]:
        """Extend an anchor over the parts that follow it; return (end, parts added)."""
        parts = 0
        while parts < limit:
            m = _NEXT.match(text, end)
            if not m or any(w.lower() in STOP_WORDS for w in regex.findall(r"\p{L}+", m.group(0))):
                break
            end, parts = m.end(), parts + 1
            if _POSTCODE_END.search(m.group(0)) and not regex.match(rf"\W*{_UNIT}$", m.group(0)):
                break  # a postcode closes the address: "New Zealand 34694"
        if _SENTENCE_END.search(text, max(0, end - 5), end):
            end -= 1  # a full stop after a word ends the sentence, not an abbreviation
        return end, parts


def _merge(spans: list) -> list:
    """Overlapping address spans become one, with the best score."""
    out: list = []
    for s, e, score in sorted(spans):
        if out and s < out[-1][1]:
            ps, pe, pscore = out[-1]
            out[-1] = (ps, max(pe, e), max(pscore, score))
        else:
            out.append((s, e, score))
    return out


# a run of digits, possibly split by spaces, dots, dashes or brackets; a phone number
# has 7 digits or more in every region
_DIGIT_RUN = re.compile(r"\+?\(?\d[\d\s().-]*\d")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# python-phonenumbers looks at the characters around a candidate (a letter before it,
# an extension or a time after it), so each run is scanned with this much around it
_BEFORE, _AFTER = 2, 16


def _candidate_runs(text: str) -> list[tuple[int, int]]:
    """Spans that could hold a phone number (7+ digits, not an ISO date)."""
    return [m.span() for m in _DIGIT_RUN.finditer(text)
            if sum(c.isdigit() for c in m.group(0)) >= 7 and not _ISO_DATE.fullmatch(m.group(0))]


def _windows(runs: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """The runs widened by the context the matcher reads, overlapping ones merged."""
    out: list[tuple[int, int]] = []
    for a, b in runs:
        a, b = max(0, a - _BEFORE), min(length, b + _AFTER)
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _covered(run: tuple[int, int], text: str, results: list) -> bool:
    """Every digit of the run lies inside a match already found."""
    return all(any(r.start <= i < r.end for r in results)
               for i in range(*run) if text[i].isdigit())


def regional_phone_recognizer(regions: tuple[str, ...]):
    """Presidio's PhoneRecognizer (python-phonenumbers, one pass per region) made
    cheaper in two ways that cannot change what it finds: the library scans only the
    runs of 7+ digits (with the few characters around them it looks at) instead of the
    whole text, and it stops once every run is covered, as later regions could only
    find the same number again. Texts without such a run skip the library entirely.
    What it finds is then judged by its context (judge_phones): ORD-2025-034246 and
    "order number 52118487" are not phones."""
    import phonenumbers
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    class RegionalPhoneRecognizer(PhoneRecognizer):
        def analyze(self, text, entities, nlp_artifacts=None):
            return judge_phones(text, self.scan(text, nlp_artifacts))

        def scan(self, text, nlp_artifacts=None):
            """What Presidio's PhoneRecognizer finds in the text, context aside."""
            pending = _candidate_runs(text)
            results = []
            for region in self.supported_regions:
                if not pending:
                    break
                for a, b in _windows(pending, len(text)):
                    for match in phonenumbers.PhoneNumberMatcher(text[a:b], region,
                                                                 leniency=self.leniency):
                        match = phonenumbers.PhoneNumberMatch(a + match.start, match.raw_string,
                                                              match.number)
                        results.append(self._get_recognizer_result(match, text, region,
                                                                   nlp_artifacts))
                pending = [run for run in pending if not _covered(run, text, results)]
            return EntityRecognizer.remove_duplicates(results)

    return RegionalPhoneRecognizer(supported_regions=regions)
