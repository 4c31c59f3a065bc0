"""Kernel services: every write to the kernel's tables goes through here.

Keyword-only functions named ``<entity>_<action>``, atomic, with one permission check
(``permissions.<same name>``) first and the audit event written in the same transaction.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from thudo.core import audit, permissions
from thudo.core.auth import API_TOKEN_PREFIX, hash_token
from thudo.core.contracts import UnitRow
from thudo.core.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    invalid,
)
from thudo.core.identifiers import (
    GSO_LEVEL_BY_LENGTH,
    IdentifierError,
    check_agency_code,
    check_gso_code,
    check_personal_id,
)
from thudo.core.models import (
    AdministrativeUnit,
    Agency,
    ApiToken,
    CalendarOverride,
    Membership,
    Role,
    User,
)
from thudo.core.text import fold

# --- agencies ---------------------------------------------------------------------------


@transaction.atomic
def agency_create(
    *,
    actor: User | None,
    code: str,
    name: str,
    kind: str,
    unit_code: str,
    parent_code: str | None = None,
    short_name: str = "",
) -> Agency:
    if actor is not None:
        permissions.require(permissions.agency_create(actor))
    errors: list[FieldError] = []
    try:
        code = check_agency_code(code)
    except IdentifierError as exc:
        errors.append(FieldError("code", exc.code, str(exc.message)))
    name = (name or "").strip()
    if not name:
        errors.append(FieldError("name", "required", _("Tên cơ quan là bắt buộc.")))
    if kind not in Agency.Kind.values:
        errors.append(FieldError("kind", "invalid_choice", _("Loại cơ quan không hợp lệ.")))
    unit = AdministrativeUnit.objects.filter(code=unit_code, valid_to__isnull=True).first()
    if unit is None:
        errors.append(
            FieldError(
                "unit_code",
                "unknown_unit",
                _("Không có đơn vị hành chính đang hiệu lực với mã này."),
            )
        )
    parent = None
    if parent_code:
        parent = Agency.objects.filter(code=parent_code).first()
        if parent is None:
            errors.append(
                FieldError(
                    "parent_code", "unknown_agency", _("Không có cơ quan cấp trên với mã này.")
                )
            )
    if errors or unit is None:
        raise InvalidInput(field_errors=errors)
    if Agency.objects.filter(code=code).exists():
        raise Conflict(
            _("Đã có cơ quan với mã định danh %(code)s.") % {"code": code},
            field_errors=[FieldError("code", "duplicate", _("Mã đã được dùng."))],
        )
    agency = Agency.objects.create(
        code=code, name=name, short_name=short_name, kind=kind, unit=unit, parent=parent
    )
    audit.record(
        action="core.agency.create",
        actor=actor,
        agency=agency,
        object_type="core.agency",
        object_id=agency.code,
        payload={"name": name, "kind": kind, "unit": unit_code, "parent": parent_code},
    )
    return agency


# --- officials and roles ----------------------------------------------------------------

_username_validator = UnicodeUsernameValidator()


def _check_username(username: str) -> str:
    username = (username or "").strip()
    if not username:
        raise invalid("username", "required", _("Tên đăng nhập là bắt buộc."))
    if len(username) > 150:
        raise invalid("username", "too_long", _("Tên đăng nhập dài tối đa 150 ký tự."))
    try:
        _username_validator(username)
    except ValidationError:
        raise invalid(
            "username",
            "invalid",
            _("Tên đăng nhập chỉ gồm chữ cái, chữ số và các ký tự @ . + - _"),
        ) from None
    if username.isdigit() or username.startswith("eid-"):
        # Citizens' accounts are keyed by personal ID; keep official names apart.
        raise invalid(
            "username",
            "reserved",
            _("Tên đăng nhập của cán bộ không được chỉ gồm chữ số hay bắt đầu bằng 'eid-'."),
        )
    return username


@dataclass(frozen=True)
class NewOfficial:
    user: User
    membership: Membership
    initial_password: str


@transaction.atomic
def official_create(
    *,
    actor: User | None,
    agency: Agency,
    username: str,
    full_name: str,
    role: str,
    email: str = "",
    title: str = "",
    password: str | None = None,
) -> NewOfficial:
    """Create an official's account in ``agency`` with a first role.

    Without ``password`` a one-time password is generated; the official must change it
    at first sign-in.
    """
    if actor is not None:
        permissions.require(permissions.official_create(actor, agency))
        permissions.require(permissions.membership_grant(actor, agency, role))
    username = _check_username(username)
    full_name = (full_name or "").strip()
    if not full_name:
        raise invalid("full_name", "required", _("Họ và tên là bắt buộc."))
    if role not in Role.values:
        raise invalid("role", "invalid_choice", _("Vai trò không hợp lệ."))
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(
            _("Tên đăng nhập %(username)s đã được dùng.") % {"username": username},
            field_errors=[FieldError("username", "duplicate", _("Tên đăng nhập đã được dùng."))],
        )
    generated = password is None
    initial_password = password or secrets.token_urlsafe(12)
    user = User(
        username=username,
        full_name=full_name,
        email=email.strip(),
        kind=User.Kind.OFFICIAL,
        must_change_password=generated,
    )
    user.set_password(initial_password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise Conflict(
            _("Tên đăng nhập %(username)s đã được dùng.") % {"username": username}
        ) from None
    membership = Membership.objects.create(
        user=user,
        agency=agency,
        role=role,
        title=title,
        granted_by=actor if actor is not None and actor.pk else None,
    )
    audit.record(
        action="core.official.create",
        actor=actor,
        agency=agency,
        object_type="core.user",
        object_id=user.username,
        payload={"full_name": full_name, "role": role},
    )
    return NewOfficial(user=user, membership=membership, initial_password=initial_password)


@transaction.atomic
def membership_grant(
    *, actor: User | None, agency: Agency, user: User, role: str, title: str = ""
) -> Membership:
    if actor is not None:
        permissions.require(permissions.membership_grant(actor, agency, role))
    if role not in Role.values:
        raise invalid("role", "invalid_choice", _("Vai trò không hợp lệ."))
    if not user.is_official:
        raise invalid("user", "not_official", _("Chỉ cán bộ, công chức mới được giao vai trò."))
    if Membership.objects.filter(
        user=user, agency=agency, role=role, revoked_at__isnull=True
    ).exists():
        raise Conflict(_("Người này đã có vai trò này tại cơ quan."))
    membership = Membership.objects.create(
        user=user,
        agency=agency,
        role=role,
        title=title,
        granted_by=actor if actor is not None and actor.pk else None,
    )
    audit.record(
        action="core.membership.grant",
        actor=actor,
        agency=agency,
        object_type="core.membership",
        object_id=membership.pk,
        payload={"user": user.username, "role": role},
    )
    return membership


@transaction.atomic
def membership_revoke(*, actor: User | None, membership: Membership) -> Membership:
    if actor is not None:
        permissions.require(permissions.membership_revoke(actor, membership))
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.revoked_at is not None:
        raise Conflict(_("Vai trò này đã bị thu hồi."))
    if (
        actor is not None
        and membership.user_id == actor.pk
        and membership.role in (Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN)
    ):
        raise Conflict(_("Không thể tự thu hồi quyền quản trị của chính mình."))
    membership.revoked_at = timezone.now()
    membership.revoked_by = actor if actor is not None and actor.pk else None
    membership.save(update_fields=["revoked_at", "revoked_by"])
    audit.record(
        action="core.membership.revoke",
        actor=actor,
        agency=membership.agency,
        object_type="core.membership",
        object_id=membership.pk,
        payload={"user": membership.user.username, "role": membership.role},
    )
    return membership


def _store_password(user: User, password: str, *, field: str, must_change: bool) -> None:
    """Check a new password against the password rules and store its hash."""
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise InvalidInput(
            field_errors=[FieldError(field, "weak_password", str(m)) for m in exc.messages]
        ) from None
    user.set_password(password)
    user.must_change_password = must_change
    user.save(update_fields=["password", "must_change_password"])


@transaction.atomic
def official_password_set(*, actor: User | None, user: User, password: str) -> None:
    """Set an official's password (an agency administrator's reset, or the operator's).

    Set by someone else, it must be changed at the next sign-in.
    """
    permissions.require(permissions.official_password_set(actor, user))
    if not user.is_official:
        raise invalid("user", "not_official", _("Chỉ đặt mật khẩu cho tài khoản cán bộ."))
    _store_password(
        user, password, field="password", must_change=actor is not None and actor.pk != user.pk
    )
    audit.record(
        action="core.password.set",
        actor=actor,
        object_type="core.user",
        object_id=user.username,
    )


@transaction.atomic
def password_change(*, actor: User, old_password: str, new_password: str) -> None:
    permissions.require(permissions.password_change(actor))
    if not actor.check_password(old_password):
        raise invalid("old_password", "wrong_password", _("Mật khẩu hiện tại không đúng."))
    _store_password(actor, new_password, field="new_password", must_change=False)
    audit.record(
        action="core.password.change",
        actor=actor,
        object_type="core.user",
        object_id=actor.username,
    )


# --- two-factor (TOTP) ------------------------------------------------------------------


@transaction.atomic
def totp_device_create(*, actor: User) -> TOTPDevice:
    """A new, unconfirmed authenticator for the official; replaces unconfirmed ones."""
    permissions.require(permissions.totp_device_create(actor))
    TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
    return TOTPDevice.objects.create(user=actor, name=_("Ứng dụng xác thực"), confirmed=False)


@transaction.atomic
def totp_device_confirm(*, actor: User, device: TOTPDevice, token: str) -> TOTPDevice:
    permissions.require(permissions.totp_device_confirm(actor))
    if device.user_id != actor.pk:
        raise NotFound()
    token = (token or "").strip()
    if not token.isdigit() or not device.verify_token(token):
        raise invalid("token", "wrong_token", _("Mã xác thực không đúng hoặc đã hết hạn."))
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=actor).exclude(pk=device.pk).delete()
    audit.record(
        action="core.totp.confirm", actor=actor, object_type="core.user", object_id=actor.username
    )
    return device


# --- API tokens -------------------------------------------------------------------------


@dataclass(frozen=True)
class NewApiToken:
    token: ApiToken
    secret: str


@transaction.atomic
def api_token_create(*, actor: User, name: str, expires_in_days: int | None = 90) -> NewApiToken:
    permissions.require(permissions.api_token_create(actor))
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise invalid("name", "invalid", _("Tên khóa từ 1 đến 100 ký tự."))
    if expires_in_days is not None and not 1 <= expires_in_days <= 366:
        raise invalid("expires_in_days", "out_of_range", _("Thời hạn của khóa từ 1 đến 366 ngày."))
    prefix = secrets.token_hex(4)
    secret = f"{API_TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=actor,
        name=name,
        prefix=prefix,
        token_hash=hash_token(secret),
        expires_at=(timezone.now() + timedelta(days=expires_in_days)) if expires_in_days else None,
    )
    audit.record(
        action="core.api_token.create",
        actor=actor,
        object_type="core.api_token",
        object_id=token.pk,
        payload={"name": name, "prefix": prefix},
    )
    return NewApiToken(token=token, secret=secret)


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    permissions.require(permissions.api_token_revoke(actor, token))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            action="core.api_token.revoke",
            actor=actor,
            object_type="core.api_token",
            object_id=token.pk,
            payload={"prefix": token.prefix},
        )
    return token


# --- administrative units ---------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


_KIND_ALIASES = {
    "thành phố trung ương": "central_city",
    "thành phố trực thuộc trung ương": "central_city",
    "tỉnh": "province",
    "quận": "urban_district",
    "huyện": "rural_district",
    "thị xã": "town",
    "thành phố": "provincial_city",
    "thành phố thuộc tỉnh": "provincial_city",
    "phường": "ward",
    "xã": "commune",
    "thị trấn": "township",
    "đặc khu": "special_zone",
}
_LEVEL_BY_KIND = {
    "central_city": "province",
    "province": "province",
    "urban_district": "district",
    "rural_district": "district",
    "town": "district",
    "provincial_city": "district",
    "ward": "commune",
    "commune": "commune",
    "township": "commune",
    "special_zone": "commune",
}
# Levels are written in this order so that every parent has a primary key before its
# children are inserted.
_LEVELS = ("province", "district", "commune")
# Before 1 July 2025 a commune sat under a district; since then directly under its province.
_PARENT_LEVELS: dict[str, tuple[str, ...]] = {
    "province": (),
    "district": ("province",),
    "commune": ("province", "district"),
}
_UNIT_WRITTEN_FIELDS = ("name", "search_name", "kind", "level", "parent", "valid_to")


def _unit_key(code: str, valid_from: date) -> tuple[str, date]:
    return (code, valid_from)


def _unit_text(value: str) -> str:
    # Files made on macOS often carry decomposed (NFD) Vietnamese; store and compare NFC.
    return " ".join(unicodedata.normalize("NFC", value or "").split())


@dataclass
class _UnitItem:
    """A cleaned import row; ``unit`` and ``parent`` are filled in while planning."""

    where: str
    code: str
    name: str
    kind: str
    level: str
    parent_code: str
    valid_from: date
    valid_to: date | None
    unit: AdministrativeUnit | None = None
    parent: AdministrativeUnit | None = None

    @property
    def key(self) -> tuple[str, date]:
        return _unit_key(self.code, self.valid_from)


@dataclass(frozen=True)
class _UnitVersion:
    """One version of a code as the table will hold it once the import is applied."""

    valid_from: date
    valid_to: date | None
    level: str
    unit: AdministrativeUnit
    where: str | None  # the file row it comes from; None when only stored


def _unit_clean(row: UnitRow, where: str) -> _UnitItem | FieldError:
    raw_kind = _unit_text(row.kind).lower()
    kind = _KIND_ALIASES.get(raw_kind, raw_kind)
    if kind not in _LEVEL_BY_KIND:
        return FieldError(
            where, "invalid_kind", _("Loại đơn vị không hợp lệ: %(kind)s") % {"kind": row.kind}
        )
    level = _unit_text(row.level).lower() or _LEVEL_BY_KIND[kind]
    if level != _LEVEL_BY_KIND[kind]:
        return FieldError(where, "invalid_level", _("Cấp không khớp với loại đơn vị."))
    code = (row.code or "").strip()
    try:
        # The shared GSO check, so that only ASCII digits of the level's length pass.
        check_gso_code(code, level=level)
    except IdentifierError:
        return FieldError(
            where,
            "invalid_code",
            _("Mã %(code)s không đúng dạng của cấp %(level)s.") % {"code": code, "level": level},
        )
    name = _unit_text(row.name)
    if not name:
        return FieldError(where, "required", _("Tên đơn vị là bắt buộc."))
    if row.valid_to is not None and row.valid_to <= row.valid_from:
        return FieldError(where, "invalid_validity", _("Ngày hết hiệu lực phải sau ngày hiệu lực."))
    parent_code = (row.parent_code or "").strip()
    if level == "province" and parent_code:
        return FieldError(where, "invalid_parent", _("Đơn vị cấp tỉnh không có đơn vị cấp trên."))
    if level != "province" and not parent_code:
        return FieldError(
            where, "invalid_parent", _("Đơn vị cấp huyện, cấp xã phải có mã đơn vị cấp trên.")
        )
    if parent_code:
        try:
            check_gso_code(parent_code)
        except IdentifierError:
            return FieldError(
                where,
                "invalid_parent",
                _("Mã đơn vị cấp trên %(code)s không đúng dạng.") % {"code": parent_code},
            )
        if GSO_LEVEL_BY_LENGTH[len(parent_code)] not in _PARENT_LEVELS[level]:
            return FieldError(
                where,
                "invalid_parent",
                _("Đơn vị cấp trên %(code)s không thuộc cấp cao hơn cấp %(level)s.")
                % {"code": parent_code, "level": level},
            )
    return _UnitItem(
        where=where,
        code=code,
        name=name,
        kind=kind,
        level=level,
        parent_code=parent_code,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
    )


def _units_invalid(errors: list[FieldError]) -> InvalidInput:
    # In file order ("row 2" before "row 10"), whichever check found them.
    ordered = sorted(errors, key=lambda e: int(e.field.removeprefix("row ")))
    return InvalidInput(
        _("Tệp đơn vị hành chính có lỗi; chưa có gì được lưu."), field_errors=ordered
    )


@transaction.atomic
def units_import(*, actor: User | None, rows: Iterable[UnitRow], source: str) -> ImportResult:
    """Load administrative units, all or nothing.

    Units are keyed by (code, valid_from), so one code can have several versions (Hà Nội
    2008–2025 and Hà Nội since the 2025 reform) as long as their validity periods do not
    overlap. A parent is the version of ``parent_code`` in force on the child's
    ``valid_from``, from the same file or already stored. Every row is checked before
    anything is written; new units are inserted in bulk, level by level, and an audit event
    is written when anything changed.
    """
    permissions.require(permissions.units_import(actor))
    errors: list[FieldError] = []
    items: list[_UnitItem] = []
    for number, row in enumerate(rows, start=1):
        cleaned = _unit_clean(row, f"row {number}")
        if isinstance(cleaned, FieldError):
            errors.append(cleaned)
        else:
            items.append(cleaned)
    keys: set[tuple[str, date]] = set()
    for item in items:
        if item.key in keys:
            errors.append(FieldError(item.where, "duplicate", _("Dòng trùng mã và ngày hiệu lực.")))
        keys.add(item.key)
    if errors:
        raise _units_invalid(errors)

    stored = {_unit_key(u.code, u.valid_from): u for u in AdministrativeUnit.objects.all()}
    # The versions of every code as they will be once the file is applied: a file row
    # replaces the stored version with the same key.
    versions: dict[str, list[_UnitVersion]] = {}
    for key, unit in stored.items():
        if key not in keys:
            versions.setdefault(unit.code, []).append(
                _UnitVersion(unit.valid_from, unit.valid_to, unit.level, unit, None)
            )
    for item in items:
        item.unit = stored.get(item.key) or AdministrativeUnit(
            code=item.code, valid_from=item.valid_from
        )
        versions.setdefault(item.code, []).append(
            _UnitVersion(item.valid_from, item.valid_to, item.level, item.unit, item.where)
        )
    errors.extend(_unit_overlaps(versions, codes={item.code for item in items}))
    for item in items:
        if not item.parent_code:
            continue
        found = _unit_in_force(versions, item.parent_code, item.valid_from)
        if found is None:
            errors.append(
                FieldError(
                    item.where,
                    "unknown_parent",
                    _("Không tìm thấy đơn vị cấp trên %(code)s đang hiệu lực vào ngày %(day)s.")
                    % {"code": item.parent_code, "day": item.valid_from.isoformat()},
                )
            )
            continue
        item.parent = found.unit
    if errors:
        raise _units_invalid(errors)

    created = updated = unchanged = 0
    for level in _LEVELS:
        new: list[AdministrativeUnit] = []
        changed: list[AdministrativeUnit] = []
        for item in items:
            if item.level != level:
                continue
            target = item.unit
            assert target is not None  # set while planning
            # Parents belong to earlier levels, which are already written: pk is known.
            values: dict[str, Any] = {
                "name": item.name,
                "search_name": fold(item.name),  # bulk writes skip Model.save()
                "kind": item.kind,
                "level": item.level,
                "parent_id": item.parent.pk if item.parent is not None else None,
                "valid_to": item.valid_to,
            }
            if target.pk is None:
                for field, value in values.items():
                    setattr(target, field, value)
                new.append(target)
            elif any(getattr(target, field) != value for field, value in values.items()):
                for field, value in values.items():
                    setattr(target, field, value)
                changed.append(target)
            else:
                unchanged += 1
        AdministrativeUnit.objects.bulk_create(new)
        if any(unit.pk is None for unit in new):
            # A backend that cannot return ids from a bulk insert: children need them.
            ids = {
                _unit_key(code, valid_from): pk
                for code, valid_from, pk in AdministrativeUnit.objects.filter(
                    level=level
                ).values_list("code", "valid_from", "pk")
            }
            for unit in new:
                unit.pk = ids[_unit_key(unit.code, unit.valid_from)]
        AdministrativeUnit.objects.bulk_update(changed, fields=list(_UNIT_WRITTEN_FIELDS))
        created += len(new)
        updated += len(changed)
    result = ImportResult(created, updated, unchanged)
    if created or updated:
        # Like api_token_revoke: an import that changed nothing is not an event on the
        # official record, so re-running the same file leaves the log alone too.
        audit.record(
            action="core.units.import",
            actor=actor,
            object_type="core.unit",
            payload={
                "source": source,
                "created": created,
                "updated": updated,
                "unchanged": unchanged,
            },
        )
    return result


def _unit_overlaps(versions: dict[str, list[_UnitVersion]], codes: set[str]) -> list[FieldError]:
    """Rows whose validity overlaps another version of the same code.

    Without this a child's parent "in force on its valid_from" could be two units.
    Versions sorted by start overlap somewhere only if two neighbours do.
    """
    errors = []
    for code in sorted(codes):
        ordered = sorted(versions[code], key=lambda v: v.valid_from)
        for earlier, later in pairwise(ordered):
            if earlier.where is None and later.where is None:
                continue  # both stored before this import: not this file's doing
            if earlier.valid_to is None or earlier.valid_to > later.valid_from:
                row, other = (later, earlier) if later.where else (earlier, later)
                assert row.where is not None
                errors.append(
                    FieldError(
                        row.where,
                        "overlapping_validity",
                        _(
                            "Thời gian hiệu lực chồng lên phiên bản khác của mã %(code)s "
                            "(hiệu lực từ %(other)s)."
                        )
                        % {"code": code, "other": other.valid_from.isoformat()},
                    )
                )
    return errors


def _unit_in_force(
    versions: dict[str, list[_UnitVersion]], code: str, day: date
) -> _UnitVersion | None:
    for version in versions.get(code, ()):
        if version.valid_from <= day and (version.valid_to is None or day < version.valid_to):
            return version
    return None


# --- calendar ---------------------------------------------------------------------------


@transaction.atomic
def calendar_override_set(
    *, actor: User | None, day: date, kind: str, name: str, legal_basis: str = ""
) -> CalendarOverride:
    permissions.require(permissions.calendar_override_set(actor))
    if kind not in CalendarOverride.Kind.values:
        raise invalid("kind", "invalid_choice", _("Loại điều chỉnh không hợp lệ."))
    if not name.strip():
        raise invalid("name", "required", _("Tên ngày là bắt buộc."))
    override, _created = CalendarOverride.objects.update_or_create(
        date=day, defaults={"kind": kind, "name": name.strip(), "legal_basis": legal_basis}
    )
    audit.record(
        action="core.calendar.override",
        actor=actor,
        object_type="core.calendar",
        object_id=day.isoformat(),
        payload={"kind": kind, "name": name},
    )
    return override


# --- citizens ---------------------------------------------------------------------------


@transaction.atomic
def citizen_upsert(
    *,
    actor: User | None,
    personal_id: str,
    full_name: str,
    birth_date: date | None,
    gender: str,
    loa: int | None,
) -> User:
    """The citizen account for a personal ID, created at first eID sign-in and refreshed
    from the identity provider's claims at every sign-in after."""
    permissions.require(permissions.citizen_upsert(actor))
    try:
        check_personal_id(
            personal_id, birth_date=birth_date, sex=gender if gender in User.Gender.values else None
        )
    except IdentifierError as exc:
        raise invalid("personal_id", exc.code, exc.message) from None
    user = User.objects.select_for_update().filter(personal_id=personal_id).first()
    values = {
        "full_name": full_name.strip()[:150],
        "birth_date": birth_date,
        "gender": gender if gender in User.Gender.values else "",
        "eid_loa": loa,
    }
    if user is None:
        user = User(
            username=f"eid-{personal_id}", personal_id=personal_id, kind=User.Kind.CITIZEN, **values
        )
        user.set_unusable_password()
        user.save()
        audit.record(
            action="core.citizen.create",
            actor=None,
            object_type="core.user",
            object_id=user.username,
            data_subject=personal_id,
            purpose="Tạo tài khoản công dân khi đăng nhập lần đầu bằng định danh điện tử",
        )
    else:
        if user.kind != User.Kind.CITIZEN or not user.is_active:
            raise PermissionDenied(_("Tài khoản này không được phép đăng nhập."))
        changed = [f for f, v in values.items() if getattr(user, f) != v]
        for f in changed:
            setattr(user, f, values[f])
        if changed:
            user.save(update_fields=changed)
    return user
