"""Metadata documents: a full load with every field, upserts by code, the export and its
round trip, each kind of bad input refused before anything is written, references to
what the database already holds, the CSV of the long lists, and hostile JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from thudo.core.errors import InvalidInput
from thudo.core.models import AuditEvent
from thudo.core.tests.factories import City
from thudo.reporting import metadata, services
from thudo.reporting.models import (
    Category,
    CategoryOption,
    DataElement,
    Form,
    Indicator,
    IndicatorGroup,
    Section,
    SectionElement,
    Target,
    ValidationRule,
)

pytestmark = pytest.mark.django_db

WARD_A = "000.01.50.H26"
WARD_B = "000.02.50.H26"
JUSTICE = "000.00.16.H26"
CITY = "000.00.00.H26"

COUNTS = {
    "categories": 2,
    "data_elements": 6,
    "indicators": 3,
    "indicator_groups": 2,
    "forms": 2,
    "rules": 3,
    "targets": 2,
}


def full_document() -> dict[str, Any]:
    """Every kind and most optional fields, deliberately not in code order, with numbers
    written as JSON numbers, plain strings and a decimal comma."""
    return {
        "version": 1,
        "categories": [
            {"code": "GIOITINH", "name": "Giới tính",
             "options": [{"code": "NAM", "name": "Nam"}, {"code": "NU", "name": "Nữ"}]},
            {"code": "KHUVUC", "name": "Khu vực",
             "options": [{"code": "THANH_THI", "name": "Thành thị"},
                         {"code": "NONG_THON", "name": "Nông thôn"}]},
        ],
        "data_elements": [
            {"code": "DN_MOI", "name": "Số doanh nghiệp thành lập mới",
             "value_type": "positive_integer", "aggregation_type": "sum",
             "unit_label": "doanh nghiệp"},
            {"code": "DN_HOATDONG", "name": "Số doanh nghiệp đang hoạt động",
             "value_type": "positive_integer", "aggregation_type": "last",
             "unit_label": "doanh nghiệp"},
            {"code": "DAN_SO", "name": "  Dân số trung bình  ", "short_name": "Dân số",
             "description": "Dân số bình quân trong kỳ.", "value_type": "positive_integer",
             "aggregation_type": "last", "unit_label": "người",
             "categories": ["KHUVUC", "GIOITINH"]},
            {"code": "THU_NGAN_SACH", "name": "Thu ngân sách trên địa bàn",
             "value_type": "number", "aggregation_type": "sum", "unit_label": "triệu đồng",
             "min_value": "0", "max_value": "1000000,5"},
            {"code": "TY_LE_THU", "name": "Tỷ lệ thu thuế đúng hạn", "value_type": "percentage",
             "aggregation_type": "average", "unit_label": "%", "min_value": 0,
             "max_value": 100.25},
            {"code": "HS_TIEPNHAN", "name": "Hồ sơ thủ tục hành chính tiếp nhận",
             "value_type": "positive_integer", "aggregation_type": "sum",
             "unit_label": "hồ sơ", "metric_code": "procedures.received"},
        ],
        "indicator_groups": [{"code": "XH", "name": "Xã hội"}, {"code": "KT", "name": "Kinh tế"}],
        "indicators": [
            {"code": "TL_DN_MOI", "name": "Tỷ lệ doanh nghiệp mới", "numerator": "#{DN_MOI}",
             "denominator": "#{DN_HOATDONG}", "factor": "100", "decimals": 2,
             "unit_label": "%", "groups": ["KT"]},
            {"code": "TL_NU_THANHTHI", "name": "Tỷ lệ nữ ở thành thị",
             "description": "Nữ thành thị trên tổng dân số.",
             "numerator": "#{DAN_SO.NU_THANH_THI}", "denominator": "#{DAN_SO}", "factor": 100,
             "groups": ["XH", "KT"]},
            {"code": "SL_DN_MOI", "name": "Số doanh nghiệp mới", "numerator": "#{DN_MOI}"},
        ],
        "forms": [
            {"code": "BC01-KT", "name": "Báo cáo kinh tế hằng tháng", "period_type": "monthly",
             "recipient": JUSTICE, "units": [WARD_B, WARD_A],
             "sections": [
                 {"name": "Doanh nghiệp", "elements": ["DN_MOI", "DN_HOATDONG"]},
                 {"name": "Thu ngân sách", "elements": ["THU_NGAN_SACH", "TY_LE_THU"]},
             ],
             "rules": [
                 {"code": "R2", "name": "Tỷ lệ không quá 100", "left": "#{TY_LE_THU}",
                  "operator": "<=", "right": "100", "importance": "low"},
                 {"code": "R1", "name": "Doanh nghiệp mới không vượt số đang hoạt động",
                  "left": "#{DN_MOI}", "operator": "<=", "right": "#{DN_HOATDONG}",
                  "importance": "high"},
             ]},
            {"code": "BC02-DS", "name": "Báo cáo dân số hằng quý",
             "description": "Dân số theo khu vực và giới tính.",
             "legal_basis": "Nghị định 09/2019/NĐ-CP", "version": 2,
             "period_type": "quarterly", "deadline_days": 5, "recipient": CITY,
             "units": [WARD_A], "requires_acceptance": True,
             "sections": [{"name": "Dân số", "elements": ["DAN_SO", "HS_TIEPNHAN"]}],
             "rules": [
                 {"code": "R1", "name": "Thành thị không vượt tổng",
                  "left": "#{DAN_SO.NAM_THANH_THI} + #{DAN_SO.NU_THANH_THI}",
                  "operator": "<=", "right": "#{DAN_SO}"},
             ]},
        ],
        "targets": [
            {"indicator": "TL_DN_MOI", "unit": WARD_A, "year": 2026, "value": "5.5"},
            {"indicator": "SL_DN_MOI", "unit": CITY, "year": 2026, "value": 120},
        ],
    }  # fmt: skip


def expected_export() -> dict[str, Any]:
    """What :func:`full_document` is once loaded: defaults filled, names trimmed, numbers
    as plain strings with a decimal point, every list sorted by code except options,
    sections and their elements, which keep the document's order."""
    element: dict[str, Any] = {"short_name": "", "description": "", "min_value": None,
                               "max_value": None, "categories": [], "metric_code": ""}  # fmt: skip
    return {
        "version": 1,
        "categories": [
            {"code": "GIOITINH", "name": "Giới tính",
             "options": [{"code": "NAM", "name": "Nam"}, {"code": "NU", "name": "Nữ"}]},
            {"code": "KHUVUC", "name": "Khu vực",
             "options": [{"code": "THANH_THI", "name": "Thành thị"},
                         {"code": "NONG_THON", "name": "Nông thôn"}]},
        ],
        "data_elements": [
            {**element, "code": "DAN_SO", "name": "Dân số trung bình", "short_name": "Dân số",
             "description": "Dân số bình quân trong kỳ.", "value_type": "positive_integer",
             "aggregation_type": "last", "unit_label": "người",
             "categories": ["GIOITINH", "KHUVUC"]},
            {**element, "code": "DN_HOATDONG", "name": "Số doanh nghiệp đang hoạt động",
             "value_type": "positive_integer", "aggregation_type": "last",
             "unit_label": "doanh nghiệp"},
            {**element, "code": "DN_MOI", "name": "Số doanh nghiệp thành lập mới",
             "value_type": "positive_integer", "aggregation_type": "sum",
             "unit_label": "doanh nghiệp"},
            {**element, "code": "HS_TIEPNHAN", "name": "Hồ sơ thủ tục hành chính tiếp nhận",
             "value_type": "positive_integer", "aggregation_type": "sum",
             "unit_label": "hồ sơ", "metric_code": "procedures.received"},
            {**element, "code": "THU_NGAN_SACH", "name": "Thu ngân sách trên địa bàn",
             "value_type": "number", "aggregation_type": "sum", "unit_label": "triệu đồng",
             "min_value": "0", "max_value": "1000000.5"},
            {**element, "code": "TY_LE_THU", "name": "Tỷ lệ thu thuế đúng hạn",
             "value_type": "percentage", "aggregation_type": "average", "unit_label": "%",
             "min_value": "0", "max_value": "100.25"},
        ],
        "indicator_groups": [{"code": "KT", "name": "Kinh tế"}, {"code": "XH", "name": "Xã hội"}],
        "indicators": [
            {"code": "SL_DN_MOI", "name": "Số doanh nghiệp mới", "description": "",
             "numerator": "#{DN_MOI}", "denominator": "1", "factor": "1", "decimals": 1,
             "unit_label": "", "groups": []},
            {"code": "TL_DN_MOI", "name": "Tỷ lệ doanh nghiệp mới", "description": "",
             "numerator": "#{DN_MOI}", "denominator": "#{DN_HOATDONG}", "factor": "100",
             "decimals": 2, "unit_label": "%", "groups": ["KT"]},
            {"code": "TL_NU_THANHTHI", "name": "Tỷ lệ nữ ở thành thị",
             "description": "Nữ thành thị trên tổng dân số.",
             "numerator": "#{DAN_SO.NU_THANH_THI}", "denominator": "#{DAN_SO}",
             "factor": "100", "decimals": 1, "unit_label": "", "groups": ["KT", "XH"]},
        ],
        "forms": [
            {"code": "BC01-KT", "name": "Báo cáo kinh tế hằng tháng", "description": "",
             "legal_basis": "", "version": 1, "period_type": "monthly", "deadline_days": 2,
             "recipient": JUSTICE, "units": [WARD_A, WARD_B], "requires_acceptance": False,
             "sections": [
                 {"name": "Doanh nghiệp", "elements": ["DN_MOI", "DN_HOATDONG"]},
                 {"name": "Thu ngân sách", "elements": ["THU_NGAN_SACH", "TY_LE_THU"]},
             ],
             "rules": [
                 {"code": "R1", "name": "Doanh nghiệp mới không vượt số đang hoạt động",
                  "left": "#{DN_MOI}", "operator": "<=", "right": "#{DN_HOATDONG}",
                  "importance": "high"},
                 {"code": "R2", "name": "Tỷ lệ không quá 100", "left": "#{TY_LE_THU}",
                  "operator": "<=", "right": "100", "importance": "low"},
             ]},
            {"code": "BC02-DS", "name": "Báo cáo dân số hằng quý",
             "description": "Dân số theo khu vực và giới tính.",
             "legal_basis": "Nghị định 09/2019/NĐ-CP", "version": 2,
             "period_type": "quarterly", "deadline_days": 5, "recipient": CITY,
             "units": [WARD_A], "requires_acceptance": True,
             "sections": [{"name": "Dân số", "elements": ["DAN_SO", "HS_TIEPNHAN"]}],
             "rules": [
                 {"code": "R1", "name": "Thành thị không vượt tổng",
                  "left": "#{DAN_SO.NAM_THANH_THI} + #{DAN_SO.NU_THANH_THI}",
                  "operator": "<=", "right": "#{DAN_SO}", "importance": "medium"},
             ]},
        ],
        "targets": [
            {"indicator": "SL_DN_MOI", "unit": CITY, "year": 2026, "value": "120"},
            {"indicator": "TL_DN_MOI", "unit": WARD_A, "year": 2026, "value": "5.5"},
        ],
    }  # fmt: skip


