"""RFC 9457 problem details: how every API error looks.

``{"type", "title", "status", "detail", "instance", "code", "errors"?, "request_id"}``
with ``Content-Type: application/problem+json``; ``code`` is stable.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django_guid import get_guid
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from thudo.core.errors import ApplicationError, FieldError

logger = logging.getLogger("thudo.api")

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_type(code: str) -> str:
    return f"urn:thudo:problem:{code}"


def problem_response(
    request: HttpRequest,
    *,
    status: int,
    code: str,
    title: Any,
    detail: Any = None,
    errors: Iterable[FieldError] = (),
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": str(title),
        "status": status,
        "code": code,
        "instance": request.get_full_path(),
    }
    if detail is not None and str(detail) != str(title):
        body["detail"] = str(detail)
    error_list = [{"field": e.field, "code": e.code, "message": str(e.message)} for e in errors]
    if error_list:
        body["errors"] = error_list
    if extra:
        body.update({k: v for k, v in extra.items() if k not in body})
    request_id = get_guid()
    if request_id:
        body["request_id"] = request_id
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, default=str),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


# Pydantic's messages are English; these are the ones people meet most, in both languages.
def _pydantic_message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    messages = {
        "missing": _("Trường này là bắt buộc."),
        "string_type": _("Giá trị phải là chuỗi ký tự."),
        "int_type": _("Giá trị phải là số nguyên."),
        "int_parsing": _("Giá trị phải là số nguyên."),
        "float_parsing": _("Giá trị phải là số."),
        "bool_parsing": _("Giá trị phải là đúng hoặc sai (true/false)."),
        "date_parsing": _("Ngày phải có dạng YYYY-MM-DD."),
        "date_from_datetime_parsing": _("Ngày phải có dạng YYYY-MM-DD."),
        "datetime_parsing": _("Thời điểm phải theo ISO 8601."),
        "json_invalid": _("Nội dung gửi lên không phải JSON hợp lệ."),
        "model_attributes_type": _("Nội dung gửi lên phải là một đối tượng JSON."),
        "dict_type": _("Giá trị phải là một đối tượng JSON."),
        "list_type": _("Giá trị phải là một danh sách."),
        "extra_forbidden": _("Trường này không được phép."),
        "enum": _("Giá trị không thuộc danh sách cho phép."),
        "literal_error": _("Giá trị không thuộc danh sách cho phép."),
        "uuid_parsing": _("Giá trị phải là UUID."),
        "string_pattern_mismatch": _("Giá trị không đúng định dạng."),
    }
    if kind in messages:
        return messages[kind]
    if kind == "string_too_long":
        return _("Tối đa %(n)s ký tự.") % {"n": ctx.get("max_length")}
    if kind == "string_too_short":
        return _("Tối thiểu %(n)s ký tự.") % {"n": ctx.get("min_length")}
    if kind in ("greater_than_equal", "greater_than"):
        return _("Giá trị phải lớn hơn hoặc bằng %(n)s.") % {"n": ctx.get("ge", ctx.get("gt"))}
    if kind in ("less_than_equal", "less_than"):
        return _("Giá trị phải nhỏ hơn hoặc bằng %(n)s.") % {"n": ctx.get("le", ctx.get("lt"))}
    if kind == "value_error":
        # Our own validators raise ValueError with a message already in the user's language.
        message = str(error.get("msg", ""))
        return message.removeprefix("Value error, ")
    return str(error.get("msg", _("Giá trị không hợp lệ.")))


def _field_name(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form", "file"):
        source = parts[0]
        parts = parts[1:]
        # Body schemas are wrapped in the parameter name (e.g. "payload").
        if source == "body" and len(parts) > 1:
            parts = parts[1:]
    return ".".join(parts) or "body"


def field_errors_from_pydantic(errors: Iterable[Mapping[str, Any]]) -> list[FieldError]:
    return [
        FieldError(
            _field_name(e.get("loc", ())), str(e.get("type", "invalid")), _pydantic_message(e)
        )
        for e in errors
    ]


def install(api: NinjaAPI) -> None:
    """Route every error the API can raise to a problem+json response."""

    @api.exception_handler(ApplicationError)
    def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        return problem_response(
            request,
            status=exc.status,
            code=exc.code,
            title=exc.title,
            detail=exc.message,
            errors=exc.field_errors,
            extra=dict(exc.data),
        )

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return problem_response(
            request,
            status=422,
            code="invalid_input",
            title=_("Dữ liệu không hợp lệ"),
            errors=field_errors_from_pydantic(exc.errors),
        )

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem_response(
            request,
            status=401,
            code="not_authenticated",
            title=_("Cần đăng nhập"),
            detail=_("Gửi kèm phiên đăng nhập hoặc khóa API (Authorization: Bearer …)."),
            headers={"WWW-Authenticate": 'Bearer realm="thudo"'},
        )

    @api.exception_handler(AuthorizationError)
    def authorization_error(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return problem_response(
            request,
            status=403,
            code="permission_denied",
            title=_("Không có quyền thực hiện"),
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = {
            400: "bad_request",
            403: "permission_denied",
            404: "not_found",
            405: "method_not_allowed",
            413: "payload_too_large",
        }.get(exc.status_code, "http_error")
        return problem_response(request, status=exc.status_code, code=code, title=str(exc))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem_response(request, status=404, code="not_found", title=_("Không tìm thấy"))

    @api.exception_handler(DjangoPermissionDenied)
    def forbidden(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
        return problem_response(
            request, status=403, code="permission_denied", title=_("Không có quyền thực hiện")
        )

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("unhandled API error", exc_info=exc)
        return problem_response(
            request,
            status=500,
            code="server_error",
            title=_("Lỗi máy chủ"),
            detail=_("Đã ghi nhận lỗi; vui lòng thử lại sau."),
        )
