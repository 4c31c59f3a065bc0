"""Exchange hub API (LGSP control plane): member systems, service catalogue, access grants.

Thin endpoints: a schema in, one service or selector call, a schema out. System
identifiers contain slashes, so they travel as ``path`` parameters; routes with a suffix
after an identifier are declared before the bare ones, which would otherwise match first.
"""

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from thudo.core.auth import AuthedRequest
from thudo.core.errors import PermissionDenied
from thudo.core.models import User
from thudo.core.pagination import Pagination
from thudo.core.rules import is_official
from thudo.exchange import selectors, services
from thudo.exchange.schemas import (
    ApproveIn,
    Classification,
    GrantIn,
    GrantOut,
    GrantStatus,
    NewSystemOut,
    NoteIn,
    OwnedServiceOut,
    RevokeIn,
    SecretOut,
    ServiceDetailOut,
    ServiceIn,
    ServiceOut,
    ServiceUpdateIn,
    SystemIn,
    SystemOut,
)

router = Router(tags=["exchange"])


def _official(request: AuthedRequest) -> User:
    if not is_official(request.user):
        raise PermissionDenied(_("Chỉ cán bộ, công chức được dùng chức năng này."))
    return request.user


def _credentials(created: services.NewSecret) -> dict[str, Any]:
    return {
        "client_id": created.system.identifier,
        "client_secret": created.secret,
        "secret_prefix": created.system.secret_prefix,
        "tokens_valid_after": created.system.tokens_valid_after,
        "token_endpoint": settings.BASE_URL + reverse("exchange-oauth-token"),
    }


# --- member systems ----------------------------------------------------------------------


@router.get("/systems", response=list[SystemOut], summary="Member systems of my agencies")
@paginate(Pagination)
def system_list(request: AuthedRequest, active: bool | None = None) -> Any:
    _official(request)
    return selectors.system_list_for_user(user=request.user, active=active)


@router.post(
    "/systems",
    response={201: NewSystemOut},
    summary="Register a member system (its client secret is shown once)",
)
def system_register(request: AuthedRequest, payload: SystemIn) -> Any:
    actor = _official(request)
    agency = selectors.agency_get_for_user(user=request.user, code=payload.agency_code)
    created = services.system_register(
        actor=actor,
        agency=agency,
        member_class=payload.member_class,
        code=payload.code,
        name=payload.name,
        description=payload.description,
        contact_email=payload.contact_email,
    )
    return Status(201, {"system": created.system, "credentials": _credentials(created)})


@router.post(
    "/systems/{path:identifier}/rotate",
    response=SecretOut,
    summary="Replace a system's client secret; older secrets and tokens stop working",
)
def system_rotate(request: AuthedRequest, identifier: str) -> Any:
    system = selectors.system_get_for_user(user=request.user, identifier=identifier)
    created = services.system_secret_rotate(actor=_official(request), system=system)
    return _credentials(created)


@router.post(
    "/systems/{path:identifier}/revoke", response=SystemOut, summary="Revoke a member system"
)
def system_revoke(request: AuthedRequest, identifier: str, payload: RevokeIn) -> Any:
    system = selectors.system_get_for_user(user=request.user, identifier=identifier)
    return services.system_revoke(actor=_official(request), system=system, reason=payload.reason)


# --- service catalogue -------------------------------------------------------------------


@router.get("/catalog", response=list[ServiceOut], summary="The service catalogue")
@paginate(Pagination)
def catalog_list(
    request: AuthedRequest,
    q: str | None = Query(None, max_length=100),
    classification: Classification | None = None,
    provider: str | None = Query(None, max_length=120),
) -> Any:
    _official(request)
    return selectors.catalogue_list(q=q, classification=classification, provider=provider)


@router.get(
    "/catalog/{path:provider}/{code}/openapi",
    response=dict[str, Any],
    summary="The OpenAPI document of a catalogue service",
)
def catalog_openapi(request: AuthedRequest, provider: str, code: str) -> Any:
    _official(request)
    return selectors.service_get_for_user(user=request.user, provider=provider, code=code).openapi


@router.get(
    "/catalog/{path:provider}/{code}",
    response=ServiceDetailOut,
    summary="A catalogue service with its operations",
)
def catalog_get(request: AuthedRequest, provider: str, code: str) -> Any:
    _official(request)
    return selectors.service_get_for_user(user=request.user, provider=provider, code=code)