def load(document: Any) -> dict[str, int]:
    with transaction.atomic():
        return metadata.apply(document)


def row_counts() -> dict[str, int]:
    return {
        "categories": Category.objects.count(),
        "options": CategoryOption.objects.count(),
        "elements": DataElement.objects.count(),
        "element_categories": DataElement.categories.through.objects.count(),
        "groups": IndicatorGroup.objects.count(),
        "indicators": Indicator.objects.count(),
        "indicator_groups": Indicator.groups.through.objects.count(),
        "forms": Form.objects.count(),
        "form_units": Form.units.through.objects.count(),
        "sections": Section.objects.count(),
        "rows": SectionElement.objects.count(),
        "rules": ValidationRule.objects.count(),
        "targets": Target.objects.count(),
    }


def rejected(document: Any) -> list[tuple[str, str]]:
    """The (field, code) of each error, after checking that not one statement but
    SELECTs ran inside the call: the check comes before any write, not a rollback."""
    before, exported = row_counts(), metadata.export()
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries, pytest.raises(InvalidInput) as info:
            metadata.apply(document)
        writes = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SELECT")]
        assert writes == []
    assert row_counts() == before
    assert metadata.export() == exported
    errors = info.value.field_errors
    assert all(e.message and isinstance(e.message, str) for e in errors)
    assert info.value.message == f"Dữ liệu danh mục có {len(errors)} lỗi; chưa nạp gì."
    return [(e.field, e.code) for e in errors]


