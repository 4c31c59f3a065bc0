"""Citizens' pages of the public-services module (dịch vụ công trực tuyến): the public
catalogue with live search, one procedure's requirements, a dossier from draft through
"check your answers" to submission, its status page with the timeline, my dossiers and
notices, and my data wallet of signed results.

Each action is a form in, one service call (or one transaction of them), the page out.
A dossier is shown only to its applicant; to anybody else it does not exist (404).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from thudo.core.auth import AuthedRequest
from thudo.core.errors import ApplicationError, NotFound
from thudo.identity import facade as identity
from thudo.procedures import lifecycle, selectors, services
from thudo.procedures.api import deadline_text
from thudo.procedures.contracts import ACTION_LABELS, FINAL, STATUS_LABELS, Status
from thudo.procedures.forms_portal import (
    MAX_RADIOS,
    RATING_LABELS,
    DossierForm,
    RateForm,
    SearchForm,
    StartForm,
    SupplyForm,
    WithdrawForm,
    apply_error,
    file_name,
    saved_data,
    schema_choices,
)
from thudo.procedures.models import Dossier, DossierFile, Notice, Procedure, ProcedureVersion

S = Status
# Never read for a list: PDFs and the serialised process can be large.
HEAVY = ("receipt_pdf", "result_pdf", "workflow")
RATED_STATES = (S.RETURNED, S.REFUSED, S.REJECTED, S.STOPPED)
RESULT_STATES = (S.RESULT_READY, S.RETURNED)
SEX_LABELS = {"male": gettext_lazy("Nam"), "female": gettext_lazy("Nữ")}
TIMELINESS_LABELS = {
    "early": gettext_lazy("Giải quyết trước hạn"),
    "on_time": gettext_lazy("Giải quyết đúng hạn"),
    "late": gettext_lazy("Quá hạn"),
    "in_time": gettext_lazy("Trong hạn"),
}
SOURCE_NOTES = {
    "population": gettext_lazy("Lấy từ CSDL dân cư, bạn không cần nộp"),
    "wallet": gettext_lazy("Có thể dùng kết quả trong kho dữ liệu"),
}


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.history_restore_request


def _download(content: bytes, media_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=media_type)
    # Always as a download: a file a citizen uploaded is never rendered by our origin.
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _own(request: AuthedRequest, pk: int) -> Dossier:
    """The signed-in person's own dossier; anybody else's does not exist."""
    dossier = selectors.dossiers_of(user=request.user).filter(pk=pk).first()
    if dossier is None:
        raise NotFound(_("Không có hồ sơ này."))
    return dossier


def _version(procedure: Procedure) -> ProcedureVersion:
    version = selectors.version_current(procedure)
    if version is None:
        raise NotFound(_("Không có thủ tục này."))
    return version


# --- the catalogue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcedureRow:
    procedure: Procedure
    version: ProcedureVersion
    deadline: str
    fee: int


def _fee(version: ProcedureVersion) -> int:
    return sum(int(f.get("amount") or 0) for f in version.fees)


@login_not_required
@require_GET
def portal(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET, sectors=selectors.sectors())
    filters = form.filters()
    rows = []
    for procedure in selectors.procedure_list(
        query=filters.get("q", ""), sector=filters.get("sector", "")
    ):
        version = selectors.version_current(procedure)
        if version is not None:
            rows.append(ProcedureRow(procedure, version, deadline_text(version), _fee(version)))
    template = "procedures/portal/list.html"
    if _is_htmx(request):
        template += "#results"
    return render(
        request,
        template,
        {
            "form": form,
            "rows": rows,
            "q": filters.get("q", ""),
            "sector": filters.get("sector", ""),
        },
    )


def _procedure_context(procedure: Procedure, version: ProcedureVersion) -> dict[str, Any]:
    from thudo.core.models import Agency

    properties = version.form_schema.get("properties") or {}
    return {
        "procedure": procedure,
        "version": version,
        "deadline": deadline_text(version),
        "fee": _fee(version),
        "components": [
            {
                "formats": ["pdf"],
                "source": "upload",
                **c,
                "note": SOURCE_NOTES.get(c.get("source", "upload"), ""),
            }
            for c in version.components
        ],
        "exemptions": [
            {**e, "field_title": properties.get(e.get("field", ""), {}).get("title", "")}
            for e in version.exemptions
        ],
        "agency_kind": dict(Agency.Kind.choices).get(procedure.agency_kind, procedure.agency_kind),
    }


@login_not_required
@require_http_methods(["GET", "POST"])
def procedure(request: HttpRequest, code: str) -> HttpResponse:
    found = selectors.procedure_get(code=code[:60])
    if found is None:
        raise NotFound(_("Không có thủ tục này."))
    version = _version(found)
    agencies = selectors.competent_agencies(found).select_related("parent")
    here = reverse("procedures:procedure", args=[found.slug])
    signed_in = request.user.is_authenticated
    if request.method == "POST" and not signed_in:
        return redirect(identity.eid_login_path(next_url=here))
    form = StartForm(request.POST if request.method == "POST" else None, agencies=agencies)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            dossier = services.dossier_start(
                actor=request.user,  # type: ignore[arg-type]
                procedure=found,
                agency_code=form.cleaned_data["agency"],
            )
        except ApplicationError as exc:
            apply_error(form, exc)
            status = exc.status
        else:
            messages.success(request, _("Đã tạo hồ sơ nháp. Hãy điền tờ khai và đính kèm giấy tờ."))
            return redirect("procedures:draft", pk=dossier.pk)
    elif request.method == "POST":
        status = 422
    return render(
        request,
        "procedures/portal/procedure.html",
        {
            **_procedure_context(found, version),
            "form": form,
            "signed_in": signed_in,
            "is_citizen": signed_in and getattr(request.user, "kind", "") == "citizen",
            "login_url": identity.eid_login_path(next_url=here),
        },
        status=status,
    )


# --- the draft -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


def _applicant_facts(dossier: Dossier) -> list[Fact]:
    data = dossier.applicant_data
    born = str(data.get("birth_date") or "")
    with contextlib.suppress(ValueError):
        born = date.fromisoformat(born).strftime("%d/%m/%Y") if born else ""
    sex = str(data.get("sex") or "")
    facts = [
        Fact(_("Họ, chữ đệm, tên"), str(data.get("full_name") or "")),
        Fact(_("Số định danh cá nhân"), str(data.get("personal_id") or "")),
        Fact(_("Ngày, tháng, năm sinh"), born),
        Fact(_("Giới tính"), str(SEX_LABELS.get(sex, sex))),
        Fact(_("Nơi thường trú"), str(data.get("address") or "")),
    ]
    return [f for f in facts if f.value]


def _wallet(request: AuthedRequest, dossier: Dossier) -> list[Dossier]:
    return [d for d in selectors.wallet_of(user=request.user).defer(*HEAVY) if d.pk != dossier.pk]


def _files(dossier: Dossier) -> list[DossierFile]:
    return list(dossier.files.filter(kind=DossierFile.Kind.COMPONENT).defer("content"))


def _render_draft(
    request: AuthedRequest, dossier: Dossier, form: DossierForm, *, status: int = 200
) -> HttpResponse:
    rows = form.component_rows(_files(dossier))
    return render(
        request,
        "procedures/portal/draft.html",
        {
            "dossier": dossier,
            "procedure": dossier.version.procedure,
            "form": form,
            "components": rows,
            "applicant": _applicant_facts(dossier),
            "prefill_pending": dossier.prefill != Dossier.Prefill.DONE,
        },
        status=status,
    )


def _draft_of(request: AuthedRequest, pk: int) -> Dossier | None:
    dossier = _own(request, pk)
    return dossier if dossier.status == S.DRAFT else None


def _save(request: AuthedRequest, dossier: Dossier, form: DossierForm) -> ApplicationError | None:
    """The declaration and the new files of the draft, all or nothing: a refused file
    leaves nothing stored. The error, placed on the form, or None."""
    aliases: dict[str, str] = form.aliases()
    try:
        with transaction.atomic():
            if form.property_names:
                services.dossier_update_form(
                    actor=request.user, dossier=dossier, data=form.data_for_schema()
                )
            for code, upload in form.uploads():
                aliases = {**form.aliases(), "file": file_name(code), "component": file_name(code)}
                upload.seek(0)
                services.dossier_attach(
                    actor=request.user,
                    dossier=dossier,
                    component=code,
                    name=upload.name or "",
                    content=upload.read(),
                )
            for code, source in form.wallet_picks():
                aliases = {
                    **form.aliases(),
                    "source": f"wallet_{code}",
                    "component": f"wallet_{code}",
                }
                services.dossier_attach_from_wallet(
                    actor=request.user, dossier=dossier, component=code, source_code=source
                )
    except ApplicationError as exc:
        apply_error(form, exc, aliases=aliases)
        return exc
    return None


@require_http_methods(["GET", "POST"])
def draft(request: AuthedRequest, pk: int) -> HttpResponse:
    dossier = _draft_of(request, pk)
    if dossier is None:
        return redirect("procedures:track", pk=pk)
    wallet = _wallet(request, dossier)
    if request.method != "POST":
        form = DossierForm(initial=dossier.form_data, dossier=dossier, wallet=wallet)
        return _render_draft(request, dossier, form)
    going_on = request.POST.get("action") == "continue"
    form = DossierForm(
        request.POST, request.FILES, dossier=dossier, wallet=wallet, partial=not going_on
    )
    if not form.is_valid():
        return _render_draft(request, dossier, form, status=422)
    error = _save(request, dossier, form)
    if error is not None:
        return _render_draft(request, dossier, form, status=error.status)
    if going_on:
        return redirect("procedures:check", pk=dossier.pk)
    messages.success(request, _("Đã lưu bản nháp."))
    return redirect("procedures:draft", pk=dossier.pk)


# --- check your answers, then submit ----------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    label: str
    value: str
    anchor: str


def _shown(spec: dict[str, Any], value: Any) -> str:
    if value is None or value == "":
        return ""
    choices = schema_choices(spec)
    if choices is not None:
        return next((t for v, t in choices if str(v) == str(value)), str(value))
    if isinstance(value, bool):
        return _("Có") if value else _("Không")
    if spec.get("format") == "date":
        try:
            return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
        except ValueError:
            return str(value)
    return str(value)


def _answers(dossier: Dossier) -> list[Answer]:
    properties = dossier.version.form_schema.get("properties") or {}
    out = []
    for name, spec in properties.items():
        choices = schema_choices(spec)
        radios = choices is not None and len(choices) <= MAX_RADIOS
        out.append(
            Answer(
                label=str(spec.get("title") or name),
                value=_shown(spec, dossier.form_data.get(name)),
                anchor=f"id_{name}_0" if radios else f"id_{name}",
            )
        )
    return out


@dataclass(frozen=True)
class ComponentAnswer:
    name: str
    files: list[DossierFile]
    note: str
    anchor: str
    required: bool


def _component_answers(dossier: Dossier) -> list[ComponentAnswer]:
    files = _files(dossier)
    out = []
    for c in dossier.version.components:
        source = c.get("source", "upload")
        out.append(
            ComponentAnswer(
                name=str(c["name"]),
                files=[f for f in files if f.component == c["code"]],
                note=str(SOURCE_NOTES["population"]) if source == "population" else "",
                anchor=f"id_{file_name(c['code'])}" if source != "population" else "",
                required=bool(c.get("required")) and source == "upload",
            )
        )
    return out


@require_http_methods(["GET", "POST"])
def check(request: AuthedRequest, pk: int) -> HttpResponse:
    dossier = _draft_of(request, pk)
    if dossier is None:
        return redirect("procedures:track", pk=pk)
    if request.method == "POST":
        try:
            submitted = services.dossier_submit(actor=request.user, dossier=dossier)
        except ApplicationError as exc:
            # The errors are on the draft page, where they are put right.
            wallet = _wallet(request, dossier)
            form = DossierForm(
                saved_data(dossier.version.form_schema, dossier.form_data),
                dossier=dossier,
                wallet=wallet,
                partial=True,
            )
            form.is_valid()
            apply_error(form, exc, aliases=form.aliases())
            return _render_draft(request, dossier, form, status=exc.status)
        messages.success(
            request,
            _("Đã nộp hồ sơ. Mã hồ sơ của bạn: %(c)s. Hãy ghi lại mã này để tra cứu.")
            % {"c": submitted.code},
        )
        return redirect("procedures:track", pk=submitted.pk)
    return render(
        request,
        "procedures/portal/check.html",
        {
            "dossier": dossier,
            "procedure": dossier.version.procedure,
            "applicant": _applicant_facts(dossier),
            "prefill_pending": dossier.prefill != Dossier.Prefill.DONE,
            "answers": _answers(dossier),
            "components": _component_answers(dossier),
        },
    )


# --- the dossier's page ------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    at: Any
    label: str
    who: str
    note: str


def _timeline(dossier: Dossier) -> list[Step]:
    steps = []
    for event in selectors.timeline(dossier):
        if event.actor_id is None:
            who = _("Hệ thống")
        elif event.actor_id == dossier.applicant_id:
            who = _("Bạn")
        else:
            who = dossier.agency.name
        steps.append(
            Step(
                at=event.at,
                label=str(ACTION_LABELS.get(event.action, event.action)),
                who=who,
                # A BPMN step's note is the officials' own working note.
                note="" if event.action in ("task", "prefill", "rate") else event.note,
            )
        )
    return steps


def _render_track(
    request: AuthedRequest, dossier: Dossier, *, status: int = 200, **forms: Any
) -> HttpResponse:
    state = Status(dossier.status)
    wallet = _wallet(request, dossier)
    if state == S.SUPPLEMENT:
        forms.setdefault("supply", SupplyForm(dossier=dossier, wallet=wallet))
    if lifecycle.allowed(dossier, "withdraw") and state != S.DRAFT:
        forms.setdefault("withdraw", WithdrawForm())
    can_rate = state in RATED_STATES and dossier.rating is None
    if can_rate:
        forms.setdefault("rate", RateForm())
    supply = forms.get("supply")
    return render(
        request,
        "procedures/portal/track.html",
        {
            "dossier": dossier,
            "procedure": dossier.version.procedure,
            "status_label": STATUS_LABELS[state],
            "final": state in FINAL,
            "timeliness": TIMELINESS_LABELS.get(selectors.timeliness(dossier), ""),
            "late": selectors.is_late(dossier),
            "steps": _timeline(dossier),
            "issued": list(dossier.files.filter(kind=DossierFile.Kind.FORM).defer("content")),
            "attached": _files(dossier),
            "has_result": state in RESULT_STATES and bool(dossier.result_pdf),
            "forms": forms,
            "supply_rows": supply.component_rows(_files(dossier)) if supply else [],
            "can_rate": can_rate,
            "rating_label": RATING_LABELS.get(dossier.rating or 0, ""),
        },
        status=status,
    )


@require_GET
def track(request: AuthedRequest, pk: int) -> HttpResponse:
    dossier = _own(request, pk)
    if dossier.status == S.DRAFT:
        return redirect("procedures:draft", pk=pk)
    return _render_track(request, dossier)


@require_POST
def supply(request: AuthedRequest, pk: int) -> HttpResponse:
    dossier = _own(request, pk)
    form = SupplyForm(
        request.POST, request.FILES, dossier=dossier, wallet=_wallet(request, dossier)
    )
    if not form.is_valid():
        return _render_track(request, dossier, status=422, supply=form)
    error = None
    try:
        with transaction.atomic():
            error = _save(request, dossier, form)
            if error is not None:
                raise error
            services.dossier_supply(
                actor=request.user, dossier=dossier, note=form.cleaned_data["note"]
            )
    except ApplicationError as exc:
        if error is None:
            apply_error(form, exc, aliases=form.aliases())
        return _render_track(request, _own(request, pk), status=exc.status, supply=form)
    messages.success(request, _("Đã gửi phần bổ sung hồ sơ đến cơ quan giải quyết."))
    return redirect("procedures:track", pk=pk)


@require_POST
def withdraw(request: AuthedRequest, pk: int) -> HttpResponse:
    dossier = _own(request, pk)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return _render_track(request, dossier, status=422, withdraw=form)
    try:
        services.dossier_withdraw(
            actor=request.user, dossier=dossier, reason=form.cleaned_data["reason"]
        )
    except ApplicationError as exc:
        apply_error(form, exc)
        return _render_track(request, dossier, status=exc.status, withdraw=form)
    messages.success(request, _("Đã rút hồ sơ."))
    return redirect("procedures:track", pk=pk)


@require_POST
def rate(request: AuthedRequest, pk: int) -> HttpResponse:
    dossier = _own(request, pk)
    form = RateForm(request.POST)
    if not form.is_valid():
        return _render_track(request, dossier, status=422, rate=form)
    try:
        services.dossier_rate(
            actor=request.user,
            dossier=dossier,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
        )
    except ApplicationError as exc:
        apply_error(form, exc)
        return _render_track(request, dossier, status=exc.status, rate=form)
    messages.success(request, _("Cảm ơn bạn đã đánh giá."))
    return redirect("procedures:track", pk=pk)


# --- files -------------------------------------------------------------------------------------


@require_GET
def file(request: AuthedRequest, pk: int, file_pk: int) -> HttpResponse:
    dossier = _own(request, pk)
    attached = dossier.files.filter(pk=file_pk).first()
    if attached is None:
        raise NotFound(_("Không có tệp này."))
    return _download(bytes(attached.content), attached.media_type, attached.name)


@require_GET
def result(request: AuthedRequest, pk: int) -> HttpResponse:
    dossier = _own(request, pk)
    if dossier.status not in RESULT_STATES or not dossier.result_pdf:
        raise NotFound(_("Hồ sơ chưa có kết quả."))
    return _download(bytes(dossier.result_pdf), "application/pdf", f"ket-qua-{dossier.code}.pdf")


# --- mine --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MineRow:
    dossier: Dossier
    status_label: str
    timeliness: str
    late: bool


@require_GET
def mine(request: AuthedRequest) -> HttpResponse:
    now = timezone.now()
    rows = [
        MineRow(
            dossier=d,
            status_label=str(STATUS_LABELS[Status(d.status)]),
            timeliness=str(TIMELINESS_LABELS.get(selectors.timeliness(d, now), "")),
            late=selectors.is_late(d, now),
        )
        for d in selectors.dossiers_of(user=request.user).defer(*HEAVY)
    ]
    notices = list(
        Notice.objects.filter(user=request.user)
        .select_related("dossier")
        .order_by("-created_at")[:50]
    )
    unread = [n.pk for n in notices if n.read_at is None]
    if unread:
        Notice.objects.filter(pk__in=unread, read_at__isnull=True).update(read_at=now)
    return render(
        request,
        "procedures/portal/mine.html",
        {"rows": rows, "notices": notices, "unread": set(unread)},
    )


@require_GET
def wallet(request: AuthedRequest) -> HttpResponse:
    return render(
        request,
        "procedures/portal/wallet.html",
        {"results": list(selectors.wallet_of(user=request.user).defer(*HEAVY))},
    )
