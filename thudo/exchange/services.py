"""Writes of the exchange hub's control plane: member systems, catalogue, access grants.

Keyword-only functions named ``<entity>_<action>``, atomic, with one permission check
(``permissions.<same name>``) first, the audit event in the same transaction, and the
configuration version bumped so that the gateway reloads what it holds in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from thudo.core import audit
from thudo.core.errors import Conflict, FieldError, InvalidInput, invalid
from thudo.core.models import Agency, User
from thudo.core.text import fold
from thudo.exchange import openapi as oas
from thudo.exchange import permissions, snapshot
from thudo.exchange.contracts import SERVICE_CODE, SYSTEM_CODE, system_identifier
from thudo.exchange.credentials import hash_secret, new_secret
from thudo.exchange.models import AccessGrant, MemberSystem, Service

MAX_PURPOSE = 500  # what the message log keeps of a purpose
MAX_TEXT = 4000


def _saved(actor: User | None) -> User | None:
    return actor if actor is not None and actor.pk else None


def _require_text(value: str | None, field: str, message: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise invalid(field, "required", message)
    if len(text) > limit:
        raise invalid(field, "too_long", _("Tối đa %(n)s ký tự.") % {"n": limit})
    return text


# --- member systems (hệ thống thành viên) -------------------------------------------------


@dataclass(frozen=True)
class NewSecret:
    """A system with its client secret, which is shown this once and then only hashed."""

    system: MemberSystem
    secret: str


@transaction.atomic
def system_register(
    *,
    actor: User | None,
    agency: Agency,
    member_class: str,
    code: str,
    name: str,
    description: str = "",
    contact_email: str = "",
) -> NewSecret:
    """Register an agency's information system as a member of the hub (an OAuth2 client)."""
    permissions.require(permissions.system_register(actor, agency))
    errors: list[FieldError] = []
    if member_class not in MemberSystem.MemberClass.values:
        errors.append(
            FieldError("member_class", "invalid_choice", _("Loại thành viên không hợp lệ."))
        )
    code = (code or "").strip().upper()
    if not SYSTEM_CODE.fullmatch(code):
        errors.append(
            FieldError(
                "code",
                "invalid",
                _("Mã hệ thống gồm 2–50 chữ in hoa, chữ số, '-' hoặc '_', bắt đầu bằng chữ/số."),
            )
        )
    name = (name or "").strip()
    if not name:
        errors.append(FieldError("name", "required", _("Tên hệ thống là bắt buộc.")))
    elif len(name) > 255:
        errors.append(FieldError("name", "too_long", _("Tối đa %(n)s ký tự.") % {"n": 255}))
    contact_email = (contact_email or "").strip()
    if contact_email:
        try:
            validate_email(contact_email)
        except ValidationError:
            errors.append(
                FieldError("contact_email", "invalid", _("Địa chỉ thư điện tử không hợp lệ."))
            )
    if not agency.is_active:
        errors.append(FieldError("agency", "inactive", _("Cơ quan không còn hoạt động.")))
    if errors:
        raise InvalidInput(field_errors=errors)
    identifier = system_identifier(member_class, agency.code, code)
    duplicate = Conflict(
        _("Đã có hệ thống %(id)s.") % {"id": identifier},
        field_errors=[FieldError("code", "duplicate", _("Mã hệ thống đã được dùng."))],
    )
    if MemberSystem.objects.filter(agency=agency, code=code).exists():
        raise duplicate
    prefix, secret = new_secret()
    try:
        with transaction.atomic():
            system = MemberSystem.objects.create(
                identifier=identifier,
                member_class=member_class,
                agency=agency,
                code=code,
                name=name,
                description=(description or "").strip(),
                contact_email=contact_email,
                secret_hash=hash_secret(secret),
                secret_prefix=prefix,
                created_by=_saved(actor),
            )
    except IntegrityError:
        raise duplicate from None
    audit.record(
        action="exchange.system.register",
        actor=actor,
        agency=agency,
        object_type="exchange.system",
        object_id=identifier,
        payload={"name": name, "member_class": member_class, "secret_prefix": prefix},
    )
    snapshot.bump_version()
    return NewSecret(system=system, secret=secret)


def _locked_system(system: MemberSystem) -> MemberSystem:
    return MemberSystem.objects.select_for_update().select_related("agency").get(pk=system.pk)


@transaction.atomic
def system_secret_rotate(*, actor: User | None, system: MemberSystem) -> NewSecret:
    """A new client secret; the old one and every token issued with it stop working."""
    permissions.require(permissions.system_secret_rotate(actor, system))
    prefix, secret = new_secret()
    system = _secret_replace(actor, system, secret, prefix, "exchange.system.secret_rotate")
    return NewSecret(system=system, secret=secret)


