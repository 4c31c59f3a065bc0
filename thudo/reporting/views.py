"""Officials' pages of the reporting module (hệ thống thông tin báo cáo): the work list,
a unit's entry grid for one period (saved cell by cell), the overview of a form for its
recipient with the approval of each unit, and the analytics pivot with its chart and CSV.

Each action is a form in, one service call, the page (or, for htmx, its fragment) out.
Fragments showing an error are answered with 200 to htmx, which does not swap 4xx
responses; full pages carry the error status. A form, unit or period the reader may not
see is 404; a refused action is the 403 page: nobody who may not act is shown the button.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from thudo.core.auth import AuthedRequest
from thudo.core.errors import ApplicationError, InvalidInput, NotFound, PermissionDenied
from thudo.core.models import Agency, User
from thudo.core.pages import apply_error, htmx_status, is_htmx, official_or_404
from thudo.reporting import display, permissions, selectors, services
from thudo.reporting import periods as pe
from thudo.reporting.contracts import AnalyticsResult, Violation
from thudo.reporting.forms import AnalyticsForm, CellForm, ExcelUploadForm, StepForm
from thudo.reporting.models import Approval, Form, ValidationRule

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Field names the Excel reader and the services use for the file as a whole, not a cell.
FILE_FIELDS = ("file", "period", "unit", "form")

STATE_LABELS = {
    "open": gettext_lazy("Đang báo cáo"),
    "empty": gettext_lazy("Chưa nhập"),
    "started": gettext_lazy("Đang nhập"),
    "completed": gettext_lazy("Đã hoàn thành"),
    Approval.State.APPROVED: gettext_lazy("Đã phê duyệt"),
    Approval.State.ACCEPTED: gettext_lazy("Cấp trên đã tiếp nhận"),
}
OPERATORS = dict(ValidationRule.Operator.choices)
IMPORTANCE = dict(ValidationRule.Importance.choices)


def _form(user: User, code: str) -> Form:
    form = selectors.form_get_for_user(user=user, code=code[:50])
    if form is None:
        raise NotFound(_("Không có biểu báo cáo này, hoặc bạn không được xem biểu này."))
    return form


def _reporting_unit(user: User, form: Form, code: str) -> Agency:
    unit = selectors.reporting_unit_get_for_user(user=user, form=form, code=code[:35])
    if unit is None:
        raise NotFound(
            _("Không có đơn vị báo cáo này, hoặc bạn không được xem số liệu của đơn vị.")
        )
    return unit


def _unit(user: User, form: Form, code: str) -> Agency:
    """A reporting unit of the form or a unit above them (approving an aggregate)."""
    unit = selectors.unit_get_for_user(user=user, form=form, code=code[:35])
    if unit is None:
        raise NotFound(_("Không có đơn vị này, hoặc bạn không được xem số liệu của đơn vị."))
    return unit


def _period(form: Form, code: str) -> pe.ReportingPeriod:
    """The period of the address: of the form's type and already begun."""
    try:
        period = pe.parse(code)
    except pe.PeriodError:
        period = None
    if (
        period is None
        or period.type is not form.period_kind
        or period.window_start > timezone.localdate()
    ):
        raise NotFound(_("Không có kỳ báo cáo này."))
    return period


def _address(
    request: AuthedRequest, form_code: str, unit_code: str, period: str, *, above: bool = False
) -> tuple[User, Form, Agency, pe.ReportingPeriod]:
    """The official, form, unit and period a grid address names, each checked (404 when
    the official may not see it); ``above`` admits the units above the reporting ones."""
    user = official_or_404(request)
    form = _form(user, form_code)
    unit = (_unit if above else _reporting_unit)(user, form, unit_code)
    return user, form, unit, _period(form, period)


def _person(user: User | None) -> str:
    if user is None:
        return _("Hệ thống")
    return user.full_name or user.get_username()


# --- the work list --------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkRow:
    work: selectors.Work
    reporting: bool  # a reporting unit of the form: it has an entry grid
    late: bool
    state_label: str


