"""HK customer chats through the real TextAnonymizer (Presidio + spaCy model + packs):
context decides for numbers, and labels, products, greetings and prices are never
names (issue 25)."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from faker import Faker

from pipelines.anonymize.engine import TextAnonymizer
from privenance.demo import hk_name, hk_phone, hkid
from privenance.keys import Secret
from privenance.policy import load_policy

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
# names of products that hold a surname or a given name (Philips, Sharp, Kindle, Morphy)
PRODUCTS = ["Philips Airfryer XXL", "Sharp Plasmacluster", "Kindle Paperwhite", "Morphy Richards Kettle",
            "Philips Sonicare 9900", "Panasonic NN-ST34", "iPhone 15 Pro Max", "Garmin Forerunner 265",
            "Bose QuietComfort Ultra", "LG OLED C3"]


@pytest.fixture(scope="module")
def engine():
    e = TextAnonymizer(load_policy(REPO / "policies/default.yaml"), Secret(b"\x11" * 32, "test"))
    e.setup()
    return e


def test_numbers_are_phones_only_where_context_says_so(engine):
    texts = ["Please call me on 58793794 after 6pm.", "Order number 52118487 was cancelled.",
             "Your order ORD-2025-034246 has shipped.", "訂單52118487已寄出，電話58793794。",
             "We have 4 passengers, ref 52118487.", "WhatsApp 58793794 please, invoice 52118487.",
             "58793794"]
    out = [o.text for o in engine.anonymize_texts(texts)]
    assert out == ["Please call me on <PHONE_NUMBER> after 6pm.", "Order number 52118487 was cancelled.",
                   "Your order ORD-2025-034246 has shipped.", "訂單52118487已寄出，電話<PHONE_NUMBER>。",
                   "We have 4 passengers, ref 52118487.",
                   "WhatsApp <PHONE_NUMBER> please, invoice 52118487.", "<PHONE_NUMBER>"]


def test_products_and_card_expiry_are_left_alone(engine):
    texts = [f"I bought a {p} last week." for p in PRODUCTS] + [
        f"Is the {p} in stock?" for p in PRODUCTS] + [
        "Card: 4539 1488 0343 6467 Exp: 12/27", "Please send a copy of your HKID."]
    out = [o.text for o in engine.anonymize_texts(texts)]
    assert out[:-2] == texts[:-2]
    assert out[-2:] == ["Card: <CREDIT_CARD> Exp: 12/27", "Please send a copy of your HKID."]


def test_greetings_and_signatures_keep_their_words(engine):
    out = [o.text for o in engine.anonymize_texts([
        "Gregory here, call me back on 50211657 please.", "You can reach me on 57565641, thanks Shelby"])]
    assert out[0].endswith(" here, call me back on <PHONE_NUMBER> please.") and "Gregory" not in out[0]
    assert out[1].startswith("You can reach me on <PHONE_NUMBER>, thanks ") and "Shelby" not in out[1]


def test_labels_prices_and_greetings_through_the_ner(engine):
    """The NER reads these as names; anonymize.py drops its PERSON spans (and list items)
    that names.not_a_name rules out."""
    texts = ["It was for HK$12,721.", "The Dyson V15 Detect stopped working.",
             "Customer Chan Tai Man, HKID A123456(3), asks about order 52118487.", "Hi, I'm Jessica Edwards."]
    out = [o.text for o in engine.anonymize_texts(texts)]
    assert out[:2] == texts[:2]
    assert ", HKID " in out[2] and "Chan Tai Man" not in out[2] and out[2].endswith("order 52118487.")
    assert out[3].startswith("Hi, I'm ") and "Jessica" not in out[3] and "Edwards" not in out[3]


def chats(n: int, seed: int) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """(personal sentences with the values that must go, non-personal sentences)."""
    fake, rng = Faker("en_US"), random.Random(seed)
    fake.seed_instance(seed)
    personal, plain = [], []
    for _ in range(n):
        name, phone = rng.choice([fake.name(), hk_name(rng)]), hk_phone(rng)
        bare = phone.replace(" ", "").replace("-", "")[-8:]
        order, code = str(rng.randint(20000000, 99999999)), f"ORD-2025-{rng.randint(0, 999999):06d}"
        price, product = f"{rng.randint(100, 30000):,}", rng.choice(PRODUCTS)
        email, card = fake.free_email(), fake.credit_card_number(card_type="visa16")
        personal.append(rng.choice([
            (f"Please call me on {bare} about order {order}.", [bare]),
            (f"My HKID is {(h := hkid(rng))} and my mobile is {phone}.", [h, phone]),
            (f"電話{bare}，電郵{email}，訂單{order}。", [bare, email]),
            (f"Card {card} exp 12/27, for the {product}.", [card]),
            (f"I'm {name}, reach me at {bare} or {email}.", [bare, email]),
        ]))
        plain.append(rng.choice([
            f"Order number {order} was cancelled.", f"Your order {code} has shipped.",
            f"訂單{order}已寄出。", f"Invoice {order} is attached.", f"I bought a {product} last week.",
            f"We have {rng.randint(2, 9)} passengers, ref {order}.", f"The {product} is back in stock.",
            f"Refund for {code} approved.", "Please send a copy of your HKID.",
            f"Total HK${price} for {rng.randint(2, 5)} items."]))
    return personal, plain


def test_hk_chats_leak_no_identifier_and_keep_business_sentences(engine):
    personal, plain = chats(60, seed=25)
    out = engine.anonymize_texts([t for t, _ in personal] + plain)
    leaks = [v for (_, values), o in zip(personal, out) for v in values if v in o.text]
    assert leaks == []
    changed = [t for t, o in zip(plain, out[len(personal):]) if o.text != t]
    assert changed == []
