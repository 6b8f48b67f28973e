"""Anonymization operators, chosen per entity by name in the policy (as in Presidio).

Every operator is deterministic for a given key: the same value gives the same
output in every record, run and worker, so pseudonymized data stays linkable for
training and a key holder can answer access requests. Never an unkeyed or randomly
salted hash (Presidio's own ``hash`` salts each value, which breaks linkage).
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import random
import re

from privenance.errors import ConfigError
from privenance.keys import Secret

CJK = re.compile(r"[\u3400-\u9fff]")


class Operator:
    """Turns one detected value of an entity into its replacement."""

    name = "operator"

    def __init__(self, key: Secret, params: dict):
        self.params = params

    def __call__(self, value: str, entity: str) -> str:
        raise NotImplementedError


class Keep(Operator):
    name = "keep"

    def __call__(self, value, entity):
        return value


class Redact(Operator):
    name = "redact"

    def __call__(self, value, entity):
        return ""


class Replace(Operator):
    name = "replace"

    def __call__(self, value, entity):
        return str(self.params.get("new_value", f"<{entity}>"))


class Mask(Operator):
    name = "mask"

    def __call__(self, value, entity):
        keep = int(self.params.get("chars_to_keep", 4))
        char = str(self.params.get("masking_char", "*"))
        visible = value[-keep:] if keep and len(value) > keep else ""
        return char * (len(value) - len(visible)) + visible


class Hash(Operator):
    """HMAC-SHA256 under a subkey: linkable across the dataset, useless without the key."""

    name = "hash"

    def __init__(self, key, params):
        super().__init__(key, params)
        self.key, self.length = key.derive("hash"), int(params.get("length", 16))

    def __call__(self, value, entity):
        digest = hmac.new(self.key, f"{entity}\x1f{value.strip()}".encode(), hashlib.sha256)
        return digest.hexdigest()[: self.length]


class Encrypt(Operator):
    """Deterministic authenticated encryption (AES-SIV): reversible by the key holder."""

    name = "encrypt"

    def __init__(self, key, params):
        super().__init__(key, params)
        from cryptography.hazmat.primitives.ciphers.aead import AESSIV
        self.aead = AESSIV(key.derive("encrypt", 64))

    def __call__(self, value, entity):
        token = self.aead.encrypt(value.encode(), [entity.encode()])
        return "ENC:" + base64.urlsafe_b64encode(token).decode().rstrip("=")


def decrypt(token: str, entity: str, key: Secret) -> str:
    """Recover a value written by the ``encrypt`` operator (for access requests)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESSIV
    raw = token.removeprefix("ENC:")
    data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    return AESSIV(key.derive("encrypt", 64)).decrypt(data, [entity.encode()]).decode()


HK_SURNAMES = ["Chan", "Wong", "Lee", "Cheung", "Lau", "Ng", "Ho", "Leung", "Lam", "Tsang", "Yip",
               "Chow", "Tang", "Kwok", "Fung", "Yeung", "Mak", "Tse", "Lo", "Hui", "Chu", "Poon"]
HK_GIVEN = ["Tai Man", "Siu Ming", "Ka Yan", "Wing Sze", "Chi Keung", "Mei Ling", "Ho Yin",
            "Ka Wai", "Suet Ying", "Kin Wah", "Hiu Tung", "Wai Lun", "Pui Shan", "Tsz Kin"]
ZH_SURNAMES = "陳黃李張梁林劉吳何鄭蔡郭曾謝馮"
ZH_GIVEN = ["大文", "小明", "嘉欣", "詠詩", "志強", "美玲", "浩賢", "家慧", "子軒", "凱琳"]


class Surrogate(Operator):
    """A realistic fake chosen by keyed hash: the same person gets the same fake
    everywhere. Emails use reserved example domains and phones a 555 prefix, so a
    surrogate can never be a real person's identifier."""

    name = "surrogate"

    def __init__(self, key, params):
        super().__init__(key, params)
        self.key = key.derive("surrogate")
        self._faker = None

    def _rng(self, value, entity) -> random.Random:
        seed = hmac.new(self.key, f"{entity}\x1f{value.strip().casefold()}".encode(),
                        hashlib.sha256).digest()
        return random.Random(int.from_bytes(seed[:8], "big"))

    def __call__(self, value, entity):
        rng = self._rng(value, entity)
        if entity == "PERSON":
            if CJK.search(value):
                return rng.choice(ZH_SURNAMES) + rng.choice(ZH_GIVEN)
            if rng.random() < 0.5:
                return f"{rng.choice(HK_SURNAMES)} {rng.choice(HK_GIVEN)}"
            return self._fake(rng).name()
        if entity == "EMAIL_ADDRESS":
            fake = self._fake(rng)
            return f"{fake.user_name()}{rng.randint(1, 99)}@{rng.choice(['example.com', 'example.org', 'example.net'])}"
        if entity == "PHONE_NUMBER":
            return f"555-{rng.randint(0, 9999):04d}"
        return f"<{entity}>"

    def _fake(self, rng):
        from faker import Faker
        if self._faker is None:
            self._faker = Faker("en_US")
        self._faker.seed_instance(rng.getrandbits(64))
        return self._faker


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y",
                 "%Y/%m/%d", "%d-%m-%Y")


def parse_date(value: str) -> dt.date | None:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    return None


class GeneralizeDate(Operator):
    """Keep the month (or the year) only."""

    name = "generalize_date"

    def __call__(self, value, entity):
        date = parse_date(value)
        if date is None:
            return f"<{entity}>"
        return str(date.year) if self.params.get("granularity") == "year" else f"{date:%Y-%m}"


class ShiftDate(Operator):
    """Shift by a keyed number of days within ±max_days (params: max_days, default 30)."""

    name = "shift_date"

    def __init__(self, key, params):
        super().__init__(key, params)
        self.key, self.days = key.derive("shift-date"), int(params.get("max_days", 30))

    def __call__(self, value, entity):
        date = parse_date(value)
        if date is None:
            return f"<{entity}>"
        # one shift per dataset key: intervals between a person's dates are preserved
        n = int.from_bytes(hmac.new(self.key, b"shift", hashlib.sha256).digest()[:4], "big")
        return (date + dt.timedelta(days=n % (2 * self.days + 1) - self.days)).isoformat()


OPERATORS = {cls.name: cls for cls in (Keep, Redact, Replace, Mask, Hash, Encrypt, Surrogate,
                                       GeneralizeDate, ShiftDate)}


def build_operator(name: str, key: Secret, params: dict | None = None) -> Operator:
    try:
        return OPERATORS[name](key, dict(params or {}))
    except KeyError:
        raise ConfigError(f"unknown operator {name!r}; choose from {', '.join(OPERATORS)}") from None
