"""The datastore: loading uploaded tables into typed columns (Vietnamese numbers, dates
and yes/no), keeping bad rows aside, failing whole on an unreadable file without losing
the previous table, progress; tables written through the API (create, insert, update,
upsert, all or nothing); reading them back with filters, accent-insensitive ``q``,
sorting and paging; and the read-only, time-limited SQL."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from thudo.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from thudo.core.models import AuditEvent, Role, User
from thudo.core.tests.factories import City, official
from thudo.opendata import datastore, selectors, services
from thudo.opendata.models import Dataset, DatasetVersion, Datastore, Resource

TYPED = (
    "Mã;Tên phường;Dân số;Diện tích (km²);Ngày thành lập;Có chợ;Ghi chú\r\n"
    "1;Phường Ba Đình;65.000;9,25;01/07/2025;có;Trung tâm\r\n"
    "2;Phường Ngọc Hà;1.234.567;10,5;15/7/2025;không;\r\n"
    "3;Phường Hoàn Kiếm;48.200;5;30/06/2025;Có;Hồ Gươm\r\n"
).encode("utf-8-sig")

WARDS = (
    "Mã;Tên;Quận;Dân số;Có chợ;Ghi chú\r\n"
    "1;Phường Ba Đình;Ba Đình;65.000;có;Trung tâm Hà Nội\r\n"
    "2;Phường Ngọc Hà;Ba Đình;21.300;không;\r\n"
    "3;Phường Hoàn Kiếm;Hoàn Kiếm;48.200;có;HÀ NỘI cổ\r\n"
    "4;Phường Hà Đông;Hà Đông;120.000;có;Hà Nội mở rộng\r\n"
    "5;Xã Danh Thắng;Sóc Sơn;9.800;không;Ngoại thành\r\n"
).encode()

DISTRICTS = (
    "Quận;Diện tích\r\nBa Đình;9,25\r\nHoàn Kiếm;5,29\r\nHà Đông;49,64\r\nSóc Sơn;305,5\r\n"
).encode()

LOAD_FAILED_UTF8 = (
    "Tệp không phải văn bản UTF-8: byte 0xE0 ở dòng 3 (vị trí byte 22) không hợp lệ. "
    "Hãy lưu tệp dưới dạng “CSV UTF-8”, hoặc cho biết bảng mã của tệp (ví dụ "
    "windows-1258 hay cp1252)."
)
TYPES = "text, int, numeric, date, timestamp, bool"


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


class Portal:
    """The Department of Justice publishing a public dataset and a private one, with
    its staff and an official of another agency."""

    def __init__(self, city: City) -> None:
        self.city = city
        self.leader = official(city.justice, role=Role.LEADER, username="giamdoc.stp")
        self.specialist = official(city.justice, role=Role.SPECIALIST, username="chuyenvien.stp")
        self.clerk = official(city.justice, role=Role.CLERK, username="vanthu.stp")
        self.outsider = city.admin_b
        services.organization_ensure(actor=None, agency=city.justice, name="so-tu-phap")
        self.public = self.dataset("phuong-xa", "Phường xã")
        self.secret = self.dataset("noi-bo", "Nội bộ", private=True)

    def dataset(self, name: str, title: str, **fields: Any) -> Dataset:
        return services.dataset_create(
            actor=None, data={"name": name, "title": title, "owner_org": "so-tu-phap", **fields}
        )

    def upload(self, content: bytes, *, ds: Dataset | None = None, name: str = "Bảng") -> Resource:
        return services.resource_create(
            actor=None,
            dataset=ds or self.public,
            data={"name": name},
            upload=(f"{name}.csv", content),
        )

    def loaded(self, content: bytes, **kwargs: Any) -> Datastore:
        resource = self.upload(content, **kwargs)
        assert services.datastore_load_run(actor=None, resource_id=str(resource.pk)) == "complete"
        return Datastore.objects.get(resource=resource)


@pytest.fixture
def portal(city: City, media: Path) -> Portal:
    return Portal(city)


@pytest.fixture
def wards(portal: Portal) -> Datastore:
    return portal.loaded(WARDS, name="Phường")


def _replace_file(resource: Resource, content: bytes) -> None:
    resource.file.save("moi.csv", ContentFile(content), save=True)


def _records(store: Datastore, **kwargs: Any) -> list[dict[str, Any]]:
    return datastore.search_table(store, limit=1000, **kwargs)["records"]


def _ids(store: Datastore, **kwargs: Any) -> list[int]:
    return [r["_id"] for r in _records(store, **kwargs)]


def _invalid(call: Callable[..., Any], *args: Any, **kwargs: Any) -> list[tuple[str, str, str]]:
    with pytest.raises(InvalidInput) as caught:
        call(*args, **kwargs)
    return [(e.field, e.code, e.message) for e in caught.value.field_errors]


def _table_exists(name: str) -> bool:
    return name in connection.introspection.table_names()


def _state(store: Datastore) -> tuple[Any, ...]:
    store.refresh_from_db()
    ds = Dataset.objects.get(pk=store.resource.dataset_id)
    return (
        store.status,
        store.fields,
        store.row_count,
        store.overrides,
        ds.revision,
        AuditEvent.objects.count(),
        DatasetVersion.objects.count(),
    )


# --- loading an uploaded table ----------------------------------------------------------------


def test_a_semicolon_csv_with_vietnamese_headers_loads_typed_columns(portal: Portal) -> None:
    store = portal.loaded(TYPED, name="Dân số")

    assert store.fields == [
        {"id": "Mã", "type": "int"},
        {"id": "Tên phường", "type": "text"},
        {"id": "Dân số", "type": "int"},
        {"id": "Diện tích (km²)", "type": "numeric"},
        {"id": "Ngày thành lập", "type": "date"},
        {"id": "Có chợ", "type": "bool"},
        {"id": "Ghi chú", "type": "text"},
    ]
    assert (store.status, store.row_count, store.errors, store.error_count) == (
        "complete",
        3,
        [],
        0,
    )
    assert (store.encoding, store.message, store.rows_done, store.rows_total) == (
        "utf-8",
        "",
        3,
        3,
    )
    records = _records(store)
    assert records == [
        {
            "_id": 1,
            "Mã": 1,
            "Tên phường": "Phường Ba Đình",
            "Dân số": 65000,
            "Diện tích (km²)": 9.25,
            "Ngày thành lập": "2025-07-01",
            "Có chợ": True,
            "Ghi chú": "Trung tâm",
        },
        {
            "_id": 2,
            "Mã": 2,
            "Tên phường": "Phường Ngọc Hà",
            "Dân số": 1234567,
            "Diện tích (km²)": 10.5,
            "Ngày thành lập": "2025-07-15",
            "Có chợ": False,
            "Ghi chú": None,
        },
        {
            "_id": 3,
            "Mã": 3,
            "Tên phường": "Phường Hoàn Kiếm",
            "Dân số": 48200,
            "Diện tích (km²)": 5,
            "Ngày thành lập": "2025-06-30",
            "Có chợ": True,
            "Ghi chú": "Hồ Gươm",
        },
    ]
    # == alone would let True pass for 1 and 5.0 for 5.
    assert [type(v) for v in records[0].values()] == [int, int, str, int, float, str, bool, str]
    assert type(records[2]["Diện tích (km²)"]) is int
    assert datastore.search_table(store, limit=0)["fields"] == [
        {"id": "_id", "type": "int"},
        *store.fields,
    ]
    assert selectors.resource_dict(store.resource)["datastore_active"] is True


def test_ragged_rows_and_bad_cells_are_set_aside_and_the_rest_loaded(portal: Portal) -> None:
    content = (
        "Mã;Tên;Ngày\r\n"
        "1;A;01/01/2025\r\n"
        "2;B\r\n"
        "3;C;31/02/2025\r\n"
        "4;D;02/01/2025;;\r\n"
        "5;E;03/01/2025;thừa\r\n"
    ).encode()

    store = portal.loaded(content)

    assert store.errors == [
        {"line": 3, "column": "", "value": "2;B", "message": "Dòng 3: có 2 cột, tiêu đề có 3 cột."},
        {
            "line": 4,
            "column": "Ngày",
            "value": "31/02/2025",
            "message": "'31/02/2025' không phải ngày có thật",
        },
        {
            "line": 6,
            "column": "",
            "value": "5;E;03/01/2025;thừa",
            "message": "Dòng 6: có 4 cột, tiêu đề có 3 cột.",
        },
    ]
    assert (store.status, store.error_count, store.row_count) == ("complete", 3, 2)
    assert _records(store) == [
        {"_id": 1, "Mã": 1, "Tên": "A", "Ngày": "2025-01-01"},
        {"_id": 2, "Mã": 4, "Tên": "D", "Ngày": "2025-01-02"},
    ]
    version = DatasetVersion.objects.get(dataset=portal.public, revision=3)
    assert version.note == "Nạp bảng Bảng: 2 dòng, 3 dòng lỗi"


def test_a_non_utf8_file_fails_whole_and_leaves_the_previous_table(portal: Portal) -> None:
    store = portal.loaded("Mã;Tên\r\n1;Ba Đình\r\n".encode())
    before = _records(store)
    revision = Dataset.objects.get(pk=portal.public.pk).revision
    _replace_file(store.resource, "Ma;Ten\r\n1;Ba Dinh\r\n2;Hà Đông\r\n".encode("cp1258"))
    services.datastore_load(actor=portal.specialist, resource=store.resource)
    seq = AuditEvent.objects.latest("seq").seq

    assert services.datastore_load_run(actor=None, resource_id=str(store.resource_id)) == "error"

    store.refresh_from_db()
    assert (store.status, store.message) == ("error", LOAD_FAILED_UTF8)
    assert store.finished_at is not None
    assert (store.fields, store.row_count, store.encoding) == (
        [{"id": "Mã", "type": "int"}, {"id": "Tên", "type": "text"}],
        1,
        "utf-8",
    )
    assert _records(store) == before == [{"_id": 1, "Mã": 1, "Tên": "Ba Đình"}]
    assert not _table_exists(f"{store.table_name}_new")
    assert Dataset.objects.get(pk=portal.public.pk).revision == revision
    assert not AuditEvent.objects.filter(seq__gt=seq).exists()


def test_a_first_load_of_an_unreadable_file_leaves_no_table(portal: Portal) -> None:
    resource = portal.upload("Ten\r\nHà Đông\r\n".encode("cp1258"))

    assert services.datastore_load_run(actor=None, resource_id=str(resource.pk)) == "error"

    store = Datastore.objects.get(resource=resource)
    assert store.status == "error"
    assert store.message.startswith("Tệp không phải văn bản UTF-8: byte 0xE0 ở dòng 2 ")
    assert (store.fields, store.row_count) == ([], 0)
    assert not _table_exists(store.table_name)
    assert selectors.resource_dict(resource)["datastore_active"] is False


def test_the_previous_table_is_still_served_after_a_failed_reload(portal: Portal) -> None:
    store = portal.loaded("Mã;Tên\r\n1;Ba Đình\r\n".encode())
    _replace_file(store.resource, "Ma;Ten\r\n2;Hà Đông\r\n".encode("cp1258"))
    services.datastore_load(actor=None, resource=store.resource)
    services.datastore_load_run(actor=None, resource_id=str(store.resource_id))

    assert selectors.resource_dict(Resource.objects.get(pk=store.resource_id))["datastore_active"]


def test_a_database_failure_mid_load_keeps_the_previous_table(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = portal.loaded("Mã;Tên\r\n1;Ba Đình\r\n".encode())
    _replace_file(store.resource, "Mã;Tên\r\n1;A\r\n2;B\r\n3;C\r\n".encode())
    services.datastore_load(actor=None, resource=store.resource)
    monkeypatch.setattr(datastore, "BATCH", 1)
    real = datastore.insert_rows
    calls: list[int] = []

    def failing(name: str, fields: Any, rows: Any) -> None:
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("đĩa đầy")
        real(name, fields, rows)

    monkeypatch.setattr(datastore, "insert_rows", failing)

    with pytest.raises(RuntimeError):
        services.datastore_load_run(actor=None, resource_id=str(store.resource_id))

    store.refresh_from_db()
    assert (store.status, store.message) == ("error", "Nạp không thành công: đĩa đầy")
    assert _records(store) == [{"_id": 1, "Mã": 1, "Tên": "Ba Đình"}]
    assert not _table_exists(f"{store.table_name}_new")


def test_reloading_with_a_type_override_changes_the_column(portal: Portal) -> None:
    store = portal.loaded(TYPED)
    seq = AuditEvent.objects.latest("seq").seq

    services.datastore_load(actor=portal.specialist, resource=store.resource, types={"Mã": "text"})
    store.refresh_from_db()
    assert (store.status, store.overrides, store.rows_done) == ("pending", {"Mã": "text"}, 0)
    assert services.datastore_load_run(actor=None, resource_id=str(store.resource_id)) == "complete"

    store.refresh_from_db()
    assert store.fields[0] == {"id": "Mã", "type": "text"}
    assert [f["type"] for f in store.fields[1:]] == [
        "text",
        "int",
        "numeric",
        "date",
        "bool",
        "text",
    ]
    assert [r["Mã"] for r in _records(store)] == ["1", "2", "3"]
    assert list(AuditEvent.objects.filter(seq__gt=seq).values_list("action", "payload")) == [
        ("opendata.datastore_load", {"types": {"Mã": "text"}}),
        ("opendata.datastore_loaded", {"rows": 3, "errors": 0, "fields": 7}),
    ]


def test_an_override_that_does_not_fit_sets_the_cells_aside(portal: Portal) -> None:
    store = portal.loaded(TYPED)

    services.datastore_load(actor=None, resource=store.resource, types={"Ghi chú": "date"})
    services.datastore_load_run(actor=None, resource_id=str(store.resource_id))

    store.refresh_from_db()
    assert (store.row_count, store.error_count) == (1, 2)
    assert [(e["line"], e["column"], e["value"]) for e in store.errors] == [
        (2, "Ghi chú", "Trung tâm"),
        (4, "Ghi chú", "Hồ Gươm"),
    ]
    assert [r["Mã"] for r in _records(store)] == [2]


def test_an_unknown_type_in_overrides_is_refused_with_nothing_changed(portal: Portal) -> None:
    store = portal.loaded(TYPED)
    before = _state(store)

    errors = _invalid(
        lambda: services.datastore_load(
            actor=None, resource=store.resource, types={"Mã": "integer", "Tên phường": "text"}
        )
    )

    assert errors == [("Mã", "invalid", f"Kiểu “integer” không có; dùng một trong {TYPES}.")]
    assert _state(store) == before
    assert store.status == "complete"


def test_an_override_for_an_unknown_column_is_refused_up_front(portal: Portal) -> None:
    store = portal.loaded(TYPED)
    before = _state(store)

    errors = _invalid(
        lambda: services.datastore_load(actor=None, resource=store.resource, types={"Mả": "text"})
    )

    assert [e[0] for e in errors] == ["Mả"]
    assert _state(store) == before


def test_only_uploaded_tables_are_loaded(portal: Portal) -> None:
    link = services.resource_create(
        actor=None, dataset=portal.public, data={"url": "https://a.vn/bang.csv"}
    )
    pdf = services.resource_create(
        actor=None, dataset=portal.public, data={}, upload=("van-ban.pdf", b"%PDF-1.7")
    )

    for resource in (link, pdf):
        assert _invalid(services.datastore_load, actor=None, resource=resource) == [
            ("resource_id", "not_tabular", "Không phải bảng tải lên.")
        ]
    assert not Datastore.objects.exists()


@pytest.mark.parametrize("who", ["clerk", "outsider"])
def test_clerks_and_outsiders_do_not_reload(portal: Portal, who: str) -> None:
    store = portal.loaded(TYPED)
    before = _state(store)

    with pytest.raises(PermissionDenied):
        services.datastore_load(actor=getattr(portal, who), resource=store.resource)

    assert _state(store) == before


def test_only_the_platform_runs_a_queued_load(portal: Portal) -> None:
    resource = portal.upload(TYPED)

    for actor in (portal.leader, portal.specialist):
        with pytest.raises(PermissionDenied):
            services.datastore_load_run(actor=actor, resource_id=str(resource.pk))

    store = Datastore.objects.get(resource=resource)
    assert (store.status, store.started_at) == ("pending", None)
    assert not _table_exists(store.table_name)
    assert services.datastore_load_run(actor=None, resource_id=str(portal.public.pk)) == "missing"


def test_progress_is_reported_per_batch(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = 5_001
    content = ("Mã;Giá trị\r\n" + "".join(f"{n};{n * 2}\r\n" for n in range(rows))).encode()
    resource = portal.upload(content)
    monkeypatch.setattr(datastore, "BATCH", 1_000)
    seen: list[tuple[int, int, int, str]] = []
    real = datastore.load_rows

    def spying(name: str, fields: Any, rows: Any, *, progress: Callable[[int], None]) -> None:
        def recorded(done: int) -> None:
            progress(done)
            store = Datastore.objects.get(resource=resource)
            seen.append((done, store.rows_done, store.rows_total, store.status))

        real(name, fields, rows, progress=recorded)

    monkeypatch.setattr(datastore, "load_rows", spying)

    assert services.datastore_load_run(actor=None, resource_id=str(resource.pk)) == "complete"

    assert seen == [
        (done, done, rows, "running") for done in (1_000, 2_000, 3_000, 4_000, 5_000, 5_001)
    ]
    store = Datastore.objects.get(resource=resource)
    assert (store.rows_done, store.rows_total, store.row_count) == (rows, rows, rows)
    assert datastore.search_table(store, limit=1, offset=5_000)["records"] == [
        {"_id": 5_001, "Mã": 5_000, "Giá trị": 10_000}
    ]


def test_a_load_makes_a_new_revision_with_the_data_date(portal: Portal) -> None:
    resource = portal.upload(TYPED, name="Dân số")
    ds = Dataset.objects.get(pk=portal.public.pk)
    assert ds.revision == 2
    uploaded_at = ds.data_updated_at
    assert uploaded_at is not None

    services.datastore_load_run(actor=None, resource_id=str(resource.pk))

    ds.refresh_from_db()
    assert ds.revision == 3
    assert ds.data_updated_at == ds.modified_at
    assert ds.data_updated_at > uploaded_at
    version = DatasetVersion.objects.get(dataset=ds, revision=3)
    assert version.note == "Nạp bảng Dân số: 3 dòng, 0 dòng lỗi"
    assert version.data["resources"][0]["datastore_active"] is True
    assert version.data["data_updated"] == selectors._iso(ds.data_updated_at)


def test_loading_the_same_file_again_gives_the_same_table(portal: Portal) -> None:
    store = portal.loaded(TYPED)
    first = _records(store)

    for _ in range(2):
        services.datastore_load(actor=None, resource=store.resource)
        assert services.datastore_load_run(actor=None, resource_id=str(store.resource_id)) == (
            "complete"
        )

    store.refresh_from_db()
    assert (_records(store), store.row_count) == (first, 3)


# --- tables written through the API -----------------------------------------------------------

CASES = [
    {"id": "Mã", "type": "text"},
    {"id": "Tên", "type": "string"},
    {"id": "Số vụ", "type": "integer"},
]


@pytest.fixture
def cases(portal: Portal) -> Datastore:
    return services.datastore_create(
        actor=portal.specialist,
        resource={"package_id": "phuong-xa", "name": "Theo quận"},
        fields=CASES,
        primary_key=["Mã"],
        records=[
            {"Mã": "A", "Tên": "Ba Đình", "Số vụ": 1},
            {"Mã": "B", "Tên": "Ngọc Hà", "Số vụ": 2},
        ],
    )


def _rows(store: Datastore) -> list[tuple[Any, ...]]:
    return [(r["Mã"], r["Tên"], r["Số vụ"]) for r in _records(store, sort="Mã")]


def test_datastore_create_makes_a_typed_table_on_a_new_resource(
    portal: Portal, cases: Datastore
) -> None:
    resource = cases.resource
    assert (resource.name, resource.format, resource.dataset_id) == (
        "Theo quận",
        "CSV",
        portal.public.pk,
    )
    assert resource.url == f"{selectors.base_url()}/datastore/dump/{resource.pk}"
    assert cases.fields == [
        {"id": "Mã", "type": "text"},
        {"id": "Tên", "type": "text"},
        {"id": "Số vụ", "type": "int"},
    ]
    assert (cases.primary_key, cases.row_count, cases.status) == (["Mã"], 2, "complete")
    assert _rows(cases) == [("A", "Ba Đình", 1), ("B", "Ngọc Hà", 2)]
    ds = Dataset.objects.get(pk=portal.public.pk)
    assert (ds.revision, ds.data_updated_at) == (2, ds.modified_at)
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.actor, event.payload) == (
        "opendata.datastore_create",
        portal.specialist,
        {"records": 2, "fields": ["Mã", "Tên", "Số vụ"]},
    )


def test_datastore_create_on_an_existing_table_adds_records(
    portal: Portal, cases: Datastore
) -> None:
    services.datastore_create(
        actor=None, resource_id=str(cases.resource_id), records=[{"Mã": "C", "Số vụ": 3}]
    )

    cases.refresh_from_db()
    assert (_rows(cases), cases.row_count) == (
        [("A", "Ba Đình", 1), ("B", "Ngọc Hà", 2), ("C", None, 3)],
        3,
    )


def test_datastore_create_cannot_change_an_existing_tables_fields(
    portal: Portal, cases: Datastore
) -> None:
    before = _state(cases)

    with pytest.raises(Conflict) as caught:
        services.datastore_create(
            actor=None,
            resource_id=str(cases.resource_id),
            fields=[{"id": "Mã", "type": "int"}],
            records=[{"Mã": 3}],
        )

    assert str(caught.value) == (
        "Bảng đã có với các trường khác; datastore_create không đổi được kiểu của bảng."
    )
    assert _state(cases) == before


def test_datastore_create_lists_every_bad_field_and_writes_nothing(portal: Portal) -> None:
    before = (Resource.objects.count(), Datastore.objects.count(), AuditEvent.objects.count())

    errors = _invalid(
        lambda: services.datastore_create(
            actor=None,
            resource={"package_id": "phuong-xa"},
            fields=[
                {"id": "_id"},
                {"id": "Mã", "type": "text"},
                {"id": "mã"},
                {"id": "Tiền", "type": "money"},
                {"id": "x" * 64},
                "Tên",
            ],
        )
    )

    assert errors == [
        ("fields", "invalid", "Tên trường “_id” không hợp lệ hoặc trùng."),
        ("fields", "invalid", "Tên trường “mã” không hợp lệ hoặc trùng."),
        ("fields", "invalid", "Kiểu “money” của trường Tiền không có."),
        ("fields", "invalid", f"Tên trường “{'x' * 64}” không hợp lệ hoặc trùng."),
        ("fields", "invalid", "Tên trường “None” không hợp lệ hoặc trùng."),
    ]
    assert (
        Resource.objects.count(),
        Datastore.objects.count(),
        AuditEvent.objects.count(),
    ) == before


def test_datastore_create_needs_fields_and_a_key_among_them(portal: Portal) -> None:
    before = (Resource.objects.count(), Datastore.objects.count())

    assert _invalid(
        lambda: services.datastore_create(actor=None, resource={"package_id": "phuong-xa"})
    ) == [("fields", "required", "Cần fields.")]
    assert _invalid(
        lambda: services.datastore_create(
            actor=None,
            resource={"package_id": "phuong-xa"},
            fields=[{"id": "Mã"}],
            primary_key="Mã,Năm",
        )
    ) == [("primary_key", "invalid", "Năm")]
    assert _invalid(lambda: services.datastore_create(actor=None, fields=[{"id": "Mã"}])) == [
        ("resource_id", "required", "Cần resource_id.")
    ]
    assert (Resource.objects.count(), Datastore.objects.count()) == before


def test_datastore_create_with_a_bad_record_leaves_no_table(portal: Portal) -> None:
    before = (Resource.objects.count(), Datastore.objects.count())

    errors = _invalid(
        lambda: services.datastore_create(
            actor=None,
            resource={"package_id": "phuong-xa"},
            fields=CASES,
            records=[{"Mã": "A", "Số vụ": "một"}, {"Mã": "B", "Quận": "x"}, "C"],
        )
    )

    assert errors == [
        ("records", "invalid", "Bản ghi 0, trường Số vụ: 'một' không phải số nguyên"),
        ("records", "unknown_field", "Bản ghi 1: không có trường Quận."),
        ("records", "invalid", "Bản ghi 2 không phải đối tượng."),
    ]
    assert (Resource.objects.count(), Datastore.objects.count()) == before
    assert not any(name.startswith("ds_") for name in connection.introspection.table_names())


def test_upsert_updates_existing_keys_and_inserts_new_ones(
    portal: Portal, cases: Datastore
) -> None:
    services.datastore_upsert(
        actor=portal.specialist,
        resource_id=str(cases.resource_id),
        records=[{"Mã": "B", "Tên": "Hà Đông", "Số vụ": 5}, {"Mã": "C", "Số vụ": 7}],
    )

    cases.refresh_from_db()
    assert _rows(cases) == [("A", "Ba Đình", 1), ("B", "Hà Đông", 5), ("C", None, 7)]
    assert cases.row_count == 3
    # The row's search text follows the update.
    assert [r["Mã"] for r in _records(cases, q="ha dong")] == ["B"]
    assert _records(cases, q="ngoc ha") == []
    assert Dataset.objects.get(pk=portal.public.pk).revision == 3
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.payload) == (
        "opendata.datastore_upsert",
        {"records": 2, "method": "upsert"},
    )


def test_update_changes_only_the_given_fields(portal: Portal, cases: Datastore) -> None:
    services.datastore_upsert(
        actor=None,
        resource_id=str(cases.resource_id),
        records=[{"Mã": "A", "Số vụ": 9}],
        method="update",
    )

    assert _rows(cases) == [("A", "Ba Đình", 9), ("B", "Ngọc Hà", 2)]
    assert [r["Mã"] for r in _records(cases, q="ba dinh")] == ["A"]


def test_update_of_a_missing_key_changes_nothing(portal: Portal, cases: Datastore) -> None:
    before = _state(cases)

    with pytest.raises(NotFound) as caught:
        services.datastore_upsert(
            actor=None,
            resource_id=str(cases.resource_id),
            records=[{"Mã": "A", "Số vụ": 9}, {"Mã": "Z", "Số vụ": 1}],
            method="update",
        )

    assert str(caught.value) == "Bản ghi 1: không có dòng nào có khóa này."
    assert _rows(cases) == [("A", "Ba Đình", 1), ("B", "Ngọc Hà", 2)]
    assert _state(cases) == before


def test_insert_of_a_taken_key_is_a_conflict_and_changes_nothing(
    portal: Portal, cases: Datastore
) -> None:
    before = _state(cases)

    with pytest.raises(Conflict) as caught:
        services.datastore_upsert(
            actor=None,
            resource_id=str(cases.resource_id),
            records=[{"Mã": "C", "Số vụ": 3}, {"Mã": "A", "Số vụ": 9}],
            method="insert",
        )

    assert str(caught.value) == "Có bản ghi trùng khóa chính."
    assert _rows(cases) == [("A", "Ba Đình", 1), ("B", "Ngọc Hà", 2)]
    assert _state(cases) == before
    # The connection is still usable after the refused insert.
    services.datastore_upsert(
        actor=None, resource_id=str(cases.resource_id), records=[{"Mã": "C"}], method="insert"
    )
    assert [r[0] for r in _rows(cases)] == ["A", "B", "C"]


def test_records_without_their_key_are_refused(portal: Portal, cases: Datastore) -> None:
    before = _state(cases)

    for method in ("upsert", "update"):
        errors = _invalid(
            services.datastore_upsert,
            actor=None,
            resource_id=str(cases.resource_id),
            records=[{"Mã": "A"}, {"Số vụ": 1}, {"Mã": None, "Số vụ": 2}],
            method=method,
        )
        assert errors == [
            ("records", "missing_key", "Bản ghi 1 thiếu khóa chính."),
            ("records", "missing_key", "Bản ghi 2 thiếu khóa chính."),
        ]
    assert _state(cases) == before


def test_insert_without_the_key_is_refused(portal: Portal, cases: Datastore) -> None:
    with pytest.raises(InvalidInput):
        services.datastore_upsert(
            actor=None,
            resource_id=str(cases.resource_id),
            records=[{"Số vụ": 3}, {"Số vụ": 4}],
            method="insert",
        )

    assert _rows(cases) == [("A", "Ba Đình", 1), ("B", "Ngọc Hà", 2)]


def test_one_bad_record_writes_none(portal: Portal, cases: Datastore) -> None:
    before = _state(cases)

    errors = _invalid(
        lambda: services.datastore_upsert(
            actor=None,
            resource_id=str(cases.resource_id),
            records=[{"Mã": "B", "Số vụ": 5}, {"Mã": "C", "Số vụ": "bảy"}],
        )
    )

    assert errors == [("records", "invalid", "Bản ghi 1, trường Số vụ: 'bảy' không phải số nguyên")]
    assert _rows(cases) == [("A", "Ba Đình", 1), ("B", "Ngọc Hà", 2)]
    assert _state(cases) == before


def test_a_json_fraction_is_not_read_as_thousands(portal: Portal, cases: Datastore) -> None:
    with pytest.raises(InvalidInput):
        services.datastore_upsert(
            actor=None, resource_id=str(cases.resource_id), records=[{"Mã": "C", "Số vụ": 1.234}]
        )

    assert _rows(cases) == [("A", "Ba Đình", 1), ("B", "Ngọc Hà", 2)]


def test_upsert_applies_records_in_order(portal: Portal, cases: Datastore) -> None:
    services.datastore_upsert(
        actor=None,
        resource_id=str(cases.resource_id),
        records=[{"Mã": "C", "Số vụ": 1}, {"Mã": "C", "Số vụ": 2}],
    )

    assert _rows(cases)[-1] == ("C", None, 2)


def test_upsert_needs_a_method_a_key_and_a_table(portal: Portal, cases: Datastore) -> None:
    keyless = services.datastore_create(
        actor=None,
        resource={"package_id": "phuong-xa", "name": "Không khóa"},
        fields=[{"id": "Tên"}],
    )

    assert _invalid(
        lambda: services.datastore_upsert(
            actor=None, resource_id=str(cases.resource_id), records=[], method="replace"
        )
    ) == [("method", "invalid", "method không hợp lệ.")]
    assert _invalid(
        lambda: services.datastore_upsert(
            actor=None, resource_id=str(keyless.resource_id), records=[{"Tên": "A"}]
        )
    ) == [("method", "no_primary_key", "Bảng không có khóa chính.")]
    services.datastore_upsert(
        actor=None, resource_id=str(keyless.resource_id), records=[{"Tên": "A"}], method="insert"
    )
    assert _records(keyless) == [{"_id": 1, "Tên": "A"}]
    link = services.resource_create(
        actor=None, dataset=portal.public, data={"url": "https://a.vn/a.json"}
    )
    with pytest.raises(NotFound) as caught:
        services.datastore_upsert(actor=None, resource_id=str(link.pk), records=[])
    assert str(caught.value) == "Tài nguyên chưa có bảng dữ liệu."
    with pytest.raises(NotFound):
        services.datastore_upsert(actor=None, resource_id="khong-phai-uuid", records=[])


@pytest.mark.parametrize("who", ["clerk", "outsider"])
def test_clerks_and_outsiders_write_no_records(portal: Portal, cases: Datastore, who: str) -> None:
    actor: User = getattr(portal, who)
    before = _state(cases)

    with pytest.raises(PermissionDenied):
        services.datastore_upsert(
            actor=actor, resource_id=str(cases.resource_id), records=[{"Mã": "A", "Số vụ": 0}]
        )
    with pytest.raises(PermissionDenied):
        services.datastore_create(
            actor=actor, resource_id=str(cases.resource_id), records=[{"Mã": "Z"}]
        )
    with pytest.raises(PermissionDenied):
        services.datastore_create(
            actor=actor, resource={"package_id": "phuong-xa"}, fields=[{"id": "Mã"}]
        )

    assert _rows(cases) == [("A", "Ba Đình", 1), ("B", "Ngọc Hà", 2)]
    assert _state(cases) == before
    assert Resource.objects.count() == 1


def test_a_private_datasets_table_is_written_by_its_editors_only(portal: Portal) -> None:
    store = services.datastore_create(
        actor=portal.specialist,
        resource={"package_id": "noi-bo"},
        fields=[{"id": "Mã"}],
        primary_key="Mã",
        records=[{"Mã": "A"}],
    )

    with pytest.raises(NotFound):
        services.datastore_upsert(
            actor=portal.outsider, resource_id=str(store.resource_id), records=[{"Mã": "B"}]
        )
    with pytest.raises(NotFound):
        services.datastore_create(
            actor=portal.outsider, resource={"package_id": "noi-bo"}, fields=[{"id": "Mã"}]
        )
    services.datastore_upsert(
        actor=portal.specialist, resource_id=str(store.resource_id), records=[{"Mã": "B"}]
    )
    assert [r["Mã"] for r in _records(store)] == ["A", "B"]


# --- reading a table --------------------------------------------------------------------------


def test_search_table_answers_in_ckans_shape(wards: Datastore) -> None:
    result = datastore.search_table(
        wards, filters={"Quận": "Ba Đình"}, q="phuong", sort="Dân số desc", fields="Mã,Tên", limit=1
    )

    assert result == {
        "resource_id": str(wards.resource_id),
        "fields": [{"id": "Mã", "type": "int"}, {"id": "Tên", "type": "text"}],
        "records": [{"Mã": 1, "Tên": "Phường Ba Đình"}],
        "total": 2,
        "total_was_estimated": False,
        "limit": 1,
        "offset": 0,
        "include_total": True,
        "records_format": "objects",
        "filters": {"Quận": "Ba Đình"},
        "q": "phuong",
        "sort": "Dân số desc",
    }


@pytest.mark.parametrize(
    ("filters", "ids"),
    [
        ({"Quận": "Ba Đình"}, [1, 2]),
        ({"Quận": ["Ba Đình", "Sóc Sơn"]}, [1, 2, 5]),
        ({"Quận": "ba đình"}, []),
        ({"Dân số": "48.200"}, [3]),
        ({"Dân số": 48200}, [3]),
        ({"Có chợ": False}, [2, 5]),
        ({"Có chợ": "không"}, [2, 5]),
        ({"Có chợ": True, "Quận": "Ba Đình"}, [1]),
        ({"_id": 4}, [4]),
        ({}, [1, 2, 3, 4, 5]),
    ],
)
def test_filters_match_typed_values_exactly(
    wards: Datastore, filters: dict[str, Any], ids: list[int]
) -> None:
    assert _ids(wards, filters=filters) == ids


@pytest.mark.parametrize(
    ("q", "ids"),
    [
        ("ha noi", [1, 3, 4]),
        ("Hà Nội", [1, 3, 4]),
        ("HÀ NỘI", [1, 3, 4]),
        ("dinh", [1, 2]),
        ("ĐÌNH", [1, 2]),
        ("Phường, Hà!", [1, 2, 3, 4]),
        ("danh", [5]),
        # A word inside another word does not match: "dan" is not "danh".
        ("dan", []),
        ("ha dong 120000", [4]),
        ("", [1, 2, 3, 4, 5]),
    ],
)
def test_q_is_accent_insensitive_and_matches_whole_words(
    wards: Datastore, q: str, ids: list[int]
) -> None:
    assert _ids(wards, q=q) == ids


def test_an_underscore_in_q_separates_words_and_is_no_wildcard(portal: Portal) -> None:
    store = portal.loaded("Mã;Tên\r\n1;Hà Nội\r\n2;ha_noi\r\n3;haXnoi\r\n".encode())

    # As in package_search, "_" separates words (PostgreSQL's parser splits there too).
    assert _ids(store, q="ha_noi") == [1, 2]


@pytest.mark.parametrize(
    ("sort", "ids"),
    [
        ("Dân số desc", [4, 1, 3, 2, 5]),
        ("Dân số", [5, 2, 3, 1, 4]),
        ('"Dân số" DESC', [4, 1, 3, 2, 5]),
        ("Có chợ asc, Dân số desc", [2, 5, 4, 1, 3]),
        ("Mã desc", [5, 4, 3, 2, 1]),
        ("_id desc", [5, 4, 3, 2, 1]),
        ("", [1, 2, 3, 4, 5]),
    ],
)
def test_sort(wards: Datastore, sort: str, ids: list[int]) -> None:
    assert _ids(wards, sort=sort) == ids


def test_fields_limit_and_offset(wards: Datastore) -> None:
    page = datastore.search_table(wards, fields=["Tên", "_id"], limit=2, offset=1, sort="Mã")

    assert page["records"] == [
        {"Tên": "Phường Ngọc Hà", "_id": 2},
        {"Tên": "Phường Hoàn Kiếm", "_id": 3},
    ]
    assert page["fields"] == [{"id": "Tên", "type": "text"}, {"id": "_id", "type": "int"}]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)
    assert datastore.search_table(wards, limit=0)["records"] == []
    assert datastore.search_table(wards, offset=5)["records"] == []
    assert datastore.search_table(wards, limit="3", offset="4")["records"][0]["_id"] == 5
    assert datastore.search_table(wards, include_total=False)["total"] is None


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"limit": 32_001}, ("limit", "limit phải từ 0 đến 32000, offset không âm.")),
        ({"limit": -1}, ("limit", "limit phải từ 0 đến 32000, offset không âm.")),
        ({"offset": -1}, ("limit", "limit phải từ 0 đến 32000, offset không âm.")),
        ({"limit": "mười"}, ("limit", "limit và offset phải là số nguyên.")),
        ({"fields": "Tên,Tuổi"}, ("fields", "Không có trường Tuổi.")),
        ({"fields": [1]}, ("fields", "fields phải là danh sách tên trường.")),
        ({"filters": {"Tuổi": 1}}, ("filters", "Không có trường “Tuổi”.")),
        ({"filters": {"Dân số": "nhiều"}}, ("filters", "Dân số: 'nhiều' không phải số nguyên")),
        ({"filters": "Mã:1"}, ("filters", "filters phải là một đối tượng {trường: giá trị}.")),
        ({"q": {"Tên": "x"}}, ("q", "q theo từng trường chưa được hỗ trợ; dùng filters.")),
        ({"sort": "Tuổi desc"}, ("sort", "Không sắp xếp được theo “Tuổi”.")),
        ({"sort": "Dân số up"}, ("sort", "Không sắp xếp được theo “Dân số up”.")),
    ],
)
def test_search_table_errors(
    wards: Datastore, kwargs: dict[str, Any], error: tuple[str, str]
) -> None:
    assert _invalid(lambda: datastore.search_table(wards, **kwargs)) == [
        (error[0], "invalid", error[1])
    ]


# --- SQL --------------------------------------------------------------------------------------


def _known(user: Any) -> Callable[[str], str | None]:
    """What the API gives datastore_search_sql: the user's visible, loaded tables."""

    def known(resource_id: str) -> str | None:
        store = selectors.datastore_get_for_user(user=user, resource_id=resource_id)
        return store.table_name if store is not None and store.active else None

    return known


