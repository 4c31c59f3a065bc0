"""Officials' pages of the public-services module (một cửa điện tử): the queues of an
agency's dossiers, one dossier with the actions its reader may take, counter mode (a
paper dossier typed in at the desk) and the service index of Decision 766.

Each action is a form in, one service call, the page (or, for htmx, its ``#dossier``
fragment) out. Fragments showing a form's errors are answered with 200 to htmx, which
does not swap 4xx responses; full pages carry the error status. A refused permission is
the 403 page: nobody who may not act is shown the button.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from thudo.core.auth import AuthedRequest
from thudo.core.errors import ApplicationError, NotFound, PermissionDenied
from thudo.core.models import Agency, User
from thudo.core.pages import htmx_status, is_htmx
from thudo.core.rules import is_official
from thudo.procedures import index as service_index
from thudo.procedures import lifecycle, permissions, selectors, services
from thudo.procedures.contracts import ACTION_LABELS, STATUS_LABELS, Status
from thudo.procedures.forms_console import (
    AgencyPicker,
    CounterStartForm,
    IndexForm,
    PostponeForm,
    ReasonForm,
    SignForm,
    TaskForm,
    apply_error,
)
from thudo.procedures.forms_portal import DossierForm
from thudo.procedures.models import Dossier, DossierFile, Procedure, Task
from thudo.signing import facade as signing

PAGE_SIZE = 50
# Never read for a list: PDFs and the serialised process can be large.
HEAVY = ("receipt_pdf", "result_pdf", "workflow")
S = Status
OPEN_TASKS = (Task.State.READY, Task.State.CLAIMED)
# The states in which the process's tasks are worked (services.task_complete).
WORKING = (S.PROCESSING, S.SIGNING, S.RESULT_READY)

QUEUE_LABELS = {
    "mine": gettext_lazy("Việc của tôi"),
    "waiting": gettext_lazy("Chờ tiếp nhận"),
    "received_today": gettext_lazy("Tiếp nhận hôm nay"),
    "due_soon": gettext_lazy("Sắp đến hạn"),
    "late": gettext_lazy("Quá hạn"),
    "signing": gettext_lazy("Chờ ký"),
    "result": gettext_lazy("Chờ trả kết quả"),
    "all": gettext_lazy("Tất cả"),
}
TAB_ORDER = ("mine", "waiting", "received_today", "due_soon", "late", "signing", "result", "all")
APPLICANT_LABELS = {
    "full_name": gettext_lazy("Họ, chữ đệm, tên"),
    "personal_id": gettext_lazy("Số định danh cá nhân"),
    "birth_date": gettext_lazy("Ngày, tháng, năm sinh"),
    "sex": gettext_lazy("Giới tính"),
    "address": gettext_lazy("Nơi thường trú"),
}
SEX_LABELS = {"male": gettext_lazy("Nam"), "female": gettext_lazy("Nữ")}
TIMELINESS_LABELS = {
    "early": gettext_lazy("Giải quyết trước hạn"),
    "on_time": gettext_lazy("Giải quyết đúng hạn"),
    "late": gettext_lazy("Quá hạn"),
    "in_time": gettext_lazy("Trong hạn"),
}


def _official(request: AuthedRequest) -> User:
    if not is_official(request.user):
        raise PermissionDenied(_("Trang này dành cho cán bộ, công chức."))
    return request.user


def _agencies(user: User) -> list[Agency]:
    seen: dict[int, Agency] = {}
    for agency in selectors.agencies_of(user):
        seen.setdefault(agency.pk, agency)
    return list(seen.values())


# --- the queues ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    dossier: Dossier
    late: bool
    tasks: list[tuple[Task, str]]  # open tasks with their role's name


@require_GET
def console(request: AuthedRequest) -> HttpResponse:
    user = _official(request)
    agencies = _agencies(user)
    if not agencies:
        raise PermissionDenied(_("Bạn chưa thuộc cơ quan nào nên chưa có hồ sơ để xử lý."))
    code = request.GET.get("agency", "")
    agency = next((a for a in agencies if a.code == code), agencies[0])
    tab = request.GET.get("tab", "")
    tab = tab if tab in selectors.QUEUES else "mine"
    now = timezone.now()
    found = (
        selectors.queue(user=user, agency=agency, name=tab, now=now)
        .defer(*HEAVY)
        .prefetch_related("tasks__assignee")
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for d in page:
        tasks = [(t, selectors.role_label(t.role)) for t in d.tasks.all() if t.state in OPEN_TASKS]
        rows.append(QueueRow(dossier=d, late=selectors.is_late(d, now), tasks=tasks))
    counts = selectors.queue_counts(user=user, agency=agency)
    tabs = [
        {
            "name": name,
            "label": QUEUE_LABELS[name],
            "count": counts[name],
            "url": "?" + urlencode({"agency": agency.code, "tab": name}),
        }
        for name in TAB_ORDER
    ]
    template = "procedures/console/list.html"
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        template += "#results"
    return render(
        request,
        template,
        {
            "agency": agency,
            "agencies": agencies,
            "picker": AgencyPicker(initial={"agency": agency.code}, agencies=agencies),
            "tab": tab,
            "tab_label": QUEUE_LABELS[tab],
            "tabs": tabs,
            "page": page,
            "rows": rows,
            "can_counter": any(permissions.dossier_start_at_counter(user, a) for a in agencies),
        },
    )


# --- one dossier -----------------------------------------------------------------------------


def _dossier(user: User, code: str) -> Dossier:
    dossier = selectors.dossier_get_for_user(user=user, code=code)
    if dossier is None or dossier.status == S.DRAFT:
        raise NotFound(_("Không có hồ sơ này, hoặc bạn không được xem hồ sơ này."))
    return dossier


@dataclass(frozen=True)
class EventRow:
    at: Any
    label: str
    actor: str
    note: str
    status: str


@dataclass(frozen=True)
class TaskRow:
    task: Task
    role: str
    can_claim: bool
    form: TaskForm | None


def _can(user: User, dossier: Dossier) -> dict[str, bool]:
    """What the reader may do now: the same checks as the services, which make them again."""

    def may(action: str, check: Callable[[Any, Dossier], bool]) -> bool:
        return lifecycle.allowed(dossier, action) and check(user, dossier)

    unpaid = dossier.fee_status == Dossier.FeeStatus.UNPAID
    return {
        "receive": may("receive", permissions.dossier_receive),
        "supplement": may("request_supplement", permissions.dossier_request_supplement),
        "reject": may("reject", permissions.dossier_reject),
        "stop": may("stop", permissions.dossier_stop),
        "postpone": may("postpone", permissions.dossier_postpone),
        "sign": may("sign", permissions.dossier_sign),
        "return": may("return", permissions.dossier_return) and not unpaid,
        "pay": unpaid
        and dossier.status not in (S.REJECTED, S.WITHDRAWN)
        and permissions.dossier_pay_at_counter(user, dossier),
    }


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return _("Có") if value else _("Không")
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def _form_rows(dossier: Dossier) -> list[tuple[str, str]]:
    properties = dossier.version.form_schema.get("properties", {})
    data = dossier.form_data or {}
    rows = []
    for name, spec in properties.items():
        if name in data and data[name] not in ("", None, [], {}):
            value = data[name]
            titles = spec.get("enumTitles") or []
            if "enum" in spec and value in spec["enum"] and titles:
                value = titles[spec["enum"].index(value)]
            for option in spec.get("oneOf") or []:
                if option.get("const") == value and option.get("title"):
                    value = option["title"]
            rows.append((str(spec.get("title", name)), _value(value)))
    rows += [(k, _value(v)) for k, v in data.items() if k not in properties]
    return rows


def _timeline(dossier: Dossier) -> list[EventRow]:
    rows = []
    for event in selectors.timeline(dossier):
        actor = ""
        if event.actor is not None:
            actor = event.actor.full_name or event.actor.get_username()
        elif event.actor_id is None:
            actor = _("Hệ thống")
        status = ""
        if event.to_status and event.to_status != event.from_status:
            status = str(STATUS_LABELS.get(Status(event.to_status), event.to_status))
        rows.append(
            EventRow(
                at=event.at,
                label=str(ACTION_LABELS.get(event.action, event.action)),
                actor=actor,
                note=event.note,
                status=status,
            )
        )
    return rows


def _personal_certificates(user: User) -> list[signing.CertificateInfo]:
    return [c for c in signing.certificates_of(user=user) if c.profile != "seal"]


def _task_prefix(task: Task) -> str:
    return f"task-{task.pk}"


def _task_form(task: Task, *args: Any, prefix: str) -> TaskForm:
    # An approval task is approved by signing the result, not by this form.
    without = ("approve",) if task.spec in services.SIGN_TASKS else ()
    return TaskForm(*args, prefix=prefix, task=task, without=without)


def _detail_context(request: AuthedRequest, dossier: Dossier, **extra: Any) -> dict[str, Any]:
    user = request.user
    can = _can(user, dossier)
    forms: dict[str, Any] = extra.pop("forms", {})
    if can["supplement"]:
        forms.setdefault(
            "supplement",
            ReasonForm(prefix="supplement", label=gettext_lazy("Nội dung cần bổ sung")),
        )
    if can["reject"]:
        forms.setdefault(
            "reject", ReasonForm(prefix="reject", label=gettext_lazy("Lý do từ chối tiếp nhận"))
        )
    if can["stop"]:
        forms.setdefault(
            "stop", ReasonForm(prefix="stop", label=gettext_lazy("Lý do dừng giải quyết"))
        )
    if can["postpone"]:
        forms.setdefault("postpone", PostponeForm(prefix="postpone"))
    if can["sign"]:
        forms.setdefault("sign", SignForm(prefix="sign", certificates=_personal_certificates(user)))
    tasks = []
    for task in selectors.open_tasks(dossier):
        mine_or_free = task.state == Task.State.READY or task.assignee_id == user.pk
        may = dossier.status in WORKING and permissions.task_complete(user, task)
        may = may and task.spec != services.SUPPLEMENT_TASK
        prefix = _task_prefix(task)
        form = None
        if may and mine_or_free:
            form = forms.get(prefix) or _task_form(task, prefix=prefix)
        tasks.append(
            TaskRow(
                task=task,
                role=selectors.role_label(task.role),
                can_claim=may and task.state == Task.State.READY,
                form=form,
            )
        )
    files = list(dossier.files.defer("content").order_by("uploaded_at", "pk"))
    components = []
    for spec in dossier.version.components:
        attached = [
            f
            for f in files
            if f.kind == DossierFile.Kind.COMPONENT and f.component == spec.get("code")
        ]
        components.append({"spec": spec, "files": attached})
    result = bytes(dossier.result_pdf or b"")
    return {
        "dossier": dossier,
        "procedure": dossier.version.procedure,
        "status_label": STATUS_LABELS[Status(dossier.status)],
        "applicant": [
            (
                label,
                str(SEX_LABELS.get(dossier.applicant_data.get(k), ""))
                or _value(dossier.applicant_data.get(k)),
            )
            for k, label in APPLICANT_LABELS.items()
            if dossier.applicant_data.get(k)
        ],
        "form_rows": _form_rows(dossier),
        "components": components,
        "issued_forms": [f for f in files if f.kind == DossierFile.Kind.FORM],
        "timeliness": TIMELINESS_LABELS.get(selectors.timeliness(dossier), ""),
        "late": selectors.is_late(dossier),
        "timeline": _timeline(dossier),
        "tasks": tasks,
        "can": can,
        "forms": forms,
        "has_result": bool(result),
        "report": signing.validate_pdf(result) if result else None,
        **extra,
    }


def _render_detail(
    request: AuthedRequest, dossier: Dossier, *, status: int = 200, **extra: Any
) -> HttpResponse:
    template = "procedures/console/detail.html"
    if is_htmx(request):
        template += "#dossier"
    return render(
        request,
        template,
        _detail_context(request, dossier, **extra),
        status=htmx_status(request, status),
    )


@require_GET
def dossier(request: AuthedRequest, code: str) -> HttpResponse:
    user = _official(request)
    return _render_detail(request, _dossier(user, code))


def _done(request: AuthedRequest, code: str, notice: str) -> HttpResponse:
    if is_htmx(request):
        found = selectors.dossier_get_for_user(user=request.user, code=code)
        if found is not None:
            return _render_detail(request, found, notice=notice)
    messages.success(request, notice)
    if selectors.dossier_get_for_user(user=request.user, code=code) is None:
        return redirect("procedures:console")
    return redirect("procedures:dossier", code=code)


def _failed(
    request: AuthedRequest, code: str, exc: ApplicationError | None, **forms: Any
) -> HttpResponse:
    """The page again, with the service's error on its form (or at the top)."""
    if isinstance(exc, PermissionDenied):
        raise exc
    found = _dossier(request.user, code)
    error = str(exc.message) if exc is not None and not forms else None
    return _render_detail(
        request, found, status=exc.status if exc is not None else 422, forms=forms, error=error
    )