@require_GET
def worklist(request: AuthedRequest) -> HttpResponse:
    user = official_or_404(request)
    today = timezone.localdate()
    rows = []
    for work in selectors.worklist_for_user(user=user, today=today):
        reporting = any(u.pk == work.unit.pk for u in work.form.units.all())
        rows.append(
            WorkRow(
                work=work,
                reporting=reporting,
                late=reporting and work.state == "open" and today > work.deadline,
                state_label=str(STATE_LABELS.get(work.state, work.state)) if reporting else "",
            )
        )
    return render(request, "reporting/worklist.html", {"rows": rows, "today": today})


# --- the entry grid -------------------------------------------------------------------------


@dataclass(frozen=True)
class ViolationRow:
    violation: Violation
    operator: str
    importance: str


def _violations(found: tuple[Violation, ...] | list[Violation]) -> list[ViolationRow]:
    return [
        ViolationRow(
            v, OPERATORS.get(v.operator, v.operator), str(IMPORTANCE.get(v.importance, ""))
        )
        for v in found
    ]


def _grid_state(grid: selectors.Grid) -> str:
    if grid.approval is not None:
        return grid.approval.state
    if grid.locked_by is not None:
        return Approval.State.APPROVED
    return "completed" if grid.completion is not None else "open"


def _grid_can(user: User, grid: selectors.Grid) -> dict[str, bool]:
    """What the reader may do now: the same checks as the services, which make them again."""
    form, unit, own = grid.form, grid.unit, grid.approval
    unlocked = grid.locked_by is None
    approved = own is not None and own.state == Approval.State.APPROVED
    return {
        "edit": unlocked and permissions.value_save(user, form, unit),
        "import": unlocked and permissions.excel_import(user, form, unit),
        "complete": unlocked
        and grid.completion is None
        and permissions.form_complete(user, form, unit),
        "uncomplete": unlocked
        and grid.completion is not None
        and permissions.form_uncomplete(user, form, unit),
        "approve": unlocked and permissions.approval_approve(user, form, unit, reporting_unit=True),
        "unapprove": approved
        and permissions.approval_unapprove(user, form, unit, reporting_unit=True),
        "accept": form.requires_acceptance
        and approved
        and permissions.approval_accept(user, form, unit),
        "unaccept": own is not None
        and own.state == Approval.State.ACCEPTED
        and permissions.approval_unaccept(user, form, unit),
    }


def _grid_context(request: AuthedRequest, grid: selectors.Grid, **extra: Any) -> dict[str, Any]:
    period = grid.period
    following = period.next()
    state = _grid_state(grid)
    can = _grid_can(request.user, grid)
    step_form = extra.pop("step_form", None)
    upload_form = extra.pop("upload_form", None)
    return {
        "grid": grid,
        "form": grid.form,
        "unit": grid.unit,
        "period": period,
        "sections": display.grid_sections(grid),
        "state": state,
        "state_label": STATE_LABELS[state],
        "locked": grid.locked_by is not None,
        "approver": _person(grid.locked_by.approved_by) if grid.locked_by else "",
        "can": can,
        "disabled": not can["edit"],
        "previous": period.previous(),
        "next": following if following.window_start <= timezone.localdate() else None,
        "violations": _violations(grid.violations),
        "history": [(e, _person(e.actor)) for e in grid.history],
        "step_form": StepForm() if step_form is None else step_form,
        "upload_form": ExcelUploadForm() if upload_form is None else upload_form,
        **extra,
    }


def _render_grid(
    request: AuthedRequest, grid: selectors.Grid, *, status: int = 200, **extra: Any
) -> HttpResponse:
    template = "reporting/grid.html"
    if is_htmx(request):
        template += "#grid"
    return render(
        request,
        template,
        _grid_context(request, grid, **extra),
        status=htmx_status(request, status),
    )


@require_GET
def grid(request: AuthedRequest, form_code: str, unit_code: str, period: str) -> HttpResponse:
    _user, form, unit, reached = _address(request, form_code, unit_code, period)
    code = reached.code
    return _render_grid(request, selectors.entry_grid(form=form, unit=unit, period=code))


@require_GET
def grid_check(request: AuthedRequest, form_code: str, unit_code: str, period: str) -> HttpResponse:
    """Every rule of the form over the unit's values ("Kiểm tra số liệu")."""
    _user, form, unit, reached = _address(request, form_code, unit_code, period)
    code = reached.code
    found = selectors.entry_grid(form=form, unit=unit, period=code)
    if is_htmx(request):
        return render(
            request,
            "reporting/grid.html#validation",
            {
                "form": form,
                "unit": unit,
                "period": found.period,
                "violations": _violations(found.violations),
                "checked": True,
            },
        )
    return _render_grid(request, found, checked=True)


