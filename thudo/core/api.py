"""Kernel API: units, agencies, officials and roles, audit, identifiers, calendar, metrics,
API tokens. Thin endpoints: a schema in, one service or selector call, a schema out."""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from thudo.core import metrics, selectors, services
from thudo.core.auth import AuthedRequest
from thudo.core.calendar import get_calendar
from thudo.core.errors import InvalidInput, NotFound, PermissionDenied, invalid
from thudo.core.identifiers import (
    IdentifierError,
    check_agency_code,
    check_gso_code,
    check_personal_id,
    check_tax_code,
)
from thudo.core.models import User
from thudo.core.pagination import Pagination
from thudo.core.rules import is_official
from thudo.core.schemas import (
    AgencyIn,
    AgencyOut,
    AuditEventOut,
    DueDateOut,
    DueMomentOut,
    HolidayOut,
    IdentifierIn,
    IdentifierOut,
    MeOut,
    MetricOut,
    MetricValueOut,
    NewOfficialOut,
    NewTokenOut,
    OfficialIn,
    OfficialOut,
    RoleGrantIn,
    RoleOut,
    TokenIn,
    TokenOut,
    UnitOut,
    WorkingHoursOut,
)

router = Router(tags=["core"])


def _official(request: AuthedRequest) -> User:
    if not is_official(request.user):
        raise PermissionDenied(_("Chỉ cán bộ, công chức được dùng chức năng này."))
    return request.user


# --- me ---------------------------------------------------------------------------------


@router.get("/me", response=MeOut, summary="The signed-in account and its roles")
def me(request: AuthedRequest) -> dict[str, Any]:
    user = request.user
    return {
        "username": user.get_username(),
        "kind": user.kind,
        "full_name": user.full_name,
        "personal_id": user.personal_id,
        "roles": list(selectors.memberships_of(user=user)),
    }


# --- units and agencies -----------------------------------------------------------------


@router.get("/units", response=list[UnitOut], summary="Administrative units in force")
@paginate(Pagination)
def unit_list(
    request: AuthedRequest,
    parent: str | None = Query(None, max_length=5),
    level: str | None = Query(None, pattern="^(province|district|commune)$"),
    q: str | None = Query(None, max_length=100),
    at: date | None = None,
) -> Any:
    return selectors.unit_list(parent_code=parent, level=level, q=q, at=at)


@router.get("/units/{code}", response=UnitOut, summary="One administrative unit")
def unit_get(request: AuthedRequest, code: str, at: date | None = None) -> Any:
    return selectors.unit_get(code=code, at=at)


@router.get("/agencies", response=list[AgencyOut], summary="Directory of agencies")
@paginate(Pagination)
def agency_list(
    request: AuthedRequest,
    q: str | None = Query(None, max_length=100),
    kind: str | None = Query(None, max_length=30),
    parent: str | None = Query(None, max_length=35),
    unit: str | None = Query(None, max_length=5),
) -> Any:
    return selectors.agency_list(q=q, kind=kind, parent_code=parent, unit_code=unit)


@router.get("/agencies/{code}", response=AgencyOut, summary="One agency")
def agency_get(request: AuthedRequest, code: str) -> Any:
    return selectors.agency_get(code=code)


@router.post("/agencies", response={201: AgencyOut}, summary="Register an agency")
def agency_create(request: AuthedRequest, payload: AgencyIn) -> Any:
    agency = services.agency_create(actor=_official(request), **payload.model_dump())
    return Status(201, agency)


@router.get(
    "/agencies/{code}/officials",
    response=list[OfficialOut],
    summary="Officials and their roles in an agency",
)
@paginate(Pagination)
def official_list(request: AuthedRequest, code: str) -> Any:
    agency = selectors.agency_get_for_user(user=request.user, code=code)
    return selectors.membership_list_for_agency(user=request.user, agency=agency)