@router.post("/services", response={201: OwnedServiceOut}, summary="Publish a service")
def service_publish(request: AuthedRequest, payload: ServiceIn) -> Any:
    actor = _official(request)
    provider = selectors.system_get_for_user(user=request.user, identifier=payload.provider)
    data = payload.model_dump(exclude={"provider"})
    service = services.service_publish(actor=actor, provider=provider, **data)
    return Status(201, service)


@router.post(
    "/services/{path:provider}/{code}/withdraw",
    response=OwnedServiceOut,
    summary="Withdraw a service from the catalogue",
)
def service_withdraw(request: AuthedRequest, provider: str, code: str) -> Any:
    service = selectors.service_get_for_user(user=request.user, provider=provider, code=code)
    return services.service_withdraw(actor=_official(request), service=service)


@router.patch(
    "/services/{path:provider}/{code}", response=OwnedServiceOut, summary="Update a service"
)
def service_update(
    request: AuthedRequest, provider: str, code: str, payload: ServiceUpdateIn
) -> Any:
    service = selectors.service_get_for_user(user=request.user, provider=provider, code=code)
    return services.service_update(
        actor=_official(request), service=service, **payload.model_dump(exclude_unset=True)
    )


# --- access grants -----------------------------------------------------------------------


@router.post("/grants", response={201: GrantOut}, summary="Request access to a service")
def grant_request(request: AuthedRequest, payload: GrantIn) -> Any:
    actor = _official(request)
    consumer = selectors.system_get_for_user(user=request.user, identifier=payload.consumer)
    service = selectors.service_get(provider=payload.provider, code=payload.service)
    grant = services.grant_request(
        actor=actor,
        consumer=consumer,
        service=service,
        operations=[op.model_dump() for op in payload.operations],
        purpose=payload.purpose,
        legal_basis=payload.legal_basis,
        valid_from=payload.valid_from,
        valid_until=payload.valid_until,
    )
    return Status(201, grant)


@router.get(
    "/grants/incoming",
    response=list[GrantOut],
    summary="Requests and grants to the services of my agencies' systems",
)
@paginate(Pagination)
def grant_list_incoming(request: AuthedRequest, status: GrantStatus | None = None) -> Any:
    _official(request)
    return selectors.grant_list_incoming(user=request.user, status=status)


@router.get(
    "/grants/outgoing",
    response=list[GrantOut],
    summary="Requests and grants of my agencies' systems",
)
@paginate(Pagination)
def grant_list_outgoing(request: AuthedRequest, status: GrantStatus | None = None) -> Any:
    _official(request)
    return selectors.grant_list_outgoing(user=request.user, status=status)


@router.get("/grants/{int:grant_id}", response=GrantOut, summary="One access grant")
def grant_get(request: AuthedRequest, grant_id: int) -> Any:
    _official(request)
    return selectors.grant_get_for_user(user=request.user, pk=grant_id)


@router.post("/grants/{int:grant_id}/approve", response=GrantOut, summary="Approve a request")
def grant_approve(request: AuthedRequest, grant_id: int, payload: ApproveIn) -> Any:
    grant = selectors.grant_get_for_user(user=request.user, pk=grant_id)
    return services.grant_approve(
        actor=_official(request),
        grant=grant,
        valid_from=payload.valid_from,
        valid_until=payload.valid_until,
        note=payload.note,
    )


@router.post("/grants/{int:grant_id}/refuse", response=GrantOut, summary="Refuse a request")
def grant_refuse(request: AuthedRequest, grant_id: int, payload: NoteIn) -> Any:
    grant = selectors.grant_get_for_user(user=request.user, pk=grant_id)
    return services.grant_refuse(actor=_official(request), grant=grant, note=payload.note)


@router.post("/grants/{int:grant_id}/revoke", response=GrantOut, summary="Revoke a grant")
def grant_revoke(request: AuthedRequest, grant_id: int, payload: NoteIn) -> Any:
    grant = selectors.grant_get_for_user(user=request.user, pk=grant_id)
    return services.grant_revoke(actor=_official(request), grant=grant, note=payload.note)
