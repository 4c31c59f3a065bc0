"""Test data of the documents pages and API: the staff of two communes, their seals and
the leader's certificate (through the signing facade), and documents at each step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from thudo.core.models import Role, User
from thudo.core.tests.factories import official
from thudo.documents import services
from thudo.documents.models import Document, TrailEvent
from thudo.signing import facade as signing

PIN = "246813"
PASSWORD = "correct horse battery"
LEADER = "Đặng Thị Hương"
SUMMARY = "Quyết định về việc kiện toàn Tổ công tác chuyển đổi số cộng đồng"
BODY = "Căn cứ Luật Tổ chức chính quyền địa phương;\n\nĐiều 1. Kiện toàn Tổ công tác số."
HTMX = {"HX-Request": "true"}


@dataclass
class Staff:
    city: Any
    drafter: User  # chuyên viên of commune A
    leader: User  # chủ tịch of commune A, the signer, with a certificate
    vice: User  # another leader of commune A, with a certificate too
    clerk: User  # văn thư of commune A
    leader_b: User
    clerk_b: User
    handler_b: User
    serial: str  # the leader's certificate
    vice_serial: str


def make_staff(city: Any, *, certificates: bool = True) -> Staff:
    for agency in (city.commune_a, city.commune_b):
        agency.short_name = "UBND"
        agency.save(update_fields=["short_name"])
    staff = Staff(
        city=city,
        drafter=official(city.commune_a, username="cv.a", full_name="Lê Văn Soạn"),
        leader=official(city.commune_a, role=Role.LEADER, username="ct.a", full_name=LEADER),
        vice=official(city.commune_a, role=Role.LEADER, username="pct.a", full_name="Ngô Phó"),
        clerk=city.clerk_a,
        leader_b=official(city.commune_b, role=Role.LEADER, username="ct.b", full_name="Hà B"),
        clerk_b=city.clerk_b,
        handler_b=official(city.commune_b, username="cv.b", full_name="Trịnh Xử Lý"),
        serial="",
        vice_serial="",
    )
    if certificates:
        for agency in (city.commune_a, city.commune_b):
            signing.provision_seal(agency_code=agency.code)
        staff.serial = signing.provision_official(
            username="ct.a", agency_code=city.commune_a.code, pin=PIN, title="Chủ tịch"
        )
        staff.vice_serial = signing.provision_official(
            username="pct.a", agency_code=city.commune_a.code, pin=PIN, title="Phó Chủ tịch"
        )
    return staff


@pytest.fixture
def docs_staff(city: Any, pki: None) -> Staff:
    return make_staff(city)


@pytest.fixture
def docs_staff_without_pki(city: Any) -> Staff:
    """The same people, no certificates: for pages that never sign."""
    return make_staff(city, certificates=False)


def login(user: User) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def text(response: Any) -> str:
    return str(response.content.decode())


def draft(staff: Staff, **changes: Any) -> Document:
    values: dict[str, Any] = {
        "type_code": "QD",
        "summary": SUMMARY,
        "body": BODY,
        "recipients": [staff.city.commune_b.code],
        "signer_authority": "TM. Ủy ban nhân dân",
        "signer_position": "Chủ tịch",
        "signer_id": staff.leader.pk,
    }
    values.update(changes)
    return services.document_draft(
        actor=staff.drafter, agency=staff.city.commune_a, data=services.DraftInput(**values)
    )


def submitted(staff: Staff, **changes: Any) -> Document:
    return services.document_submit(actor=staff.drafter, document=draft(staff, **changes))


def approved(staff: Staff, **changes: Any) -> Document:
    document = submitted(staff, **changes)
    return services.document_review(actor=staff.leader, document=document, approve=True)


def signed(staff: Staff, **changes: Any) -> Document:
    document = approved(staff, **changes)
    return services.document_sign(
        actor=staff.leader, document=document, serial=staff.serial, pin=PIN
    )


def issued(staff: Staff, **changes: Any) -> Document:
    return services.document_issue(actor=staff.clerk, document=signed(staff, **changes))


def arrived(staff: Staff, **changes: Any) -> Document:
    """An incoming document of commune B as the exchange leaves it: arrived (01). Made
    directly: the package path is the services' and the end-to-end test's business."""
    city = staff.city
    values: dict[str, Any] = {
        "agency": city.commune_b,
        "direction": "in",
        "type_code": "QD",
        "notation": "07/QĐ-UBND",
        "summary": "Về việc tổ chức Ngày chuyển đổi số phường",
        "status": Document.Status.RECEIVED,
        "sender_code": city.commune_a.code,
        "sender_name": city.commune_a.name,
        "package_id": "pkg-arrived",
    }
    values.update(changes)
    document = Document.objects.create(**values)
    from thudo.core.text import fold

    document.search_text = fold(f"{document.notation} {document.summary} {document.sender_name}")
    document.save(update_fields=["search_text"])
    TrailEvent.objects.create(document=document, action="arrive", status_code="01")
    return document
