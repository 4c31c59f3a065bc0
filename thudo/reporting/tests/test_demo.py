"""The demo's reporting data on the small city: Hanoi's catalogue, two years of figures
that keep the forms' rules, the open period left for the demo's official, measured
values with their lineage, the approval trail, and a second run that adds nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from thudo.core.models import AuditEvent, Role, User
from thudo.core.tests.factories import City, official
from thudo.reporting import analytics, checks, demo
from thudo.reporting.models import (
    Approval,
    ApprovalEvent,
    Completion,
    DataElement,
    DataValue,
    ExportMapping,
    Form,
    Indicator,
    Target,
    ValidationRule,
)

pytestmark = pytest.mark.django_db

# 2026M03 closed on Saturday 14 March and is due two working days later (Tuesday 17):
# on the 16th it is still the period being reported.
TODAY = date(2026, 3, 16)
MONTHS = [f"2025M{m:02d}" for m in range(1, 13)] + ["2026M01", "2026M02", "2026M03"]


@dataclass
class Demo:
    city: City
    info: dict[str, Any]
    codes: dict[str, str]
    clerk: User
    leader: User
    head: User


def codes_of(city: City) -> dict[str, str]:
    """The demo keys of the catalogue on the small city: every department is its one
    department, and its two ward committees are the communes (the second also stands
    for commune 60, the rural one the catalogue names)."""
    department = city.justice.code
    return {
        "city": city.city_pc.code,
        "centre": department,
        **dict.fromkeys(("01", "02", "04", "08", "10", "11", "12"), department),
        "commune:1": city.commune_a.code,
        "commune:2": city.commune_b.code,
        "commune:60": city.commune_b.code,
    }


def run(d: Demo) -> dict[str, Any]:
    return demo.build(codes=d.codes, officials={"commune:1": "thongke.a"}, today=TODAY)


@pytest.fixture
def loaded(city: City) -> Demo:
    d = Demo(
        city=city,
        info={},
        codes=codes_of(city),
        clerk=official(city.commune_a, role=Role.SPECIALIST, username="thongke.a"),
        leader=official(city.commune_a, role=Role.LEADER, username="chutich.a"),
        head=official(city.justice, role=Role.HEAD, username="truongphong.stc"),
    )
    # A second specialist who would come first by name: the named official is chosen.
    official(city.commune_a, role=Role.SPECIALIST, username="chuyenvien.a")
    d.info = run(d)
    return d


def entered(**filters: Any) -> Any:
    return DataValue.objects.filter(element__metric_code="", **filters)


def cells(form: Form) -> int:
    """Cells a unit types into the form for one period."""
    elements = DataElement.objects.filter(section__form=form, metric_code="").distinct()
    return sum(len(checks.disaggregations(e)) for e in elements)


def test_the_catalogue_is_loaded_at_the_city_s_agencies(loaded: Demo) -> None:
    city = loaded.city
    assert Form.objects.count() == 10
    assert DataElement.objects.count() == 94
    assert DataElement.objects.exclude(metric_code="").count() == 7
    assert Indicator.objects.count() == 36
    assert ValidationRule.objects.count() == 32
    assert Target.objects.filter(unit=city.city_pc, year=2026).count() == 9
    assert Target.objects.get(indicator__code="TT_GRDP").value == Decimal(8)
    communal = Form.objects.get(code="BC-KTXH-XA")
    assert communal.recipient == city.justice
    assert set(communal.units.all()) == {city.commune_a, city.commune_b}
    one_stop = Form.objects.get(code="BC-TTHC")
    assert set(one_stop.units.all()) == {city.justice, city.commune_a, city.commune_b}
    assert Indicator.objects.get(code="TL_HS_TRUCTUYEN").numerator == "#{TTHC_TRUCTUYEN}"
    assert cells(communal) == 17
    # Eight indicators shared with the Government reporting system, under its codes.
    shared = ExportMapping.objects.filter(recipient="bccp")
    assert shared.count() == 8
    assert shared.get(indicator__code="TL_HS_TRUCTUYEN").external_code == "CCHC.03"
    assert loaded.info["export"]["indicators"]["TT_GRDP"] == "KTXH.01"


def test_every_unit_has_every_closed_period_but_the_demo_s_open_one(loaded: Demo) -> None:
    city = loaded.city
    communal = Form.objects.get(code="BC-KTXH-XA")
    ids = DataElement.objects.filter(section__form=communal).values("pk")
    mine = entered(unit=city.commune_a, element__in=ids)
    theirs = entered(unit=city.commune_b, element__in=ids)
    assert sorted(set(mine.values_list("period", flat=True))) == MONTHS[:-1]
    assert sorted(set(theirs.values_list("period", flat=True))) == MONTHS
    assert mine.count() == 17 * 14 and theirs.count() == 17 * 15
    # The open period is left for the commune's official to fill in.
    assert not entered(unit=city.commune_a, period="2026M03").exists()
    assert {v.source for v in theirs} == {"imported"}
    assert not theirs.exclude(stored_by=None).exists()

    expected = {
        "BC-TTHC": 15,
        "BC-NSNN": 15,
        "BC-DOANHNGHIEP": 15,
        "BC-CDS": 15,
        "BC-GRDP": 5,
        "BC-DULICH": 5,
        "BC-LAODONG": 5,
        "BC-GIAODUC": 2,
        "BC-YTE": 1,
    }
    for code, periods in expected.items():
        form = Form.objects.get(code=code)
        ids = DataElement.objects.filter(section__form=form).values("pk")
        assert entered(unit=city.justice, element__in=ids).count() == cells(form) * periods, code


def test_the_figures_keep_the_rules_and_the_seasons(loaded: Demo) -> None:
    for form in Form.objects.prefetch_related("units"):
        for unit in form.units.all():
            for period in set(entered(unit=unit).values_list("period", flat=True)):
                broken = checks.violations(form, unit.pk, period)
                assert [v for v in broken if v.importance == "high"] == [], (form, unit, period)

    def value(element: str, period: str, disaggregation: str = "") -> Decimal:
        row = DataValue.objects.get(
            element__code=element, period=period, disaggregation=disaggregation
        )
        return row.value

    # The year-end budget peak; Tết's domestic visitors; the summer admissions.
    assert value("NS_THU", "2025M12") > value("NS_THU", "2025M11") * Decimal("1.3")
    assert value("DL_KHACH", "2025Q1", "ND") > value("DL_KHACH", "2025Q3", "ND")
    assert value("GD_TS", "2025S2") > value("GD_TS", "2025S1") * 5
    assert value("DN_HOATDONG", "2026M03") > value("DN_HOATDONG", "2025M01")
    assert value("NS_DUTOAN", "2025M06") == value("NS_DUTOAN", "2025M12") == Decimal(510_000)


def test_measured_elements_are_computed_with_lineage(loaded: Demo) -> None:
    city = loaded.city
    one_stop = Form.objects.get(code="BC-TTHC")
    measured = DataValue.objects.filter(element__section__form=one_stop, source="measured")
    # Six measured elements, three units, every month up to the open one.
    assert measured.count() == 6 * 3 * 15
    row = measured.get(element__code="TTHC_TIEPNHAN", unit=city.commune_a, period="2026M03")
    assert row.value == 0 and row.stored_by is None
    assert row.lineage is not None
    assert row.lineage["metric"] == "procedures.received"
    assert row.lineage["window"] == ["2026-02-15", "2026-03-14"]
    calls = DataValue.objects.filter(element__code="CDS_LGSP", source="measured")
    assert calls.count() == 15 and {v.unit_id for v in calls} == {city.justice.pk}


def test_closed_periods_are_completed_and_approved_up_the_tree(loaded: Demo) -> None:
    d, city = loaded, loaded.city
    communal = Form.objects.get(code="BC-KTXH-XA")
    approvals = Approval.objects.filter(form=communal)
    # Every unit and the city's total for the 14 older months; in the last closed one,
    # every unit but the demo's commune, whose leader approves it, and no total yet.
    assert approvals.count() == 14 * 3 + 1
    assert set(approvals.filter(period="2026M03").values_list("unit_id", flat=True)) == {
        city.commune_b.pk
    }
    by_unit = {(a.unit_id, a.approved_by_id) for a in approvals.filter(period="2025M06")}
    assert by_unit == {
        (city.commune_a.pk, d.leader.pk),
        # No leader of its own in the demo: recorded in the recipient's approver's name.
        (city.commune_b.pk, d.head.pk),
        (city.city_pc.pk, d.head.pk),
    }
    total = approvals.get(unit=city.city_pc, period="2025M06")
    units = approvals.filter(period="2025M06").exclude(unit=city.city_pc)
    assert all(a.approved_at < total.approved_at for a in units)
    assert ApprovalEvent.objects.filter(form=communal, action="approve").count() == 43
    completions = Completion.objects.filter(form=communal)
    assert completions.filter(unit=city.commune_a).count() == 14
    assert completions.filter(unit=city.commune_b).count() == 15
    assert {c.completed_by for c in completions.filter(unit=city.commune_a)} == {d.clerk}
    assert all(c.on_time == (c.completed_at.date() <= date(2026, 3, 17))
               for c in completions.filter(period="2026M02"))  # fmt: skip
    # Department forms: the head of the department approves its own report.
    finance = Approval.objects.get(form__code="BC-NSNN", unit=city.justice, period="2025M12")
    assert finance.approved_by == d.head
    assert AuditEvent.objects.filter(action="reporting.demo.load").count() == 1


def test_the_main_path_is_described_for_the_credentials(loaded: Demo) -> None:
    city = loaded.city
    assert loaded.info["main_path"] == {
        "form": "BC-KTXH-XA",
        "unit": city.commune_a.code,
        "fill": {"user": "thongke.a", "period": "2026M03"},
        "approve_unit": {"user": "chutich.a", "period": "2026M03"},
        "approve_total": {"user": "truongphong.stc", "unit": city.city_pc.code,
                          "period": "2026M03"},
    }  # fmt: skip
    forms = {f["code"]: f for f in loaded.info["forms"]}
    assert list(forms)[:2] == ["BC-KTXH-XA", "BC-TTHC"] and len(forms) == 10
    assert forms["BC-YTE"] == {
        "code": "BC-YTE",
        "name": "Báo cáo thống kê y tế hằng năm",
        "period_type": "annual",
        "recipient": city.city_pc.code,
        "units": 1,
        "first_period": "2025",
        "last_closed": "2025",
        "open_period": "2026",
        "filled_by": "truongphong.stc",
    }


def test_a_second_run_adds_nothing(loaded: Demo) -> None:
    counts = [m.objects.count() for m in (DataValue, Completion, Approval, ApprovalEvent)]
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    again = run(loaded)
    assert again == loaded.info
    assert [m.objects.count() for m in (DataValue, Completion, Approval, ApprovalEvent)] == counts
    assert not AuditEvent.objects.filter(seq__gt=last).exists()


def test_the_city_total_is_the_sum_of_its_communes(loaded: Demo) -> None:
    city = loaded.city
    result = analytics.query(dx="XA_HKD_MOI;XA_VIECLAM", pe_codes="2025Q4", ou=city.city_pc.code)
    stored = {
        code: sum(
            DataValue.objects.filter(
                element__code=code,
                unit__in=[city.commune_a, city.commune_b],
                period__in=["2025M10", "2025M11", "2025M12"],
            ).values_list("value", flat=True),
            Decimal(0),
        )
        for code in ("XA_HKD_MOI", "XA_VIECLAM")
    }
    assert {(c.dx, c.value, c.status) for c in result.rows} == {
        ("XA_HKD_MOI", stored["XA_HKD_MOI"], "approved"),
        ("XA_VIECLAM", stored["XA_VIECLAM"], "approved"),
    }
    assert stored["XA_HKD_MOI"] > 0


def test_demo_keys_resolve_to_codes() -> None:
    codes = {"city": "C", "04": "D", **{f"commune:{n}": f"X{n}" for n in (1, 2, 3, 10)}}
    assert demo.resolve_keys(["commune:*"], codes) == ["X1", "X2", "X3", "X10"]
    assert demo.resolve_keys(["04", "commune:2-9", "city", "04"], codes) == ["D", "X2", "X3", "C"]
    with pytest.raises(ValueError, match="no agency '12'"):
        demo.resolve_keys(["12"], codes)