def _refused(
    request: AuthedRequest, code: str, exc: ApplicationError, form: Any, name: str
) -> HttpResponse:
    """The error on the form when it is about one of its fields, otherwise at the top
    (the form may be gone: the dossier has moved on)."""
    if apply_error(form, exc, aliases={"new_due_at": "new_due"}, fallback=False):
        return _failed(request, code, exc, **{name: form})
    return _failed(request, code, exc)


def _simple(
    request: AuthedRequest, code: str, action: Callable[[User, Dossier], Any], notice: Any
) -> HttpResponse:
    """An action without a form: one button."""
    actor = _official(request)
    found = _dossier(actor, code)
    try:
        action(actor, found)
    except ApplicationError as exc:
        return _failed(request, code, exc)
    return _done(request, code, str(notice))


def _with_reason(
    request: AuthedRequest,
    code: str,
    name: str,
    label: Any,
    action: Callable[[User, Dossier, str], Any],
    notice: Any,
) -> HttpResponse:
    actor = _official(request)
    found = _dossier(actor, code)
    form = ReasonForm(request.POST, prefix=name, label=label)
    if not form.is_valid():
        return _failed(request, code, None, **{name: form})
    try:
        action(actor, found, form.cleaned_data["reason"])
    except ApplicationError as exc:
        return _refused(request, code, exc, form, name)
    return _done(request, code, str(notice))


