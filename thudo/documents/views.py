"""Officials' pages of the documents module (quản lý văn bản và điều hành): the list of
outgoing and incoming documents and of my assignments, with live search; drafting; one
document's page with its trail, recipients, signatures and the actions its reader may take.

Each action is a form in, one service call, the page (or, for htmx, its ``#document``
fragment) out. Fragments showing a form's errors are answered with 200 to htmx, which does
not swap 4xx responses; full pages carry the error status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from thudo.core.auth import AuthedRequest
from thudo.core.errors import ApplicationError, NotFound, PermissionDenied
from thudo.core.models import Agency
from thudo.core.pages import htmx_status, is_htmx, official_or_404
from thudo.documents import permissions, selectors, services
from thudo.documents.contracts import STATUS_CODES
from thudo.documents.forms import (
    AUTHORITY_SUGGESTIONS,
    POSITION_SUGGESTIONS,
    AssignForm,
    CompleteForm,
    DraftForm,
    ProgressForm,
    ReasonForm,
    ReviewForm,
    SearchForm,
    SignForm,
    apply_error,
    draft_initial,
)
from thudo.documents.models import Assignment, Document, Recipient
from thudo.signing import facade as signing

PAGE_SIZE = 50
# Never read for a list: the PDF, the edXML package and the texts can be megabytes a row.
HEAVY = ("pdf", "package_xml", "body", "search_text")
S = Document.Status

TRAIL_LABELS = {
    "draft": gettext_lazy("Tạo dự thảo"),
    "update": gettext_lazy("Sửa dự thảo"),
    "attach": gettext_lazy("Đính kèm tệp"),
    "submit": gettext_lazy("Trình duyệt"),
    "approve": gettext_lazy("Duyệt dự thảo"),
    "return": gettext_lazy("Trả lại để sửa"),
    "sign": gettext_lazy("Lãnh đạo ký số"),
    "issue": gettext_lazy("Cấp số, đóng dấu và phát hành"),
    "delivered": gettext_lazy("Đã gửi đến nơi nhận"),
    "delivery_failed": gettext_lazy("Gửi không được"),
    "resend": gettext_lazy("Gửi lại"),
    "status": gettext_lazy("Nơi nhận báo trạng thái xử lý"),
    "arrive": gettext_lazy("Văn bản đến qua trục liên thông"),
    "accept": gettext_lazy("Tiếp nhận, vào sổ văn bản đến"),
    "reject": gettext_lazy("Trả lại nơi gửi"),
    "assign": gettext_lazy("Phân công xử lý"),
    "progress": gettext_lazy("Cập nhật tiến độ"),
    "assignment_done": gettext_lazy("Người được giao báo hoàn thành"),
    "done": gettext_lazy("Hoàn thành xử lý"),
    "status_retry": gettext_lazy("Gửi lại trạng thái cho nơi gửi"),
}


# --- the list ------------------------------------------------------------------------------


@require_GET
def document_list(request: AuthedRequest) -> HttpResponse:
    user = official_or_404(request)
    form = SearchForm(request.GET)
    filters = form.filters()
    today = timezone.localdate()
    if form.tab == "mine":
        done = bool(form.is_valid() and form.cleaned_data.get("done"))
        found: Any = selectors.assignments_of(user=user, open_only=not done).defer(
            *(f"document__{name}" for name in HEAVY)
        )
    else:
        found = (
            selectors.document_list_for_user(user=user, direction=form.tab, **filters)
            .defer(*HEAVY)
            .prefetch_related("recipients")
        )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    if form.tab == "mine":
        for assignment in page:
            late = (today - assignment.due_on).days
            assignment.days_late = late if assignment.status == Assignment.Status.OPEN else None
    template = "documents/list.html"
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        template += "#results"
    return render(
        request,
        template,
        {"form": form, "tab": form.tab, "page": page, "q": filters.get("q", ""), "today": today},
    )


# --- drafting ------------------------------------------------------------------------------


def _drafting_agency(request: AuthedRequest, code: str | None) -> tuple[Agency, list[Agency]]:
    agencies = selectors.agencies_of(user=request.user)
    if not agencies:
        raise PermissionDenied(_("Bạn chưa thuộc cơ quan nào nên chưa soạn được văn bản."))
    chosen = next((a for a in agencies if a.code == code), agencies[0])
    return chosen, agencies


def _draft_form(agency: Agency, *args: Any, **kwargs: Any) -> DraftForm:
    return DraftForm(
        *args,
        recipients=selectors.recipient_agencies(agency=agency),
        signers=selectors.leaders_of(agency=agency),
        **kwargs,
    )


def _draft_input(form: DraftForm) -> services.DraftInput:
    data = form.cleaned_data
    return services.DraftInput(
        type_code=data["type_code"],
        summary=data["summary"],
        body=data["body"],
        recipients=data["recipients"],
        confidential=data["confidential"],
        urgency=data["urgency"],
        signer_authority=data["signer_authority"],
        signer_position=data["signer_position"],
        signer_id=data["signer"],
    )


def _attach_all(actor: Any, document: Document, form: DraftForm) -> None:
    for uploaded in form.cleaned_data["attachments"]:
        uploaded.seek(0)
        services.document_attach(
            actor=actor,
            document=document,
            name=uploaded.name or "",
            content_type=uploaded.content_type or "",
            content=b"".join(uploaded.chunks()),
        )


def _render_form(
    request: AuthedRequest,
    form: DraftForm,
    *,
    agency: Agency,
    agencies: list[Agency],
    document: Document | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "documents/form.html",
        {
            "form": form,
            "agency": agency,
            "agencies": agencies,
            "document": document,
            "attachments": list(document.attachments.defer("content")) if document else [],
            "authority_suggestions": AUTHORITY_SUGGESTIONS,
            "position_suggestions": POSITION_SUGGESTIONS,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def document_new(request: AuthedRequest) -> HttpResponse:
    actor = official_or_404(request)
    code = request.POST.get("agency") if request.method == "POST" else request.GET.get("agency")
    agency, agencies = _drafting_agency(request, code)
    if request.method != "POST":
        form = _draft_form(agency)
        return _render_form(request, form, agency=agency, agencies=agencies)
    form = _draft_form(agency, request.POST, request.FILES)
    status = 422
    if form.is_valid():
        try:
            # The draft and its files are one piece of work: a refused file refuses it all.
            with transaction.atomic():
                document = services.document_draft(
                    actor=actor, agency=agency, data=_draft_input(form)
                )
                _attach_all(actor, document, form)
        except ApplicationError as exc:
            apply_error(form, exc, aliases={"file": "attachments", "signer_id": "signer"})
            status = exc.status
        else:
            messages.success(request, _("Đã lưu dự thảo."))
            return redirect("documents:detail", pk=document.pk)
    return _render_form(request, form, agency=agency, agencies=agencies, status=status)


@require_http_methods(["GET", "POST"])
def document_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    actor = official_or_404(request)
    document = selectors.document_get_for_user(user=actor, pk=pk)
    if document.direction != "out" or document.status not in (S.DRAFT, S.RETURNED):
        raise NotFound(_("Văn bản này không còn sửa được."))
    if not permissions.document_update(actor, document):
        raise PermissionDenied()
    agency = document.agency
    if request.method != "POST":
        form = _draft_form(agency, initial=draft_initial(document))
        return _render_form(request, form, agency=agency, agencies=[agency], document=document)
    form = _draft_form(agency, request.POST, request.FILES)
    status = 422
    if form.is_valid():
        try:
            with transaction.atomic():
                document = services.document_update(
                    actor=actor, document=document, data=_draft_input(form)
                )
                _attach_all(actor, document, form)
        except ApplicationError as exc:
            apply_error(form, exc, aliases={"file": "attachments", "signer_id": "signer"})
            status = exc.status
        else:
            messages.success(request, _("Đã lưu thay đổi của dự thảo."))
            return redirect("documents:detail", pk=document.pk)
    return _render_form(
        request, form, agency=agency, agencies=[agency], document=document, status=status
    )


# --- one document --------------------------------------------------------------------------


@dataclass(frozen=True)
class TrailRow:
    at: Any
    label: str
    actor: str
    note: str
    code: str
    code_label: str


def _trail(document: Document) -> list[TrailRow]:
    return [
        TrailRow(
            at=event.at,
            label=str(TRAIL_LABELS.get(event.action, event.action)),
            actor=event.actor_name or (_("Hệ thống") if event.actor_id is None else ""),
            note=event.note,
            code=event.status_code,
            code_label=STATUS_CODES.get(event.status_code, ""),
        )
        for event in document.trail.all()
    ]


def _can(user: Any, document: Document, recipients: list[Recipient]) -> dict[str, bool]:
    """What the reader may do now: the same checks as the services, which make them again."""
    status = document.status
    can: dict[str, bool] = {}
    if document.direction == "out":
        editable = status in (S.DRAFT, S.RETURNED)
        can["edit"] = editable and permissions.document_update(user, document)
        can["submit"] = can["edit"] and permissions.document_submit(user, document)
        can["review"] = status == S.REVIEW and permissions.document_review(user, document)
        can["sign"] = (
            status == S.APPROVED
            and document.signer_id == user.pk
            and permissions.document_sign(user, document)
        )
        can["issue"] = status == S.SIGNED and permissions.document_issue(user, document)
        failed = any(r.delivery == Recipient.Delivery.FAILED for r in recipients)
        can["resend"] = (
            status == S.ISSUED and failed and permissions.document_resend(user, document)
        )
    else:
        received = status == S.RECEIVED
        can["accept"] = received and permissions.incoming_accept(user, document)
        can["return"] = received and permissions.incoming_return(user, document)
        can["assign"] = status in (
            S.REGISTERED,
            S.ASSIGNED,
            S.IN_PROGRESS,
        ) and permissions.incoming_assign(user, document)
    return can


def _personal_certificates(user: Any) -> list[signing.CertificateInfo]:
    return [c for c in signing.certificates_of(user=user) if c.profile != "seal"]


def _detail_context(request: AuthedRequest, document: Document, **extra: Any) -> dict[str, Any]:
    user = request.user
    recipients = list(document.recipients.all())
    assignments = list(document.assignments.select_related("assignee", "assigned_by"))
    can = _can(user, document, recipients)
    mine = [
        a
        for a in assignments
        if a.status == Assignment.Status.OPEN and permissions.assignment_complete(user, a)
    ]
    forms: dict[str, Any] = extra.pop("forms", {})
    if can.get("review"):
        forms.setdefault("review", ReviewForm(prefix="review"))
    if can.get("sign"):
        forms.setdefault("sign", SignForm(prefix="sign", certificates=_personal_certificates(user)))
    if can.get("return"):
        forms.setdefault("return", ReasonForm(prefix="return"))
    if can.get("assign"):
        forms.setdefault(
            "assign",
            AssignForm(prefix="assign", members=selectors.members_of(agency=document.agency)),
        )
    rows = []
    for assignment in assignments:
        own = assignment in mine
        progress, complete = f"progress-{assignment.pk}", f"complete-{assignment.pk}"
        if own:
            forms.setdefault(progress, ProgressForm(prefix=progress))
            forms.setdefault(complete, CompleteForm(prefix=complete))
        late = (timezone.localdate() - assignment.due_on).days
        rows.append(
            {
                "a": assignment,
                "own": own,
                "progress": forms.get(progress),
                "complete": forms.get(complete),
                "days_late": late if assignment.status == Assignment.Status.OPEN else None,
            }
        )
    pdf = bytes(document.pdf or b"")
    return {
        "document": document,
        "recipients": recipients,
        "attachments": list(document.attachments.defer("content")),
        "assignments": rows,
        "trail": _trail(document),
        "can": can,
        "forms": forms,
        "has_pdf": bool(pdf),
        "report": signing.validate_pdf(pdf) if pdf else None,
        **extra,
    }


def _render_detail(
    request: AuthedRequest, document: Document, *, status: int = 200, **extra: Any
) -> HttpResponse:
    template = "documents/detail.html"
    if is_htmx(request):
        template += "#document"
    return render(
        request,
        template,
        _detail_context(request, document, **extra),
        status=htmx_status(request, status),
    )


@require_GET
def document_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = official_or_404(request)
    document = selectors.document_get_for_user(user=user, pk=pk)
    return _render_detail(request, document)


def _done(request: AuthedRequest, pk: int, notice: str) -> HttpResponse:
    if is_htmx(request):
        document = selectors.document_get_for_user(user=request.user, pk=pk)
        return _render_detail(request, document, notice=notice)
    messages.success(request, notice)
    return redirect("documents:detail", pk=pk)


def _failed(
    request: AuthedRequest, pk: int, exc: ApplicationError | None, **forms: Any
) -> HttpResponse:
    """The page again, with the service's error on its form (or at the top)."""
    document = selectors.document_get_for_user(user=request.user, pk=pk)
    error = None
    if exc is not None and not forms:
        error = str(exc.message)
    return _render_detail(
        request,
        document,
        status=exc.status if exc is not None else 422,
        forms=forms,
        error=error,
    )


