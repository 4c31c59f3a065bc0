"""The hub's token endpoint: OAuth 2.0 client credentials issuing RFC 9068 JWTs."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.test import Client as DjangoClient
from joserfc import jwt
from joserfc.jwk import KeySet

from thudo.exchange import keys, oauth, services
from thudo.exchange.models import MemberSystem
from thudo.exchange.tests.factories import system

pytestmark = pytest.mark.django_db

TOKEN = "/oauth/token"
GRANT = {"grant_type": "client_credentials"}


@pytest.fixture(autouse=True)
def _fresh_throttle() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def hub(city: Any, settings: Any) -> tuple[MemberSystem, str]:
    settings.EXCHANGE_ISSUER = "https://lgsp.hanoi.test"
    settings.EXCHANGE_TOKEN_SECONDS = 120
    return system(city.commune_a, "MOTCUA")


class Client(DjangoClient):
    """Token requests over HTTPS, as in production (Authlib refuses plain http except on
    loopback addresses)."""

    def post(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("secure", True)
        return super().post(*args, **kwargs)


def basic(client_id: str, secret: str) -> str:
    # RFC 6749 §2.3.1: both parts form-urlencoded before Base64.
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}"
    return "Basic " + base64.b64encode(raw.encode()).decode()


def token_with_basic(client: Client, client_id: str, secret: str, **data: str) -> Any:
    return client.post(TOKEN, {**GRANT, **data}, HTTP_AUTHORIZATION=basic(client_id, secret))


def test_basic_authentication_issues_a_jwt_that_verifies_against_the_jwks(hub: Any) -> None:
    registered, secret = hub
    client = Client()
    before = int(time.time())
    response = token_with_basic(client, registered.identifier, secret)
    after = int(time.time())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert sorted(body) == ["access_token", "expires_in", "token_type"]
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 120)

    published = client.get("/exchange/jwks.json")
    assert published.status_code == 200
    keyset = KeySet.import_key_set(published.json())
    decoded = jwt.decode(body["access_token"], keyset, algorithms=["ES256"])
    assert decoded.header == {"alg": "ES256", "typ": "at+jwt", "kid": keys.signing_key().kid}
    assert published.json()["keys"][0]["kid"] == keys.signing_key().kid
    claims = decoded.claims
    assert before <= claims["iat"] <= after
    assert len(claims["jti"]) >= 16
    assert claims == {
        "iss": "https://lgsp.hanoi.test",
        "aud": "thudo-exchange",
        "sub": "VN/GOV/000.01.50.H26/MOTCUA",
        "client_id": "VN/GOV/000.01.50.H26/MOTCUA",
        "iat": claims["iat"],
        "exp": claims["iat"] + 120,
        "jti": claims["jti"],
    }
    second = token_with_basic(client, registered.identifier, secret).json()["access_token"]
    assert jwt.decode(second, keyset).claims["jti"] != claims["jti"]


def test_post_authentication_works_too(hub: Any) -> None:
    registered, secret = hub
    response = Client().post(
        TOKEN, {**GRANT, "client_id": registered.identifier, "client_secret": secret}
    )
    assert response.status_code == 200
    claims = jwt.decode(response.json()["access_token"], keys.public_keyset()).claims
    assert claims["client_id"] == registered.identifier


def test_wrong_secret_with_basic_is_401_with_a_challenge(hub: Any) -> None:
    registered, secret = hub
    response = token_with_basic(Client(), registered.identifier, secret[:-1] + "x")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"].startswith('Basic error="invalid_client"')
    assert "access_token" not in response.json()


def test_wrong_secret_with_post_is_400_without_a_challenge(hub: Any) -> None:
    registered, _secret = hub
    response = Client().post(
        TOKEN, {**GRANT, "client_id": registered.identifier, "client_secret": "lgs_wrong"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"
    assert not response.has_header("WWW-Authenticate")


@pytest.mark.parametrize("how", ["basic", "post"])
def test_unknown_client_is_invalid_client(hub: Any, how: str) -> None:
    _registered, secret = hub
    unknown = "VN/GOV/000.01.50.H26/KHONGCO"
    if how == "basic":
        response = token_with_basic(Client(), unknown, secret)
    else:
        response = Client().post(TOKEN, {**GRANT, "client_id": unknown, "client_secret": secret})
    assert response.status_code == (401 if how == "basic" else 400)
    assert response.json()["error"] == "invalid_client"


def test_revoked_system_gets_no_token(hub: Any, city: Any) -> None:
    registered, secret = hub
    services.system_revoke(actor=city.admin_a, system=registered, reason="Ngừng vận hành")
    response = token_with_basic(Client(), registered.identifier, secret)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_rotation_invalidates_the_old_secret_at_the_token_endpoint(hub: Any, city: Any) -> None:
    registered, old = hub
    rotated = services.system_secret_rotate(actor=city.admin_a, system=registered)
    assert token_with_basic(Client(), registered.identifier, old).status_code == 401
    fresh = token_with_basic(Client(), registered.identifier, rotated.secret)
    assert fresh.status_code == 200
    registered.refresh_from_db()
    iat = jwt.decode(fresh.json()["access_token"], keys.public_keyset()).claims["iat"]
    # The gateway compares whole seconds: a token issued after the rotation passes.
    assert registered.tokens_valid_after is not None
    assert iat >= int(registered.tokens_valid_after.timestamp())


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"grant_type": "password", "username": "a", "password": "b"}, "unsupported_grant_type"),
        ({"grant_type": "authorization_code", "code": "x"}, "unsupported_grant_type"),
        ({}, "unsupported_grant_type"),
        ({**GRANT, "scope": "dan-cu"}, "invalid_scope"),
    ],
)
def test_other_grant_types_and_scopes_are_refused(
    hub: Any, data: dict[str, str], error: str
) -> None:
    registered, secret = hub
    response = Client().post(TOKEN, data, HTTP_AUTHORIZATION=basic(registered.identifier, secret))
    assert response.status_code == 400
    assert response.json()["error"] == error


def test_only_post_and_well_formed_credentials(hub: Any) -> None:
    assert Client().get(TOKEN).status_code == 405
    garbled = "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode()
    response = Client().post(TOKEN, GRANT, HTTP_AUTHORIZATION=garbled)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert Client().post(TOKEN, GRANT).json()["error"] == "invalid_client"


def test_ten_failures_lock_the_client_id_for_five_minutes(hub: Any, city: Any) -> None:
    registered, secret = hub
    other, other_secret = system(city.commune_b, "MOTCUA")
    client = Client()
    for _attempt in range(oauth.FAILURE_LIMIT):
        assert token_with_basic(client, registered.identifier, "lgs_guess").status_code == 401
    locked = token_with_basic(client, registered.identifier, secret)
    assert locked.status_code == 401
    assert locked.json() == {
        "error": "invalid_client",
        "error_description": "Too many failed attempts for this client; try again later.",
    }
    assert 299 <= int(locked["Retry-After"]) <= 300
    assert oauth.seconds_locked(registered.identifier) > 0
    posted = client.post(
        TOKEN, {**GRANT, "client_id": registered.identifier, "client_secret": secret}
    )
    assert (posted.status_code, posted.has_header("Retry-After")) == (400, True)
    # Other clients are not affected.
    assert token_with_basic(client, other.identifier, other_secret).status_code == 200


def test_a_success_forgets_earlier_failures(hub: Any) -> None:
    registered, secret = hub
    client = Client()
    for _attempt in range(oauth.FAILURE_LIMIT - 1):
        token_with_basic(client, registered.identifier, "lgs_guess")
    assert token_with_basic(client, registered.identifier, secret).status_code == 200
    token_with_basic(client, registered.identifier, "lgs_guess")
    assert token_with_basic(client, registered.identifier, secret).status_code == 200


def test_plain_http_is_refused_except_on_loopback(hub: Any) -> None:
    registered, secret = hub
    data = {**GRANT, "client_id": registered.identifier, "client_secret": secret}
    plain = DjangoClient().post(TOKEN, data)
    assert (plain.status_code, plain.json()["error"]) == (400, "insecure_transport")
    assert DjangoClient().post(TOKEN, data, HTTP_HOST="127.0.0.1").status_code == 200


def test_authorization_server_metadata(hub: Any, settings: Any) -> None:
    settings.BASE_URL = "https://thudo.hanoi.test"
    response = Client().get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.json() == {
        "issuer": "https://lgsp.hanoi.test",
        "token_endpoint": "https://thudo.hanoi.test/oauth/token",
        "jwks_uri": "https://thudo.hanoi.test/exchange/jwks.json",
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "response_types_supported": [],
    }
    jwks = Client().get("/exchange/jwks.json")
    assert jwks.json() == keys.jwks()
    assert [k["alg"] for k in jwks.json()["keys"]] == ["ES256"]
    assert "d" not in jwks.json()["keys"][0]
