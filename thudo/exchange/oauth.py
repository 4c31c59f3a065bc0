"""The hub's authorization server: OAuth 2.0 client credentials (RFC 6749 §4.4) issuing
JWT access tokens (RFC 9068), assembled from Authlib's server side.

Member systems are the clients (``client_id`` = system identifier). Tokens are not
stored: the gateway verifies them against the JWKS and checks, from its in-memory
configuration, that the system is still active and that the token is not older than the
system's last secret rotation (``tokens_valid_after``).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any

from authlib.integrations.django_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Request
from authlib.oauth2.rfc6749.errors import (
    InsecureTransportError,
    InvalidClientError,
    InvalidScopeError,
    OAuth2Error,
)
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from joserfc import jwt

from thudo.exchange import credentials, keys, selectors
from thudo.exchange.models import MemberSystem

AUDIENCE = "thudo-exchange"
TOKEN_TYPE = "at+jwt"  # noqa: S105 - a media type, not a secret
AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
# Brute force on the token endpoint: after FAILURE_LIMIT failures of one client id within
# FAILURE_WINDOW seconds, that client id is refused for LOCK_SECONDS.
FAILURE_LIMIT = 10
FAILURE_WINDOW = 300
LOCK_SECONDS = 300


# --- clients ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SystemClient(ClientMixin):
    """A member system as Authlib's OAuth2 client."""

    system: MemberSystem

    @property
    def client_id(self) -> str:
        return self.system.identifier

    def get_client_id(self) -> str:
        return self.system.identifier

    def get_default_redirect_uri(self) -> str | None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        return ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return credentials.secret_matches(self.system, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == ClientCredentialsGrant.GRANT_TYPE


# --- tokens ----------------------------------------------------------------------------


class AccessTokenGenerator(JWTBearerTokenGenerator):
    """RFC 9068 access tokens signed with the hub's ES256 key.

    Authlib's generator would write an empty ``scope`` claim (the hub grants access per
    service through access grants, not scopes) and no ``kid``; the claims are therefore
    written here, exactly those the gateway checks.
    """

    def __init__(self) -> None:
        super().__init__(
            issuer=settings.EXCHANGE_ISSUER,
            alg=keys.ALGORITHM,
            expires_generator=lambda client, grant_type: settings.EXCHANGE_TOKEN_SECONDS,
        )

    def get_audiences(self, client: Any, user: Any, scope: Any) -> str:
        return AUDIENCE

    def access_token_generator(self, client: Any, grant_type: str, user: Any, scope: Any) -> str:
        now = int(time.time())
        client_id = client.get_client_id()
        claims = {
            "iss": self.issuer,
            "aud": self.get_audiences(client, user, scope),
            "sub": client_id,
            "client_id": client_id,
            "iat": now,
            "exp": now + self._get_expires_in(client, grant_type),
            "jti": self.get_jti(client, grant_type, user, scope),
        }
        key = keys.signing_key()
        header = {"alg": self.alg, "typ": TOKEN_TYPE, "kid": key.kid}
        token: str = jwt.encode(header, claims, key)
        return token


class ClientCredentials(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS


class HubAuthorizationServer(AuthorizationServer):
    def __init__(self) -> None:
        super().__init__(MemberSystem, None)
        self.register_grant(ClientCredentials)
        self.last_error: OAuth2Error | None = None

    def load_config(self, config: dict[str, Any]) -> None:
        # The hub's own configuration, never the project's AUTHLIB_* settings.
        self.config: dict[str, Any] = {}
        self.scopes_supported: list[str] = []
        self.register_token_generator("default", AccessTokenGenerator())

    def query_client(self, client_id: str) -> SystemClient | None:
        system = selectors.system_get_active(identifier=client_id)
        return SystemClient(system) if system is not None else None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        # Stateless: tokens are verified by signature, never looked up.
        return None

    def validate_requested_scope(self, scope: str | None) -> None:
        if scope:
            raise InvalidScopeError(
                "Scopes are not used: access is granted per service through access grants."
            )

    def handle_error_response(self, request: OAuth2Request, error: OAuth2Error) -> HttpResponse:
        self.last_error = error
        return super().handle_error_response(request, error)

    def authenticate_client(
        self, request: OAuth2Request, methods: Any, endpoint: str = "token"
    ) -> Any:
        try:
            return super().authenticate_client(request, methods, endpoint)
        except InvalidClientError as error:
            # RFC 6749 §5.2: 401 with a challenge when the client used the Authorization
            # header, 400 otherwise (Authlib answers 401 whenever basic is allowed).
            if not _used_basic(request.headers):
                error.status_code = 400
            raise


def _used_basic(headers: Any) -> bool:
    return str(headers.get("Authorization", "")).lower().startswith("basic ")


# --- brute-force throttle --------------------------------------------------------------


def _cache_key(kind: str, client_id: str) -> str:
    return f"exchange:oauth:{kind}:{hashlib.sha256(client_id.encode('utf-8')).hexdigest()[:32]}"


def seconds_locked(client_id: str) -> int:
    until = cache.get(_cache_key("lock", client_id))
    return max(0, math.ceil(until - time.time())) if until else 0


def record_failure(client_id: str) -> None:
    key = _cache_key("fail", client_id)
    cache.add(key, 0, timeout=FAILURE_WINDOW)
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=FAILURE_WINDOW)
        failures = 1
    if failures >= FAILURE_LIMIT:
        cache.set(_cache_key("lock", client_id), time.time() + LOCK_SECONDS, timeout=LOCK_SECONDS)
        cache.delete(key)


def forget_failures(client_id: str) -> None:
    cache.delete(_cache_key("fail", client_id))


# --- endpoint --------------------------------------------------------------------------


def _invalid_client(request: HttpRequest, description: str) -> HttpResponse:
    error = InvalidClientError(
        description=description, status_code=401 if _used_basic(request.headers) else 400
    )
    response: HttpResponse = HubAuthorizationServer().handle_response(*error())
    return response


def token_response(request: HttpRequest) -> HttpResponse:
    """``POST /oauth/token``: an access token for a member system, or an RFC 6749 error."""
    try:
        client_id, _secret = extract_basic_authorization(request.headers)
    except UnicodeDecodeError:  # Authlib decodes the Basic credentials as UTF-8
        return _invalid_client(request, "Malformed Basic credentials.")
    client_id = str(client_id or request.POST.get("client_id", ""))
    locked = seconds_locked(client_id) if client_id else 0
    if locked:
        response = _invalid_client(
            request, "Too many failed attempts for this client; try again later."
        )
        response["Retry-After"] = str(locked)
        return response
    server = HubAuthorizationServer()
    try:
        response = server.create_token_response(request)
    except InsecureTransportError as error:  # plain http to a non-loopback address
        response = server.handle_response(*error())
    if client_id and isinstance(server.last_error, InvalidClientError):
        record_failure(client_id)
    elif client_id and response.status_code == 200:
        forget_failures(client_id)
    return response


def metadata() -> dict[str, Any]:
    """RFC 8414 authorization-server metadata."""
    base = settings.BASE_URL
    return {
        "issuer": settings.EXCHANGE_ISSUER,
        "token_endpoint": base + reverse("exchange-oauth-token"),
        "jwks_uri": base + reverse("exchange:jwks"),
        "grant_types_supported": [ClientCredentialsGrant.GRANT_TYPE],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "response_types_supported": [],
    }