def _refused(
    request: AuthedRequest, pk: int, exc: ApplicationError, form: Any, **forms: Any
) -> HttpResponse:
    """The service's error on the form when it is about one of its fields, otherwise at
    the top of the page (the form may be gone: the document has moved on)."""
    if apply_error(form, exc, fallback=False):
        return _failed(request, pk, exc, **forms)
    return _failed(request, pk, exc)


def _simple(request: AuthedRequest, pk: int, action: Any, notice: Any) -> HttpResponse:
    """An action without a form: one button."""
    actor = official_or_404(request)
    document = selectors.document_get_for_user(user=actor, pk=pk)
    try:
        action(actor, document)
    except ApplicationError as exc:
        return _failed(request, pk, exc)
    return _done(request, pk, str(notice))


@require_POST
def document_submit(request: AuthedRequest, pk: int) -> HttpResponse:
    return _simple(
        request,
        pk,
        lambda actor, document: services.document_submit(actor=actor, document=document),
        _("Đã trình lãnh đạo duyệt."),
    )


@require_POST
def document_review(request: AuthedRequest, pk: int) -> HttpResponse:
    actor = official_or_404(request)
    document = selectors.document_get_for_user(user=actor, pk=pk)
    form = ReviewForm(request.POST, prefix="review")
    if not form.is_valid():
        return _failed(request, pk, None, review=form)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        services.document_review(
            actor=actor, document=document, approve=approve, note=form.cleaned_data["note"]
        )
    except ApplicationError as exc:
        return _refused(request, pk, exc, form, review=form)
    return _done(
        request, pk, _("Đã duyệt dự thảo.") if approve else _("Đã trả lại dự thảo để sửa.")
    )


