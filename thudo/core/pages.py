"""What the modules' server-rendered pages share: an official's page is not there for
anyone else, an htmx request gets its error fragment with status 200 so that htmx swaps
it in (a full page keeps the real status), and a service's error goes on the form's
fields."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.http import HttpRequest

from thudo.core.auth import AuthedRequest
from thudo.core.errors import ApplicationError, NotFound
from thudo.core.models import User
from thudo.core.rules import is_official


def official_or_404(request: AuthedRequest) -> User:
    """The signed-in official; for anyone else the page does not exist."""
    if not is_official(request.user):
        raise NotFound()
    return request.user


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def htmx_status(request: HttpRequest, status: int) -> int:
    return 200 if is_htmx(request) else status


def apply_error(
    form: forms.Form,
    exc: ApplicationError,
    *,
    aliases: Mapping[str, str] | None = None,
    fallback: bool = True,
) -> bool:
    """Show a service's error on the form: on the field it names (``aliases`` maps the
    service's names to the form's); otherwise, with ``fallback``, above the form. Whether
    the error is on the form now."""
    placed = False
    for error in exc.field_errors:
        name = (aliases or {}).get(error.field, error.field)
        if name in form.fields:
            form.add_error(name, error.message)
            placed = True
    if not placed and fallback:
        form.add_error(None, str(exc.message))
        return True
    return placed