def _sql(sql: Any, user: Any = None, **kwargs: Any) -> dict[str, Any]:
    return datastore.search_sql(sql, known=_known(user), **kwargs)


def test_sql_aggregates(wards: Datastore) -> None:
    result = _sql(
        f'SELECT count(*) AS n, sum("Dân số") AS tong, min("Dân số") AS it, '
        f'max("Dân số") AS nhieu, avg("Mã") AS tb FROM "{wards.resource_id}"'
    )

    assert result["records"] == [{"n": 5, "tong": 264_300, "it": 9_800, "nhieu": 120_000, "tb": 3}]
    # sum() is left out: PostgreSQL sums bigints as numeric.
    types = {f["id"]: f["type"] for f in result["fields"]}
    assert (types["n"], types["it"], types["nhieu"], types["tb"]) == (
        "int",
        "int",
        "int",
        "numeric",
    )
    assert result["records_truncated"] is False


def test_sql_where_and_group_by_on_vietnamese_column_names(wards: Datastore) -> None:
    rid = wards.resource_id

    where = _sql(
        f'SELECT "Tên" FROM "{rid}" WHERE "Quận" = \'Ba Đình\' AND "Dân số" > 50000 ORDER BY "Mã"'
    )
    grouped = _sql(
        f'SELECT "Quận", count(*) AS "Số phường", sum("Dân số") AS "Tổng" FROM "{rid}" '
        f'GROUP BY "Quận" HAVING count(*) > 1'
    )

    assert where["records"] == [{"Tên": "Phường Ba Đình"}]
    assert grouped["records"] == [{"Quận": "Ba Đình", "Số phường": 2, "Tổng": 86_300}]


