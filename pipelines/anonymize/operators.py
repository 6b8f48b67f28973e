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
import itertools
import random

from privenance import plugins
from privenance.errors import ConfigError
from privenance.identifiers import HK_GIVEN, HK_SURNAMES, hkid_ok, luhn_ok
from privenance.keys import Secret
from privenance.subject_tokens import normalize
from privenance.textnorm import CJK


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
    """Keep the last ``chars_to_keep`` characters (default 4), mask the rest with
    ``masking_char`` (default *)."""

    name = "mask"

    def __init__(self, key, params):
        super().__init__(key, params)
        self.keep = _int_param(params, "chars_to_keep", 4)
        self.char = str(params.get("masking_char", "*"))[:1] or "*"

    def __call__(self, value, entity):
        visible = value[-self.keep:] if self.keep and len(value) > self.keep else ""
        return self.char * (len(value) - len(visible)) + visible


def _int_param(params: dict, name: str, default: int) -> int:
    try:
        value = int(params.get(name, default))
    except (TypeError, ValueError):
        raise ConfigError(f"operator parameter {name} must be a whole number",
                          field=f"params.{name}") from None
    if value < 0:
        raise ConfigError(f"operator parameter {name} must not be negative", field=f"params.{name}")
    return value


class Hash(Operator):
    """HMAC-SHA256 under a subkey, as ``length`` hex characters (default 16) with at
    least one letter: linkable across the dataset, useless without the key."""

    name = "hash"

    def __init__(self, key, params):
        super().__init__(key, params)
        self.key, self.length = key.derive("hash"), _int_param(params, "length", 16) or 16

    def __call__(self, value, entity):
        digest = hmac.new(self.key, f"{entity}\x1f{value.strip()}".encode(), hashlib.sha256)
        code = digest.hexdigest()[: self.length]
        if code.isdigit():
            # An all-digit code (1 in 1,845 at 16 characters) can pass a Luhn check or
            # read as a phone number, and the residual scan cannot tell it from one. A
            # letter in front marks it as ours (OWN_OUTPUT in privenance/identifiers.py).
            code = "abcdef"[int(code[0]) % 6] + code[1:]
        return code


class Encrypt(Operator):
    """Deterministic authenticated encryption (AES-SIV): the same value always gives
    the same token, and only the key holder can reverse it (to answer an access
    request with ``decrypt``)."""

    name = "encrypt"

    def __init__(self, key, params):
        super().__init__(key, params)
        from cryptography.hazmat.primitives.ciphers.aead import AESSIV
        self.aead = AESSIV(key.derive("encrypt", 64))

    def __call__(self, value, entity):
        token = self.aead.encrypt(value.encode(), None)
        return "ENC:" + base64.urlsafe_b64encode(token).decode().rstrip("=")


def decrypt(token: str, key: Secret) -> str:
    """Recover a value written by the ``encrypt`` operator. Raises
    ``cryptography.exceptions.InvalidTag`` for another key or an altered token."""
    from cryptography.hazmat.primitives.ciphers.aead import AESSIV
    raw = token.removeprefix("ENC:")
    data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    return AESSIV(key.derive("encrypt", 64)).decrypt(data, None).decode()


# surrogate names: Cantonese romanized and Chinese-script, so Hong Kong data keeps its feel
ZH_SURNAMES = "陳黃李張梁林劉吳何鄭蔡郭曾謝馮楊王周葉羅許朱胡徐潘盧麥余杜湯"
# not 大文 and 小明: the names forms use as examples, which real customers have too
ZH_GIVEN = ["嘉欣", "詠詩", "志強", "美玲", "浩賢", "家慧", "子軒", "凱琳",
            "偉明", "淑儀", "國強", "麗華", "俊傑", "婉婷", "家豪", "慧敏", "志明", "嘉儀",
            "文傑", "雅婷", "建華", "曉彤", "永康", "佩琪", "卓賢", "穎欣", "天佑", "樂怡"]