@router.post(
    "/agencies/{code}/officials",
    response={201: NewOfficialOut},
    summary="Create an official's account with a first role",
)
def official_create(request: AuthedRequest, code: str, payload: OfficialIn) -> Any:
    agency = selectors.agency_get_for_user(user=request.user, code=code)
    created = services.official_create(
        actor=_official(request), agency=agency, **payload.model_dump()
    )
    return Status(
        201,
        {
            "username": created.user.username,
            "membership_id": created.membership.pk,
            "initial_password": created.initial_password,
        },
    )


@router.post(
    "/agencies/{code}/roles",
    response={201: RoleOut},
    summary="Give an official of the agency another role",
)
def role_grant(request: AuthedRequest, code: str, payload: RoleGrantIn) -> Any:
    agency = selectors.agency_get_for_user(user=request.user, code=code)
    official = selectors.official_get_for_user(
        user=request.user, agency=agency, username=payload.username
    )
    membership = services.membership_grant(
        actor=_official(request),
        agency=agency,
        user=official,
        role=payload.role,
        title=payload.title,
    )
    return Status(201, membership)


@router.delete("/roles/{membership_id}", response={204: None}, summary="Revoke a role")
def role_revoke(request: AuthedRequest, membership_id: int) -> Any:
    membership = selectors.membership_get_for_user(user=request.user, pk=membership_id)
    services.membership_revoke(actor=_official(request), membership=membership)
    return Status(204, None)


# --- audit ------------------------------------------------------------------------------


@router.get(
    "/audit/events",
    response=list[AuditEventOut],
    summary="Audit events of an agency (or all, for platform administrators)",
)
@paginate(Pagination)
def audit_event_list(
    request: AuthedRequest,
    agency: str | None = Query(None, max_length=35),
    action: str | None = Query(None, max_length=100),
) -> Any:
    agency_obj = selectors.agency_get_for_user(user=request.user, code=agency) if agency else None
    return selectors.audit_events_for_user(user=request.user, agency=agency_obj, action=action)


@router.get(
    "/me/data-uses",
    response=list[AuditEventOut],
    summary="Who used my data: every recorded use of the signed-in citizen's data",
)
@paginate(Pagination)
def my_data_uses(request: AuthedRequest) -> Any:
    return selectors.audit_events_about_me(user=request.user)


# --- identifiers ------------------------------------------------------------------------

_CHECKS: dict[str, Callable[[str], str]] = {
    "personal_id": check_personal_id,
    "tax_code": check_tax_code,
    "agency_code": check_agency_code,
    "gso_code": check_gso_code,
}


@router.post(
    "/identifiers/validate",
    response=IdentifierOut,
    summary="Check a personal ID, tax code, agency code or GSO unit code",
)
def identifier_validate(request: AuthedRequest, payload: IdentifierIn) -> dict[str, Any]:
    try:
        if payload.kind == "personal_id":
            normalized = check_personal_id(
                payload.value, birth_date=payload.birth_date, sex=payload.sex
            )
        else:
            normalized = _CHECKS[payload.kind](payload.value)
    except IdentifierError as exc:
        return {"kind": payload.kind, "valid": False, "code": exc.code, "message": str(exc.message)}
    return {"kind": payload.kind, "valid": True, "normalized": normalized}


# --- calendar ---------------------------------------------------------------------------


@router.get(
    "/calendar/holidays",
    response=list[HolidayOut],
    summary="Public holidays and local days off of a year",
)
def holiday_list(request: AuthedRequest, year: int = Query(..., ge=1990, le=2100)) -> Any:
    language = getattr(request, "LANGUAGE_CODE", "vi")
    return get_calendar(language=language).holidays_in(year)


@router.get(
    "/calendar/working-days",
    response=DueDateOut,
    summary="The date N working days after a start date",
)
def working_days_add(
    request: AuthedRequest,
    start: date,
    days: int = Query(..., ge=0, le=3650),
) -> dict[str, Any]:
    if not date(1990, 1, 1) <= start <= date(2100, 1, 1):
        raise invalid("start", "out_of_range", _("Ngày bắt đầu phải trong khoảng 1990–2100."))
    return {
        "start": start,
        "working_days": days,
        "due": get_calendar().add_working_days(start, days),
    }