def test_sql_joins_two_tables(portal: Portal, wards: Datastore) -> None:
    districts = portal.loaded(DISTRICTS, name="Quận")

    result = _sql(
        f'SELECT p."Tên", q."Diện tích" FROM "{wards.resource_id}" p '
        f'JOIN "{districts.resource_id}" q ON p."Quận" = q."Quận" '
        f'WHERE p."Mã" >= 3 ORDER BY p."Mã"'
    )

    assert result["records"] == [
        {"Tên": "Phường Hoàn Kiếm", "Diện tích": 5.29},
        {"Tên": "Phường Hà Đông", "Diện tích": 49.64},
        {"Tên": "Xã Danh Thắng", "Diện tích": 305.5},
    ]
    assert result["fields"] == [
        {"id": "Tên", "type": "text"},
        {"id": "Diện tích", "type": "numeric"},
    ]


@pytest.mark.xfail(
    connection.vendor == "sqlite",
    strict=True,
    reason="on SQLite datastore_search_sql types results from the Python values the "
    "driver returns: booleans come back as 1/0 ('int') and dates as text",
)
def test_sql_keeps_boolean_and_date_types(portal: Portal) -> None:
    store = portal.loaded(TYPED)

    result = _sql(f'SELECT "Có chợ", "Ngày thành lập" FROM "{store.resource_id}" WHERE "Mã" = 1')

    assert result["records"] == [{"Có chợ": True, "Ngày thành lập": "2025-07-01"}]
    assert [f["type"] for f in result["fields"]] == ["bool", "date"]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("DROP TABLE core_user", "Chỉ được đọc dữ liệu bằng một câu lệnh SELECT."),
        (
            'SELECT 1; DELETE FROM "{rid}"',
            "Chỉ được gửi một câu lệnh SELECT; câu truy vấn có 2 câu lệnh.",
        ),
        ("SELECT * FROM core_user", "Không có bảng dữ liệu công khai 'core_user'."),
        ('SELECT pg_sleep(10) FROM "{rid}"', "Không được dùng hàm pg_sleep."),
        ('SELECT * FROM public."{rid}"', "Không được ghi tên lược đồ trước bảng: "),
        ("   ", "Câu truy vấn SQL trống."),
    ],
)
def test_sql_refusals(wards: Datastore, sql: str, message: str) -> None:
    errors = _invalid(lambda: _sql(sql.replace("{rid}", str(wards.resource_id))))

    assert len(errors) == 1
    assert errors[0][:2] == ("sql", "invalid")
    assert errors[0][2].startswith(message)


