"""Test data of the open-data portal: the small city's publishers (the Department of
Justice and the People's Committee), two themes, public datasets about Hà Nội and about
buses, a private one, a draft, and a CSV table of 120 wards loaded into the datastore."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from thudo.core.models import Agency, Role, User
from thudo.core.tests.factories import City, official
from thudo.opendata import services
from thudo.opendata.models import Dataset, Group, Organization, Resource

WARDS = 120


def population_csv(rows: int = WARDS, *, ragged: bool = True) -> bytes:
    """Wards and their population, ';'-separated with a BOM as Excel writes it; with
    ``ragged``, a last line with a cell missing (a row error)."""
    lines = ["Mã phường;Tên phường;Dân số"]
    lines += [f"{n:05d};Phường số {n};{1000 + n}" for n in range(1, rows + 1)]
    if ragged:
        lines.append("00999;Dòng thiếu")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def organization(agency: Agency, name: str = "") -> Organization:
    return services.organization_ensure(actor=None, agency=agency, name=name)


def group(name: str, title: str, *, eu_theme: str = "", title_en: str = "") -> Group:
    return services.group_create(
        actor=None, name=name, title=title, title_en=title_en, eu_theme=eu_theme
    )


def dataset(org: Organization, name: str, title: str, **fields: Any) -> Dataset:
    """A dataset as the platform creates it (no permission in the way); active unless
    ``state`` says otherwise."""
    return services.dataset_create(
        actor=None, data={"name": name, "title": title, "owner_org": org.name, **fields}
    )


def table(
    ds: Dataset,
    content: bytes | None = None,
    *,
    filename: str = "dan-so.csv",
    name: str = "Dân số 2025",
    types: Mapping[str, str] | None = None,
) -> Resource:
    """A CSV uploaded and loaded at once: the task queue does not run in tests."""
    resource = services.resource_create(
        actor=None,
        dataset=ds,
        data={"name": name},
        upload=(filename, population_csv() if content is None else content),
    )
    if types:
        services.datastore_load(actor=None, resource=resource, types=types)
    assert services.datastore_load_run(actor=None, resource_id=str(resource.pk)) == "complete"
    return resource


class Portal:
    """The small city's open-data portal."""

    def __init__(self, city: City | None = None) -> None:
        self.city = city or City()
        justice = self.city.justice
        self.leader: User = official(justice, role=Role.LEADER, username="giamdoc.stp")
        self.editor: User = official(justice, role=Role.SPECIALIST, username="chuyenvien.stp")
        self.outsider: User = official(self.city.commune_b, role=Role.SPECIALIST)
        self.justice = organization(justice, "so-tu-phap")
        self.committee = organization(self.city.city_pc, "ubnd-thanh-pho")
        self.residents = group("dan-cu", "Dân cư", eu_theme="SOCI", title_en="Population")
        self.transport = group("giao-thong", "Giao thông", eu_theme="TRAN")
        self.population = dataset(
            self.committee,
            "dan-so-ha-noi",
            "Dân số Hà Nội theo phường",
            notes="Dân số từng phường của Thành phố Hà Nội.\nSố liệu năm 2025.",
            tags=["dân số", "thống kê"],
            groups=[{"name": "dan-cu"}],
            frequency="annual",
            spatial=["01"],
            maintainer="Phòng Thống kê",
            maintainer_email="thongke@hanoi.gov.vn",
            in_open_data_list=True,
        )
        self.table = table(self.population)
        self.civil = dataset(
            self.justice,
            "ho-tich-ha-noi",
            "Đăng ký hộ tịch tại Hà Nội",
            notes="Khai sinh, kết hôn theo tháng.",
            tags=["hộ tịch", "dân số"],
            groups=[{"name": "dan-cu"}],
            license_id="cc-zero",
            resources=[{"url": "https://example.org/ho-tich.json", "format": "JSON"}],
            in_open_data_list=True,
        )
        self.buses = dataset(
            self.committee,
            "tuyen-xe-buyt",
            "Tuyến xe buýt",
            tags=["giao thông"],
            groups=[{"name": "giao-thong"}],
        )
        self.private = dataset(
            self.justice,
            "dat-dai-noi-bo",
            "Đất đai Hà Nội nội bộ",
            private=True,
            tags=["dân số"],
            in_open_data_list=True,
        )
        self.draft = dataset(
            self.justice, "ban-nhap-ho-tich", "Bản nháp hộ tịch Hà Nội", state="draft"
        )


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """Uploaded files go to a temporary directory, not the development media."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    yield tmp_path


@pytest.fixture
def portal(city: City, media: Path) -> Portal:
    return Portal(city)


@pytest.fixture
def live_portal(live_city: City, media: Path) -> Portal:
    return Portal(live_city)
