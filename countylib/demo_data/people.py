"""Made-up people who look real: names, resident ID numbers, phones, addresses.

``id_number_hash(number, key)`` is the same keyed hash as ``countylib.idnumbers``
(HMAC-SHA256 of the normalised number under the hex key in Setting ``id_hash_key``),
with the key passed in so hundreds of thousands of readers need one settings read.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import hmac
import random
from itertools import accumulate

from pypinyin import lazy_pinyin
from stdnum.cn import ric

from countylib.demo_data import words
from countylib.idnumbers import normalize


def id_number_hash(number: str, key: str) -> str:
    """HMAC-SHA256 (hex) of the normalised ID number under ``key`` (the hex text of the
    library's Setting ``id_hash_key``); equals ``countylib.idnumbers.id_number_hash``."""
    number = normalize(number)
    if not number:
        return ""
    return hmac.new(bytes.fromhex(key), number.encode(), hashlib.sha256).hexdigest()


class Pinyin:
    """Full pinyin and initials of names, one character at a time (cached)."""

    def __init__(self) -> None:
        self._syllable: dict[str, str] = dict(words.SURNAME_READINGS)

    def syllable(self, char: str) -> str:
        found = self._syllable.get(char)
        if found is None:
            found = self._syllable[char] = lazy_pinyin(char)[0].lower()
        return found

    def name(self, surname: str, given: str) -> tuple[str, str]:
        """张三丰 → ("zhangsanfeng", "zsf"); the surname keeps its surname reading."""
        parts = [words.SURNAME_READINGS.get(surname) or self.syllable(surname)]
        parts += [self.syllable(c) for c in given]
        return "".join(parts), "".join(p[0] for p in parts)


class People:
    """Names, ID numbers, phones and addresses drawn from one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pinyin = Pinyin()
        self._surnames = [s for s, _ in words.SURNAMES]
        self._surname_cum = list(accumulate(w for _, w in words.SURNAMES))
        self._issued: set[str] = set()

    def surname(self) -> str:
        rng = self.rng
        return self._surnames[bisect.bisect(self._surname_cum, rng.random() * self._surname_cum[-1])]

    def given_name(self, gender: str, birth_year: int) -> str:
        rng = self.rng
        if birth_year < 1965:
            pool, single = (words.GIVEN_OLD_M if gender == "M" else words.GIVEN_OLD_F), 0.3
        elif birth_year < 2005:
            pool, single = (words.GIVEN_MID_M if gender == "M" else words.GIVEN_MID_F), 0.35
        else:
            pool, single = (words.GIVEN_NEW_M if gender == "M" else words.GIVEN_NEW_F), 0.12
        if rng.random() < single:
            return rng.choice(pool)
        first = rng.choice(pool)
        second = rng.choice(pool)
        while second == first:
            second = rng.choice(pool)
        return first + second

    def name(self, gender: str, birth_year: int, surname: str | None = None) -> tuple[str, str, str]:
        """(name, full pinyin, initials)."""
        surname = surname or self.surname()
        given = self.given_name(gender, birth_year)
        full, initials = self.pinyin.name(surname, given)
        return surname + given, full, initials

    def region(self) -> str:
        rng = self.rng
        return words.HOME_REGION if rng.random() < 0.82 else rng.choice(words.NEIGHBOUR_REGIONS)

    def id_number(self, birth: dt.date, gender: str, region: str | None = None) -> str:
        """A valid 18-digit resident ID: region, birth date, order code (odd for men,
        even for women), check digit. Never the same number twice."""
        rng = self.rng
        head = f"{region or self.region()}{birth:%Y%m%d}"
        while True:
            order = rng.randrange(0, 500) * 2 + (1 if gender == "M" else 0)
            if order == 0:
                continue
            body = f"{head}{order:03d}"
            number = body + ric.calc_check_digit(body + "0")
            if number not in self._issued:
                self._issued.add(number)
                return number

    def phone(self) -> str:
        rng = self.rng
        return f"{rng.choice(words.MOBILE_PREFIXES)}{rng.randrange(100_000_000):08d}"

    def address(self) -> str:
        rng = self.rng
        town = rng.choice(words.TOWNS)
        if town == "凤鸣镇" or rng.random() < 0.3:
            return f"{town}{rng.choice(words.ESTATES)}{rng.randint(1, 18)}号楼{rng.randint(1, 4)}单元{rng.randint(1, 6)}0{rng.randint(1, 4)}室"
        village = rng.choice(words.VILLAGE_PARTS) + rng.choice(words.VILLAGE_NAMES)
        return f"{town}{village}村{rng.randint(1, 9)}组{rng.randint(1, 80)}号"

    def birth_date(self, today: dt.date, min_age: int, max_age: int) -> dt.date:
        rng = self.rng
        age_days = rng.randint(min_age * 365 + 1, max_age * 365 + 300)
        return today - dt.timedelta(days=age_days)
