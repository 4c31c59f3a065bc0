"""Endpoints of the simulated national eID provider (VNeID).

The simulator keeps its own sign-in in ``request.session["eidsim_account_id"]`` and
never calls ``django.contrib.auth.login``: signing in here signs no one in to the
platform. The platform learns who the person is only through the protocol.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from typing import Any

from authlib.oauth2 import OAuth2Error
from authlib.oidc.core.errors import ConsentRequiredError
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from thudo.core.errors import ApplicationError
from thudo.eidsim import keys, provider, selectors, services
from thudo.eidsim.forms import SignInForm
from thudo.eidsim.models import EidAccount

SESSION_ACCOUNT = "eidsim_account_id"
SESSION_AUTH_TIME = "eidsim_auth_time"
# Set by a sign-in for one particular authorization request, so that ``prompt=login``
# is satisfied by that sign-in and not asked for again on the consent page.
SESSION_FRESH_FOR = "eidsim_signed_in_for"


# --- discovery --------------------------------------------------------------------------------


@login_not_required
@require_GET
def discovery(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(provider.discovery_document(provider.issuer_for(request)))
    response["Access-Control-Allow-Origin"] = "*"
    return response


@login_not_required
@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(keys.public_jwks())
    response["Access-Control-Allow-Origin"] = "*"
    return response


# --- authorization ----------------------------------------------------------------------------


def _request_fingerprint(request: HttpRequest) -> str:
    items = sorted((k, v) for k in request.GET for v in request.GET.getlist(k))
    return hashlib.sha256(repr(items).encode("utf-8")).hexdigest()


def _signed_in(request: HttpRequest) -> tuple[EidAccount | None, int | None]:
    account = selectors.account_get_active(pk=request.session.get(SESSION_ACCOUNT))
    auth_time = request.session.get(SESSION_AUTH_TIME)
    if account is None or not isinstance(auth_time, int):
        return None, None
    return account, auth_time


def _must_sign_in(request: HttpRequest, account: EidAccount | None, auth_time: int | None) -> bool:
    if account is None or auth_time is None:
        return True
    fresh = request.session.get(SESSION_FRESH_FOR) == _request_fingerprint(request)
    if "login" in request.GET.get("prompt", "").split() and not fresh:
        return True
    max_age = request.GET.get("max_age", "")
    return max_age.isdigit() and time.time() - auth_time > int(max_age) and not fresh


_ERROR_MESSAGES = {
    "invalid_client": _("Ứng dụng yêu cầu đăng nhập chưa được đăng ký với hệ thống định danh."),
    "invalid_request": _(
        "Yêu cầu đăng nhập không hợp lệ (thiếu tham số hoặc địa chỉ chuyển "
        "hướng chưa được đăng ký)."
    ),
    "unauthorized_client": _("Ứng dụng không được phép dùng cách đăng nhập này."),
    "unsupported_response_type": _("Kiểu phản hồi được yêu cầu không được hỗ trợ."),
    "invalid_scope": _("Phạm vi thông tin được yêu cầu không hợp lệ."),
}


def _error_page(request: HttpRequest, error: OAuth2Error) -> HttpResponse:
    message = _ERROR_MESSAGES.get(error.error or "", _("Yêu cầu đăng nhập không hợp lệ."))
    return render(
        request,
        "eidsim/error.html",
        {"message": message, "error": error.error, "description": error.description},
        status=400,
    )


def _authorization_error(
    request: HttpRequest, server: provider.SimulatorServer, error: OAuth2Error
) -> HttpResponse:
    # Authlib sets redirect_uri only once it has matched a registered URI of a known
    # client; anything else is shown here and never redirected.
    if error.redirect_uri:
        response: HttpResponse = server.handle_error_response(request, error)
        return response
    return _error_page(request, error)


def _render_sign_in(
    request: HttpRequest, client: Any, form: SignInForm, status: int = 200
) -> HttpResponse:
    return render(request, "eidsim/sign_in.html", {"form": form, "client": client}, status=status)


@never_cache
@login_not_required
@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    server = provider.authorization_server(provider.issuer_for(request))
    account, auth_time = _signed_in(request)
    try:
        grant = server.get_consent_grant(request, end_user=account)
        if request.GET.get("prompt") == "none" and account is not None:
            # Consent is asked every time, so it can never be given silently.
            raise ConsentRequiredError(
                redirect_uri=grant.redirect_uri, state=request.GET.get("state")
            )
    except OAuth2Error as error:
        return _authorization_error(request, server, error)
    client = grant.client
    step = request.POST.get("step") if request.method == "POST" else None

    if step == "sign_in":
        form = SignInForm(request.POST)
        if not form.is_valid():
            return _render_sign_in(request, client, form, status=400)
        try:
            account = services.account_authenticate(
                personal_id=form.cleaned_data["personal_id"],
                password=form.cleaned_data["password"],
            )
        except ApplicationError as exc:
            form.add_error(None, str(exc.message))
            return _render_sign_in(request, client, form, status=exc.status)
        # A new session key on sign-in, as Django's own login does (no fixation).
        request.session.cycle_key()
        request.session[SESSION_ACCOUNT] = account.pk
        request.session[SESSION_AUTH_TIME] = int(time.time())
        request.session[SESSION_FRESH_FOR] = _request_fingerprint(request)
        return redirect(request.get_full_path())

    if _must_sign_in(request, account, auth_time):
        return _render_sign_in(request, client, SignInForm())
    assert account is not None and auth_time is not None

    if step == "consent":
        request.session.pop(SESSION_FRESH_FOR, None)
        allowed = request.POST.get("decision") == "allow"
        person = provider.SignedInPerson(
            account=account,
            auth_time=datetime.fromtimestamp(auth_time, tz=UTC),
        )
        response: HttpResponse = server.create_authorization_response(
            request, grant_user=person if allowed else None, grant=grant
        )
        return response

    return render(
        request,
        "eidsim/consent.html",
        {
            "client": client,
            "account": account,
            "claims": provider.consent_rows(account, grant.request.scope),
        },
    )


# --- machine endpoints ------------------------------------------------------------------------


@csrf_exempt
@login_not_required
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    server = provider.authorization_server(provider.issuer_for(request))
    response: HttpResponse = server.create_token_response(request)
    return response


@csrf_exempt
@login_not_required
@require_http_methods(["GET", "POST"])
def userinfo(request: HttpRequest) -> HttpResponse:
    try:
        granted = provider.resource_protector.acquire_token(request, scopes=["openid"])
    except OAuth2Error as error:
        return _bearer_error(error)
    response = JsonResponse(provider.claims_for(granted.account, granted.scope))
    response["Cache-Control"] = "no-store"
    return response


def _bearer_error(error: OAuth2Error) -> HttpResponse:
    """RFC 6750 §3: no credentials → a bare challenge; bad ones → the error code."""
    if error.error == "missing_authorization":
        response = JsonResponse(
            {"error": "invalid_request", "error_description": "Missing bearer token."}, status=401
        )
        response["WWW-Authenticate"] = 'Bearer realm="eidsim"'
        return response
    status = 403 if error.error == "insufficient_scope" else 401
    code = error.error if error.error == "insufficient_scope" else "invalid_token"
    response = JsonResponse(
        {"error": code, "error_description": error.description or ""}, status=status
    )
    response["WWW-Authenticate"] = f'Bearer realm="eidsim", error="{code}"'
    return response


# --- sign-out ---------------------------------------------------------------------------------


def _forget(request: HttpRequest) -> None:
    for key in (SESSION_ACCOUNT, SESSION_AUTH_TIME, SESSION_FRESH_FOR):
        request.session.pop(key, None)


@never_cache
@login_not_required
@require_http_methods(["GET", "POST"])
def logout(request: HttpRequest) -> HttpResponse:
    server = provider.authorization_server(provider.issuer_for(request))
    try:
        ending = server.validate_endpoint_request("end_session", request)
    except OAuth2Error as error:
        return _error_page(request, error)
    if ending.needs_confirmation and request.method == "GET":
        # Without a valid id_token_hint anyone could log people out with a link.
        return render(request, "eidsim/logout_confirm.html", {"client": ending.client})
    _forget(request)
    response = server.create_endpoint_response("end_session", ending)
    if response is not None:
        return response
    return render(request, "eidsim/logged_out.html")