MIN_INSTALLED_SECRET = 32


@transaction.atomic
def system_secret_install(*, actor: User | None, system: MemberSystem, secret: str) -> MemberSystem:
    """Give a system a secret provisioned outside the hub (the platform's own system, whose
    secret the deployment keeps); like a rotation, older tokens stop working."""
    permissions.require(permissions.system_secret_install(actor, system))
    secret = secret or ""
    if len(secret) < MIN_INSTALLED_SECRET or not secret.isascii() or not secret.isprintable():
        raise invalid(
            "secret",
            "weak_secret",
            _("Khóa bí mật phải có ít nhất %(n)s ký tự ASCII in được.")
            % {"n": MIN_INSTALLED_SECRET},
        )
    if " " in secret:
        raise invalid("secret", "weak_secret", _("Khóa bí mật không được chứa dấu cách."))
    # The public prefix must not reveal any of a chosen secret: a digest stands in for it.
    prefix = f"ext_{hash_secret(secret)[:8]}"
    return _secret_replace(actor, system, secret, prefix, "exchange.system.secret_install")


def _secret_replace(
    actor: User | None, system: MemberSystem, secret: str, prefix: str, action: str
) -> MemberSystem:
    system = _locked_system(system)
    if system.revoked_at is not None or not system.is_active:
        raise Conflict(_("Hệ thống %(id)s đã bị thu hồi.") % {"id": system.identifier})
    now = timezone.now()
    system.secret_hash = hash_secret(secret)
    system.secret_prefix = prefix
    system.secret_rotated_at = now
    system.tokens_valid_after = now
    system.save(
        update_fields=["secret_hash", "secret_prefix", "secret_rotated_at", "tokens_valid_after"]
    )
    audit.record(
        action=action,
        actor=actor,
        agency=system.agency,
        object_type="exchange.system",
        object_id=system.identifier,
        payload={"secret_prefix": prefix},
    )
    snapshot.bump_version()
    return system


@transaction.atomic
def system_revoke(*, actor: User | None, system: MemberSystem, reason: str) -> MemberSystem:
    """Thu hồi: the system can no longer obtain tokens, and its live tokens die."""
    permissions.require(permissions.system_revoke(actor, system))
    reason = _require_text(reason, "reason", _("Lý do thu hồi là bắt buộc."), MAX_TEXT)
    system = _locked_system(system)
    if system.revoked_at is not None:
        raise Conflict(_("Hệ thống %(id)s đã bị thu hồi.") % {"id": system.identifier})
    now = timezone.now()
    system.is_active = False
    system.revoked_at = now
    system.tokens_valid_after = now
    system.save(update_fields=["is_active", "revoked_at", "tokens_valid_after"])
    audit.record(
        action="exchange.system.revoke",
        actor=actor,
        agency=system.agency,
        object_type="exchange.system",
        object_id=system.identifier,
        payload={"reason": reason},
    )
    snapshot.bump_version()
    return system


# --- service catalogue (danh mục dịch vụ) -------------------------------------------------


def _check_upstream_url(url: str | None) -> str:
    url = (url or "").strip()
    message = _(
        "Địa chỉ gốc phải là URL http(s) có tên máy chủ, không kèm tài khoản/mật khẩu "
        "và không có phần '#…'."
    )
    if not url:
        raise invalid("upstream_url", "required", _("Địa chỉ gốc của dịch vụ là bắt buộc."))
    if len(url) > 500:
        raise invalid("upstream_url", "too_long", _("Tối đa %(n)s ký tự.") % {"n": 500})
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError on a malformed port
    except ValueError:
        raise invalid("upstream_url", "invalid", message) from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.password is not None
        or "#" in url
        or any(c.isspace() for c in url)
        or port == 0
    ):
        raise invalid("upstream_url", "invalid", message)
    return url


def _search_text(service: Service) -> str:
    provider = service.provider
    return fold(
        " ".join(
            [
                service.code,
                service.name,
                service.description,
                provider.name,
                provider.identifier,
                provider.agency.name,
            ]
        )
    )


