"""Documents API (quản lý văn bản và điều hành): list and search, one document, drafting,
review, signing, issue; incoming documents accepted, returned, assigned; the PDF.

Thin endpoints: a schema in, one service or selector call, a schema out. Signing is not
wrapped in a transaction of ours: a wrong PIN must stay counted.
"""

from datetime import date
from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from thudo.core.auth import AuthedRequest
from thudo.core.errors import NotFound, PermissionDenied
from thudo.core.models import User
from thudo.core.pagination import Pagination
from thudo.core.rules import is_official
from thudo.documents import selectors, services
from thudo.documents.schemas import (
    AssignIn,
    AssignmentOut,
    CompleteIn,
    Direction,
    DocumentDetailOut,
    DocumentOut,
    DocumentStatus,
    DraftIn,
    ResendOut,
    ReturnIn,
    ReviewIn,
    SignIn,
)

router = Router(tags=["documents"])

PDF_RESPONSE = {
    "responses": {
        200: {
            "description": "The document's PDF (signed once issued)",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}
HEAVY = ("pdf", "package_xml", "body", "search_text")


def _official(request: AuthedRequest) -> User:
    if not is_official(request.user):
        raise PermissionDenied(_("Chỉ cán bộ, công chức được dùng chức năng này."))
    return request.user


def _document(request: AuthedRequest, document_id: int) -> Any:
    return selectors.document_get_for_user(user=_official(request), pk=document_id)


@router.get("", response=list[DocumentOut], summary="My agencies' documents, filtered and searched")
@paginate(Pagination)
def document_list(
    request: AuthedRequest,
    direction: Direction | None = None,
    status: DocumentStatus | None = None,
    q: str | None = Query(
        None, max_length=200, description="number, summary or text; accents optional"
    ),
    type_code: str | None = Query(None, max_length=4),
    sender: str | None = Query(None, max_length=100),
    since: date | None = None,
    until: date | None = None,
) -> Any:
    user = _official(request)
    return (
        selectors.document_list_for_user(
            user=user,
            direction=direction,
            status=status,
            q=q,
            type_code=type_code,
            sender=sender,
            since=since,
            until=until,
        )
        .defer(*HEAVY)
        .prefetch_related("recipients")
    )


@router.get("/assignments", response=list[AssignmentOut], summary="Incoming documents given to me")
@paginate(Pagination)
def assignment_list(request: AuthedRequest, open_only: bool = True) -> Any:
    user = _official(request)
    return selectors.assignments_of(user=user, open_only=open_only).select_related(
        "assignee", "assigned_by"
    )


@router.post(
    "/assignments/{int:assignment_id}/complete",
    response=AssignmentOut,
    summary="Report the result of an assignment (06 when every assignment is done)",
)
def assignment_complete(request: AuthedRequest, assignment_id: int, payload: CompleteIn) -> Any:
    actor = _official(request)
    assignment = selectors.assignment_get_for_user(user=actor, pk=assignment_id)
    return services.assignment_complete(actor=actor, assignment=assignment, result=payload.result)


@router.post("", response={201: DocumentDetailOut}, summary="Draft an outgoing document")
def document_draft(request: AuthedRequest, payload: DraftIn) -> Any:
    actor = _official(request)
    agency = selectors.agency_get_for_user(user=actor, code=payload.agency_code)
    signer = (
        selectors.member_get(agency=agency, username=payload.signer) if payload.signer else None
    )
    document = services.document_draft(
        actor=actor,
        agency=agency,
        data=services.DraftInput(
            type_code=payload.type_code,
            summary=payload.summary,
            body=payload.body,
            recipients=payload.recipients,
            confidential=payload.confidential,
            urgency=payload.urgency,
            signer_authority=payload.signer_authority,
            signer_position=payload.signer_position,
            signer_id=signer.pk if signer is not None else None,
        ),
    )
    return Status(201, document)


@router.get("/{int:document_id}", response=DocumentDetailOut, summary="One document")
def document_get(request: AuthedRequest, document_id: int) -> Any:
    return _document(request, document_id)


@router.get(
    "/{int:document_id}/pdf",
    response={200: None},
    summary="The document's PDF",
    openapi_extra=PDF_RESPONSE,
)
def document_pdf(request: AuthedRequest, document_id: int) -> HttpResponse:
    document = _document(request, document_id)
    if not document.pdf:
        raise NotFound(_("Văn bản chưa có bản PDF."))
    response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
    name = (document.notation or f"du-thao-{document.pk}").replace("/", "_") + ".pdf"
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Cache-Control"] = "private, no-store"
    return response


@router.post(
    "/{int:document_id}/submit", response=DocumentDetailOut, summary="Submit a draft for review"
)
def document_submit(request: AuthedRequest, document_id: int) -> Any:
    document = _document(request, document_id)
    return services.document_submit(actor=request.user, document=document)


@router.post(
    "/{int:document_id}/review",
    response=DocumentDetailOut,
    summary="Approve a draft, or return it with a note",
)
def document_review(request: AuthedRequest, document_id: int, payload: ReviewIn) -> Any:
    document = _document(request, document_id)
    return services.document_review(
        actor=request.user, document=document, approve=payload.approve, note=payload.note
    )


@router.post(
    "/{int:document_id}/sign",
    response=DocumentDetailOut,
    summary="Sign an approved document (PAdES) with my personal certificate and its PIN",
)
def document_sign(request: AuthedRequest, document_id: int, payload: SignIn) -> Any:
    document = _document(request, document_id)
    return services.document_sign(
        actor=request.user, document=document, serial=payload.serial, pin=payload.pin
    )


@router.post(
    "/{int:document_id}/issue",
    response=DocumentDetailOut,
    summary="Number, date, seal and send a signed document",
)
def document_issue(request: AuthedRequest, document_id: int) -> Any:
    document = _document(request, document_id)
    return services.document_issue(actor=request.user, document=document)


@router.post(
    "/{int:document_id}/resend",
    response=ResendOut,
    summary="Send again to the recipients whose delivery failed",
)
def document_resend(request: AuthedRequest, document_id: int) -> Any:
    document = _document(request, document_id)
    return {"resent": services.document_resend(actor=request.user, document=document)}


@router.post(
    "/{int:document_id}/accept",
    response=DocumentDetailOut,
    summary="Accept and register an incoming document (03)",
)
def incoming_accept(request: AuthedRequest, document_id: int) -> Any:
    document = _document(request, document_id)
    return services.incoming_accept(actor=request.user, document=document)


@router.post(
    "/{int:document_id}/return",
    response=DocumentDetailOut,
    summary="Send a wrongly addressed document back to its sender (02)",
)
def incoming_return(request: AuthedRequest, document_id: int, payload: ReturnIn) -> Any:
    document = _document(request, document_id)
    return services.incoming_return(actor=request.user, document=document, reason=payload.reason)


@router.post(
    "/{int:document_id}/assign",
    response={201: AssignmentOut},
    summary="Give an incoming document to an official with a deadline (04)",
)
def incoming_assign(request: AuthedRequest, document_id: int, payload: AssignIn) -> Any:
    document = _document(request, document_id)
    assignment = services.incoming_assign(
        actor=request.user,
        document=document,
        assignee=selectors.member_get(agency=document.agency, username=payload.assignee),
        working_days=payload.working_days,
        instructions=payload.instructions,
    )
    return Status(201, assignment)
