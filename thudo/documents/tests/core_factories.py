"""Test data builders for the documents core: the people of two communes, their seals and
the leader's certificate, and documents at each step of their way (drafted, signed,
issued, arrived). Tests import what they use explicitly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from thudo.core.models import AuditEvent, Role, User
from thudo.core.tests.factories import official
from thudo.documents import edxml, services
from thudo.documents.models import (
    Assignment,
    Attachment,
    Document,
    InboundPackage,
    Recipient,
    Register,
    TrailEvent,
)
from thudo.signing import facade as signing

PIN = "246813"
LEADER_NAME = "Đặng Thị Hương"
SUMMARY = "Về việc kiện toàn Tổ công tác chuyển đổi số cộng đồng"
BODY = "Căn cứ Luật Tổ chức chính quyền địa phương;\n\nĐiều 1. Kiện toàn Tổ công tác."


@dataclass
class Office:
    """Commune A (the sender) and commune B (the receiver), with their staff."""

    city: Any
    drafter: User  # specialist of A
    head: User  # head of a unit of A
    leader: User  # leader of A, the named signer, holds a certificate
    other_leader: User  # another leader of A, without the documents to sign
    clerk: User  # văn thư of A
    specialist_b: User
    head_b: User
    leader_b: User
    clerk_b: User
    handler_b: User
    serial: str  # the leader's certificate


def make_office(city: Any, *, seals: bool = True) -> Office:
    """The people, both communes named "UBND"; with ``seals`` their seal certificates
    (the PKI must exist: use the ``pki`` fixture)."""
    for agency in (city.commune_a, city.commune_b):
        agency.short_name = "UBND"
        agency.save(update_fields=["short_name"])
    leader = official(city.commune_a, role=Role.LEADER, username="ct.a", full_name=LEADER_NAME)
    office = Office(
        city=city,
        drafter=official(city.commune_a, role=Role.SPECIALIST, username="cv.a"),
        head=official(city.commune_a, role=Role.HEAD, username="tp.a"),
        leader=leader,
        other_leader=official(city.commune_a, role=Role.LEADER, username="pct.a"),
        clerk=city.clerk_a,
        specialist_b=official(city.commune_b, role=Role.SPECIALIST, username="cv2.b"),
        head_b=official(city.commune_b, role=Role.HEAD, username="tp.b"),
        leader_b=official(city.commune_b, role=Role.LEADER, username="ct.b"),
        clerk_b=city.clerk_b,
        handler_b=official(city.commune_b, role=Role.SPECIALIST, username="cv.b"),
        serial="",
    )
    if seals:
        for agency in (city.commune_a, city.commune_b):
            signing.provision_seal(agency_code=agency.code)
    office.serial = signing.provision_official(
        username="ct.a", agency_code=city.commune_a.code, pin=PIN, title="Chủ tịch"
    )
    return office


@pytest.fixture
def office(city: Any, pki: None) -> Office:
    return make_office(city)


def draft_input(office: Office, **changes: Any) -> services.DraftInput:
    values: dict[str, Any] = {
        "type_code": "QD",
        "summary": SUMMARY,
        "body": BODY,
        "recipients": [office.city.commune_b.code],
        "signer_authority": "TM. Ủy ban nhân dân",
        "signer_position": "Chủ tịch",
        "signer_id": office.leader.pk,
    }
    values.update(changes)
    return services.DraftInput(**values)


def drafted(office: Office, **changes: Any) -> Document:
    return services.document_draft(
        actor=office.drafter, agency=office.city.commune_a, data=draft_input(office, **changes)
    )


def approved(office: Office, **changes: Any) -> Document:
    document = drafted(office, **changes)
    services.document_submit(actor=office.drafter, document=document)
    services.document_review(actor=office.head, document=document, approve=True)
    document.refresh_from_db()
    return document


def signed(office: Office, **changes: Any) -> Document:
    document = approved(office, **changes)
    return services.document_sign(
        actor=office.leader, document=document, serial=office.serial, pin=PIN
    )


def issued(office: Office, **changes: Any) -> Document:
    return services.document_issue(actor=office.clerk, document=signed(office, **changes))


def arrived(office: Office, document: Document | None = None) -> Document:
    """An incoming document of commune B: ``document`` (issued by A) as B receives it."""
    document = document or issued(office)
    received = services.package_receive(
        actor=None,
        xml=bytes(document.package_xml or b""),
        receiver_code=office.city.commune_b.code,
        consumer="VN/GOV/000.01.50.H26/QLVB",
    )
    assert received.document is not None
    return received.document


def package(office: Office, **changes: Any) -> edxml.Package:
    """A small package from commune A to commune B, not signed."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    values: dict[str, Any] = {
        "document_id": "pkg-0001",
        "sender": edxml.Organ(office.city.commune_a.code, office.city.commune_a.name),
        "recipients": (edxml.Organ(office.city.commune_b.code, office.city.commune_b.name),),
        "code_number": "07",
        "code_notation": "TB-UBND",
        "place": "Hà Nội",
        "promulgation_date": date(2026, 3, 2),
        "type_code": "TB",
        "type_name": "Thông báo",
        "subject": "Thông báo lịch tiếp công dân tháng 3",
        "signer_competence": "TM. Ủy ban nhân dân",
        "signer_position": "Chủ tịch",
        "signer_name": LEADER_NAME,
        "priority": 1,
        "trace": (
            (office.city.commune_a.code, datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("UTC"))),
        ),
        "attachments": (edxml.AttachedFile("tb.pdf", "application/pdf", b"%PDF-1.7 test"),),
    }
    values.update(changes)
    return edxml.Package(**values)


def sealed_package(office: Office, *, by: str | None = None, **changes: Any) -> bytes:
    """The package signed by the seal of ``by`` (default: the sender, commune A)."""
    return signing.sign_xml(
        edxml.build(package(office, **changes)),
        actor=None,
        agency_code=by or office.city.commune_a.code,
    )


def state() -> dict[str, Any]:
    """Everything a service of the documents module may write, to show that a refused
    call changed nothing."""
    from django_tasks_db.models import DBTaskResult

    return {
        "documents": list(
            Document.objects.order_by("pk").values_list(
                "pk",
                "status",
                "type_code",
                "summary",
                "body",
                "number",
                "year",
                "notation",
                "issued_on",
                "pdf_sha256",
                "package_id",
                "arrival_number",
                "signer_id",
                "updated_at",
            )
        ),
        "recipients": list(
            Recipient.objects.order_by("pk").values_list(
                "pk",
                "document_id",
                "agency_code",
                "delivery",
                "attempts",
                "next_attempt_at",
                "last_error",
                "status_code",
            )
        ),
        "attachments": list(Attachment.objects.order_by("pk").values_list("pk", "name", "sha256")),
        "trail": list(TrailEvent.objects.order_by("pk").values_list("pk", "action")),
        "assignments": list(
            Assignment.objects.order_by("pk").values_list("pk", "status", "due_on", "result")
        ),
        "registers": list(
            Register.objects.order_by("pk").values_list(
                "agency_id", "year", "direction", "confidential", "last_number"
            )
        ),
        "packages": list(InboundPackage.objects.order_by("pk").values_list("pk", "package_id")),
        "audit": AuditEvent.objects.count(),
        "tasks": DBTaskResult.objects.count(),
    }
