"""The ID-token checks, one tampering at a time, with real RSA signatures.

The provider here is only a key pair and its metadata: every token is signed for real,
and each test breaks exactly one thing the relying party must check.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from thudo.identity import oidc
from thudo.identity.contracts import IdTokenInvalid

ISSUER = "https://vneid.example.gov.vn"
NONCE = "nonce-4f2a"
ACCESS_TOKEN = "access-token-value"


@pytest.fixture(scope="module")
def provider_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "vneid-1", "alg": "RS256", "use": "sig"})


@pytest.fixture
def party(provider_key: RSAKey, settings: Any) -> oidc.RelyingParty:
    settings.EID_CLIENT_ID = "thudo-portal"
    metadata = {
        "issuer": ISSUER,
        "authorization_endpoint": ISSUER + "/authorize",
        "token_endpoint": ISSUER + "/token",
        "jwks_uri": ISSUER + "/jwks.json",
        "jwks": {"keys": [provider_key.as_dict(private=False)]},
        "id_token_signing_alg_values_supported": ["RS256", "none", "HS256"],
    }
    return oidc.RelyingParty(oidc.new_app(discovery_url=None, metadata=metadata), None)


def _at_hash(value: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(value.encode()).digest()[:16]).rstrip(b"=").decode()
    )


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": "thudo-portal",
        "sub": "001090012345",
        "iat": now,
        "exp": now + 600,
        "auth_time": now,
        "nonce": NONCE,
        "loa": 2,
        "at_hash": _at_hash(ACCESS_TOKEN),
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _token(
    key: Any, claims: dict[str, Any], alg: str = "RS256", kid: str = "vneid-1"
) -> dict[str, str]:
    return {
        "access_token": ACCESS_TOKEN,
        "token_type": "Bearer",
        "id_token": jwt.encode({"alg": alg, "kid": kid}, claims, key),
    }


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_well_formed_token_is_accepted(party: oidc.RelyingParty, provider_key: RSAKey) -> None:
    claims = party.verify_id_token(_token(provider_key, _claims()), nonce=NONCE)
    assert (claims["sub"], claims["loa"], claims["aud"]) == ("001090012345", 2, "thudo-portal")


def test_changed_payload_breaks_the_signature(
    party: oidc.RelyingParty, provider_key: RSAKey
) -> None:
    header, _payload, signature = _token(provider_key, _claims())["id_token"].split(".")
    forged = ".".join([header, _b64(_claims(sub="079090099999")), signature])
    with pytest.raises(IdTokenInvalid):
        party.verify_id_token({"access_token": ACCESS_TOKEN, "id_token": forged}, nonce=NONCE)


def test_token_signed_by_another_key_with_the_same_kid(party: oidc.RelyingParty) -> None:
    impostor = RSAKey.generate_key(2048)
    with pytest.raises(IdTokenInvalid):
        party.verify_id_token(_token(impostor, _claims()), nonce=NONCE)


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "https://impostor.example"},
        {"aud": "another-portal"},
        {"aud": ["another-portal"], "azp": "another-portal"},
        {"nonce": "some-other-nonce"},
        {"nonce": None},
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
        {"sub": None},
        {"iat": None},
        {"at_hash": _at_hash("a-different-access-token")},
    ],
    ids=[
        "iss",
        "aud",
        "aud-list-azp",
        "nonce",
        "nonce-missing",
        "expired",
        "no-sub",
        "no-iat",
        "at_hash",
    ],
)
def test_each_broken_claim_is_refused(
    party: oidc.RelyingParty, provider_key: RSAKey, changes: dict[str, Any]
) -> None:
    with pytest.raises(IdTokenInvalid):
        party.verify_id_token(_token(provider_key, _claims(**changes)), nonce=NONCE)


def test_unsigned_token_is_refused_even_if_the_provider_lists_none(
    party: oidc.RelyingParty,
) -> None:
    unsigned = f"{_b64({'alg': 'none', 'kid': 'vneid-1'})}.{_b64(_claims())}."
    with pytest.raises(IdTokenInvalid):
        party.verify_id_token({"access_token": ACCESS_TOKEN, "id_token": unsigned}, nonce=NONCE)


def test_hmac_token_is_refused_even_if_the_provider_lists_it(party: oidc.RelyingParty) -> None:
    secret = OctKey.import_key("thudo-portal-client-secret-0123456789")
    with pytest.raises(IdTokenInvalid):
        party.verify_id_token(_token(secret, _claims(), alg="HS256"), nonce=NONCE)


def test_a_token_response_without_id_token_is_refused(party: oidc.RelyingParty) -> None:
    with pytest.raises(IdTokenInvalid):
        party.verify_id_token({"access_token": ACCESS_TOKEN}, nonce=NONCE)