def delete_all() -> None:
    Target.objects.all().delete()
    Form.objects.all().delete()
    Indicator.objects.all().delete()
    IndicatorGroup.objects.all().delete()
    DataElement.objects.all().delete()
    Category.objects.all().delete()


# --- a full load ------------------------------------------------------------------------


def test_a_full_document_loads_every_field(city: City) -> None:
    assert load(full_document()) == COUNTS

    dan_so = DataElement.objects.get(code="DAN_SO")
    assert (dan_so.name, dan_so.short_name, dan_so.description) == (
        "Dân số trung bình", "Dân số", "Dân số bình quân trong kỳ.",
    )  # fmt: skip
    assert (dan_so.value_type, dan_so.aggregation_type, dan_so.unit_label) == (
        "positive_integer", "last", "người",
    )  # fmt: skip
    assert sorted(c.code for c in dan_so.categories.all()) == ["GIOITINH", "KHUVUC"]
    budget = DataElement.objects.get(code="THU_NGAN_SACH")
    assert (budget.min_value, budget.max_value) == (Decimal("0"), Decimal("1000000.5"))
    assert DataElement.objects.get(code="TY_LE_THU").max_value == Decimal("100.25")
    assert DataElement.objects.get(code="DN_MOI").min_value is None
    assert DataElement.objects.get(code="HS_TIEPNHAN").metric_code == "procedures.received"
    assert list(
        CategoryOption.objects.filter(category__code="KHUVUC").values_list("code", "sort_order")
    ) == [("THANH_THI", 0), ("NONG_THON", 1)]

    ratio = Indicator.objects.get(code="TL_NU_THANHTHI")
    assert (ratio.numerator, ratio.denominator, ratio.factor, ratio.decimals) == (
        "#{DAN_SO.NU_THANH_THI}", "#{DAN_SO}", Decimal(100), 1,
    )  # fmt: skip
    assert sorted(g.code for g in ratio.groups.all()) == ["KT", "XH"]
    plain = Indicator.objects.get(code="SL_DN_MOI")
    assert (plain.denominator, plain.factor, plain.decimals) == ("1", Decimal(1), 1)

    monthly = Form.objects.get(code="BC01-KT")
    assert (monthly.period_type, monthly.deadline_days, monthly.version) == ("monthly", 2, 1)
    assert (monthly.recipient, monthly.requires_acceptance) == (city.justice, False)
    assert set(monthly.units.all()) == {city.commune_a, city.commune_b}
    assert [(s.name, s.sort_order) for s in monthly.sections.all()] == [
        ("Doanh nghiệp", 0), ("Thu ngân sách", 1),
    ]  # fmt: skip
    assert list(
        SectionElement.objects.filter(section__form=monthly)
        .order_by("section__sort_order", "sort_order")
        .values_list("section__name", "element__code", "sort_order")
    ) == [
        ("Doanh nghiệp", "DN_MOI", 0), ("Doanh nghiệp", "DN_HOATDONG", 1),
        ("Thu ngân sách", "THU_NGAN_SACH", 0), ("Thu ngân sách", "TY_LE_THU", 1),
    ]  # fmt: skip
    assert list(monthly.rules.values_list("code", "left", "operator", "right", "importance")) == [
        ("R1", "#{DN_MOI}", "<=", "#{DN_HOATDONG}", "high"),
        ("R2", "#{TY_LE_THU}", "<=", "100", "low"),
    ]
    quarterly = Form.objects.get(code="BC02-DS")
    assert (quarterly.version, quarterly.period_type, quarterly.deadline_days) == (
        2, "quarterly", 5,
    )  # fmt: skip
    assert (quarterly.legal_basis, quarterly.recipient, quarterly.requires_acceptance) == (
        "Nghị định 09/2019/NĐ-CP", city.city_pc, True,
    )  # fmt: skip
    assert quarterly.rules.get().importance == "medium"
    assert sorted(
        Target.objects.values_list("indicator__code", "unit__code", "year", "value")
    ) == [
        ("SL_DN_MOI", CITY, 2026, Decimal(120)), ("TL_DN_MOI", WARD_A, 2026, Decimal("5.5")),
    ]  # fmt: skip


