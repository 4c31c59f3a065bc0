"""Local verification of the hub's JWT access tokens (RFC 9068): no database per request.

A token's signature is checked once and the result kept until the token expires; what
can change while it lives (the system revoked, its secret rotated) is checked on every
request against the in-memory configuration.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet

from thudo.exchange.contracts import ConfigSnapshot

AUDIENCE = "thudo-exchange"
TOKEN_TYPES = ("at+jwt", "application/at+jwt")
LEEWAY = 30


class TokenRejected(Exception):
    pass


@dataclass(frozen=True)
class Caller:
    client_id: str
    issued_at: int
    expires_at: int


class TokenVerifier:
    def __init__(self, *, keyset: KeySet, issuer: str, max_cached: int = 50_000) -> None:
        self.keyset = keyset
        self.issuer = issuer
        self.max_cached = max_cached
        self._cache: OrderedDict[str, Caller] = OrderedDict()

    def _decode(self, token: str) -> Caller:
        try:
            decoded = jwt.decode(token, self.keyset, algorithms=["ES256"])
        except Exception as exc:  # joserfc raises many kinds for malformed input
            raise TokenRejected("signature or format") from exc
        if decoded.header.get("typ") not in TOKEN_TYPES:
            raise TokenRejected("not an access token")
        claims: dict[str, Any] = decoded.claims
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if claims.get("iss") != self.issuer or AUDIENCE not in audiences:
            raise TokenRejected("issuer or audience")
        client_id, issued, expires = claims.get("client_id"), claims.get("iat"), claims.get("exp")
        if not isinstance(client_id, str) or claims.get("sub") != client_id:
            raise TokenRejected("subject")
        if not isinstance(issued, int) or not isinstance(expires, int):
            raise TokenRejected("times")
        return Caller(client_id=client_id, issued_at=issued, expires_at=expires)

    def verify(self, token: str, config: ConfigSnapshot) -> Caller:
        now = time.time()
        caller = self._cache.get(token)
        if caller is None:
            caller = self._decode(token)
            if caller.issued_at - LEEWAY > now:
                raise TokenRejected("issued in the future")
            self._cache[token] = caller
            if len(self._cache) > self.max_cached:
                self._cache.popitem(last=False)
        if caller.expires_at + LEEWAY < now:
            self._cache.pop(token, None)
            raise TokenRejected("expired")
        system = config.systems.get(caller.client_id)
        if system is None or not system.active:
            raise TokenRejected("system unknown or revoked")
        valid_after = system.tokens_valid_after
        if valid_after is not None and caller.issued_at < int(valid_after.timestamp()):
            raise TokenRejected("token older than the system's last rotation")
        return caller