def test_sql_other_errors(wards: Datastore) -> None:
    rid = wards.resource_id

    assert _invalid(lambda: _sql(None)) == [("sql", "invalid", "Cần câu lệnh SQL.")]
    assert _invalid(lambda: _sql(f'SELECT * FROM "{rid}"', limit=4)) == [
        ("sql", "invalid", "Kết quả quá 4 dòng; thêm LIMIT.")
    ]
    assert len(_sql(f'SELECT * FROM "{rid}" LIMIT 4', limit=4)["records"]) == 4
    [(field, code, message)] = _invalid(lambda: _sql(f'SELECT "Mã" FROM "{rid}" a, "{rid}" b'))
    assert (field, code) == ("sql", "invalid")
    assert message.startswith("Câu truy vấn lỗi: ")
    assert "Mã" in message
    # The failed query left the connection usable.
    assert _sql(f'SELECT count(*) AS n FROM "{rid}"')["records"] == [{"n": 5}]


def test_sql_unknown_column_is_an_error(wards: Datastore) -> None:
    rid = wards.resource_id

    [(field, _code, message)] = _invalid(
        lambda: _sql(f'SELECT count(*) AS n FROM "{rid}" WHERE "Quan" = \'Quan\'')
    )

    assert field == "sql"
    assert message.startswith("Câu truy vấn lỗi: ")
    assert "Quan" in message


