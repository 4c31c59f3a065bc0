"""The national databases as provider systems of the exchange hub (LGSP).

Two APIs of their own, apart from the platform's: the population database (CSDLQG về
dân cư) and the business registration database (CSDLQG về đăng ký doanh nghiệp). The rest
of the platform reaches them only through the hub's gateway, which forwards each call with
``X-Exchange-Assertion``, the hub's signed word on who is calling, why and about whom; a
call without a valid assertion gets 401 and nothing else.

Lookups answer with the three statuses of Circular 13 as ordinary JSON (200 found, 404
not_found, 403 not_permitted): the status is the registry's answer, not an error. Errors
(bad input, bad assertion) are problem+json as everywhere on the platform.

A third provider system receives rather than answers: the Government reporting
information system (hệ thống thông tin báo cáo Chính phủ), to which provinces push their
reports (see ``govreport``).
"""

from __future__ import annotations

import base64
import binascii
import logging
from datetime import date, datetime
from typing import Annotated, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Path, Query, Schema, Status
from ninja.openapi.schema import OpenAPISchema
from ninja.security import APIKeyHeader
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from thudo.core import problems
from thudo.core.errors import invalid
from thudo.core.identifiers import IdentifierError, check_personal_id, check_tax_code
from thudo.core.text import fold
from thudo.exchange.facade import AssertionInvalid, ForwardedCall, verify_forwarded
from thudo.registries import govreport, schemas, selectors
from thudo.registries.contracts import (
    BUSINESS_PATH,
    GOVREPORT_PATH,
    POPULATION_PATH,
    AssertionRejected,
    DataSubjectMismatch,
    PayloadTooLarge,
)

logger = logging.getLogger("thudo.registries")

# The header the hub's gateway adds to every forwarded call.
ASSERTION_HEADER = "X-Exchange-Assertion"
CHANGES_LIMIT = 1000

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}


def _problems(*statuses: int) -> dict[str, Any]:
    """OpenAPI responses for the problem+json answers an operation may give."""
    meaning = {
        400: "The data subject of the assertion is not the record asked for",
        401: "No valid assertion of the exchange hub",
        413: "The document is larger than 2 MiB",
        415: "Neither JSON nor SDMX-ML",
        422: "Invalid input",
    }
    return {
        "responses": {
            str(status): {
                "description": meaning[status],
                "content": {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                },
            }
            for status in statuses
        }
    }


class HubAssertion(APIKeyHeader):
    """The exchange hub's assertion, verified for one provider system.

    The provider's identifier is read from settings at each call (``setting`` names it),
    so that a deployment, or a test, may change it.
    """

    param_name = ASSERTION_HEADER
    openapi_description = (
        "Short-lived JWT signed by the data exchange hub (LGSP), added by its gateway: "
        "consumer, purpose, data subject, request id."
    )

    def __init__(self, setting: str) -> None:
        self.setting = setting
        super().__init__()

    def authenticate(self, request: HttpRequest, key: str | None) -> ForwardedCall:
        provider = getattr(settings, self.setting)
        try:
            return verify_forwarded(request.headers, provider=provider)
        except AssertionInvalid as exc:
            # The reason is for the operator's log only: the caller learns nothing.
            logger.info("exchange assertion refused by %s: %s", provider, exc)
            raise AssertionRejected from None


class ProviderAPI(NinjaAPI):
    """A provider system's API. Its OpenAPI document names paths from the provider's
    root (``/people/{personal_id}``), as the hub's catalogue and access grants do; the
    ``servers`` entry says where that root is."""

    # Schemas of request bodies an operation reads itself rather than through ninja.
    body_schemas: dict[str, Any] = {}

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix="", path_params=path_params)
        components = schema["components"].setdefault("schemas", {})
        components["Problem"] = PROBLEM_SCHEMA
        components.update(self.body_schemas)
        return schema


def _provider_api(
    *, title: str, description: str, setting: str, root: str, namespace: str
) -> ProviderAPI:
    api = ProviderAPI(
        title=title,
        version="1",
        description=description,
        auth=HubAssertion(setting),
        urls_namespace=namespace,
        docs_url=None,
        servers=[{"url": root}],
    )
    problems.install(api)

    @api.exception_handler(AssertionRejected)
    def assertion_rejected(request: HttpRequest, exc: AssertionRejected) -> HttpResponse:
        return problems.problem_response(
            request,
            status=exc.status,
            code=exc.code,
            title=exc.title,
            headers={"WWW-Authenticate": 'ExchangeAssertion realm="thudo-exchange"'},
        )

    return api