@require_POST
def document_sign(request: AuthedRequest, pk: int) -> HttpResponse:
    actor = official_or_404(request)
    document = selectors.document_get_for_user(user=actor, pk=pk)
    form = SignForm(request.POST, prefix="sign", certificates=_personal_certificates(actor))
    if not form.is_valid():
        return _failed(request, pk, None, sign=form)
    try:
        # Not inside a transaction of ours: a wrong PIN must stay counted.
        services.document_sign(
            actor=actor,
            document=document,
            serial=form.cleaned_data["serial"],
            pin=form.cleaned_data["pin"],
        )
    except ApplicationError as exc:
        return _refused(request, pk, exc, form, sign=form)
    return _done(request, pk, _("Đã ký số văn bản; chờ văn thư phát hành."))


@require_POST
def document_issue(request: AuthedRequest, pk: int) -> HttpResponse:
    return _simple(
        request,
        pk,
        lambda actor, document: services.document_issue(actor=actor, document=document),
        _("Đã cấp số, đóng dấu và phát hành văn bản."),
    )


@require_POST
def document_resend(request: AuthedRequest, pk: int) -> HttpResponse:
    return _simple(
        request,
        pk,
        lambda actor, document: services.document_resend(actor=actor, document=document),
        _("Đã gửi lại cho các nơi nhận gửi không được."),
    )


