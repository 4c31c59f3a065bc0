"""Writes of the documents module (quản lý văn bản và điều hành).

Outgoing: draft → review → approved → the leader signs (PAdES) → the clerk issues (number
and date filled in, the agency's seal applied, an edXML package signed) → delivered to
each recipient through the exchange hub, store-and-forward. Incoming: arrived (01) →
accepted and registered (03) → assigned (04) → in progress (05) → done (06), or sent back
(02); each status travels back to the sender.

Signing happens before the transaction that records it (a wrong PIN must stay counted);
everything else is atomic with its audit event.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from thudo.core import audit
from thudo.core.errors import Conflict, FieldError, InvalidInput, NotFound, invalid
from thudo.core.models import Agency, User
from thudo.core.text import fold
from thudo.documents import edxml, numbering, permissions, render
from thudo.documents.contracts import DOCUMENT_TYPES, STATUS_CODES, URGENCY
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

MAX_ATTACHMENT = 20 * 1024 * 1024
ATTACHMENT_TYPES = {
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/msword",
    "image/png",
    "image/jpeg",
}
S = Document.Status
# How far a document has got at its receiver: later statuses never give way to earlier.
STATUS_RANK = {"": 0, "01": 1, "03": 2, "04": 3, "05": 4, "06": 5, "02": 6, "13": 7, "14": 8}


def _saved(actor: User | None) -> User | None:
    return actor if actor is not None and actor.pk else None


def _today() -> Any:
    return timezone.now().astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def _trail(
    document: Document, action: str, actor: User | None, *, code: str = "", note: str = ""
) -> None:
    TrailEvent.objects.create(
        document=document,
        action=action,
        status_code=code,
        actor=_saved(actor),
        actor_name=(actor.full_name or actor.get_username()) if actor is not None else "",
        note=note[:4000],
    )


def _audit(action: str, actor: User | None, document: Document, **payload: Any) -> None:
    audit.record(
        action=f"documents.{action}",
        actor=_saved(actor),
        agency=document.agency,
        object_type="documents.document",
        object_id=document.pk,
        payload=payload,
    )


def _search_text(document: Document) -> str:
    return fold(
        " ".join([document.notation, document.summary, document.body, document.sender_name])
    )


def _locked(document: Document, *allowed: str) -> Document:
    locked = Document.objects.select_for_update().select_related("agency").get(pk=document.pk)
    if allowed and locked.status not in allowed:
        raise Conflict(
            _("Văn bản đang ở trạng thái “%(s)s”: không thực hiện được thao tác này.")
            % {"s": locked.get_status_display()}
        )
    return locked


# --- outgoing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftInput:
    type_code: str
    summary: str
    body: str
    recipients: Sequence[str] = ()  # agency codes
    confidential: bool = False
    urgency: str = "normal"
    signer_authority: str = ""
    signer_position: str = ""
    signer_id: int | None = None


def _check_draft(agency: Agency, data: DraftInput) -> tuple[list[Agency], User | None]:
    errors: list[FieldError] = []
    if data.type_code not in DOCUMENT_TYPES:
        errors.append(FieldError("type_code", "invalid_choice", _("Loại văn bản không hợp lệ.")))
    if not (data.summary or "").strip():
        errors.append(FieldError("summary", "required", _("Trích yếu là bắt buộc.")))
    elif len(data.summary) > 500:
        errors.append(FieldError("summary", "too_long", _("Trích yếu tối đa 500 ký tự.")))
    if len(data.body or "") > 200_000:
        errors.append(FieldError("body", "too_long", _("Nội dung quá dài.")))
    if data.urgency not in URGENCY:
        errors.append(FieldError("urgency", "invalid_choice", _("Độ khẩn không hợp lệ.")))
    codes = list(dict.fromkeys(c.strip() for c in data.recipients if c.strip()))
    found = {a.code: a for a in Agency.objects.filter(code__in=codes, is_active=True)}
    missing = [c for c in codes if c not in found]
    if missing:
        errors.append(
            FieldError(
                "recipients",
                "unknown_agency",
                _("Không có cơ quan: %(c)s.") % {"c": ", ".join(missing)},
            )
        )
    if agency.code in found:
        errors.append(FieldError("recipients", "self", _("Không gửi văn bản cho chính mình.")))
    signer = None
    if data.signer_id is not None:
        signer = User.objects.filter(
            pk=data.signer_id,
            memberships__agency=agency,
            memberships__role="leader",
            memberships__revoked_at__isnull=True,
        ).first()
        if signer is None:
            errors.append(
                FieldError("signer", "not_leader", _("Người ký phải là lãnh đạo của cơ quan."))
            )
    for name, value in (
        ("signer_authority", data.signer_authority),
        ("signer_position", data.signer_position),
    ):
        if len(value or "") > 100:
            errors.append(FieldError(name, "too_long", _("Tối đa 100 ký tự.")))
    if errors:
        raise InvalidInput(field_errors=errors)
    return [found[c] for c in codes], signer


@transaction.atomic
def document_draft(*, actor: User | None, agency: Agency, data: DraftInput) -> Document:
    """Dự thảo: a new outgoing document of ``agency``."""
    permissions.require(permissions.document_draft(actor, agency))
    recipients, signer = _check_draft(agency, data)
    document = Document.objects.create(
        agency=agency,
        direction=Register.Direction.OUTGOING,
        type_code=data.type_code,
        summary=data.summary.strip(),
        body=(data.body or "").strip(),
        confidential=data.confidential,
        urgency=data.urgency,
        status=S.DRAFT,
        drafted_by=_saved(actor),
        signer=signer,
        signer_authority=data.signer_authority.strip(),
        signer_position=data.signer_position.strip(),
        signer_name=(signer.full_name if signer else ""),
    )
    document.search_text = _search_text(document)
    document.save(update_fields=["search_text"])
    Recipient.objects.bulk_create(
        Recipient(document=document, agency_code=a.code, agency_name=a.name) for a in recipients
    )
    _trail(document, "draft", actor)
    _audit("draft", actor, document, type=data.type_code)
    return document


@transaction.atomic
def document_update(*, actor: User | None, document: Document, data: DraftInput) -> Document:
    permissions.require(permissions.document_update(actor, document))
    document = _locked(document, S.DRAFT, S.RETURNED)
    recipients, signer = _check_draft(document.agency, data)
    document.type_code = data.type_code
    document.summary = data.summary.strip()
    document.body = (data.body or "").strip()
    document.confidential = data.confidential
    document.urgency = data.urgency
    document.signer = signer
    document.signer_authority = data.signer_authority.strip()
    document.signer_position = data.signer_position.strip()
    document.signer_name = signer.full_name if signer else ""
    document.search_text = _search_text(document)
    document.save()
    document.recipients.all().delete()
    Recipient.objects.bulk_create(
        Recipient(document=document, agency_code=a.code, agency_name=a.name) for a in recipients
    )
    _trail(document, "update", actor)
    _audit("update", actor, document)
    return document


@transaction.atomic
def document_attach(
    *, actor: User | None, document: Document, name: str, content_type: str, content: bytes
) -> Attachment:
    permissions.require(permissions.document_attach(actor, document))
    document = _locked(document, S.DRAFT, S.RETURNED)
    # No path separators, and no control characters (PostgreSQL refuses NUL in text).
    name = "".join(c if c.isprintable() else "_" for c in (name or "").strip())
    name = name.replace("/", "_").replace("\\", "_")[:255]
    if not name:
        raise invalid("file", "required", _("Tên tệp là bắt buộc."))
    if content_type not in ATTACHMENT_TYPES:
        raise invalid("file", "unsupported_type", _("Kiểu tệp không được nhận."))
    if not content or len(content) > MAX_ATTACHMENT:
        raise invalid("file", "size", _("Tệp rỗng hoặc lớn hơn 20 MB."))
    attachment = Attachment.objects.create(
        document=document,
        name=name,
        content_type=content_type,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
    )
    _trail(document, "attach", actor, note=name)
    _audit("attach", actor, document, name=name, sha256=attachment.sha256)
    return attachment


@transaction.atomic
def document_submit(*, actor: User | None, document: Document) -> Document:
    """Trình duyệt: the draft goes to the heads and leaders for review."""
    permissions.require(permissions.document_submit(actor, document))
    document = _locked(document, S.DRAFT, S.RETURNED)
    if document.signer_id is None:
        raise invalid("signer", "required", _("Chọn lãnh đạo ký văn bản trước khi trình."))
    document.status = S.REVIEW
    document.save(update_fields=["status", "updated_at"])
    _trail(document, "submit", actor)
    _audit("submit", actor, document)
    return document


@transaction.atomic
def document_review(
    *, actor: User | None, document: Document, approve: bool, note: str = ""
) -> Document:
    permissions.require(permissions.document_review(actor, document))
    document = _locked(document, S.REVIEW)
    if not approve and not (note or "").strip():
        raise invalid("note", "required", _("Ghi rõ nội dung cần sửa khi trả lại."))
    document.status = S.APPROVED if approve else S.RETURNED
    document.save(update_fields=["status", "updated_at"])
    _trail(document, "approve" if approve else "return", actor, note=note)
    _audit("review", actor, document, approved=approve)
    return document


def _draft_for(document: Document) -> render.Draft:
    parent = document.agency.parent
    return render.Draft(
        type_code=document.type_code,
        summary=document.summary,
        body=document.body,
        issuer_name=document.agency.name,
        issuer_short=(document.agency.short_name or "UBND").replace(" ", ""),
        parent_name=parent.name if parent is not None else "",
        signer_authority=document.signer_authority,
        signer_position=document.signer_position,
        signer_name=document.signer_name,
        recipients=[r.agency_name for r in document.recipients.all()] + ["Lưu: VT"],
        confidential=document.confidential,
        urgency=URGENCY.get(document.urgency, "") if document.urgency != "normal" else "",
    )


def document_sign(*, actor: User | None, document: Document, serial: str, pin: str) -> Document:
    """Lãnh đạo ký số: the leader named as signer signs the rendered document (PAdES).
    Signed before the transaction that records it, so a wrong PIN stays counted."""
    permissions.require(permissions.document_sign(actor, document))
    document = Document.objects.select_related("agency__parent").get(pk=document.pk)
    if document.status != S.APPROVED:
        raise Conflict(_("Văn bản chưa được duyệt để ký."))
    if document.signer_id != getattr(actor, "pk", None):
        raise Conflict(_("Văn bản này do lãnh đạo khác ký."))
    # The leader signs with their own certificate; the agency's seal is the clerk's, at issue.
    usable = signing.certificates_of(user=actor) if actor is not None else []
    own = {c.serial for c in usable if c.profile != "seal"}
    if (serial or "").strip().lower() not in own:
        raise invalid(
            "serial", "not_own_certificate", _("Chọn một chứng thư số cá nhân của bạn để ký.")
        )
    pdf, layout = render.render(_draft_for(document))
    page, box = layout.signature
    signed = signing.sign_pdf(
        pdf,
        actor=actor,
        serial=serial,
        pin=pin,
        appearance=signing.Appearance(
            page=page,
            box=box,
            authority=document.signer_authority.upper(),
            position=document.signer_position.upper(),
            name=document.signer_name,
        ),
        reason=_("Ký ban hành văn bản"),
    )
    with transaction.atomic():
        document = _locked(document, S.APPROVED)
        document.pdf = signed
        document.pdf_sha256 = hashlib.sha256(signed).hexdigest()
        document.status = S.SIGNED
        document.save(update_fields=["pdf", "pdf_sha256", "status", "updated_at"])
        _trail(document, "sign", actor)
        _audit("sign", actor, document, sha256=document.pdf_sha256)
    return document


def _package(document: Document) -> edxml.Package:
    parent_name = document.agency.name
    return edxml.Package(
        document_id=document.package_id,
        sender=edxml.Organ(document.agency.code, parent_name),
        recipients=tuple(
            edxml.Organ(r.agency_code, r.agency_name) for r in document.recipients.all()
        ),
        code_number=f"{document.number:02d}",
        code_notation=document.notation.split("/", 1)[1],
        place="Hà Nội",
        promulgation_date=document.issued_on or _today(),
        type_code=document.type_code,
        type_name=DOCUMENT_TYPES[document.type_code][0],
        subject=document.summary,
        signer_competence=document.signer_authority,
        signer_position=document.signer_position,
        signer_name=document.signer_name,
        priority=list(URGENCY).index(document.urgency),
        page_amount=1,
        trace=((document.agency.code, timezone.now()),),
        attachments=(
            edxml.AttachedFile(
                f"{document.notation.replace('/', '_')}.pdf",
                "application/pdf",
                bytes(document.pdf or b""),
            ),
            *(
                edxml.AttachedFile(a.name, a.content_type, bytes(a.content))
                for a in document.attachments.all()
            ),
        ),
    )


def document_issue(*, actor: User | None, document: Document) -> Document:
    """Phát hành: the clerk gives the number and date, applies the agency's seal, and the
    document leaves for its recipients. The number is taken in the same transaction, so
    a failure gives it back."""
    permissions.require(permissions.document_issue(actor, document))
    seal = signing.seal_of(agency_code=document.agency.code)
    if seal is None:
        raise Conflict(_("Cơ quan chưa có chứng thư số con dấu: không phát hành được."))
    with transaction.atomic():
        document = _locked(document, S.SIGNED)
        document = Document.objects.select_related("agency__parent").get(pk=document.pk)
        day = _today()
        number = numbering.take(
            agency=document.agency,
            year=day.year,
            direction=Register.Direction.OUTGOING,
            confidential=document.confidential,
        )
        short = (document.agency.short_name or "UBND").replace(" ", "")
        from thudo.documents.contracts import notation

        document.number, document.year, document.issued_on = number, day.year, day
        document.notation = notation(number, document.type_code, short)
        filled = render.fill_number_and_date(bytes(document.pdf or b""), number=number, day=day)
        _page, box = render.render(_draft_for(document))[1].signature
        # The seal overlaps the left third of the leader's signature (Decree 30).
        seal_box = (
            box[0] - (box[2] - box[0]) // 3,
            box[1],
            box[0] + (box[2] - box[0]) // 3,
            box[3],
        )
        sealed = signing.sign_pdf(
            filled,
            actor=actor,
            serial=seal.serial,
            appearance=signing.Appearance(
                page=_page, box=seal_box, name=document.agency.name, authority="", position=""
            ),
            reason=_("Đóng dấu, phát hành văn bản"),
        )
        document.pdf = sealed
        document.pdf_sha256 = hashlib.sha256(sealed).hexdigest()
        document.package_id = uuid.uuid4().hex
        document.status = S.ISSUED
        document.search_text = _search_text(document)
        document.save()
        package = edxml.build(_package(document))
        document.package_xml = signing.sign_xml(
            package, actor=actor, agency_code=document.agency.code
        )
        document.save(update_fields=["package_xml"])
        _trail(document, "issue", actor, note=document.notation)
        _audit("issue", actor, document, notation=document.notation, sha256=document.pdf_sha256)
        ids = list(document.recipients.values_list("pk", flat=True))
        transaction.on_commit(lambda: _enqueue_deliveries(ids))
    return document


def _enqueue_deliveries(ids: list[int], *, after: datetime | None = None) -> None:
    from thudo.documents.tasks import deliver

    for pk in ids:
        (deliver.using(run_after=after) if after else deliver).enqueue(pk)


@transaction.atomic
def document_resend(*, actor: User | None, document: Document) -> int:
    """Send again to recipients whose delivery failed; returns how many."""
    permissions.require(permissions.document_resend(actor, document))
    document = _locked(document, S.ISSUED)
    failed = list(
        document.recipients.filter(delivery=Recipient.Delivery.FAILED).values_list("pk", flat=True)
    )
    Recipient.objects.filter(pk__in=failed).update(
        delivery=Recipient.Delivery.PENDING, attempts=0, last_error=""
    )
    _trail(document, "resend", actor, note=str(len(failed)))
    _audit("resend", actor, document, recipients=len(failed))
    transaction.on_commit(lambda: _enqueue_deliveries(failed))
    return len(failed)


# --- arriving from the exchange -------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    document: Document | None
    created: bool
    status_code: str


class PackageRefused(InvalidInput):
    code = "package_refused"


@transaction.atomic
def package_receive(
    *, actor: User | None, xml: bytes, receiver_code: str, consumer: str
) -> Received:
    """An edXML package from the exchange for ``receiver_code``: checked (well formed,
    signed by the sender's seal, addressed here), kept, and registered as arrived (01) —
    once, however often it is delivered."""
    permissions.require(permissions.package_receive(actor))
    try:
        package = edxml.parse(xml)
    except edxml.PackageInvalid as exc:
        raise PackageRefused(message=_("Gói edXML không hợp lệ: %(e)s") % {"e": exc}) from exc
    if receiver_code not in {r.code for r in package.recipients}:
        raise PackageRefused(message=_("Gói tin không gửi cho cơ quan này."))
    receiver = Agency.objects.filter(code=receiver_code, is_active=True).first()
    if receiver is None:
        raise NotFound(_("Không có cơ quan nhận %(c)s trên nền tảng.") % {"c": receiver_code})
    existing = (
        InboundPackage.objects.filter(
            sender_code=package.sender.code,
            receiver_code=receiver_code,
            package_id=package.document_id,
        )
        .select_related("document")
        .first()
    )
    if existing is not None:
        document = existing.document
        last = document.trail.exclude(status_code="").last() if document else None
        return Received(document, False, last.status_code if last else "01")
    report = signing.verify_xml(xml)
    if not (report.valid and report.trusted):
        raise PackageRefused(message=_("Chữ ký số của gói tin không hợp lệ hoặc không tin cậy."))
    if report.organization_identifier != f"VN-{package.sender.code}":
        raise PackageRefused(message=_("Gói tin không do cơ quan gửi ký."))
    document = Document.objects.create(
        agency=receiver,
        direction=Register.Direction.INCOMING,
        type_code=package.type_code if package.type_code in DOCUMENT_TYPES else "CV",
        notation=f"{package.code_number}/{package.code_notation}"[:60],
        summary=package.subject,
        issued_on=package.promulgation_date,
        status=S.RECEIVED,
        sender_code=package.sender.code,
        sender_name=package.sender.name,
        signer_authority=package.signer_competence,
        signer_position=package.signer_position,
        signer_name=package.signer_name,
        urgency=list(URGENCY)[package.priority] if package.priority < len(URGENCY) else "normal",
        received_at=timezone.now(),
        package_id=package.document_id,
        package_xml=xml,
    )
    # The document itself is the first PDF; every other file is kept as an attachment.
    main = next((a for a in package.attachments if a.content_type == "application/pdf"), None)
    if main is not None:
        document.pdf = main.content
        document.pdf_sha256 = main.sha256
    document.search_text = _search_text(document)
    document.save()
    Attachment.objects.bulk_create(
        Attachment(
            document=document,
            name=a.name,
            content_type=a.content_type,
            content=a.content,
            sha256=a.sha256,
            size=len(a.content),
        )
        for a in package.attachments
        if a is not main
    )
    try:
        with transaction.atomic():
            InboundPackage.objects.create(
                package_id=package.document_id,
                sender_code=package.sender.code,
                receiver_code=receiver_code,
                kind="document",
                xml=xml,
                document=document,
            )
    except IntegrityError as exc:  # the same package arrived twice at the same instant
        raise Conflict(_("Gói tin đang được tiếp nhận.")) from exc
    pdf_report = signing.validate_pdf(bytes(document.pdf or b"")) if document.pdf else None
    note = (
        _("Chữ ký số trên văn bản: hợp lệ.")
        if pdf_report is not None and pdf_report.ok
        else _("Chữ ký số trên văn bản: KHÔNG hợp lệ hoặc không có.")
    )
    _trail(document, "arrive", None, code="01", note=f"{note} ({consumer})")
    audit.record(
        action="documents.package_receive",
        agency=receiver,
        object_type="documents.document",
        object_id=document.pk,
        payload={"sender": package.sender.code, "package": package.document_id},
    )
    transaction.on_commit(lambda: _enqueue_status(document.pk, "01", ""))
    return Received(document, True, "01")


@transaction.atomic
def status_receive(*, actor: User | None, xml: bytes) -> Recipient:
    """A status about a document we sent, from its receiver."""
    permissions.require(permissions.status_receive(actor))
    try:
        status = edxml.parse_status(xml)
    except edxml.PackageInvalid as exc:
        raise PackageRefused(
            message=_("Thông điệp trạng thái không hợp lệ: %(e)s") % {"e": exc}
        ) from exc
    # Statuses are the receiving agency's word: sealed like the documents themselves.
    report = signing.verify_xml(xml)
    if not (
        report.valid
        and report.trusted
        and report.organization_identifier == f"VN-{status.sender.code}"
    ):
        raise PackageRefused(message=_("Chữ ký số của thông điệp trạng thái không hợp lệ."))
    recipient = (
        Recipient.objects.select_for_update()
        .select_related("document")
        .filter(
            document__package_id=status.document_id,
            document__agency__code=status.receiver.code,
            agency_code=status.sender.code,
        )
        .first()
    )
    if recipient is None:
        raise NotFound(_("Không có văn bản đã gửi ứng với thông điệp này."))
    # A status that arrives late (a retried 03 after 06) does not undo a later one.
    if STATUS_RANK.get(status.status_code, 0) >= STATUS_RANK.get(recipient.status_code, 0):
        recipient.status_code = status.status_code
        recipient.status_at = status.timestamp
        recipient.save(update_fields=["status_code", "status_at"])
    _trail(
        recipient.document,
        "status",
        None,
        code=status.status_code,
        note=(
            f"{recipient.agency_name}: {STATUS_CODES[status.status_code]}. {status.description}"
        ).strip(),
    )
    return recipient


def _enqueue_status(document_id: int, code: str, note: str) -> None:
    from thudo.documents.tasks import send_status

    send_status.enqueue(document_id, code, note)


def _status_change(
    document: Document, code: str, actor: User | None, action: str, note: str = ""
) -> None:
    _trail(document, action, actor, code=code, note=note)
    _audit(action, actor, document, status=code)
    pk = document.pk
    if document.sender_code:
        transaction.on_commit(lambda: _enqueue_status(pk, code, note))


@transaction.atomic
def incoming_accept(*, actor: User | None, document: Document) -> Document:
    """Tiếp nhận, vào sổ: the clerk confirms receipt (03) and gives the arrival number."""
    permissions.require(permissions.incoming_accept(actor, document))
    document = _locked(document, S.RECEIVED)
    day = _today()
    document.arrival_number = numbering.take(
        agency=document.agency,
        year=day.year,
        direction=Register.Direction.INCOMING,
        confidential=document.confidential,
    )
    document.year = day.year
    document.status = S.REGISTERED
    document.save(update_fields=["arrival_number", "year", "status", "updated_at"])
    _status_change(
        document, "03", actor, "accept", note=_("Số đến: %(n)s") % {"n": document.arrival_number}
    )
    return document


@transaction.atomic
def incoming_return(*, actor: User | None, document: Document, reason: str) -> Document:
    """Trả lại: a document sent here by mistake goes back to its sender (02)."""
    permissions.require(permissions.incoming_return(actor, document))
    if not (reason or "").strip():
        raise invalid("reason", "required", _("Ghi rõ lý do trả lại."))
    document = _locked(document, S.RECEIVED)
    document.status = S.REJECTED
    document.save(update_fields=["status", "updated_at"])
    _status_change(document, "02", actor, "reject", note=reason.strip())
    return document


@transaction.atomic
def incoming_assign(
    *,
    actor: User | None,
    document: Document,
    assignee: User,
    working_days: int,
    instructions: str = "",
) -> Assignment:
    """Phân công: a person of the agency handles it within ``working_days`` (04)."""
    permissions.require(permissions.incoming_assign(actor, document))
    document = _locked(document, S.REGISTERED, S.ASSIGNED, S.IN_PROGRESS)
    if not assignee.memberships.filter(agency=document.agency, revoked_at__isnull=True).exists():
        raise invalid("assignee", "not_member", _("Người xử lý phải thuộc cơ quan."))
    if not 1 <= working_days <= 90:
        raise invalid("working_days", "out_of_range", _("Thời hạn từ 1 đến 90 ngày làm việc."))
    from thudo.core.calendar import get_calendar

    due = get_calendar().add_working_days(_today(), working_days)
    assignment = Assignment.objects.create(
        document=document,
        assignee=assignee,
        assigned_by=_saved(actor),
        instructions=instructions.strip(),
        working_days=working_days,
        due_on=due,
    )
    if document.status == S.REGISTERED:
        document.status = S.ASSIGNED
        document.save(update_fields=["status", "updated_at"])
    _status_change(
        document,
        "04",
        actor,
        "assign",
        note=_("%(who)s, hạn %(due)s")
        % {"who": assignee.full_name or assignee.get_username(), "due": due.strftime("%d/%m/%Y")},
    )
    return assignment


@transaction.atomic
def assignment_progress(
    *, actor: User | None, assignment: Assignment, note: str = ""
) -> Assignment:
    permissions.require(permissions.assignment_progress(actor, assignment))
    document = _locked(assignment.document, S.ASSIGNED, S.IN_PROGRESS)
    if document.status == S.ASSIGNED:
        document.status = S.IN_PROGRESS
        document.save(update_fields=["status", "updated_at"])
        _status_change(document, "05", actor, "progress", note=note)
    else:
        _trail(document, "progress", actor, note=note)
    return assignment


@transaction.atomic
def assignment_complete(*, actor: User | None, assignment: Assignment, result: str) -> Assignment:
    """Hoàn thành: the assignee reports the result; the document is done (06) when every
    assignment is."""
    permissions.require(permissions.assignment_complete(actor, assignment))
    if not (result or "").strip():
        raise invalid("result", "required", _("Ghi kết quả xử lý."))
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.status == Assignment.Status.DONE:
        raise Conflict(_("Việc này đã hoàn thành."))
    document = _locked(assignment.document, S.ASSIGNED, S.IN_PROGRESS)
    assignment.status = Assignment.Status.DONE
    assignment.done_at = timezone.now()
    assignment.result = result.strip()
    assignment.save(update_fields=["status", "done_at", "result"])
    if not document.assignments.filter(status=Assignment.Status.OPEN).exists():
        document.status = S.DONE
        document.save(update_fields=["status", "updated_at"])
        _status_change(document, "06", actor, "done", note=result.strip())
    else:
        _trail(document, "assignment_done", actor, note=result.strip())
    return assignment
