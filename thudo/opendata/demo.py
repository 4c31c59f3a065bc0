"""Demo data of the open-data portal: themes, the publishing agencies, a dozen datasets
with tables loaded into the datastore, the Decree 47 list with its reviews, and the
reporting indicators published as open data.

- Departments publish what they hold (population by ward, schools, clinics, air quality,
  bus routes, civil-status registrations, new enterprises); CSV tables are loaded through
  the same load a publisher's upload goes through, one of them with a ragged row so the
  row-level error report has something to show, one XLSX.
- The open-data list: most datasets reviewed this half-year; the air-quality series is
  late for its update and the bus routes are late for review, so the Decree 47 dashboard
  of their departments is not empty; the land-use dataset is a private draft.
- The approved indicators of the reporting module are published with their lineage.

Figures are drawn from seeded generators. Running it again changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook

from thudo.core.models import AdministrativeUnit, Agency, User
from thudo.opendata import services
from thudo.opendata.models import Dataset, Group, Review

Say = Callable[[str], None]
SEED = 47

GROUPS = [
    ("dan-cu", "Dân cư", "Population", "SOCI"),
    ("giao-duc", "Giáo dục", "Education", "EDUC"),
    ("y-te", "Y tế", "Health", "HEAL"),
    ("moi-truong", "Môi trường", "Environment", "ENVI"),
    ("giao-thong", "Giao thông", "Transport", "TRAN"),
    ("kinh-te", "Kinh tế", "Economy", "ECON"),
    ("hanh-chinh", "Hành chính công", "Government", "GOVE"),
    ("dat-dai", "Đất đai", "Land", "REGI"),
]


def _csv(header: list[str], rows: list[list[Any]], *, delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def _wards(limit: int | None = None) -> list[AdministrativeUnit]:
    found = AdministrativeUnit.objects.filter(
        level="commune", valid_to__isnull=True, parent__code="01"
    ).order_by("code")
    return list(found[:limit] if limit else found)


def _population(rng: random.Random) -> bytes:
    rows: list[list[Any]] = []
    for ward in _wards():
        people = rng.randint(18_000, 160_000)
        area = rng.uniform(1.5, 60)
        rows.append(
            [ward.code, ward.name, people, f"{area:.2f}".replace(".", ","), round(people / area)]
        )
    # A row the census office exported short: reported and skipped, the rest loads.
    rows.insert(7, ["99999", "Dòng thiếu cột"])
    return _csv(
        ["Mã đơn vị", "Tên đơn vị", "Dân số", "Diện tích (km²)", "Mật độ (người/km²)"],
        rows,
        delimiter=";",
    )


def _schools(rng: random.Random) -> bytes:
    levels = ["Mầm non", "Tiểu học", "Trung học cơ sở", "Trung học phổ thông"]
    rows = []
    for n, ward in enumerate(_wards(80), start=1):
        level = levels[n % 4]
        rows.append(
            [
                f"Trường {level} {ward.name.split(' ', 1)[-1]}",
                level,
                ward.name,
                rng.randint(300, 2400),
                rng.randint(1960, 2020),
            ]
        )
    return _csv(["Tên trường", "Cấp học", "Phường/xã", "Số học sinh", "Năm thành lập"], rows)


def _clinics(rng: random.Random) -> bytes:
    kinds = ["Trạm y tế", "Bệnh viện đa khoa", "Phòng khám đa khoa"]
    rows = []
    for n, ward in enumerate(_wards(60), start=1):
        kind = kinds[n % 3]
        rows.append(
            [
                f"{kind} {ward.name.split(' ', 1)[-1]}",
                kind,
                ward.name,
                rng.randint(0, 600),
                "có" if n % 2 else "không",
            ]
        )
    return _csv(["Tên cơ sở", "Loại hình", "Phường/xã", "Số giường bệnh", "Khám BHYT"], rows)


def _air(rng: random.Random, until: dt.date) -> bytes:
    stations = ["Hoàn Kiếm", "Cầu Giấy", "Hà Đông", "Long Biên", "Tây Hồ"]
    rows = []
    start = until - dt.timedelta(days=30)
    for day in range(31):
        for hour in (7, 13, 19):
            at = dt.datetime.combine(start + dt.timedelta(days=day), dt.time(hour))
            for station in stations:
                rows.append(
                    [
                        at.isoformat(sep=" ", timespec="minutes"),
                        station,
                        rng.randint(25, 210),
                        f"{rng.uniform(8, 120):.1f}",
                    ]
                )
    return _csv(["Thời điểm", "Trạm", "AQI", "PM2.5 (µg/m³)"], rows)


def _buses(rng: random.Random) -> bytes:
    rows = []
    ends = [
        "Bến xe Mỹ Đình",
        "Bến xe Giáp Bát",
        "Bến xe Gia Lâm",
        "Bến xe Yên Nghĩa",
        "Long Biên",
        "Nội Bài",
    ]
    for n in range(1, 41):
        a, b = rng.sample(ends, 2)
        rows.append(
            [
                f"{n:02d}",
                f"{a} - {b}",
                rng.randint(8, 45),
                rng.choice([10, 15, 20, 30]),
                f"{rng.randint(5, 6)}:00",
                f"{rng.randint(21, 23)}:00",
            ]
        )
    return _csv(
        ["Số hiệu", "Lộ trình", "Cự ly (km)", "Giãn cách (phút)", "Giờ mở tuyến", "Giờ đóng tuyến"],
        rows,
    )


def _civil_status(rng: random.Random, year: int) -> bytes:
    rows = []
    for month in range(1, 13):
        rows.append(
            [
                f"{year}-{month:02d}-01",
                rng.randint(9000, 13000),
                rng.randint(2500, 4200),
                rng.randint(3000, 5200),
                rng.randint(300, 900),
            ]
        )
    return _csv(["Tháng", "Khai sinh", "Kết hôn", "Khai tử", "Thay đổi, cải chính"], rows)


def _enterprises(rng: random.Random, year: int) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["Tháng", "Số doanh nghiệp", "Vốn đăng ký (tỷ đồng)", "Ngành nhiều nhất"])
    for month in range(1, 13):
        sheet.append(
            [
                dt.date(year, month, 1),
                rng.randint(2000, 3200),
                round(rng.uniform(15000, 40000), 1),
                rng.choice(["Bán buôn, bán lẻ", "Xây dựng", "Công nghệ thông tin"]),
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _plan(rng: random.Random, today: dt.date) -> list[dict[str, Any]]:
    last_year = today.year - 1
    return [
        {
            "org": "city",
            "name": "dan-so-theo-phuong-xa",
            "title": f"Dân số theo phường, xã năm {last_year}",
            "notes": (
                "Dân số, diện tích và mật độ dân số của từng phường, xã của Thành phố "
                "Hà Nội theo số liệu thống kê năm.\nMột dòng xuất thiếu cột được báo "
                "lỗi và bỏ qua."
            ),
            "groups": ["dan-cu"],
            "tags": ["dân số", "phường xã", "thống kê"],
            "frequency": "annual",
            "temporal": (dt.date(last_year, 1, 1), dt.date(last_year, 12, 31)),
            "spatial": ["01"],
            "file": ("dan-so-theo-phuong-xa.csv", _population(rng)),
            "reviewed": today - dt.timedelta(days=40),
        },
        {
            "org": "11",
            "name": "truong-hoc-cong-lap",
            "title": "Danh sách trường học công lập",
            "notes": (
                "Trường mầm non, tiểu học, trung học cơ sở và trung học phổ thông công "
                "lập: cấp học, địa bàn, số học sinh."
            ),
            "groups": ["giao-duc"],
            "tags": ["trường học", "giáo dục", "tuyển sinh"],
            "frequency": "annual",
            "file": ("truong-hoc.csv", _schools(rng)),
            "reviewed": today - dt.timedelta(days=60),
        },
        {
            "org": "12",
            "name": "co-so-kham-chua-benh",
            "title": "Cơ sở khám bệnh, chữa bệnh",
            "notes": (
                "Trạm y tế, bệnh viện và phòng khám trên địa bàn: loại hình, số giường, "
                "khám bảo hiểm y tế."
            ),
            "groups": ["y-te"],
            "tags": ["y tế", "bệnh viện"],
            "frequency": "quarterly",
            "file": ("co-so-y-te.csv", _clinics(rng)),
            "reviewed": today - dt.timedelta(days=20),
        },
        {
            "org": "07",
            "name": "chat-luong-khong-khi",
            "title": "Chỉ số chất lượng không khí (AQI) theo trạm quan trắc",
            "notes": (
                "AQI và nồng độ bụi PM2.5 đo ba lần mỗi ngày tại các trạm quan trắc tự động."
            ),
            "groups": ["moi-truong"],
            "tags": ["không khí", "AQI", "môi trường"],
            "frequency": "daily",
            "file": ("chat-luong-khong-khi.csv", _air(rng, today - dt.timedelta(days=130))),
            "reviewed": today - dt.timedelta(days=90),
            "data_age": 130,
        },
        {
            "org": "06",
            "name": "tuyen-xe-buyt",
            "title": "Tuyến xe buýt Hà Nội",
            "notes": (
                "Số hiệu, lộ trình, cự ly, giãn cách và giờ hoạt động của các tuyến xe buýt."
            ),
            "groups": ["giao-thong"],
            "tags": ["xe buýt", "giao thông"],
            "frequency": "quarterly",
            "file": ("tuyen-xe-buyt.csv", _buses(rng)),
            "reviewed": today - dt.timedelta(days=240),
        },
        {
            "org": "03",
            "name": "dang-ky-ho-tich",
            "title": f"Số việc đăng ký hộ tịch theo tháng năm {last_year}",
            "notes": (
                "Khai sinh, kết hôn, khai tử và thay đổi, cải chính hộ tịch đăng ký "
                "trên địa bàn thành phố, theo tháng."
            ),
            "groups": ["hanh-chinh", "dan-cu"],
            "tags": ["hộ tịch", "tư pháp", "dân số"],
            "frequency": "monthly",
            "file": ("dang-ky-ho-tich.csv", _civil_status(rng, last_year)),
            "reviewed": today - dt.timedelta(days=30),
        },
        {
            "org": "04",
            "name": "doanh-nghiep-thanh-lap-moi",
            "title": f"Doanh nghiệp đăng ký thành lập mới năm {last_year}",
            "notes": "Số doanh nghiệp và vốn đăng ký thành lập mới theo tháng.",
            "groups": ["kinh-te"],
            "tags": ["doanh nghiệp", "kinh tế"],
            "frequency": "monthly",
            "license": "cc-zero",
            "file": ("doanh-nghiep-moi.xlsx", _enterprises(rng, last_year)),
            "reviewed": today - dt.timedelta(days=50),
        },
        {
            "org": "centre",
            "name": "danh-muc-thu-tuc-hanh-chinh",
            "title": "Danh mục thủ tục hành chính",
            "notes": (
                "Thủ tục hành chính tiếp nhận tại Trung tâm Phục vụ hành chính công và "
                "các phường, xã, qua API của cổng dịch vụ công."
            ),
            "groups": ["hanh-chinh"],
            "tags": ["thủ tục hành chính", "dịch vụ công"],
            "frequency": "irregular",
            "url": "/api/v1/procedures",
            "format": "JSON",
            "reviewed": today - dt.timedelta(days=10),
        },
        {
            "org": "07",
            "name": "ban-do-su-dung-dat",
            "title": "Bản đồ hiện trạng sử dụng đất (dự thảo)",
            "notes": "Đang chuẩn hóa trước khi công bố.",
            "groups": ["dat-dai"],
            "tags": ["đất đai"],
            "frequency": "annual",
            "state": "draft",
            "private": True,
        },
    ]


def build(
    *,
    codes: Mapping[str, str],
    say: Say = lambda _line: None,
    officials: Mapping[str, str] | None = None,
    today: dt.date | None = None,
    base_url: str = "",
) -> dict[str, Any]:
    """The portal's part of the demo city (see the module's docstring). ``officials``
    names the demo's publisher and editor (usernames)."""
    today = today or timezone.localdate()
    base_url = base_url or settings.BASE_URL
    rng = random.Random(SEED)  # noqa: S311 - reproducible figures, not secrets
    for name, title, title_en, theme in GROUPS:
        if not Group.objects.filter(name=name).exists():
            services.group_create(
                actor=None, name=name, title=title, title_en=title_en, eu_theme=theme
            )
    plan = _plan(rng, today)
    made = 0
    for item in plan:
        agency = Agency.objects.get(code=codes[item["org"]])
        org = services.organization_ensure(actor=None, agency=agency)
        if Dataset.objects.filter(name=item["name"]).exists():
            continue
        data: dict[str, Any] = {
            "name": item["name"],
            "title": item["title"],
            "notes": item["notes"],
            "owner_org": org.name,
            "groups": [{"name": g} for g in item["groups"]],
            "tags": item["tags"],
            "frequency": item["frequency"],
            "license_id": item.get("license", "cc-by-4.0"),
            "state": item.get("state", "active"),
            "private": item.get("private", False),
            "maintainer": agency.name,
            "maintainer_email": f"opendata.{org.name[:20]}@hanoi.gov.vn",
            "spatial": item.get("spatial", ["01"]),
            "in_open_data_list": item.get("state") != "draft",
        }
        if "temporal" in item:
            data["temporal_start"], data["temporal_end"] = (d.isoformat() for d in item["temporal"])
        if "url" in item:
            data["resources"] = [
                {"name": item["title"], "url": f"{base_url}{item['url']}", "format": item["format"]}
            ]
        ds = services.dataset_create(actor=None, data=data)
        if "file" in item:
            filename, content = item["file"]
            resource = services.resource_create(
                actor=None, dataset=ds, data={"name": item["title"]}, upload=(filename, content)
            )
            services.datastore_load_run(actor=None, resource_id=str(resource.pk))
        if "reviewed" in item:
            services.dataset_review(
                actor=None,
                dataset=ds,
                outcome=Review.Outcome.ADDED,
                on=item["reviewed"],
                note="Rà soát danh mục dữ liệu mở 6 tháng",
            )
        if "data_age" in item:
            # The series stopped arriving: the dashboard shows it late for its update.
            Dataset.objects.filter(pk=ds.pk).update(
                data_updated_at=timezone.now() - dt.timedelta(days=item["data_age"])
            )
        made += 1
    say(f"   open data: {made} datasets published")
    indicators = services.indicators_publish(actor=None)
    say(f"   open data: {len(indicators)} reporting indicators published as datasets")
    publisher = (officials or {}).get("publisher", "")
    return {
        "portal": "/opendata/",
        "api": "/opendata/api/3/action/package_search?q=dan",
        "catalog": "/opendata/catalog.ttl",
        "manage": "/opendata/quan-ly/",
        "publisher": publisher,
        "datasets": Dataset.objects.exclude(state="deleted").count(),
        "users": [
            u for u in (officials or {}).values() if User.objects.filter(username=u).exists()
        ],
    }
