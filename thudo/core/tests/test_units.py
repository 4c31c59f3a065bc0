"""``thudo units import``: the current units from the package, older ones from CSV."""

from __future__ import annotations

import unicodedata
from datetime import date
from importlib.metadata import version
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count

from thudo.core import services
from thudo.core.contracts import UnitRow
from thudo.core.errors import InvalidInput
from thudo.core.models import AdministrativeUnit, AuditEvent

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "hanoi-2019-sample.csv"
HEADER = "code,name,kind,level,parent_code,valid_from,valid_to\n"
OLD_FROM, REFORM = date(2008, 8, 1), date(2025, 7, 1)
PACKAGE = f"vietnam-provinces {version('vietnam-provinces')}"

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("units", "import", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def run_failing(*args: str) -> str:
    """The error report of a run that must fail; nothing may have changed."""
    before = (AdministrativeUnit.objects.count(), AuditEvent.objects.count())
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("units", "import", *args, stdout=StringIO(), stderr=err)
    assert caught.value.returncode == 1
    assert (AdministrativeUnit.objects.count(), AuditEvent.objects.count()) == before
    return err.getvalue() + f"CommandError: {caught.value}\n"


def write(tmp_path: Path, text: str | bytes, name: str = "units.csv") -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def unit(code: str, valid_from: date) -> AdministrativeUnit:
    return AdministrativeUnit.objects.select_related("parent").get(code=code, valid_from=valid_from)


# --- the current units from vietnam-provinces -------------------------------------------


def test_package_import_loads_34_provinces_and_3321_communes(
    django_assert_max_num_queries: object,
) -> None:
    # Bulk inserts: a bounded number of queries, however many units (this is what keeps
    # the import of 3,355 units to about a second on SQLite).
    with django_assert_max_num_queries(40):  # type: ignore[operator]
        out = run()
    assert out == f"Đã nhập 3355 đơn vị ({PACKAGE}): 3355 tạo mới, 0 cập nhật, 0 không đổi.\n"
    by_level = dict(
        AdministrativeUnit.objects.values_list("level").annotate(n=Count("id")).order_by()
    )
    assert by_level == {"province": 34, "commune": 3321}
    assert AdministrativeUnit.objects.filter(valid_from=REFORM, valid_to=None).count() == 3355
    hanoi = unit("01", REFORM)
    assert (hanoi.name, hanoi.kind, hanoi.level, hanoi.parent) == (
        "Thành phố Hà Nội",
        "central_city",
        "province",
        None,
    )
    kinds = dict(hanoi.children.values_list("kind").annotate(n=Count("id")).order_by())
    assert kinds == {"ward": 51, "commune": 75}
    hoan_kiem = unit("00070", REFORM)
    assert (hoan_kiem.name, hoan_kiem.kind, hoan_kiem.parent_id, hoan_kiem.search_name) == (
        "Phường Hoàn Kiếm",
        "ward",
        hanoi.pk,
        "phuong hoan kiem",
    )
    assert AdministrativeUnit.objects.filter(kind="special_zone").count() == 13
    assert AdministrativeUnit.objects.filter(kind="central_city").count() == 6


def test_package_import_twice_changes_nothing_the_second_time() -> None:
    run()
    snapshot = list(AdministrativeUnit.objects.values_list())
    events = AuditEvent.objects.count()
    assert run() == f"Đã nhập 3355 đơn vị ({PACKAGE}): 0 tạo mới, 0 cập nhật, 3355 không đổi.\n"
    assert list(AdministrativeUnit.objects.values_list()) == snapshot
    assert AuditEvent.objects.count() == events  # nothing changed, nothing to audit


def test_import_writes_one_audit_event() -> None:
    run("--csv", str(SAMPLE))
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_id, event.object_type) == (
        "core.units.import",
        None,
        "core.unit",
    )
    assert event.payload == {
        "source": "csv:hanoi-2019-sample.csv",
        "created": 12,
        "updated": 0,
        "unchanged": 0,
    }


# --- CSV: the units before 1 July 2025 --------------------------------------------------