@require_POST
def cell_save(request: AuthedRequest, form_code: str, unit_code: str, period: str) -> HttpResponse:
    """One cell, saved as typed: the cell again (its value as stored, or the error beside
    it with nothing saved) and, out of band, the rules its change now breaks."""
    actor, form, unit, reporting_period = _address(request, form_code, unit_code, period)
    posted = CellForm(request.POST)
    if not posted.is_valid():
        raise NotFound(_("Không có ô này trong biểu."))
    element = posted.cleaned_data["element"]
    disaggregation = posted.cleaned_data["disaggregation"]
    raw = posted.cleaned_data["value"]
    context: dict[str, Any] = {
        "form": form,
        "unit": unit,
        "period": reporting_period,
        "element": element,
        "disaggregation": disaggregation,
        "col": posted.cleaned_data["col"] or 0,
    }
    try:
        result = services.value_save(
            actor=actor,
            form=form,
            unit=unit,
            period=reporting_period.code,
            element=element,
            raw=raw,
            disaggregation=disaggregation,
        )
    except PermissionDenied:
        raise
    except ApplicationError as exc:
        message = exc.field_errors[0].message if exc.field_errors else str(exc.message)
        context |= {"cell_raw": raw, "cell_error": message}
        return render(
            request,
            "reporting/grid.html#cell_response",
            context,
            status=htmx_status(request, exc.status),
        )
    context |= {
        "cell_value": result.value,
        "cell_saved": True,
        "violations": _violations(result.violations),
        "scope": "cell",
    }
    return render(request, "reporting/grid.html#cell_response", context)


def _grid_done(
    request: AuthedRequest, form: Form, unit: Agency, period: str, notice: str
) -> HttpResponse:
    if is_htmx(request):
        found = selectors.entry_grid(form=form, unit=unit, period=period)
        return _render_grid(request, found, notice=notice)
    messages.success(request, notice)
    return redirect("reporting:grid", form.code, unit.code, period)


def _grid_failed(
    request: AuthedRequest,
    form: Form,
    unit: Agency,
    period: str,
    exc: ApplicationError,
    **extra: Any,
) -> HttpResponse:
    if isinstance(exc, PermissionDenied):
        raise exc
    found = selectors.entry_grid(form=form, unit=unit, period=period)
    if not extra:
        extra["error"] = str(exc.message)
    return _render_grid(request, found, status=exc.status, **extra)


def _completion_step(
    request: AuthedRequest,
    form_code: str,
    unit_code: str,
    period: str,
    action: Callable[..., Any],
    notice: Any,
) -> HttpResponse:
    actor, form, unit, reached = _address(request, form_code, unit_code, period)
    code = reached.code
    try:
        action(actor=actor, form=form, unit=unit, period=code)
    except ApplicationError as exc:
        return _grid_failed(request, form, unit, code, exc)
    return _grid_done(request, form, unit, code, str(notice))


@require_POST
def form_complete(
    request: AuthedRequest, form_code: str, unit_code: str, period: str
) -> HttpResponse:
    return _completion_step(
        request, form_code, unit_code, period, services.form_complete,
        gettext_lazy("Đã hoàn thành báo cáo kỳ này; chờ lãnh đạo phê duyệt."),
    )  # fmt: skip


@require_POST
def form_uncomplete(
    request: AuthedRequest, form_code: str, unit_code: str, period: str
) -> HttpResponse:
    return _completion_step(
        request, form_code, unit_code, period, services.form_uncomplete,
        gettext_lazy("Đã mở lại báo cáo để sửa."),
    )  # fmt: skip


# --- approval, from the grid or from the overview -------------------------------------------


