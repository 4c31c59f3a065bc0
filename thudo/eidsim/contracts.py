"""Plain values of the eID simulator: assurance levels, claims, sign-in errors."""

from __future__ import annotations

import hashlib

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from thudo.core.errors import ApplicationError

#: VNeID levels of assurance as ``acr`` values (mức định danh điện tử 1 và 2).
ACR_PREFIX = "urn:vn:vneid:loa:"
LEVELS_OF_ASSURANCE = (1, 2)

SCOPES_SUPPORTED = ("openid", "profile")
#: Claims released per scope; ``sub``, ``loa`` and ``acr`` describe the sign-in itself.
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "openid": ("sub", "loa", "acr"),
    "profile": ("name", "birthdate", "gender"),
}
CLAIM_LABELS = {
    "sub": _("Số định danh cá nhân"),
    "loa": _("Mức định danh điện tử"),
    "acr": _("Mức định danh điện tử"),
    "name": _("Họ và tên"),
    "birthdate": _("Ngày sinh"),
    "gender": _("Giới tính"),
}

#: Consecutive wrong passwords before the account is locked, and for how long.
MAX_FAILED_SIGN_INS = 5
LOCK_MINUTES = 5


def acr_for_loa(loa: int) -> str:
    return f"{ACR_PREFIX}{loa}"


def digest(value: str) -> str:
    """How codes and access tokens are stored: enough to find them, useless if leaked."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


class CredentialsRejected(ApplicationError):
    """Unknown personal ID or wrong password: deliberately the same answer for both."""

    code = "eidsim_credentials_rejected"
    status = 400
    title = _("Số định danh cá nhân hoặc mật khẩu không đúng.")


class AccountLocked(ApplicationError):
    code = "eidsim_account_locked"
    status = 429
    title = lazy(
        lambda: (
            ngettext(
                "Tài khoản tạm thời bị khóa do nhập sai mật khẩu nhiều lần. "
                "Vui lòng thử lại sau %(minutes)s phút.",
                "Tài khoản tạm thời bị khóa do nhập sai mật khẩu nhiều lần. "
                "Vui lòng thử lại sau %(minutes)s phút.",
                LOCK_MINUTES,
            )
            % {"minutes": LOCK_MINUTES}
        ),
        str,
    )()


class AccountInactive(ApplicationError):
    code = "eidsim_account_inactive"
    status = 403
    title = _("Tài khoản định danh điện tử này đã bị khóa. Vui lòng liên hệ cơ quan công an.")