population_api = _provider_api(
    title="CSDLQG về dân cư (mô phỏng)",
    description=(
        "Cơ sở dữ liệu quốc gia về dân cư, mô phỏng: reached only through the data exchange "
        "hub (LGSP). Lookups answer found / not_found / not_permitted (Circular 13)."
    ),
    setting="REGISTRIES_POPULATION_SYSTEM",
    root=POPULATION_PATH,
    namespace="population_api",
)
business_api = _provider_api(
    title="CSDLQG về đăng ký doanh nghiệp (mô phỏng)",
    description=(
        "Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp, mô phỏng: enterprises and household "
        "businesses, reached only through the data exchange hub (LGSP). Lookups answer "
        "found / not_found / not_permitted (Circular 13)."
    ),
    setting="REGISTRIES_BUSINESS_SYSTEM",
    root=BUSINESS_PATH,
    namespace="business_api",
)
govreport_api = _provider_api(
    title="Hệ thống thông tin báo cáo Chính phủ (mô phỏng)",
    description=(
        "Hệ thống thông tin báo cáo Chính phủ, mô phỏng: receives the reports of provinces "
        "(Decree 09/2019/NĐ-CP) through the data exchange hub (LGSP), as JSON or as SDMX-ML "
        "2.1 structure-specific data, and answers with a receipt."
    ),
    setting="REGISTRIES_GOVREPORT_SYSTEM",
    root=GOVREPORT_PATH,
    namespace="govreport_api",
)


# --- input ------------------------------------------------------------------------------


def _identifier(check: Any) -> Any:
    """A pydantic validator from a ``check_*`` of core.identifiers, keeping its error code
    (``personal_id_format`` …) as the field error's code."""

    def validate(value: str) -> str:
        try:
            return str(check(value))
        except IdentifierError as exc:
            raise PydanticCustomError(exc.code, str(exc.message)) from None

    return AfterValidator(validate)


PersonalId = Annotated[str, _identifier(check_personal_id)]
TaxCode = Annotated[str, _identifier(check_tax_code)]


def _call(request: HttpRequest) -> ForwardedCall:
    call: ForwardedCall = request.auth  # type: ignore[attr-defined]  # set by HubAssertion
    return call


