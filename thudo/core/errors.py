"""One error taxonomy for the platform.

Services raise :class:`ApplicationError` subclasses; the API renders them as RFC 9457
``application/problem+json`` (see ``thudo.core.problems``), pages render them into the
form. ``code`` is stable and documented: clients may branch on it; ``message`` is for
people and is translated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    message: str


@dataclass
class ApplicationError(Exception):
    message: Any = None
    data: Mapping[str, Any] = field(default_factory=dict)
    field_errors: Sequence[FieldError] = ()

    code: ClassVar[str] = "application_error"
    status: ClassVar[int] = 400
    title: ClassVar[Any] = _("Yêu cầu không hợp lệ")

    def __post_init__(self) -> None:
        if self.message is None:
            self.message = self.title

    def __str__(self) -> str:
        return str(self.message)


class InvalidInput(ApplicationError):
    code = "invalid_input"
    status = 422
    title = _("Dữ liệu không hợp lệ")


class NotAuthenticated(ApplicationError):
    code = "not_authenticated"
    status = 401
    title = _("Cần đăng nhập")


class PermissionDenied(ApplicationError):
    code = "permission_denied"
    status = 403
    title = _("Không có quyền thực hiện")


class NotFound(ApplicationError):
    code = "not_found"
    status = 404
    title = _("Không tìm thấy")


class Conflict(ApplicationError):
    code = "conflict"
    status = 409
    title = _("Xung đột dữ liệu")


class RateLimited(ApplicationError):
    code = "rate_limited"
    status = 429
    title = _("Quá nhiều yêu cầu")


class ServiceUnavailable(ApplicationError):
    code = "service_unavailable"
    status = 503
    title = _("Dịch vụ tạm thời không sẵn sàng")


def invalid(field_name: str, code: str, message: Any) -> InvalidInput:
    """An InvalidInput about one field."""
    return InvalidInput(message=message, field_errors=[FieldError(field_name, code, str(message))])
