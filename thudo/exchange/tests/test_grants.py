"""Access grants (quyền truy cập): the consumer's side requests, the provider's side
decides; only legal transitions; each side sees its own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from thudo.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from thudo.core.models import AuditEvent
from thudo.exchange import selectors, services, snapshot
from thudo.exchange.models import AccessGrant, MemberSystem, Service
from thudo.exchange.tests.factories import grant, login, service, state, system

pytestmark = pytest.mark.django_db

PERSON = {"method": "GET", "path": "/people/{personal_id}"}


class Hub:
    """Commune B provides a population lookup; commune A's one-stop shop consumes it."""

    def __init__(self, city: Any) -> None:
        self.city = city
        self.provider: MemberSystem = system(city.commune_b, "DANCU")[0]
        self.service: Service = service(self.provider, "tra-cuu-dan-cu")
        self.consumer: MemberSystem = system(city.commune_a, "MOTCUA")[0]

    def request(self, actor: Any = None, **overrides: Any) -> AccessGrant:
        fields: dict[str, Any] = {
            "consumer": self.consumer,
            "service": self.service,
            "operations": [{"method": "get", "path": "/people/{personal_id}"}],
            "purpose": "Kiểm tra thông tin người nộp hồ sơ",
            "legal_basis": "Nghị định 278/2025/NĐ-CP",
        }
        return services.grant_request(actor=actor or self.city.admin_a, **{**fields, **overrides})


@pytest.fixture
def hub(city: Any) -> Hub:
    return Hub(city)


def test_request_records_operations_purpose_and_legal_basis(hub: Hub) -> None:
    version = snapshot.current_version()
    made = hub.request()
    stored = AccessGrant.objects.get()
    assert stored.status == "requested"
    assert stored.operations == [PERSON]
    assert (stored.purpose, stored.legal_basis) == (
        "Kiểm tra thông tin người nộp hồ sơ",
        "Nghị định 278/2025/NĐ-CP",
    )
    assert (stored.requested_by, stored.decided_by, stored.decided_at) == (
        hub.city.admin_a,
        None,
        None,
    )
    assert snapshot.current_version() == version + 1
    assert snapshot.load().grants == {}  # pending requests give no access
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.object_id, event.agency, event.purpose) == (
        "exchange.grant.request",
        str(made.pk),
        hub.city.commune_a,
        "Kiểm tra thông tin người nộp hồ sơ",
    )
    assert event.payload == {
        "consumer": "VN/GOV/000.01.50.H26/MOTCUA",
        "service": "VN/GOV/000.02.50.H26/DANCU/tra-cuu-dan-cu",
        "status": "requested",
        "operations": ["GET /people/{personal_id}"],
        "legal_basis": "Nghị định 278/2025/NĐ-CP",
    }


def test_request_problems_are_reported_together_and_nothing_is_created(hub: Hub) -> None:
    before = state()
    with pytest.raises(InvalidInput) as caught:
        hub.request(
            operations=[{"method": "DELETE", "path": "/people/{personal_id}"}],
            purpose=" ",
            legal_basis="",
            valid_until=timezone.now() - timedelta(days=1),
        )
    assert [(e.field, e.code) for e in caught.value.field_errors] == [
        ("operations", "unknown_operation"),
        ("purpose", "required"),
        ("legal_basis", "required"),
        ("valid_until", "in_the_past"),
    ]
    assert caught.value.field_errors[0].message == (
        "Dịch vụ không có thao tác: DELETE /people/{personal_id}."
    )
    with pytest.raises(InvalidInput) as empty:
        hub.request(operations=[])
    assert [(e.field, e.code) for e in empty.value.field_errors] == [("operations", "required")]
    assert state() == before


def test_one_open_request_per_consumer_and_service(hub: Hub) -> None:
    first = hub.request()
    before = state()
    with pytest.raises(Conflict):
        hub.request()
    assert state() == before
    services.grant_refuse(actor=hub.city.admin_b, grant=first, note="Thiếu căn cứ")
    second = hub.request(legal_basis="Quyết định 06/QĐ-TTg")
    assert second.status == "requested"
    services.grant_approve(actor=hub.city.admin_b, grant=second)
    with pytest.raises(Conflict):
        hub.request()


def test_the_provider_approves_and_the_gateway_sees_the_grant(hub: Hub) -> None:
    made = hub.request()
    version = snapshot.current_version()
    until = timezone.now() + timedelta(days=365)
    approved = services.grant_approve(
        actor=hub.city.admin_b, grant=made, valid_until=until, note="Đồng ý"
    )
    stored = AccessGrant.objects.get()
    assert (stored.status, stored.decided_by, stored.decision_note) == (
        "approved",
        hub.city.admin_b,
        "Đồng ý",
    )
    assert stored.valid_until == until and stored.decided_at is not None
    assert snapshot.current_version() == version + 1
    granted = snapshot.load().grants[(hub.consumer.identifier, hub.service.pk)]
    assert [g.id for g in granted] == [approved.pk]
    now = timezone.now()
    assert granted[0].allows("GET", "/people/001090012345", now)
    assert not granted[0].allows("POST", "/echo", now)
    assert not granted[0].allows("GET", "/people/001090012345", until)
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.agency, event.actor) == (
        "exchange.grant.approve",
        hub.city.commune_b,
        hub.city.admin_b,
    )
    assert event.payload["note"] == "Đồng ý"