@require_POST
def incoming_accept(request: AuthedRequest, pk: int) -> HttpResponse:
    return _simple(
        request,
        pk,
        lambda actor, document: services.incoming_accept(actor=actor, document=document),
        _("Đã tiếp nhận và vào sổ văn bản đến."),
    )


@require_POST
def incoming_return(request: AuthedRequest, pk: int) -> HttpResponse:
    actor = official_or_404(request)
    document = selectors.document_get_for_user(user=actor, pk=pk)
    form = ReasonForm(request.POST, prefix="return")
    if not form.is_valid():
        return _failed(request, pk, None, **{"return": form})
    try:
        services.incoming_return(actor=actor, document=document, reason=form.cleaned_data["reason"])
    except ApplicationError as exc:
        return _refused(request, pk, exc, form, **{"return": form})
    return _done(request, pk, _("Đã trả lại văn bản cho nơi gửi."))


@require_POST
def incoming_assign(request: AuthedRequest, pk: int) -> HttpResponse:
    actor = official_or_404(request)
    document = selectors.document_get_for_user(user=actor, pk=pk)
    members = selectors.members_of(agency=document.agency)
    form = AssignForm(request.POST, prefix="assign", members=members)
    if not form.is_valid():
        return _failed(request, pk, None, assign=form)
    data = form.cleaned_data
    try:
        services.incoming_assign(
            actor=actor,
            document=document,
            assignee=selectors.member_get(agency=document.agency, pk=data["assignee"]),
            working_days=data["working_days"],
            instructions=data["instructions"],
        )
    except ApplicationError as exc:
        return _refused(request, pk, exc, form, assign=form)
    return _done(request, pk, _("Đã phân công xử lý."))


