"""Writes of the identity module."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from thudo.core import facade as core
from thudo.core.errors import InvalidInput
from thudo.core.models import User
from thudo.identity import permissions
from thudo.identity.contracts import (
    SIGNIN_ACTION,
    SIGNIN_PURPOSE,
    AssuranceTooLow,
    ClaimsInvalid,
    EidClaims,
)

ACR_PREFIX = "urn:vn:vneid:loa:"
GENDERS = ("male", "female")


def _level_of_assurance(claims: EidClaims) -> int | None:
    if claims.loa is not None:
        return claims.loa
    suffix = claims.acr.removeprefix(ACR_PREFIX) if claims.acr.startswith(ACR_PREFIX) else ""
    return int(suffix) if suffix.isdigit() else None


def _birth_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ClaimsInvalid(_("Ngày sinh nhận được không hợp lệ.")) from None


@transaction.atomic
def citizen_sign_in(*, actor: Any = None, claims: EidClaims) -> User:
    """The citizen for verified eID claims: the account is created or refreshed and the
    sign-in audited in one transaction, so a refused sign-in leaves nothing behind."""
    permissions.require(permissions.citizen_sign_in(actor))
    loa = _level_of_assurance(claims)
    if loa is None:
        raise ClaimsInvalid(_("Không nhận được mức định danh điện tử."))
    if loa < settings.EID_MIN_LOA:
        raise AssuranceTooLow(
            _(
                "Dịch vụ này cần tài khoản định danh điện tử mức %(required)s; tài khoản của bạn "
                "ở mức %(level)s. Hãy nâng mức tài khoản trên ứng dụng VNeID rồi đăng nhập lại."
            )
            % {"required": settings.EID_MIN_LOA, "level": loa}
        )
    if not claims.name.strip():
        raise ClaimsInvalid(_("Không nhận được họ và tên."))
    if claims.gender not in GENDERS:
        raise ClaimsInvalid(_("Giới tính nhận được không hợp lệ."))
    birth_date = _birth_date(claims.birthdate)
    try:
        user = core.citizen_upsert(
            personal_id=claims.subject,
            full_name=claims.name,
            birth_date=birth_date,
            gender=claims.gender,
            loa=loa,
        )
    except InvalidInput as exc:
        # The personal ID does not agree with the birth date or sex the provider sent.
        raise ClaimsInvalid(exc.message) from exc
    core.audit_record(
        action=SIGNIN_ACTION,
        actor=user,
        object_type="core.user",
        object_id=user.username,
        data_subject=claims.subject,
        purpose=SIGNIN_PURPOSE,
        payload={"loa": loa, "issuer": claims.issuer},
    )
    return user
