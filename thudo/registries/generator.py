"""Deterministic synthetic people (công dân) in households (hộ gia đình), and businesses.

Pure Python, no database: :class:`PopulationGenerator` turns a seed, a province and its
communes into blocks of rows ready for COPY or ``executemany``. People come from one
``random.Random(seed)`` consumed in a fixed order, so a seed always gives the same people
whatever the block size. Two more generators, seeded from the same seed, are consumed once
per person in the same order: one decides who is a restricted record and who owns a
business, the other makes the businesses (doanh nghiệp, hộ kinh doanh). They leave the
people's own sequence untouched, so a seed gives the same people it gave before businesses
existed.

Speed matters (PERFORMANCE.md: the whole load at ≥ 50,000 people/s), so the hot loop
works on plain tuples and strings: weights are cumulative tables searched with
``bisect``, birth dates are day numbers looked up in a precomputed table, folded names
are computed once per name, and personal IDs need no lookup (see :class:`_IdAllocator`).
"""

from __future__ import annotations

import json
import random
from bisect import bisect
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Generic, NamedTuple, TypeVar

from thudo.core.identifiers import (
    FEMALE,
    MALE,
    PERSONAL_ID_PROVINCES,
    personal_id_prefix,
    tax_check_digit,
)
from thudo.core.text import fold
from thudo.registries import business_data as biz
from thudo.registries import demography as demo
from thudo.registries import names

T = TypeVar("T")

HEAD = "head"
SPOUSE = "spouse"
CHILD = "child"
PARENT = "parent"
OTHER = "other"

# Column order of the rows the generator yields; the loaders use the same names.
PERSON_COLUMNS = (
    "personal_id",
    "family_name",
    "middle_name",
    "given_name",
    "full_name",
    "search_name",
    "birth_date",
    "sex",
    "household_id",
    "relation",
    "commune_id",
    "birth_province_code",
    "batch",
    "restricted",
)
HOUSEHOLD_COLUMNS = (
    "code",
    "province_code",
    "commune_id",
    "address",
    "head_personal_id",
    "created",
    "batch",
)
BUSINESS_COLUMNS = (
    "tax_code",
    "name",
    "kind",
    "status",
    "registered_on",
    "province_code",
    "address",
    "commune_id",
    "representative_personal_id",
    "representative_name",
    "lines",
    "restricted",
    "batch",
)
# People and businesses have an ``updated_at`` too, left out of the rows: the database
# stamps it (see models.Person.updated_at), or the SQLite loader adds it.

YEAR = 365.2425
_AGE_20 = int(20 * YEAR)
_AGE_40 = int(40 * YEAR)
# Children of one mother are at least this many days apart (twins are not modelled).
_MIN_BIRTH_GAP = 400
_EXTRA_BIRTH_GAP = 1400

SUFFIX_SPACE = 1_000_000
# Digits 7–12 of a personal ID: counters below OWN_BLOCK number the people registered in
# the generated province itself; each generated province (by its 2-digit code) then has
# its own MIGRANT_BLOCK of counters in every other province's prefixes. So populations of
# different provinces never collide, whatever their seeds.
OWN_BLOCK = 500_000
MIGRANT_BLOCK = 5_000

# Digits 3–9 of a business tax code: a sequence through an affine permutation, like the
# personal IDs' suffixes; sequences whose check digit would be 10 are skipped.
TAX_SEQUENCE_SPACE = 10_000_000


class Commune(NamedTuple):
    """A commune (xã, phường) the generator may place households in."""

    id: int
    code: str
    kind: str


class Block(NamedTuple):
    """Rows for a run of whole households and the businesses their members own, in
    HOUSEHOLD_COLUMNS / PERSON_COLUMNS / BUSINESS_COLUMNS order."""

    households: list[tuple[str, ...]]
    people: list[tuple[str, ...]]
    businesses: list[tuple[str, ...]]