def _service_fields(
    *,
    version: str | None,
    name: str | None,
    description: str | None,
    upstream_url: str | None,
    openapi_document: Mapping[str, Any] | str | bytes | None,
    classification: str | None,
    legal_basis: str | None,
    owner: str | None,
) -> dict[str, Any]:
    """The given fields, checked; every problem is reported at once."""
    errors: list[FieldError] = []
    values: dict[str, Any] = {}

    def check(field: str, func: Any) -> None:
        try:
            values[field] = func()
        except InvalidInput as exc:
            errors.extend(exc.field_errors)
        except oas.OpenApiInvalid as exc:
            errors.extend(exc.errors)

    if version is not None:
        check("version", lambda: _require_text(version, "version", _("Phiên bản là bắt buộc."), 20))
    if name is not None:
        check("name", lambda: _require_text(name, "name", _("Tên dịch vụ là bắt buộc."), 255))
    if description is not None:
        values["description"] = description.strip()
    if upstream_url is not None:
        check("upstream_url", lambda: _check_upstream_url(upstream_url))
    if openapi_document is not None:
        check("openapi", lambda: oas.parse_and_validate(openapi_document))
    if classification is not None:
        if classification in Service.Classification.values:
            values["classification"] = classification
        else:
            errors.append(
                FieldError("classification", "invalid_choice", _("Phân loại không hợp lệ."))
            )
    if legal_basis is not None:
        values["legal_basis"] = legal_basis.strip()
    if owner is not None:
        if len(owner.strip()) > 255:
            errors.append(FieldError("owner", "too_long", _("Tối đa %(n)s ký tự.") % {"n": 255}))
        values["owner"] = owner.strip()
    if errors:
        raise InvalidInput(field_errors=errors)
    return values


@transaction.atomic
def service_publish(
    *,
    actor: User | None,
    provider: MemberSystem,
    code: str,
    version: str,
    name: str,
    description: str,
    upstream_url: str,
    openapi: Mapping[str, Any] | str | bytes,
    classification: str,
    legal_basis: str,
    owner: str,
) -> Service:
    """Publish a provider system's REST service in the catalogue."""
    permissions.require(permissions.service_publish(actor, provider))
    code = (code or "").strip().lower()
    code_error = None
    if not SERVICE_CODE.fullmatch(code):
        code_error = FieldError(
            "code",
            "invalid",
            _("Mã dịch vụ gồm 2–50 chữ thường, chữ số hoặc '-', bắt đầu bằng chữ/số."),
        )
    try:
        values = _service_fields(
            version=version,
            name=name,
            description=description,
            upstream_url=upstream_url,
            openapi_document=openapi,
            classification=classification,
            legal_basis=legal_basis,
            owner=owner,
        )
    except InvalidInput as exc:
        raise InvalidInput(
            field_errors=[*([code_error] if code_error else []), *exc.field_errors]
        ) from None
    if code_error is not None:
        raise InvalidInput(field_errors=[code_error])
    if not provider.is_active:
        raise invalid("provider", "inactive", _("Hệ thống cung cấp đã bị thu hồi."))
    duplicate = Conflict(
        _("Hệ thống %(p)s đã có dịch vụ %(c)s.") % {"p": provider.identifier, "c": code},
        field_errors=[FieldError("code", "duplicate", _("Mã dịch vụ đã được dùng."))],
    )
    if Service.objects.filter(provider=provider, code=code).exists():
        raise duplicate
    service = Service(provider=provider, code=code, **values)
    service.search_text = _search_text(service)
    try:
        with transaction.atomic():
            service.save()
    except IntegrityError:
        raise duplicate from None
    audit.record(
        action="exchange.service.publish",
        actor=actor,
        agency=provider.agency,
        object_type="exchange.service",
        object_id=str(service),
        payload={
            "name": service.name,
            "version": service.version,
            "classification": service.classification,
            "upstream_url": service.upstream_url,
            "operations": [op.key for op in oas.operations(service.openapi)],
        },
    )
    snapshot.bump_version()
    return service


def _locked_service(service: Service) -> Service:
    return (
        Service.objects.select_for_update()
        .select_related("provider", "provider__agency")
        .get(pk=service.pk)
    )


@transaction.atomic
def service_update(
    *,
    actor: User | None,
    service: Service,
    version: str | None = None,
    name: str | None = None,
    description: str | None = None,
    upstream_url: str | None = None,
    openapi: Mapping[str, Any] | str | bytes | None = None,
    classification: str | None = None,
    legal_basis: str | None = None,
    owner: str | None = None,
) -> Service:
    """Change what is given (None leaves a field as it is)."""
    permissions.require(permissions.service_update(actor, service))
    values = _service_fields(
        version=version,
        name=name,
        description=description,
        upstream_url=upstream_url,
        openapi_document=openapi,
        classification=classification,
        legal_basis=legal_basis,
        owner=owner,
    )
    service = _locked_service(service)
    if not service.is_active:
        raise Conflict(_("Dịch vụ %(s)s đã ngừng cung cấp.") % {"s": str(service)})
    changed = sorted(k for k, v in values.items() if getattr(service, k) != v)
    for key, value in values.items():
        setattr(service, key, value)
    service.search_text = _search_text(service)
    service.save()
    audit.record(
        action="exchange.service.update",
        actor=actor,
        agency=service.provider.agency,
        object_type="exchange.service",
        object_id=str(service),
        payload={"changed": changed, "version": service.version},
    )
    snapshot.bump_version()
    return service


