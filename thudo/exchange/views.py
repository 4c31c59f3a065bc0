"""Pages of the exchange hub: catalogue, member systems, access grants, operational
statistics; and the public OAuth endpoints (token, metadata, JWKS).

htmx requests get only the fragment they replace. A fragment that shows a form's errors is
answered with 200 to htmx, because htmx 2 does not swap 4xx responses by default; full
pages carry the error status.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from thudo.core.auth import AuthedRequest
from thudo.core.errors import ApplicationError, NotFound
from thudo.core.pages import htmx_status, is_htmx, official_or_404
from thudo.exchange import keys, logreads, oauth, openapi, selectors, services
from thudo.exchange.forms import (
    GrantDecisionForm,
    GrantRequestForm,
    SystemRegisterForm,
    SystemRevokeForm,
    apply_error,
    end_of,
    start_of,
)
from thudo.exchange.models import AccessGrant, Service

PAGE_SIZE = 50
LIST_LIMIT = 200


# --- public OAuth endpoints (RFC 6749, RFC 8414, RFC 7517) ------------------------------------


@csrf_exempt
@login_not_required
@require_POST
def oauth_token(request: HttpRequest) -> HttpResponse:
    return oauth.token_response(request)


def _public_json(document: dict[str, Any]) -> JsonResponse:
    response = JsonResponse(document)
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=300"
    return response


@login_not_required
@require_GET
def oauth_metadata(request: HttpRequest) -> JsonResponse:
    return _public_json(oauth.metadata())


@login_not_required
@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    return _public_json(keys.jwks())


# --- catalogue ---------------------------------------------------------------------------


@require_GET
def catalog(request: AuthedRequest) -> HttpResponse:
    official_or_404(request)
    q = request.GET.get("q", "").strip()[:100]
    classification = request.GET.get("classification", "")
    if classification not in Service.Classification.values:
        classification = ""
    found = selectors.catalogue_list(q=q, classification=classification or None)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "exchange/catalog.html"
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        template += "#results"
    return render(
        request,
        template,
        {
            "q": q,
            "classification": classification,
            "classifications": Service.Classification.choices,
            "page": page,
        },
    )


@require_GET
def service_detail(request: AuthedRequest, provider: str, code: str) -> HttpResponse:
    official_or_404(request)
    service = selectors.service_get_for_user(user=request.user, provider=provider, code=code)
    return render(
        request,
        "exchange/service_detail.html",
        {
            "service": service,
            "operations": openapi.operations(service.openapi),
            "manages_provider": selectors.can_administer(
                user=request.user, agency=service.provider.agency
            ),
        },
    )


@require_GET
def service_openapi(request: AuthedRequest, provider: str, code: str) -> HttpResponse:
    official_or_404(request)
    service = selectors.service_get_for_user(user=request.user, provider=provider, code=code)
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{service.provider.identifier}-{service.code}")
    response = HttpResponse(
        json.dumps(service.openapi, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.openapi.json"'
    return response


# --- operational statistics ----------------------------------------------------------------


@require_GET
def stats(request: AuthedRequest) -> HttpResponse:
    official_or_404(request)
    period = request.GET.get("period", logreads.DEFAULT_PERIOD)
    if period not in logreads.PERIODS:
        error = _("Chọn một khoảng thời gian trong danh sách: 24 giờ, 7 ngày hoặc 30 ngày qua.")
        return render(
            request, "exchange/stats.html", {"period": "", "period_error": error}, status=400
        )
    report = logreads.hub_report(period=period)
    return render(request, "exchange/stats.html", {"period": period, "report": report})


# --- member systems ----------------------------------------------------------------------


def _systems_context(request: AuthedRequest, **extra: Any) -> dict[str, Any]:
    agencies = list(selectors.agencies_administered_by(user=request.user))
    return {
        "systems": selectors.system_list_for_user(user=request.user)[:LIST_LIMIT],
        "admin_agency_ids": {a.pk for a in agencies},
        "register_form": extra.pop("register_form", None) or SystemRegisterForm(agencies=agencies),
        "can_register": bool(agencies),
        "token_url": request.build_absolute_uri(reverse("exchange-oauth-token")),
        **extra,
    }


def _render_systems(request: AuthedRequest, status: int = 200, **extra: Any) -> HttpResponse:
    template = "exchange/systems.html"
    if is_htmx(request):
        template += "#systems"
    return render(
        request, template, _systems_context(request, **extra), status=htmx_status(request, status)
    )


@require_GET
def systems(request: AuthedRequest) -> HttpResponse:
    official_or_404(request)
    return _render_systems(request)


@require_POST
def system_register(request: AuthedRequest) -> HttpResponse:
    actor = official_or_404(request)
    agencies = list(selectors.agencies_administered_by(user=request.user))
    form = SystemRegisterForm(request.POST, agencies=agencies)
    if not form.is_valid():
        return _render_systems(request, status=422, register_form=form)
    data = form.cleaned_data
    agency = next(a for a in agencies if a.code == data["agency"])
    try:
        created = services.system_register(
            actor=actor,
            agency=agency,
            member_class=data["member_class"],
            code=data["code"],
            name=data["name"],
            description=data["description"],
            contact_email=data["contact_email"],
        )
    except ApplicationError as exc:
        apply_error(form, exc)
        return _render_systems(request, status=exc.status, register_form=form)
    return _render_systems(request, created=created)


@require_POST
def system_rotate(request: AuthedRequest, identifier: str) -> HttpResponse:
    actor = official_or_404(request)
    system = selectors.system_get_for_user(user=request.user, identifier=identifier)
    try:
        created = services.system_secret_rotate(actor=actor, system=system)
    except ApplicationError as exc:
        return _render_systems(request, status=exc.status, error=exc.message)
    return _render_systems(request, created=created, rotated=True)


@require_POST
def system_revoke(request: AuthedRequest, identifier: str) -> HttpResponse:
    actor = official_or_404(request)
    system = selectors.system_get_for_user(user=request.user, identifier=identifier)
    form = SystemRevokeForm(request.POST)
    if not form.is_valid():
        return _render_systems(
            request,
            status=422,
            error=_("Cần ghi lý do thu hồi hệ thống %(id)s.") % {"id": system.identifier},
        )
    try:
        services.system_revoke(actor=actor, system=system, reason=form.cleaned_data["reason"])
    except ApplicationError as exc:
        return _render_systems(request, status=exc.status, error=exc.message)
    return _render_systems(
        request, notice=_("Đã thu hồi hệ thống %(id)s.") % {"id": system.identifier}
    )


# --- access grants -----------------------------------------------------------------------


def _request_form(
    request: AuthedRequest, data: Any = None, service_id: Any = None
) -> GrantRequestForm:
    service = None
    if service_id not in (None, ""):
        try:
            service = selectors.service_get_by_id(pk=int(service_id))
        except (ValueError, NotFound):
            service = None
    return GrantRequestForm(
        data,
        consumers=selectors.systems_administered_by(user=request.user),
        services=selectors.catalogue_list(),
        operations=openapi.operations(service.openapi) if service is not None else (),
        initial={"service": service.pk} if service is not None else None,
    )


def _grants_context(request: AuthedRequest, **extra: Any) -> dict[str, Any]:
    form = extra.pop("request_form", None) or _request_form(
        request, service_id=request.GET.get("service")
    )
    return {
        "incoming": selectors.grant_list_incoming(user=request.user)[:LIST_LIMIT],
        "outgoing": selectors.grant_list_outgoing(user=request.user)[:LIST_LIMIT],
        "admin_agency_ids": _admin_agency_ids(request),
        "request_form": form,
        "can_request": form.has_consumers,
        **extra,
    }


def _admin_agency_ids(request: AuthedRequest) -> set[int]:
    return set(selectors.agencies_administered_by(user=request.user).values_list("pk", flat=True))


@require_GET
def grants(request: AuthedRequest) -> HttpResponse:
    official_or_404(request)
    return render(request, "exchange/grants.html", _grants_context(request))


@require_GET
def grant_operations(request: AuthedRequest) -> HttpResponse:
    """The operation checkboxes of the service chosen in the request form (htmx)."""
    official_or_404(request)
    form = _request_form(request, service_id=request.GET.get("service"))
    return render(request, "exchange/grants.html#operations", {"request_form": form})


@require_POST
def grant_request(request: AuthedRequest) -> HttpResponse:
    actor = official_or_404(request)
    form = _request_form(request, request.POST, service_id=request.POST.get("service"))
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        try:
            consumer = selectors.system_get_for_user(user=request.user, identifier=data["consumer"])
            service = selectors.service_get_by_id(pk=data["service"])
            services.grant_request(
                actor=actor,
                consumer=consumer,
                service=service,
                operations=form.chosen_operations(),
                purpose=data["purpose"],
                legal_basis=data["legal_basis"],
                valid_from=start_of(data["valid_from"]),
                valid_until=end_of(data["valid_until"]),
            )
        except ApplicationError as exc:
            apply_error(form, exc)
            status = exc.status
        else:
            messages.success(
                request,
                _("Đã gửi yêu cầu quyền truy cập dịch vụ %(s)s.") % {"s": str(service)},
            )
            return redirect(reverse("exchange:grants") + "#outgoing-h")
    return render(
        request, "exchange/grants.html", _grants_context(request, request_form=form), status=status
    )


def _decide(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    actor = official_or_404(request)
    grant = selectors.grant_get_for_user(user=request.user, pk=pk)
    form = GrantDecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    error = None
    status = 200
    try:
        if not form.is_valid():
            raise ApplicationError(_("Ghi chú tối đa 4000 ký tự."))
        if action == "approve":
            grant = services.grant_approve(actor=actor, grant=grant, note=note)
        elif action == "refuse":
            grant = services.grant_refuse(actor=actor, grant=grant, note=note)
        else:
            grant = services.grant_revoke(actor=actor, grant=grant, note=note)
    except ApplicationError as exc:
        error, status = exc.message, exc.status
        grant = selectors.grant_get_for_user(user=request.user, pk=pk)
    if not is_htmx(request):
        if error:
            messages.error(request, str(error))
        else:
            messages.success(request, _done_message(action, grant))
        return redirect(reverse("exchange:grants") + f"#grant-{grant.pk}")
    return render(
        request,
        "exchange/grants.html#incoming_row",
        {
            "g": grant,
            "admin_agency_ids": _admin_agency_ids(request),
            "row_error": error,
            "row_notice": None if error else _done_message(action, grant),
        },
        status=htmx_status(request, status),
    )


def _done_message(action: str, grant: AccessGrant) -> str:
    messages_by_action = {
        "approve": _("Đã cấp quyền truy cập #%(id)s."),
        "refuse": _("Đã từ chối yêu cầu #%(id)s."),
        "revoke": _("Đã thu hồi quyền truy cập #%(id)s."),
    }
    return messages_by_action[action] % {"id": grant.pk}


@require_POST
def grant_approve(request: AuthedRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, "approve")


@require_POST
def grant_refuse(request: AuthedRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, "refuse")


@require_POST
def grant_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, "revoke")