def test_export_after_a_load_is_the_normalised_document(city: City) -> None:
    assert metadata.normalise(full_document()) == expected_export()
    load(full_document())
    assert metadata.export() == expected_export()


def test_the_import_service_loads_and_audits(city: City) -> None:
    counts = services.metadata_import(actor=None, document=full_document())
    assert counts == COUNTS
    event = AuditEvent.objects.get(action="reporting.metadata.import")
    assert (event.object_type, event.payload) == ("reporting.metadata", COUNTS)
    assert metadata.export() == expected_export()


def test_reapplying_updates_by_code_and_replaces_links(city: City) -> None:
    load(full_document())
    element_pks = dict(DataElement.objects.values_list("code", "pk"))
    form_pks = dict(Form.objects.values_list("code", "pk"))
    first_section = Section.objects.get(form__code="BC01-KT", sort_order=0).pk

    document = full_document()
    categories, elements, indicators = (
        document["categories"], document["data_elements"], document["indicators"],
    )  # fmt: skip
    categories[1]["options"] = [
        {"code": "NONG_THON", "name": "Vùng nông thôn"}, {"code": "MIEN_NUI", "name": "Miền núi"},
    ]  # fmt: skip
    elements[0]["name"] = "Doanh nghiệp đăng ký mới"
    elements[2]["categories"] = ["GIOITINH"]
    del elements[3]["min_value"]
    indicators[0]["groups"] = ["XH"]
    indicators[1]["numerator"] = "#{DAN_SO.NU}"
    monthly, quarterly = document["forms"]
    monthly["units"] = [WARD_A]
    monthly["sections"] = [{"name": "Doanh nghiệp (cập nhật)", "elements": ["DN_HOATDONG"]}]
    monthly["rules"] = [{**monthly["rules"][1], "importance": "medium"}]
    quarterly["rules"][0]["left"] = "#{DAN_SO.NAM} + #{DAN_SO.NU}"
    document["targets"][0]["value"] = "6"

    assert load(document) == {**COUNTS, "rules": 2}
    assert row_counts() == {
        "categories": 2, "options": 4, "elements": 6, "element_categories": 1, "groups": 2,
        "indicators": 3, "indicator_groups": 3, "forms": 2, "form_units": 2, "sections": 2,
        "rows": 3, "rules": 2, "targets": 2,
    }  # fmt: skip
    assert dict(DataElement.objects.values_list("code", "pk")) == element_pks
    assert dict(Form.objects.values_list("code", "pk")) == form_pks
    assert Section.objects.get(form__code="BC01-KT").pk == first_section
    assert DataElement.objects.get(code="DN_MOI").name == "Doanh nghiệp đăng ký mới"
    assert DataElement.objects.get(code="THU_NGAN_SACH").min_value is None
    assert list(
        CategoryOption.objects.filter(category__code="KHUVUC").values_list(
            "code", "name", "sort_order"
        )
    ) == [("NONG_THON", "Vùng nông thôn", 0), ("MIEN_NUI", "Miền núi", 1)]
    assert [g.code for g in Indicator.objects.get(code="TL_DN_MOI").groups.all()] == ["XH"]
    assert list(Form.objects.get(code="BC01-KT").units.all()) == [city.commune_a]
    assert list(ValidationRule.objects.filter(form__code="BC01-KT").values_list(
        "code", "importance")) == [("R1", "medium")]  # fmt: skip
    assert Target.objects.get(indicator__code="TL_DN_MOI").value == Decimal(6)
    assert metadata.export() == metadata.normalise(document)


def test_round_trip_through_an_empty_database(city: City) -> None:
    load(full_document())
    exported = metadata.export()
    delete_all()
    assert row_counts() == dict.fromkeys(row_counts(), 0)
    # Through JSON text, as the file written by `reporting metadata-export` is read back.
    assert load(json.loads(json.dumps(exported, ensure_ascii=False))) == COUNTS
    assert metadata.export() == exported
    assert load(exported) == COUNTS  # and loading it again changes nothing
    assert metadata.export() == exported


def test_references_to_what_the_database_holds(city: City) -> None:
    load(full_document())
    document: dict[str, Any] = {
        "version": 1,
        "indicators": [
            {"code": "TL_NAM_NONGTHON", "name": "Tỷ lệ nam ở nông thôn",
             "numerator": "#{DAN_SO.NAM_NONG_THON}", "denominator": "#{DAN_SO}",
             "groups": ["XH"]},
        ],
        "targets": [{"indicator": "TL_DN_MOI", "unit": WARD_B, "year": 2027, "value": "7"}],
    }  # fmt: skip
    assert load(document) == {
        "categories": 0, "data_elements": 0, "indicators": 1, "indicator_groups": 0,
        "forms": 0, "rules": 0, "targets": 1,
    }  # fmt: skip
    assert Indicator.objects.count() == 4
    assert Target.objects.count() == 3
    # Only the new option keys: DAN_SO is GIOITINH × KHUVUC in the database.
    document["indicators"][0]["numerator"] = "#{DAN_SO.NAM}"
    assert rejected(document) == [("indicators[0].numerator", "unknown_option")]


