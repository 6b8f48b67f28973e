"""The real TextAnonymizer (Presidio + spaCy model + HK pack) on generated text."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from faker import Faker

from pipelines.anonymize import TextAnonymizer
from privenance.demo import hk_name, hk_phone, hkid
from privenance.keys import Secret
from privenance.policy import load_policy

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def engine():
    e = TextAnonymizer(load_policy(REPO / "policies/default.yaml"), Secret(b"\x05" * 32, "test"))
    e.setup()
    return e


def planted(n=30, seed=11):
    fake, rng = Faker("en_US"), random.Random(seed)
    Faker.seed(seed)
    rows = []
    for i in range(n):
        email, phone, card = fake.free_email(), hk_phone(rng), hkid(rng)
        name = hk_name(rng)
        if i % 3 == 0:
            text = f"客戶{rng.choice('陳黃李張')}{rng.choice(['大文', '美玲'])}先生的電郵是{email}，電話{phone.replace(' ', '')}，身份證{card}。"
        else:
            text = f"Dear {name}, we will call you on {phone} and email {email}; your HKID {card} is on file."
        rows.append((text, [email, card, phone.replace(" ", "") if i % 3 == 0 else phone]
                     + ([] if i % 3 == 0 else [name])))
    return rows


def test_no_planted_identifier_survives(engine):
    rows = planted()
    out = engine.anonymize_texts([t for t, _ in rows])
    leaks = [(i, v) for i, ((_, values), o) in enumerate(zip(rows, out)) for v in values if v in o.text]
    assert leaks == []
    assert all(engine.residual_entities(o.text) == [] for o in out)
    chinese = out[0].text
    assert "先生" in chinese and not any(s + g in chinese for s in "陳黃李張" for g in ["大文", "美玲"])


def test_non_personal_text_survives_unchanged(engine):
    texts = ["Order #12345 shipped on 3 May 2024 for HK$1,299.",
             "The Hang Seng Index closed at 17,234.5 on 2024-05-03, up 1.2%.",
             "HSBC and Cathay Pacific reported results in Central and Sha Tin."]
    assert [o.text for o in engine.anonymize_texts(texts)] == texts


def test_same_key_same_pseudonyms_other_key_other(engine):
    text = ["Chan Tai Man wrote to chan.taiman@gmail.com."]
    a, b = engine.anonymize_texts(text)[0].text, engine.anonymize_texts(text)[0].text
    other = TextAnonymizer(engine.policy, Secret(b"\x06" * 32, "test"))
    other.setup()
    c = other.anonymize_texts(text)[0].text
    assert a == b and a != c and "Chan Tai Man" not in a


def test_findings_carry_no_values(engine):
    result = engine.anonymize_texts(["Call Wong Siu Ming on +852 9123 4567."])[0]
    assert {f.entity for f in result.findings} >= {"PERSON", "PHONE_NUMBER"}
    for f in result.findings:
        assert set(vars(f)) == {"entity", "start", "end", "score", "operator"}