def test_refusal_and_revocation_need_a_note(hub: Hub) -> None:
    made = hub.request()
    before = state()
    with pytest.raises(InvalidInput) as caught:
        services.grant_refuse(actor=hub.city.admin_b, grant=made, note="  ")
    assert [(e.field, e.code) for e in caught.value.field_errors] == [("note", "required")]
    assert state() == before
    approved = services.grant_approve(actor=hub.city.admin_b, grant=made)
    with pytest.raises(InvalidInput):
        services.grant_revoke(actor=hub.city.admin_b, grant=approved, note="")
    assert AccessGrant.objects.get().status == "approved"
    version = snapshot.current_version()
    services.grant_revoke(actor=hub.city.admin_b, grant=approved, note="Hết nhu cầu")
    stored = AccessGrant.objects.get()
    assert (stored.status, stored.decision_note) == ("revoked", "Hết nhu cầu")
    assert snapshot.current_version() == version + 1
    assert snapshot.load().grants == {}
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.payload["note"]) == ("exchange.grant.revoke", "Hết nhu cầu")


Decide = Callable[[Any, AccessGrant], Any]
DECISIONS: dict[str, Decide] = {
    "approve": lambda actor, g: services.grant_approve(actor=actor, grant=g),
    "refuse": lambda actor, g: services.grant_refuse(actor=actor, grant=g, note="Không"),
    "revoke": lambda actor, g: services.grant_revoke(actor=actor, grant=g, note="Thu hồi"),
}
# status reached → the decisions that may not follow it
ILLEGAL = [
    ("requested", "revoke"),
    ("approved", "approve"),
    ("approved", "refuse"),
    ("refused", "approve"),
    ("refused", "refuse"),
    ("refused", "revoke"),
    ("revoked", "approve"),
    ("revoked", "refuse"),
    ("revoked", "revoke"),
]
PATH_TO = {"requested": [], "approved": ["approve"], "refused": ["refuse"]}
PATH_TO["revoked"] = ["approve", "revoke"]


@pytest.mark.parametrize(("status", "decision"), ILLEGAL)
def test_illegal_transitions_are_conflicts_and_change_nothing(
    hub: Hub, status: str, decision: str
) -> None:
    made = hub.request()
    for step in PATH_TO[status]:
        made = DECISIONS[step](hub.city.admin_b, made)
    stored = AccessGrant.objects.get()
    assert stored.status == status
    before = (state(), stored.decided_at, stored.decision_note)
    with pytest.raises(Conflict):
        DECISIONS[decision](hub.city.admin_b, made)
    stored.refresh_from_db()
    assert (stored.status, (state(), stored.decided_at, stored.decision_note)) == (status, before)


@pytest.mark.parametrize("who", ["admin_a", "clerk_b", "city_leader"])
@pytest.mark.parametrize("decision", ["approve", "refuse"])
def test_only_the_providers_administrator_decides(hub: Hub, who: str, decision: str) -> None:
    made = hub.request()
    before = state()
    with pytest.raises(PermissionDenied):
        DECISIONS[decision](getattr(hub.city, who), made)
    assert state() == before
    assert AccessGrant.objects.get().status == "requested"
    DECISIONS[decision](hub.city.platform_admin, made)
    assert AccessGrant.objects.get().status != "requested"


def test_only_the_consumers_administrator_requests(hub: Hub) -> None:
    before = state()
    for who in ("admin_b", "clerk_a"):
        with pytest.raises(PermissionDenied):
            hub.request(actor=getattr(hub.city, who))
    assert state() == before
    assert hub.request(actor=hub.city.platform_admin).requested_by == hub.city.platform_admin


def test_revocation_by_another_commune_is_refused(hub: Hub) -> None:
    approved = grant(hub.consumer, hub.service)
    before = state()
    with pytest.raises(PermissionDenied):
        services.grant_revoke(actor=hub.city.admin_a, grant=approved, note="Không được")
    assert state() == before
    assert AccessGrant.objects.get().status == "approved"


def test_withdrawn_services_and_revoked_consumers_cannot_be_requested(hub: Hub) -> None:
    services.system_revoke(actor=None, system=hub.consumer, reason="Ngừng")
    hub.consumer.refresh_from_db()
    with pytest.raises(InvalidInput):
        hub.request()
    other = system(hub.city.commune_a, "KHAC")[0]
    services.service_withdraw(actor=None, service=hub.service)
    with pytest.raises(InvalidInput):
        hub.request(consumer=other)
    assert AccessGrant.objects.count() == 0