def test_option_keys_follow_the_document_not_the_database(city: City) -> None:
    load(full_document())
    # DAN_SO redefined without categories: its old keys no longer exist.
    document = full_document()
    document["data_elements"][2]["categories"] = []
    assert rejected(document) == [
        ("indicators[1].numerator", "unknown_option"),
        ("forms[1].rules[0].left", "unknown_option"),
        ("forms[1].rules[0].left", "unknown_option"),
    ]
    # A category of a stored element redefined: the keys of the new options count.
    renamed: dict[str, Any] = {
        "version": 1,
        "categories": [{"code": "KHUVUC", "name": "Khu vực",
                        "options": [{"code": "DO_THI", "name": "Đô thị"},
                                    {"code": "NONG_THON", "name": "Nông thôn"}]}],
        "indicators": [{"code": "TL", "name": "Tỷ lệ", "numerator": "#{DAN_SO.NU_THANH_THI}"}],
    }  # fmt: skip
    assert rejected(renamed) == [("indicators[0].numerator", "unknown_option")]
    renamed["indicators"][0]["numerator"] = "#{DAN_SO.NU_DO_THI}"
    assert load(renamed)["indicators"] == 1


def test_a_rejected_document_leaves_a_loaded_database_as_it_was(city: City) -> None:
    load(full_document())
    document = full_document()
    for element in document["data_elements"]:
        element["name"] = "Đổi tên"
    document["forms"][0]["units"] = [WARD_A]
    document["forms"][0]["recipient"] = "000.00.99.H26"
    assert rejected(document) == [("forms[0].recipient", "unknown_agency")]
    assert metadata.export() == expected_export()


