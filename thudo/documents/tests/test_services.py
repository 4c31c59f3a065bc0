"""The documents core through its services: the state machine of outgoing and incoming
documents, who may do what, the checks on drafts and attachments, signing and issuing
(numbers, the filled-in PDF, the signed edXML package), receiving packages, registering,
assigning and finishing incoming documents, and the statuses that travel back."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from thudo.core.calendar import get_calendar
from thudo.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from thudo.core.models import AuditEvent, Role
from thudo.core.tests.factories import official
from thudo.documents import edxml, services, tasks
from thudo.documents.models import (
    Assignment,
    Attachment,
    Document,
    InboundPackage,
    Recipient,
    Register,
    TrailEvent,
)
from thudo.documents.tests.core_factories import (
    LEADER_NAME,
    PIN,
    SUMMARY,
    Office,
    approved,
    arrived,
    draft_input,
    drafted,
    issued,
    office,
    sealed_package,
    signed,
    state,
)
from thudo.documents.tests.core_factories import package as unsigned_package
from thudo.exchange.facade import ExchangeResponse
from thudo.signing.facade import PinInvalid, validate_pdf, verify_xml
from thudo.signing.tests.factories import pki

__all__ = ["office", "pki"]  # fixtures

pytestmark = pytest.mark.django_db
S = Document.Status
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
CONSUMER = "VN/GOV/000.01.50.H26/QLVB"


def trail(document: Document) -> list[tuple[str, str]]:
    return list(TrailEvent.objects.filter(document=document).values_list("action", "status_code"))


def queued(task_name: str) -> list[list[Any]]:
    return [
        r.args_kwargs["args"]
        for r in DBTaskResult.objects.filter(
            task_path=f"thudo.documents.tasks.{task_name}"
        ).order_by("enqueued_at")
    ]


def outgoing_in(office: Office, status: str) -> Document:
    document = drafted(office)
    Document.objects.filter(pk=document.pk).update(status=status)
    document.refresh_from_db()
    return document


def incoming_in(office: Office, status: str, *, package_id: str = "pkg-x") -> Document:
    return Document.objects.create(
        agency=office.city.commune_b,
        direction="in",
        type_code="TB",
        summary="Thông báo lịch tiếp công dân",
        status=status,
        sender_code=office.city.commune_a.code,
        sender_name=office.city.commune_a.name,
        package_id=package_id,
    )


def assignment_of(document: Document, office: Office) -> Assignment:
    return Assignment.objects.create(
        document=document, assignee=office.handler_b, working_days=5, due_on=date(2026, 3, 9)
    )


# --- the state machine ----------------------------------------------------------------------

OUTGOING = [S.DRAFT, S.REVIEW, S.RETURNED, S.APPROVED, S.SIGNED, S.ISSUED]
INCOMING = [S.RECEIVED, S.REGISTERED, S.ASSIGNED, S.IN_PROGRESS, S.DONE, S.REJECTED]

Call = Callable[[Office, Document], Any]
OUTGOING_CALLS: dict[str, tuple[Call, set[str]]] = {
    "document_update": (
        lambda o, d: services.document_update(actor=o.drafter, document=d, data=draft_input(o)),
        {S.DRAFT, S.RETURNED},
    ),
    "document_attach": (
        lambda o, d: services.document_attach(
            actor=o.drafter,
            document=d,
            name="phu-luc.pdf",
            content_type="application/pdf",
            content=b"%PDF-1.7",
        ),
        {S.DRAFT, S.RETURNED},
    ),
    "document_submit": (
        lambda o, d: services.document_submit(actor=o.drafter, document=d),
        {S.DRAFT, S.RETURNED},
    ),
    "document_review": (
        lambda o, d: services.document_review(actor=o.head, document=d, approve=True),
        {S.REVIEW},
    ),
    "document_sign": (
        lambda o, d: services.document_sign(actor=o.leader, document=d, serial=o.serial, pin=PIN),
        {S.APPROVED},
    ),
    "document_issue": (
        lambda o, d: services.document_issue(actor=o.clerk, document=d),
        {S.SIGNED},
    ),
    "document_resend": (
        lambda o, d: services.document_resend(actor=o.clerk, document=d),
        {S.ISSUED},
    ),
}
INCOMING_CALLS: dict[str, tuple[Call, set[str]]] = {
    "incoming_accept": (
        lambda o, d: services.incoming_accept(actor=o.clerk_b, document=d),
        {S.RECEIVED},
    ),
    "incoming_return": (
        lambda o, d: services.incoming_return(actor=o.clerk_b, document=d, reason="Gửi nhầm"),
        {S.RECEIVED},
    ),
    "incoming_assign": (
        lambda o, d: services.incoming_assign(
            actor=o.leader_b, document=d, assignee=o.handler_b, working_days=5
        ),
        {S.REGISTERED, S.ASSIGNED, S.IN_PROGRESS},
    ),
    "assignment_progress": (
        lambda o, d: services.assignment_progress(
            actor=o.handler_b, assignment=d.assignments.get(), note="Đang làm"
        ),
        {S.ASSIGNED, S.IN_PROGRESS},
    ),
    "assignment_complete": (
        lambda o, d: services.assignment_complete(
            actor=o.handler_b, assignment=d.assignments.get(), result="Xong"
        ),
        {S.ASSIGNED, S.IN_PROGRESS},
    ),
}


@pytest.mark.parametrize(
    ("name", "status"),
    [
        (name, status)
        for name, (_call, allowed) in OUTGOING_CALLS.items()
        for status in OUTGOING
        if status not in allowed
    ],
)
def test_an_outgoing_step_from_another_state_is_a_conflict(
    office: Office, name: str, status: str
) -> None:
    document = outgoing_in(office, status)
    before = state()
    call, _allowed = OUTGOING_CALLS[name]
    with pytest.raises(Conflict):
        call(office, document)
    assert state() == before
    document.refresh_from_db()
    assert document.status == status


@pytest.mark.parametrize(
    ("name", "status"),
    [
        (name, status)
        for name, (_call, allowed) in INCOMING_CALLS.items()
        for status in INCOMING
        if status not in allowed
    ],
)
def test_an_incoming_step_from_another_state_is_a_conflict(
    office: Office, name: str, status: str
) -> None:
    document = incoming_in(office, status)
    assignment_of(document, office)
    before = state()
    call, _allowed = INCOMING_CALLS[name]
    with pytest.raises(Conflict):
        call(office, document)
    assert state() == before


def test_a_finished_assignment_cannot_be_finished_again(office: Office) -> None:
    document = incoming_in(office, S.ASSIGNED)
    first = assignment_of(document, office)
    assignment_of(document, office)
    services.assignment_complete(actor=office.handler_b, assignment=first, result="Xong")
    before = state()
    with pytest.raises(Conflict):
        services.assignment_complete(actor=office.handler_b, assignment=first, result="Lại")
    assert state() == before


def test_a_draft_goes_to_review_is_returned_corrected_and_approved(office: Office) -> None:
    document = drafted(office)
    assert (document.status, document.direction, document.agency_id) == (
        "draft",
        "out",
        office.city.commune_a.pk,
    )
    assert (document.drafted_by_id, document.signer_id, document.signer_name) == (
        office.drafter.pk,
        office.leader.pk,
        LEADER_NAME,
    )
    assert list(document.recipients.values_list("agency_code", "agency_name", "delivery")) == [
        (office.city.commune_b.code, office.city.commune_b.name, "pending")
    ]
    assert "kien toan to cong tac" in document.search_text

    services.document_submit(actor=office.drafter, document=document)
    with pytest.raises(InvalidInput) as refused:
        services.document_review(actor=office.head, document=document, approve=False, note=" ")
    assert [e.field for e in refused.value.field_errors] == ["note"]
    services.document_review(
        actor=office.head, document=document, approve=False, note="Sửa căn cứ pháp lý"
    )
    document.refresh_from_db()
    assert document.status == "returned"

    services.document_update(
        actor=office.drafter,
        document=document,
        data=draft_input(office, summary="Về việc kiện toàn Tổ công tác (sửa)"),
    )
    services.document_submit(actor=office.drafter, document=document)
    services.document_review(actor=office.leader, document=document, approve=True)
    document.refresh_from_db()
    assert (document.status, document.summary) == (
        "approved",
        "Về việc kiện toàn Tổ công tác (sửa)",
    )
    assert trail(document) == [
        ("draft", ""),
        ("submit", ""),
        ("return", ""),
        ("update", ""),
        ("submit", ""),
        ("approve", ""),
    ]
    assert TrailEvent.objects.get(document=document, action="return").note == "Sửa căn cứ pháp lý"
    assert list(
        AuditEvent.objects.filter(object_id=str(document.pk)).values_list("action", flat=True)
    ) == [
        "documents.draft",
        "documents.submit",
        "documents.review",
        "documents.update",
        "documents.submit",
        "documents.review",
    ]


def test_a_draft_without_a_signer_cannot_be_submitted(office: Office) -> None:
    document = drafted(office, signer_id=None)
    before = state()
    with pytest.raises(InvalidInput) as refused:
        services.document_submit(actor=office.drafter, document=document)
    assert [(e.field, e.code) for e in refused.value.field_errors] == [("signer", "required")]
    assert state() == before


# --- permissions ----------------------------------------------------------------------------


def _denied(service: Callable[..., Any], **kwargs: Any) -> None:
    """``service(**kwargs)`` is refused, and nothing changed."""
    before = state()
    with pytest.raises(PermissionDenied):
        service(**kwargs)
    assert state() == before


def test_officials_of_commune_b_cannot_work_on_commune_as_documents(office: Office) -> None:
    draft = outgoing_in(office, S.DRAFT)
    review = outgoing_in(office, S.REVIEW)
    to_sign = outgoing_in(office, S.APPROVED)
    to_issue = outgoing_in(office, S.SIGNED)
    for person in (office.specialist_b, office.head_b, office.leader_b, office.clerk_b):
        _denied(services.document_submit, actor=person, document=draft)
        _denied(services.document_update, actor=person, document=draft, data=draft_input(office))
        _denied(
            services.document_attach,
            actor=person,
            document=draft,
            name="a.pdf",
            content_type="application/pdf",
            content=b"x",
        )
        _denied(services.document_review, actor=person, document=review, approve=True)
        _denied(
            services.document_sign, actor=person, document=to_sign, serial=office.serial, pin=PIN
        )
        _denied(services.document_issue, actor=person, document=to_issue)
    for outsider in (office.specialist_b, None):
        _denied(
            services.document_draft,
            actor=outsider,
            agency=office.city.commune_a,
            data=draft_input(office),
        )


def test_only_the_drafter_or_a_head_or_leader_edits_a_draft(office: Office) -> None:
    draft = outgoing_in(office, S.DRAFT)
    colleague = official(office.city.commune_a, role=Role.SPECIALIST, username="cv3.a")
    _denied(services.document_submit, actor=colleague, document=draft)
    _denied(services.document_update, actor=colleague, document=draft, data=draft_input(office))
    _denied(services.document_submit, actor=office.clerk, document=draft)
    services.document_update(
        actor=office.head, document=draft, data=draft_input(office, summary="Trích yếu mới")
    )
    draft.refresh_from_db()
    assert draft.summary == "Trích yếu mới"


def test_only_heads_and_leaders_review(office: Office) -> None:
    review = outgoing_in(office, S.REVIEW)
    for person in (office.drafter, office.clerk, office.city.admin_a):
        _denied(services.document_review, actor=person, document=review, approve=True)


def test_only_the_named_leader_signs(office: Office) -> None:
    to_sign = outgoing_in(office, S.APPROVED)
    for person in (office.drafter, office.head, office.clerk):
        _denied(
            services.document_sign, actor=person, document=to_sign, serial=office.serial, pin=PIN
        )
    # Another leader of the same commune: a leader, but not the one the draft names.
    before = state()
    with pytest.raises(Conflict):
        services.document_sign(
            actor=office.other_leader, document=to_sign, serial=office.serial, pin=PIN
        )
    assert state() == before


def test_the_leader_signs_with_their_own_certificate_only(office: Office) -> None:
    from thudo.signing import facade as signing

    to_sign = outgoing_in(office, S.APPROVED)
    seal = signing.seal_of(agency_code=office.city.commune_a.code)
    assert seal is not None
    before = state()
    with pytest.raises(InvalidInput) as refused:
        services.document_sign(actor=office.leader, document=to_sign, serial=seal.serial, pin=PIN)
    assert [(e.field, e.code) for e in refused.value.field_errors] == [
        ("serial", "not_own_certificate")
    ]
    assert state() == before


def test_only_clerks_issue_and_resend(office: Office) -> None:
    to_issue = outgoing_in(office, S.SIGNED)
    sent = outgoing_in(office, S.ISSUED)
    for person in (office.leader, office.head, office.drafter, office.city.admin_a):
        _denied(services.document_issue, actor=person, document=to_issue)
        _denied(services.document_resend, actor=person, document=sent)
    assert Register.objects.count() == 0


def test_only_clerks_of_the_receiver_register_or_return(office: Office) -> None:
    document = incoming_in(office, S.RECEIVED)
    for person in (office.leader_b, office.handler_b, office.clerk, office.leader):
        _denied(services.incoming_accept, actor=person, document=document)
        _denied(services.incoming_return, actor=person, document=document, reason="Nhầm")


def test_only_leaders_and_heads_assign(office: Office) -> None:
    document = incoming_in(office, S.REGISTERED)
    for person in (office.clerk_b, office.specialist_b, office.handler_b, office.leader):
        _denied(
            services.incoming_assign,
            actor=person,
            document=document,
            assignee=office.handler_b,
            working_days=5,
        )
    for person in (office.head_b, office.leader_b):
        services.incoming_assign(
            actor=person, document=document, assignee=office.handler_b, working_days=5
        )
    assert list(document.assignments.values_list("assigned_by_id", flat=True)) == [
        office.head_b.pk,
        office.leader_b.pk,
    ]


def test_only_the_assignee_reports_and_completes(office: Office) -> None:
    document = incoming_in(office, S.ASSIGNED)
    assignment = assignment_of(document, office)
    for person in (office.specialist_b, office.leader_b, office.clerk_b, None):
        _denied(services.assignment_progress, actor=person, assignment=assignment, note="")
        _denied(services.assignment_complete, actor=person, assignment=assignment, result="Xong")


def test_packages_and_statuses_come_only_from_the_exchange(office: Office) -> None:
    xml = sealed_package(office)
    _denied(
        services.package_receive,
        actor=office.clerk_b,
        xml=xml,
        receiver_code=office.city.commune_b.code,
        consumer="",
    )
    _denied(services.status_receive, actor=office.clerk, xml=b"<x/>")


# --- drafts and attachments -----------------------------------------------------------------


def test_draft_field_errors_are_reported_together_and_nothing_is_created(office: Office) -> None:
    before = state()
    with pytest.raises(InvalidInput) as refused:
        services.document_draft(
            actor=office.drafter,
            agency=office.city.commune_a,
            data=draft_input(
                office,
                type_code="XX",
                summary="   ",
                recipients=["999.99.99.H26", office.city.commune_a.code],
                signer_id=office.head.pk,
                urgency="someday",
                signer_position="x" * 101,
            ),
        )
    assert [(e.field, e.code) for e in refused.value.field_errors] == [
        ("type_code", "invalid_choice"),
        ("summary", "required"),
        ("urgency", "invalid_choice"),
        ("recipients", "unknown_agency"),
        ("recipients", "self"),
        ("signer", "not_leader"),
        ("signer_position", "too_long"),
    ]
    assert refused.value.field_errors[3].message == "Không có cơ quan: 999.99.99.H26."
    assert state() == before


def test_a_summary_over_500_characters_is_refused(office: Office) -> None:
    before = state()
    with pytest.raises(InvalidInput) as refused:
        services.document_draft(
            actor=office.drafter,
            agency=office.city.commune_a,
            data=draft_input(office, summary="á" * 501),
        )
    assert [(e.field, e.code) for e in refused.value.field_errors] == [("summary", "too_long")]
    assert state() == before
    exactly = drafted(office, summary="á" * 500)
    assert len(exactly.summary) == 500


def test_a_leader_of_another_agency_cannot_be_the_signer(office: Office) -> None:
    before = state()
    with pytest.raises(InvalidInput) as refused:
        drafted(office, signer_id=office.leader_b.pk)
    assert [(e.field, e.code) for e in refused.value.field_errors] == [("signer", "not_leader")]
    assert state() == before


def test_recipients_are_deduplicated_in_order(office: Office) -> None:
    document = drafted(
        office,
        recipients=[office.city.justice.code, office.city.commune_b.code, office.city.justice.code],
    )
    assert list(document.recipients.values_list("agency_code", flat=True)) == [
        office.city.justice.code,
        office.city.commune_b.code,
    ]


def test_attachments_are_checked_and_their_names_sanitised(office: Office) -> None:
    document = drafted(office)
    attached = services.document_attach(
        actor=office.drafter,
        document=document,
        name="  ../../etc/Phụ lục\\1\x00.pdf ",
        content_type="application/pdf",
        content=b"%PDF-1.7 phu luc",
    )
    assert (attached.name, attached.size, attached.content_type) == (
        ".._.._etc_Phụ lục_1_.pdf",
        16,
        "application/pdf",
    )
    assert attached.sha256 == hashlib.sha256(b"%PDF-1.7 phu luc").hexdigest()
    assert trail(document)[-1] == ("attach", "")
    before = state()
    for name, content_type, content, code in [
        ("trang.html", "text/html", b"<p>x</p>", "unsupported_type"),
        ("rong.pdf", "application/pdf", b"", "size"),
        ("lon.pdf", "application/pdf", b"x" * (services.MAX_ATTACHMENT + 1), "size"),
        ("  ", "application/pdf", b"x", "required"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            services.document_attach(
                actor=office.drafter,
                document=document,
                name=name,
                content_type=content_type,
                content=content,
            )
        assert [(e.field, e.code) for e in refused.value.field_errors] == [("file", code)]
    assert state() == before
    largest = services.document_attach(
        actor=office.drafter,
        document=document,
        name="vua.pdf",
        content_type="application/pdf",
        content=b"x" * services.MAX_ATTACHMENT,
    )
    assert largest.size == 20 * 1024 * 1024


# --- signing and issuing --------------------------------------------------------------------


def test_a_wrong_pin_is_counted_and_the_document_stays_approved(office: Office) -> None:
    document = approved(office)
    certificate = apps.get_model("signing", "Certificate")
    assert certificate.objects.get(serial=office.serial).pin_failures == 0
    with pytest.raises(PinInvalid):
        services.document_sign(actor=office.leader, document=document, serial=office.serial,
                               pin="000000")  # fmt: skip
    assert certificate.objects.get(serial=office.serial).pin_failures == 1
    document.refresh_from_db()
    assert (document.status, document.pdf, document.pdf_sha256) == ("approved", None, "")
    assert ("sign", "") not in trail(document)
    assert not AuditEvent.objects.filter(action="documents.sign").exists()


def test_the_leader_signs_the_rendered_document(office: Office) -> None:
    document = signed(office)
    document.refresh_from_db()
    assert document.status == "signed"
    pdf = bytes(document.pdf or b"")
    report = validate_pdf(pdf)
    assert report.ok, report
    assert [s.signer for s in report.signatures] == [LEADER_NAME]
    fields = PdfReader(io.BytesIO(pdf)).get_fields() or {}
    assert {name: fields[name].get("/V") for name in ("so", "ngay", "thang", "nam")} == {
        "so": "",
        "ngay": "",
        "thang": "",
        "nam": "",
    }
    assert trail(document)[-1] == ("sign", "")


def test_issue_without_a_seal_takes_no_number(city: Any, pki: None) -> None:
    from thudo.documents.tests.core_factories import make_office

    office = make_office(city, seals=False)
    document = signed(office)
    before = state()
    with pytest.raises(Conflict):
        services.document_issue(actor=office.clerk, document=document)
    assert state() == before
    assert Register.objects.count() == 0
    document.refresh_from_db()
    assert (document.status, document.number, document.notation) == ("signed", None, "")


def test_the_issued_document_has_its_number_date_seal_and_signed_package(
    office: Office, django_capture_on_commit_callbacks: Any
) -> None:
    document = signed(office, urgency="urgent")
    with django_capture_on_commit_callbacks(execute=True):
        document = services.document_issue(actor=office.clerk, document=document)
    today = services._today()
    assert (document.status, document.number, document.year, document.issued_on) == (
        "issued",
        1,
        today.year,
        today,
    )
    assert document.notation == "01/QĐ-UBND"
    assert "01/qd-ubnd" in document.search_text

    pdf = bytes(document.pdf or b"")
    fields = PdfReader(io.BytesIO(pdf)).get_fields() or {}
    assert {name: fields[name].get("/V") for name in ("so", "ngay", "thang", "nam")} == {
        "so": "01",
        "ngay": f"{today.day:02d}",
        "thang": f"{today.month:02d}",
        "nam": str(today.year),
    }
    report = validate_pdf(pdf)
    assert report.ok, report
    assert len(report.signatures) == 2
    leader, seal = report.signatures
    assert (leader.signer, leader.modified_after) == (LEADER_NAME, "allowed")
    # Both are B-LT: the validation data added after the seal is an allowed change.
    assert (seal.signer, seal.level, seal.modified_after) == (
        office.city.commune_a.name,
        "B-LT",
        "allowed",
    )
    assert all(s.intact and s.valid and s.trusted for s in report.signatures)

    xml = bytes(document.package_xml or b"")
    package = edxml.parse(xml)
    assert package.document_id == document.package_id and len(package.document_id) == 32
    assert package.sender == edxml.Organ(office.city.commune_a.code, office.city.commune_a.name)
    assert package.recipients == (
        edxml.Organ(office.city.commune_b.code, office.city.commune_b.name),
    )
    assert (package.code_number, package.code_notation) == ("01", "QĐ-UBND")
    assert (package.type_code, package.type_name, package.subject) == ("QD", "Quyết định", SUMMARY)
    assert (package.signer_competence, package.signer_position, package.signer_name) == (
        "TM. Ủy ban nhân dân",
        "Chủ tịch",
        LEADER_NAME,
    )
    assert (package.promulgation_date, package.priority, package.business) == (today, 1, "0")
    assert [(a.name, a.content_type, a.content) for a in package.attachments] == [
        ("01_QĐ-UBND.pdf", "application/pdf", pdf)
    ]
    assert [code for code, _at in package.trace] == [office.city.commune_a.code]
    verified = verify_xml(xml)
    assert (verified.valid, verified.trusted, verified.revoked) == (True, True, False)
    assert verified.organization_identifier == f"VN-{office.city.commune_a.code}"

    assert trail(document)[-2:] == [("sign", ""), ("issue", "")]
    recipient = document.recipients.get()
    assert queued("deliver") == [[recipient.pk]]


def test_attachments_travel_in_the_package(office: Office) -> None:
    document = drafted(office)
    services.document_attach(
        actor=office.drafter,
        document=document,
        name="Phụ lục.docx",
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        content=b"PK\x03\x04 phu luc",
    )
    services.document_submit(actor=office.drafter, document=document)
    services.document_review(actor=office.head, document=document, approve=True)
    services.document_sign(actor=office.leader, document=document, serial=office.serial, pin=PIN)
    document = services.document_issue(actor=office.clerk, document=document)
    package = edxml.parse(bytes(document.package_xml or b""))
    assert [(a.name, a.content) for a in package.attachments] == [
        ("01_QĐ-UBND.pdf", bytes(document.pdf or b"")),
        ("Phụ lục.docx", b"PK\x03\x04 phu luc"),
    ]
    incoming = arrived(office, document)
    assert incoming.pdf_sha256 == document.pdf_sha256
    assert list(incoming.attachments.values_list("name", "size")) == [("Phụ lục.docx", 12)]


def test_numbers_follow_each_other_and_letters_have_no_type_code(office: Office) -> None:
    first = issued(office)
    second = issued(office, summary="Về việc thứ hai")
    letter = issued(office, type_code="CV", summary="Về việc báo cáo tình hình")
    assert [(d.number, d.notation) for d in (first, second, letter)] == [
        (1, "01/QĐ-UBND"),
        (2, "02/QĐ-UBND"),
        (3, "03/UBND"),
    ]
    assert list(
        Register.objects.values_list("agency_id", "year", "direction", "confidential",
                                     "last_number")
    ) == [(office.city.commune_a.pk, services._today().year, "out", False, 3)]  # fmt: skip


def test_a_first_letter_is_01_ubnd_and_confidential_documents_count_apart(office: Office) -> None:
    letter = issued(office, type_code="CV", summary="Về việc báo cáo")
    secret = issued(office, confidential=True, summary="Về việc mật")
    assert (letter.notation, secret.notation, secret.number) == ("01/UBND", "01/QĐ-UBND", 1)
    assert sorted(Register.objects.values_list("confidential", "last_number")) == [
        (False, 1),
        (True, 1),
    ]


def test_resend_puts_failed_recipients_back_in_the_queue(
    office: Office, django_capture_on_commit_callbacks: Any
) -> None:
    document = outgoing_in(office, S.ISSUED)
    Recipient.objects.create(document=document, agency_code="000.00.16.H26", agency_name="Sở")
    failed, sent = document.recipients.order_by("pk")
    Recipient.objects.filter(pk=failed.pk).update(delivery="failed", attempts=12, last_error="404")
    Recipient.objects.filter(pk=sent.pk).update(delivery="sent", attempts=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.document_resend(actor=office.clerk, document=document) == 1
    assert list(
        document.recipients.order_by("pk").values_list("delivery", "attempts", "last_error")
    ) == [("pending", 0, ""), ("sent", 1, "")]
    assert queued("deliver") == [[failed.pk]]
    assert TrailEvent.objects.filter(document=document).last().note == "1"  # type: ignore[union-attr]


# --- arriving packages ----------------------------------------------------------------------


def test_a_package_is_registered_as_arrived_once(
    office: Office, django_capture_on_commit_callbacks: Any
) -> None:
    xml = sealed_package(office)
    with django_capture_on_commit_callbacks(execute=True):
        received = services.package_receive(
            actor=None, xml=xml, receiver_code=office.city.commune_b.code, consumer=CONSUMER
        )
    assert (received.created, received.status_code) == (True, "01")
    document = received.document
    assert document is not None
    assert (document.agency_id, document.direction, document.status) == (
        office.city.commune_b.pk,
        "in",
        "received",
    )
    assert (document.notation, document.type_code, document.summary) == (
        "07/TB-UBND",
        "TB",
        "Thông báo lịch tiếp công dân tháng 3",
    )
    assert (document.sender_code, document.sender_name, document.package_id) == (
        office.city.commune_a.code,
        office.city.commune_a.name,
        "pkg-0001",
    )
    assert (document.issued_on, document.urgency, document.signer_name) == (
        date(2026, 3, 2),
        "urgent",
        LEADER_NAME,
    )
    assert bytes(document.pdf or b"") == b"%PDF-1.7 test"
    assert bytes(document.package_xml or b"") == xml
    assert trail(document) == [("arrive", "01")]
    assert TrailEvent.objects.get(document=document).note.endswith(f"({CONSUMER})")
    assert queued("send_status") == [[document.pk, "01", ""]]

    again = services.package_receive(
        actor=None, xml=xml, receiver_code=office.city.commune_b.code, consumer=CONSUMER
    )
    assert (again.created, again.status_code, again.document) == (False, "01", document)
    assert Document.objects.filter(direction="in").count() == 1
    assert InboundPackage.objects.count() == 1
    services.incoming_accept(actor=office.clerk_b, document=document)
    third = services.package_receive(
        actor=None, xml=xml, receiver_code=office.city.commune_b.code, consumer=CONSUMER
    )
    assert (third.created, third.status_code) == (False, "03")


def test_a_package_whose_pdf_is_not_first_keeps_every_other_file(office: Office) -> None:
    xml = sealed_package(
        office,
        attachments=(
            edxml.AttachedFile("phu-luc.png", "image/png", b"\x89PNG"),
            edxml.AttachedFile("van-ban.pdf", "application/pdf", b"%PDF-1.7 main"),
        ),
    )
    received = services.package_receive(
        actor=None, xml=xml, receiver_code=office.city.commune_b.code, consumer=CONSUMER
    )
    assert received.document is not None
    assert bytes(received.document.pdf or b"") == b"%PDF-1.7 main"
    assert list(Attachment.objects.values_list("name", "content_type")) == [
        ("phu-luc.png", "image/png")
    ]


@pytest.mark.parametrize(
    "case",
    ["not_addressed", "unsigned", "other_seal", "tampered", "not_edxml", "unknown_receiver"],
)
def test_a_package_that_cannot_be_trusted_is_refused(office: Office, case: str) -> None:
    receiver = office.city.commune_b.code
    xml = sealed_package(office)
    if case == "not_addressed":
        receiver = office.city.justice.code
    elif case == "unsigned":
        xml = edxml.build(unsigned_package(office))
    elif case == "other_seal":
        xml = sealed_package(office, by=office.city.commune_b.code)
    elif case == "tampered":
        original = "Thông báo lịch tiếp công dân tháng 3".encode()
        assert original in xml
        xml = xml.replace(original, "Thông báo lịch tiếp công dân tháng 4".encode())
    elif case == "not_edxml":
        xml = b"<html/>"
    before = state()
    if case == "unknown_receiver":
        xml = sealed_package(
            office,
            recipients=(edxml.Organ("999.99.99.H26", "Không có"),),
        )
        with pytest.raises(NotFound):
            services.package_receive(
                actor=None, xml=xml, receiver_code="999.99.99.H26", consumer=CONSUMER
            )
    else:
        with pytest.raises(services.PackageRefused):
            services.package_receive(actor=None, xml=xml, receiver_code=receiver, consumer=CONSUMER)
    assert state() == before


def test_an_issued_document_arrives_intact(office: Office) -> None:
    document = issued(office)
    incoming = arrived(office, document)
    assert (incoming.notation, incoming.summary, incoming.sender_code) == (
        "01/QĐ-UBND",
        SUMMARY,
        office.city.commune_a.code,
    )
    assert incoming.pdf_sha256 == document.pdf_sha256
    assert TrailEvent.objects.get(document=incoming).note.startswith(
        "Chữ ký số trên văn bản: hợp lệ."
    )


# --- registering, returning, assigning, finishing -------------------------------------------


def _arrived_package(office: Office, package_id: str, receiver: Any = None) -> Document:
    receiver = receiver or office.city.commune_b
    xml = sealed_package(
        office,
        document_id=package_id,
        recipients=(edxml.Organ(receiver.code, receiver.name),),
    )
    received = services.package_receive(
        actor=None, xml=xml, receiver_code=receiver.code, consumer=CONSUMER
    )
    assert received.document is not None
    return received.document


def test_arrival_numbers_run_per_agency_and_year(
    office: Office, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    first, second = _arrived_package(office, "p1"), _arrived_package(office, "p2")
    justice_clerk = official(office.city.justice, role=Role.CLERK, username="vt.stp")
    at_justice = _arrived_package(office, "p3", office.city.justice)
    with django_capture_on_commit_callbacks(execute=True):
        services.incoming_accept(actor=office.clerk_b, document=first)
        services.incoming_accept(actor=office.clerk_b, document=second)
    services.incoming_accept(actor=justice_clerk, document=at_justice)
    monkeypatch.setattr(services, "_today", lambda: date(2027, 1, 4))
    next_year = _arrived_package(office, "p4")
    services.incoming_accept(actor=office.clerk_b, document=next_year)
    numbers = [
        Document.objects.values_list("arrival_number", "year", "status").get(pk=d.pk)
        for d in (first, second, at_justice, next_year)
    ]
    year = numbers[0][1]
    assert numbers == [
        (1, year, "registered"),
        (2, year, "registered"),
        (1, year, "registered"),
        (1, 2027, "registered"),
    ]
    assert trail(first) == [("arrive", "01"), ("accept", "03")]
    assert TrailEvent.objects.get(document=second, action="accept").note == "Số đến: 2"
    assert queued("send_status") == [[first.pk, "03", "Số đến: 1"], [second.pk, "03", "Số đến: 2"]]


def test_returning_needs_a_reason_and_tells_the_sender(
    office: Office, django_capture_on_commit_callbacks: Any
) -> None:
    document = _arrived_package(office, "p1")
    before = state()
    with pytest.raises(InvalidInput) as refused:
        services.incoming_return(actor=office.clerk_b, document=document, reason="  ")
    assert [(e.field, e.code) for e in refused.value.field_errors] == [("reason", "required")]
    assert state() == before
    with django_capture_on_commit_callbacks(execute=True):
        services.incoming_return(
            actor=office.clerk_b, document=document, reason=" Không thuộc thẩm quyền "
        )
    document.refresh_from_db()
    assert (document.status, document.arrival_number) == ("rejected", None)
    assert trail(document) == [("arrive", "01"), ("reject", "02")]
    assert queued("send_status") == [[document.pk, "02", "Không thuộc thẩm quyền"]]


def test_assignment_due_date_counts_working_days(office: Office) -> None:
    document = incoming_in(office, S.REGISTERED)
    assignment = services.incoming_assign(
        actor=office.leader_b,
        document=document,
        assignee=office.handler_b,
        working_days=5,
        instructions=" Xử lý, báo cáo ",
    )
    today = services._today()
    assert assignment.due_on == get_calendar().add_working_days(today, 5)
    assert (assignment.working_days, assignment.instructions, assignment.status) == (
        5,
        "Xử lý, báo cáo",
        "open",
    )
    document.refresh_from_db()
    assert document.status == "assigned"
    event = TrailEvent.objects.get(document=document)
    assert (event.action, event.status_code) == ("assign", "04")
    assert event.note == f"{office.handler_b.full_name}, hạn {assignment.due_on:%d/%m/%Y}"


def test_assignment_due_date_skips_the_weekend(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    friday = date(2026, 3, 6)
    assert friday.weekday() == 4
    monkeypatch.setattr(services, "_today", lambda: friday)
    document = incoming_in(office, S.REGISTERED)
    one = services.incoming_assign(
        actor=office.leader_b, document=document, assignee=office.handler_b, working_days=1
    )
    three = services.incoming_assign(
        actor=office.leader_b, document=document, assignee=office.specialist_b, working_days=3
    )
    assert (one.due_on, three.due_on) == (date(2026, 3, 9), date(2026, 3, 11))
    assert one.due_on == get_calendar().add_working_days(friday, 1)


def test_assignment_needs_a_member_and_a_sensible_deadline(office: Office) -> None:
    document = incoming_in(office, S.REGISTERED)
    before = state()
    for assignee, days, expected in [
        (office.drafter, 5, ("assignee", "not_member")),
        (office.handler_b, 0, ("working_days", "out_of_range")),
        (office.handler_b, 91, ("working_days", "out_of_range")),
    ]:
        with pytest.raises(InvalidInput) as refused:
            services.incoming_assign(
                actor=office.leader_b, document=document, assignee=assignee, working_days=days
            )
        assert [(e.field, e.code) for e in refused.value.field_errors] == [expected]
    assert state() == before


def test_the_document_is_done_when_its_last_assignment_is(office: Office) -> None:
    document = incoming_in(office, S.REGISTERED)
    first = services.incoming_assign(
        actor=office.leader_b, document=document, assignee=office.handler_b, working_days=5
    )
    second = services.incoming_assign(
        actor=office.leader_b, document=document, assignee=office.specialist_b, working_days=5
    )
    services.assignment_progress(actor=office.handler_b, assignment=first, note="Đang soạn")
    document.refresh_from_db()
    assert document.status == "in_progress"
    with pytest.raises(InvalidInput):
        services.assignment_complete(actor=office.handler_b, assignment=first, result=" ")
    services.assignment_complete(actor=office.handler_b, assignment=first, result="Đã soạn")
    document.refresh_from_db()
    assert document.status == "in_progress"
    first.refresh_from_db()
    assert (first.status, first.result, first.done_at is not None) == ("done", "Đã soạn", True)
    services.assignment_complete(actor=office.specialist_b, assignment=second, result="Đã gửi")
    document.refresh_from_db()
    assert document.status == "done"
    assert trail(document) == [
        ("assign", "04"),
        ("assign", "04"),
        ("progress", "05"),
        ("assignment_done", ""),
        ("done", "06"),
    ]


# --- statuses travelling back ---------------------------------------------------------------


def _status(office: Office, document_id: str, code: str, *, by: str | None = None) -> bytes:
    from thudo.signing import facade as signing

    xml = edxml.build_status(
        edxml.StatusMessage(
            document_id=document_id,
            sender=edxml.Organ(office.city.commune_b.code, office.city.commune_b.name),
            receiver=edxml.Organ(office.city.commune_a.code, office.city.commune_a.name),
            status_code=code,
            description="Đã vào sổ",
            timestamp=datetime(2026, 3, 3, 8, 30, tzinfo=HANOI),
        )
    )
    if by is None:
        return xml
    return signing.sign_xml(xml, actor=None, agency_code=by)


def test_a_status_updates_the_senders_recipient(office: Office) -> None:
    document = outgoing_in(office, S.ISSUED)
    Document.objects.filter(pk=document.pk).update(package_id="pkg-0001")
    recipient = services.status_receive(
        actor=None, xml=_status(office, "pkg-0001", "03", by=office.city.commune_b.code)
    )
    assert (recipient.status_code, recipient.status_at) == (
        "03",
        datetime(2026, 3, 3, 8, 30, tzinfo=HANOI),
    )
    stored = Recipient.objects.get(document=document)
    assert stored.status_code == "03"
    event = TrailEvent.objects.filter(document=document).last()
    assert event is not None
    assert (event.action, event.status_code, event.note) == (
        "status",
        "03",
        f"{office.city.commune_b.name}: Đã tiếp nhận. Đã vào sổ",
    )


def test_a_status_that_cannot_be_trusted_or_placed_is_refused(office: Office) -> None:
    document = outgoing_in(office, S.ISSUED)
    Document.objects.filter(pk=document.pk).update(package_id="pkg-0001")
    before = state()
    with pytest.raises(services.PackageRefused):  # signed by the document's sender, not B
        services.status_receive(
            actor=None, xml=_status(office, "pkg-0001", "03", by=office.city.commune_a.code)
        )
    with pytest.raises(NotFound):
        services.status_receive(
            actor=None, xml=_status(office, "pkg-9999", "03", by=office.city.commune_b.code)
        )
    with pytest.raises(services.PackageRefused):
        services.status_receive(actor=None, xml=b"<Status/>")
    assert state() == before


def test_an_unsigned_status_is_refused_and_a_late_one_does_not_undo_a_later(
    office: Office,
) -> None:
    document = outgoing_in(office, S.ISSUED)
    Document.objects.filter(pk=document.pk).update(package_id="pkg-0001")
    before = state()
    with pytest.raises(services.PackageRefused):
        services.status_receive(actor=None, xml=_status(office, "pkg-0001", "03"))
    assert state() == before
    b = office.city.commune_b.code
    services.status_receive(actor=None, xml=_status(office, "pkg-0001", "06", by=b))
    services.status_receive(actor=None, xml=_status(office, "pkg-0001", "03", by=b))
    assert Recipient.objects.get(document=document).status_code == "06"


def test_statuses_travel_back_to_the_sender(
    office: Office, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    """B registers, assigns and finishes A's decision; each status, sent by the task
    through the (faked) hub, lands on A's recipient row."""
    document = issued(office)
    calls: list[tuple[str, str]] = []

    def hub(service: str, path: str, **kwargs: Any) -> ExchangeResponse:
        calls.append((service, path))
        services.status_receive(actor=None, xml=kwargs["body"])
        return ExchangeResponse(202, {}, b"{}", "req-1", "sig")

    monkeypatch.setattr("thudo.documents.tasks.exchange.call", hub)
    incoming = arrived(office, document)
    with django_capture_on_commit_callbacks(execute=True):
        services.incoming_accept(actor=office.clerk_b, document=incoming)
        assignment = services.incoming_assign(
            actor=office.leader_b, document=incoming, assignee=office.handler_b, working_days=3
        )
        services.assignment_complete(actor=office.handler_b, assignment=assignment, result="Xong")
    codes = []
    for args in queued("send_status"):
        assert tasks.send_status.call(*args) == "sent"
        codes.append(Recipient.objects.get(document=document).status_code)
    assert codes == ["03", "04", "06"]
    assert [path for _service, path in calls] == ["/statuses"] * 3
    assert [c for _a, c in trail(document) if c] == ["03", "04", "06"]
