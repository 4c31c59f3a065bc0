"""Writes of the simulator: people, relying parties, sign-in attempts, codes, tokens.

The simulator plays an outside system, so it writes nothing to the platform's audit log:
what the platform learns from it arrives as claims and is audited by ``identity``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from thudo.core.errors import ApplicationError, FieldError, InvalidInput
from thudo.core.identifiers import IdentifierError, check_personal_id
from thudo.eidsim import permissions
from thudo.eidsim.contracts import (
    LEVELS_OF_ASSURANCE,
    LOCK_MINUTES,
    MAX_FAILED_SIGN_INS,
    SCOPES_SUPPORTED,
    AccountInactive,
    AccountLocked,
    CredentialsRejected,
    acr_for_loa,
    digest,
)
from thudo.eidsim.models import AuthorizationCode, EidAccount, OidcClient, Token

CODE_LIFETIME = timedelta(minutes=5)
MIN_CLIENT_SECRET_LENGTH = 16


# --- people and relying parties -----------------------------------------------------------


@transaction.atomic
def account_upsert(
    *,
    actor: Any = None,
    personal_id: str,
    full_name: str,
    birth_date: date,
    gender: str,
    loa: int,
    password: str,
    is_active: bool = True,
) -> EidAccount:
    """Create or update a simulated person; the password and lock are reset too.

    The personal ID must be well formed, but it is deliberately *not* checked against
    the birth date and sex: the simulator must be able to send inconsistent claims so
    that the platform's own checks can be exercised.
    """
    permissions.require(permissions.account_upsert(actor))
    errors: list[FieldError] = []
    try:
        personal_id = check_personal_id(personal_id)
    except IdentifierError as exc:
        errors.append(FieldError("personal_id", exc.code, str(exc.message)))
    full_name = (full_name or "").strip()
    if not full_name:
        errors.append(FieldError("full_name", "required", _("Họ và tên là bắt buộc.")))
    if not isinstance(birth_date, date):
        errors.append(FieldError("birth_date", "invalid", _("Ngày sinh không hợp lệ.")))
    if gender not in EidAccount.Gender.values:
        errors.append(FieldError("gender", "invalid_choice", _("Giới tính không hợp lệ.")))
    if loa not in LEVELS_OF_ASSURANCE:
        errors.append(FieldError("loa", "invalid_choice", _("Mức định danh phải là 1 hoặc 2.")))
    if not password:
        errors.append(FieldError("password", "required", _("Mật khẩu là bắt buộc.")))
    if errors:
        raise InvalidInput(field_errors=errors)
    account, _created = EidAccount.objects.update_or_create(
        personal_id=personal_id,
        defaults={
            "full_name": full_name,
            "birth_date": birth_date,
            "gender": gender,
            "loa": loa,
            "password": make_password(password),
            "is_active": is_active,
            "failed_attempts": 0,
            "locked_until": None,
        },
    )
    return account


def _check_uris(field: str, uris: Sequence[str]) -> list[FieldError]:
    errors = []
    for uri in uris:
        parts = urlsplit(uri)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
            errors.append(
                FieldError(
                    field,
                    "invalid_uri",
                    _("Địa chỉ %(uri)s phải là URL http(s) đầy đủ, không có phần #.")
                    % {"uri": uri},
                )
            )
    return errors


@transaction.atomic
def client_upsert(
    *,
    actor: Any = None,
    client_id: str,
    client_secret: str,
    redirect_uris: Sequence[str],
    post_logout_redirect_uris: Sequence[str] = (),
    name: str = "",
    token_endpoint_auth_method: str = OidcClient.AuthMethod.BASIC,
) -> OidcClient:
    """Register or update a relying party; its secret is stored hashed."""
    permissions.require(permissions.client_upsert(actor))
    client_id = (client_id or "").strip()
    errors: list[FieldError] = []
    if not client_id or len(client_id) > 100 or not client_id.isascii() or " " in client_id:
        errors.append(
            FieldError(
                "client_id",
                "invalid",
                _("Mã ứng dụng gồm 1 đến 100 ký tự ASCII, không có dấu cách."),
            )
        )
    if len(client_secret or "") < MIN_CLIENT_SECRET_LENGTH:
        errors.append(
            FieldError(
                "client_secret",
                "too_short",
                _("Khóa bí mật của ứng dụng phải dài ít nhất %(n)s ký tự.")
                % {"n": MIN_CLIENT_SECRET_LENGTH},
            )
        )
    if not redirect_uris:
        errors.append(
            FieldError("redirect_uris", "required", _("Cần ít nhất một địa chỉ chuyển hướng."))
        )
    errors += _check_uris("redirect_uris", redirect_uris)
    errors += _check_uris("post_logout_redirect_uris", post_logout_redirect_uris)
    if token_endpoint_auth_method not in OidcClient.AuthMethod.values:
        errors.append(
            FieldError(
                "token_endpoint_auth_method",
                "invalid_choice",
                _("Phương thức xác thực ứng dụng không hợp lệ."),
            )
        )
    if errors:
        raise InvalidInput(field_errors=errors)
    client, _created = OidcClient.objects.update_or_create(
        client_id=client_id,
        defaults={
            "client_secret_hash": make_password(client_secret),
            "name": name.strip(),
            "redirect_uris": list(dict.fromkeys(redirect_uris)),
            "post_logout_redirect_uris": list(dict.fromkeys(post_logout_redirect_uris)),
            "allowed_scopes": " ".join(SCOPES_SUPPORTED),
            "token_endpoint_auth_method": token_endpoint_auth_method,
            "is_active": True,
        },
    )
    return client


# --- signing in ---------------------------------------------------------------------------


def account_authenticate(*, actor: Any = None, personal_id: str, password: str) -> EidAccount:
    """The person with these credentials, or an error that does not say which was wrong.

    Not atomic as a whole on purpose: a failed attempt must be counted (committed) even
    though the caller receives an exception.
    """
    permissions.require(permissions.account_authenticate(actor))
    now = timezone.now()
    failure: ApplicationError
    with transaction.atomic():
        account = (
            EidAccount.objects.select_for_update()
            .filter(personal_id=(personal_id or "").strip())
            .first()
        )
        if account is None:
            # Spend the same time as a real check so that response times do not tell
            # which personal IDs exist.
            make_password(password)
            failure = CredentialsRejected()
        elif account.locked_until is not None and account.locked_until > now:
            failure = AccountLocked()
        elif not check_password(password, account.password):
            account.failed_attempts += 1
            if account.failed_attempts >= MAX_FAILED_SIGN_INS:
                account.failed_attempts = 0
                account.locked_until = now + timedelta(minutes=LOCK_MINUTES)
                failure = AccountLocked()
            else:
                failure = CredentialsRejected()
            account.save(update_fields=["failed_attempts", "locked_until", "updated_at"])
        elif not account.is_active:
            failure = AccountInactive()
        else:
            if account.failed_attempts or account.locked_until is not None:
                account.failed_attempts = 0
                account.locked_until = None
                account.save(update_fields=["failed_attempts", "locked_until", "updated_at"])
            return account
    raise failure


# --- protocol records ---------------------------------------------------------------------


@transaction.atomic
def authorization_code_create(
    *,
    actor: Any = None,
    code: str,
    client: OidcClient,
    account: EidAccount,
    redirect_uri: str,
    scope: str,
    nonce: str,
    code_challenge: str,
    code_challenge_method: str,
    auth_time: datetime,
) -> AuthorizationCode:
    permissions.require(permissions.authorization_code_create(actor))
    now = timezone.now()
    return AuthorizationCode.objects.create(
        code_digest=digest(code),
        client=client,
        account=account,
        redirect_uri=redirect_uri,
        scope=scope,
        nonce=nonce,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
        auth_time=auth_time,
        acr=acr_for_loa(account.loa),
        created_at=now,
        expires_at=now + CODE_LIFETIME,
    )


@transaction.atomic
def authorization_code_redeem(
    *, actor: Any = None, code: str, client: OidcClient
) -> AuthorizationCode | None:
    """Take the code for exchange: each code gets exactly one attempt.

    A second attempt means the code leaked; the tokens the first attempt obtained are
    revoked (RFC 6749 §4.1.2) and nothing is returned.
    """
    permissions.require(permissions.authorization_code_redeem(actor))
    now = timezone.now()
    row = (
        AuthorizationCode.objects.select_for_update()
        .select_related("account", "client")
        .filter(code_digest=digest(code or ""), client=client)
        .first()
    )
    if row is None:
        return None
    if row.used_at is not None:
        Token.objects.filter(authorization_code=row, revoked_at__isnull=True).update(revoked_at=now)
        return None
    row.used_at = now
    row.save(update_fields=["used_at"])
    if row.expires_at <= now:
        return None
    return row


@transaction.atomic
def token_create(
    *,
    actor: Any = None,
    client: OidcClient,
    account: EidAccount,
    authorization_code: AuthorizationCode | None,
    access_token: str,
    scope: str,
    expires_in: int,
) -> Token:
    permissions.require(permissions.token_create(actor))
    return Token.objects.create(
        access_token_digest=digest(access_token),
        client=client,
        account=account,
        authorization_code=authorization_code,
        scope=scope,
        expires_in=expires_in,
    )
