"""The open-data portal's write services called directly: every field of a dataset into
its exact record, every mistake reported at once with nothing written, who may edit and
who may publish (and that a refusal changes nothing), revisions, facets, deletion, the
Decree 47 review, uploads and their audit events."""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import uri_to_iri

from thudo.core import audit
from thudo.core.errors import FieldError, InvalidInput, NotFound, PermissionDenied
from thudo.core.models import AuditEvent, Role, User
from thudo.core.tests.factories import City, official, unit
from thudo.opendata import search, selectors, services
from thudo.opendata.models import (
    Dataset,
    DatasetVersion,
    Datastore,
    FacetValue,
    Group,
    Organization,
    Resource,
    Review,
    Tag,
)

# 09:30 in Hà Nội, so local ISO times in records are exact.
NOW = dt.datetime(2025, 3, 14, 2, 30, tzinfo=dt.UTC)
LOCAL_NOW = "2025-03-14T09:30:00"
DENIED = "Bạn không có quyền thực hiện thao tác này."
PUBLISHERS_ONLY = "Chỉ lãnh đạo hoặc quản trị của cơ quan được công bố dữ liệu ra công khai."
NAME_RULE = "Tên định danh phải dài 2–100 ký tự: chữ thường không dấu, số, “-” và “_”."
CSV = "Năm;Số vụ\r\n2024;10\r\n2025;12\r\n".encode()


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
def frozen(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


class Portal:
    """Two publishers (the Department of Justice, the People's Committee), two themes,
    and the Department's staff in every role, plus officials who are not its staff."""

    def __init__(self, city: City) -> None:
        self.city = city
        justice = city.justice
        self.leader = official(justice, role=Role.LEADER, username="giamdoc.stp")
        self.admin = official(justice, role=Role.AGENCY_ADMIN, username="quantri.stp")
        self.head = official(justice, role=Role.HEAD, username="truongphong.stp")
        self.specialist = official(justice, role=Role.SPECIALIST, username="chuyenvien.stp")
        self.clerk = official(justice, role=Role.CLERK, username="vanthu.stp")
        # An agency administrator, but of a ward, not of the Department.
        self.outsider = city.admin_b
        self.justice = services.organization_ensure(actor=None, agency=justice, name="so-tu-phap")
        self.committee = services.organization_ensure(
            actor=None, agency=city.city_pc, name="ubnd-thanh-pho"
        )
        self.residents = services.group_create(
            actor=None, name="dan-cu", title="Dân cư", title_en="Population", eu_theme="SOCI"
        )
        self.transport = services.group_create(
            actor=None, name="giao-thong", title="Giao thông", eu_theme="TRAN"
        )

    def dataset(self, name: str, title: str = "", **fields: Any) -> Dataset:
        return services.dataset_create(
            actor=None,
            data={"name": name, "title": title or name, "owner_org": "so-tu-phap", **fields},
        )


@pytest.fixture
def portal(city: City, media: Path) -> Portal:
    return Portal(city)


def _counts() -> dict[str, int]:
    models = (Dataset, DatasetVersion, Tag, FacetValue, Resource, Review, Datastore, AuditEvent)
    return {model.__name__: model.objects.count() for model in models}


def _facets(ds: Dataset) -> set[tuple[str, str]]:
    return set(FacetValue.objects.filter(dataset=ds).values_list("field", "value"))


def _actions(since: int) -> list[str]:
    return list(AuditEvent.objects.filter(seq__gt=since).values_list("action", flat=True))


def _last_seq() -> int:
    last = AuditEvent.objects.order_by("-seq").first()
    return last.seq if last else 0


def _errors(caught: pytest.ExceptionInfo[InvalidInput]) -> list[tuple[str, str, str]]:
    return [(e.field, e.code, e.message) for e in caught.value.field_errors]


# --- create: every field into the exact record ----------------------------------------------


def test_create_with_every_field_gives_the_exact_record(portal: Portal, frozen: Any) -> None:
    ds = services.dataset_create(
        actor=portal.leader,
        data={
            "name": "ho-tich-2024",
            "title": "  Đăng ký hộ tịch năm 2024 ",
            "title_en": "Civil registration 2024",
            "notes": "Khai sinh, kết hôn, khai tử theo tháng.",
            "notes_en": "Births, marriages and deaths by month.",
            "owner_org": str(portal.justice.pk),
            "license_id": "cc-zero",
            "private": "false",
            "state": "active",
            "version": "2024.1",
            "url": "https://sotuphap.hanoi.gov.vn/ho-tich",
            "author": "Phòng Hộ tịch",
            "author_email": "hotich@hanoi.gov.vn",
            "maintainer": "Nguyễn Thị Hà",
            "maintainer_email": "ntha@hanoi.gov.vn",
            "frequency": "monthly",
            "temporal_start": "2024-01-01",
            "temporal_end": "2024-12-31T00:00:00",
            "spatial": ["00004", {"code": "01"}, "00004"],
            "language": "vi",
            "tag_string": "hộ tịch, khai sinh ,  ,hộ tịch",
            "groups": [{"name": "dan-cu"}, str(portal.residents.pk), "giao-thong"],
            "extras": [
                {"key": "nguon", "value": "Sở Tư pháp"},
                {"key": "chi_tieu", "value": 12},
            ],
            "in_open_data_list": True,
            "resources": [
                {"url": "https://sotuphap.hanoi.gov.vn/ho-tich.json"},
                {
                    "url": "https://sotuphap.hanoi.gov.vn/bang.csv",
                    "name": "Bảng tổng hợp",
                    "description": "Theo phường",
                    "format": "csv",
                    "size": 2048,
                },
            ],
        },
    )

    ds.refresh_from_db()
    tags = {t.name: str(t.pk) for t in Tag.objects.all()}
    first, second = ds.resources.order_by("position")
    org = portal.justice
    organization = {
        "id": str(org.pk),
        "name": "so-tu-phap",
        "title": "Sở Tư pháp",
        "display_name": "Sở Tư pháp",
        "description": "",
        "image_url": "",
        "image_display_url": "",
        "created": selectors._iso(org.created_at),
        "is_organization": True,
        "type": "organization",
        "state": "active",
        "approval_status": "approved",
        "agency_code": "000.00.16.H26",
    }

    def group(g: Group, title_en: str, theme: str) -> dict[str, Any]:
        return {
            "id": str(g.pk),
            "name": g.name,
            "title": g.title,
            "title_en": title_en,
            "display_name": g.title,
            "description": "",
            "eu_theme": theme,
            "image_url": "",
            "image_display_url": "",
            "created": selectors._iso(g.created_at),
            "is_organization": False,
            "type": "group",
            "state": "active",
            "approval_status": "approved",
        }

    def resource(r: Resource, **values: Any) -> dict[str, Any]:
        return {
            "id": str(r.pk),
            "package_id": str(ds.pk),
            "description": "",
            "url_type": "",
            "hash": "",
            "size": None,
            "created": LOCAL_NOW,
            "last_modified": LOCAL_NOW,
            "metadata_modified": LOCAL_NOW,
            "state": "active",
            "datastore_active": False,
            **values,
        }

    assert selectors.package_show(ds) == {
        "id": str(ds.pk),
        "name": "ho-tich-2024",
        "title": "Đăng ký hộ tịch năm 2024",
        "title_en": "Civil registration 2024",
        "notes": "Khai sinh, kết hôn, khai tử theo tháng.",
        "notes_en": "Births, marriages and deaths by month.",
        "type": "dataset",
        "state": "active",
        "private": False,
        "version": "2024.1",
        "url": "https://sotuphap.hanoi.gov.vn/ho-tich",
        "author": "Phòng Hộ tịch",
        "author_email": "hotich@hanoi.gov.vn",
        "maintainer": "Nguyễn Thị Hà",
        "maintainer_email": "ntha@hanoi.gov.vn",
        "license_id": "cc-zero",
        "license_title": "Creative Commons CCZero",
        "license_url": "https://creativecommons.org/publicdomain/zero/1.0/",
        "isopen": True,
        "metadata_created": LOCAL_NOW,
        "metadata_modified": LOCAL_NOW,
        "owner_org": str(org.pk),
        "organization": organization,
        "groups": [
            group(portal.residents, "Population", "SOCI"),
            group(portal.transport, "", "TRAN"),
        ],
        "tags": [
            {
                "id": tags[name],
                "name": name,
                "display_name": name,
                "state": "active",
                "vocabulary_id": None,
            }
            for name in ("hộ tịch", "khai sinh")
        ],
        "num_tags": 2,
        "resources": [
            resource(
                first,
                name="ho-tich.json",
                url="https://sotuphap.hanoi.gov.vn/ho-tich.json",
                format="JSON",
                mimetype="application/json",
                position=0,
            ),
            resource(
                second,
                name="Bảng tổng hợp",
                description="Theo phường",
                url="https://sotuphap.hanoi.gov.vn/bang.csv",
                format="CSV",
                mimetype="text/csv",
                size=2048,
                position=1,
            ),
        ],
        "num_resources": 2,
        "extras": [
            {"key": "chi_tieu", "value": "12"},
            {"key": "nguon", "value": "Sở Tư pháp"},
        ],
        "frequency": "monthly",
        "temporal_start": "2024-01-01",
        "temporal_end": "2024-12-31",
        "spatial": [
            {"code": "00004", "name": "Phường Ba Đình"},
            {"code": "01", "name": "Thành phố Hà Nội"},
        ],
        "language": "vi",
        "in_open_data_list": True,
        "last_reviewed": None,
        "data_updated": None,
        "revision": 1,
        "source": "",
        "lineage": None,
    }
    assert (ds.creator, ds.spatial, ds.extras) == (
        portal.leader,
        ["00004", "01"],
        {"nguon": "Sở Tư pháp", "chi_tieu": "12"},
    )
    assert _facets(ds) == {
        ("organization", "so-tu-phap"),
        ("license_id", "cc-zero"),
        ("groups", "dan-cu"),
        ("groups", "giao-thong"),
        ("tags", "hộ tịch"),
        ("tags", "khai sinh"),
        ("res_format", "CSV"),
        ("res_format", "JSON"),
    }
    version = DatasetVersion.objects.get(dataset=ds)
    assert (version.revision, version.author, version.note) == (1, portal.leader, "Tạo bộ dữ liệu")
    assert version.data == selectors.package_show(ds)
    event = AuditEvent.objects.get(action="opendata.dataset_create")
    assert (event.actor, event.agency, event.object_type, event.object_id) == (
        portal.leader,
        portal.city.justice,
        "opendata.dataset",
        str(ds.pk),
    )
    assert event.payload == {"name": "ho-tich-2024", "state": "active", "private": False}


def test_defaults_of_a_minimal_create(portal: Portal) -> None:
    ds = services.dataset_create(actor=None, data={"name": "toi-thieu", "owner_org": "so-tu-phap"})

    record = selectors.package_show(ds)
    assert {k: record[k] for k in ("title", "state", "private", "license_id", "language")} == {
        "title": "toi-thieu",
        "state": "active",
        "private": False,
        "license_id": "cc-by-4.0",
        "language": "vi",
    }
    assert (record["tags"], record["groups"], record["resources"], record["extras"]) == (
        [],
        [],
        [],
        [],
    )
    assert (record["version"], record["spatial"], record["frequency"]) == (None, [], "")
    assert _facets(ds) == {("organization", "so-tu-phap"), ("license_id", "cc-by-4.0")}


def test_tags_from_a_list_of_names_and_dicts_are_cleaned_and_deduplicated(
    portal: Portal,
) -> None:
    ds = portal.dataset(
        "dan-so", tags=[{"name": "dân số"}, "  thống   kê ", "dân số", {"name": "v1.2_a-b"}]
    )

    assert sorted(ds.tags.values_list("name", flat=True)) == ["dân số", "thống kê", "v1.2_a-b"]
    assert {v for f, v in _facets(ds) if f == "tags"} == {"dân số", "thống kê", "v1.2_a-b"}


def test_tags_win_over_tag_string_when_both_are_sent(portal: Portal) -> None:
    ds = portal.dataset("ca-hai", tags=["từ danh sách"], tag_string="từ chuỗi")

    assert list(ds.tags.values_list("name", flat=True)) == ["từ danh sách"]


def test_an_existing_tag_is_reused(portal: Portal) -> None:
    portal.dataset("mot", tags=["dân số"])
    portal.dataset("hai", tags=["dân số"])

    assert list(Tag.objects.values_list("name", flat=True)) == ["dân số"]
    assert Tag.objects.get().datasets.count() == 2


# --- validation: every mistake at once, nothing written -------------------------------------


def test_every_validation_error_is_listed_with_its_field_and_nothing_is_written(
    portal: Portal,
) -> None:
    portal.dataset("da-co")
    before = _counts()

    with pytest.raises(InvalidInput) as caught:
        services.dataset_create(
            actor=None,
            data={
                "name": "Tên Có Dấu",
                "title": "x" * 301,
                "url": "ftp://example.org/a",
                "author_email": "khong-phai-email",
                "owner_org": "khong-co",
                "license_id": "proprietary",
                "private": "có lẽ",
                "in_open_data_list": 2,
                "state": "deleted",
                "frequency": "hourly",
                "temporal_start": "2025-02-01",
                "temporal_end": "2025-01-31",
                "spatial": ["01", "99999"],
                "language": "fr",
                "extras": [{"key": "title", "value": "x"}],
                "tags": ["đúng", "sai!"],
                "groups": [{"name": "khong-co"}, {"name": "dan-cu"}],
                "resources": "https://example.org",
            },
        )

    assert str(caught.value) == "Dữ liệu không hợp lệ."
    assert _errors(caught) == [
        ("name", "invalid", NAME_RULE),
        ("title", "invalid", "Dài quá 300 ký tự."),
        ("url", "invalid", "Địa chỉ web không hợp lệ."),
        ("author_email", "invalid", "Địa chỉ thư điện tử không hợp lệ."),
        ("owner_org", "required", "Cần một tổ chức công bố có thật (id hoặc tên)."),
        (
            "license_id",
            "invalid",
            "Giấy phép “proprietary” không có; dùng một trong cc-by-4.0, cc-by-sa-4.0, "
            "cc-zero, odc-by, odc-odbl, odc-pddl.",
        ),
        ("private", "invalid", "Phải là true hoặc false."),
        ("in_open_data_list", "invalid", "Phải là true hoặc false."),
        ("state", "invalid", "Trạng thái phải là active hoặc draft."),
        (
            "frequency",
            "invalid",
            "Tần suất phải là một trong daily, weekly, monthly, quarterly, annual, "
            "irregular, never.",
        ),
        ("temporal_end", "invalid", "Ngày kết thúc trước ngày bắt đầu."),
        ("spatial", "invalid", "Không có đơn vị hành chính mã 99999."),
        ("language", "invalid", "Ngôn ngữ phải là vi hoặc en."),
        ("extras", "invalid", "“title” là trường của bộ dữ liệu, không là extra."),
        (
            "tags",
            "invalid",
            "Từ khóa “sai!” không hợp lệ: 1–100 chữ, số, dấu cách, “-”, “_” hoặc “.”.",
        ),
        ("groups", "invalid", "Không có chủ đề “khong-co”."),
        ("resources", "invalid", "Phải là một danh sách."),
    ]
    assert _counts() == before
    assert not Tag.objects.filter(name="đúng").exists()


def test_a_taken_name_and_bad_dates_and_shapes(portal: Portal) -> None:
    portal.dataset("da-co")
    before = _counts()

    with pytest.raises(InvalidInput) as caught:
        services.dataset_create(
            actor=None,
            data={
                "name": "da-co",
                "owner_org": "so-tu-phap",
                "temporal_start": "14/03/2025",
                "spatial": "01",
                "extras": {"nguon": "x"},
                "tags": "dân số",
                "groups": "dan-cu",
            },
        )

    assert _errors(caught) == [
        ("name", "taken", "Tên định danh này đã được dùng."),
        ("temporal_start", "invalid", "Ngày phải theo dạng YYYY-MM-DD."),
        ("spatial", "invalid", "Phải là danh sách mã đơn vị hành chính."),
        ("extras", "invalid", "Phải là danh sách {key, value}."),
        ("tags", "invalid", "Phải là một danh sách."),
        ("groups", "invalid", "Phải là một danh sách."),
    ]
    assert _counts() == before


def test_spatial_codes_must_name_a_current_administrative_unit(portal: Portal) -> None:
    # The ward merged away in the 2025 reform: its code no longer names a unit.
    unit(
        "00001",
        "Phường Phúc Xá",
        parent=portal.city.hanoi,
        valid_from=dt.date(2008, 8, 1),
        valid_to=dt.date(2025, 6, 30),
    )
    before = _counts()

    with pytest.raises(InvalidInput) as caught:
        portal.dataset("phuc-xa", spatial=["00001", "00008", "0004"])

    assert _errors(caught) == [
        ("spatial", "invalid", "Không có đơn vị hành chính mã 00001, 0004."),
    ]
    assert _counts() == before


def test_a_bad_link_resource_refuses_the_whole_create(portal: Portal) -> None:
    before = _counts()

    with pytest.raises(InvalidInput) as caught:
        portal.dataset("co-lien-ket", resources=[{"url": "https://example.org/a.csv"}, {}])

    assert _errors(caught) == [("resources[1].url", "required", "Cần đường dẫn hoặc tệp tải lên.")]
    assert _counts() == before


def test_errors_of_the_dataset_and_of_its_resources_are_listed_together(
    portal: Portal,
) -> None:
    with pytest.raises(InvalidInput) as caught:
        portal.dataset("hai-loi", license_id="khong-co", resources=[{"url": "khong-phai-url"}])

    assert {e.field for e in caught.value.field_errors} == {"license_id", "resources[0].url"}


def test_audit_event_is_written_in_the_services_transaction(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _counts()

    def broken(**_kwargs: Any) -> None:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        portal.dataset("khong-ghi-nhat-ky", tags=["mới"], resources=[{"url": "https://a.vn/x"}])

    # The dataset, its tag, facets, resource and revision went with the missing event.
    assert _counts() == before


# --- who may do what ------------------------------------------------------------------------

PUBLIC: dict[str, Any] = {"state": "active", "private": False}
PRIVATE: dict[str, Any] = {"state": "active", "private": True}
DRAFT: dict[str, Any] = {"state": "draft"}
LISTED_DRAFT: dict[str, Any] = {"state": "draft", "in_open_data_list": True}


@pytest.mark.parametrize(
    ("who", "fields", "allowed"),
    [
        ("leader", PUBLIC, True),
        ("admin", PUBLIC, True),
        ("admin", LISTED_DRAFT, True),
        ("head", PUBLIC, False),
        ("head", DRAFT, True),
        ("specialist", PUBLIC, False),
        ("specialist", {}, False),
        ("specialist", PRIVATE, True),
        ("specialist", DRAFT, True),
        ("specialist", LISTED_DRAFT, False),
        ("clerk", DRAFT, False),
        ("clerk", PRIVATE, False),
        ("outsider", DRAFT, False),
        ("outsider", PUBLIC, False),
    ],
)
def test_who_may_create_what(
    portal: Portal, who: str, fields: dict[str, Any], allowed: bool
) -> None:
    actor: User = getattr(portal, who)
    before = _counts()
    data = {"name": "moi", "owner_org": "so-tu-phap", "tags": ["mới"], **fields}

    if allowed:
        ds = services.dataset_create(actor=actor, data=data)
        assert (ds.creator, ds.state) == (actor, fields.get("state", "active"))
        return
    with pytest.raises(PermissionDenied) as caught:
        services.dataset_create(actor=actor, data=data)
    # An editor is told why; anyone else only that they may not.
    editor = who in {"head", "specialist"}
    assert str(caught.value) == (PUBLISHERS_ONLY if editor else DENIED)
    assert _counts() == before


def test_platform_administrator_publishes_for_any_agency(portal: Portal) -> None:
    ds = services.dataset_create(
        actor=portal.city.platform_admin,
        data={"name": "nen-tang", "owner_org": "so-tu-phap", "in_open_data_list": True},
    )

    assert (ds.is_public, ds.in_open_data_list) == (True, True)


@pytest.mark.parametrize(
    ("who", "start", "change", "allowed"),
    [
        ("specialist", PUBLIC, {"notes": "Sửa mô tả"}, True),
        ("specialist", PUBLIC, {"private": True}, True),
        ("specialist", PRIVATE, {"private": False}, False),
        ("specialist", DRAFT, {"state": "active"}, False),
        ("specialist", DRAFT, {"notes": "Nháp"}, True),
        ("specialist", PUBLIC, {"in_open_data_list": True}, False),
        # Sending the value it already has changes nothing on the list.
        ("specialist", PUBLIC, {"in_open_data_list": False}, True),
        ("head", PRIVATE, {"private": False}, False),
        ("leader", PRIVATE, {"private": False, "in_open_data_list": True}, True),
        ("admin", DRAFT, {"state": "active"}, True),
        ("clerk", PUBLIC, {"notes": "x"}, False),
        ("clerk", DRAFT, {"notes": "x"}, False),
        ("outsider", PUBLIC, {"notes": "x"}, False),
        ("outsider", PRIVATE, {"notes": "x"}, False),
    ],
)
def test_who_may_change_what(
    portal: Portal, who: str, start: dict[str, Any], change: dict[str, Any], allowed: bool
) -> None:
    ds = portal.dataset("co-san", tags=["cũ"], **start)
    actor: User = getattr(portal, who)
    record = selectors.package_show(ds)
    before = _counts()

    if allowed:
        after = services.dataset_patch(actor=actor, dataset=ds, data=change)
        assert after.revision == 2
        assert {k: selectors.package_show(after)[k] for k in change} == change
        return
    with pytest.raises(PermissionDenied):
        services.dataset_patch(actor=actor, dataset=ds, data=change)
    ds.refresh_from_db()
    assert selectors.package_show(ds) == record
    assert _counts() == before


def test_moving_a_dataset_needs_editing_rights_at_both_agencies(portal: Portal) -> None:
    ds = portal.dataset("chuyen-di", **PRIVATE)
    before = _counts()

    with pytest.raises(PermissionDenied):
        services.dataset_patch(
            actor=portal.specialist, dataset=ds, data={"owner_org": "ubnd-thanh-pho"}
        )

    ds.refresh_from_db()
    assert (ds.organization, ds.revision) == (portal.justice, 1)
    assert _counts() == before


@pytest.mark.parametrize("who", ["specialist", "head", "clerk", "outsider"])
def test_only_publishers_delete(portal: Portal, who: str) -> None:
    ds = portal.dataset("khong-xoa-duoc", **DRAFT)
    before = _counts()

    with pytest.raises(PermissionDenied):
        services.dataset_delete(actor=getattr(portal, who), dataset=ds)

    ds.refresh_from_db()
    assert (ds.state, ds.revision) == ("draft", 1)
    assert _counts() == before


@pytest.mark.parametrize("who", ["specialist", "head", "clerk", "outsider"])
def test_only_publishers_review(portal: Portal, who: str) -> None:
    ds = portal.dataset("khong-ra-soat", in_open_data_list=True)
    before = _counts()

    with pytest.raises(PermissionDenied):
        services.dataset_review(actor=getattr(portal, who), dataset=ds, outcome="removed")

    ds.refresh_from_db()
    assert (ds.in_open_data_list, ds.reviewed_on, ds.revision) == (True, None, 1)
    assert _counts() == before


@pytest.mark.parametrize("who", ["clerk", "outsider"])
def test_clerks_and_outsiders_upload_nothing(portal: Portal, media: Path, who: str) -> None:
    ds = portal.dataset("khong-tai-len")
    before = _counts()

    with pytest.raises(PermissionDenied):
        services.resource_create(
            actor=getattr(portal, who), dataset=ds, data={}, upload=("bang.csv", CSV)
        )

    assert _counts() == before
    assert list(media.rglob("*.csv")) == []


def test_editors_upload_to_public_datasets(portal: Portal) -> None:
    ds = portal.dataset("cong-khai")

    res = services.resource_create(
        actor=portal.specialist, dataset=ds, data={"url": "https://a.vn/b.pdf"}
    )

    assert (res.format, res.name, res.dataset_id) == ("PDF", "b.pdf", ds.pk)


# --- patch: revisions and facets ------------------------------------------------------------


def test_patch_makes_revision_n_plus_1_and_keeps_the_old_record(portal: Portal) -> None:
    ds = portal.dataset("sua-doi", "Bản đầu", notes="Mô tả đầu", tags=["cũ"])
    first = selectors.package_show(ds)
    seq = _last_seq()

    services.dataset_patch(
        actor=portal.specialist,
        dataset=ds,
        data={"title": "Bản sửa", "notes": "Mô tả mới"},
        note="Sửa tên",
    )

    ds.refresh_from_db()
    second = selectors.package_show(ds)
    assert (second["title"], second["notes"], second["revision"]) == ("Bản sửa", "Mô tả mới", 2)
    assert (second["tags"], second["name"]) == (first["tags"], "sua-doi")
    versions = list(DatasetVersion.objects.filter(dataset=ds).order_by("revision"))
    assert [(v.revision, v.note, v.author) for v in versions] == [
        (1, "Tạo bộ dữ liệu", None),
        (2, "Sửa tên", portal.specialist),
    ]
    assert versions[0].data == first
    assert versions[1].data == second
    assert selectors.package_version(ds, 1) == first
    assert ds.data_updated_at is None
    assert _actions(seq) == ["opendata.dataset_patch"]
    assert AuditEvent.objects.get(seq=seq + 1).payload == {
        "revision": 2,
        "fields": ["notes", "title"],
    }
    assert search.words(ds.search_title) == " ban sua "


def test_patch_of_only_tags_replaces_the_tag_facets(portal: Portal) -> None:
    ds = portal.dataset(
        "doi-tu-khoa",
        tags=["dân số", "thống kê"],
        groups=["dan-cu"],
        resources=[{"url": "https://a.vn/x.json"}],
    )

    services.dataset_patch(actor=portal.specialist, dataset=ds, data={"tags": ["hộ tịch"]})

    assert _facets(ds) == {
        ("organization", "so-tu-phap"),
        ("license_id", "cc-by-4.0"),
        ("groups", "dan-cu"),
        ("tags", "hộ tịch"),
        ("res_format", "JSON"),
    }
    assert list(ds.groups.values_list("name", flat=True)) == ["dan-cu"]
    assert ds.resources.count() == 1
    assert search.run(search.Query(fq='tags:"thống kê"')).ids == []
    assert search.run(search.Query(fq='tags:"hộ tịch"')).ids == [ds.pk]


def test_patch_with_an_empty_tag_list_removes_every_tag(portal: Portal) -> None:
    ds = portal.dataset("bo-tu-khoa", tags=["dân số"])

    services.dataset_patch(actor=None, dataset=ds, data={"tag_string": ""})

    assert ds.tags.count() == 0
    assert {f for f, _v in _facets(ds)} == {"organization", "license_id"}


def test_patch_checks_temporal_order_against_the_stored_dates(portal: Portal) -> None:
    ds = portal.dataset("thoi-gian", temporal_start="2024-01-01", temporal_end="2024-12-31")
    before = _counts()

    with pytest.raises(InvalidInput) as caught:
        services.dataset_patch(actor=None, dataset=ds, data={"temporal_start": "2025-01-01"})

    assert _errors(caught) == [("temporal_end", "invalid", "Ngày kết thúc trước ngày bắt đầu.")]
    assert _counts() == before


def test_patch_keeps_its_own_name_and_refuses_anothers(portal: Portal) -> None:
    portal.dataset("khac")
    ds = portal.dataset("cua-toi")

    services.dataset_patch(actor=None, dataset=ds, data={"name": "cua-toi"})
    with pytest.raises(InvalidInput) as caught:
        services.dataset_patch(actor=None, dataset=ds, data={"name": "khac"})

    assert _errors(caught) == [("name", "taken", "Tên định danh này đã được dùng.")]
    ds.refresh_from_db()
    assert (ds.name, ds.revision) == ("cua-toi", 2)


def test_patch_replaces_link_resources_when_given(portal: Portal) -> None:
    ds = portal.dataset("lien-ket", resources=[{"url": "https://a.vn/a.json"}])

    services.dataset_patch(
        actor=None,
        dataset=ds,
        data={"resources": [{"url": "https://a.vn/b.xml"}, {"url": "https://a.vn/c.zip"}]},
    )

    assert list(ds.resources.values_list("name", "format", "position")) == [
        ("b.xml", "XML", 0),
        ("c.zip", "ZIP", 1),
    ]
    assert {v for f, v in _facets(ds) if f == "res_format"} == {"XML", "ZIP"}


def test_replacing_resources_drops_their_datastore_tables(portal: Portal) -> None:
    ds = portal.dataset("bang-cu")
    res = services.resource_create(actor=None, dataset=ds, data={}, upload=("bang.csv", CSV))
    assert services.datastore_load_run(actor=None, resource_id=str(res.pk)) == "complete"
    table = f"ds_{res.pk.hex}"

    services.dataset_patch(actor=None, dataset=ds, data={"resources": []})

    assert table not in connection.introspection.table_names()


# --- delete ---------------------------------------------------------------------------------


def test_delete_hides_the_dataset_and_keeps_its_revisions(portal: Portal) -> None:
    ds = portal.dataset("se-xoa", "Sẽ xóa", tags=["xóa"])
    kept = portal.dataset("con-lai", "Còn lại", tags=["xóa"])
    seq = _last_seq()

    services.dataset_delete(actor=portal.leader, dataset=ds)

    ds.refresh_from_db()
    assert (ds.state, ds.revision) == ("deleted", 2)
    assert DatasetVersion.objects.get(dataset=ds, revision=2).data["state"] == "deleted"
    assert (selectors.package_version(ds, 1) or {})["state"] == "active"
    assert selectors.dataset_get_for_user(user=None, ident="se-xoa") is None
    assert selectors.dataset_get_for_user(user=portal.leader, ident="se-xoa") is None
    assert selectors.dataset_get_for_user(user=portal.city.platform_admin, ident="se-xoa") == ds
    found = search.run(search.Query(q="xoa", facet_fields=("tags",)))
    assert (found.count, found.ids, found.facets) == (1, [kept.pk], {"tags": {"xóa": 1}})
    everything = search.run(
        search.Query(include_private=True, include_drafts=True), own_orgs=[portal.justice.pk]
    )
    assert everything.ids == [kept.pk]
    assert "se-xoa" not in selectors.package_names()
    assert _actions(seq) == ["opendata.dataset_delete"]


def test_a_deleted_dataset_is_not_patched_nor_given_resources(portal: Portal) -> None:
    ds = portal.dataset("da-xoa")
    services.dataset_delete(actor=None, dataset=ds)
    before = _counts()

    with pytest.raises(NotFound):
        services.dataset_patch(actor=None, dataset=ds, data={"notes": "x"})
    with pytest.raises(NotFound):
        services.resource_create(actor=None, dataset=ds, data={"url": "https://a.vn/x"})

    assert _counts() == before


def test_a_deleted_dataset_is_not_reviewed(portal: Portal) -> None:
    ds = portal.dataset("xoa-roi")
    services.dataset_delete(actor=None, dataset=ds)

    with pytest.raises(NotFound):
        services.dataset_review(actor=None, dataset=ds, outcome="added")


# --- the Decree 47 review -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("listed", "outcome", "listed_after"),
    [(True, "kept", True), (False, "added", True), (True, "removed", False)],
)
def test_review_records_its_outcome(
    portal: Portal, listed: bool, outcome: str, listed_after: bool
) -> None:
    ds = portal.dataset("ra-soat", in_open_data_list=listed, tags=["dân số"])
    seq = _last_seq()
    day = dt.date(2025, 6, 30)

    review = services.dataset_review(
        actor=portal.admin, dataset=ds, outcome=outcome, note="Rà soát 6 tháng", on=day
    )

    ds.refresh_from_db()
    assert (review.dataset, review.reviewed_on, review.outcome) == (ds, day, outcome)
    assert (review.note, review.reviewer) == ("Rà soát 6 tháng", portal.admin)
    assert list(Review.objects.values_list("dataset", "outcome")) == [(ds.pk, outcome)]
    assert (ds.reviewed_on, ds.in_open_data_list, ds.revision) == (day, listed_after, 2)
    record = selectors.package_show(ds)
    assert (record["last_reviewed"], record["in_open_data_list"]) == ("2025-06-30", listed_after)
    assert selectors.package_version(ds, 2) == record
    assert _actions(seq) == ["opendata.dataset_review"]
    assert AuditEvent.objects.get(seq=seq + 1).payload == {"outcome": outcome, "on": "2025-06-30"}
    assert ("tags", "dân số") in _facets(ds)


def test_review_without_a_day_is_dated_today(portal: Portal, frozen: Any) -> None:
    ds = portal.dataset("hom-nay")

    services.dataset_review(actor=portal.leader, dataset=ds, outcome="added")

    ds.refresh_from_db()
    assert ds.reviewed_on == dt.date(2025, 3, 14)


def test_review_with_an_unknown_outcome_writes_nothing(portal: Portal) -> None:
    ds = portal.dataset("sai-ket-qua", in_open_data_list=True)
    before = _counts()

    with pytest.raises(InvalidInput) as caught:
        services.dataset_review(actor=portal.leader, dataset=ds, outcome="deleted")

    assert _errors(caught) == [("outcome", "invalid", "Chọn một kết quả rà soát.")]
    assert _counts() == before


# --- resources ------------------------------------------------------------------------------


def test_upload_keeps_size_hash_mimetype_and_format(
    portal: Portal, media: Path, frozen: Any
) -> None:
    ds = portal.dataset("tai-len")
    seq = _last_seq()

    res = services.resource_create(
        actor=portal.specialist,
        dataset=ds,
        data={"name": "Số vụ theo năm", "description": "Hai năm"},
        upload=("Số vụ 2025.csv", CSV),
    )

    filename = "Số_vụ_2025.csv"
    assert res.file.name == f"opendata/{ds.pk}/{res.pk}/{filename}"
    assert (media / res.file.name).read_bytes() == CSV
    assert selectors.resource_dict(res) == {
        "id": str(res.pk),
        "package_id": str(ds.pk),
        "name": "Số vụ theo năm",
        "description": "Hai năm",
        # The download endpoint's address, as an IRI (Vietnamese letters unescaped).
        "url": "http://127.0.0.1:8000"
        + uri_to_iri(
            reverse(
                "opendata:resource_download",
                kwargs={"dataset_id": ds.pk, "resource_id": res.pk, "filename": filename},
            )
        ),
        "url_type": "upload",
        "format": "CSV",
        "mimetype": "text/csv",
        "size": len(CSV),
        "hash": "sha256:" + hashlib.sha256(CSV).hexdigest(),
        "created": LOCAL_NOW,
        "last_modified": LOCAL_NOW,
        "metadata_modified": LOCAL_NOW,
        "position": 0,
        "state": "active",
        "datastore_active": False,
    }
    ds.refresh_from_db()
    assert (ds.revision, ds.data_updated_at) == (2, NOW)
    assert ("res_format", "CSV") in _facets(ds)
    assert (
        DatasetVersion.objects.get(dataset=ds, revision=2).note == "Thêm tài nguyên Số vụ theo năm"
    )
    # A table is queued for the datastore in the same transaction.
    store = Datastore.objects.get(resource=res)
    assert (store.status, store.table_name) == ("pending", f"ds_{res.pk.hex}")
    assert _actions(seq) == ["opendata.resource_create", "opendata.datastore_load"]
    event = AuditEvent.objects.get(seq=seq + 1)
    assert (event.actor, event.object_type, event.object_id) == (
        portal.specialist,
        "opendata.resource",
        str(res.pk),
    )
    assert event.payload == {"dataset": str(ds.pk), "name": "Số vụ theo năm", "hash": res.hash}


@pytest.mark.parametrize(
    ("filename", "fmt", "mimetype"),
    [
        ("bao-cao.PDF", "PDF", "application/pdf"),
        ("bang.zip", "ZIP", "application/zip"),
        # Python knows .xlsx only from the system's mime.types, which a slim image lacks.
        ("bang.xlsx", "XLSX", mimetypes.guess_type("bang.xlsx")[0] or "application/octet-stream"),
        ("du-lieu", "", "application/octet-stream"),
    ],
)
def test_upload_format_from_extension(
    portal: Portal, filename: str, fmt: str, mimetype: str
) -> None:
    ds = portal.dataset("dinh-dang")
    seq = _last_seq()

    res = services.resource_create(actor=None, dataset=ds, data={}, upload=(filename, b"x"))

    assert (res.name, res.format, res.mimetype) == (filename, fmt, mimetype)
    # Only a table goes to the datastore (an unreadable XLSX fails there, later).
    tabular = fmt == "XLSX"
    assert Datastore.objects.filter(resource=res).exists() is tabular
    assert _actions(seq) == ["opendata.resource_create"] + (
        ["opendata.datastore_load"] if tabular else []
    )


def test_given_format_wins_over_the_extension(portal: Portal) -> None:
    ds = portal.dataset("dinh-dang-cho-truoc")

    res = services.resource_create(
        actor=None, dataset=ds, data={"format": "tsv"}, upload=("bang.txt", b"a\tb\n1\t2\n")
    )

    assert res.format == "TSV"
    assert Datastore.objects.filter(resource=res).exists()


def test_oversized_upload_is_refused_with_nothing_written(
    portal: Portal, media: Path, settings: Any
) -> None:
    settings.OPENDATA_MAX_UPLOAD_BYTES = len(CSV) - 1
    ds = portal.dataset("qua-lon")
    before = _counts()

    with pytest.raises(InvalidInput) as caught:
        services.resource_create(actor=None, dataset=ds, data={}, upload=("bang.csv", CSV))

    assert _errors(caught) == [
        (
            "upload",
            "too_large",
            f"Tệp {len(CSV)} byte vượt giới hạn {len(CSV) - 1} byte.",
        )
    ]
    assert _counts() == before
    assert list(media.rglob("*")) == []
    ds.refresh_from_db()
    assert (ds.revision, ds.data_updated_at) == (1, None)


def test_an_upload_at_the_limit_is_accepted(portal: Portal, settings: Any) -> None:
    settings.OPENDATA_MAX_UPLOAD_BYTES = len(CSV)
    ds = portal.dataset("vua-du")

    res = services.resource_create(actor=None, dataset=ds, data={}, upload=("bang.csv", CSV))

    assert res.size == len(CSV)


def test_link_resource_must_be_a_web_address(portal: Portal) -> None:
    ds = portal.dataset("lien-ket-sai")
    before = _counts()

    with pytest.raises(InvalidInput) as caught:
        services.resource_create(
            actor=None, dataset=ds, data={"url": "javascript:alert(1)", "name": "x" * 301}
        )

    assert _errors(caught) == [
        ("url", "invalid", "Địa chỉ web không hợp lệ."),
        ("name", "invalid", "Dài quá 300 ký tự."),
    ]
    assert _counts() == before


def test_link_resources_take_positions_in_order(portal: Portal) -> None:
    ds = portal.dataset("thu-tu", resources=[{"url": "https://a.vn/a.json"}])

    res = services.resource_create(
        actor=None, dataset=ds, data={"url": "ftp://a.vn/b.zip", "size": 10}
    )

    assert (res.position, res.format, res.size, res.url) == (1, "ZIP", 10, "ftp://a.vn/b.zip")
    assert selectors.resource_dict(res)["url"] == "ftp://a.vn/b.zip"


def test_link_mimetype_ignores_the_query_string(portal: Portal) -> None:
    ds = portal.dataset("tham-so")

    res = services.resource_create(
        actor=None, dataset=ds, data={"url": "https://a.vn/bang.csv?v=2"}
    )

    assert (res.format, res.mimetype) == ("CSV", "text/csv")


# --- organisations and groups ---------------------------------------------------------------


def test_organization_ensure_is_idempotent_and_named_from_the_agency(portal: Portal) -> None:
    seq = _last_seq()
    commune = portal.city.commune_a

    org = services.organization_ensure(actor=portal.city.admin_a, agency=commune)
    again = services.organization_ensure(actor=None, agency=commune, name="ten-khac")

    assert (org.name, again.pk) == ("uy-ban-nhan-dan-phuong-ba-dinh", org.pk)
    assert _actions(seq) == ["opendata.organization_ensure"]


def test_organization_ensure_suffixes_a_taken_name_with_the_agency_code(portal: Portal) -> None:
    org = services.organization_ensure(actor=None, agency=portal.city.commune_a, name="so-tu-phap")

    assert org.name == "so-tu-phap-000-01-50-h26"


@pytest.mark.parametrize("who", ["specialist", "head", "clerk", "outsider"])
def test_only_publishers_register_their_agency(portal: Portal, who: str) -> None:
    justice = Organization.objects.get(name="so-tu-phap")
    justice.delete()
    before = _counts()

    with pytest.raises(PermissionDenied):
        services.organization_ensure(actor=getattr(portal, who), agency=portal.city.justice)

    assert not Organization.objects.filter(agency=portal.city.justice).exists()
    assert _counts() == before


def test_group_create_lists_every_error(portal: Portal) -> None:
    before = (Group.objects.count(), AuditEvent.objects.count())

    with pytest.raises(InvalidInput) as caught:
        services.group_create(actor=None, name="dan-cu", title="  ", eu_theme="XXXX")

    assert caught.value.field_errors == [
        FieldError("name", "taken", "Tên định danh này đã được dùng."),
        FieldError("title", "required", "Cần tên chủ đề."),
        FieldError("eu_theme", "invalid", "Mã chủ đề EU không hợp lệ."),
    ]
    with pytest.raises(InvalidInput) as bad_name:
        services.group_create(actor=None, name="Dân cư", title="Dân cư")
    assert _errors(bad_name) == [("name", "invalid", NAME_RULE)]
    assert (Group.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize("who", ["leader", "admin"])
def test_only_platform_administrators_create_groups(portal: Portal, who: str) -> None:
    before = _counts()

    with pytest.raises(PermissionDenied):
        services.group_create(actor=getattr(portal, who), name="moi-truong", title="Môi trường")

    assert not Group.objects.filter(name="moi-truong").exists()
    assert _counts() == before


def test_group_create_by_the_platform_administrator(portal: Portal) -> None:
    seq = _last_seq()

    group = services.group_create(
        actor=portal.city.platform_admin, name="moi-truong", title=" Môi trường ", eu_theme="ENVI"
    )

    assert (group.name, group.title, group.eu_theme) == ("moi-truong", "Môi trường", "ENVI")
    assert _actions(seq) == ["opendata.group_create"]