@require_POST
def dossier_receive(request: AuthedRequest, code: str) -> HttpResponse:
    return _simple(
        request,
        code,
        lambda actor, d: services.dossier_receive(actor=actor, dossier=d),
        gettext_lazy("Đã tiếp nhận hồ sơ; giấy tiếp nhận và hẹn trả kết quả (mẫu 01) đã lập."),
    )


@require_POST
def dossier_request_supplement(request: AuthedRequest, code: str) -> HttpResponse:
    return _with_reason(
        request,
        code,
        "supplement",
        gettext_lazy("Nội dung cần bổ sung"),
        lambda actor, d, reason: services.dossier_request_supplement(
            actor=actor, dossier=d, reason=reason
        ),
        gettext_lazy("Đã gửi yêu cầu bổ sung hồ sơ (mẫu 02)."),
    )


@require_POST
def dossier_reject(request: AuthedRequest, code: str) -> HttpResponse:
    return _with_reason(
        request,
        code,
        "reject",
        gettext_lazy("Lý do từ chối tiếp nhận"),
        lambda actor, d, reason: services.dossier_reject(actor=actor, dossier=d, reason=reason),
        gettext_lazy("Đã từ chối tiếp nhận hồ sơ (mẫu 03)."),
    )


@require_POST
def dossier_stop(request: AuthedRequest, code: str) -> HttpResponse:
    return _with_reason(
        request,
        code,
        "stop",
        gettext_lazy("Lý do dừng giải quyết"),
        lambda actor, d, reason: services.dossier_stop(actor=actor, dossier=d, reason=reason),
        gettext_lazy("Đã dừng giải quyết hồ sơ (mẫu 05)."),
    )


