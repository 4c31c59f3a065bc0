"""Kernel middleware."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django_guid import get_guid

from thudo.core import audit


def client_ip(request: HttpRequest) -> str | None:
    raw = request.META.get("REMOTE_ADDR") or ""
    try:
        return ipaddress.ip_address(raw).compressed
    except ValueError:
        return None


class AuditContextMiddleware:
    """Makes the caller's address and the request id available to audit events."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = audit.set_request_context(
            audit.RequestContext(ip=client_ip(request), request_id=get_guid() or "")
        )
        try:
            response = self.get_response(request)
        finally:
            audit.reset_request_context(token)
        if (
            getattr(request.user, "is_authenticated", False)
            and getattr(request.user, "must_change_password", False)
            and request.method == "GET"
            and not request.path.startswith(("/static/", "/api/"))
            and request.path not in _password_exempt_paths()
            and response.status_code == 200
            and not getattr(request, "htmx", False)
        ):
            return redirect("core:password_change")
        return response


def _password_exempt_paths() -> set[str]:
    return {reverse("core:password_change"), reverse("core:logout")}


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Django's LoginRequiredMiddleware, except for the JSON API.

    The API authenticates by itself (session or bearer token) and answers 401 with
    problem+json instead of redirecting to a login page; tests/test_architecture.py
    checks that every API operation declares its authentication.
    """

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        if request.path.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class ApplicationErrorMiddleware:
    """Pages: a service's NotFound / PermissionDenied … becomes the matching error page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from thudo.core.errors import ApplicationError
        from thudo.core.views import error_page

        if isinstance(exception, ApplicationError):
            return error_page(request, exception.status, exception.code, str(exception.message))
        return None


_TEXT_BODIES = ("application/json", "application/x-www-form-urlencoded", "text/")


class NulRejectMiddleware:
    """Text input with a NUL character is refused at the door: no text in the platform
    may hold one, PostgreSQL cannot store one, and a request carrying one is never
    legitimate. Binary uploads (multipart, PDF, XML parsed by its own checks) pass."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if _has_nul(request):
            from django.utils.translation import gettext as _

            from thudo.core import problems

            return problems.problem_response(
                request,
                status=400,
                code="invalid_characters",
                title=_("Dữ liệu gửi lên chứa ký tự không hợp lệ."),
            )
        return self.get_response(request)


def _has_nul(request: HttpRequest) -> bool:
    query = request.META.get("QUERY_STRING", "")
    if "%00" in query or "\x00" in query:
        return True
    if "\x00" in request.path:
        return True
    content_type = request.META.get("CONTENT_TYPE", "")
    if request.method in ("GET", "HEAD", "OPTIONS") or not content_type.startswith(_TEXT_BODIES):
        return False
    body = request.body
    if content_type.startswith("application/x-www-form-urlencoded") and b"%00" in body:
        return True
    return b"\x00" in body or b"\\u0000" in body.lower()
