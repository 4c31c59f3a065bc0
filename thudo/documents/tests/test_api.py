"""The documents API: the same steps as the pages, as JSON; errors as problem+json with
their stable codes; a refused call changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from thudo.core.models import AuditEvent
from thudo.core.tests.factories import citizen
from thudo.documents.models import Assignment, Document, TrailEvent
from thudo.documents.tests.docs_factories import (
    PIN,
    SUMMARY,
    Staff,
    arrived,
    draft,
    issued,
    login,
    signed,
)
from thudo.signing import facade as signing

pytestmark = pytest.mark.django_db
API = "/api/v1/documents/"


def _post(client: Client, url: str, payload: dict[str, Any] | None = None) -> Any:
    return client.post(url, payload or {}, content_type="application/json")


def _state() -> tuple[Any, ...]:
    return (
        list(Document.objects.order_by("pk").values_list("status", "number", "arrival_number")),
        TrailEvent.objects.count(),
        Assignment.objects.count(),
        AuditEvent.objects.count(),
    )


def test_list_is_paginated_filtered_and_searched(docs_staff_without_pki: Staff) -> None:
    staff = docs_staff_without_pki
    decision = draft(staff)
    plan = draft(staff, summary="Kế hoạch tổ chức hội nghị", type_code="KH")
    arrived(staff)
    client = login(staff.drafter)
    listed = client.get(API, {"limit": 1})
    assert listed.status_code == 200
    body = listed.json()
    assert body["count"] == 2 and len(body["items"]) == 1
    assert body["items"][0]["id"] == plan.pk  # the latest first
    found = client.get(API, {"q": "QUYẾT ĐỊNH"}).json()
    assert [d["id"] for d in found["items"]] == [decision.pk]
    item = found["items"][0]
    assert (item["type_code"], item["type_name"], item["status"], item["status_name"]) == (
        "QD",
        "Quyết định",
        "draft",
        "Dự thảo",
    )
    assert item["agency_code"] == staff.city.commune_a.code
    assert [r["agency_code"] for r in item["recipients"]] == [staff.city.commune_b.code]
    assert item["recipients"][0]["delivery"] == "pending"
    assert client.get(API, {"type_code": "KH"}).json()["count"] == 1
    assert client.get(API, {"direction": "in"}).json()["count"] == 0
    incoming = login(staff.clerk_b).get(API, {"direction": "in"}).json()
    assert [d["sender_code"] for d in incoming["items"]] == [staff.city.commune_a.code]
    bad = client.get(API, {"status": "lost"})
    assert bad.status_code == 422
    assert bad["Content-Type"] == "application/problem+json"


def test_citizens_are_refused_and_other_agencies_documents_do_not_exist(
    docs_staff_without_pki: Staff,
) -> None:
    staff = docs_staff_without_pki
    document = draft(staff)
    person = Client()
    person.force_login(citizen())
    refused = person.get(API)
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    other = login(staff.clerk_b)
    assert other.get(API).json()["count"] == 0
    missing = other.get(f"{API}{document.pk}")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    before = _state()
    assert _post(other, f"{API}{document.pk}/submit").status_code == 404
    assert _state() == before


def test_drafting_through_the_api(docs_staff_without_pki: Staff) -> None:
    staff = docs_staff_without_pki
    client = login(staff.drafter)
    payload = {
        "agency_code": staff.city.commune_a.code,
        "type_code": "QD",
        "summary": SUMMARY,
        "body": "Điều 1.",
        "recipients": [staff.city.commune_b.code],
        "urgency": "flash",
        "signer": "ct.a",
        "signer_authority": "TM. ỦY BAN NHÂN DÂN",
        "signer_position": "CHỦ TỊCH",
    }
    created = _post(client, API, payload)
    assert created.status_code == 201
    body = created.json()
    document = Document.objects.get(pk=body["id"])
    assert (document.status, document.urgency, document.signer, document.drafted_by) == (
        "draft",
        "flash",
        staff.leader,
        staff.drafter,
    )
    assert (body["notation"], body["number"], body["signer_name"]) == (
        "",
        None,
        document.signer_name,
    )
    assert [e["action"] for e in body["trail"]] == ["draft"]

    before = _state()
    unknown = _post(client, API, {**payload, "recipients": ["000.99.99.H26"]})
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["recipients"]
    own = _post(client, API, {**payload, "recipients": [staff.city.commune_a.code]})
    assert (own.status_code, own.json()["errors"][0]["code"]) == (422, "self")
    not_leader = _post(client, API, {**payload, "signer": "cv.a"})
    assert (not_leader.status_code, not_leader.json()["errors"][0]["field"]) == (422, "signer")
    wrong_type = _post(client, API, {**payload, "type_code": "XX"})
    assert wrong_type.status_code == 422
    elsewhere = _post(client, API, {**payload, "agency_code": staff.city.commune_b.code})
    assert elsewhere.status_code == 404
    assert _state() == before


def test_review_sign_and_issue_through_the_api(docs_staff: Staff) -> None:
    staff = docs_staff
    document = draft(staff)
    url = f"{API}{document.pk}"
    submitted = _post(login(staff.drafter), url + "/submit")
    assert (submitted.status_code, submitted.json()["status"]) == (200, "review")
    no_note = _post(login(staff.leader), url + "/review", {"approve": False})
    assert (no_note.status_code, no_note.json()["errors"][0]["field"]) == (422, "note")
    reviewed = _post(login(staff.leader), url + "/review", {"approve": True})
    assert reviewed.json()["status"] == "approved"

    before = _state()
    wrong = _post(login(staff.leader), url + "/sign", {"serial": staff.serial, "pin": "000000"})
    assert (wrong.status_code, wrong.json()["code"]) == (422, "pin_invalid")
    seal = signing.seal_of(agency_code=staff.city.commune_a.code)
    assert seal is not None
    with_seal = _post(login(staff.leader), url + "/sign", {"serial": seal.serial, "pin": ""})
    assert (with_seal.status_code, with_seal.json()["errors"][0]["code"]) == (
        422,
        "not_own_certificate",
    )
    by_clerk = _post(login(staff.clerk), url + "/sign", {"serial": staff.serial, "pin": PIN})
    assert (by_clerk.status_code, by_clerk.json()["code"]) == (403, "permission_denied")
    assert _state()[:3] == before[:3]

    signed_now = _post(login(staff.leader), url + "/sign", {"serial": staff.serial, "pin": PIN})
    assert (signed_now.status_code, signed_now.json()["status"]) == (200, "signed")
    assert len(signed_now.json()["pdf_sha256"]) == 64
    before = _state()
    refused = _post(login(staff.drafter), url + "/issue")
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert _state() == before
    done = _post(login(staff.clerk), url + "/issue")
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["number"], done.json()["notation"]) == (
        "issued",
        1,
        "01/QĐ-UBND",
    )
    pdf = login(staff.drafter).get(url + "/pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    report = signing.validate_pdf(pdf.content)
    assert report.ok and len(report.signatures) == 2
    again = _post(login(staff.clerk), url + "/issue")
    assert (again.status_code, again.json()["code"]) == (409, "conflict")


def test_a_draft_has_no_pdf_yet(docs_staff_without_pki: Staff) -> None:
    staff = docs_staff_without_pki
    document = draft(staff)
    missing = login(staff.drafter).get(f"{API}{document.pk}/pdf")
    assert (missing.status_code, missing["Content-Type"]) == (404, "application/problem+json")


def test_resend_counts_the_failed_recipients(docs_staff: Staff) -> None:
    staff = docs_staff
    document = issued(staff)
    document.recipients.update(delivery="failed")
    assert _post(login(staff.drafter), f"{API}{document.pk}/resend").status_code == 403
    answer = _post(login(staff.clerk), f"{API}{document.pk}/resend")
    assert (answer.status_code, answer.json()) == (200, {"resent": 1})
    assert list(document.recipients.values_list("delivery", flat=True)) == ["pending"]


def test_incoming_accept_assign_and_complete_through_the_api(
    docs_staff_without_pki: Staff,
) -> None:
    staff = docs_staff_without_pki
    document = arrived(staff)
    url = f"{API}{document.pk}"
    before = _state()
    assert _post(login(staff.handler_b), url + "/accept").status_code == 403
    assert _state() == before
    accepted = _post(login(staff.clerk_b), url + "/accept")
    assert (accepted.json()["status"], accepted.json()["arrival_number"]) == ("registered", 1)
    assert [e["status_code"] for e in accepted.json()["trail"] if e["status_code"]] == ["01", "03"]
    assert accepted.json()["trail"][-1]["status_name"] == "Đã tiếp nhận"

    outsider = _post(
        login(staff.leader_b), url + "/assign", {"assignee": "cv.a", "working_days": 3}
    )
    assert outsider.status_code == 404
    too_long = _post(
        login(staff.leader_b), url + "/assign", {"assignee": "cv.b", "working_days": 91}
    )
    assert too_long.status_code == 422
    assert Assignment.objects.count() == 0
    assigned = _post(
        login(staff.leader_b),
        url + "/assign",
        {"assignee": "cv.b", "working_days": 3, "instructions": "Chủ trì"},
    )
    assert assigned.status_code == 201
    body = assigned.json()
    assert (body["assignee"], body["assigned_by"], body["working_days"], body["status"]) == (
        "cv.b",
        "ct.b",
        3,
        "open",
    )
    mine = login(staff.handler_b).get(f"{API}assignments").json()
    assert [a["id"] for a in mine["items"]] == [body["id"]]
    complete = f"{API}assignments/{body['id']}/complete"
    assert _post(login(staff.leader_b), complete, {"result": "x"}).status_code == 404
    done = _post(login(staff.handler_b), complete, {"result": "Đã xong"})
    assert (done.status_code, done.json()["status"], done.json()["result"]) == (
        200,
        "done",
        "Đã xong",
    )
    assert Document.objects.get(pk=document.pk).status == "done"
    twice = _post(login(staff.handler_b), complete, {"result": "Đã xong"})
    assert (twice.status_code, twice.json()["code"]) == (409, "conflict")


def test_incoming_return_needs_a_reason(docs_staff_without_pki: Staff) -> None:
    staff = docs_staff_without_pki
    document = arrived(staff)
    url = f"{API}{document.pk}/return"
    before = _state()
    empty = _post(login(staff.clerk_b), url, {"reason": " "})
    assert (empty.status_code, empty.json()["errors"][0]["field"]) == (422, "reason")
    assert _state() == before
    done = _post(login(staff.clerk_b), url, {"reason": "Gửi nhầm cơ quan"})
    assert done.json()["status"] == "rejected"
    assert done.json()["trail"][-1]["status_code"] == "02"


def test_signing_twice_is_refused(docs_staff: Staff) -> None:
    staff = docs_staff
    document = signed(staff)
    again = _post(
        login(staff.leader), f"{API}{document.pk}/sign", {"serial": staff.serial, "pin": PIN}
    )
    assert (again.status_code, again.json()["code"]) == (409, "conflict")