@transaction.atomic
def service_withdraw(*, actor: User | None, service: Service) -> Service:
    """Ngừng cung cấp: the gateway stops forwarding calls to the service."""
    permissions.require(permissions.service_withdraw(actor, service))
    service = _locked_service(service)
    if not service.is_active:
        raise Conflict(_("Dịch vụ %(s)s đã ngừng cung cấp.") % {"s": str(service)})
    service.is_active = False
    service.save(update_fields=["is_active", "updated_at"])
    audit.record(
        action="exchange.service.withdraw",
        actor=actor,
        agency=service.provider.agency,
        object_type="exchange.service",
        object_id=str(service),
    )
    snapshot.bump_version()
    return service


# --- access grants (quyền truy cập) ------------------------------------------------------


def _check_operations(
    service: Service, operations: Iterable[Mapping[str, Any]]
) -> list[dict[str, str]]:
    offered = {op.key for op in oas.operations(service.openapi)}
    chosen: list[dict[str, str]] = []
    unknown: list[str] = []
    for raw in operations:
        method = str(raw.get("method", "")).strip().upper()
        path = str(raw.get("path", "")).strip()
        key = f"{method} {path}"
        if key not in offered:
            unknown.append(key)
        elif {"method": method, "path": path} not in chosen:
            chosen.append({"method": method, "path": path})
    if unknown:
        raise invalid(
            "operations",
            "unknown_operation",
            _("Dịch vụ không có thao tác: %(ops)s.") % {"ops": ", ".join(unknown[:5])},
        )
    if not chosen:
        raise invalid(
            "operations", "required", _("Chọn ít nhất một thao tác của dịch vụ cần dùng.")
        )
    return chosen


def _check_validity(valid_from: datetime | None, valid_until: datetime | None) -> None:
    for field, value in (("valid_from", valid_from), ("valid_until", valid_until)):
        if value is not None and timezone.is_naive(value):
            raise invalid(field, "timezone_required", _("Thời điểm phải có múi giờ."))
    if valid_from is not None and valid_until is not None and valid_until <= valid_from:
        raise invalid(
            "valid_until", "before_start", _("Thời điểm hết hiệu lực phải sau thời điểm bắt đầu.")
        )
    if valid_until is not None and valid_until <= timezone.now():
        raise invalid("valid_until", "in_the_past", _("Thời điểm hết hiệu lực đã qua."))


def _grant_audit(
    action: str, actor: User | None, agency: Agency, grant: AccessGrant, **extra: Any
) -> None:
    audit.record(
        action=action,
        actor=actor,
        agency=agency,
        object_type="exchange.grant",
        object_id=grant.pk,
        purpose=grant.purpose[:MAX_PURPOSE],
        payload={
            "consumer": grant.consumer.identifier,
            "service": str(grant.service),
            "status": grant.status,
            **extra,
        },
    )


