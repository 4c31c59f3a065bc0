"""Reads of the simulator."""

from __future__ import annotations

from thudo.eidsim.contracts import digest
from thudo.eidsim.models import AuthorizationCode, EidAccount, OidcClient, Token


def client_get(*, client_id: str) -> OidcClient | None:
    """An active relying party, or None (the protocol answers "unknown client")."""
    if not client_id:
        return None
    return OidcClient.objects.filter(client_id=client_id, is_active=True).first()


def account_get_active(*, pk: object) -> EidAccount | None:
    """The person signed in to the simulator, unless their account was disabled since."""
    if not isinstance(pk, int):
        return None
    return EidAccount.objects.filter(pk=pk, is_active=True).first()


def token_get(*, access_token: str) -> Token | None:
    """The token presented as a bearer credential; only for people still active."""
    if not access_token:
        return None
    return (
        Token.objects.select_related("account", "client")
        .filter(access_token_digest=digest(access_token), account__is_active=True)
        .first()
    )


def nonce_used(*, client: OidcClient, nonce: str) -> bool:
    """Whether a code was already issued for this nonce: a repeat means a replay."""
    return bool(nonce) and AuthorizationCode.objects.filter(client=client, nonce=nonce).exists()