@require_POST
def dossier_postpone(request: AuthedRequest, code: str) -> HttpResponse:
    actor = _official(request)
    found = _dossier(actor, code)
    form = PostponeForm(request.POST, prefix="postpone")
    if not form.is_valid():
        return _failed(request, code, None, postpone=form)
    try:
        services.dossier_postpone(
            actor=actor,
            dossier=found,
            new_due=form.cleaned_data["new_due"],
            reason=form.cleaned_data["reason"],
        )
    except ApplicationError as exc:
        return _refused(request, code, exc, form, "postpone")
    return _done(request, code, _("Đã hẹn lại ngày trả kết quả (mẫu 04)."))


@require_POST
def dossier_pay(request: AuthedRequest, code: str) -> HttpResponse:
    return _simple(
        request,
        code,
        lambda actor, d: services.dossier_pay_at_counter(actor=actor, dossier=d),
        gettext_lazy("Đã ghi nhận nộp phí, lệ phí tại quầy."),
    )


@require_POST
def dossier_return(request: AuthedRequest, code: str) -> HttpResponse:
    return _simple(
        request,
        code,
        lambda actor, d: services.dossier_return(actor=actor, dossier=d),
        gettext_lazy("Đã trả kết quả; kết quả đã vào kho dữ liệu của công dân."),
    )


