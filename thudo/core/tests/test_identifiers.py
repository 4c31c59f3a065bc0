"""Vietnamese identifiers: exact codes for every rule, and properties over many values."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from thudo.core.identifiers import (
    FEMALE,
    MALE,
    PERSONAL_ID_PROVINCES,
    IdentifierError,
    TaxCodeStr,
    check_agency_code,
    check_gso_code,
    check_personal_id,
    check_tax_code,
    personal_id_facts,
    personal_id_prefix,
    tax_check_digit,
    validate_agency_code,
    validate_gso_code,
    validate_personal_id,
    validate_tax_code,
)

TODAY = date(2026, 3, 2)
FAST = settings(max_examples=150, deadline=None)


def _code(call: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(IdentifierError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return caught.value.code


# --- personal ID ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "today", "facts"),
    [
        ("001090012345", TODAY, ("001", 1990, MALE)),  # Hà Nội, 1900s male
        ("001190012345", TODAY, ("001", 1990, FEMALE)),  # 1900s female
        ("079203012345", TODAY, ("079", 2003, MALE)),  # TP Hồ Chí Minh, 2000s male
        ("079325000001", TODAY, ("079", 2025, FEMALE)),  # 2000s female
        ("001400000001", date(2100, 1, 1), ("001", 2100, MALE)),  # 2100s male
        ("096599999999", date(2199, 12, 31), ("096", 2199, FEMALE)),  # 2100s female
        ("001600000000", date(2200, 1, 1), ("001", 2200, MALE)),
        ("001799000000", date(2299, 1, 1), ("001", 2299, FEMALE)),
        ("001800000000", date(2300, 1, 1), ("001", 2300, MALE)),
        ("001900000000", date(2300, 1, 1), ("001", 2300, FEMALE)),
    ],
)
def test_personal_id_valid_for_every_century_and_sex_digit(
    value: str, today: date, facts: tuple[str, int, str]
) -> None:
    assert check_personal_id(value, today=today) == value
    assert personal_id_facts(value) == facts


def test_personal_id_is_stripped() -> None:
    assert check_personal_id("  001090012345\n", today=TODAY) == "001090012345"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("00109001234", "personal_id_format"),  # 11 digits
        ("0010900123456", "personal_id_format"),  # 13 digits
        ("", "personal_id_format"),
        ("00109001234A", "personal_id_format"),
        ("001-09001234", "personal_id_format"),
        ("００１０９００１２３４５", "personal_id_format"),  # full-width digits
        ("003090012345", "personal_id_province"),  # 003 is no province code
        ("000090012345", "personal_id_province"),
        ("097090012345", "personal_id_province"),
        ("001227012345", "personal_id_birth_year"),  # born 2027, after TODAY
        ("001400012345", "personal_id_birth_year"),  # 2100s
    ],
)
def test_personal_id_rejected(value: str, code: str) -> None:
    assert _code(check_personal_id, value, today=TODAY) == code


def test_personal_id_birth_year_of_this_year_is_accepted() -> None:
    assert check_personal_id("001226012345", today=TODAY) == "001226012345"


def test_personal_id_must_agree_with_the_person() -> None:
    value = "001190012345"  # woman born in 1990
    assert check_personal_id(value, birth_date=date(1990, 12, 31), sex=FEMALE, today=TODAY) == value
    assert (
        _code(check_personal_id, value, birth_date=date(1991, 1, 1), today=TODAY)
        == "personal_id_birth_year"
    )
    assert _code(check_personal_id, value, sex=MALE, today=TODAY) == "personal_id_sex"


@FAST
@given(
    province=st.sampled_from(sorted(PERSONAL_ID_PROVINCES)),
    born=st.dates(min_value=date(1900, 1, 1), max_value=date.today()),
    sex=st.sampled_from([MALE, FEMALE]),
    tail=st.from_regex(r"[0-9]{6}", fullmatch=True),
)
def test_every_generated_personal_id_validates(
    province: str, born: date, sex: str, tail: str
) -> None:
    value = personal_id_prefix(province=province, birth_year=born.year, sex=sex) + tail
    assert check_personal_id(value, birth_date=born, sex=sex) == value
    assert personal_id_facts(value) == (province, born.year, sex)


@FAST
@given(
    st.one_of(
        st.text(),
        st.from_regex(r"[0-9]{0,11}|[0-9]{13,20}", fullmatch=True),
        st.text(alphabet="0123456789０１２３٣ aA-", min_size=12, max_size=12),
    )
)
def test_anything_but_twelve_digits_is_rejected(value: str) -> None:
    if re.fullmatch(r"[0-9]{12}", value.strip()):
        return  # twelve ASCII digits: the format is right, other rules apply
    assert _code(check_personal_id, value) == "personal_id_format"


# --- tax code ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "normalised"),
    [
        ("0100109106", "0100109106"),
        (" 0100109106 ", "0100109106"),
        ("0100109106-001", "0100109106-001"),
        ("0100109106001", "0100109106-001"),
        ("0100109106-999", "0100109106-999"),
    ],
)
def test_tax_code_valid_and_normalised(value: str, normalised: str) -> None:
    assert check_tax_code(value) == normalised


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("0100109106-000", "tax_code_branch"),
        ("0100109106000", "tax_code_branch"),
        ("0100109107", "tax_code_check_digit"),
        ("0100109107-001", "tax_code_check_digit"),
        ("010010910", "tax_code_format"),
        ("01001091060", "tax_code_format"),
        ("010010910A", "tax_code_format"),
        ("01001091-06001", "tax_code_format"),  # dash in the wrong place
        ("０１００１０９１０６", "tax_code_format"),  # full-width digits
        ("", "tax_code_format"),
    ],
)
def test_tax_code_rejected(value: str, code: str) -> None:
    assert _code(check_tax_code, value) == code


def test_personal_id_is_a_tax_code_only_where_individuals_are_accepted() -> None:
    assert check_tax_code("001090012345", allow_personal_id=True) == "001090012345"
    assert _code(check_tax_code, "001090012345") == "tax_code_format"
    assert _code(check_tax_code, "003090012345", allow_personal_id=True) == "personal_id_province"


def test_tax_check_digit_of_known_code() -> None:
    assert tax_check_digit("010010910") == 6


@FAST
@given(body=st.from_regex(r"[0-9]{9}", fullmatch=True), other=st.integers(0, 9))
def test_check_digit_makes_a_valid_code_and_any_other_digit_breaks_it(
    body: str, other: int
) -> None:
    digit = tax_check_digit(body)
    if digit is None:
        # No digit can complete this body (the weighted sum is 0 mod 11).
        assert _code(check_tax_code, f"{body}{other}") == "tax_code_check_digit"
        return
    assert check_tax_code(f"{body}{digit}") == f"{body}{digit}"
    assert check_tax_code(f"{body}{digit}123") == f"{body}{digit}-123"
    if other != digit:
        assert _code(check_tax_code, f"{body}{other}") == "tax_code_check_digit"


# --- agency code ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "normalised"),
    [
        ("000.00.00.G22", "000.00.00.G22"),  # Văn phòng Chính phủ
        ("000.00.00.H26", "000.00.00.H26"),
        ("000.00.00.h26", "000.00.00.H26"),
        (" 000.00.16.H26 ", "000.00.16.H26"),
        ("000.00.53.H48", "000.00.53.H48"),
        ("0000." * 6 + "A.H26", "0000." * 6 + "A.H26"),  # 35 characters
    ],
)
def test_agency_code_valid(value: str, normalised: str) -> None:
    assert check_agency_code(value) == normalised


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "agency_code_length"),
        ("0000." * 6 + "A00.H26", "agency_code_length"),  # 36 characters
        ("000..00.G22", "agency_code_format"),  # empty group
        ("000.00.00.", "agency_code_format"),
        ("00.00.G22", "agency_code_format"),  # three groups
        ("G22", "agency_code_format"),
        ("000.00-00.G22", "agency_code_format"),
        ("000.00.00.22G", "agency_code_level1"),
        ("000.00.00.G2", "agency_code_level1"),
        ("000.00.00.GG2", "agency_code_level1"),
    ],
)
def test_agency_code_rejected(value: str, code: str) -> None:
    assert _code(check_agency_code, value) == code


# --- GSO administrative unit code -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "level"),
    [("01", "province"), ("79", "province"), ("001", "district"), ("00004", "commune")],
)
def test_gso_code_valid_and_consistent_with_level(value: str, level: str) -> None:
    assert check_gso_code(value) == value
    assert check_gso_code(value, level=level) == value


@pytest.mark.parametrize(
    "value", ["0001", "0", "00", "000", "00000", "1", "0a", "AB", "０１", "", "000004"]
)
def test_gso_code_rejected(value: str) -> None:
    assert _code(check_gso_code, value) == "gso_code_format"


@pytest.mark.parametrize(
    ("value", "level"),
    [("01", "commune"), ("001", "province"), ("00004", "district"), ("01", "ward")],
)
def test_gso_code_of_another_level_is_rejected(value: str, level: str) -> None:
    assert _code(check_gso_code, value, level=level) == "gso_code_level"


# --- Django and pydantic wrappers, and language -----------------------------------------


@pytest.mark.parametrize(
    ("validator", "value", "code"),
    [
        (validate_personal_id, "12345", "personal_id_format"),
        (validate_tax_code, "0100109107", "tax_code_check_digit"),
        (validate_agency_code, "000.00.G22", "agency_code_format"),
        (validate_gso_code, "0001", "gso_code_format"),
    ],
)
def test_django_validators_raise_validation_error_with_the_same_code(
    validator: object, value: str, code: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        validator(value)  # type: ignore[operator]
    assert caught.value.code == code


@pytest.mark.parametrize(
    "validator", [validate_personal_id, validate_tax_code, validate_agency_code, validate_gso_code]
)
def test_django_validators_accept_valid_values(validator: object) -> None:
    valid = {
        validate_personal_id: "001090012345",
        validate_tax_code: "0100109106",
        validate_agency_code: "000.00.00.G22",
        validate_gso_code: "00004",
    }[validator]  # type: ignore[index]
    assert validator(valid) is None  # type: ignore[operator]


def test_pydantic_type_normalises() -> None:
    assert TypeAdapter(TaxCodeStr).validate_python("0100109106001") == "0100109106-001"


def test_messages_follow_the_active_language() -> None:
    with translation.override("vi"), pytest.raises(ValidationError) as caught:
        validate_personal_id("123")
    assert caught.value.messages == ["Số định danh cá nhân phải gồm đúng 12 chữ số."]
    with translation.override("vi"), pytest.raises(IdentifierError) as raised:
        check_personal_id("003090012345")
    assert str(raised.value.message) == (
        "Ba chữ số đầu (003) không phải mã tỉnh, thành phố nơi đăng ký khai sinh."
    )
    # The English catalogue is still being written: only check the message renders.
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        validate_tax_code("0100109107")
    assert isinstance(caught.value.messages[0], str) and caught.value.messages[0]
