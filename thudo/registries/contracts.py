"""Plain data the registries hand to other modules (never ORM objects)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from django.utils.translation import gettext_lazy as _

from thudo.core.errors import ApplicationError, InvalidInput

SIZE_MAX = 50_000_000
SEED_MAX = 2**63 - 1

# Values of ``PersonInfo.sex`` and ``PersonInfo.relation`` (relation to the head, quan hệ
# với chủ hộ).
SEXES = ("male", "female")
RELATIONS = ("head", "spouse", "child", "parent", "other")

# Values of ``BusinessInfo.kind`` and ``BusinessInfo.status``.
BUSINESS_KINDS = ("llc_one", "llc_multi", "joint_stock", "private", "household")
BUSINESS_STATUSES = ("active", "suspended", "dissolved")

# Where each provider system's API is served, and the hub forwards to.
POPULATION_PATH = "/registries/population/v1"
BUSINESS_PATH = "/registries/business/v1"
GOVREPORT_PATH = "/registries/govreport/v1"
# The codes under which the hub's catalogue offers them.
POPULATION_SERVICE = "tra-cuu-cong-dan"
BUSINESS_SERVICE = "tra-cuu-doanh-nghiep"
GOVREPORT_SERVICE = "tiep-nhan-bao-cao"


@dataclass(frozen=True)
class PersonInfo:
    """A person (công dân) as the population database describes them."""

    personal_id: str
    full_name: str
    family_name: str
    middle_name: str
    given_name: str
    birth_date: date
    sex: str
    household_code: str
    relation: str
    address: str
    commune_code: str
    commune_name: str
    province_code: str


@dataclass(frozen=True)
class BusinessLine:
    """A registered business line (ngành, nghề kinh doanh): VSIC code and name."""

    code: str
    name: str


@dataclass(frozen=True)
class BusinessInfo:
    """A business (doanh nghiệp or hộ kinh doanh) as the business registration database
    describes it; the first line is the main one."""

    tax_code: str
    name: str
    kind: str
    status: str
    registered_on: date
    address: str
    commune_code: str
    commune_name: str
    province_code: str
    representative_personal_id: str
    representative_name: str
    lines: tuple[BusinessLine, ...]


@dataclass(frozen=True)
class GenerateResult:
    """What ``population_generate`` did."""

    province_code: str
    seed: int
    people: int
    households: int
    businesses: int
    replaced: int
    seconds: float

    @property
    def people_per_second(self) -> float:
        return self.people / self.seconds if self.seconds > 0 else 0.0


class UnitsMissing(ApplicationError):
    """The province has no communes in force: the unit list must be imported first."""

    code: ClassVar[str] = "units_missing"
    status: ClassVar[int] = 409


class PopulationTooLarge(InvalidInput):
    """A personal-ID prefix ran out of numbers for this population."""

    code: ClassVar[str] = "population_too_large"


class AssertionRejected(ApplicationError):
    """A provider was called without a valid assertion of the exchange hub."""

    code: ClassVar[str] = "assertion_invalid"
    status: ClassVar[int] = 401
    title = _("Yêu cầu không qua nền tảng chia sẻ dữ liệu")


class DataSubjectMismatch(ApplicationError):
    """The record asked for is not the data subject the hub was told about."""

    code: ClassVar[str] = "data_subject_mismatch"
    status: ClassVar[int] = 400
    title = _("Chủ thể dữ liệu không khớp với yêu cầu")


class UnsupportedMediaType(ApplicationError):
    """A report arrived in neither of the formats the reporting system accepts."""

    code: ClassVar[str] = "unsupported_media_type"
    status: ClassVar[int] = 415
    title = _("Cần báo cáo dạng JSON hoặc SDMX-ML")


class PayloadTooLarge(ApplicationError):
    code: ClassVar[str] = "payload_too_large"
    status: ClassVar[int] = 413
    title = _("Báo cáo quá lớn")