@require_POST
def dossier_sign(request: AuthedRequest, code: str) -> HttpResponse:
    actor = _official(request)
    found = _dossier(actor, code)
    form = SignForm(request.POST, prefix="sign", certificates=_personal_certificates(actor))
    if not form.is_valid():
        return _failed(request, code, None, sign=form)
    try:
        # Not inside a transaction of ours: a wrong PIN must stay counted.
        services.dossier_sign(
            actor=actor,
            dossier=found,
            serial=form.cleaned_data["serial"],
            pin=form.cleaned_data["pin"],
        )
    except ApplicationError as exc:
        return _refused(request, code, exc, form, "sign")
    return _done(request, code, _("Đã ký số và đóng dấu kết quả; chờ trả kết quả."))


def _task(dossier: Dossier, task_pk: int) -> Task:
    task = dossier.tasks.select_related("assignee", "agency").filter(pk=task_pk).first()
    if task is None:
        raise NotFound(_("Không có việc này."))
    task.dossier = dossier
    return task


@require_POST
def task_claim(request: AuthedRequest, code: str, task_pk: int) -> HttpResponse:
    actor = _official(request)
    found = _dossier(actor, code)
    task = _task(found, task_pk)
    try:
        services.task_claim(actor=actor, task=task)
    except ApplicationError as exc:
        return _failed(request, code, exc)
    return _done(request, code, _("Bạn đã nhận xử lý: %(t)s.") % {"t": task.name})


@require_POST
def task_complete(request: AuthedRequest, code: str, task_pk: int) -> HttpResponse:
    actor = _official(request)
    found = _dossier(actor, code)
    task = _task(found, task_pk)
    prefix = _task_prefix(task)
    form = _task_form(task, request.POST, prefix=prefix)
    if not form.is_valid():
        return _failed(request, code, None, **{prefix: form})
    try:
        services.task_complete(actor=actor, task=task, data=form.values())
    except ApplicationError as exc:
        return _refused(request, code, exc, form, prefix)
    return _done(request, code, _("Đã xong: %(t)s.") % {"t": task.name})


# --- files -----------------------------------------------------------------------------------


def _download(content: bytes, media_type: str, name: str, *, inline: bool) -> HttpResponse:
    response = HttpResponse(content, content_type=media_type)
    response["Content-Disposition"] = content_disposition_header(not inline, name) or "inline"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def dossier_file(request: AuthedRequest, code: str, file_pk: int) -> HttpResponse:
    user = _official(request)
    found = _dossier(user, code)
    attached = found.files.filter(pk=file_pk).first()
    if attached is None:
        raise NotFound(_("Không có tệp này."))
    # Uploaded files always as a download: never rendered by our origin. The forms we
    # issue ourselves may open in the browser.
    inline = attached.kind == DossierFile.Kind.FORM and request.GET.get("download") != "1"
    return _download(bytes(attached.content), attached.media_type, attached.name, inline=inline)


@require_GET
def dossier_result(request: AuthedRequest, code: str) -> HttpResponse:
    user = _official(request)
    found = _dossier(user, code)
    if not found.result_pdf:
        raise NotFound(_("Hồ sơ chưa có kết quả."))
    name = f"ket-qua-{found.code}.pdf"
    inline = request.GET.get("download") != "1"
    return _download(bytes(found.result_pdf), "application/pdf", name, inline=inline)


