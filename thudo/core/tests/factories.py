"""Test data builders for the kernel. Other modules' tests use them too."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from thudo.core.models import AdministrativeUnit, Agency, Membership, Role, User

_seq = itertools.count(1)

REFORM_DAY = date(2025, 7, 1)


def unit(
    code: str,
    name: str,
    *,
    kind: str = "ward",
    level: str | None = None,
    parent: AdministrativeUnit | None = None,
    valid_from: date = REFORM_DAY,
    valid_to: date | None = None,
) -> AdministrativeUnit:
    level = level or {2: "province", 3: "district", 5: "commune"}[len(code)]
    return AdministrativeUnit.objects.create(
        code=code,
        name=name,
        kind=kind,
        level=level,
        parent=parent,
        valid_from=valid_from,
        valid_to=valid_to,
    )


def agency(
    code: str,
    name: str,
    *,
    unit: AdministrativeUnit,
    kind: str = "department",
    parent: Agency | None = None,
) -> Agency:
    return Agency.objects.create(code=code, name=name, kind=kind, unit=unit, parent=parent)


def official(
    agency: Agency | None = None,
    *,
    role: str = Role.SPECIALIST,
    username: str | None = None,
    password: str = "correct horse battery",  # noqa: S107 - test data
    full_name: str | None = None,
    **extra: Any,
) -> User:
    n = next(_seq)
    user = User(
        username=username or f"official{n}",
        full_name=full_name or f"Cán bộ {n}",
        kind=User.Kind.OFFICIAL,
        **extra,
    )
    user.set_password(password)
    user.save()
    if agency is not None:
        Membership.objects.create(user=user, agency=agency, role=role)
    return user


def citizen(
    personal_id: str = "001090012345", *, full_name: str = "Nguyễn Văn An", **extra: Any
) -> User:
    user = User(
        username=f"eid-{personal_id}",
        full_name=full_name,
        kind=User.Kind.CITIZEN,
        personal_id=personal_id,
        **extra,
    )
    user.set_unusable_password()
    user.save()
    return user


class City:
    """A small Hanoi: the city, two wards, the People's Committee, a department, two ward
    committees, each with staff."""

    def __init__(self) -> None:
        self.hanoi = unit("01", "Thành phố Hà Nội", kind="central_city")
        self.ward_a = unit("00004", "Phường Ba Đình", parent=self.hanoi)
        self.ward_b = unit("00008", "Phường Ngọc Hà", parent=self.hanoi)
        self.city_pc = agency(
            "000.00.00.H26",
            "Ủy ban nhân dân Thành phố Hà Nội",
            unit=self.hanoi,
            kind="provincial_committee",
        )
        self.justice = agency("000.00.16.H26", "Sở Tư pháp", unit=self.hanoi, parent=self.city_pc)
        self.commune_a = agency(
            "000.01.50.H26",
            "Ủy ban nhân dân Phường Ba Đình",
            unit=self.ward_a,
            kind="commune_committee",
            parent=self.city_pc,
        )
        self.commune_b = agency(
            "000.02.50.H26",
            "Ủy ban nhân dân Phường Ngọc Hà",
            unit=self.ward_b,
            kind="commune_committee",
            parent=self.city_pc,
        )
        self.platform_admin = official(self.city_pc, role=Role.PLATFORM_ADMIN, username="platform")
        self.city_leader = official(self.city_pc, role=Role.LEADER, username="city.leader")
        self.admin_a = official(self.commune_a, role=Role.AGENCY_ADMIN, username="admin.a")
        self.clerk_a = official(self.commune_a, role=Role.CLERK, username="clerk.a")
        self.admin_b = official(self.commune_b, role=Role.AGENCY_ADMIN, username="admin.b")
        self.clerk_b = official(self.commune_b, role=Role.CLERK, username="clerk.b")
