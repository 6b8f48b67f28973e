"""Context decides for numbers and labels (issue 25): an 8-digit number is a phone
after "call me on" and not after "order"; labels, products, greetings and prices are
never names. Recognizers without the language model."""
from __future__ import annotations

import pytest

from pipelines.anonymize.registry import PHONE_REGIONS
from pipelines.anonymize.recognizers.general import (
    InternationalPhoneRecognizer,
    StreetAddressRecognizer,
    phone_context,
    regional_phone_recognizer,
)
from pipelines.anonymize.recognizers.hk import HkPhoneRecognizer
from pipelines.anonymize.recognizers.names import NameGazetteerRecognizer, not_a_name

THRESHOLD = 0.4  # policies/default.yaml


def phones(text: str) -> list[str]:
    """Phone numbers any of our phone recognizers reports at the default threshold."""
    found = set()
    for r in (HkPhoneRecognizer(), InternationalPhoneRecognizer(), regional_phone_recognizer(PHONE_REGIONS)):
        found |= {text[x.start:x.end].strip() for x in r.analyze(text, ["PHONE_NUMBER"], None)
                  if x.score >= THRESHOLD}
    return sorted(found)


@pytest.mark.parametrize("text", [
    "Please call me on 58793794 after 6pm.", "You can reach me at 20423318.",
    "reach me on WhatsApp 58793794", "My mobile is 9123 4567.", "Tel. 58793794",
    "my number is 58793794", "電話58793794", "手機：58793794", "請WhatsApp 58793794，唔該。",
    "Call 58793794 (mobile), order 12345 is fine", "stop sending messages to 58793794",
    "Phone:\n58793794", "2534 1234-Office",
])
def test_a_number_after_phone_words_is_a_phone(text):
    assert phones(text) == [n for n in ("58793794", "20423318", "9123 4567", "2534 1234") if n in text]


@pytest.mark.parametrize("text", [
    "Order number 52118487 was cancelled.", "Your order ORD-2025-034246 has shipped.",
    "訂單52118487已寄出", "訂單編號52118487，金額HK$8,386。", "Invoice 52118487 is attached.",
    "Booking ref: 52118487", "We have 4 passengers, ref 52118487.", "It cost HK$52118487.",
    "Tracking no. SF1234567890 / 52118487", "Please quote INV/2025/52118487.",
    "Call me about order 52118487", "Refund of $52118487 approved.", "52118487 passengers",
])
def test_a_number_after_business_words_or_inside_a_code_is_not(text):
    assert phones(text) == []


def test_a_bare_number_with_no_cue_is_still_a_phone():
    # a missed phone is a leak: with nothing either way, an HK-shaped number counts
    assert phones("58793794") == ["58793794"]
    assert phones("Thanks, Melissa. 50125578") == ["50125578"]
    # but a date written without separators needs a cue
    assert phones("Batch of 20240503 closed") == []


def test_the_nearest_cue_decides_and_sentences_end_cues():
    text = "Call me on 58793794 about order 52118487."
    assert phone_context(text, 11, 19) == 1 and phone_context(text, 32, 40) == -1
    # an order mentioned in an earlier sentence says nothing about this number
    assert phone_context("My order has shipped. 58793794", 22, 30) == 0
    # a number written as a phone is never dropped for its context
    assert phones("Order queries: +852 5879 3794") == ["+852 5879 3794"]


def test_a_cards_expiry_is_not_an_address():
    r = StreetAddressRecognizer()
    for text in ("Card: 4539 1488 0343 6467 Exp: 12/27", "4539 1488 0343 6467 Valid thru 12/27"):
        assert [x for x in r.analyze(text, ["STREET_ADDRESS"]) if x.score >= THRESHOLD] == [], text
    # an address that starts with two numbers is still one
    assert r.analyze("389 167 king alexander", ["STREET_ADDRESS"])


# labels, products, greetings and prices (True), and names beside numbers and ids (False)
@pytest.mark.parametrize("text, value, expected", [
    ("It was for HK$12,721.", "HK$12,721", True), ("Visa 4539148803436467", "Visa 4539148803436467", True),
    ("Customer Chan Tai Man, HKID A123456(3)", "HKID", True), ("Hi, I'm Jessica Edwards.", "Hi", True),
    ("Hi, I'm Jessica Edwards.", "I'm Jessica", True), ("I bought a Philips Airfryer XXL.", "Philips Airfryer", True),
    ("I bought a Philips Airfryer XXL.", "Airfryer XXL", True), ("The Dyson V15 Detect broke.", "Dyson V15 Detect", True),
    ("Is the iPhone 15 Pro Max in stock?", "Max", True), ("a Panasonic NN-ST34", "Panasonic NN", True),
    ("我老公話個Philips Airfryer XXL壞咗。", "Philips Airfryer", True), ("我想買Panasonic NA-V10FC1，有冇", "NA", True),
    ("Xiaomi Redmi Note 13而家做緊promotion", "Xiaomi Redmi Note", True), ("Philips Sonicare 9900", "Philips Sonicare", True),
    ("Hi, I'm Jessica Edwards.", "Jessica Edwards", False), ("Max Verstappen won.", "Max Verstappen", False),
    ("Contact Chan Tai Man 91234567", "Chan Tai Man", False), ("RT @johan0394 : Soulja Boy", "@johan0394 : Soulja Boy", False),
    ("Customer Chan Tai Man, HKID A123456(3)", "Chan Tai Man", False), ("as Smith 2004 said", "Smith", False),
    ("in some translations Mark 14:30 says", "Mark", False), ("( Awaiting Marcus Bentley ! ) #BB11", "Marcus Bentley", False),
])
def test_labels_products_greetings_and_prices_are_not_names(text, value, expected):
    start = text.index(value)
    assert not_a_name(text, start, start + len(value)) is expected


