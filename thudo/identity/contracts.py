"""Plain values of the identity module: verified eID claims and sign-in errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from thudo.core.errors import ApplicationError, PermissionDenied, ServiceUnavailable

SIGNIN_ACTION = "identity.eid.signin"
SIGNIN_PURPOSE = "Đăng nhập bằng định danh điện tử quốc gia"

#: Human names of the audit actions a citizen may meet on "who used my data".
ACTION_LABELS = {
    SIGNIN_ACTION: _("Đăng nhập bằng định danh điện tử quốc gia"),
    "core.citizen.create": _("Tạo tài khoản công dân"),
}
# An exchange through the data-sharing hub about the citizen.
EXCHANGE_LABEL = _("Khai thác dữ liệu qua nền tảng chia sẻ: %(service)s")


@dataclass(frozen=True)
class EidClaims:
    """Claims of an ID token whose signature, issuer, audience, nonce and expiry were
    verified. Values are as the provider sent them; the sign-in service checks them."""

    issuer: str
    subject: str
    name: str
    birthdate: str
    gender: str
    loa: int | None
    acr: str
    id_token: str


@dataclass(frozen=True)
class DataUseRow:
    """One line of "who used my data", ready to show: a use recorded by the platform
    (audit log) or an exchange through the data-sharing hub (message log)."""

    occurred_at: datetime
    actor: str
    by_me: bool
    agency_name: str | None
    action: str
    action_label: str
    purpose: str
    system: str = ""
    service: str = ""
    delivered: bool | None = None


@dataclass(frozen=True)
class DataUsePage:
    rows: list[DataUseRow]
    total: int
    number: int
    num_pages: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages


class SignInSessionInvalid(ApplicationError):
    """Unknown or reused state, or a code the provider no longer accepts."""

    code = "eid_session_invalid"
    status = 400
    title = _("Phiên đăng nhập không hợp lệ, hãy thử lại.")


class ProviderRefused(ApplicationError):
    """The provider answered the authorization request with an error."""

    code = "eid_provider_error"
    status = 400
    title = _("Hệ thống định danh điện tử không hoàn tất việc đăng nhập. Hãy thử lại.")


class SignInDeclined(PermissionDenied):
    code = "eid_access_denied"
    title = _("Bạn đã từ chối chia sẻ thông tin định danh nên chưa thể đăng nhập.")


class ProviderUnavailable(ServiceUnavailable):
    code = "eid_provider_unavailable"
    title = _(
        "Hệ thống định danh điện tử quốc gia tạm thời không kết nối được. "
        "Vui lòng thử lại sau ít phút."
    )


class IdTokenInvalid(ApplicationError):
    code = "eid_id_token_invalid"
    status = 400
    title = _("Không xác thực được thông tin đăng nhập nhận từ hệ thống định danh. Hãy thử lại.")


class ClaimsInvalid(ApplicationError):
    code = "eid_claims_invalid"
    status = 400
    title = _("Thông tin định danh nhận được không hợp lệ nên chưa thể đăng nhập.")


class AssuranceTooLow(PermissionDenied):
    code = "eid_loa_too_low"
    title = _("Mức định danh điện tử của tài khoản chưa đủ để đăng nhập.")