# --- each kind of bad input -------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    """Set the value at a dotted path such as ``forms.0.rules.1.left``."""

    def mutate(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = document
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = document
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        del target[last]

    return mutate


def _append(path: str, value: Any) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        target: Any = document
        for part in path.split("."):
            target = target[int(part)] if part.isdigit() else target[part]
        target.append(value)

    return mutate


BAD: list[tuple[str, Mutation, list[tuple[str, str]]]] = [
    # references
    ("unknown category", _set("data_elements.2.categories", ["KHUVUC", "TUOI"]),
     [("data_elements[2].categories[1]", "unknown_category")]),
    ("unknown element in a section", _append("forms.0.sections.1.elements", "KHONG_CO"),
     [("forms[0].sections[1].elements[2]", "unknown_element")]),
    ("unknown element in an expression",
     _set("indicators.0.denominator", "#{DN_HOATDONG} + #{KHONG_CO}"),
     [("indicators[0].denominator", "unknown_element")]),
    ("unknown element in a rule", _set("forms.0.rules.0.right", "#{KHONG_CO}"),
     [("forms[0].rules[0].right", "unknown_element")]),
    ("unknown group", _set("indicators.2.groups", ["VH"]),
     [("indicators[2].groups[0]", "unknown_group")]),
    ("unknown indicator", _set("targets.0.indicator", "KHONG_CO"),
     [("targets[0].indicator", "unknown_indicator")]),
    ("unknown recipient", _set("forms.0.recipient", "000.00.99.H26"),
     [("forms[0].recipient", "unknown_agency")]),
    ("unknown unit", _append("forms.1.units", "000.99.50.H26"),
     [("forms[1].units[1]", "unknown_agency")]),
    ("unknown target unit", _set("targets.1.unit", "x" * 36),
     [("targets[1].unit", "unknown_agency")]),
    ("unknown metric", _set("data_elements.5.metric_code", "procedures.teleported"),
     [("data_elements[5].metric_code", "unknown_metric")]),
    # expressions
    ("unfinished expression", _set("indicators.0.numerator", "#{DN_MOI} +"),
     [("indicators[0].numerator", "invalid_expression")]),
    ("code in an expression", _set("forms.0.rules.0.left", "__import__('os').system('id')"),
     [("forms[0].rules[0].left", "invalid_expression")]),
    ("malformed reference", _set("indicators.2.numerator", "#{DN MOI}"),
     [("indicators[2].numerator", "invalid_expression")]),
    ("infinite constant", _set("indicators.2.numerator", "#{DN_MOI} * 1e999"),
     [("indicators[2].numerator", "invalid_expression")]),
    ("nesting too deep to evaluate", _set("indicators.2.numerator", "-" * 150 + "#{DN_MOI}"),
     [("indicators[2].numerator", "invalid_expression")]),
    ("expression not a string", _set("indicators.2.numerator", 5),
     [("indicators[2].numerator", "wrong_type")]),
    # option keys
    ("options in the wrong order", _set("indicators.1.numerator", "#{DAN_SO.THANH_THI_NU}"),
     [("indicators[1].numerator", "unknown_option")]),
    ("one category of two", _set("indicators.1.numerator", "#{DAN_SO.NU}"),
     [("indicators[1].numerator", "unknown_option")]),
    ("option of an element without categories", _set("forms.0.rules.1.left", "#{DN_MOI.NAM}"),
     [("forms[0].rules[1].left", "unknown_option")]),
    # choices
    ("value type", _set("data_elements.0.value_type", "text"),
     [("data_elements[0].value_type", "invalid_choice")]),
    ("aggregation type", _set("data_elements.1.aggregation_type", "median"),
     [("data_elements[1].aggregation_type", "invalid_choice")]),
    ("period type", _set("forms.1.period_type", "weekly"),
     [("forms[1].period_type", "invalid_choice")]),
    ("operator", _set("forms.0.rules.0.operator", "=>"),
     [("forms[0].rules[0].operator", "invalid_choice")]),
    ("importance", _set("forms.1.rules.0.importance", "urgent"),
     [("forms[1].rules[0].importance", "invalid_choice")]),
    # duplicates
    ("duplicate element code", _set("data_elements.1.code", "DN_MOI"),
     [("data_elements[1].code", "duplicate")]),
    ("duplicate option code", _set("categories.1.options.1.code", "THANH_THI"),
     [("categories[1].options[1].code", "duplicate")]),
    ("duplicate rule code in a form", _set("forms.0.rules.1.code", "R2"),
     [("forms[0].rules[1].code", "duplicate")]),
    ("element twice in a form", _append("forms.0.sections.1.elements", "DN_MOI"),
     [("forms[0].sections[1].elements[2]", "duplicate")]),
    ("category twice on an element", _append("data_elements.2.categories", "KHUVUC"),
     [("data_elements[2].categories[2]", "duplicate")]),
    ("target twice", _append("targets", {"indicator": "TL_DN_MOI", "unit": WARD_A,
                                         "year": 2026, "value": 6}),
     [("targets[2]", "duplicate")]),
    # numbers and ranges
    ("min above max", _set("data_elements.3.min_value", "2000000"),
     [("data_elements[3].min_value", "min_above_max")]),
    ("not a number", _set("data_elements.3.max_value", "nhiều"),
     [("data_elements[3].max_value", "not_a_number")]),
    ("boolean as a number", _set("targets.0.value", True), [("targets[0].value", "not_a_number")]),
    ("too precise", _set("targets.0.value", "1.23456"), [("targets[0].value", "too_precise")]),
    ("too large", _set("data_elements.3.max_value", 10**5000),
     [("data_elements[3].max_value", "out_of_range")]),
    ("factor too large", _set("indicators.0.factor", "100000000"),
     [("indicators[0].factor", "out_of_range")]),
    ("decimals not an integer", _set("indicators.0.decimals", 2.5),
     [("indicators[0].decimals", "not_an_integer")]),
    ("decimals out of range", _set("indicators.0.decimals", 11),
     [("indicators[0].decimals", "out_of_range")]),
    ("year out of range", _set("targets.1.year", 20260), [("targets[1].year", "out_of_range")]),
    # shapes
    ("a list that is a string", _set("data_elements", "DN_MOI"),
     [("data_elements", "wrong_type")]),
    ("units that are a string", _set("forms.0.units", WARD_A), [("forms[0].units", "wrong_type")]),
    ("an item that is a string", _set("indicator_groups.1", "KT"),
     [("indicator_groups[1]", "wrong_type")]),
    ("a flag that is a string", _set("forms.1.requires_acceptance", "yes"),
     [("forms[1].requires_acceptance", "wrong_type")]),
    ("a name that is an object", _set("categories.0.name", {"vi": "Giới tính"}),
     [("categories[0].name", "wrong_type")]),
    ("unknown top-level key", _set("datasets", []), [("datasets", "unknown_field")]),
    ("unknown item key", _set("data_elements.0.colour", "red"),
     [("data_elements[0].colour", "unknown_field")]),
    ("unknown rule key", _set("forms.0.rules.0.severity", "high"),
     [("forms[0].rules[0].severity", "unknown_field")]),
    ("too many items", _set("indicator_groups", [None] * 20_001),
     [("indicator_groups", "too_many")]),
    ("missing numerator", _delete("indicators.2.numerator"),
     [("indicators[2].numerator", "required")]),
    ("blank name", _set("forms.0.name", "   "), [("forms[0].name", "required")]),
    ("name too long", _set("data_elements.0.name", "x" * 301),
     [("data_elements[0].name", "too_long")]),
    ("NUL in a name", _set("data_elements.0.name", "Số\x00"),
     [("data_elements[0].name", "invalid_character")]),
    ("lone surrogate", _set("indicator_groups.0.name", "\ud800"),
     [("indicator_groups[0].name", "invalid_character")]),
    ("invalid code", _set("forms.0.rules.0.code", "R 2"),
     [("forms[0].rules[0].code", "invalid_code")]),
    ("code too long", _set("forms.1.code", "B" * 51), [("forms[1].code", "invalid_code")]),
    ("no options", _set("categories.0.options", []),
     [("categories[0].options", "empty"), ("indicators[1].numerator", "unknown_option"),
      ("forms[1].rules[0].left", "unknown_option"), ("forms[1].rules[0].left", "unknown_option")]),
    ("no version", _delete("version"), [("version", "required")]),
    ("version 2", _set("version", 2), [("version", "unsupported_version")]),
    ("version true", _set("version", True), [("version", "unsupported_version")]),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "errors"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_refused_with_its_field_and_code(
    city: City, mutate: Mutation, errors: list[tuple[str, str]]
) -> None:
    document = full_document()
    mutate(document)
    assert rejected(document) == errors
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_every_problem_is_listed_with_a_message_in_vietnamese(city: City) -> None:
    document = full_document()
    document["data_elements"][0]["value_type"] = "text"
    document["indicators"][0]["numerator"] = "#{KHONG_CO}"
    document["forms"][0]["recipient"] = "000.00.99.H26"
    with pytest.raises(InvalidInput) as info:
        load(document)
    assert [(e.field, e.code, e.message) for e in info.value.field_errors] == [
        ("data_elements[0].value_type", "invalid_choice",
         "Giá trị không hợp lệ; chọn một trong: number, integer, positive_integer, percentage."),
        ("indicators[0].numerator", "unknown_element", "Không có chỉ tiêu mã KHONG_CO."),
        ("forms[0].recipient", "unknown_agency", "Không có cơ quan mã 000.00.99.H26."),
    ]  # fmt: skip


ODD: list[Any] = [
    None, 0, 1, -1.5, True, "", "x", "{}", [], [1], [{"version": 1}], {},
    {"version": "1"}, {"version": 1.5}, {1: 2},
    {"version": 1, "\ud800": 1},
    {"version": 1, "forms": "x"},
    {"version": 1, "forms": [1]},
    {"version": 1, "forms": [{}]},
    {"version": 1, "forms": [{"code": "F", "units": {"a": 1}, "sections": [None]}]},
    {"version": 1, "forms": [{"code": "F", "name": "F", "period_type": "monthly",
                              "recipient": None, "units": [[]], "sections": [{"elements": 1}],
                              "rules": [{"left": [], "right": {}}]}]},
    {"version": 1, "categories": [{"options": "x"}]},
    {"version": 1, "categories": [{"code": "A", "name": "A", "options": [[]]}]},
    {"version": 1, "categories": [{"code": "A\x00", "name": "A",
                                   "options": [{"code": "B", "name": "B"}]}]},
    {"version": 1, "data_elements": [{"code": ["A"]}]},
    {"version": 1, "data_elements": [{"code": "A", "name": {"vi": "A"}, "value_type": None,
                                      "aggregation_type": 1, "categories": "GIOITINH"}]},
    {"version": 1, "data_elements": [{"code": "A", "name": "A", "value_type": "number",
                                      "aggregation_type": "sum", "min_value": float("nan"),
                                      "max_value": float("inf")}]},
    {"version": 1, "indicators": [{"code": "A", "name": "A", "numerator": {"#": 1}}]},
    {"version": 1, "indicators": [{"code": "A", "name": "A", "numerator": "#{A}" * 1000}]},
    {"version": 1, "indicators": [{"code": "A", "name": "A", "numerator": "(" * 300 + "1"}]},
    {"version": 1, "targets": [{"indicator": "A", "unit": [], "year": "năm",
                                "value": float("nan")}]},
    {"version": 1, "targets": {"indicator": "A"}},
    {"version": 1, "indicator_groups": [[[[[[[[[[[]]]]]]]]]]]},
]  # fmt: skip


@pytest.mark.parametrize("document", ODD, ids=[f"odd{i}" for i in range(len(ODD))])
def test_odd_json_gives_invalid_input_and_nothing_else(city: City, document: Any) -> None:
    errors = rejected(document)
    assert errors
    assert all(isinstance(f, str) and f and isinstance(c, str) and c for f, c in errors)
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_a_document_that_is_not_an_object(city: City) -> None:
    assert rejected(["version", 1]) == [("document", "wrong_type")]


# --- CSV --------------------------------------------------------------------------------

CATEGORIES = {"version": 1, "categories": full_document()["categories"]}


def test_csv_with_a_bom_semicolons_and_decimal_commas(city: City) -> None:
    load(CATEGORIES)
    text = (
        "\ufeff Code ;name;value_type;aggregation_type;unit_label;min_value;max_value;"
        "categories\r\n"
        'DAN_SO;Dân số trung bình;positive_integer;last;người;0;;"KHUVUC; GIOITINH"\r\n'
        ";;;;;;;\r\n"
        '"THU_NGAN_SACH";"Thu ngân sách; trên địa bàn";number;sum;triệu đồng;-1,5;1.000.000,25;\r\n'
    )
    blank = {"short_name": "", "description": "", "metric_code": ""}
    assert metadata.from_csv("data_elements", text) == {
        "version": 1,
        "data_elements": [
            {**blank, "code": "DAN_SO", "name": "Dân số trung bình",
             "value_type": "positive_integer", "aggregation_type": "last",
             "unit_label": "người", "min_value": "0", "max_value": None,
             "categories": ["GIOITINH", "KHUVUC"]},
            {**blank, "code": "THU_NGAN_SACH", "name": "Thu ngân sách; trên địa bàn",
             "value_type": "number", "aggregation_type": "sum", "unit_label": "triệu đồng",
             "min_value": "-1.5", "max_value": "1000000.25", "categories": []},
        ],
    }  # fmt: skip


def test_csv_with_commas_and_a_cell_over_several_lines(city: City) -> None:
    load(full_document())
    text = (
        "code,name,description,numerator,denominator,factor,decimals,unit_label,groups\n"
        'TL_A,Tỷ lệ A,"Dòng một\nDòng hai",#{DN_MOI},#{DN_HOATDONG},100,0,%,KT;XH\n'
        "SL_B,Số B,,#{DN_MOI},,,,,\n"
    )
    assert metadata.from_csv("indicators", text) == {
        "version": 1,
        "indicators": [
            {"code": "SL_B", "name": "Số B", "description": "", "numerator": "#{DN_MOI}",
             "denominator": "1", "factor": "1", "decimals": 1, "unit_label": "", "groups": []},
            {"code": "TL_A", "name": "Tỷ lệ A", "description": "Dòng một\nDòng hai",
             "numerator": "#{DN_MOI}", "denominator": "#{DN_HOATDONG}", "factor": "100",
             "decimals": 0, "unit_label": "%", "groups": ["KT", "XH"]},
        ],
    }  # fmt: skip


def csv_errors(kind: str, text: str) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as info:
        metadata.from_csv(kind, text)
    return [(e.field, e.code) for e in info.value.field_errors]


ELEMENTS_HEADER = "code,name,value_type,aggregation_type,categories\n"


@pytest.mark.parametrize(
    ("kind", "text", "errors"),
    [
        ("data_elements", "code,name,value_type\nA,A,number\n",
         [("line 1: aggregation_type", "missing_column")]),
        ("data_elements", "code,name,value_type,aggregation_type,colour\n",
         [("line 1: colour", "unknown_column")]),
        ("data_elements", "code,name,name,value_type,aggregation_type\n",
         [("line 1: name", "duplicate_column")]),
        # The quoted name spans lines 2–3, so the third row starts on line 4.
        ("data_elements",
         ELEMENTS_HEADER + 'A,"Tên\ndài",number,sum,\nB,B,number,sum,\nC,C,text,sum,\n',
         [("line 5: value_type", "invalid_choice")]),
        ("data_elements", ELEMENTS_HEADER + "A,A,,sum,\n", [("line 2: value_type", "required")]),
        ("data_elements", ELEMENTS_HEADER + "A,A,number,sum,GIOITINH;TUOI\n",
         [("line 2: categories[1]", "unknown_category")]),
        ("data_elements", ELEMENTS_HEADER + "A,A,number,sum,\n\nA,B,number,sum,\n",
         [("line 4: code", "duplicate")]),
        ("data_elements", ELEMENTS_HEADER + "A,A,number,sum,,extra\n",
         [("line 2", "extra_cells")]),
        ("indicators", "code;name;numerator\nA;A;#{KHONG_CO}\n",
         [("line 2: numerator", "unknown_element")]),
        ("indicators", "", [("line 1", "missing_header")]),
        ("indicators", "\ufeff\r\n", [("line 1", "missing_header")]),
        ("indicators", "code,name,numerator\nA,\x00,1\n", [("line 1", "invalid_character")]),
        ("targets", "indicator,unit,year,value\n", [("kind", "invalid_choice")]),
    ],
)  # fmt: skip
def test_csv_errors_name_the_line(
    city: City, kind: str, text: str, errors: list[tuple[str, str]]
) -> None:
    load(CATEGORIES)
    assert csv_errors(kind, text) == errors


def test_csv_export_is_excel_ready_and_reads_back(city: City) -> None:
    load(full_document())
    text = metadata.to_csv("data_elements")
    lines = text.split("\r\n")
    assert lines[0] == (
        "\ufeffcode,name,short_name,description,value_type,aggregation_type,unit_label,"
        "min_value,max_value,categories,metric_code"
    )
    assert lines[1] == (
        "DAN_SO,Dân số trung bình,Dân số,Dân số bình quân trong kỳ.,positive_integer,last,"
        "người,,,GIOITINH;KHUVUC,"
    )
    assert lines[5] == (
        "THU_NGAN_SACH,Thu ngân sách trên địa bàn,,,number,sum,triệu đồng,0,1000000.5,,"
    )
    assert len(lines) == 8 and lines[7] == ""
    assert metadata.to_csv("indicators").split("\r\n")[3] == (
        "TL_NU_THANHTHI,Tỷ lệ nữ ở thành thị,Nữ thành thị trên tổng dân số.,"
        "#{DAN_SO.NU_THANH_THI},#{DAN_SO},100,1,,KT;XH"
    )
    for kind in ("data_elements", "indicators"):
        assert metadata.from_csv(kind, metadata.to_csv(kind)) == {
            "version": 1, kind: metadata.export()[kind],
        }  # fmt: skip


def test_csv_round_trip_through_the_database(city: City) -> None:
    load(full_document())
    before = metadata.export()
    text = metadata.to_csv("indicators")
    Indicator.objects.all().delete()
    assert load(metadata.from_csv("indicators", text))["indicators"] == 3
    assert metadata.export()["indicators"] == before["indicators"]


def test_a_province_loads_its_two_thousand_indicators_in_bulk(city: City) -> None:
    load(full_document())
    rows = [
        f'CS{n:04d};Chỉ số {n};#{{DN_MOI}} * {n};#{{DAN_SO.NAM_NONG_THON}};100;2;%;"KT;XH"'
        for n in range(2136)
    ]
    text = "code;name;numerator;denominator;factor;decimals;unit_label;groups\n" + "\n".join(rows)
    document = metadata.from_csv("indicators", text)
    with CaptureQueriesContext(connection) as queries:
        assert load(document)["indicators"] == 2136
    # Batched, not a statement per indicator.
    assert len(queries.captured_queries) < 60
    assert Indicator.objects.count() == 2139
    assert Indicator.groups.through.objects.filter(indicator__code__startswith="CS").count() == 4272
    loaded = Indicator.objects.get(code="CS2135")
    assert (loaded.numerator, loaded.factor, loaded.decimals) == (
        "#{DN_MOI} * 2135", Decimal(100), 2,
    )  # fmt: skip