def test_sample_csv_loads_old_districts_under_their_parents() -> None:
    out = run("--csv", str(SAMPLE))
    assert out == (
        "Đã nhập 12 đơn vị (csv:hanoi-2019-sample.csv): 12 tạo mới, 0 cập nhật, 0 không đổi.\n"
    )
    rows = sorted(  # in Python: string order of codes, whatever the database collation
        AdministrativeUnit.objects.values_list(
            "code", "name", "kind", "level", "parent__code", "valid_from", "valid_to"
        )
    )
    old = (OLD_FROM, REFORM)
    assert rows == [
        ("00001", "Phường Phúc Xá", "ward", "commune", "001", *old),
        ("00004", "Phường Trúc Bạch", "ward", "commune", "001", *old),
        ("00006", "Phường Vĩnh Phúc", "ward", "commune", "001", *old),
        ("00037", "Phường Phúc Tân", "ward", "commune", "002", *old),
        ("00061", "Phường Hàng Bạc", "ward", "commune", "002", *old),
        ("00070", "Phường Hàng Trống", "ward", "commune", "002", *old),
        ("001", "Quận Ba Đình", "urban_district", "district", "01", *old),
        ("002", "Quận Hoàn Kiếm", "urban_district", "district", "01", *old),
        ("00376", "Thị trấn Sóc Sơn", "township", "commune", "016", *old),
        ("00379", "Xã Bắc Sơn", "commune", "commune", "016", *old),
        ("01", "Thành phố Hà Nội", "central_city", "province", None, *old),
        ("016", "Huyện Sóc Sơn", "rural_district", "district", "01", *old),
    ]
    assert run("--csv", str(SAMPLE)) == (
        "Đã nhập 12 đơn vị (csv:hanoi-2019-sample.csv): 0 tạo mới, 0 cập nhật, 12 không đổi.\n"
    )


@pytest.mark.parametrize("package_first", [True, False])
def test_old_and_new_versions_of_a_code_are_both_kept(package_first: bool) -> None:
    if package_first:
        run()
        run("--csv", str(SAMPLE))
    else:
        run("--csv", str(SAMPLE))
        run()
    assert list(
        AdministrativeUnit.objects.filter(code="01").values_list("name", "valid_from", "valid_to")
    ) == [("Thành phố Hà Nội", OLD_FROM, REFORM), ("Thành phố Hà Nội", REFORM, None)]
    old_hanoi, new_hanoi = unit("01", OLD_FROM), unit("01", REFORM)
    ba_dinh = unit("001", OLD_FROM)
    assert ba_dinh.parent == old_hanoi
    for code in ("00001", "00004", "00006"):
        assert unit(code, OLD_FROM).parent == ba_dinh
    # 00004 and 00070 were reused by the new wards: each version keeps its own parent.
    assert (unit("00004", REFORM).name, unit("00004", REFORM).parent) == (
        "Phường Ba Đình",
        new_hanoi,
    )
    assert (unit("00070", OLD_FROM).name, unit("00070", OLD_FROM).parent) == (
        "Phường Hàng Trống",
        unit("002", OLD_FROM),
    )
    assert unit("00070", REFORM).parent == new_hanoi
    assert AdministrativeUnit.objects.count() == 3355 + 12


def test_changed_row_is_updated(tmp_path: Path) -> None:
    run("--csv", str(SAMPLE))
    changed = SAMPLE.read_text(encoding="utf-8").replace("Phường Phúc Xá", "Phường Phúc  Xá Mới")
    out = run("--csv", write(tmp_path, changed))
    assert out == "Đã nhập 12 đơn vị (csv:units.csv): 0 tạo mới, 1 cập nhật, 11 không đổi.\n"
    phuc_xa = unit("00001", OLD_FROM)
    assert (phuc_xa.name, phuc_xa.search_name) == ("Phường Phúc Xá Mới", "phuong phuc xa moi")
    assert AuditEvent.objects.order_by("seq").last().payload == {  # type: ignore[union-attr]
        "source": "csv:units.csv",
        "created": 0,
        "updated": 1,
        "unchanged": 11,
    }


def test_csv_with_bom_crlf_vietnamese_kinds_and_decomposed_text(tmp_path: Path) -> None:
    text = (
        HEADER
        + "79,Thành phố Hồ Chí Minh,Thành phố trung ương,,,2025-07-01,\n"
        + "26734,Phường Sài Gòn,phường,commune,79,2025-07-01,\n"
        + "\n"
        + "26735,Xã Thử,commune,,79,2025-07-01,\n"
    )
    data = b"\xef\xbb\xbf" + unicodedata.normalize("NFD", text).replace("\n", "\r\n").encode()
    out = run("--csv", write(tmp_path, data))
    assert out == "Đã nhập 3 đơn vị (csv:units.csv): 3 tạo mới, 0 cập nhật, 0 không đổi.\n"
    assert sorted(AdministrativeUnit.objects.values_list("code", "name", "kind", "level")) == [
        ("26734", "Phường Sài Gòn", "ward", "commune"),
        ("26735", "Xã Thử", "commune", "commune"),
        ("79", "Thành phố Hồ Chí Minh", "central_city", "province"),
    ]