def _approval_step(
    request: AuthedRequest,
    form_code: str,
    unit_code: str,
    period: str,
    action: Callable[..., Any],
    notice: Any,
) -> HttpResponse:
    actor, form, unit, reached = _address(request, form_code, unit_code, period, above=True)
    code = reached.code
    to_overview = request.POST.get("back") == "overview"
    step = StepForm(request.POST)
    error: ApplicationError | None = None
    if step.is_valid():
        try:
            action(
                actor=actor, form=form, unit=unit, period=code, comment=step.cleaned_data["comment"]
            )
        except PermissionDenied:
            raise
        except ApplicationError as exc:
            error = exc
            apply_error(step, exc, fallback=False)
    else:
        error = InvalidInput(_("Ý kiến không hợp lệ."))
    text = str(notice) % {"unit": unit.name}
    if to_overview:
        if error is None:
            return _overview_done(request, form, code, text)
        return _overview_failed(request, form, code, unit, error, step)
    if error is None:
        return _grid_done(request, form, unit, code, text)
    extra = {"step_form": step} if step.errors else {}
    return _grid_failed(request, form, unit, code, error, **extra)


# The four approval steps: the service that takes it and what the official is told.
APPROVAL_STEPS: dict[str, tuple[Callable[..., Any], Any]] = {
    "approve": (
        services.approval_approve,
        gettext_lazy("Đã phê duyệt số liệu của %(unit)s; số liệu đã được khóa."),
    ),
    "unapprove": (
        services.approval_unapprove,
        gettext_lazy("Đã hủy phê duyệt số liệu của %(unit)s; số liệu được mở lại."),
    ),
    "accept": (services.approval_accept, gettext_lazy("Đã tiếp nhận số liệu của %(unit)s.")),
    "unaccept": (
        services.approval_unaccept,
        gettext_lazy("Đã hủy tiếp nhận số liệu của %(unit)s."),
    ),
}


@require_POST
def approval_step(
    request: AuthedRequest, form_code: str, unit_code: str, period: str, step: str
) -> HttpResponse:
    action, notice = APPROVAL_STEPS[step]
    return _approval_step(request, form_code, unit_code, period, action, notice)


# --- Excel ----------------------------------------------------------------------------------


def _download(content: bytes, media_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=media_type)
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def excel_download(
    request: AuthedRequest, form_code: str, unit_code: str, period: str
) -> HttpResponse:
    from thudo.reporting import excel

    _user, form, unit, reached = _address(request, form_code, unit_code, period)
    code = reached.code
    content = excel.workbook(form, unit, code)
    return _download(content, XLSX, f"{form.code}-{unit.code}-{code}.xlsx")


@require_POST
def excel_upload(
    request: AuthedRequest, form_code: str, unit_code: str, period: str
) -> HttpResponse:
    """A filled-in workbook, all or nothing; the errors named by Excel cell."""
    actor, form, unit, reached = _address(request, form_code, unit_code, period)
    code = reached.code
    upload = ExcelUploadForm(request.POST, request.FILES)
    if not upload.is_valid():
        found = selectors.entry_grid(form=form, unit=unit, period=code)
        return _render_grid(request, found, status=422, upload_form=upload)
    try:
        changed = services.excel_import(
            actor=actor, form=form, unit=unit, data=upload.cleaned_data["file"].read()
        )
    except ApplicationError as exc:
        cells = [(e.field, e.message) for e in exc.field_errors if e.field not in FILE_FIELDS]
        if not apply_error(upload, exc, aliases=dict.fromkeys(FILE_FIELDS, "file"), fallback=False):
            upload.add_error("file", str(exc.message))
        return _grid_failed(request, form, unit, code, exc, upload_form=upload, excel_errors=cells)
    messages.success(request, _("Đã nhập số liệu từ tệp Excel: %(n)d ô thay đổi.") % {"n": changed})
    return redirect("reporting:grid", form.code, unit.code, code)


# --- the overview ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OverviewRow:
    status: selectors.UnitStatus
    state_label: str
    can: dict[str, bool]


def _overview_rows(user: User, found: selectors.Overview) -> list[OverviewRow]:
    form = found.form
    rows = []
    for status in found.units:
        unit, approval = status.unit, status.approval
        approved = approval is not None and approval.state == Approval.State.APPROVED
        reporting = status.reporting
        can = {
            "approve": approval is None
            and permissions.approval_approve(user, form, unit, reporting_unit=reporting),
            "unapprove": approved
            and permissions.approval_unapprove(user, form, unit, reporting_unit=reporting),
            "accept": form.requires_acceptance
            and approved
            and permissions.approval_accept(user, form, unit),
            "unaccept": approval is not None
            and approval.state == Approval.State.ACCEPTED
            and permissions.approval_unaccept(user, form, unit),
        }
        label = STATE_LABELS.get(status.state, status.state)
        if not reporting and approval is None:
            label = _("Chưa phê duyệt")
        rows.append(OverviewRow(status, str(label), can))
    return rows


