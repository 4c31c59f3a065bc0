"""Fast compact JWS (ES256) for the gateway's hot path.

joserfc builds and checks a generic JWS on every call; the gateway signs two small,
fixed-shape documents per request, so it serialises them itself (RFC 7515 §7.1) and
signs with the loaded key directly. Everything it produces is verified in the tests by
joserfc, an independent implementation.
"""

from __future__ import annotations

import base64
import json
from functools import cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from thudo.exchange import keys

_ES256 = ec.ECDSA(hashes.SHA256())


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@cache
def _header(typ: str) -> str:
    key = keys.signing_key()
    header = {"alg": keys.ALGORITHM, "typ": typ, "kid": key.kid}
    return b64url(json.dumps(header, separators=(",", ":")).encode())


@cache
def _private() -> ec.EllipticCurvePrivateKey:
    private = keys.signing_key().private_key
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    return private


def sign(typ: str, claims: dict[str, Any]) -> str:
    payload = b64url(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    signing_input = f"{_header(typ)}.{payload}"
    r, s = decode_dss_signature(_private().sign(signing_input.encode("ascii"), _ES256))
    return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def reset_cache() -> None:
    _header.cache_clear()
    _private.cache_clear()
