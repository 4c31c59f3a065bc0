"""Roles and object rules: who sees and changes which agency's records."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from thudo.core.models import AuditEvent, Membership, Role, User


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _counts() -> tuple[int, int, int]:
    return User.objects.count(), Membership.objects.count(), AuditEvent.objects.count()


@pytest.mark.django_db
def test_official_sees_own_agency_but_not_a_neighbouring_commune(city: Any) -> None:
    client = _client(city.clerk_a)
    own = client.get("/agencies/000.01.50.H26/")
    assert own.status_code == 200
    assert "clerk.a" in own.content.decode()
    other = client.get("/agencies/000.02.50.H26/")
    assert other.status_code == 404
    body = other.content.decode()
    assert "Ngọc Hà" not in body and "clerk.b" not in body


@pytest.mark.django_db
def test_api_hides_another_communes_staff_like_a_missing_agency(city: Any) -> None:
    client = _client(city.clerk_a)
    assert client.get("/api/v1/agencies/000.01.50.H26/officials").status_code == 200
    other = client.get("/api/v1/agencies/000.02.50.H26/officials")
    missing = client.get("/api/v1/agencies/999.99.99.H26/officials")
    assert other.status_code == missing.status_code == 404
    assert other.json()["code"] == missing.json()["code"] == "not_found"


@pytest.mark.django_db
def test_city_leader_oversees_communes_but_cannot_manage_their_staff(city: Any) -> None:
    client = _client(city.city_leader)
    assert client.get("/agencies/000.02.50.H26/").status_code == 200
    before = _counts()
    response = client.post(
        "/api/v1/agencies/000.02.50.H26/officials",
        {"username": "new.one", "full_name": "Trần Thị Bình", "role": "clerk"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert _counts() == before


@pytest.mark.django_db
def test_agency_admin_creates_an_official_who_must_change_the_password(city: Any) -> None:
    client = _client(city.admin_a)
    response = client.post(
        "/api/v1/agencies/000.01.50.H26/officials",
        {
            "username": "tran.binh",
            "full_name": "Trần Thị Bình",
            "role": "specialist",
            "title": "Chuyên viên",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "tran.binh"
    official = User.objects.get(username="tran.binh")
    assert official.kind == "official" and official.must_change_password
    assert official.check_password(body["initial_password"])
    membership = Membership.objects.get(user=official)
    assert (membership.agency.code, membership.role, membership.title) == (
        "000.01.50.H26",
        "specialist",
        "Chuyên viên",
    )
    event = AuditEvent.objects.get(action="core.official.create")
    assert (event.actor, event.agency, event.object_id) == (
        city.admin_a,
        city.commune_a,
        "tran.binh",
    )


@pytest.mark.django_db
def test_agency_admin_cannot_add_staff_to_another_commune_and_nothing_changes(city: Any) -> None:
    client = _client(city.admin_a)
    before = _counts()
    api = client.post(
        "/api/v1/agencies/000.02.50.H26/officials",
        {"username": "intruder", "full_name": "Kẻ Lạ", "role": "leader"},
        content_type="application/json",
    )
    page = client.post(
        "/agencies/000.02.50.H26/officials/",
        {"username": "intruder", "full_name": "Kẻ Lạ", "role": "leader"},
    )
    assert api.status_code == 404 and page.status_code == 404
    assert _counts() == before


@pytest.mark.django_db
def test_only_platform_admins_grant_platform_admin(city: Any) -> None:
    before = _counts()
    denied = _client(city.admin_a).post(
        "/api/v1/agencies/000.01.50.H26/roles",
        {"username": "clerk.a", "role": "platform_admin"},
        content_type="application/json",
    )
    assert denied.status_code == 403
    assert _counts() == before
    granted = _client(city.platform_admin).post(
        "/api/v1/agencies/000.01.50.H26/roles",
        {"username": "clerk.a", "role": "platform_admin"},
        content_type="application/json",
    )
    assert granted.status_code == 201
    assert granted.json()["role"] == "platform_admin"
    assert Membership.objects.filter(user=city.clerk_a, role=Role.PLATFORM_ADMIN).count() == 1


@pytest.mark.django_db
def test_granting_a_role_held_already_conflicts(city: Any) -> None:
    response = _client(city.admin_a).post(
        "/api/v1/agencies/000.01.50.H26/roles",
        {"username": "clerk.a", "role": "clerk"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


@pytest.mark.django_db
def test_revoke_keeps_history_and_removes_access(city: Any) -> None:
    admin = _client(city.admin_a)
    membership = Membership.objects.get(user=city.clerk_a)
    response = admin.delete(f"/api/v1/roles/{membership.pk}")
    assert response.status_code == 204
    membership.refresh_from_db()
    assert membership.revoked_at is not None and membership.revoked_by == city.admin_a
    assert _client(city.clerk_a).get("/agencies/000.01.50.H26/").status_code == 404
    again = admin.delete(f"/api/v1/roles/{membership.pk}")
    assert again.status_code == 409


@pytest.mark.django_db
def test_admin_cannot_revoke_own_admin_role(city: Any) -> None:
    membership = Membership.objects.get(user=city.admin_a)
    response = _client(city.admin_a).delete(f"/api/v1/roles/{membership.pk}")
    assert response.status_code == 409
    membership.refresh_from_db()
    assert membership.revoked_at is None


@pytest.mark.django_db
def test_staff_page_adds_official_with_htmx_and_shows_password_once(city: Any) -> None:
    client = _client(city.admin_a)
    response = client.post(
        "/agencies/000.01.50.H26/officials/",
        {"username": "le.cuong", "full_name": "Lê Văn Cường", "role": "head", "title": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="staff"')
    assert "Lê Văn Cường" in html and 'id="initial-password"' in html
    assert "<html" not in html


@pytest.mark.django_db
def test_staff_page_shows_field_errors_and_changes_nothing(city: Any) -> None:
    client = _client(city.admin_a)
    before = _counts()
    response = client.post(
        "/agencies/000.01.50.H26/officials/",
        {"username": "clerk.a", "full_name": "Trùng Tên", "role": "clerk"},
    )
    assert response.status_code == 409
    assert "Tên đăng nhập đã được dùng." in response.content.decode()
    bad = client.post(
        "/agencies/000.01.50.H26/officials/",
        {"username": "123456789012", "full_name": "", "role": "nope"},
    )
    assert bad.status_code == 422
    assert _counts() == before


@pytest.mark.django_db
def test_audit_log_of_an_agency_is_visible_to_its_members_only(city: Any) -> None:
    _client(city.admin_a).post(
        "/api/v1/agencies/000.01.50.H26/officials",
        {"username": "x.y", "full_name": "Xuân Yến", "role": "clerk"},
        content_type="application/json",
    )
    mine = _client(city.clerk_a).get("/api/v1/audit/events?agency=000.01.50.H26")
    assert mine.status_code == 200
    assert [e["action"] for e in mine.json()["items"]] == ["core.official.create"]
    assert _client(city.clerk_b).get("/api/v1/audit/events?agency=000.01.50.H26").status_code == 404
    assert _client(city.clerk_b).get("/api/v1/audit/events").status_code == 403
    everything = _client(city.platform_admin).get("/api/v1/audit/events")
    assert everything.json()["count"] == 1


@pytest.mark.django_db
def test_citizen_has_no_official_pages(city: Any) -> None:
    from thudo.core.tests.factories import citizen

    client = _client(citizen())
    assert client.get("/agencies/000.01.50.H26/").status_code == 404
    assert client.get("/accounts/tokens/").status_code == 404
    assert client.get("/api/v1/metrics").status_code == 403


@pytest.mark.django_db
def test_agency_admin_resets_a_colleagues_password_but_not_a_strangers(city: Any) -> None:
    client = _client(city.admin_a)
    response = client.post("/agencies/000.01.50.H26/officials/clerk.a/password/")
    assert response.status_code == 200
    html = response.content.decode()
    password = html.split('id="reset-password">')[1].split("<")[0]
    city.clerk_a.refresh_from_db()
    assert city.clerk_a.check_password(password) and city.clerk_a.must_change_password
    assert AuditEvent.objects.filter(action="core.password.set", object_id="clerk.a").count() == 1
    before = city.clerk_b.password
    denied = client.post("/agencies/000.02.50.H26/officials/clerk.b/password/")
    assert denied.status_code == 404
    city.clerk_b.refresh_from_db()
    assert city.clerk_b.password == before
    leader = _client(city.city_leader).post("/agencies/000.01.50.H26/officials/clerk.a/password/")
    assert leader.status_code == 403
