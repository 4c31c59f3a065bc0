"""Analytics: a hand-checked quarter for two wards and the city, each aggregation type,
indicators over totals and one disaggregation, statuses, access, and the API."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from thudo.core.errors import InvalidInput, PermissionDenied
from thudo.reporting import analytics, selectors, services
from thudo.reporting.contracts import CellInput
from thudo.reporting.tests.factories import Reporting

pytestmark = pytest.mark.django_db

# Hand-checked figures, months 1–3 of 2026.
A = {  # ward A (commune_a)
    "2026M01": {"DN_MOI": "1", "DN_HOATDONG": "100", "TY_LE_THU": "80",
                "LAO_DONG.NAM": "10", "LAO_DONG.NU": "20"},
    "2026M02": {"DN_MOI": "2", "DN_HOATDONG": "101", "TY_LE_THU": "90"},
    "2026M03": {"DN_MOI": "3", "DN_HOATDONG": "103", "TY_LE_THU": "100"},
}  # fmt: skip
B = {  # ward B (commune_b)
    "2026M01": {"DN_MOI": "4", "DN_HOATDONG": "50", "TY_LE_THU": "70",
                "LAO_DONG.NAM": "5", "LAO_DONG.NU": "15"},
    "2026M02": {"DN_MOI": "5", "DN_HOATDONG": "55"},
    "2026M03": {"DN_MOI": "6", "DN_HOATDONG": "60"},
}  # fmt: skip


def fill(r: Reporting) -> None:
    for user, unit, months in ((r.clerk_a, r.city.commune_a, A), (r.clerk_b, r.city.commune_b, B)):
        for period, values in months.items():
            cells = [
                CellInput(key.split(".")[0], raw,
                          disaggregation=key.split(".")[1] if "." in key else "")
                for key, raw in values.items()
            ]  # fmt: skip
            services.values_save_many(actor=user, form=r.form, unit=unit, period=period,
                                      cells=cells)  # fmt: skip


def table(result: Any) -> dict[tuple[str, str, str], tuple[Decimal, str]]:
    return {(c.dx, c.pe, c.ou): (c.value, c.status.value) for c in result.rows}


@pytest.fixture
def filled(reporting: Reporting) -> Reporting:
    fill(reporting)
    return reporting


def test_a_quarter_for_two_wards_and_the_city(filled: Reporting) -> None:
    c = filled.city
    a, b, city = c.commune_a.code, c.commune_b.code, c.city_pc.code
    result = analytics.query(
        dx="DN_MOI;DN_HOATDONG;TY_LE_THU;LAO_DONG;TL_DN_MOI;TL_LD_NU",
        pe_codes="2026Q1",
        ou=[a, b, city],
    )
    got = {k: v for k, (v, _s) in table(result).items()}
    q = "2026Q1"
    assert got == {
        ("DN_MOI", q, a): Decimal(6), ("DN_MOI", q, b): Decimal(15), ("DN_MOI", q, city): 21,
        # "last": the latest month's figure; the city's is the sum of the wards' then.
        ("DN_HOATDONG", q, a): 103, ("DN_HOATDONG", q, b): 60, ("DN_HOATDONG", q, city): 163,
        # "average": mean of all values, over months and wards: (80+90+100+70)/4.
        ("TY_LE_THU", q, a): 90, ("TY_LE_THU", q, b): 70, ("TY_LE_THU", q, city): 85,
        ("LAO_DONG", q, a): 30, ("LAO_DONG", q, b): 20, ("LAO_DONG", q, city): 50,
        # 100 × 6 / 103, 100 × 15 / 60, 100 × 21 / 163 — two decimals.
        ("TL_DN_MOI", q, a): Decimal("5.83"), ("TL_DN_MOI", q, b): Decimal("25.00"),
        ("TL_DN_MOI", q, city): Decimal("12.88"),
        # One disaggregation over the total: 20/30, 15/20, 35/50 — one decimal.
        ("TL_LD_NU", q, a): Decimal("66.7"), ("TL_LD_NU", q, b): Decimal("75.0"),
        ("TL_LD_NU", q, city): Decimal("70.0"),
    }  # fmt: skip
    assert result.names[q] == "Quý I/2026"
    assert result.names[city] == "Ủy ban nhân dân Thành phố Hà Nội"


def test_months_half_year_and_year_roll_up_alike(filled: Reporting) -> None:
    city = filled.city.city_pc.code
    result = analytics.query(dx="DN_MOI", pe_codes="2026M02;2026S1;2026", ou=city)
    assert {k[1]: v for k, (v, _s) in table(result).items()} == {
        "2026M02": Decimal(7), "2026S1": Decimal(21), "2026": Decimal(21),
    }  # fmt: skip


def test_children_and_levels(filled: Reporting) -> None:
    c = filled.city
    result = analytics.query(dx="DN_MOI", pe_codes="2026Q1", ou=f"{c.city_pc.code}:children")
    # The department below the city has no figures, so no row.
    assert [(r.ou, r.value) for r in result.rows] == [(c.commune_a.code, 6), (c.commune_b.code, 15)]
    same = analytics.query(dx="DN_MOI", pe_codes="2026Q1", ou=f"{c.city_pc.code}:level-1")
    assert same.rows == result.rows


def test_statuses(filled: Reporting) -> None:
    r = filled
    c = r.city
    services.measured_compute(actor=None, period="2026M02")
    for period in ("2026M01", "2026M02", "2026M03"):
        services.approval_approve(actor=r.leader_a, form=r.form, unit=c.commune_a, period=period)
    services.approval_approve(actor=r.leader_b, form=r.form, unit=c.commune_b, period="2026M03")
    result = analytics.query(dx="DN_MOI;HS_TIEPNHAN", pe_codes="2026Q1;2026M03",
                             ou=[c.commune_a.code, c.commune_b.code])  # fmt: skip
    statuses = {k: s for k, (_v, s) in table(result).items()}
    assert statuses == {
        ("DN_MOI", "2026Q1", c.commune_a.code): "approved",
        ("DN_MOI", "2026Q1", c.commune_b.code): "provisional",  # only March approved
        ("DN_MOI", "2026M03", c.commune_a.code): "approved",
        ("DN_MOI", "2026M03", c.commune_b.code): "approved",
        ("HS_TIEPNHAN", "2026Q1", c.commune_a.code): "measured",
        ("HS_TIEPNHAN", "2026Q1", c.commune_b.code): "measured",
    }


def test_a_change_shows_in_the_city_total_at_once(filled: Reporting) -> None:
    r = filled
    services.value_save(actor=r.clerk_b, form=r.form, unit=r.city.commune_b, period="2026M03",
                        element="DN_MOI", raw="60")  # fmt: skip
    result = analytics.query(dx="DN_MOI", pe_codes="2026Q1", ou=r.city.city_pc.code)
    assert [row.value for row in result.rows] == [Decimal(1 + 2 + 3 + 4 + 5 + 60)]


@pytest.mark.parametrize(
    ("dx", "pe", "ou", "field", "code"),
    [
        ("NOPE", "2026Q1", "000.00.00.H26", "dx", "unknown_dx"),
        ("DN_MOI", "2026Q5", "000.00.00.H26", "pe", "unknown_pe"),
        ("DN_MOI", "2026Q1", "000.99.99.H26", "ou", "unknown_ou"),
        ("DN_MOI", "2026Q1", "000.00.00.H26:grandchildren", "ou", "unknown_ou_modifier"),
        ("", "2026Q1", "000.00.00.H26", "dx", "required"),
        ("DN_MOI", ";".join(["2026Q1"] * 61), "000.00.00.H26", "pe", "too_many"),
    ],
)
def test_a_forged_request_is_a_field_error(
    filled: Reporting, dx: str, pe: str, ou: str, field: str, code: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        analytics.query(dx=dx, pe_codes=pe, ou=ou)
    assert [(e.field, e.code) for e in caught.value.field_errors] == [(field, code)]


def test_officials_see_their_units_and_what_they_receive(filled: Reporting) -> None:
    r = filled
    c = r.city
    with pytest.raises(PermissionDenied):
        selectors.analytics_for_user(user=r.clerk_b, dx="DN_MOI", pe_codes="2026Q1",
                                     ou=c.commune_a.code)  # fmt: skip
    with pytest.raises(PermissionDenied):
        selectors.analytics_for_user(user=r.clerk_b, dx="DN_MOI", pe_codes="2026Q1",
                                     ou=c.city_pc.code)  # fmt: skip
    own = selectors.analytics_for_user(user=r.clerk_b, dx="DN_MOI", pe_codes="2026Q1",
                                       ou=c.commune_b.code)  # fmt: skip
    assert [row.value for row in own.rows] == [15]
    # The recipient department sees its wards and the city total it approves.
    received = selectors.analytics_for_user(
        user=r.head_justice, dx="DN_MOI", pe_codes="2026Q1",
        ou=[c.commune_a.code, c.commune_b.code, c.city_pc.code],
    )  # fmt: skip
    assert [row.value for row in received.rows] == [6, 15, 21]
    city_wide = selectors.analytics_for_user(
        user=c.city_leader, dx="DN_MOI", pe_codes="2026Q1", ou=f"{c.city_pc.code}:children"
    )
    assert len(city_wide.rows) == 2


# --- the API --------------------------------------------------------------------------------


def signed_in(user: Any) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_the_analytics_api(filled: Reporting) -> None:
    c = filled.city
    client = signed_in(filled.head_justice)
    response = client.get(
        "/api/v1/reporting/analytics",
        {"dx": "DN_MOI;TL_DN_MOI", "pe": "2026Q1", "ou": f"{c.city_pc.code};{c.commune_a.code}"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["rows"] == [
        {"dx": "DN_MOI", "pe": "2026Q1", "ou": c.city_pc.code, "value": "21",
         "status": "provisional"},
        {"dx": "DN_MOI", "pe": "2026Q1", "ou": c.commune_a.code, "value": "6",
         "status": "provisional"},
        {"dx": "TL_DN_MOI", "pe": "2026Q1", "ou": c.city_pc.code, "value": "12.88",
         "status": "provisional"},
        {"dx": "TL_DN_MOI", "pe": "2026Q1", "ou": c.commune_a.code, "value": "5.83",
         "status": "provisional"},
    ]  # fmt: skip
    assert body["names"]["DN_MOI"] == "Số doanh nghiệp thành lập mới"

    forged = client.get("/api/v1/reporting/analytics",
                        {"dx": "DN_MOI", "pe": "2026Q1", "ou": "000.77.77.H26"})  # fmt: skip
    assert forged.status_code == 422
    assert forged["Content-Type"] == "application/problem+json"
    assert forged.json()["code"] == "invalid_input"


def test_the_values_api_is_all_or_nothing(reporting: Reporting) -> None:
    r = reporting
    client = signed_in(r.clerk_a)
    url = "/api/v1/reporting/forms/BC01-KT/values"
    payload: dict[str, Any] = {
        "unit": r.city.commune_a.code,
        "period": "2026M04",
        "values": [{"element": "DN_MOI", "value": 3}, {"element": "TY_LE_THU", "value": "120"}],
    }
    bad = client.post(url, json.dumps(payload), content_type="application/json")
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["values[1]"]
    assert not services.DataValue.objects.exists()

    payload["values"][1]["value"] = "99,5"
    ok = client.post(url, json.dumps(payload), content_type="application/json")
    assert (ok.status_code, ok.json()) == (200, {"changed": 2})
    read = client.get(url, {"unit": r.city.commune_a.code, "period": "2026M04"}).json()
    assert [(v["element"], v["value"], v["source"]) for v in read["values"]] == [
        ("DN_MOI", "3", "api"), ("TY_LE_THU", "99.5", "api"),
    ]  # fmt: skip

    # Another commune's official cannot even see commune A: 404, nothing written.
    other = signed_in(r.clerk_b).post(url, json.dumps(payload), content_type="application/json")
    assert other.status_code == 404
    step = signed_in(r.leader_a).post(
        "/api/v1/reporting/forms/BC01-KT/steps",
        json.dumps({"unit": r.city.commune_a.code, "period": "2026M04", "action": "approve"}),
        content_type="application/json",
    )
    assert step.json() == {"unit": r.city.commune_a.code, "period": "2026M04",
                           "completed": True, "approval": "approved"}  # fmt: skip