# --- bad files: a report naming the rows, exit status 1, nothing saved ------------------


@pytest.mark.parametrize(
    ("text", "report"),
    [
        pytest.param(
            HEADER
            + "02,Tỉnh Hà Giang,tỉnh,,,2008-08-01,2025-07-01\n"
            + "024,Thành phố Hà Giang,thành phố,,02,2008-08-01,2025-07-01\n"
            + "00688,Phường Quang Trung,phường,,024,2008-13-01,2025-07-01\n"
            + "00691,Phường Trần Phú,phường,,024,01/08/2008,2025-07-01\n"
            + "00694,Phường Ngọc Hà,phường,,024\n",
            "row 3 (line 4): valid_from phải là ngày dạng YYYY-MM-DD, không phải “2008-13-01”. "
            "[invalid_date]\n"
            "row 4 (line 5): valid_from phải là ngày dạng YYYY-MM-DD, không phải “01/08/2008”. "
            "[invalid_date]\n"
            "row 5 (line 6): Dòng có 5 cột, tiêu đề có 7. [column_count]\n"
            "CommandError: Có 3 lỗi; chưa có gì được lưu.\n",
            id="dates-and-columns",
        ),
        pytest.param(
            HEADER
            + "02,Tỉnh Hà Giang,tỉnh,,,2008-08-01,2025-07-01\n"
            + "024,Thành phố Hà Giang,thành phố,,02,2008-08-01,2025-07-01\n"
            + "00688,Phường Quang Trung,làng,,024,2008-08-01,2025-07-01\n"
            + "0691,Phường Trần Phú,phường,,024,2008-08-01,2025-07-01\n"
            + "00694,,phường,,024,2008-08-01,2025-07-01\n"
            + "00697,Phường Minh Khai,phường,,024,2008-08-01,2008-08-01\n"
            + "03,Tỉnh Cao Bằng,tỉnh,,02,2008-08-01,\n"
            + "00700,Phường Nguyễn Trãi,phường,district,024,2008-08-01,2025-07-01\n"
            + "024,Thành phố Hà Giang,thành phố,,02,2008-08-01,2025-07-01\n",
            "row 3 (line 4): Loại đơn vị không hợp lệ: làng [invalid_kind]\n"
            "row 4 (line 5): Mã 0691 không đúng dạng của cấp commune. [invalid_code]\n"
            "row 5 (line 6): Tên đơn vị là bắt buộc. [required]\n"
            "row 6 (line 7): Ngày hết hiệu lực phải sau ngày hiệu lực. [invalid_validity]\n"
            "row 7 (line 8): Đơn vị cấp tỉnh không có đơn vị cấp trên. [invalid_parent]\n"
            "row 8 (line 9): Cấp không khớp với loại đơn vị. [invalid_level]\n"
            "row 9 (line 10): Dòng trùng mã và ngày hiệu lực. [duplicate]\n"
            "CommandError: Có 7 lỗi; chưa có gì được lưu.\n",
            id="rows-the-service-rejects",
        ),
        pytest.param(
            HEADER
            + "02,Tỉnh Hà Giang,tỉnh,,,2008-08-01,2025-07-01\n"
            + "024,Thành phố Hà Giang,thành phố,,02,2008-08-01,2025-07-01\n"
            + "00688,Phường Quang Trung,phường,,025,2008-08-01,2025-07-01\n"
            + "00691,Phường Trần Phú,phường,,024,2000-01-01,2025-07-01\n",
            "row 3 (line 4): Không tìm thấy đơn vị cấp trên 025 đang hiệu lực vào ngày "
            "2008-08-01. [unknown_parent]\n"
            "row 4 (line 5): Không tìm thấy đơn vị cấp trên 024 đang hiệu lực vào ngày "
            "2000-01-01. [unknown_parent]\n"
            "CommandError: Có 2 lỗi; chưa có gì được lưu.\n",
            id="parents",
        ),
        pytest.param(
            "code,name,kind,parent_code,valid_from,valid_too\n01,Hà Nội,tỉnh,,2008-08-01,\n",
            "header (line 1): Thiếu cột: level, valid_to. [missing_columns]\n"
            "header (line 1): Cột không xác định: valid_too. [unknown_columns]\n"
            "CommandError: Có 2 lỗi; chưa có gì được lưu.\n",
            id="columns",
        ),
        pytest.param(
            "",
            "file: Tệp rỗng. [empty]\nCommandError: Có 1 lỗi; chưa có gì được lưu.\n",
            id="empty",
        ),
        pytest.param(
            "\ufeff\n\n",
            "file: Tệp rỗng. [empty]\nCommandError: Có 1 lỗi; chưa có gì được lưu.\n",
            id="only-bom-and-blank-lines",
        ),
        pytest.param(
            HEADER,
            "file: Tệp chỉ có dòng tiêu đề, không có đơn vị nào. [empty]\n"
            "CommandError: Có 1 lỗi; chưa có gì được lưu.\n",
            id="header-only",
        ),
        pytest.param(
            # "Tỉnh" in Windows-1258 ("T\xecnh"): not UTF-8.
            HEADER.encode()
            + b"02,T\xecnh A,t\xecnh,,,2008-08-01,\n03,T\xecnh B,t\xecnh,,,2008-08-01,\n",
            "line 2: Dòng 2 không phải văn bản UTF-8. [encoding]\n"
            "line 3: Dòng 3 không phải văn bản UTF-8. [encoding]\n"
            "CommandError: Có 2 lỗi; chưa có gì được lưu.\n",
            id="windows-1258",
        ),
    ],
)
def test_bad_csv_is_reported_by_row_and_nothing_is_saved(
    tmp_path: Path, text: str | bytes, report: str
) -> None:
    run("--csv", str(SAMPLE))
    assert run_failing("--csv", write(tmp_path, text)) == report


