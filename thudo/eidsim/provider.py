"""The OpenID Connect provider, assembled from Authlib's server side.

Authlib does the protocol (request validation, PKCE, ID-token encoding, client
authentication); this module supplies storage through the simulator's services and
selectors, the claims, the signing key and the issuer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from authlib.integrations.django_oauth2 import (
    AuthorizationServer,
    BearerTokenValidator,
    ResourceProtector,
)
from authlib.oauth2.rfc6749 import OAuth2Request, grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError, InvalidScopeError
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.rpinitiated import EndSessionEndpoint
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from joserfc.jwk import KeySet, RSAKey

from thudo.eidsim import keys, selectors, services
from thudo.eidsim.contracts import (
    ACR_PREFIX,
    CLAIM_LABELS,
    LEVELS_OF_ASSURANCE,
    SCOPE_CLAIMS,
    SCOPES_SUPPORTED,
)
from thudo.eidsim.models import AuthorizationCode, EidAccount, OidcClient, Token

ACCESS_TOKEN_LIFETIME = 3600
ID_TOKEN_LIFETIME = 3600
MAX_NONCE_LENGTH = AuthorizationCode._meta.get_field("nonce").max_length or 255


@dataclass(frozen=True)
class SignedInPerson:
    """Who grants the authorization, and when they proved it (for ``auth_time``)."""

    account: EidAccount
    auth_time: datetime


# --- issuer and discovery -------------------------------------------------------------------


def _mount_prefix() -> str:
    return reverse("eidsim:jwks").removesuffix("jwks.json")


def issuer_for(request: HttpRequest) -> str:
    configured = settings.EIDSIM_ISSUER
    if configured:
        return str(configured).rstrip("/")
    return request.build_absolute_uri(_mount_prefix()).rstrip("/")


def endpoint_url(issuer: str, name: str) -> str:
    """An endpoint under the issuer, so a configured public issuer yields public URLs."""
    return f"{issuer}/{reverse(name).removeprefix(_mount_prefix())}"


def discovery_document(issuer: str) -> dict[str, Any]:
    claims = sorted({c for names in SCOPE_CLAIMS.values() for c in names})
    return {
        "issuer": issuer,
        "authorization_endpoint": endpoint_url(issuer, "eidsim:authorize"),
        "token_endpoint": endpoint_url(issuer, "eidsim:token"),
        "userinfo_endpoint": endpoint_url(issuer, "eidsim:userinfo"),
        "jwks_uri": endpoint_url(issuer, "eidsim:jwks"),
        "end_session_endpoint": endpoint_url(issuer, "eidsim:logout"),
        "scopes_supported": list(SCOPES_SUPPORTED),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [keys.ALGORITHM],
        "token_endpoint_auth_methods_supported": list(OidcClient.AuthMethod.values),
        "claims_supported": [
            *claims,
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "at_hash",
            "amr",
        ],
        "acr_values_supported": [f"{ACR_PREFIX}{n}" for n in LEVELS_OF_ASSURANCE],
        "prompt_values_supported": ["none", "login", "consent"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "ui_locales_supported": ["vi", "en"],
    }


# --- claims ---------------------------------------------------------------------------------


def claims_for(account: EidAccount, scope: str) -> dict[str, Any]:
    """What the relying party learns about the person for a granted scope."""
    values: dict[str, Any] = {
        "sub": account.personal_id,
        "loa": account.loa,
        "acr": account.acr,
        "name": account.full_name,
        "birthdate": account.birth_date.isoformat(),
        "gender": account.gender,
    }
    granted = scope_to_list(scope) or []
    return {name: values[name] for part in granted for name in SCOPE_CLAIMS.get(part, ())}


def consent_rows(account: EidAccount, scope: str) -> list[tuple[str, str]]:
    """(label, shown value) for each claim, as the consent page lists them."""
    shown = {
        "sub": account.personal_id,
        "loa": str(account.get_loa_display()),
        "name": account.full_name,
        "birthdate": account.birth_date.strftime("%d/%m/%Y"),
        "gender": str(account.get_gender_display()),
    }
    rows = []
    for name in claims_for(account, scope):
        if name in shown:
            rows.append((str(CLAIM_LABELS[name]), shown[name]))
    return rows


# --- Authlib parts --------------------------------------------------------------------------


class S256CodeChallenge(CodeChallenge):
    """PKCE with S256 only, and required from every client, confidential ones too."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge': PKCE with S256 is required.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be 'S256'.")
        super().validate_code_challenge(grant, redirect_uri)