@router.get(
    "/calendar/working-hours/add",
    response=DueMomentOut,
    summary="The moment N working hours after a start",
)
def working_hours_add(
    request: AuthedRequest,
    start: datetime,
    hours: float = Query(..., ge=0, le=24 * 365),
) -> dict[str, Any]:
    _check_moment(start, "start")
    return {
        "start": start,
        "working_hours": hours,
        "due": get_calendar().add_working_hours(start, hours),
    }


@router.get(
    "/calendar/working-hours", response=WorkingHoursOut, summary="Working hours between two moments"
)
def working_hours_between(request: AuthedRequest, start: datetime, end: datetime) -> dict[str, Any]:
    _check_moment(start, "start")
    _check_moment(end, "end")
    if (end - start).days > 3660:
        raise invalid("end", "out_of_range", _("Khoảng thời gian tối đa 10 năm."))
    spent = get_calendar().working_hours_between(start, end)
    return {"start": start, "end": end, "working_hours": spent.total_seconds() / 3600}


def _check_moment(value: datetime, name: str) -> None:
    if value.tzinfo is None:
        raise invalid(
            name,
            "timezone_required",
            _("Thời điểm phải có múi giờ, ví dụ 2026-03-02T08:00:00+07:00."),
        )
    if not 1990 <= value.year <= 2100:
        raise invalid(name, "out_of_range", _("Thời điểm phải trong khoảng 1990–2100."))


# --- metrics ----------------------------------------------------------------------------


@router.get(
    "/metrics", response=list[MetricOut], summary="Figures measured from the platform's operations"
)
def metric_list(request: AuthedRequest) -> Any:
    _official(request)
    return metrics.providers()


@router.get("/metrics/{code}", response=MetricValueOut, summary="A measured figure, with lineage")
def metric_value(
    request: AuthedRequest,
    code: str,
    start: date,
    end: date,
    org_unit: str | None = Query(None, max_length=35),
) -> dict[str, Any]:
    _official(request)
    provider = metrics.get(code)
    if provider is None:
        raise NotFound(_("Không có chỉ số đo %(code)s.") % {"code": code})
    if end < start:
        raise invalid("end", "before_start", _("Ngày kết thúc không được trước ngày bắt đầu."))
    try:
        value = provider.value(metrics.Period(start, end), org_unit)
    except metrics.MetricNotApplicable:
        raise InvalidInput(
            _("Chỉ số này không áp dụng cho đơn vị %(unit)s.") % {"unit": org_unit}
        ) from None
    return {
        "code": value.code,
        "period_start": start,
        "period_end": end,
        "org_unit": org_unit,
        "value": float(value.value),
        "unit": value.unit,
        "lineage": value.lineage,
        "computed_at": value.computed_at,
    }


# --- API tokens -------------------------------------------------------------------------


@router.get("/tokens", response=list[TokenOut], summary="My API tokens")
def token_list(request: AuthedRequest) -> Any:
    return selectors.api_tokens_for_user(user=request.user)


@router.post(
    "/tokens", response={201: NewTokenOut}, summary="Create an API token (its secret is shown once)"
)
def token_create(request: AuthedRequest, payload: TokenIn) -> Any:
    created = services.api_token_create(
        actor=request.user,
        name=payload.name,
        expires_in_days=payload.expires_in_days,
    )
    token = created.token
    return Status(201, {**TokenOut.model_validate(token).model_dump(), "token": created.secret})


@router.delete("/tokens/{token_id}", response={204: None}, summary="Revoke an API token")
def token_revoke(request: AuthedRequest, token_id: int) -> Any:
    token = selectors.api_token_get_for_user(user=request.user, pk=token_id)
    services.api_token_revoke(actor=request.user, token=token)
    return Status(204, None)