def test_overlapping_versions_of_a_code_are_rejected(tmp_path: Path) -> None:
    run("--csv", str(SAMPLE))
    text = HEADER + "01,Thành phố Hà Nội,thành phố trung ương,,,2020-01-01,\n"
    assert run_failing("--csv", write(tmp_path, text)) == (
        "row 1 (line 2): Thời gian hiệu lực chồng lên phiên bản khác của mã 01 "
        "(hiệu lực từ 2008-08-01). [overlapping_validity]\n"
        "CommandError: Có 1 lỗi; chưa có gì được lưu.\n"
    )


def test_missing_file_is_a_command_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Không đọc được tệp"):
        call_command("units", "import", "--csv", str(tmp_path / "nope.csv"))


# --- the service directly ---------------------------------------------------------------


def test_service_rejects_non_ascii_digits_and_wrong_parent_levels() -> None:
    rows = [
        UnitRow(code="０１", name="Hà Nội", kind="central_city", valid_from=REFORM),
        UnitRow(code="01", name="Hà Nội", kind="central_city", valid_from=REFORM),
        UnitRow(code="001", name="Ba Đình", kind="quận", parent_code="00004", valid_from=REFORM),
        UnitRow(code="00004", name="Ba Đình", kind="ward", parent_code="1", valid_from=REFORM),
    ]
    with pytest.raises(InvalidInput) as caught:
        services.units_import(actor=None, rows=rows, source="test")
    assert [(e.field, e.code) for e in caught.value.field_errors] == [
        ("row 1", "invalid_code"),
        ("row 3", "invalid_parent"),
        ("row 4", "invalid_parent"),
    ]
    assert AdministrativeUnit.objects.count() == 0


def test_service_refuses_users_who_are_not_platform_admins(city: object) -> None:
    from thudo.core.errors import PermissionDenied

    clerk = city.clerk_a  # type: ignore[attr-defined]
    before = AdministrativeUnit.objects.count()
    with pytest.raises(PermissionDenied):
        services.units_import(
            actor=clerk,
            rows=[UnitRow(code="02", name="Hà Giang", kind="tỉnh", valid_from=REFORM)],
            source="test",
        )
    assert AdministrativeUnit.objects.count() == before


@pytest.mark.django_db
def test_commune_without_parent_is_rejected() -> None:
    row = UnitRow(code="00004", name="Phường Ba Đình", kind="ward", valid_from=date(2025, 7, 1))
    with pytest.raises(InvalidInput) as caught:
        services.units_import(actor=None, rows=[row], source="test")
    (error,) = caught.value.field_errors
    assert (error.field, error.code) == ("row 1", "invalid_parent")
    assert error.message == "Đơn vị cấp huyện, cấp xã phải có mã đơn vị cấp trên."
    assert AdministrativeUnit.objects.count() == 0