def _assignment_action(request: AuthedRequest, pk: int, kind: str) -> HttpResponse:
    actor = official_or_404(request)
    assignment = selectors.assignment_get_for_user(user=actor, pk=pk)
    document_pk = assignment.document_id
    prefix = f"{kind}-{assignment.pk}"
    form: ProgressForm | CompleteForm = (
        ProgressForm(request.POST, prefix=prefix)
        if kind == "progress"
        else CompleteForm(request.POST, prefix=prefix)
    )
    if not form.is_valid():
        return _failed(request, document_pk, None, **{prefix: form})
    try:
        if kind == "progress":
            services.assignment_progress(
                actor=actor, assignment=assignment, note=form.cleaned_data["note"]
            )
        else:
            services.assignment_complete(
                actor=actor, assignment=assignment, result=form.cleaned_data["result"]
            )
    except ApplicationError as exc:
        return _refused(request, document_pk, exc, form, **{prefix: form})
    notice = _("Đã ghi tiến độ.") if kind == "progress" else _("Đã báo hoàn thành việc được giao.")
    return _done(request, document_pk, notice)


@require_POST
def assignment_progress(request: AuthedRequest, pk: int) -> HttpResponse:
    return _assignment_action(request, pk, "progress")


@require_POST
def assignment_complete(request: AuthedRequest, pk: int) -> HttpResponse:
    return _assignment_action(request, pk, "complete")


# --- files ---------------------------------------------------------------------------------


def _file_name(document: Document) -> str:
    stem = document.notation.replace("/", "_") if document.notation else f"du-thao-{document.pk}"
    return f"{stem}.pdf"


@require_GET
def document_pdf(request: AuthedRequest, pk: int) -> HttpResponse:
    user = official_or_404(request)
    document = selectors.document_get_for_user(user=user, pk=pk)
    if not document.pdf:
        raise NotFound(_("Văn bản chưa có bản PDF."))
    response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
    inline = request.GET.get("download") != "1"
    response["Content-Disposition"] = (
        content_disposition_header(not inline, _file_name(document)) or "inline"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def attachment_download(request: AuthedRequest, pk: int, attachment_pk: int) -> HttpResponse:
    user = official_or_404(request)
    attachment = selectors.attachment_get_for_user(user=user, document_pk=pk, pk=attachment_pk)
    response = HttpResponse(bytes(attachment.content), content_type=attachment.content_type)
    # Always as a download: an uploaded file is never rendered by our origin.
    response["Content-Disposition"] = content_disposition_header(True, attachment.name)
    response["Cache-Control"] = "private, no-store"
    return response