def test_greetings_and_call_me_back_without_the_language_model():
    r = NameGazetteerRecognizer()

    def names(text):
        return [text[x.start:x.end] for x in r.analyze(text, ["PERSON"], None) if x.score >= THRESHOLD]
    assert names("Hi, I'm Jessica Edwards.") == ["Jessica Edwards"]
    assert names("Gregory here, call me back on 50211657 please.") == ["Gregory"]
    assert names("Thanks Shelby") == ["Shelby"]


def test_handles_and_the_names_written_beside_them():
    r = NameGazetteerRecognizer()

    def names(text):
        return sorted(text[x.start:x.end] for x in r.analyze(text, ["PERSON"], None) if x.score >= THRESHOLD)
    # the @ stays, so the text still reads as a mention; an email is no handle
    assert names("@SnoopDogg hey snoop, my wife is 30 today") == ["SnoopDogg", "snoop"]
    assert names("@keevaguilfoyle congrats on your engagement Keeva") == ["Keeva", "keevaguilfoyle"]
    assert names("write to chan@gmail.com at 7:30 @ the office") == []
    # "with" and a capitalised word that is no English word: company
    assert names("Going out with Whitney tonight") == ["Whitney"]


def test_a_handle_the_ner_reads_as_an_organisation_is_left_alone():
    text = "@BBCNews and @keevaguilfoyle : well done Keeva"
    r = NameGazetteerRecognizer()
    found = sorted(text[a:b] for a, b, _ in r._handles(text, [(0, 8)]))  # @BBCNews: ORG
    assert found == ["Keeva", "keevaguilfoyle"]
    assert sorted(text[a:b] for a, b, _ in r._handles(text)) == ["BBCNews", "Keeva", "keevaguilfoyle"]


def test_a_name_after_in_or_at_is_a_place_unless_possessive():
    for text, value, place in [("Enjoy your time in Harrison .", "Harrison", True),
                               ("Greek Festival at St Johns", "St Johns", True),
                               ("Amber is to walk in Giles Deacon 's show", "Giles Deacon", False),
                               ("Give it to Harrison .", "Harrison", False),
                               ("Enrico shouted at Gary: what?", "Gary", False),
                               ("Zak looked at Scott", "Scott", False)]:
        start = text.index(value)
        assert not_a_name(text, start, start + len(value)) is place, text


def test_field_labels_and_greetings_are_trimmed_off_a_name():
    from pipelines.anonymize.recognizers.names import trim_labels
    for text, name in [("Customer Kin-Wah Chow", "Kin-Wah Chow"), ("Hello, Jessica Edwards", "Jessica Edwards"),
                       ("Jessica", "Jessica"), ("Dear Customer", "")]:
        start, end = trim_labels(text, 0, len(text))
        assert text[start:end] == name and end == len(text)


def test_a_label_on_the_line_above_or_right_after_says_phone():
    from pipelines.anonymize.recognizers.general import phone_context
    text = "Phone:\n467 3395\n\nE-mail:"
    assert phone_context(text, 7, 15) == 1
    text = "21 253 109 8211-Office\\,+447700 208 815-Fax"
    assert phone_context(text, 0, 15) == 1
    assert phone_context("ORD-2025-034246", 9, 15) == -1


def test_hk_address_with_an_unnumbered_street_and_districts_are_not_names():
    from pipelines.anonymize.recognizers.hk import HkAddressRecognizer
    text = "Please deliver to Flat 18, 16/F, Ramirez Forge, Sha Tin. Order #19116."
    found = [text[x.start:x.end] for x in HkAddressRecognizer().analyze(text, ["STREET_ADDRESS"])
             if x.score >= THRESHOLD]
    assert found == ["Flat 18, 16/F, Ramirez Forge, Sha Tin"]
    start = text.index("Sha Tin")
    assert not_a_name(text, start, start + len("Sha Tin"))
