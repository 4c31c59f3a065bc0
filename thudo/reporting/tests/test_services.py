"""Writes of the reporting module: values, all-or-nothing batches, completion, the
approval steps and locking, measured values, pre-aggregated totals."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from thudo.core.errors import Conflict, InvalidInput, PermissionDenied
from thudo.core.models import AuditEvent
from thudo.reporting import services
from thudo.reporting.contracts import CellInput
from thudo.reporting.models import (
    AggregateValue,
    Approval,
    ApprovalEvent,
    Completion,
    DataValue,
)
from thudo.reporting.tests.factories import PERIOD, Reporting, build

pytestmark = pytest.mark.django_db


def save(r: Reporting, element: str, raw: str, *, unit: Any = None, user: Any = None,
         period: str = PERIOD, disaggregation: str = "") -> Any:  # fmt: skip
    return services.value_save(
        actor=user or r.clerk_a,
        form=r.form,
        unit=unit or r.city.commune_a,
        period=period,
        element=element,
        raw=raw,
        disaggregation=disaggregation,
    )


def stored(r: Reporting, element: str, unit: Any = None, disaggregation: str = "") -> Any:
    row = DataValue.objects.filter(
        element__code=element,
        unit=unit or r.city.commune_a,
        period=PERIOD,
        disaggregation=disaggregation,
    ).first()
    return None if row is None else row.value


def city_total(r: Reporting, element: str) -> Decimal | None:
    row = AggregateValue.objects.filter(
        element__code=element, unit=r.city.city_pc, period=PERIOD
    ).first()
    return None if row is None else row.total


# --- one cell -------------------------------------------------------------------------------


def test_a_saved_value_is_stored_audited_and_totalled_above(reporting: Reporting) -> None:
    r = reporting
    result = save(r, "DN_MOI", "12")
    save(r, "DN_MOI", "30", unit=r.city.commune_b, user=r.clerk_b)

    assert result.value == Decimal(12) and result.violations == ()
    assert stored(r, "DN_MOI") == Decimal(12)
    assert city_total(r, "DN_MOI") == Decimal(42)
    event = AuditEvent.objects.filter(action="reporting.value.save").order_by("pk").first()
    assert event is not None
    assert (event.actor, event.agency, event.object_id) == (
        r.clerk_a, r.city.commune_a, f"BC01-KT/{r.city.commune_a.code}/{PERIOD}"
    )  # fmt: skip
    assert event.payload == {"element": "DN_MOI", "disaggregation": "", "old": None,
                             "new": "12", "source": "entered"}  # fmt: skip

    save(r, "DN_MOI", "")  # clearing a cell removes it and its share of the total
    assert stored(r, "DN_MOI") is None
    assert city_total(r, "DN_MOI") == Decimal(30)


def test_a_broken_rule_is_reported_but_the_value_is_kept(reporting: Reporting) -> None:
    save(reporting, "DN_HOATDONG", "10")
    result = save(reporting, "DN_MOI", "15")
    assert result.value == Decimal(15)
    [violation] = result.violations
    assert (violation.rule, violation.importance, violation.left, violation.operator,
            violation.right) == ("R1", "high", Decimal(15), "<=", Decimal(10))  # fmt: skip


@pytest.mark.parametrize(
    ("element", "raw", "expected"),
    [
        ("THU_NGAN_SACH", "12,5", Decimal("12.5")),
        ("THU_NGAN_SACH", "1.234,75", Decimal("1234.75")),
        ("THU_NGAN_SACH", "123 456,5", Decimal("123456.5")),
        ("THU_NGAN_SACH", "0.25", Decimal("0.25")),
        ("DN_MOI", " 7 ", Decimal(7)),
        ("TY_LE_THU", "99,9", Decimal("99.9")),
    ],
)
def test_numbers_as_people_type_them(
    reporting: Reporting, element: str, raw: str, expected: Decimal
) -> None:
    assert save(reporting, element, raw).value == expected
    assert stored(reporting, element) == expected


@pytest.mark.parametrize(
    ("element", "raw", "code"),
    [
        ("DN_MOI", "abc", "not_a_number"),
        ("DN_MOI", "1e3x", "not_a_number"),
        ("DN_MOI", "NaN", "not_a_number"),
        ("DN_MOI", "2.5", "not_an_integer"),
        ("DN_MOI", "-1", "negative"),
        ("TY_LE_THU", "100,5", "out_of_range"),
        ("THU_NGAN_SACH", "1000001", "above_maximum"),
        ("THU_NGAN_SACH", "-3", "below_minimum"),
        ("THU_NGAN_SACH", "0.00001", "too_precise"),
        ("THU_NGAN_SACH", "9" * 20, "out_of_range"),
        ("HS_TIEPNHAN", "5", "measured"),
        ("KHONG_CO", "5", "element_not_in_form"),
    ],
)
def test_bad_values_are_refused_and_change_nothing(
    reporting: Reporting, element: str, raw: str, code: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        save(reporting, element, raw)
    assert [e.code for e in caught.value.field_errors] == [code]
    assert DataValue.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="reporting.value").exists()


def test_a_disaggregation_must_be_one_of_the_element(reporting: Reporting) -> None:
    assert save(reporting, "LAO_DONG", "4", disaggregation="NU").value == Decimal(4)
    with pytest.raises(InvalidInput) as caught:
        save(reporting, "LAO_DONG", "4", disaggregation="KHAC")
    assert caught.value.field_errors[0].code == "disaggregation_invalid"
    with pytest.raises(InvalidInput):
        save(reporting, "LAO_DONG", "4")  # the element has no undivided total


@pytest.mark.parametrize(
    ("period", "code"),
    [("2026M13", "period_invalid"), ("2026Q1", "period_type_mismatch"),
     ("2099M01", "period_not_open"), ("' OR 1=1", "period_invalid")],
)  # fmt: skip
def test_forged_periods_are_refused(reporting: Reporting, period: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        save(reporting, "DN_MOI", "1", period=period)
    assert caught.value.field_errors[0].code == code
    assert DataValue.objects.count() == 0


def test_only_the_units_officials_enter_its_data(reporting: Reporting) -> None:
    r = reporting
    with pytest.raises(PermissionDenied):
        save(r, "DN_MOI", "1", user=r.clerk_b)  # commune B's official, commune A's data
    with pytest.raises(PermissionDenied):
        save(r, "DN_MOI", "1", user=r.head_justice)  # the recipient reads, never types
    with pytest.raises(InvalidInput) as caught:
        save(r, "DN_MOI", "1", unit=r.city.justice, user=r.head_justice)
    assert caught.value.field_errors[0].code == "unit_not_assigned"
    assert DataValue.objects.count() == 0


# --- a whole form at once -------------------------------------------------------------------


def test_a_batch_is_all_or_nothing_with_an_error_per_bad_cell(reporting: Reporting) -> None:
    r = reporting
    cells = [
        CellInput("DN_MOI", "3", ref="E7"),
        CellInput("DN_HOATDONG", "abc", ref="E8"),
        CellInput("LAO_DONG", "5", disaggregation="NAM", ref="E10"),
        CellInput("TY_LE_THU", "101", ref="E12"),
    ]
    with pytest.raises(InvalidInput) as caught:
        services.values_save_many(actor=r.clerk_a, form=r.form, unit=r.city.commune_a,
                                  period=PERIOD, cells=cells)  # fmt: skip
    assert [(e.field, e.code) for e in caught.value.field_errors] == [
        ("E8", "not_a_number"), ("E12", "out_of_range"),
    ]  # fmt: skip
    assert DataValue.objects.count() == 0

    good = [cells[0], cells[2], CellInput("DN_HOATDONG", "40", ref="E8")]
    changed = services.values_save_many(actor=r.clerk_a, form=r.form, unit=r.city.commune_a,
                                        period=PERIOD, cells=good)  # fmt: skip
    assert changed == 3
    assert (stored(r, "DN_MOI"), stored(r, "LAO_DONG", disaggregation="NAM")) == (3, 5)
    assert city_total(r, "LAO_DONG") == Decimal(5)
    # The same batch again changes nothing and writes no audit event.
    before = AuditEvent.objects.count()
    assert services.values_save_many(actor=r.clerk_a, form=r.form, unit=r.city.commune_a,
                                     period=PERIOD, cells=good) == 0  # fmt: skip
    assert AuditEvent.objects.count() == before


def test_a_cell_given_twice_in_a_batch_is_refused(reporting: Reporting) -> None:
    r = reporting
    cells = [CellInput("DN_MOI", "3", ref="A"), CellInput("DN_MOI", "4", ref="B")]
    with pytest.raises(InvalidInput) as caught:
        services.values_save_many(actor=r.clerk_a, form=r.form, unit=r.city.commune_a,
                                  period=PERIOD, cells=cells)  # fmt: skip
    assert [(e.field, e.code) for e in caught.value.field_errors] == [("B", "duplicate")]


# --- completion -----------------------------------------------------------------------------


def test_completion_judges_timeliness_against_the_deadline(
    reporting: Reporting, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = reporting
    # March 2026 closed on Saturday the 14th; two working days: due Tuesday 17 March.
    monkeypatch.setattr(services.timezone, "now", lambda: datetime(2026, 3, 17, 9, tzinfo=UTC))
    on_time = services.form_complete(actor=r.clerk_a, form=r.form, unit=r.city.commune_a,
                                     period=PERIOD)  # fmt: skip
    monkeypatch.setattr(services.timezone, "now", lambda: datetime(2026, 3, 18, 9, tzinfo=UTC))
    late = services.form_complete(actor=r.clerk_b, form=r.form, unit=r.city.commune_b,
                                  period=PERIOD)  # fmt: skip
    assert (on_time.on_time, late.on_time) == (True, False)
    with pytest.raises(Conflict):
        services.form_complete(actor=r.clerk_a, form=r.form, unit=r.city.commune_a,
                               period=PERIOD)  # fmt: skip
    services.form_uncomplete(actor=r.clerk_a, form=r.form, unit=r.city.commune_a, period=PERIOD)
    assert list(Completion.objects.values_list("unit", flat=True)) == [r.city.commune_b.pk]


# --- approval -------------------------------------------------------------------------------


def approve(r: Reporting, user: Any, unit: Any, comment: str = "") -> Any:
    return services.approval_approve(actor=user, form=r.form, unit=unit, period=PERIOD,
                                     comment=comment)  # fmt: skip


def test_approval_goes_up_the_tree_and_locks_the_data(reporting: Reporting) -> None:
    r = reporting
    c = r.city
    save(r, "DN_MOI", "5")
    approve(r, r.leader_a, c.commune_a, "Số liệu đã rà soát")

    with pytest.raises(Conflict) as locked:
        save(r, "DN_MOI", "6")
    assert locked.value.data["code_detail"] == "period_locked"
    assert stored(r, "DN_MOI") == Decimal(5)
    # Approval implies completion.
    assert Completion.objects.filter(unit=c.commune_a, period=PERIOD).exists()

    with pytest.raises(Conflict) as early:
        approve(r, r.head_justice, c.city_pc)
    assert early.value.data == {"code_detail": "children_not_approved", "missing": 1}

    approve(r, r.leader_b, c.commune_b)
    approve(r, r.head_justice, c.city_pc, "Đã tổng hợp")
    with pytest.raises(Conflict) as above:
        services.approval_unapprove(actor=r.leader_a, form=r.form, unit=c.commune_a,
                                    period=PERIOD)  # fmt: skip
    assert above.value.data["code_detail"] == "approved_above"

    services.approval_unapprove(actor=r.head_justice, form=r.form, unit=c.city_pc,
                                period=PERIOD, comment="Cần bổ sung")  # fmt: skip
    # The recipient may also return a commune's data.
    services.approval_unapprove(actor=r.head_justice, form=r.form, unit=c.commune_a,
                                period=PERIOD, comment="Sai số doanh nghiệp")  # fmt: skip
    assert save(r, "DN_MOI", "6").value == Decimal(6)
    trail = list(ApprovalEvent.objects.values_list("unit__code", "action", "comment"))
    assert trail == [
        (c.commune_a.code, "approve", "Số liệu đã rà soát"),
        (c.commune_b.code, "approve", ""),
        (c.city_pc.code, "approve", "Đã tổng hợp"),
        (c.city_pc.code, "unapprove", "Cần bổ sung"),
        (c.commune_a.code, "unapprove", "Sai số doanh nghiệp"),
    ]
    assert AuditEvent.objects.filter(action__startswith="reporting.approval.").count() == 5


def test_who_may_approve(reporting: Reporting) -> None:
    r = reporting
    with pytest.raises(PermissionDenied):
        approve(r, r.clerk_a, r.city.commune_a)  # a specialist enters, a leader approves
    with pytest.raises(PermissionDenied):
        approve(r, r.leader_b, r.city.commune_a)
    with pytest.raises(PermissionDenied):
        approve(r, r.head_justice, r.city.commune_a)  # the recipient approves aggregates
    assert Approval.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="reporting.approval").exists()


def test_two_step_approval_with_acceptance(city: Any) -> None:
    r = build(city, requires_acceptance=True)
    approve(r, r.leader_a, city.commune_a)
    approve(r, r.leader_b, city.commune_b)
    with pytest.raises(Conflict) as early:
        approve(r, r.head_justice, city.city_pc)
    assert early.value.data["missing"] == 2

    for unit in (city.commune_a, city.commune_b):
        services.approval_accept(actor=r.head_justice, form=r.form, unit=unit, period=PERIOD)
    with pytest.raises(Conflict):
        services.approval_unapprove(actor=r.leader_a, form=r.form, unit=city.commune_a,
                                    period=PERIOD)  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.approval_accept(actor=r.leader_a, form=r.form, unit=city.commune_b,
                                 period=PERIOD)  # fmt: skip
    approve(r, r.head_justice, city.city_pc)
    states = dict(Approval.objects.values_list("unit__code", "state"))
    assert states == {city.commune_a.code: "accepted", city.commune_b.code: "accepted",
                      city.city_pc.code: "approved"}  # fmt: skip
    # The city leader, above the department's level, accepts the city's aggregate.
    services.approval_accept(actor=city.city_leader, form=r.form, unit=city.city_pc,
                             period=PERIOD)  # fmt: skip
    assert Approval.objects.get(unit=city.city_pc).state == "accepted"


# --- measured values and totals -------------------------------------------------------------


def test_measured_values_come_from_the_metrics_registry_with_lineage(
    reporting: Reporting,
) -> None:
    r = reporting
    written = services.measured_compute(actor=None, period=PERIOD)
    assert written == 2  # one measured element × two communes
    row = DataValue.objects.get(element__code="HS_TIEPNHAN", unit=r.city.commune_a)
    assert (row.value, row.source, row.stored_by) == (Decimal(0), "measured", None)
    assert row.lineage is not None
    assert (row.lineage["metric"], row.lineage["module"], row.lineage["window"]) == (
        "procedures.received", "procedures", ["2026-02-15", "2026-03-14"]
    )  # fmt: skip
    assert row.lineage["query"].startswith("received = 0; procedures_dossier rows")
    assert city_total(r, "HS_TIEPNHAN") == Decimal(0)
    # Approved data keeps what was approved.
    approve(r, r.leader_a, r.city.commune_a)
    assert services.measured_compute(actor=None, period=PERIOD) == 1
    with pytest.raises(PermissionDenied):
        services.measured_compute(actor=r.clerk_a, period=PERIOD)


def test_the_rebuild_gives_the_same_totals_as_the_incremental_refresh(
    reporting: Reporting,
) -> None:
    r = reporting
    save(r, "DN_MOI", "4")
    save(r, "DN_MOI", "9", unit=r.city.commune_b, user=r.clerk_b)
    save(r, "LAO_DONG", "2", disaggregation="NAM")
    save(r, "LAO_DONG", "3", disaggregation="NU")
    fields = ("element__code", "unit__code", "period", "total", "count", "minimum", "maximum")
    incremental = sorted(AggregateValue.objects.values_list(*fields))
    assert services.aggregates_rebuild(actor=None) == 2
    assert sorted(AggregateValue.objects.values_list(*fields)) == incremental
    assert incremental == [
        ("DN_MOI", r.city.city_pc.code, PERIOD, Decimal(13), 2, Decimal(4), Decimal(9)),
        ("LAO_DONG", r.city.city_pc.code, PERIOD, Decimal(5), 2, Decimal(2), Decimal(3)),
    ]
