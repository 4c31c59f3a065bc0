"""Kernel pages: home, staff sign-in with TOTP, agency staff, audit, API tokens, health."""

from __future__ import annotations

import base64
import secrets
from typing import Any

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import user_login_failed
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language
from django_otp import login as otp_login
from django_otp import match_token
from django_prometheus.exports import ExportToDjangoView

from thudo.core import selectors, services
from thudo.core.auth import AuthedRequest
from thudo.core.errors import ApplicationError, NotFound
from thudo.core.forms import (
    OfficialCreateForm,
    OtpForm,
    PasswordChangeForm,
    RoleGrantForm,
    TokenCreateForm,
)
from thudo.core.pages import apply_error
from thudo.core.problems import problem_response
from thudo.core.rules import is_official, is_platform_admin

OTP_PENDING = "thudo_otp_pending_user"


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


# --- home -------------------------------------------------------------------------------


@login_not_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return render(request, "core/home_public.html")
    if getattr(user, "is_citizen", False):
        uses = selectors.audit_events_about_me(user=user)[:5]
        return render(request, "core/home_citizen.html", {"data_uses": uses})
    memberships = list(selectors.memberships_of(user=user))
    return render(request, "core/home_official.html", {"memberships": memberships})


# --- staff sign-in ----------------------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_next_url(request))
    form = AuthenticationForm(request, data=request.POST or None)
    form.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})
    form.fields["password"].widget.attrs.update({"autocomplete": "current-password"})
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        if selectors.totp_confirmed_exists(user=user):
            request.session[OTP_PENDING] = {"id": user.pk, "backend": user.backend}
            query = f"?next={request.POST.get('next')}" if request.POST.get("next") else ""
            return redirect(reverse("core:login_otp") + query)
        auth_login(request, user)
        return redirect(_next_url(request))
    return render(
        request,
        "core/login.html",
        {"form": form, "next": request.GET.get("next", request.POST.get("next", ""))},
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def login_otp(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(OTP_PENDING)
    user = selectors.active_user_get(pk=(pending or {}).get("id"))
    if user is None:
        return redirect("core:login")
    form = OtpForm(request.POST or None)
    credentials = {"username": user.get_username()}
    if request.method == "POST" and form.is_valid():
        if AxesProxyHandler.is_locked(request, credentials):
            return render(request, "core/locked_out.html", status=429)
        device = match_token(user, form.cleaned_data["token"])
        if device is not None:
            del request.session[OTP_PENDING]
            auth_login(request, user, backend=(pending or {}).get("backend"))
            otp_login(request, device)
            return redirect(_next_url(request))
        # Counted by django-axes like a wrong password.
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        form.add_error("token", _("Mã xác thực không đúng hoặc đã hết hạn."))
    return render(
        request, "core/login_otp.html", {"form": form, "next": request.GET.get("next", "")}
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return redirect("core:home")


@require_http_methods(["GET", "POST"])
def password_change(request: AuthedRequest) -> HttpResponse:
    if not is_official(request.user):
        raise NotFound()
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(
                actor=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ApplicationError as exc:
            apply_error(form, exc)
        else:
            # Changing the password ends other sessions; keep this one.
            from django.contrib.auth import update_session_auth_hash

            update_session_auth_hash(request, request.user)
            messages.success(request, _("Đã đổi mật khẩu."))
            return redirect("core:home")
    return render(request, "core/password_change.html", {"form": form})


@require_http_methods(["GET", "POST"])
def totp_setup(request: AuthedRequest) -> HttpResponse:
    if not is_official(request.user):
        raise NotFound()
    device = selectors.totp_device_pending(user=request.user)
    form = OtpForm(request.POST or None)
    if request.method == "POST" and device is not None and form.is_valid():
        try:
            services.totp_device_confirm(
                actor=request.user,
                device=device,
                token=form.cleaned_data["token"],
            )
        except ApplicationError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Đã bật xác thực hai lớp."))
            return redirect("core:home")
    if device is None:
        device = services.totp_device_create(actor=request.user)
    uri = device.config_url
    qr_svg = segno.make(uri, error="m").svg_data_uri(scale=4)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    has_confirmed = selectors.totp_confirmed_exists(user=request.user)
    return render(
        request,
        "core/totp_setup.html",
        {
            "form": form,
            "qr_svg": qr_svg,
            "secret": secret,
            "has_confirmed": has_confirmed,
        },
    )


# --- agencies and their staff -----------------------------------------------------------


def _agency_context(request: AuthedRequest, agency: Any, **extra: Any) -> dict[str, Any]:
    can_manage = selectors.agency_can_manage_staff(user=request.user, agency=agency)
    allow_pa = bool(is_platform_admin(request.user))
    return {
        "agency": agency,
        "memberships": selectors.membership_list_for_agency(user=request.user, agency=agency),
        "children": selectors.agency_list(parent_code=agency.code)[:200],
        "can_manage": can_manage,
        "create_form": extra.pop("create_form", None)
        or OfficialCreateForm(allow_platform_admin=allow_pa),
        "grant_form": extra.pop("grant_form", None) or RoleGrantForm(allow_platform_admin=allow_pa),
        **extra,
    }


def _render_staff(
    request: AuthedRequest, agency: Any, status: int = 200, **extra: Any
) -> HttpResponse:
    template = "core/agency_detail.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#staff"
    return render(request, template, _agency_context(request, agency, **extra), status=status)


def agency_detail(request: AuthedRequest, code: str) -> HttpResponse:
    agency = selectors.agency_get_for_user(user=request.user, code=code)
    return render(request, "core/agency_detail.html", _agency_context(request, agency))


@require_POST
def official_create(request: AuthedRequest, code: str) -> HttpResponse:
    agency = selectors.agency_get_for_user(user=request.user, code=code)
    form = OfficialCreateForm(
        request.POST, allow_platform_admin=bool(is_platform_admin(request.user))
    )
    if form.is_valid():
        try:
            created = services.official_create(
                actor=request.user,
                agency=agency,
                **form.cleaned_data,
            )
        except ApplicationError as exc:
            apply_error(form, exc)
            return _render_staff(request, agency, status=exc.status, create_form=form)
        return _render_staff(request, agency, created=created)
    return _render_staff(request, agency, status=422, create_form=form)


@require_POST
def role_grant(request: AuthedRequest, code: str) -> HttpResponse:
    agency = selectors.agency_get_for_user(user=request.user, code=code)
    form = RoleGrantForm(request.POST, allow_platform_admin=bool(is_platform_admin(request.user)))
    if form.is_valid():
        try:
            official = selectors.official_get_for_user(
                user=request.user, agency=agency, username=form.cleaned_data["username"]
            )
            services.membership_grant(
                actor=request.user,
                agency=agency,
                user=official,
                role=form.cleaned_data["role"],
                title=form.cleaned_data["title"],
            )
        except ApplicationError as exc:
            if exc.status == 404:
                form.add_error("username", str(exc.message))
            else:
                apply_error(form, exc)
            return _render_staff(request, agency, status=exc.status, grant_form=form)
        return _render_staff(request, agency, notice=_("Đã giao vai trò."))
    return _render_staff(request, agency, status=422, grant_form=form)


@require_POST
def role_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    membership = selectors.membership_get_for_user(user=request.user, pk=pk)
    try:
        services.membership_revoke(actor=request.user, membership=membership)
    except ApplicationError as exc:
        return _render_staff(request, membership.agency, status=exc.status, error=exc.message)
    return _render_staff(request, membership.agency, notice=_("Đã thu hồi vai trò."))


@require_POST
def official_password_reset(request: AuthedRequest, code: str, username: str) -> HttpResponse:
    agency = selectors.agency_get_for_user(user=request.user, code=code)
    official = selectors.official_get_for_user(user=request.user, agency=agency, username=username)
    password = secrets.token_urlsafe(12)
    try:
        services.official_password_set(actor=request.user, user=official, password=password)
    except ApplicationError as exc:
        return _render_staff(request, agency, status=exc.status, error=exc.message)
    return _render_staff(request, agency, reset={"username": username, "password": password})


# --- audit ------------------------------------------------------------------------------


def audit_list(request: AuthedRequest) -> HttpResponse:
    code = request.GET.get("agency", "").strip()
    agency = selectors.agency_get_for_user(user=request.user, code=code) if code else None
    events = selectors.audit_events_for_user(user=request.user, agency=agency)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_list.html", {"agency": agency, "page": page})


# --- API tokens -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def token_list(request: AuthedRequest) -> HttpResponse:
    if not is_official(request.user):
        raise NotFound()
    form = TokenCreateForm(request.POST or None)
    created = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = services.api_token_create(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    expires_in_days=form.cleaned_data["expires_in_days"],
                )
                form = TokenCreateForm()
            except ApplicationError as exc:
                apply_error(form, exc)
                status = exc.status
        else:
            status = 422
    tokens = selectors.api_tokens_for_user(user=request.user)
    return render(
        request,
        "core/tokens.html",
        {"form": form, "tokens": tokens, "created": created},
        status=status,
    )


@require_POST
def token_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    token = selectors.api_token_get_for_user(user=request.user, pk=pk)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, _("Đã thu hồi khóa API."))
    return redirect("core:tokens")


# --- language, health, metrics ----------------------------------------------------------

set_language = login_not_required(django_set_language)


@login_not_required
def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@login_not_required
def readyz(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not ready"
        return problem_response(
            request,
            status=503,
            code="database_unreachable",
            title=_("Không kết nối được cơ sở dữ liệu"),
        )
    return JsonResponse({"status": "ready", "database": connection.vendor})


prometheus_metrics = login_not_required(ExportToDjangoView)


# --- errors -----------------------------------------------------------------------------


def error_page(request: HttpRequest, status: int, code: str, title: str) -> HttpResponse:
    if request.path.startswith("/api/") or (
        "json" in request.headers.get("Accept", "")
        and ("html" not in request.headers.get("Accept", ""))
    ):
        return problem_response(request, status=status, code=code, title=title)
    return render(request, "core/error.html", {"status": status, "title": title}, status=status)


@login_not_required
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 400, "bad_request", _("Yêu cầu không hợp lệ"))


@login_not_required
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 403, "permission_denied", _("Bạn không có quyền xem trang này"))


@login_not_required
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 404, "not_found", _("Không tìm thấy trang"))


@login_not_required
def server_error(request: HttpRequest) -> HttpResponse:
    return error_page(request, 500, "server_error", _("Lỗi máy chủ; vui lòng thử lại sau"))
