"""Vietnamese identifiers: personal ID, tax code, agency code, GSO administrative unit code.

Each ``check_*`` returns the normalised value or raises :class:`IdentifierError` with a
stable code and a translated message. ``validate_*`` wrap them for Django forms and
models, and the ``*Str`` annotated types for API schemas (pydantic).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from pydantic import AfterValidator


class IdentifierError(ValueError):
    def __init__(self, code: str, message: Any) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message


# Province codes of the 63 provinces before 1 July 2025, as used in the first three digits
# of personal IDs (the province where the birth was registered). After the 2025 merger the
# 34 provinces kept codes from this same set, so IDs issued before and after stay valid.
PERSONAL_ID_PROVINCES = frozenset(
    f"{n:03d}"
    for n in (
        1,
        2,
        4,
        6,
        8,
        10,
        11,
        12,
        14,
        15,
        17,
        19,
        20,
        22,
        24,
        25,
        26,
        27,
        30,
        31,
        33,
        34,
        35,
        36,
        37,
        38,
        40,
        42,
        44,
        45,
        46,
        48,
        49,
        51,
        52,
        54,
        56,
        58,
        60,
        62,
        64,
        66,
        67,
        68,
        70,
        72,
        74,
        75,
        77,
        79,
        80,
        82,
        83,
        84,
        86,
        87,
        89,
        91,
        92,
        93,
        94,
        95,
        96,
    )
)

MALE = "male"
FEMALE = "female"

# Fourth digit: century of birth and sex (Circular 59/2021/TT-BCA, Art. 7).
_CENTURY_SEX_DIGIT = {
    (1900, MALE): "0",
    (1900, FEMALE): "1",
    (2000, MALE): "2",
    (2000, FEMALE): "3",
    (2100, MALE): "4",
    (2100, FEMALE): "5",
    (2200, MALE): "6",
    (2200, FEMALE): "7",
    (2300, MALE): "8",
    (2300, FEMALE): "9",
}
_DIGIT_CENTURY_SEX = {digit: key for key, digit in _CENTURY_SEX_DIGIT.items()}

# ASCII only: ``\d`` also matches full-width and other Unicode digits, which int() accepts
# too, so "０１００１０９１０６" would pass as a tax code and be stored as typed.
_DIGITS = re.compile(r"[0-9]+")


def personal_id_prefix(*, province: str, birth_year: int, sex: str) -> str:
    """The first six digits of a personal ID for a person born in ``birth_year``."""
    century = birth_year // 100 * 100
    return f"{province}{_CENTURY_SEX_DIGIT[(century, sex)]}{birth_year % 100:02d}"


def personal_id_facts(value: str) -> tuple[str, int, str]:
    """(province code, birth year, sex) encoded in a well-formed personal ID."""
    century, sex = _DIGIT_CENTURY_SEX[value[3]]
    return value[:3], century + int(value[4:6]), sex


def check_personal_id(
    value: str,
    *,
    birth_date: date | None = None,
    sex: str | None = None,
    today: date | None = None,
) -> str:
    """A personal ID (mã định danh cá nhân, số CCCD): 12 digits.

    Digits 1–3 are the province of birth registration, digit 4 the century of birth and
    sex, digits 5–6 the last two digits of the birth year. When ``birth_date`` or ``sex``
    are known they must agree with the number.
    """
    value = (value or "").strip()
    if len(value) != 12 or not _DIGITS.fullmatch(value):
        raise IdentifierError(
            "personal_id_format", _("Số định danh cá nhân phải gồm đúng 12 chữ số.")
        )
    if value[:3] not in PERSONAL_ID_PROVINCES:
        raise IdentifierError(
            "personal_id_province",
            _("Ba chữ số đầu (%(code)s) không phải mã tỉnh, thành phố nơi đăng ký khai sinh.")
            % {"code": value[:3]},
        )
    _province, year, encoded_sex = personal_id_facts(value)
    today = today or date.today()
    if year > today.year:
        raise IdentifierError(
            "personal_id_birth_year",
            _("Năm sinh mã hóa trong số định danh (%(year)s) ở tương lai.") % {"year": year},
        )
    if birth_date is not None and birth_date.year != year:
        raise IdentifierError(
            "personal_id_birth_year",
            _("Năm sinh trong số định danh (%(encoded)s) không khớp với ngày sinh (%(year)s).")
            % {"encoded": year, "year": birth_date.year},
        )
    if sex is not None and sex != encoded_sex:
        raise IdentifierError(
            "personal_id_sex",
            _("Chữ số thứ tư của số định danh không khớp với giới tính của người này."),
        )
    return value


_TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def tax_check_digit(first_nine: str) -> int | None:
    """Check digit N10 of a tax code, or None when no digit can make the code valid."""
    remainder = sum(int(d) * w for d, w in zip(first_nine, _TAX_WEIGHTS, strict=True)) % 11
    digit = 10 - remainder
    return digit if digit < 10 else None


def check_tax_code(value: str, *, allow_personal_id: bool = False) -> str:
    """A tax code (mã số thuế): 10 digits, or 13 as ``NNNNNNNNNN-NNN`` for dependent units.

    Since 1 July 2025 an individual's personal ID is also their tax code; pass
    ``allow_personal_id`` where individuals are accepted. The 13-digit form is normalised
    to the dashed notation.
    """
    raw = (value or "").strip()
    compact = raw.replace("-", "").replace(" ", "")
    if allow_personal_id and len(compact) == 12 and _DIGITS.fullmatch(compact):
        return check_personal_id(compact)
    if not _DIGITS.fullmatch(compact) or len(compact) not in (10, 13):
        raise IdentifierError(
            "tax_code_format",
            _("Mã số thuế gồm 10 chữ số, hoặc 13 chữ số dạng NNNNNNNNNN-NNN."),
        )
    if "-" in raw and not re.fullmatch(r"[0-9]{10}-[0-9]{3}", raw):
        raise IdentifierError(
            "tax_code_format", _("Mã số thuế 13 chữ số phải viết dạng NNNNNNNNNN-NNN.")
        )
    expected = tax_check_digit(compact[:9])
    if expected is None or int(compact[9]) != expected:
        raise IdentifierError(
            "tax_code_check_digit", _("Chữ số kiểm tra của mã số thuế không đúng.")
        )
    if len(compact) == 13:
        if compact[10:] == "000":
            raise IdentifierError(
                "tax_code_branch", _("Ba chữ số của đơn vị phụ thuộc phải từ 001 đến 999.")
            )
        return f"{compact[:10]}-{compact[10:]}"
    return compact


_AGENCY_GROUP = re.compile(r"[0-9A-Z]+")
_AGENCY_LEVEL1 = re.compile(r"[A-Z]\d{2}")


def check_agency_code(value: str) -> str:
    """An agency code (mã định danh cơ quan, Decision 20/2020/QĐ-TTg).

    Dot-separated groups of digits and capital letters, at most 35 characters, written
    from the lowest level to level 1, e.g. ``000.00.00.G22``; the last group is the
    level-1 code (a letter and two digits).
    """
    value = (value or "").strip().upper()
    if not value or len(value) > 35:
        raise IdentifierError("agency_code_length", _("Mã định danh cơ quan có từ 1 đến 35 ký tự."))
    groups = value.split(".")
    if len(groups) < 4 or not all(_AGENCY_GROUP.fullmatch(g) for g in groups):
        raise IdentifierError(
            "agency_code_format",
            _(
                "Mã định danh cơ quan gồm ít nhất bốn nhóm chữ số hoặc chữ in hoa, "
                "cách nhau bởi dấu chấm, ví dụ 000.00.00.G22."
            ),
        )
    if not _AGENCY_LEVEL1.fullmatch(groups[-1]):
        raise IdentifierError(
            "agency_code_level1",
            _("Nhóm cuối của mã định danh cơ quan là mã cấp 1: một chữ cái và hai chữ số."),
        )
    return value


GSO_LEVEL_BY_LENGTH = {2: "province", 3: "district", 5: "commune"}


def check_gso_code(value: str, *, level: str | None = None) -> str:
    """An administrative unit code of the General Statistics Office.

    Province 2 digits (Hà Nội 01), district 3 digits (before 1 July 2025), commune 5.
    """
    value = (value or "").strip()
    if not _DIGITS.fullmatch(value) or len(value) not in GSO_LEVEL_BY_LENGTH:
        raise IdentifierError(
            "gso_code_format",
            _("Mã đơn vị hành chính gồm 2 chữ số (tỉnh), 3 chữ số (huyện) hoặc 5 chữ số (xã)."),
        )
    if int(value) == 0:
        raise IdentifierError("gso_code_format", _("Mã đơn vị hành chính không thể bằng 0."))
    if level is not None and GSO_LEVEL_BY_LENGTH[len(value)] != level:
        raise IdentifierError(
            "gso_code_level", _("Độ dài mã không đúng với cấp đơn vị hành chính.")
        )
    return value


def _as_django_error(exc: IdentifierError) -> ValidationError:
    return ValidationError(exc.message, code=exc.code)


# Plain module-level functions (not closures) so that migrations can refer to them.
def validate_personal_id(value: str) -> None:
    try:
        check_personal_id(value)
    except IdentifierError as exc:
        raise _as_django_error(exc) from None


def validate_tax_code(value: str) -> None:
    try:
        check_tax_code(value)
    except IdentifierError as exc:
        raise _as_django_error(exc) from None


def validate_agency_code(value: str) -> None:
    try:
        check_agency_code(value)
    except IdentifierError as exc:
        raise _as_django_error(exc) from None


def validate_gso_code(value: str) -> None:
    try:
        check_gso_code(value)
    except IdentifierError as exc:
        raise _as_django_error(exc) from None


PersonalIdStr = Annotated[str, AfterValidator(check_personal_id)]
TaxCodeStr = Annotated[str, AfterValidator(check_tax_code)]
AgencyCodeStr = Annotated[str, AfterValidator(check_agency_code)]
GsoCodeStr = Annotated[str, AfterValidator(check_gso_code)]