def test_each_side_sees_its_own_grants(hub: Hub, city: Any) -> None:
    mine = hub.request()
    justice = system(city.justice, "HOTICH")[0]
    theirs = grant(justice, hub.service, approved=False)

    def ids(grants: Any) -> list[int]:
        return [g.pk for g in grants]

    assert ids(selectors.grant_list_incoming(user=city.admin_b)) == [theirs.pk, mine.pk]
    assert ids(selectors.grant_list_incoming(user=city.clerk_b)) == [theirs.pk, mine.pk]
    assert ids(selectors.grant_list_outgoing(user=city.admin_a)) == [mine.pk]
    assert ids(selectors.grant_list_incoming(user=city.admin_a)) == []
    assert ids(selectors.grant_list_outgoing(user=city.platform_admin)) == [theirs.pk, mine.pk]
    assert selectors.grant_get_for_user(user=city.clerk_a, pk=mine.pk) == mine
    with pytest.raises(NotFound):
        selectors.grant_get_for_user(user=city.clerk_a, pk=theirs.pk)
    services.grant_approve(actor=city.admin_b, grant=theirs)
    pending_first = ids(selectors.grant_list_incoming(user=city.admin_b))
    assert pending_first == [mine.pk, theirs.pk]
    assert ids(selectors.grant_list_incoming(user=city.admin_b, status="approved")) == [theirs.pk]


def test_api_request_decide_and_problems(hub: Hub, city: Any) -> None:
    consumer_side = login(city.admin_a)
    payload = {
        "consumer": hub.consumer.identifier,
        "provider": hub.provider.identifier,
        "service": "tra-cuu-dan-cu",
        "operations": [PERSON],
        "purpose": "Kiểm tra thông tin người nộp hồ sơ",
        "legal_basis": "Nghị định 278/2025/NĐ-CP",
    }
    created = consumer_side.post(
        "/api/v1/exchange/grants", payload, content_type="application/json"
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["consumer"], body["provider"], body["requested_by"]) == (
        "requested",
        "VN/GOV/000.01.50.H26/MOTCUA",
        "VN/GOV/000.02.50.H26/DANCU",
        "admin.a",
    )
    assert body["operations"] == [PERSON]
    grant_url = f"/api/v1/exchange/grants/{body['id']}"
    again = consumer_side.post("/api/v1/exchange/grants", payload, content_type="application/json")
    assert (again.status_code, again.json()["code"]) == (409, "conflict")

    before = state()
    denied = consumer_side.post(grant_url + "/approve", {}, content_type="application/json")
    assert (denied.status_code, denied.json()["code"]) == (403, "permission_denied")
    assert state() == before

    provider_side = login(city.admin_b)
    incoming = provider_side.get("/api/v1/exchange/grants/incoming", {"status": "requested"})
    assert [g["id"] for g in incoming.json()["items"]] == [body["id"]]
    no_note = provider_side.post(
        grant_url + "/refuse", {"note": ""}, content_type="application/json"
    )
    assert (no_note.status_code, no_note.json()["errors"][0]["field"]) == (422, "note")
    approved = provider_side.post(
        grant_url + "/approve", {"note": "Đồng ý"}, content_type="application/json"
    )
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")
    assert approved.json()["decided_by"] == "admin.b"
    twice = provider_side.post(grant_url + "/approve", {}, content_type="application/json")
    assert (twice.status_code, twice.json()["code"]) == (409, "conflict")
    outgoing = consumer_side.get("/api/v1/exchange/grants/outgoing")
    assert [g["status"] for g in outgoing.json()["items"]] == ["approved"]
    consumer_clerk_sees = login(city.clerk_a).get(grant_url)
    assert consumer_clerk_sees.status_code == 200


def test_operator_approves_by_id_or_in_one_step(hub: Hub, city: Any) -> None:
    pending = hub.request()
    out = StringIO()
    call_command("exchange", "grant", "approve", str(pending.pk), "--note", "Vận hành", stdout=out)
    assert out.getvalue().strip() == (
        f"approved #{pending.pk}: VN/GOV/000.01.50.H26/MOTCUA → "
        "VN/GOV/000.02.50.H26/DANCU/tra-cuu-dan-cu [GET /people/{personal_id}]"
    )
    justice = system(city.justice, "HOTICH")[0]
    out = StringIO()
    call_command(
        "exchange",
        "grant",
        "approve",
        "--consumer",
        justice.identifier,
        "--service",
        f"{hub.provider.identifier}/tra-cuu-dan-cu",
        "--operation",
        "POST /echo",
        "--purpose",
        "Đối chiếu hộ tịch",
        "--legal-basis",
        "Luật Hộ tịch 2014",
        stdout=out,
    )
    made = AccessGrant.objects.get(consumer=justice)
    assert (made.status, made.operations, made.requested_by) == (
        "approved",
        [{"method": "POST", "path": "/echo"}],
        None,
    )
    assert AuditEvent.objects.latest("seq").actor is None