class Surrogate(Operator):
    """A realistic fake chosen by keyed hash: the same value gets the same fake in
    every record, run and worker; another key gives other fakes. Fakes can never be a
    real person's identifier: emails use the reserved example.com/.org/.net domains,
    phones the 555 prefix, IPs the documentation range 192.0.2.0/24, HKIDs a wrong
    check digit and card numbers a wrong Luhn digit."""

    name = "surrogate"

    def __init__(self, key, params):
        super().__init__(key, params)
        self.key = key.derive("surrogate")
        self._faker = None

    avoids_values = True  # the engine passes the values detected beside this one
    ATTEMPTS = 32

    def seed(self, value: str, entity: str) -> str:
        """The keyed seed of this value's redraws (hex), for the dataset's writer to draw
        a fake again when it equals a value detected elsewhere in the data
        (pipelines/anonymize/surrogates.py): the same for one value in every record,
        and no value in the records the pipeline spills."""
        material = f"redraw\x1f{entity}\x1f{value.strip().casefold()}"
        return hmac.new(self.key, material.encode(), hashlib.sha256).hexdigest()[:32]

    def _rng(self, value, entity, attempt: int = 0) -> random.Random:
        material = f"{entity}\x1f{value.strip().casefold()}"
        if attempt:  # a re-draw: a counter in the keyed hash (the first draw is unchanged)
            material += f"\x1f{attempt}"
        seed = hmac.new(self.key, material.encode(), hashlib.sha256).digest()
        return random.Random(int.from_bytes(seed[:8], "big"))

    def __call__(self, value, entity, avoid=()):
        """A fake for ``value`` that is neither ``value`` nor any of ``avoid`` (the other
        values detected in the same text): a fake equal to a detected value would
        point at a real person. Re-drawn deterministically (a counter in the keyed
        hash); the value itself is always avoided, so its fake is the same everywhere.
        Two spellings are one value as the dataset's subject tokens see them
        (privenance.subject_tokens.normalize), so the writer's dataset-wide check agrees."""
        taken = {normalize(entity, v) for v in (value, *avoid)} - {None}
        for attempt in range(self.ATTEMPTS):
            fake = self._draw(value, entity, attempt)
            if normalize(entity, fake) not in taken:
                return fake
        return f"<{entity}>"

    def _draw(self, value, entity, attempt: int) -> str:
        rng = self._rng(value, entity, attempt)
        if entity == "PERSON":
            if CJK.search(value):
                return rng.choice(ZH_SURNAMES) + rng.choice(ZH_GIVEN)
            if rng.random() < 0.5:  # Hong Kong data: half Cantonese romanized names
                return f"{rng.choice(HK_SURNAMES)} {rng.choice(HK_GIVEN)}"
            return _english_name(rng)
        if entity == "EMAIL_ADDRESS":
            user = self._fake(rng).user_name()
            domain = rng.choice(["example.com", "example.org", "example.net"])
            return f"{user}{rng.randint(1, 99)}@{domain}"
        if entity == "PHONE_NUMBER":
            return f"555-{rng.randint(0, 9999):04d}"
        if entity == "IP_ADDRESS":
            return f"192.0.2.{rng.randint(1, 254)}"
        if entity == "HK_ID":
            letter, digits = rng.choice("ABCDEGHKMPRVYZ"), f"{rng.randint(0, 999999):06d}"
            wrong = [c for c in "0123456789A" if not hkid_ok(letter, digits, c)]
            return f"{letter}{digits}({rng.choice(wrong)})"
        if entity == "CREDIT_CARD":
            digits = "4" + "".join(str(rng.randint(0, 9)) for _ in range(15))
            if luhn_ok(digits):
                digits = digits[:-1] + str((int(digits[-1]) + 1) % 10)
            return " ".join(digits[i:i + 4] for i in range(0, 16, 4))
        if entity == "STREET_ADDRESS":
            return self._fake(rng).street_address()
        return f"<{entity}>"

    def _fake(self, rng):
        from faker import Faker
        if self._faker is None:
            self._faker = Faker("en_US")
        self._faker.seed_instance(rng.getrandbits(64))
        return self._faker


def _english_name(rng: random.Random) -> str:
    """What ``Surrogate._fake(rng)`` gives for ``f"{first_name()} {last_name()}"``:
    Faker en_US seeded the same way, drawing from the same weighted lists, without
    Faker summing a thousand weights on every draw (12 against 144 us a name)."""
    global _NAME_WEIGHTS
    if _NAME_WEIGHTS is None:
        from faker.providers.person.en_US import Provider
        _NAME_WEIGHTS = tuple((list(names), list(itertools.accumulate(names.values())))
                              for names in (Provider.first_names, Provider.last_names))
    draw = random.Random(rng.getrandbits(64))  # Faker's seed_instance
    return " ".join(draw.choices(names, cum_weights=weights)[0] for names, weights in _NAME_WEIGHTS)


_NAME_WEIGHTS: tuple | None = None

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
    """Keep the month (granularity: month, the default) or the year only."""

    name = "generalize_date"

    def __init__(self, key, params):
        super().__init__(key, params)
        self.granularity = params.get("granularity", "month")
        if self.granularity not in ("month", "year"):
            raise ConfigError("granularity must be month or year", field="params.granularity")

    def __call__(self, value, entity):
        date = parse_date(value)
        if date is None:
            return f"<{entity}>"
        return str(date.year) if self.granularity == "year" else f"{date:%Y-%m}"


class ShiftDate(Operator):
    """Shift by a keyed number of days within ±max_days (param, default 30). The shift
    depends on the key and, when given, the subject (e.g. a patient id), so all dates
    of one subject move together and intervals between them are preserved."""

    name = "shift_date"

    def __init__(self, key, params):
        super().__init__(key, params)
        self.key, self.days = key.derive("shift-date"), _int_param(params, "max_days", 30)

    def shift(self, subject: str = "") -> int:
        n = int.from_bytes(hmac.new(self.key, subject.encode(), hashlib.sha256).digest()[:4], "big")
        return n % (2 * self.days + 1) - self.days

    def __call__(self, value, entity, subject: str = ""):
        date = parse_date(value)
        if date is None:
            return f"<{entity}>"
        return (date + dt.timedelta(days=self.shift(subject))).isoformat()


def _implementations(*classes) -> dict[str, type[Operator]]:
    """The classes by name, each registered against an operator the core describes
    (privenance/plugins.py: description, reversible), and one for each of those."""
    out = {cls.name: cls for cls in classes}
    if set(out) != set(plugins.OPERATORS):
        raise RuntimeError(f"operators without a description or an implementation: "
                           f"{', '.join(sorted(set(out) ^ set(plugins.OPERATORS)))}")
    return out


OPERATORS = _implementations(Keep, Redact, Replace, Mask, Hash, Encrypt, Surrogate,
                             GeneralizeDate, ShiftDate)


def build_operator(name: str, key: Secret, params: dict | None = None) -> Operator:
    """The operator called ``name`` with its policy ``params``."""
    plugins.operator_info(name)  # an unknown name is a ConfigError naming the known ones
    return OPERATORS[name](key, dict(params or {}))