def _render_overview(
    request: AuthedRequest, form: Form, period: str, *, status: int = 200, **extra: Any
) -> HttpResponse:
    found = selectors.overview_for_user(user=request.user, form=form, period=period)
    if found is None:
        raise NotFound(_("Bạn không được xem tổng hợp của biểu này."))
    template = "reporting/overview.html"
    if is_htmx(request):
        template += "#overview"
    context = {
        "ov": found,
        "form": form,
        "period": found.period,
        "rows": _overview_rows(request.user, found),
        "previous": found.period.previous(),
        "next": found.period.next()
        if found.period.next().window_start <= timezone.localdate()
        else None,
        **extra,
    }
    return render(request, template, context, status=htmx_status(request, status))


@require_GET
def overview(request: AuthedRequest, form_code: str, period: str) -> HttpResponse:
    user = official_or_404(request)
    form = _form(user, form_code)
    return _render_overview(request, form, _period(form, period).code)


def _overview_done(request: AuthedRequest, form: Form, period: str, notice: str) -> HttpResponse:
    if is_htmx(request):
        return _render_overview(request, form, period, notice=notice)
    messages.success(request, notice)
    return redirect("reporting:overview", form.code, period)


def _overview_failed(
    request: AuthedRequest,
    form: Form,
    period: str,
    unit: Agency,
    exc: ApplicationError,
    step: StepForm,
) -> HttpResponse:
    return _render_overview(
        request,
        form,
        period,
        status=exc.status,
        error=f"{unit.name}: {exc.message}",
        error_unit=unit.code,
        step_form=step,
    )


# --- analytics ------------------------------------------------------------------------------


@dataclass
class AnalyticsRun:
    form: AnalyticsForm
    result: AnalyticsResult | None = None
    error: str = ""
    status: int = 200


def _analytics(request: AuthedRequest) -> AnalyticsRun:
    user = official_or_404(request)
    form = AnalyticsForm(
        request.GET or None,
        dx_choices=selectors.dx_choices(),
        units=selectors.analytics_units_for_user(user=user),
        today=timezone.localdate(),
    )
    run = AnalyticsRun(form)
    if not form.is_bound:
        return run
    if not form.is_valid():
        run.status = 422
        return run
    data = form.cleaned_data
    try:
        run.result = selectors.analytics_for_user(
            user=user, dx=data["dx"], pe_codes=data["periods"], ou=data["units"]
        )
    except PermissionDenied as exc:
        run.error, run.status = str(exc.message), exc.status
    except InvalidInput as exc:
        form.apply(exc)
        run.status = exc.status
    return run


def _render_analytics(request: AuthedRequest, run: AnalyticsRun) -> HttpResponse:
    tables = []
    if run.result is not None:
        data = run.form.cleaned_data
        tables = display.pivot(run.result, data["dx"], data["periods"])
    return render(
        request,
        "reporting/analytics.html",
        {
            "form": run.form,
            "tables": tables,
            "result": run.result,
            "error": run.error,
            "statuses": list(display.VALUE_STATUS.values()),
            "csv_url": reverse("reporting:analytics_csv") + "?" + request.GET.urlencode(),
        },
        status=run.status,
    )


@require_GET
def analytics(request: AuthedRequest) -> HttpResponse:
    return _render_analytics(request, _analytics(request))


@require_GET
def analytics_csv(request: AuthedRequest) -> HttpResponse:
    """The analytics rows as CSV, UTF-8 with a byte-order mark so that Excel reads the
    Vietnamese names right."""
    run = _analytics(request)
    if run.result is None:
        # The page with its errors: what to fix is shown on the form.
        return _render_analytics(request, run)
    names = run.result.names
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(["dx", "dx_name", "pe", "ou", "ou_name", "value", "status"])
    for row in run.result.rows:
        writer.writerow(
            [row.dx, names.get(row.dx, ""), row.pe, row.ou, names.get(row.ou, ""),
             display.plain_number(row.value), row.status.value]
        )  # fmt: skip
    name = f"phan-tich-{timezone.localdate().isoformat()}.csv"
    return _download(buffer.getvalue().encode("utf-8"), "text/csv; charset=utf-8", name)
