"""The platform's document exchange as a provider system behind the hub (LGSP): other
agencies' systems POST edXML packages and statuses here through the gateway, which adds
its signed assertion; nothing else may call these endpoints."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from thudo.core import problems
from thudo.core.errors import ApplicationError
from thudo.core.identifiers import IdentifierError, check_agency_code
from thudo.documents import edxml, services
from thudo.exchange.facade import AssertionInvalid, ForwardedCall, verify_forwarded

logger = logging.getLogger("thudo.documents")
XML_TYPES = ("application/xml", "text/xml")
PATH = "/documents/exchange/v1"


def _problem(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    return problems.problem_response(
        request,
        status=error.status,
        code=error.code,
        title=error.title,
        detail=error.message if str(error.message) != str(error.title) else None,
        errors=error.field_errors,
    )


def _forwarded(request: HttpRequest) -> ForwardedCall | HttpResponse:
    try:
        return verify_forwarded(request.headers, provider=settings.DOCUMENTS_EXCHANGE_SYSTEM)
    except AssertionInvalid as exc:
        logger.info("document exchange refused an assertion: %s", exc)
        return problems.problem_response(
            request,
            status=401,
            code="assertion_invalid",
            title=_("Chỉ nhận yêu cầu qua nền tảng chia sẻ dữ liệu."),
            headers={"WWW-Authenticate": 'ExchangeAssertion realm="thudo-exchange"'},
        )


def _xml_body(request: HttpRequest) -> bytes | HttpResponse:
    content_type = request.content_type or ""
    if content_type not in XML_TYPES:
        return problems.problem_response(
            request, status=415, code="unsupported_media_type", title=_("Cần nội dung XML.")
        )
    declared = request.headers.get("Content-Length", "")
    too_large = declared.isdigit() and int(declared) > edxml.MAX_BYTES
    # Read up to edXML's own limit, not through request.body: Django's
    # DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) is for forms, and a package with its
    # attachments is often larger.
    body = b"" if too_large else request.read(edxml.MAX_BYTES + 1)
    if too_large or len(body) > edxml.MAX_BYTES:
        return problems.problem_response(
            request, status=413, code="payload_too_large", title=_("Gói tin quá lớn.")
        )
    return body


@csrf_exempt
@login_not_required
@require_POST
def packages(request: HttpRequest) -> HttpResponse:
    forwarded = _forwarded(request)
    if isinstance(forwarded, HttpResponse):
        return forwarded
    body = _xml_body(request)
    if isinstance(body, HttpResponse):
        return body
    receiver = request.GET.get("receiver", "")
    try:
        receiver = check_agency_code(receiver)
    except IdentifierError:
        return problems.problem_response(
            request, status=400, code="invalid_receiver", title=_("Mã cơ quan nhận không hợp lệ.")
        )
    try:
        received = services.package_receive(
            actor=None, xml=body, receiver_code=receiver, consumer=forwarded.consumer
        )
    except ApplicationError as error:
        return _problem(request, error)
    answer: dict[str, Any] = {
        "status": received.status_code,
        "created": received.created,
        "receiver": receiver,
    }
    return JsonResponse(answer, status=202 if received.created else 200)


@csrf_exempt
@login_not_required
@require_POST
def statuses(request: HttpRequest) -> HttpResponse:
    forwarded = _forwarded(request)
    if isinstance(forwarded, HttpResponse):
        return forwarded
    body = _xml_body(request)
    if isinstance(body, HttpResponse):
        return body
    try:
        recipient = services.status_receive(actor=None, xml=body)
    except ApplicationError as error:
        return _problem(request, error)
    return JsonResponse({"status": recipient.status_code}, status=202)


def openapi_document() -> dict[str, Any]:
    """What the hub's catalogue publishes for this service."""
    xml_body = {
        "required": True,
        "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}},
    }
    answer = {
        "description": "accepted",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
    problem = {"description": "problem", "content": {"application/problem+json": {}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Trục liên thông văn bản (edXML)",
            "version": "1",
            "description": "Gửi, nhận gói tin edXML (QCVN 102:2016) và trạng thái xử lý "
            "giữa các cơ quan; chỉ qua nền tảng chia sẻ dữ liệu.",
        },
        "servers": [{"url": PATH}],
        "paths": {
            "/packages": {
                "post": {
                    "operationId": "package_receive",
                    "summary": "Nhận một gói tin văn bản cho cơ quan nhận",
                    "parameters": [
                        {
                            "name": "receiver",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string", "maxLength": 35},
                        }
                    ],
                    "requestBody": xml_body,
                    "responses": {"202": answer, "200": answer, "401": problem, "422": problem},
                }
            },
            "/statuses": {
                "post": {
                    "operationId": "status_receive",
                    "summary": "Nhận trạng thái xử lý của văn bản đã gửi",
                    "requestBody": xml_body,
                    "responses": {"202": answer, "401": problem, "422": problem},
                }
            },
        },
    }
