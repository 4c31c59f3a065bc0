"""The kernel's API: problem details, directory, identifiers, calendar, metrics."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from thudo.core.models import Agency, AuditEvent


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_bad_input_is_a_problem_with_field_errors_and_changes_nothing(city: Any) -> None:
    before = Agency.objects.count()
    response = _client(city.platform_admin).post(
        "/api/v1/agencies",
        {"code": "000.00.H26", "name": "", "kind": "department", "unit_code": "1"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:thudo:problem:invalid_input"
    assert problem["code"] == "invalid_input"
    assert problem["status"] == 422
    assert problem["instance"] == "/api/v1/agencies"
    fields = {e["field"]: e for e in problem["errors"]}
    assert set(fields) == {"code", "name", "unit_code"}
    assert fields["code"]["message"].startswith("Mã định danh cơ quan gồm ít nhất bốn nhóm")
    assert fields["name"]["message"] == "Tối thiểu 1 ký tự."
    assert Agency.objects.count() == before


@pytest.mark.django_db
def test_malformed_json_is_a_problem_not_a_crash(city: Any) -> None:
    response = _client(city.platform_admin).post(
        "/api/v1/agencies", "{not json", content_type="application/json"
    )
    assert response.status_code in (400, 422)
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
def test_platform_admin_registers_an_agency_with_audit(city: Any) -> None:
    response = _client(city.platform_admin).post(
        "/api/v1/agencies",
        {
            "code": "000.00.17.h26",
            "name": "Sở Xây dựng",
            "kind": "department",
            "unit_code": "01",
            "parent_code": "000.00.00.H26",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json() == {
        "code": "000.00.17.H26",
        "name": "Sở Xây dựng",
        "short_name": "",
        "kind": "department",
        "parent_code": "000.00.00.H26",
        "unit_code": "01",
        "unit_name": "Thành phố Hà Nội",
    }
    event = AuditEvent.objects.get(action="core.agency.create")
    assert event.object_id == "000.00.17.H26" and event.actor == city.platform_admin
    duplicate = _client(city.platform_admin).post(
        "/api/v1/agencies",
        {"code": "000.00.17.H26", "name": "Sở Xây dựng", "kind": "department", "unit_code": "01"},
        content_type="application/json",
    )
    assert duplicate.status_code == 409


@pytest.mark.django_db
def test_agency_directory_search_ignores_accents(city: Any) -> None:
    response = _client(city.clerk_a).get("/api/v1/agencies?q=phuong ngoc ha")
    assert response.status_code == 200
    assert [a["code"] for a in response.json()["items"]] == ["000.02.50.H26"]
    by_parent = _client(city.clerk_a).get("/api/v1/agencies?parent=000.00.00.H26")
    assert by_parent.json()["count"] == 3


@pytest.mark.django_db
def test_units_in_force_on_a_date(city: Any) -> None:
    from datetime import date

    from thudo.core.tests.factories import unit

    unit(
        "00001",
        "Phường Phúc Xá",
        parent=city.hanoi,
        valid_from=date(2008, 8, 1),
        valid_to=date(2025, 7, 1),
    )
    client = _client(city.clerk_a)
    now = client.get("/api/v1/units?parent=01").json()
    assert [u["code"] for u in now["items"]] == ["00004", "00008"]
    before = client.get("/api/v1/units?parent=01&at=2020-01-01").json()
    assert [u["code"] for u in before["items"]] == ["00001"]
    assert client.get("/api/v1/units/00004").json()["name"] == "Phường Ba Đình"
    assert client.get("/api/v1/units/99999").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {"kind": "personal_id", "value": "001090012345"},
            {"valid": True, "normalized": "001090012345"},
        ),
        (
            {"kind": "personal_id", "value": "001090012345", "birth_date": "1991-05-02"},
            {"valid": False, "code": "personal_id_birth_year"},
        ),
        (
            {"kind": "personal_id", "value": "001190012345", "sex": "male"},
            {"valid": False, "code": "personal_id_sex"},
        ),
        ({"kind": "tax_code", "value": "0100109106"}, {"valid": True, "normalized": "0100109106"}),
        (
            {"kind": "tax_code", "value": "0100109107"},
            {"valid": False, "code": "tax_code_check_digit"},
        ),
        (
            {"kind": "agency_code", "value": "000.00.00.g22"},
            {"valid": True, "normalized": "000.00.00.G22"},
        ),
        ({"kind": "gso_code", "value": "0004"}, {"valid": False, "code": "gso_code_format"}),
    ],
)
def test_identifier_validation_endpoint(
    city: Any, payload: dict[str, str], expected: dict[str, Any]
) -> None:
    body = (
        _client(city.clerk_a)
        .post("/api/v1/identifiers/validate", payload, content_type="application/json")
        .json()
    )
    for key, value in expected.items():
        assert body[key] == value
    if not expected["valid"]:
        assert body["message"]


@pytest.mark.django_db
def test_calendar_endpoints(city: Any) -> None:
    client = _client(city.clerk_a)
    holidays = client.get("/api/v1/calendar/holidays?year=2026").json()
    days = {h["date"] for h in holidays}
    assert {"2026-02-16", "2026-02-20", "2026-04-27", "2026-08-31", "2026-09-02"} <= days
    due = client.get("/api/v1/calendar/working-days?start=2026-02-13&days=3").json()
    assert due["due"] == "2026-02-25"
    hours = client.get(
        "/api/v1/calendar/working-hours?start=2026-03-06T16:00:00%2B07:00"
        "&end=2026-03-09T10:00:00%2B07:00"
    ).json()
    assert hours["working_hours"] == 3.0
    naive = client.get("/api/v1/calendar/working-hours/add?start=2026-03-06T16:00:00&hours=8")
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["code"] == "timezone_required"
    assert client.get("/api/v1/calendar/holidays?year=1800").status_code == 422


@pytest.mark.django_db
def test_measured_metric_with_lineage(city: Any) -> None:
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    client = _client(city.platform_admin)
    codes = [m["code"] for m in client.get("/api/v1/metrics").json()]
    assert "core.active_officials" in codes
    value = client.get(
        f"/api/v1/metrics/core.active_officials?start={today}&end={today}&org_unit=000.01.50.H26"
    ).json()
    assert value["value"] == 2.0 and value["unit"] == "người"
    assert "core_membership" in value["lineage"]
    province = client.get(f"/api/v1/metrics/core.active_officials?start={today}&end={today}").json()
    assert province["value"] == 6.0
    past = client.get("/api/v1/metrics/core.active_officials?start=2020-01-01&end=2020-12-31")
    assert past.json()["value"] == 0.0
    unknown = client.get(f"/api/v1/metrics/nope?start={today}&end={today}")
    assert unknown.status_code == 404
    wrong_unit = client.get(
        f"/api/v1/metrics/core.active_officials?start={today}&end={today}&org_unit=999.99.99.H26"
    )
    assert wrong_unit.status_code == 422


@pytest.mark.django_db
def test_me_lists_roles(city: Any) -> None:
    body = _client(city.admin_a).get("/api/v1/me").json()
    assert body["username"] == "admin.a" and body["kind"] == "official"
    assert [(r["agency_code"], r["role"]) for r in body["roles"]] == [
        ("000.01.50.H26", "agency_admin")
    ]


@pytest.mark.django_db
def test_pagination_bounds_are_problems_not_crashes(city: Any) -> None:
    client = _client(city.clerk_a)
    huge = client.get("/api/v1/agencies?offset=234174207612700088007181467648")
    assert huge.status_code == 422 and huge.json()["errors"][0]["field"] == "offset"
    assert client.get("/api/v1/agencies?limit=0").status_code == 422
    assert client.get("/api/v1/agencies?limit=501").status_code == 422
    page = client.get("/api/v1/agencies?limit=2&offset=1").json()
    assert page["count"] == 4 and [a["code"] for a in page["items"]] == [
        "000.00.16.H26",
        "000.01.50.H26",
    ]