@require_GET
def dossier_receipt(request: AuthedRequest, code: str) -> HttpResponse:
    user = _official(request)
    found = _dossier(user, code)
    if not found.receipt_pdf:
        raise NotFound(_("Hồ sơ chưa được tiếp nhận."))
    name = f"giay-tiep-nhan-{found.code}.pdf"
    inline = request.GET.get("download") != "1"
    return _download(bytes(found.receipt_pdf), "application/pdf", name, inline=inline)


# --- counter mode ----------------------------------------------------------------------------


def _desks(user: User) -> list[Agency]:
    """The agencies (or service centres) where ``user`` takes dossiers at the counter."""
    desks = [a for a in _agencies(user) if permissions.dossier_start_at_counter(user, a)]
    if not desks:
        raise PermissionDenied(_("Chỉ cán bộ tiếp nhận (một cửa) mới nhận hồ sơ tại quầy."))
    return desks


def _competent_by_kind(procedures: list[Procedure]) -> dict[str, list[Agency]]:
    groups: dict[str, list[Agency]] = {}
    for procedure in procedures:
        if procedure.agency_kind not in groups:
            groups[procedure.agency_kind] = list(selectors.competent_agencies(procedure))
    return groups


@require_http_methods(["GET", "POST"])
def counter(request: AuthedRequest) -> HttpResponse:
    actor = _official(request)
    desks = _desks(actor)
    code = request.POST.get("desk") if request.method == "POST" else request.GET.get("agency")
    desk = next((a for a in desks if a.code == code), desks[0])
    procedures = list(selectors.procedure_list())
    competent = _competent_by_kind(procedures)
    data = request.POST if request.method == "POST" else None
    form = CounterStartForm(data, procedures=procedures, agencies=competent)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            procedure = selectors.procedure_get(code=form.cleaned_data["procedure"])
            try:
                if procedure is None:
                    raise NotFound(_("Thủ tục này không còn được áp dụng."))
                draft = services.dossier_start(
                    actor=actor,
                    procedure=procedure,
                    agency_code=form.cleaned_data["agency"],
                    personal_id=form.cleaned_data["personal_id"],
                    filed_at=desk,
                )
            except ApplicationError as exc:
                if isinstance(exc, PermissionDenied):
                    raise
                apply_error(form, exc)
                status = exc.status
            else:
                return redirect("procedures:counter_fill", pk=draft.pk)
    return render(
        request,
        "procedures/console/counter.html",
        {"form": form, "desk": desk, "desks": desks},
        status=status,
    )


def _counter_dossier(user: User, pk: int) -> Dossier:
    """A dossier this clerk took at the counter."""
    found = (
        Dossier.objects.select_related("version__procedure", "agency", "filed_at")
        .filter(pk=pk, channel=Dossier.Channel.COUNTER, taken_by=user)
        .first()
    )
    if found is None:
        raise NotFound(_("Không có hồ sơ này."))
    return found


def _render_fill(
    request: AuthedRequest, draft: Dossier, form: DossierForm, status: int = 200
) -> HttpResponse:
    attached = draft.files.defer("content").filter(kind=DossierFile.Kind.COMPONENT)
    return render(
        request,
        "procedures/console/counter_fill.html",
        {
            "dossier": draft,
            "procedure": draft.version.procedure,
            "form": form,
            "components": form.component_rows(attached),
            "applicant": [
                (label, _value(draft.applicant_data.get(k)))
                for k, label in APPLICANT_LABELS.items()
                if draft.applicant_data.get(k)
            ],
        },
        status=status,
    )


def _fill_form(request: AuthedRequest, draft: Dossier, *, partial: bool = False) -> DossierForm:
    wallet = selectors.wallet_of(user=draft.applicant)
    if request.method != "POST":
        return DossierForm(
            prefix="form", dossier=draft, wallet=wallet, initial=dict(draft.form_data)
        )
    return DossierForm(
        request.POST, request.FILES, prefix="form", dossier=draft, wallet=wallet, partial=partial
    )