def test_sql_time_limit_stops_a_heavy_query_and_leaves_the_connection_usable(
    portal: Portal, settings: Any
) -> None:
    store = services.datastore_create(
        actor=None,
        resource={"package_id": "phuong-xa", "name": "Số"},
        fields=[{"id": "n", "type": "int"}],
        records=[{"n": n} for n in range(200)],
    )
    settings.OPENDATA_SQL_TIMEOUT_MS = 50
    t = f'"{store.resource_id}"'
    # 200⁴ = 1.6 billion combinations: minutes of work for either database.
    heavy = (
        f"SELECT count(*) AS n FROM {t} a, {t} b, {t} c, {t} d "
        'WHERE a."n" + b."n" + c."n" + d."n" = -1'
    )

    started = time.monotonic()
    errors = _invalid(lambda: _sql(heavy))
    elapsed = time.monotonic() - started

    assert errors == [("sql", "invalid", "Câu truy vấn chạy quá 50 ms và đã bị dừng.")]
    assert elapsed < 2
    settings.OPENDATA_SQL_TIMEOUT_MS = 3_000
    assert _sql(f"SELECT count(*) AS n FROM {t}")["records"] == [{"n": 200}]
    # Writes work again: the read-only guard was lifted.
    services.datastore_upsert(
        actor=None, resource_id=str(store.resource_id), records=[{"n": 200}], method="insert"
    )
    assert Datastore.objects.get(pk=store.pk).row_count == 201


def test_sql_does_not_reach_private_or_unloaded_tables(portal: Portal, wards: Datastore) -> None:
    secret = portal.loaded(WARDS, ds=portal.secret)
    pending = portal.upload(WARDS, name="Chưa nạp")
    refused = "Không có bảng dữ liệu công khai '{}'."

    for user in (None, portal.outsider):
        assert _invalid(_sql, f'SELECT * FROM "{secret.resource_id}"', user) == [
            ("sql", "invalid", refused.format(secret.resource_id))
        ]
    joined = (
        f'SELECT count(*) AS n FROM "{wards.resource_id}" JOIN "{secret.resource_id}" USING ("Mã")'
    )
    assert _invalid(lambda: _sql(joined)) == [
        ("sql", "invalid", refused.format(secret.resource_id))
    ]
    assert _invalid(lambda: _sql(f'SELECT * FROM "{pending.pk}"', portal.leader)) == [
        ("sql", "invalid", refused.format(pending.pk))
    ]
    assert _sql(joined, portal.specialist)["records"] == [{"n": 5}]
