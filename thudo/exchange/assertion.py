"""The hub's word to a provider: ``X-Exchange-Assertion``, a short-lived JWT (ES256).

The gateway adds it to every forwarded request; a provider that accepts only calls
carrying a valid assertion is reachable only through the hub, and learns who is calling,
for what purpose and about whom — facts the hub has checked.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from django.conf import settings
from joserfc import jwt
from joserfc.errors import JoseError

from thudo.exchange import jws, keys
from thudo.exchange.contracts import ForwardedCall

HEADER = "X-Exchange-Assertion"
TYPE = "exchange-assertion+jwt"
LIFETIME = 60
LEEWAY = 30


class AssertionInvalid(Exception):
    pass


def sign(call: ForwardedCall) -> str:
    now = int(time.time())
    claims = {
        "iss": settings.EXCHANGE_ISSUER,
        "aud": call.provider,
        "iat": now,
        "exp": now + LIFETIME,
        "jti": call.request_id,
        "sub": call.consumer,
        "consumer_agency": call.consumer_agency,
        "service": call.service,
        "purpose": call.purpose,
        "data_subject": call.data_subject,
    }
    return jws.sign(TYPE, claims)


def verify(headers: Mapping[str, str], *, provider: str) -> ForwardedCall:
    """The call the hub vouches for, or AssertionInvalid."""
    raw = headers.get(HEADER) or headers.get(HEADER.lower()) or ""
    if not raw:
        raise AssertionInvalid("missing")
    try:
        token = jwt.decode(raw, keys.public_keyset(), algorithms=[keys.ALGORITHM])
    except (JoseError, ValueError) as exc:
        raise AssertionInvalid(str(exc)) from exc
    if token.header.get("typ") != TYPE:
        raise AssertionInvalid("wrong type")
    claims = token.claims
    now = time.time()
    if claims.get("iss") != settings.EXCHANGE_ISSUER or claims.get("aud") != provider:
        raise AssertionInvalid("wrong issuer or audience")
    if not isinstance(claims.get("exp"), int) or claims["exp"] + LEEWAY < now:
        raise AssertionInvalid("expired")
    if not isinstance(claims.get("iat"), int) or claims["iat"] - LEEWAY > now:
        raise AssertionInvalid("issued in the future")
    return ForwardedCall(
        request_id=str(claims.get("jti", "")),
        consumer=str(claims.get("sub", "")),
        consumer_agency=str(claims.get("consumer_agency", "")),
        provider=provider,
        service=str(claims.get("service", "")),
        purpose=str(claims.get("purpose", "")),
        data_subject=str(claims.get("data_subject", "")),
    )
