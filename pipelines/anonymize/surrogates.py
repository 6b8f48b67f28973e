"""No surrogate is a value detected anywhere in the dataset, in one pass.

The surrogate operator (operators.py) avoids the values detected beside the one it
replaces, but which values a dataset holds is known only once all of it is read. So
every anonymized record carries its surrogates' places (``SURROGATES``: column,
start, end, entity and a keyed seed; no value), and the dataset's writer, which
runs after the whole input is anonymized (it sits behind a GroupByKey), holds the
keyed subject tokens of every value detected in the run as a side input. A fake
whose token is among them is drawn again, deterministically from its seed and a
counter, as a fake of the same length (so the findings' output offsets stay valid)
whose token is not; when no such fake is found, the record is left out and
quarantined (SURROGATE_COLLISION): a colliding fake is never written.

A redraw depends only on the seed (the keyed hash of the entity and the value), the
length of the first fake and the detected set, so one value gets the same fake in
every record: pseudonymized data stays linkable.
"""
from __future__ import annotations

import functools
import hashlib
import random
import string

from pipelines.anonymize.operators import ZH_GIVEN, ZH_SURNAMES
from pipelines.record import SURROGATES
from privenance.errors import Reason, RecordRejected
from privenance.identifiers import HK_GIVEN, HK_SURNAMES, hkid_ok
from privenance.subject_tokens import SUBJECT_ENTITIES
from privenance.textnorm import CJK

REDRAWS = 100  # fakes tried before a record is left out (fail closed)


def span(column: str, start: int | None, end: int | None, entity: str, seed: str) -> tuple:
    """A surrogate's place in a record: ``start``/``end`` None for a whole cell."""
    return (column, start, end, entity, seed)


def checked(entity: str) -> bool:
    """Entities whose detected values are known as subject tokens, so a fake of them
    can be checked (the others have no token to collide with)."""
    return entity in SUBJECT_ENTITIES


def redraw(seed: str, entity: str, fake: str, attempt: int) -> str:
    """The ``attempt``-th redraw of ``fake`` (its seed's): a fake of the same entity and
    length, from the seed and the counter only."""
    digest = hashlib.sha256(f"{seed}\x1f{attempt}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    if entity == "PERSON":
        return _name(rng, fake)
    if entity == "EMAIL_ADDRESS" and "@" in fake:  # the reserved example domain kept
        user, _, domain = fake.rpartition("@")
        return f"{_reshape(rng, user)}@{domain}"
    if entity == "PHONE_NUMBER" and fake.startswith("555-"):  # the fictional prefix kept
        return "555-" + _reshape(rng, fake[4:])
    if entity == "HK_ID" and len(fake) == 10 and fake[7] == "(" and fake[-1] == ")":
        letter, digits = rng.choice("ABCDEGHKMPRVYZ"), f"{rng.randint(0, 999999):06d}"
        wrong = [c for c in "0123456789A" if not hkid_ok(letter, digits, c)]
        return f"{letter}{digits}({rng.choice(wrong)})"
    return _reshape(rng, fake)


def _name(rng: random.Random, fake: str) -> str:
    length = len(fake)
    if CJK.search(fake):
        if length == 3:  # surname and given name, as the operator draws them
            return rng.choice(ZH_SURNAMES) + rng.choice(ZH_GIVEN)
        return _reshape(rng, fake)
    shapes = _name_shapes()
    order = [shapes[0], shapes[1]] if rng.random() < 0.5 else [shapes[1], shapes[0]]
    for first, last in order:  # "First Last" of exactly ``length`` characters
        splits = sorted(n for n in first if length - 1 - n in last)
        if splits:
            n = rng.choice(splits)
            return f"{rng.choice(first[n])} {rng.choice(last[length - 1 - n])}"
    return _reshape(rng, fake)


@functools.lru_cache(maxsize=1)
def _name_shapes() -> tuple:
    """(first parts, last parts) by length, for Cantonese romanized names (surname
    first) and English ones (Faker en_US's lists, as the operator draws from)."""
    from faker.providers.person.en_US import Provider

    def by_length(names) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for name in sorted(set(names)):
            out.setdefault(len(name), []).append(name)
        return out
    return ((by_length(HK_SURNAMES), by_length(HK_GIVEN)),
            (by_length(Provider.first_names), by_length(Provider.last_names)))


_CJK_CHARACTERS = "".join(sorted(set(ZH_SURNAMES + "".join(ZH_GIVEN))))


def _reshape(rng: random.Random, text: str) -> str:
    """Every letter, digit and Chinese character drawn again, of the same kind and case;
    the rest (spaces, punctuation) kept: the same length and shape."""
    out = []
    for c in text:
        if c in string.ascii_lowercase:
            out.append(rng.choice(string.ascii_lowercase))
        elif c in string.ascii_uppercase:
            out.append(rng.choice(string.ascii_uppercase))
        elif c.isdigit():
            out.append(rng.choice(string.digits))
        elif CJK.match(c):
            out.append(rng.choice(_CJK_CHARACTERS))
        else:
            out.append(c)
    return "".join(out)


def unique_redraw(seed: str, entity: str, fake: str, detected, token) -> str | None:
    """The first redraw of ``fake`` whose ``token(entity, ...)`` is not in ``detected``,
    None after REDRAWS tries."""
    for attempt in range(1, REDRAWS + 1):
        candidate = redraw(seed, entity, fake, attempt)
        if token(entity, candidate) not in detected:
            return candidate
    return None


class UniqueSurrogates:
    """What the dataset's writer does to each record before writing it: every surrogate
    whose token is in the run's detected set is replaced by its unique redraw. Resolves
    the key (``key_ref``, privenance/keyref.py) in ``setup``."""

    CACHE = 20_000  # redraws remembered: a value recurs across records

    def __init__(self, key_ref):
        self.key_ref = key_ref
        self._redrawn: dict = {}

    def setup(self) -> None:
        from privenance.subject_tokens import SubjectTokens
        self.token = SubjectTokens(self.key_ref.resolve()).token

    def fix(self, record: dict, detected) -> int:
        """Replace ``record``'s colliding surrogates in place; the number replaced.
        Raises RecordRejected (SURROGATE_COLLISION) when one has no unique redraw."""
        redrawn = 0
        for column, start, end, entity, seed in record.pop(SURROGATES, None) or ():
            cell = record.get(column)
            if not isinstance(cell, str):
                continue
            start, end = (0, len(cell)) if start is None else (start, end)
            fake = cell[start:end]
            if self.token(entity, fake) not in detected:
                continue
            key = (seed, entity, fake)
            if key not in self._redrawn:
                if len(self._redrawn) >= self.CACHE:
                    self._redrawn.clear()
                self._redrawn[key] = unique_redraw(seed, entity, fake, detected, self.token)
            new = self._redrawn[key]
            if new is None:
                raise RecordRejected(Reason.SURROGATE_COLLISION,
                                     f"a surrogate in {column} equals a value detected in the "
                                     f"data and no other fake was found in {REDRAWS} tries")
            record[column] = cell[:start] + new + cell[end:]
            redrawn += 1
        return redrawn