class _Table(Generic[T]):
    """Items with cumulative weights normalised to 1: ``items[bisect(cum, random())]``."""

    __slots__ = ("cum", "items")

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        total = float(sum(weight for _item, weight in pairs))
        acc = 0.0
        cum: list[float] = []
        for _item, weight in pairs:
            acc += weight
            cum.append(acc / total)
        # random() < 1.0, so with the last bound exactly 1.0 bisect never runs past the end.
        cum[-1] = 1.0
        self.items: tuple[T, ...] = tuple(item for item, _weight in pairs)
        self.cum = cum


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, month=3, day=1)


class PopulationError(ValueError):
    """The generator cannot satisfy the request (e.g. a personal-ID block is full)."""


def migrant_weights(own: str) -> list[tuple[str, float]]:
    """Provinces that migrants were registered in, nearer ones more often.

    GSO codes run roughly north to south, so the distance between codes stands in for
    the distance between provinces: enough to make a Hanoian migrant more likely to come
    from Nam Định (036) than from Cà Mau (096).
    """
    own_number = int(own)
    return [
        (code, 1.0 / (1.0 + abs(int(code) - own_number) / 10.0))
        for code in sorted(PERSONAL_ID_PROVINCES)
        if code != own
    ]


class _IdAllocator:
    """Unique personal IDs without a lookup.

    Each prefix (birth-registration province, century and sex, birth year) has a counter;
    the counter goes through an affine permutation of 0..999,999 whose multiplier is odd
    and not a multiple of 5, hence coprime to 10⁶: a bijection, so the last six digits
    look random yet never repeat. The permutation depends only on the prefix, and the
    counter ranges are disjoint per generated province (OWN_BLOCK, MIGRANT_BLOCK).
    """

    def __init__(self, province_code: str) -> None:
        self.own = f"0{province_code}"
        self.migrant_base = OWN_BLOCK + int(province_code) * MIGRANT_BLOCK
        self.state: dict[tuple[str, int, str], _Prefix] = {}

    def new_prefix(self, key: tuple[str, int, str]) -> _Prefix:
        province, year, sex = key
        prefix = personal_id_prefix(province=province, birth_year=year, sex=sex)
        rng = random.Random(f"personal-id:{prefix}")  # noqa: S311 - reproducible, not secret
        multiplier = rng.randrange(100_001, SUFFIX_SPACE, 2)
        while multiplier % 5 == 0:
            multiplier = rng.randrange(100_001, SUFFIX_SPACE, 2)
        offset = rng.randrange(SUFFIX_SPACE)
        start = 0 if province == self.own else self.migrant_base
        limit = OWN_BLOCK if province == self.own else self.migrant_base + MIGRANT_BLOCK
        entry = _Prefix(prefix, multiplier, offset, start, limit)
        self.state[key] = entry
        return entry


class _Prefix:
    """One personal-ID prefix: its permutation and the next counter to use."""

    __slots__ = ("counter", "limit", "multiplier", "offset", "prefix")

    def __init__(self, prefix: str, multiplier: int, offset: int, counter: int, limit: int) -> None:
        self.prefix = prefix
        self.multiplier = multiplier
        self.offset = offset
        self.counter = counter
        self.limit = limit


