"""Citizens' sign-in through national eID, and their "who used my data" page."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from thudo.core.errors import ApplicationError
from thudo.identity import oidc, selectors, services

SESSION_NEXT = "identity_eid_next"
SESSION_ID_TOKEN = "identity_eid_id_token"  # noqa: S105 - a session key, not a secret
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _safe_next(request: HttpRequest, target: str | None) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _sign_in_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    detail = str(exc.message)
    return render(
        request,
        "identity/sign_in_error.html",
        {
            "title": str(exc.title),
            "detail": detail if detail != str(exc.title) else "",
            "code": exc.code,
            "status": exc.status,
        },
        status=400 if exc.status == 422 else exc.status,
    )


@never_cache
@login_not_required
@require_GET
def eid_login(request: HttpRequest) -> HttpResponse:
    request.session[SESSION_NEXT] = _safe_next(request, request.GET.get("next"))
    callback = request.build_absolute_uri(reverse("identity:eid_callback"))
    try:
        return oidc.relying_party(request).authorize_redirect(request, redirect_uri=callback)
    except ApplicationError as exc:
        return _sign_in_error(request, exc)


@never_cache
@login_not_required
@require_GET
def eid_callback(request: HttpRequest) -> HttpResponse:
    try:
        claims = oidc.relying_party(request).finish(request)
        user = services.citizen_sign_in(claims=claims)
    except ApplicationError as exc:
        return _sign_in_error(request, exc)
    next_url = _safe_next(request, request.session.pop(SESSION_NEXT, None))
    auth_login(request, user, backend=MODEL_BACKEND)
    # Kept for RP-initiated logout at the provider (id_token_hint).
    request.session[SESSION_ID_TOKEN] = claims.id_token
    return redirect(next_url)


@require_POST
def eid_logout(request: HttpRequest) -> HttpResponse:
    """Sign out here, then at the provider, and come back to the home page."""
    id_token = request.session.get(SESSION_ID_TOKEN)
    party = oidc.relying_party(request)
    auth_logout(request)
    home = request.build_absolute_uri(reverse("core:home"))
    url = party.logout_url(id_token=id_token, post_logout_redirect_uri=home) if id_token else None
    return redirect(url or "core:home")


@require_GET
def data_uses(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("page", "1")
    number = int(raw) if raw.isdigit() and len(raw) <= 9 else 1
    page = selectors.data_uses_page(user=request.user, page=number)
    return render(request, "identity/data_uses.html", {"page": page})
