"""Member systems (hệ thống thành viên): registration, secret rotation, revocation, who sees
and manages them."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from thudo.core import rules as core_rules
from thudo.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from thudo.core.models import Agency, AuditEvent, User
from thudo.exchange import credentials, selectors, services, snapshot
from thudo.exchange.models import MemberSystem
from thudo.exchange.tests.factories import login, state, system

pytestmark = pytest.mark.django_db

SECRET = re.compile(r"lgs_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")


def test_registration_returns_the_secret_once_and_keeps_only_its_hash(city: Any) -> None:
    version = snapshot.current_version()
    created = services.system_register(
        actor=city.admin_a,
        agency=city.commune_a,
        member_class="GOV",
        code="motcua",
        name="Hệ thống một cửa Phường Ba Đình",
        contact_email=" it@badinh.hanoi.gov.vn ",
    )
    assert SECRET.fullmatch(created.secret)
    stored = MemberSystem.objects.get()
    assert stored.identifier == "VN/GOV/000.01.50.H26/MOTCUA"
    assert (stored.code, stored.member_class, stored.agency) == ("MOTCUA", "GOV", city.commune_a)
    assert stored.contact_email == "it@badinh.hanoi.gov.vn"
    assert stored.secret_hash == hashlib.sha256(created.secret.encode()).hexdigest()
    assert stored.secret_prefix == created.secret[:12]
    assert stored.created_by == city.admin_a
    assert (stored.is_active, stored.revoked_at, stored.tokens_valid_after) == (True, None, None)
    row = MemberSystem.objects.filter(pk=stored.pk).values().get()
    assert not any(created.secret in str(value) for value in row.values())
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.object_id, event.actor, event.agency) == (
        "exchange.system.register",
        "VN/GOV/000.01.50.H26/MOTCUA",
        city.admin_a,
        city.commune_a,
    )
    assert event.payload == {
        "name": "Hệ thống một cửa Phường Ba Đình",
        "member_class": "GOV",
        "secret_prefix": stored.secret_prefix,
    }
    assert snapshot.current_version() == version + 1
    assert credentials.secret_matches(stored, created.secret)
    assert not credentials.secret_matches(stored, created.secret + "x")


def test_registration_reports_every_invalid_field_and_creates_nothing(city: Any) -> None:
    before = state()
    with pytest.raises(InvalidInput) as caught:
        services.system_register(
            actor=city.admin_a,
            agency=city.commune_a,
            member_class="XYZ",
            code="A",
            name="  ",
            contact_email="not-an-address",
        )
    assert [(e.field, e.code) for e in caught.value.field_errors] == [
        ("member_class", "invalid_choice"),
        ("code", "invalid"),
        ("name", "required"),
        ("contact_email", "invalid"),
    ]
    assert state() == before


def test_the_same_code_twice_in_one_agency_is_a_conflict(city: Any) -> None:
    system(city.commune_a, "MOTCUA")
    before = state()
    with pytest.raises(Conflict) as caught:
        system(city.commune_a, "MOTCUA", member_class="ORG")
    assert [(e.field, e.code) for e in caught.value.field_errors] == [("code", "duplicate")]
    assert state() == before
    other, _secret = system(city.commune_b, "MOTCUA")
    assert other.identifier == "VN/GOV/000.02.50.H26/MOTCUA"


@pytest.mark.parametrize("who", ["admin_b", "clerk_a", "city_leader"])
def test_only_the_agency_administrator_or_platform_admin_registers(city: Any, who: str) -> None:
    before = state()
    with pytest.raises(PermissionDenied):
        services.system_register(
            actor=getattr(city, who),
            agency=city.commune_a,
            member_class="GOV",
            code="MOTCUA",
            name="Một cửa",
        )
    assert state() == before
    created = services.system_register(
        actor=city.platform_admin,
        agency=city.commune_a,
        member_class="GOV",
        code="MOTCUA",
        name="Một cửa",
    )
    assert created.system.created_by == city.platform_admin


def test_rotation_replaces_the_secret_and_ends_older_tokens(city: Any) -> None:
    registered, old_secret = system(city.commune_a, "MOTCUA")
    version = snapshot.current_version()
    before = timezone.now()
    rotated = services.system_secret_rotate(actor=city.admin_a, system=registered)
    after = timezone.now()
    stored = MemberSystem.objects.get(pk=registered.pk)
    assert SECRET.fullmatch(rotated.secret) and rotated.secret != old_secret
    assert not credentials.secret_matches(stored, old_secret)
    assert credentials.secret_matches(stored, rotated.secret)
    assert stored.secret_prefix == rotated.secret[:12]
    assert stored.tokens_valid_after is not None
    assert before <= stored.tokens_valid_after <= after
    assert stored.secret_rotated_at == stored.tokens_valid_after
    assert snapshot.current_version() == version + 1
    assert (
        snapshot.load().systems[stored.identifier].tokens_valid_after == stored.tokens_valid_after
    )
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.payload) == (
        "exchange.system.secret_rotate",
        {"secret_prefix": stored.secret_prefix},
    )


def test_rotation_is_refused_to_another_communes_administrator(city: Any) -> None:
    registered, secret = system(city.commune_a, "MOTCUA")
    before = state()
    with pytest.raises(PermissionDenied):
        services.system_secret_rotate(actor=city.admin_b, system=registered)
    assert state() == before
    assert credentials.secret_matches(MemberSystem.objects.get(pk=registered.pk), secret)


def test_revocation_deactivates_the_system_once(city: Any) -> None:
    registered, _secret = system(city.commune_a, "MOTCUA")
    version = snapshot.current_version()
    with pytest.raises(InvalidInput) as caught:
        services.system_revoke(actor=city.admin_a, system=registered, reason=" ")
    assert [(e.field, e.code) for e in caught.value.field_errors] == [("reason", "required")]
    revoked = services.system_revoke(
        actor=city.admin_a, system=registered, reason="Hệ thống ngừng vận hành"
    )
    stored = MemberSystem.objects.get(pk=registered.pk)
    assert (stored.is_active, stored.revoked_at) == (False, revoked.revoked_at)
    assert stored.tokens_valid_after == stored.revoked_at
    assert snapshot.current_version() == version + 1
    assert snapshot.load().systems[stored.identifier].active is False
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.payload) == (
        "exchange.system.revoke",
        {"reason": "Hệ thống ngừng vận hành"},
    )
    before = state()
    with pytest.raises(Conflict):
        services.system_revoke(actor=city.admin_a, system=stored, reason="lần nữa")
    with pytest.raises(Conflict):
        services.system_secret_rotate(actor=city.admin_a, system=stored)
    assert state() == before


def test_officials_see_the_systems_of_their_agencies_only(city: Any) -> None:
    a, _ = system(city.commune_a, "MOTCUA")
    b, _ = system(city.commune_b, "MOTCUA")
    justice, _ = system(city.justice, "HOTICH")

    def seen(user: User) -> list[str]:
        return [s.identifier for s in selectors.system_list_for_user(user=user)]

    assert seen(city.clerk_a) == [a.identifier]
    assert seen(city.admin_b) == [b.identifier]
    assert seen(city.city_leader) == [justice.identifier, a.identifier, b.identifier]
    assert seen(city.platform_admin) == [justice.identifier, a.identifier, b.identifier]
    with pytest.raises(NotFound):
        selectors.system_get_for_user(user=city.clerk_a, identifier=b.identifier)
    assert selectors.system_get_for_user(user=city.clerk_b, identifier=b.identifier) == b


def test_visible_agencies_follow_the_kernels_rule_exactly(city: Any) -> None:
    agencies = list(Agency.objects.all())
    for user in User.objects.all():
        ids = selectors.visible_agency_ids(user=user)
        for agency in agencies:
            sees = ids is None or agency.pk in ids
            assert sees == bool(core_rules.can_view_agency_records(user, agency)), (user, agency)


def test_api_registers_shows_the_secret_once_and_lists_without_it(city: Any) -> None:
    client = login(city.admin_a)
    response = client.post(
        "/api/v1/exchange/systems",
        {"agency_code": "000.01.50.H26", "code": "MOTCUA", "name": "Một cửa Ba Đình"},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    secret = body["credentials"]["client_secret"]
    assert SECRET.fullmatch(secret)
    assert body["credentials"]["client_id"] == "VN/GOV/000.01.50.H26/MOTCUA"
    assert body["credentials"]["token_endpoint"] == "http://127.0.0.1:8000/oauth/token"
    assert body["system"]["identifier"] == "VN/GOV/000.01.50.H26/MOTCUA"
    assert body["system"]["agency_name"] == "Ủy ban nhân dân Phường Ba Đình"
    listed = client.get("/api/v1/exchange/systems")
    assert listed.status_code == 200
    assert listed.json()["count"] == 1
    assert secret not in listed.content.decode()
    assert secret[:12] == listed.json()["items"][0]["secret_prefix"]


def test_api_hides_another_communes_system_and_refuses_foreign_agencies(city: Any) -> None:
    b, _ = system(city.commune_b, "MOTCUA")
    client = login(city.admin_a)
    before = state()
    rotate = client.post(f"/api/v1/exchange/systems/{b.identifier}/rotate")
    assert rotate.status_code == 404
    assert rotate.json()["code"] == "not_found"
    foreign = client.post(
        "/api/v1/exchange/systems",
        {"agency_code": "000.02.50.H26", "code": "KHAC", "name": "Khác"},
        content_type="application/json",
    )
    assert foreign.status_code == 404
    assert state() == before


def test_api_rotates_and_revokes(city: Any) -> None:
    a, old = system(city.commune_a, "MOTCUA")
    client = login(city.admin_a)
    rotated = client.post(f"/api/v1/exchange/systems/{a.identifier}/rotate")
    assert rotated.status_code == 200
    assert SECRET.fullmatch(rotated.json()["client_secret"])
    assert rotated.json()["client_secret"] != old
    assert rotated.json()["tokens_valid_after"] is not None
    revoked = client.post(
        f"/api/v1/exchange/systems/{a.identifier}/revoke",
        {"reason": "Thay hệ thống mới"},
        content_type="application/json",
    )
    assert revoked.status_code == 200
    assert revoked.json()["is_active"] is False
    again = client.post(
        f"/api/v1/exchange/systems/{a.identifier}/revoke",
        {"reason": "Lần nữa"},
        content_type="application/json",
    )
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"


def test_operator_registers_and_rotates_at_the_command_line(city: Any) -> None:
    out = StringIO()
    call_command(
        "exchange",
        "system",
        "register",
        "--agency",
        "000.00.16.H26",
        "--code",
        "HOTICH",
        "--name",
        "Hệ thống hộ tịch",
        stdout=out,
        stderr=StringIO(),
    )
    lines = out.getvalue().splitlines()
    assert lines[0] == "client_id: VN/GOV/000.00.16.H26/HOTICH"
    secret = lines[1].removeprefix("client_secret: ")
    stored = MemberSystem.objects.get()
    assert credentials.secret_matches(stored, secret)
    assert AuditEvent.objects.latest("seq").actor is None
    out = StringIO()
    call_command("exchange", "system", "rotate", stored.identifier, stdout=out, stderr=StringIO())
    new = out.getvalue().splitlines()[1].removeprefix("client_secret: ")
    stored.refresh_from_db()
    assert credentials.secret_matches(stored, new) and not credentials.secret_matches(
        stored, secret
    )
    assert stored.tokens_valid_after is not None
    assert timezone.now() - stored.tokens_valid_after < timedelta(seconds=5)
