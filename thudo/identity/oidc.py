"""The relying party's side of OpenID Connect, on Authlib's Django client.

This is the code that talks to the national eID provider. Without
``settings.EID_DISCOVERY_URL`` it talks to the bundled simulator of this same server,
over HTTP like to any outside provider (so a single-threaded server cannot serve both).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.django_client import DjangoOAuth2App, OAuth, OAuthError
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from joserfc.errors import JoseError

from thudo.identity.contracts import (
    EidClaims,
    IdTokenInvalid,
    ProviderRefused,
    ProviderUnavailable,
    SignInDeclined,
    SignInSessionInvalid,
)

logger = logging.getLogger(__name__)

WELL_KNOWN = "/.well-known/openid-configuration"
LOCAL_DISCOVERY_PATH = "/eid" + WELL_KNOWN
# Only asymmetric signatures: a provider can never make us accept "none" or an HMAC
# keyed with something public.
ASYMMETRIC_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
)
CLOCK_LEEWAY_SECONDS = 60
_NETWORK_ERRORS = (requests.RequestException, ValueError)


def discovery_url(request: HttpRequest) -> str:
    return settings.EID_DISCOVERY_URL or request.build_absolute_uri(LOCAL_DISCOVERY_PATH)


def _scopes() -> str:
    scopes = settings.EID_SCOPES.split()
    return " ".join(scopes if "openid" in scopes else ["openid", *scopes])


def new_app(
    *, discovery_url: str | None, metadata: Mapping[str, Any] | None = None
) -> DjangoOAuth2App:
    """An Authlib client for the provider, from its discovery URL or given metadata."""
    app: DjangoOAuth2App = OAuth().register(
        "eid",
        client_id=settings.EID_CLIENT_ID,
        client_secret=settings.EID_CLIENT_SECRET,
        server_metadata_url=discovery_url,
        client_kwargs={
            "scope": _scopes(),
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_basic",
            "default_timeout": settings.EID_HTTP_TIMEOUT,
        },
        **dict(metadata or {}),
    )
    return app


@dataclass
class RelyingParty:
    app: DjangoOAuth2App
    discovery_url: str | None

    # --- provider metadata ------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        """The discovery document, fetched once per process and checked before use."""
        try:
            metadata: dict[str, Any] = self.app.load_server_metadata()
        except _NETWORK_ERRORS as exc:
            logger.warning("eID discovery failed: %s", exc)
            raise ProviderUnavailable() from exc
        problem = self._metadata_problem(metadata)
        if problem:
            logger.error("eID provider metadata rejected: %s", problem)
            _forget(self)
            raise ProviderUnavailable()
        declared = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        metadata["id_token_signing_alg_values_supported"] = [
            alg for alg in declared if alg in ASYMMETRIC_ALGORITHMS
        ]
        return metadata

    def _metadata_problem(self, metadata: Mapping[str, Any]) -> str:
        missing = [
            k
            for k in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
            if not metadata.get(k)
        ]
        if missing:
            return f"missing {', '.join(missing)}"
        declared = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        if not set(declared) & set(ASYMMETRIC_ALGORITHMS):
            return f"no acceptable ID token signing algorithm in {declared}"
        # OpenID Connect Discovery §4.3: the issuer must be the one we asked, or a
        # provider could pass itself off as another (mix-up).
        expected = str(metadata["issuer"]).rstrip("/") + WELL_KNOWN
        if self.discovery_url is not None and self.discovery_url != expected:
            return f"issuer {metadata['issuer']} does not match {self.discovery_url}"
        return ""

    # --- the code flow ----------------------------------------------------------------------

    def authorize_redirect(self, request: HttpRequest, *, redirect_uri: str) -> HttpResponse:
        """Redirect to the provider; state, nonce and the PKCE verifier stay in the session."""
        self.metadata()
        try:
            response: HttpResponse = self.app.authorize_redirect(request, redirect_uri)
        except (*_NETWORK_ERRORS, RuntimeError) as exc:
            raise ProviderUnavailable() from exc
        return response

    def finish(self, request: HttpRequest) -> EidClaims:
        """Exchange the code from the callback and return the verified claims."""
        params = request.GET
        state = params.get("state") or ""
        framework = self.app.framework
        pending = framework.get_state_data(request.session, state) if state else None
        if state:
            framework.clear_state_data(request.session, state)
        error = params.get("error")
        if error:
            logger.info("eID provider answered %s: %s", error, params.get("error_description"))
            raise SignInDeclined() if error == "access_denied" else ProviderRefused()
        code = params.get("code")
        if pending is None or not code or not pending.get("nonce"):
            raise SignInSessionInvalid()
        metadata = self.metadata()
        try:
            token: dict[str, Any] = self.app.fetch_access_token(
                code=code,
                redirect_uri=pending.get("redirect_uri"),
                code_verifier=pending.get("code_verifier"),
            )
        except OAuthError as exc:
            if exc.error == "invalid_grant":
                raise SignInSessionInvalid() from exc
            logger.error("eID token endpoint refused the exchange: %s", exc.error)
            raise ProviderRefused() from exc
        except _NETWORK_ERRORS as exc:
            logger.warning("eID token endpoint unreachable: %s", exc)
            raise ProviderUnavailable() from exc
        claims = self.verify_id_token(token, nonce=pending["nonce"])
        loa = claims.get("loa")
        return EidClaims(
            issuer=str(metadata["issuer"]),
            subject=str(claims["sub"]),
            name=str(claims.get("name") or ""),
            birthdate=str(claims.get("birthdate") or ""),
            gender=str(claims.get("gender") or ""),
            loa=loa if isinstance(loa, int) and not isinstance(loa, bool) else None,
            acr=str(claims.get("acr") or ""),
            id_token=str(token["id_token"]),
        )

    def verify_id_token(self, token: Mapping[str, Any], *, nonce: str) -> dict[str, Any]:
        """Signature (against the provider's JWKS), iss, aud, exp, iat, nonce, at_hash.

        Authlib does the checking; what to require is decided here, because Authlib
        checks ``aud`` only when told to.
        """
        if not token.get("id_token"):
            raise IdTokenInvalid()
        issuer = self.metadata()["issuer"]
        options = {
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": self.app.client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "iat": {"essential": True},
        }
        try:
            claims = self.app.parse_id_token(
                dict(token), nonce=nonce, claims_options=options, leeway=CLOCK_LEEWAY_SECONDS
            )
        except (JoseError, ValueError) as exc:
            logger.warning("eID ID token rejected: %r", exc)
            raise IdTokenInvalid() from exc
        except requests.RequestException as exc:
            raise ProviderUnavailable() from exc
        return dict(claims)

    # --- sign-out ---------------------------------------------------------------------------

    def logout_url(self, *, id_token: str, post_logout_redirect_uri: str) -> str | None:
        """The provider's end-session URL, or None when it has none or cannot be reached."""
        try:
            metadata = self.metadata()
        except ProviderUnavailable:
            return None
        if not metadata.get("end_session_endpoint"):
            return None
        result = self.app.create_logout_url(
            post_logout_redirect_uri=post_logout_redirect_uri, id_token_hint=id_token
        )
        return str(result["url"])


_lock = threading.Lock()
_parties: dict[tuple[Any, ...], RelyingParty] = {}


def relying_party(request: HttpRequest) -> RelyingParty:
    """The client for the configured provider, kept per process (metadata and JWKS are
    fetched once; a key the provider rotates in is fetched when first seen)."""
    url = discovery_url(request)
    key = (
        url,
        settings.EID_CLIENT_ID,
        settings.EID_CLIENT_SECRET,
        _scopes(),
        settings.EID_HTTP_TIMEOUT,
    )
    with _lock:
        party = _parties.get(key)
        if party is None:
            party = _parties[key] = RelyingParty(new_app(discovery_url=url), url)
    return party


def _forget(party: RelyingParty) -> None:
    with _lock:
        for key, value in list(_parties.items()):
            if value is party:
                del _parties[key]


def forget_all() -> None:
    """Drop every cached client (tests; a changed provider configuration)."""
    with _lock:
        _parties.clear()