class _TaxCodes:
    """Unique 10-digit tax codes (mã số doanh nghiệp) of one province, without a lookup.

    N1–N2 are the province's GSO code (01 for Hanoi; the tax administration numbers
    other provinces its own way, which is not modelled), N3–N9 a counter through an
    affine permutation of 0..9,999,999 fixed per province (multiplier coprime to 10⁷, so
    a bijection), N10 the check digit. Codes of different provinces never collide.

    The check digit is ``10 − (Σ digitᵢ·weightᵢ mod 11)``, linear in the digits, so it is
    computed from two tables of partial sums (digits 3–5 and 6–9) instead of digit by
    digit. The weights are read back from ``core.identifiers.tax_check_digit`` itself
    (one digit set at a time) so that the rule has one definition; the tests check every
    generated code with ``check_tax_code``.
    """

    def __init__(self, province_code: str) -> None:
        self.prefix = province_code
        rng = random.Random(f"tax-code:{province_code}")  # noqa: S311 - reproducible, not secret
        multiplier = rng.randrange(1_000_001, TAX_SEQUENCE_SPACE, 2)
        while multiplier % 5 == 0:
            multiplier = rng.randrange(1_000_001, TAX_SEQUENCE_SPACE, 2)
        self.multiplier = multiplier
        self.offset = rng.randrange(TAX_SEQUENCE_SPACE)
        self.counter = 0
        weights = [_weight_mod_11(position) for position in range(9)]
        self.base = sum(int(d) * w for d, w in zip(province_code, weights, strict=False))
        self.high = [_partial_sum(n, 3, weights[2:5]) for n in range(1_000)]
        self.low = [_partial_sum(n, 4, weights[5:9]) for n in range(10_000)]

    def next(self) -> str:
        multiplier, offset, counter = self.multiplier, self.offset, self.counter
        while counter < TAX_SEQUENCE_SPACE:
            sequence = (multiplier * counter + offset) % TAX_SEQUENCE_SPACE
            counter += 1
            remainder = (
                self.base + self.high[sequence // 10_000] + self.low[sequence % 10_000]
            ) % 11
            if remainder:  # 0 would need a check digit of 10: no such code
                self.counter = counter
                return f"{self.prefix}{sequence:07d}{10 - remainder}"
        raise PopulationError(f"no tax codes left for province {self.prefix}")


def _weight_mod_11(position: int) -> int:
    """Weight of one of the first nine digits of a tax code, modulo 11."""
    digits = ["0"] * 9
    digits[position] = "1"
    check = tax_check_digit("".join(digits))
    if check is None:  # a weight that is a multiple of 11 contributes nothing
        return 0
    return (10 - check) % 11


def _partial_sum(number: int, width: int, weights: list[int]) -> int:
    text = f"{number:0{width}d}"
    return sum(int(d) * w for d, w in zip(text, weights, strict=True))


def _sex_table_pair(
    older: Sequence[tuple[str, float]], younger: Sequence[tuple[str, float]]
) -> tuple[_Table[str], _Table[str]]:
    return _Table(older), _Table(younger)


class _Member(NamedTuple):
    sex: str
    birth: int  # day number (date.toordinal)
    family: str
    relation: str


class PopulationGenerator:
    """Builds households of 1–7 people in the communes of one province.

    ``created`` is the household creation time as the database expects it in text form;
    ``batch`` marks every row so that one population can be told from another.
    """

    def __init__(
        self,
        *,
        seed: int,
        province_code: str,
        communes: Sequence[Commune],
        batch: str,
        created: str,
        reference: date = demo.REFERENCE_DATE,
    ) -> None:
        if not communes:
            raise PopulationError("no communes to place households in")
        self.province_code = province_code
        self.communes = [(str(c.id), c.kind == "ward") for c in communes]
        self.batch = batch
        self.created = created
        # Synthetic data must be reproducible from its seed; nothing here is secret.
        self.rng = random.Random(seed)  # noqa: S311
        self.ids = _IdAllocator(province_code)
        self.ref = reference.toordinal()
        # Day numbers from the oldest possible birth to the reference day, as ISO text
        # and year: one list lookup instead of a date object per person.
        self.first_day = self.ref - int((demo.MAX_AGE + 1) * YEAR)
        self.days: list[tuple[str, int]] = []
        for ordinal in range(self.first_day, self.ref + 1):
            day = date.fromordinal(ordinal)
            self.days.append((day.isoformat(), day.year))
        self.oldest_birth = self.ref - int(demo.MAX_AGE * YEAR)
        # Calendar arithmetic, not days: 18 × 365.2425 days can fall a day short of 18 years.
        self.latest_adult = _years_before(reference, demo.HEAD_MIN_AGE).toordinal()

        self.families = _Table(names.family_names(province_code))
        self.male_middle = _sex_table_pair(names.MALE_MIDDLE_OLDER, names.MALE_MIDDLE_YOUNGER)
        self.female_middle = _sex_table_pair(names.FEMALE_MIDDLE_OLDER, names.FEMALE_MIDDLE_YOUNGER)
        self.male_given = _Table(names.MALE_GIVEN)
        self.female_given = _Table(names.FEMALE_GIVEN)
        self.size_bands = [age for age, _sizes in demo.HOUSEHOLD_SIZES_BY_HEAD_AGE]
        self.size_tables = [_Table(sizes) for _age, sizes in demo.HOUSEHOLD_SIZES_BY_HEAD_AGE]
        self.head_groups = _Table(demo.HEAD_AGE_GROUPS)
        self.migrants = _Table(migrant_weights(self.ids.own))
        every_name = {
            *self.families.items,
            *self.male_given.items,
            *self.female_given.items,
            *(n for table in (*self.male_middle, *self.female_middle) for n in table.items),
        }
        self.folded = {name: fold(name) for name in every_name}

        self.streets = _Table(
            [
                (s, 1.0)
                for s in (names.HANOI_STREETS if province_code == "01" else names.COMMON_STREETS)
            ]
        )
        self.alley, self.hamlet = names.address_words(province_code)
        self.households_made = 0

        # Who is restricted and who owns a business: one draw per person from a generator
        # of its own (see the module docstring); businesses from another.
        self.flags = random.Random(f"records:{seed}")  # noqa: S311
        self.business_rng = random.Random(f"businesses:{seed}")  # noqa: S311
        self.owner_cut = biz.RESTRICTED_SHARE + biz.OWNER_SHARE_OF_ADULTS
        self.tax_codes = _TaxCodes(province_code)
        self.kinds = _Table(biz.KINDS)
        self.statuses = _Table(biz.STATUSES)
        # Each sector with its registered lines as JSON text, for every number of lines
        # (main line first), and each household line alone: no encoding per business.
        self.sectors = _Table(
            [
                ((phrase, [json.dumps(lines[:n]) for n in range(1, len(lines) + 1)]), weight)
                for (phrase, lines), weight in biz.SECTORS
            ]
        )
        self.household_lines = _Table(biz.HOUSEHOLD_LINES)
        self.single_line = {code: json.dumps([code]) for code in self.household_lines.items}
        self.first_registration = date(biz.FIRST_REGISTRATION_YEAR, 1, 1).toordinal()
        self.company_names: set[str] = set()

    # --- households ---------------------------------------------------------------------

    def blocks(self, size: int, *, block_people: int = 20_000) -> Iterator[Block]:
        """Exactly ``size`` people, in blocks of whole households of about ``block_people``."""
        remaining = size
        while remaining > 0:
            households: list[tuple[str, ...]] = []
            people: list[tuple[str, ...]] = []
            businesses: list[tuple[str, ...]] = []
            while remaining > 0 and len(people) < block_people:
                members = self._members(remaining)
                households.append(self._emit(members, people, businesses))
                remaining -= len(members)
            yield Block(households, people, businesses)

    def _head_age(self) -> float:
        rnd = self.rng.random
        start = self.head_groups.items[bisect(self.head_groups.cum, rnd())]
        low = max(start, demo.HEAD_MIN_AGE)
        return low + (start + 5 - low) * rnd()

    def _family(self) -> str:
        return self.families.items[bisect(self.families.cum, self.rng.random())]

    def _age_gap(self) -> int:
        """Days by which a husband is older than his wife (negative: younger)."""
        return int(self.rng.triangular(-3.0, 10.0, 3.0) * YEAR)

    def _members(self, at_most: int) -> list[_Member]:
        """Who lives in one household: head first, then spouse, children, parents, other."""
        rnd = self.rng.random
        ref = self.ref
        age = self._head_age()
        head_birth = min(ref - int(age * YEAR), self.latest_adult)
        sizes = self.size_tables[bisect(self.size_bands, age) - 1]
        size = min(sizes.items[bisect(sizes.cum, rnd())], at_most)
        if size == 1:
            sex = FEMALE if rnd() < (0.65 if age >= 60 else 0.45) else MALE
            return [_Member(sex, head_birth, self._family(), HEAD)]

        couple_chance = 0.78 if size == 2 else 0.9
        if age >= 75:  # widowhood
            couple_chance *= 0.6
        couple = rnd() < couple_chance
        slots = size - (2 if couple else 1)
        # Three generations under an older head: a married child (mostly a son, who stays
        # with his parents) with his or her spouse and their children.
        three_generations = age >= 50 and slots >= 3 and rnd() < 0.5
        n_parents = n_other = 0
        if not three_generations:
            if slots and rnd() < (0.25 if age < 50 else 0.12 if age < 60 else 0.03):
                n_parents = 2 if slots >= 2 and size >= 5 and rnd() < 0.3 else 1
            n_other = 1 if n_parents == 0 and slots >= 1 and rnd() < 0.04 else 0
        n_children = slots - n_parents - n_other

        # Husbands head most couples; lone parents are mostly mothers.
        head_male = rnd() < (0.78 if couple else 0.25 if n_children else 0.5)
        head_family = self._family()
        members = [_Member(MALE if head_male else FEMALE, head_birth, head_family, HEAD)]

        father: int | None = None
        mother: int | None = None
        if couple:
            spouse_sex = FEMALE if head_male else MALE
            spouse_birth = self._spouse_birth(head_birth, head_male)
            spouse_family = self._family()
            members.append(_Member(spouse_sex, spouse_birth, spouse_family, SPOUSE))
            father, mother = (head_birth, spouse_birth) if head_male else (spouse_birth, head_birth)
            # Children take their father's family name.
            child_family = head_family if head_male else spouse_family
        elif head_male:
            father, child_family = head_birth, head_family
        else:
            mother, child_family = head_birth, self._family()

        if three_generations:
            members += self._family_of_married_child(slots, father, mother, child_family)
            return members
        if n_children:
            members += self._children(n_children, father, mother, child_family)
        if n_parents:
            members += self._parents_of(head_birth, head_family, n_parents)
        if n_other:
            # A brother or sister of the head (anh chị em ruột): same father, same name.
            birth = head_birth + int((rnd() * 24.0 - 12.0) * YEAR)
            birth = min(max(birth, self.oldest_birth), ref)
            members.append(_Member(MALE if rnd() < 0.5 else FEMALE, birth, head_family, OTHER))
        return members

    def _spouse_birth(self, birth: int, male: bool) -> int:
        """Birth day of the spouse of someone born on ``birth``; spouses are adults."""
        gap = self._age_gap()
        spouse = birth + gap if male else birth - gap
        if spouse > self.latest_adult:
            spouse = self.latest_adult - int(self.rng.random() * YEAR)
        # Nobody is older than MAX_AGE: the day table starts there.
        return max(spouse, self.oldest_birth)

    def _family_of_married_child(
        self, slots: int, father: int | None, mother: int | None, family: str
    ) -> list[_Member]:
        """A married child of the head, the child's spouse and grandchildren (cháu)."""
        rnd = self.rng.random
        son = rnd() < 0.75
        married = self._children(1, father, mother, family, sex=MALE if son else FEMALE)
        if not married:
            return []
        child = married[0]
        in_law_birth = self._spouse_birth(child.birth, son)
        in_law = _Member(FEMALE if son else MALE, in_law_birth, self._family(), OTHER)
        grandchildren = self._children(
            slots - 2,
            child.birth if son else in_law_birth,
            in_law_birth if son else child.birth,
            family if son else in_law.family,
            relation=OTHER,
        )
        return [child, in_law, *grandchildren]

    def _children(
        self,
        count: int,
        father: int | None,
        mother: int | None,
        family: str,
        *,
        sex: str | None = None,
        relation: str = CHILD,
    ) -> list[_Member]:
        """Children born when each present parent was 20–40, at least 400 days apart."""
        rnd = self.rng.random
        low, high = self.first_day, self.ref
        for parent in (father, mother):
            if parent is not None:
                low = max(low, parent + _AGE_20 + 1)
                high = min(high, parent + _AGE_40 - 1)
        window = high - low
        if window < 0:
            return []
        count = min(count, 1 + window // _MIN_BIRTH_GAP)
        extras = [rnd() * _EXTRA_BIRTH_GAP for _ in range(count - 1)]
        room = window - (count - 1) * _MIN_BIRTH_GAP
        if sum(extras) > room:
            scale = room / sum(extras)
            extras = [extra * scale for extra in extras]
        span = (count - 1) * _MIN_BIRTH_GAP + int(sum(extras))
        # Skewed towards the start of the window: most first births come in the twenties.
        birth = low + int((window - span) * rnd() ** 1.2)
        children = []
        for index in range(count):
            if index:
                birth += _MIN_BIRTH_GAP + int(extras[index - 1])
            if sex is None:
                year = self.days[birth - self.first_day][1]
                boy = (
                    demo.BOY_SHARE_RECENT if year >= demo.SEX_RATIO_FROM else demo.BOY_SHARE_EARLIER
                )
                children.append(_Member(MALE if rnd() < boy else FEMALE, birth, family, relation))
            else:
                children.append(_Member(sex, birth, family, relation))
        return children

    def _parents_of(self, head_birth: int, head_family: str, count: int) -> list[_Member]:
        """The head's father and/or mother: the head was born when they were 20–40."""
        rnd = self.rng.random
        low = max(head_birth - _AGE_40 + 1, self.oldest_birth)
        high = head_birth - _AGE_20 - 1
        if low > high:
            return []
        mother = low + int((high - low) * rnd())
        if count == 1:
            if rnd() < 0.65:
                return [_Member(FEMALE, mother, self._family(), PARENT)]
            return [_Member(MALE, mother, head_family, PARENT)]
        father = min(max(mother - self._age_gap(), low), high)
        return [
            _Member(MALE, father, head_family, PARENT),
            _Member(FEMALE, mother, self._family(), PARENT),
        ]

    # --- rows ---------------------------------------------------------------------------

    def _address(self, urban: bool, rng: random.Random | None = None) -> str:
        rnd = (rng or self.rng).random
        if not urban:
            village = names.VILLAGES[int(rnd() * len(names.VILLAGES))]
            group = "Xóm" if self.hamlet == "thôn" else "Tổ"
            return f"{group} {1 + int(rnd() * 12)}, {self.hamlet} {village}"
        kind, street = self.streets.items[bisect(self.streets.cum, rnd())]
        number = 1 + int(rnd() * 150)
        shape = rnd()
        if shape < 0.35:
            return f"Số {number}, {kind} {street}"
        alley = 1 + int(rnd() * 300)
        if shape < 0.85:
            return f"Số {number}, {self.alley} {alley}, {kind} {street}"
        branch = 1 + int(rnd() * 60)
        if self.alley == "hẻm":
            return f"Số {number}, hẻm {alley}/{branch}, {kind} {street}"
        return f"Số {number}, ngách {branch}, ngõ {alley}, {kind} {street}"

    def _emit(
        self,
        members: list[_Member],
        people: list[tuple[str, ...]],
        businesses: list[tuple[str, ...]],
    ) -> tuple[str, ...]:
        """Append the members' rows to ``people`` and those of the businesses they own to
        ``businesses``; return the household's row."""
        rnd = self.rng.random
        flag = self.flags.random
        restricted_share, owner_cut = biz.RESTRICTED_SHARE, self.owner_cut
        latest_adult = self.latest_adult
        self.households_made += 1
        code = f"{self.province_code}-{self.households_made:08d}"
        commune_id, urban = self.communes[int(rnd() * len(self.communes))]
        address = self._address(urban)
        days, first_day, folded = self.days, self.first_day, self.folded
        own = self.ids.own
        state = self.ids.state
        migrants = self.migrants
        batch = self.batch
        head_id = ""
        for member in members:
            iso, year = days[member.birth - first_day]
            male = member.sex == MALE
            younger = year >= names.MIDDLE_NAME_ERA_YEAR
            middles = (self.male_middle if male else self.female_middle)[younger]
            givens = self.male_given if male else self.female_given
            middle = middles.items[bisect(middles.cum, rnd())]
            given = givens.items[bisect(givens.cum, rnd())]
            while given == middle:
                given = givens.items[bisect(givens.cum, rnd())]
            migrant_share = (
                demo.MIGRANT_SHARE_CHILD
                if year >= demo.CHILD_COHORT_FROM
                else demo.MIGRANT_SHARE_ADULT
            )
            province = (
                own if rnd() >= migrant_share else migrants.items[bisect(migrants.cum, rnd())]
            )
            key = (province, year, member.sex)
            entry = state.get(key) or self.ids.new_prefix(key)
            counter = entry.counter
            if counter >= entry.limit:
                raise PopulationError(
                    f"too many people with personal-ID prefix {entry.prefix} for one population"
                )
            entry.counter = counter + 1
            personal_id = (
                f"{entry.prefix}{(entry.multiplier * counter + entry.offset) % SUFFIX_SPACE:06d}"
            )
            family = member.family
            full_name = f"{family} {middle} {given}"
            draw = flag()
            people.append(
                (
                    personal_id,
                    family,
                    middle,
                    given,
                    full_name,
                    f"{folded[family]} {folded[middle]} {folded[given]}",
                    iso,
                    member.sex,
                    code,
                    member.relation,
                    commune_id,
                    province,
                    batch,
                    "1" if draw < restricted_share else "0",
                )
            )
            if member.relation == HEAD:
                head_id = personal_id
            if restricted_share <= draw < owner_cut and member.birth <= latest_adult:
                businesses.append(
                    self._business(personal_id, full_name, member.birth, address, commune_id)
                )
        return (code, self.province_code, commune_id, address, head_id, self.created, batch)

    def _business(
        self, owner_id: str, owner_name: str, owner_birth: int, home: str, home_commune: str
    ) -> tuple[str, ...]:
        """A business owned (and legally represented) by this person.

        Household businesses trade at the owner's home under the owner's name; companies
        have a head office of their own somewhere in the province.
        """
        rng = self.business_rng
        rnd = rng.random
        kinds, statuses = self.kinds, self.statuses
        kind = kinds.items[bisect(kinds.cum, rnd())]
        status = statuses.items[bisect(statuses.cum, rnd())]
        # From the owner's 18th birthday (owners are adults on the reference day).
        born = date.fromordinal(owner_birth)
        adult = _years_after(born, demo.HEAD_MIN_AGE).toordinal()
        latest = self.ref
        earliest = min(max(adult, self.first_registration), latest)
        # More registrations in recent years than in early ones.
        registered = earliest + int((latest - earliest) * rnd() ** 0.5)
        if kind == biz.HOUSEHOLD:
            name = f"{biz.NAME_PREFIXES[kind]} {owner_name}"
            address, commune_id = home, home_commune
            table = self.household_lines
            main = table.items[bisect(table.cum, rnd())]
            lines = self.single_line[main]
            if rnd() < 0.2:
                second = table.items[bisect(table.cum, rnd())]
                if second != main:
                    lines = json.dumps([main, second])
        else:
            phrase, choices = self.sectors.items[bisect(self.sectors.cum, rnd())]
            name = self._company_name(f"{biz.NAME_PREFIXES[kind]} {phrase}", rnd)
            commune_id, urban = self.communes[int(rnd() * len(self.communes))]
            address = self._address(urban, rng)
            lines = choices[int(rnd() * len(choices))]
        return (
            self.tax_codes.next(),
            name,
            kind,
            status,
            self.days[registered - self.first_day][0],
            self.province_code,
            address,
            commune_id,
            owner_id,
            owner_name,
            lines,
            "1" if rnd() < biz.RESTRICTED_SHARE else "0",
            self.batch,
        )

    def _company_name(self, stem: str, rnd: Callable[[], float]) -> str:
        """A name no other company of this population has (Enterprise Law 2020, art. 41
        forbids identical names): the stem and a brand, with a number when taken."""
        first, second = biz.BRAND_FIRST, biz.BRAND_SECOND
        brand = first[int(rnd() * len(first))]
        other = second[int(rnd() * len(second))]
        while other == brand:
            other = second[int(rnd() * len(second))]
        name = f"{stem} {brand} {other}"
        while name in self.company_names:
            name = f"{stem} {brand} {other} {2 + int(rnd() * 998)}"
        self.company_names.add(name)
        return name
