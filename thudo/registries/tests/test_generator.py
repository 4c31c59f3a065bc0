"""The generator alone (no database): determinism, identifiers, households, realism."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date

import pytest

from thudo.core.identifiers import PERSONAL_ID_PROVINCES, check_personal_id, check_tax_code
from thudo.registries import business_data, demography, names
from thudo.registries.generator import (
    BUSINESS_COLUMNS,
    HOUSEHOLD_COLUMNS,
    MIGRANT_BLOCK,
    OWN_BLOCK,
    PERSON_COLUMNS,
    SUFFIX_SPACE,
    Commune,
    PopulationGenerator,
    _IdAllocator,
)

COMMUNES = [
    Commune(11, "00004", "ward"),
    Commune(12, "00008", "ward"),
    Commune(13, "09619", "commune"),
]
P = {name: i for i, name in enumerate(PERSON_COLUMNS)}
B = {name: i for i, name in enumerate(BUSINESS_COLUMNS)}
H = {name: i for i, name in enumerate(HOUSEHOLD_COLUMNS)}


Rows = list[tuple[str, ...]]


def generate(
    size: int, seed: int = 7, province: str = "01", block_people: int = 20_000
) -> tuple[Rows, Rows, Rows]:
    """(households, people, businesses)."""
    generator = PopulationGenerator(
        seed=seed,
        province_code=province,
        communes=COMMUNES,
        batch=f"{province}-{seed}",
        created="2025-01-01 00:00:00",
    )
    households: Rows = []
    people: Rows = []
    businesses: Rows = []
    for block in generator.blocks(size, block_people=block_people):
        households += block.households
        people += block.people
        businesses += block.businesses
    return households, people, businesses


@pytest.fixture(scope="module")
def population() -> tuple[Rows, Rows, Rows]:
    return generate(60_000)


def completed_years(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def test_same_seed_same_people_whatever_the_block_size() -> None:
    assert generate(3_000, block_people=20_000) == generate(3_000, block_people=97)


def test_another_seed_other_people() -> None:
    _h1, one, _b1 = generate(500, seed=1)
    _h2, two, _b2 = generate(500, seed=2)
    assert [p[P["full_name"]] for p in one] != [p[P["full_name"]] for p in two]


def test_exactly_the_requested_number_of_people() -> None:
    for size in (1, 2, 7, 1_001):
        households, people, _businesses = generate(size)
        assert len(people) == size
        assert sum(1 for p in people if p[P["relation"]] == "head") == len(households)


def test_every_personal_id_is_valid_unique_and_agrees_with_the_person(population) -> None:
    _households, people, _businesses = population
    ids = [p[P["personal_id"]] for p in people]
    assert len(set(ids)) == len(ids)
    for person in people:
        birth = date.fromisoformat(person[P["birth_date"]])
        pid = person[P["personal_id"]]
        assert check_personal_id(pid, birth_date=birth, sex=person[P["sex"]]) == pid
        assert pid[:3] == person[P["birth_province_code"]]


def test_most_people_are_registered_in_the_province_some_elsewhere(population) -> None:
    _households, people, _businesses = population
    share = Counter(p[P["birth_province_code"]] == "001" for p in people)[True] / len(people)
    assert 0.8 < share < 0.95
    assert {p[P["birth_province_code"]] for p in people} <= PERSONAL_ID_PROVINCES


def test_suffix_permutation_is_a_bijection() -> None:
    allocator = _IdAllocator("01")
    entry = allocator.new_prefix(("001", 1990, "male"))
    suffixes = {(entry.multiplier * c + entry.offset) % SUFFIX_SPACE for c in range(SUFFIX_SPACE)}
    assert len(suffixes) == SUFFIX_SPACE


def test_populations_of_two_provinces_never_share_an_id() -> None:
    _h1, hanoi, hanoi_businesses = generate(20_000, seed=1, province="01")
    _h2, saigon, saigon_businesses = generate(20_000, seed=2, province="79")
    assert not {p[0] for p in hanoi} & {p[0] for p in saigon}
    assert not {b[0] for b in hanoi_businesses} & {b[0] for b in saigon_businesses}
    assert {b[0][:2] for b in hanoi_businesses} == {"01"}
    assert {b[0][:2] for b in saigon_businesses} == {"79"}
    # Counter ranges: the own block, then one block per generated province.
    assert _IdAllocator("01").migrant_base == OWN_BLOCK + MIGRANT_BLOCK
    assert _IdAllocator("96").migrant_base + MIGRANT_BLOCK <= SUFFIX_SPACE


def test_household_structure(population) -> None:
    households, people, _businesses = population
    members: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for person in people:
        members[person[P["household_id"]]].append(person)
    assert len(members) == len(households)
    for household in households:
        group = members[household[H["code"]]]
        assert 1 <= len(group) <= 7
        heads = [p for p in group if p[P["relation"]] == "head"]
        assert len(heads) == 1
        head = heads[0]
        assert household[H["head_personal_id"]] == head[P["personal_id"]]
        assert {p[P["commune_id"]] for p in group} == {household[H["commune_id"]]}
        born = {p[P["personal_id"]]: date.fromisoformat(p[P["birth_date"]]) for p in group}
        assert completed_years(born[head[0]], demography.REFERENCE_DATE) >= 18

        spouses = [p for p in group if p[P["relation"]] == "spouse"]
        assert len(spouses) <= 1
        couple = [head, *spouses]
        for spouse in spouses:
            assert spouse[P["sex"]] != head[P["sex"]]
            assert completed_years(born[spouse[0]], demography.REFERENCE_DATE) >= 18
            gap = abs((born[spouse[0]] - born[head[0]]).days) / 365.2425
            assert gap <= 11
        fathers = [p for p in couple if p[P["sex"]] == "male"]
        for child in (p for p in group if p[P["relation"]] == "child"):
            if fathers:
                assert child[P["family_name"]] == fathers[0][P["family_name"]]
            for parent in couple:
                assert 20 <= completed_years(born[parent[0]], born[child[0]]) <= 39
        for parent in (p for p in group if p[P["relation"]] == "parent"):
            assert 20 <= completed_years(born[parent[0]], born[head[0]]) <= 39
            if parent[P["sex"]] == "male":
                assert parent[P["family_name"]] == head[P["family_name"]]


def test_ages_run_from_0_to_100(population) -> None:
    _households, people, _businesses = population
    ages = [
        completed_years(date.fromisoformat(p[P["birth_date"]]), demography.REFERENCE_DATE)
        for p in people
    ]
    assert min(ages) == 0
    assert 90 <= max(ages) <= demography.MAX_AGE


def test_household_sizes_average_about_three_and_a_half(population) -> None:
    households, people, _businesses = population
    assert 3.3 <= len(people) / len(households) <= 3.7
    sizes = Counter(Counter(p[P["household_id"]] for p in people).values())
    assert set(sizes) == {1, 2, 3, 4, 5, 6, 7}


def test_age_pyramid_is_close_to_vietnams(population) -> None:
    _households, people, _businesses = population
    groups = Counter(
        min(
            completed_years(date.fromisoformat(p[P["birth_date"]]), demography.REFERENCE_DATE) // 5,
            19,
        )
        for p in people
    )
    total = sum(demography.AGE_PYRAMID)
    shares = [100 * groups[g] / len(people) for g in range(20)]
    targets = [100 * t / total for t in demography.AGE_PYRAMID]
    for group, (share, target) in enumerate(zip(shares, targets, strict=True)):
        assert abs(share - target) < 1.6, f"ages {group * 5}–{group * 5 + 4}"
    assert abs(sum(shares[:3]) - sum(targets[:3])) < 2.5  # children 0–14
    assert abs(sum(shares[13:]) - sum(targets[13:])) < 1.5  # 65 and over


def test_family_names_follow_vietnamese_frequencies(population) -> None:
    _households, people, _businesses = population
    counts = Counter(p[P["family_name"]] for p in people)
    share = {name: 100 * n / len(people) for name, n in counts.items()}
    assert 35 < share["Nguyễn"] < 41
    assert 9 < share["Trần"] < 13
    assert share["Hoàng"] > share["Huỳnh"]  # a northern province
    assert len(counts) > 50


def test_middle_names_depend_on_sex_and_generation(population) -> None:
    _households, people, _businesses = population
    women = [p for p in people if p[P["sex"]] == "female"]
    men = [p for p in people if p[P["sex"]] == "male"]
    assert all(p[P["middle_name"]] != "Văn" for p in women)
    assert all(p[P["middle_name"]] != "Thị" for p in men)
    older = [p for p in women if p[P["birth_date"]] < "1970"]
    younger = [p for p in women if p[P["birth_date"]] >= "2005"]
    thi_older = sum(p[P["middle_name"]] == "Thị" for p in older) / len(older)
    thi_younger = sum(p[P["middle_name"]] == "Thị" for p in younger) / len(younger)
    assert thi_older > 0.5 > thi_younger


def test_rows_are_consistent_text(population) -> None:
    households, people, _businesses = population
    for person in people[:2_000]:
        assert person[P["full_name"]] == " ".join(person[P["family_name"] : P["given_name"] + 1])
        assert person[P["search_name"]].isascii()
        assert person[P["middle_name"]] != person[P["given_name"]]
    addresses = {h[H["address"]] for h in households}
    assert any(a.startswith("Số ") and ", ngõ " in a for a in addresses)
    assert any(a.startswith("Xóm ") and ", thôn " in a for a in addresses)


def test_name_tables_are_rich_and_safe_for_copy() -> None:
    for table in (names.MALE_GIVEN, names.FEMALE_GIVEN):
        assert len(table) >= 60
        assert len({name for name, _weight in table}) == len(table)
    for province in ("01", "79"):
        shares = dict(names.family_names(province))
        assert sum(shares.values()) == pytest.approx(100)
        assert shares["Nguyễn"] == 38.0
    every = [
        *(n for n, _w in names.family_names("01")),
        *(n for n, _w in names.family_names("79")),
        *(
            n
            for t in (
                names.MALE_MIDDLE_OLDER,
                names.MALE_MIDDLE_YOUNGER,
                names.FEMALE_MIDDLE_OLDER,
                names.FEMALE_MIDDLE_YOUNGER,
                names.MALE_GIVEN,
                names.FEMALE_GIVEN,
            )
            for n, _w in t
        ),
        *(s for _k, s in names.HANOI_STREETS),
        *(s for _k, s in names.COMMON_STREETS),
        *names.VILLAGES,
        *business_data.BRAND_FIRST,
        *business_data.BRAND_SECOND,
        *business_data.VSIC.values(),
        *business_data.NAME_PREFIXES.values(),
        *(phrase for (phrase, _lines), _w in business_data.SECTORS),
    ]
    assert not [n for n in every if any(c in n for c in "\t\n\r\\")]


def test_southern_provinces_use_southern_words() -> None:
    households, people, _businesses = generate(3_000, province="79")
    addresses = " ".join(h[H["address"]] for h in households)
    assert "hẻm" in addresses and "ngõ" not in addresses and "ấp" in addresses
    counts = Counter(p[P["family_name"]] for p in people)
    assert counts["Huỳnh"] > counts["Hoàng"]
    assert all(p[P["personal_id"]][:3] in PERSONAL_ID_PROVINCES for p in people)


# --- restricted records and businesses --------------------------------------------------


def test_a_small_fixed_share_of_people_is_restricted(population) -> None:
    _households, people, _businesses = population
    flags = Counter(p[P["restricted"]] for p in people)
    assert set(flags) == {"0", "1"}
    assert 0.0015 < flags["1"] / len(people) < 0.0025


def test_same_seed_same_businesses_whatever_the_block_size() -> None:
    _h1, _p1, businesses = generate(4_000, block_people=20_000)
    assert businesses == generate(4_000, block_people=131)[2]
    assert businesses != generate(4_000, seed=8)[2]
    assert len(businesses) > 100


def test_businesses_come_in_realistic_numbers_and_kinds(population) -> None:
    _households, people, businesses = population
    assert 0.045 < len(businesses) / len(people) < 0.055  # about one per 20 people
    kinds = Counter(b[B["kind"]] for b in businesses)
    assert set(kinds) == set(business_data.KIND_NAMES)
    assert kinds["household"] > kinds["llc_one"] > kinds["joint_stock"] > kinds["private"]
    assert set(Counter(b[B["status"]] for b in businesses)) == set(business_data.STATUS_NAMES)
    restricted = sum(b[B["restricted"]] == "1" for b in businesses)
    assert restricted < 0.01 * len(businesses)


def test_every_tax_code_is_valid_unique_and_of_the_province(population) -> None:
    _households, _people, businesses = population
    codes = [b[B["tax_code"]] for b in businesses]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert check_tax_code(code) == code
        assert len(code) == 10 and code.startswith("01")


def test_owners_are_adults_of_the_population(population) -> None:
    households, people, businesses = population
    by_id = {p[P["personal_id"]]: p for p in people}
    home = {h[H["code"]]: h for h in households}
    for business in businesses:
        owner = by_id[business[B["representative_personal_id"]]]
        assert business[B["representative_name"]] == owner[P["full_name"]]
        assert owner[P["restricted"]] == "0"
        born = date.fromisoformat(owner[P["birth_date"]])
        assert completed_years(born, demography.REFERENCE_DATE) >= 18
        registered = date.fromisoformat(business[B["registered_on"]])
        assert date(business_data.FIRST_REGISTRATION_YEAR, 1, 1) <= registered
        assert registered <= demography.REFERENCE_DATE
        assert completed_years(born, registered) >= 18
        if business[B["kind"]] == "household":
            # Household businesses trade at home under the owner's name.
            assert business[B["name"]] == f"Hộ kinh doanh {owner[P['full_name']]}"
            household = home[owner[P["household_id"]]]
            assert business[B["address"]] == household[H["address"]]
            assert business[B["commune_id"]] == household[H["commune_id"]]


def test_company_names_and_lines(population) -> None:
    _households, _people, businesses = population
    companies = [b for b in businesses if b[B["kind"]] != "household"]
    names_ = [b[B["name"]] for b in companies]
    assert len(set(names_)) == len(names_)  # no two companies share a name
    prefixes = {"llc_one": "Công ty TNHH ", "llc_multi": "Công ty TNHH "}
    prefixes |= {"joint_stock": "Công ty Cổ phần ", "private": "Doanh nghiệp tư nhân "}
    for company in companies:
        assert company[B["name"]].startswith(prefixes[company[B["kind"]]])
    for business in businesses:
        lines = json.loads(business[B["lines"]])
        assert 1 <= len(lines) <= 4 and len(set(lines)) == len(lines)
        assert set(lines) <= set(business_data.VSIC)