@require_http_methods(["GET", "POST"])
def counter_fill(request: AuthedRequest, pk: int) -> HttpResponse:
    actor = _official(request)
    draft = _counter_dossier(actor, pk)
    if draft.status != S.DRAFT:
        return render(request, "procedures/console/counter_done.html", {"dossier": draft})
    if request.method != "POST":
        return _render_fill(request, draft, _fill_form(request, draft))
    submitting = request.POST.get("action") == "submit"
    form = _fill_form(request, draft, partial=not submitting)
    if not form.is_valid():
        return _render_fill(request, draft, form, status=422)
    uploading = ""
    try:
        # What was typed and scanned is kept even if the dossier cannot go in yet.
        with transaction.atomic():
            draft = services.dossier_update_form(
                actor=actor, dossier=draft, data=form.data_for_schema()
            )
            for component, uploaded in form.uploads():
                uploading = component
                services.dossier_attach(
                    actor=actor,
                    dossier=draft,
                    component=component,
                    name=uploaded.name or "",
                    content=b"".join(uploaded.chunks()),
                )
            for component, source in form.wallet_picks():
                uploading = component
                services.dossier_attach_from_wallet(
                    actor=actor, dossier=draft, component=component, source_code=source
                )
            uploading = ""
        if submitting:
            # Filed and received as one act at the desk: both or neither.
            with transaction.atomic():
                draft = services.dossier_submit(actor=actor, dossier=draft)
                draft = services.dossier_receive(actor=actor, dossier=draft)
    except ApplicationError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        aliases = form.aliases()
        if uploading:
            target = aliases.get(f"component.{uploading}", "")
            aliases = {**aliases, "file": target, "component": target, "source": target}
        apply_error(form, exc, aliases=aliases)
        return _render_fill(request, _counter_dossier(actor, pk), form, status=exc.status)
    if submitting:
        messages.success(request, _("Đã nộp và tiếp nhận hồ sơ %(c)s.") % {"c": draft.code})
    else:
        messages.success(request, _("Đã lưu tờ khai và tệp đính kèm."))
    return redirect("procedures:counter_fill", pk=draft.pk)


# --- the service index -----------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    code: str
    name: str
    score: float
    weight: int
    y: int
    track: float
    fill: float
    label_x: float


CHART_X = 250
CHART_WIDTH = 330
ROW_HEIGHT = 40


def _chart(index: service_index.ServiceIndex) -> tuple[list[Bar], int]:
    """Bars of the index's groups, each against its weight, on one scale of points."""
    widest = max((g.weight for g in index.groups), default=1) or 1
    unit = CHART_WIDTH / widest
    bars = [
        Bar(
            code=g.code,
            name=str(g.name),
            score=g.score,
            weight=g.weight,
            y=10 + i * ROW_HEIGHT,
            track=round(g.weight * unit, 1),
            fill=round(max(0.0, min(g.score, g.weight)) * unit, 1),
            label_x=round(CHART_X + g.weight * unit + 8, 1),
        )
        for i, g in enumerate(index.groups)
    ]
    return bars, 20 + len(bars) * ROW_HEIGHT


@require_GET
def index(request: AuthedRequest) -> HttpResponse:
    _official(request)
    procedures = list(selectors.procedure_list())
    agencies = [a for group in _competent_by_kind(procedures).values() for a in group]
    today = timezone.localdate()
    defaults = {"start": date(today.year, 1, 1).isoformat(), "end": today.isoformat()}
    data = {**defaults, **{k: v for k, v in request.GET.items() if v}}
    form = IndexForm(data, agencies=agencies)
    status = 200
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        code = form.cleaned_data.get("agency") or ""
    else:
        start, end, code = date(today.year, 1, 1), today, ""
        status = 422
    agency = next((a for a in agencies if a.code == code), None)
    result = service_index.compute(start=start, end=end, agency=agency)
    bars, height = _chart(result)
    return render(
        request,
        "procedures/index.html",
        {
            "form": form,
            "index": result,
            "bars": bars,
            "chart_height": height,
            "chart_x": CHART_X,
            "console_url": reverse("procedures:console"),
        },
        status=status,
    )
