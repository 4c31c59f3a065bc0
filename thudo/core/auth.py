"""How machines authenticate on the API: personal bearer tokens of officials."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone

from thudo.core.models import ApiToken, User

API_TOKEN_PREFIX = "thd_"  # noqa: S105 - a public prefix, not a secret


def hash_token(token: str) -> str:
    # Tokens carry 256 bits of randomness: a fast hash is enough, unlike passwords.
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_authenticate(secret: str) -> User | None:
    """The active user behind a bearer token, or None."""
    if not secret.startswith(API_TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(secret), revoked_at__isnull=True)
        .first()
    )
    now = timezone.now()
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        # Coarse on purpose: one write every few minutes, not one per request.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


class AuthedRequest(HttpRequest):
    """A request that passed authentication: ``user`` is a platform account."""

    user: User
