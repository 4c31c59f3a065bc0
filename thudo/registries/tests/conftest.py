"""Fixtures for the population registry: a province with a few communes."""

from __future__ import annotations

from datetime import date

import pytest

from thudo.core.models import AdministrativeUnit
from thudo.core.tests.factories import unit


def province_with_communes(code: str = "01", name: str = "Thành phố Hà Nội") -> AdministrativeUnit:
    province = unit(code, name, kind="central_city")
    base = int(code) * 1000
    unit(f"{base + 4:05d}", "Phường Ba Đình", parent=province)
    unit(f"{base + 8:05d}", "Phường Ngọc Hà", parent=province)
    unit(f"{base + 70:05d}", "Phường Hoàn Kiếm", parent=province)
    unit(f"{base + 619:05d}", "Xã Sóc Sơn", kind="commune", parent=province)
    # Retired before the reform: never a home for generated households.
    unit(
        f"{base + 901:05d}",
        "Xã Cũ",
        kind="commune",
        parent=province,
        valid_from=date(2000, 1, 1),
        valid_to=date(2025, 7, 1),
    )
    return province


@pytest.fixture
def hanoi(db: None) -> AdministrativeUnit:
    return province_with_communes()
