"""Plain values of the open-data portal: licences, update frequencies, states, roles."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class DatasetState(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    DELETED = "deleted"


class DatastoreStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETE = "complete"
    ERROR = "error"


@dataclass(frozen=True)
class License:
    id: str
    title: str
    url: str
    od_conformance: str = "approved"


# CKAN's default licence register, restricted to the open ones Decree 47 publication fits.
LICENSES: tuple[License, ...] = (
    License(
        "cc-by-4.0",
        "Creative Commons Attribution 4.0",
        "https://creativecommons.org/licenses/by/4.0/",
    ),
    License(
        "cc-by-sa-4.0",
        "Creative Commons Attribution Share-Alike 4.0",
        "https://creativecommons.org/licenses/by-sa/4.0/",
    ),
    License(
        "cc-zero", "Creative Commons CCZero", "https://creativecommons.org/publicdomain/zero/1.0/"
    ),
    License(
        "odc-by",
        "Open Data Commons Attribution License",
        "https://opendatacommons.org/licenses/by/1-0/",
    ),
    License(
        "odc-odbl",
        "Open Data Commons Open Database License (ODbL)",
        "https://opendatacommons.org/licenses/odbl/1-0/",
    ),
    License(
        "odc-pddl",
        "Open Data Commons Public Domain Dedication and License (PDDL)",
        "https://opendatacommons.org/licenses/pddl/1-0/",
    ),
)
LICENSE_BY_ID = {lic.id: lic for lic in LICENSES}
DEFAULT_LICENSE = "cc-by-4.0"

# Update frequencies (EU frequency vocabulary) with the longest gap each allows.
FREQUENCIES: dict[str, tuple[object, int | None]] = {
    "daily": (_("Hằng ngày"), 1),
    "weekly": (_("Hằng tuần"), 7),
    "monthly": (_("Hằng tháng"), 31),
    "quarterly": (_("Hằng quý"), 92),
    "annual": (_("Hằng năm"), 366),
    "irregular": (_("Không định kỳ"), None),
    "never": (_("Không cập nhật"), None),
}

# Decree 47/2020, art. 19: the open-data list is reviewed at least every six months and
# published data is updated within three months of the change.
REVIEW_DAYS = 183
UPDATE_DAYS = 92

# Groups (themes) carry the EU data-theme code harvesters map them to.
EU_THEMES = (
    "AGRI",
    "ECON",
    "EDUC",
    "ENER",
    "ENVI",
    "GOVE",
    "HEAL",
    "INTR",
    "JUST",
    "REGI",
    "SOCI",
    "TECH",
    "TRAN",
)