def _since(value: datetime) -> datetime:
    # A time without offset is local time, as people in Vietnam write it.
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _encode_cursor(moment: datetime, key: str) -> str:
    raw = f"{moment.isoformat()}|{key}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    """The position a cursor stands for; the cursor is opaque to callers."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment_text, key = raw.split("|")
        moment = datetime.fromisoformat(moment_text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        moment = None
        key = ""
    if moment is None or timezone.is_naive(moment) or not key.isdigit():
        raise invalid("cursor", "cursor_invalid", _("Con trỏ trang (cursor) không hợp lệ."))
    return moment, key


def _page(rows: list[Any], key: str, cursor: str | None, limit: int) -> dict[str, Any]:
    """``next_cursor`` and ``has_more`` for a page fetched with one row more than asked."""
    more = len(rows) > limit
    rows = rows[:limit]
    if rows:
        last = rows[-1]
        cursor = _encode_cursor(last.updated_at, getattr(last, key))
    return {"rows": rows, "next_cursor": cursor or None, "has_more": more}


Cursor = Query(
    None,
    max_length=200,
    description="next_cursor of the previous page; omit for the first page",
)
Limit = Query(100, ge=1, le=CHANGES_LIMIT, description=f"At most {CHANGES_LIMIT}")
Since = Query(..., description="ISO 8601 time: records updated after it")


# --- population -------------------------------------------------------------------------


@population_api.get(
    "/people/changes",
    response=schemas.PersonChangesOut,
    summary="People changed since a time (bulk consumers)",
    description=(
        "Records updated after `since`, ordered by (updated_at, personal_id), a page at a "
        "time. Records that may not be disclosed appear only as "
        '`{"personal_id", "status": "not_permitted"}`.'
    ),
    openapi_extra=_problems(401, 422),
)
def person_changes(
    request: HttpRequest,
    since: datetime = Since,
    cursor: str | None = Cursor,
    limit: int = Limit,
) -> dict[str, Any]:
    after = _decode_cursor(cursor)
    people = selectors.person_changes(since=_since(since), after=after, limit=limit + 1)
    page = _page(people, "personal_id", cursor, limit)
    return {
        "changes": [schemas.person_change(p) for p in page["rows"]],
        "next_cursor": page["next_cursor"],
        "has_more": page["has_more"],
    }


@population_api.get(
    "/people/{personal_id}",
    response={
        200: schemas.PersonFoundOut,
        403: schemas.NotPermittedOut,
        404: schemas.NotFoundOut,
    },
    summary="One person, with their household",
    description=(
        "The assertion's data subject must be this personal ID, so that the hub's record of "
        "whose data was used is true."
    ),
    openapi_extra=_problems(400, 401, 422),
)
def person_get(
    request: HttpRequest,
    personal_id: Annotated[PersonalId, Path(description="Số định danh cá nhân (12 digits)")],
) -> Any:
    if _call(request).data_subject != personal_id:
        raise DataSubjectMismatch(
            message=_("Số định danh được hỏi khác chủ thể dữ liệu đã khai với nền tảng chia sẻ.")
        )
    person = selectors.person_record(personal_id=personal_id)
    if person is None:
        return Status(404, {"status": "not_found"})
    if person.restricted:
        return Status(403, {"status": "not_permitted"})
    members = selectors.household_disclosable_members(household_id=person.household_id)
    return schemas.person_found(person, members)


@population_api.get(
    "/people",
    response={200: schemas.PeopleFoundOut, 404: schemas.NotFoundOut},
    summary="People by full name and birth date",
    description=(
        "Exact match on the full name without accents or case (Nguyễn Văn An = nguyen van "
        f"an) and the birth date; at most {selectors.SEARCH_LIMIT} people, by personal ID. "
        "Records that may not be disclosed are not listed."
    ),
    openapi_extra=_problems(401, 422),
)
def people_search(
    request: HttpRequest,
    full_name: Annotated[str, Query(min_length=1, max_length=100, description="Họ và tên")],
    birth_date: Annotated[date, Query(description="Ngày sinh, YYYY-MM-DD")],
) -> Any:
    search_name = fold(full_name)
    if not search_name:
        raise invalid("full_name", "full_name_blank", _("Họ và tên không được để trống."))
    people = selectors.people_search(search_name=search_name, birth_date=birth_date)
    if not people:
        return Status(404, {"status": "not_found"})
    return schemas.people_found(people)


# --- businesses ---------------------------------------------------------------------------


@business_api.get(
    "/businesses/changes",
    response=schemas.BusinessChangesOut,
    summary="Businesses changed since a time (bulk consumers)",
    description=(
        "Records updated after `since`, ordered by (updated_at, tax_code), a page at a time. "
        'Records that may not be disclosed appear only as `{"tax_code", "status": '
        '"not_permitted"}`.'
    ),
    openapi_extra=_problems(401, 422),
)
def business_changes(
    request: HttpRequest,
    since: datetime = Since,
    cursor: str | None = Cursor,
    limit: int = Limit,
) -> dict[str, Any]:
    after = _decode_cursor(cursor)
    businesses = selectors.business_changes(since=_since(since), after=after, limit=limit + 1)
    page = _page(businesses, "tax_code", cursor, limit)
    return {
        "changes": [schemas.business_change(b) for b in page["rows"]],
        "next_cursor": page["next_cursor"],
        "has_more": page["has_more"],
    }


@business_api.get(
    "/businesses/{tax_code}",
    response={
        200: schemas.BusinessFoundOut,
        403: schemas.NotPermittedOut,
        404: schemas.NotFoundOut,
    },
    summary="One enterprise or household business",
    openapi_extra=_problems(401, 422),
)
def business_get(
    request: HttpRequest,
    tax_code: Annotated[TaxCode, Path(description="Mã số thuế, mã số doanh nghiệp (10 digits)")],
) -> Any:
    business = selectors.business_record(tax_code=tax_code)
    if business is None:
        return Status(404, {"status": "not_found"})
    if business.restricted:
        return Status(403, {"status": "not_permitted"})
    return schemas.business_found(business)


# --- the Government reporting system ------------------------------------------------------


def _components(model: type[Schema]) -> dict[str, Any]:
    """A body model's JSON Schema and those it refers to, as OpenAPI components."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    return {model.__name__: schema, **schema.pop("$defs", {})}


govreport_api.body_schemas = _components(schemas.SubmissionIn)
SDMX_BODY = {
    "type": "string",
    "description": (
        f"SDMX-ML 2.1 StructureSpecificData of {govreport.STRUCTURE[1]} "
        f"({govreport.STRUCTURE[0]}, {govreport.STRUCTURE[2]}): series keyed by INDICATOR "
        "and REF_AREA, observations at TIME_PERIOD with OBS_VALUE and OBS_STATUS"
    ),
}


@govreport_api.post(
    "/submissions",
    response={202: schemas.SubmissionReceiptOut},
    summary="Receive a report (JSON or SDMX-ML)",
    description=(
        "Checks the document and answers 202 with its SHA-256 and the number of values; "
        "a document that does not conform is a 422 problem naming each fault."
    ),
    openapi_extra={
        **_problems(401, 413, 415, 422),
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/SubmissionIn"}},
                **{media_type: {"schema": SDMX_BODY} for media_type in govreport.SDMX_TYPES},
            },
        },
    },
)
def submission_receive(request: HttpRequest) -> Any:
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > govreport.MAX_BYTES:
        raise PayloadTooLarge()
    receipt = govreport.receive(request.read(govreport.MAX_BYTES + 1), request.content_type or "")
    return Status(202, {"receipt": receipt.receipt, "values": receipt.values})