class IdTokenExtension(OpenIDCode):
    """Adds the signed ID token to the token response."""

    def __init__(self, issuer: str) -> None:
        super().__init__(require_nonce=False)
        self.issuer = issuer

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        client = selectors.client_get(client_id=request.payload.client_id or "")
        return client is not None and selectors.nonce_used(client=client, nonce=nonce)

    def get_client_algorithm(self, client: OidcClient) -> str:
        return keys.ALGORITHM

    def get_encode_header(self, client: OidcClient) -> dict[str, str]:
        return {"alg": keys.ALGORITHM, "kid": str(keys.signing_key().kid)}

    def resolve_client_private_key(self, client: OidcClient) -> RSAKey:
        return keys.signing_key()

    def get_client_claims(self, client: OidcClient) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": self.issuer,
            "aud": client.client_id,
            "iat": now,
            "exp": now + ID_TOKEN_LIFETIME,
        }

    def generate_user_info(self, user: EidAccount, scope: str) -> dict[str, Any]:
        return claims_for(user, scope)


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(OidcClient.AuthMethod.values)

    def validate_authorization_request(self) -> str:
        redirect_uri: str = super().validate_authorization_request()
        if "openid" not in (scope_to_list(self.request.scope) or []):
            raise InvalidScopeError(
                "The 'openid' scope is required.",
                redirect_uri=redirect_uri,
                state=self.request.payload.state,
            )
        if len(self.request.payload.data.get("nonce") or "") > MAX_NONCE_LENGTH:
            raise InvalidRequestError(
                "'nonce' is too long.", redirect_uri=redirect_uri, state=self.request.payload.state
            )
        return redirect_uri

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        person: SignedInPerson = request.user
        data = request.payload.data
        services.authorization_code_create(
            code=code,
            client=request.client,
            account=person.account,
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope,
            nonce=data.get("nonce") or "",
            code_challenge=data["code_challenge"],
            code_challenge_method=data["code_challenge_method"],
            auth_time=person.auth_time,
        )

    def query_authorization_code(self, code: str, client: OidcClient) -> AuthorizationCode | None:
        return services.authorization_code_redeem(code=code, client=client)

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        # Redeeming already marked it used; it is kept to detect and punish reuse.
        return None

    def authenticate_user(self, authorization_code: AuthorizationCode) -> EidAccount | None:
        account = authorization_code.account
        return account if account.is_active else None


class EndSession(EndSessionEndpoint):
    def get_server_jwks(self) -> KeySet:
        return keys.public_key_set()

    def get_algorithms(self) -> list[str]:
        return [keys.ALGORITHM]

    def end_session(self, end_session_request: Any) -> None:
        # The view forgets the simulator's sign-in; Authlib only decides the redirect.
        return None


class SimulatorServer(AuthorizationServer):
    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        super().__init__(OidcClient, Token)

    def load_config(self, config: dict[str, Any]) -> None:
        # The simulator's own settings, never the project's AUTHLIB_* ones.
        super().load_config(
            {
                "scopes_supported": list(SCOPES_SUPPORTED),
                "token_expires_in": {"authorization_code": ACCESS_TOKEN_LIFETIME},
            }
        )

    def query_client(self, client_id: str) -> OidcClient | None:
        return selectors.client_get(client_id=client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> Token:
        return services.token_create(
            client=request.client,
            account=request.user,
            authorization_code=request.authorization_code,
            access_token=token["access_token"],
            scope=token.get("scope", ""),
            expires_in=int(token["expires_in"]),
        )


def authorization_server(issuer: str) -> SimulatorServer:
    """A server for one request: cheap to build, and the issuer varies with the host."""
    server = SimulatorServer(issuer)
    server.register_grant(CodeGrant, [S256CodeChallenge(required=True), IdTokenExtension(issuer)])
    server.register_endpoint(EndSession)
    return server


class _TokenValidator(BearerTokenValidator):
    def authenticate_token(self, token_string: str) -> Token | None:
        return selectors.token_get(access_token=token_string)


resource_protector = ResourceProtector()
resource_protector.register_token_validator(_TokenValidator(Token, realm="eidsim"))