@transaction.atomic
def grant_request(
    *,
    actor: User | None,
    consumer: MemberSystem,
    service: Service,
    operations: Iterable[Mapping[str, Any]],
    purpose: str,
    legal_basis: str,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> AccessGrant:
    """A consumer system asks to call some operations of a service, for a stated purpose."""
    permissions.require(permissions.grant_request(actor, consumer))
    errors: list[FieldError] = []
    checks: list[Any] = [
        lambda: _check_operations(service, operations),
        lambda: _require_text(purpose, "purpose", _("Mục đích sử dụng là bắt buộc."), MAX_PURPOSE),
        lambda: _require_text(
            legal_basis, "legal_basis", _("Căn cứ pháp lý là bắt buộc."), MAX_TEXT
        ),
        lambda: _check_validity(valid_from, valid_until),
    ]
    results = []
    for check in checks:
        try:
            results.append(check())
        except InvalidInput as exc:
            errors.extend(exc.field_errors)
    if errors:
        raise InvalidInput(field_errors=errors)
    chosen, purpose, legal_basis, _ok = results
    if not consumer.is_active:
        raise invalid("consumer", "inactive", _("Hệ thống khai thác đã bị thu hồi."))
    # Locking the service serialises requests for it, so two equal requests cannot both pass.
    service = _locked_service(service)
    if not service.is_active:
        raise invalid("service", "inactive", _("Dịch vụ đã ngừng cung cấp."))
    open_statuses = (AccessGrant.Status.REQUESTED, AccessGrant.Status.APPROVED)
    if AccessGrant.objects.filter(
        consumer=consumer, service=service, status__in=open_statuses
    ).exists():
        raise Conflict(
            _("Hệ thống %(c)s đã có yêu cầu hoặc quyền truy cập dịch vụ %(s)s.")
            % {"c": consumer.identifier, "s": str(service)}
        )
    grant = AccessGrant.objects.create(
        consumer=consumer,
        service=service,
        operations=chosen,
        purpose=purpose,
        legal_basis=legal_basis,
        valid_from=valid_from,
        valid_until=valid_until,
        requested_by=_saved(actor),
    )
    _grant_audit(
        "exchange.grant.request",
        actor,
        consumer.agency,
        grant,
        operations=[f"{op['method']} {op['path']}" for op in chosen],
        legal_basis=legal_basis,
    )
    snapshot.bump_version()
    return grant


def _locked_grant(grant: AccessGrant) -> AccessGrant:
    return (
        AccessGrant.objects.select_for_update()
        .select_related("consumer", "service", "service__provider", "service__provider__agency")
        .get(pk=grant.pk)
    )


_TRANSITIONS = {
    AccessGrant.Status.APPROVED: (AccessGrant.Status.REQUESTED,),
    AccessGrant.Status.REFUSED: (AccessGrant.Status.REQUESTED,),
    AccessGrant.Status.REVOKED: (AccessGrant.Status.APPROVED,),
}


def _decide(
    actor: User | None, grant: AccessGrant, to: AccessGrant.Status, note: str
) -> AccessGrant:
    grant = _locked_grant(grant)
    if grant.status not in _TRANSITIONS[to]:
        raise Conflict(
            _("Không thể chuyển quyền truy cập #%(id)s từ “%(a)s” sang “%(b)s”.")
            % {"id": grant.pk, "a": grant.get_status_display(), "b": to.label}
        )
    grant.status = to
    grant.decided_by = _saved(actor)
    grant.decided_at = timezone.now()
    grant.decision_note = note
    return grant


@transaction.atomic
def grant_approve(
    *,
    actor: User | None,
    grant: AccessGrant,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    note: str = "",
) -> AccessGrant:
    """Cấp quyền: the provider's side allows the request (optionally for a period)."""
    permissions.require(permissions.grant_approve(actor, grant))
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        raise invalid("note", "too_long", _("Tối đa %(n)s ký tự.") % {"n": MAX_TEXT})
    grant = _decide(actor, grant, AccessGrant.Status.APPROVED, note)
    if valid_from is not None:
        grant.valid_from = valid_from
    if valid_until is not None:
        grant.valid_until = valid_until
    _check_validity(grant.valid_from, grant.valid_until)
    grant.save(
        update_fields=[
            "status",
            "decided_by",
            "decided_at",
            "decision_note",
            "valid_from",
            "valid_until",
        ]
    )
    _grant_audit(
        "exchange.grant.approve",
        actor,
        grant.service.provider.agency,
        grant,
        note=note,
        valid_from=grant.valid_from,
        valid_until=grant.valid_until,
    )
    snapshot.bump_version()
    return grant


@transaction.atomic
def grant_refuse(*, actor: User | None, grant: AccessGrant, note: str) -> AccessGrant:
    """Từ chối: the provider's side refuses the request, saying why."""
    permissions.require(permissions.grant_refuse(actor, grant))
    note = _require_text(note, "note", _("Cần ghi rõ lý do từ chối."), MAX_TEXT)
    grant = _decide(actor, grant, AccessGrant.Status.REFUSED, note)
    grant.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _grant_audit("exchange.grant.refuse", actor, grant.service.provider.agency, grant, note=note)
    snapshot.bump_version()
    return grant


@transaction.atomic
def grant_revoke(*, actor: User | None, grant: AccessGrant, note: str) -> AccessGrant:
    """Thu hồi: the provider's side withdraws an approved grant, saying why."""
    permissions.require(permissions.grant_revoke(actor, grant))
    note = _require_text(note, "note", _("Cần ghi rõ lý do thu hồi."), MAX_TEXT)
    grant = _decide(actor, grant, AccessGrant.Status.REVOKED, note)
    grant.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _grant_audit("exchange.grant.revoke", actor, grant.service.provider.agency, grant, note=note)
    snapshot.bump_version()
    return grant
