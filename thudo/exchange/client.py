"""The exchange client: how platform modules call other systems — only through the hub.

It holds the platform's own member-system credentials, fetches and caches an access
token from the hub's token endpoint, calls the gateway with the purpose and data subject,
and checks the hub's signed receipt of every answer.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings
from joserfc import jwt
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from thudo.exchange import keys
from thudo.exchange.contracts import ExchangeResponse

TIMEOUT = (3.05, 20)


class ExchangeError(Exception):
    """The hub could not be reached, refused the platform, or answered unverifiably."""

    def __init__(self, message: str, *, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass
class _Token:
    value: str
    expires: float


class ExchangeClient:
    def __init__(self, *, base_url: str, system: str, secret: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.system = system
        self.secret = secret
        self._token: _Token | None = None
        self._lock = threading.Lock()
        self.session = requests.Session()
        # Retry only what cannot have reached the provider: failed connections, for reads.
        retry = Retry(
            total=2,
            connect=2,
            read=0,
            status=0,
            backoff_factor=0.2,
            allowed_methods=frozenset({"GET", "HEAD"}),
        )
        self.session.mount("http://", HTTPAdapter(max_retries=retry, pool_maxsize=32))
        self.session.mount("https://", HTTPAdapter(max_retries=retry, pool_maxsize=32))

    def token(self, *, fresh: bool = False) -> str:
        with self._lock:
            if not fresh and self._token is not None and self._token.expires > time.time() + 30:
                return self._token.value
            try:
                answer = self.session.post(
                    f"{self.base_url}/oauth/token",
                    data={"grant_type": "client_credentials"},
                    # RFC 6749 §2.3.1: both form-urlencoded (the hub decodes them).
                    auth=(quote(self.system, safe=""), quote(self.secret, safe="")),
                    timeout=TIMEOUT,
                )
            except requests.RequestException as exc:
                raise ExchangeError(f"token endpoint unreachable: {exc}") from exc
            if answer.status_code != 200:
                raise ExchangeError(
                    "the hub refused the platform's credentials",
                    status=answer.status_code,
                    code=str(answer.json().get("error", "")) if answer.content else "",
                )
            payload = answer.json()
            self._token = _Token(
                payload["access_token"], time.time() + float(payload.get("expires_in", 60))
            )
            return self._token.value

    def call(
        self,
        service: str,
        path: str,
        *,
        purpose: str,
        data_subject: str | None = None,
        method: str = "GET",
        json: Any = None,
        request_id: str | None = None,
        body: bytes | None = None,
        content_type: str = "",
    ) -> ExchangeResponse:
        """``service`` is ``<provider system>/<service code>``; ``path`` starts with /.
        Send ``json`` (an object), or ``body`` bytes of ``content_type``."""
        if not path.startswith("/"):
            raise ValueError("path must start with /")
        url = f"{self.base_url}/x/{service}{path}"
        rid = request_id or uuid.uuid4().hex
        headers = {"X-Purpose": quote(purpose), "X-Request-Id": rid}
        if data_subject:
            headers["X-Data-Subject"] = data_subject
        if body is not None:
            headers["Content-Type"] = content_type or "application/octet-stream"
        for attempt in (1, 2):
            headers["Authorization"] = f"Bearer {self.token(fresh=attempt == 2)}"
            try:
                answer = self.session.request(
                    method, url, headers=headers, json=json, data=body, timeout=TIMEOUT
                )
            except requests.RequestException as exc:
                raise ExchangeError(f"gateway unreachable: {exc}") from exc
            if answer.status_code != 401 or attempt == 2 or not _token_refused(answer):
                break
        signature = answer.headers.get("X-Exchange-Signature", "")
        claims = _check_receipt(signature, answer.content, rid, answer.status_code)
        outcome = claims.get("outcome", "ok")
        if outcome != "ok":
            # The hub itself refused (no grant, rate limit, upstream down…), signed.
            raise ExchangeError(
                f"the hub refused the call: {outcome}", status=answer.status_code, code=outcome
            )
        return ExchangeResponse(
            status=answer.status_code,
            headers={k.lower(): v for k, v in answer.headers.items()},
            body=answer.content,
            request_id=rid,
            signature=signature,
        )


def _token_refused(answer: requests.Response) -> bool:
    """A 401 of the hub itself, which did not accept the token — not the provider's own
    401, which must not be sent the call twice."""
    try:
        receipt = jwt.decode(
            answer.headers.get("X-Exchange-Signature", ""),
            keys.public_keyset(),
            algorithms=[keys.ALGORITHM],
        )
    except Exception:  # no valid receipt: _check_receipt rejects the answer
        return False
    return bool(receipt.claims.get("outcome") == "not_authenticated")


def _check_receipt(signature: str, body: bytes, request_id: str, status: int) -> dict[str, Any]:
    """The receipt's claims, if the answer is the one the hub signed for this request;
    else ExchangeError."""
    try:
        receipt = jwt.decode(signature, keys.public_keyset(), algorithms=[keys.ALGORITHM])
    except Exception as exc:  # joserfc raises many kinds for malformed input
        raise ExchangeError("answer without a valid hub receipt") from exc
    digest = base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()
    claims = receipt.claims
    if (claims.get("body_sha256"), claims.get("jti"), claims.get("status")) != (
        digest,
        request_id,
        status,
    ):
        raise ExchangeError("the hub's receipt does not match the answer")
    return dict(claims)


_client: ExchangeClient | None = None
_client_lock = threading.Lock()


def default_client() -> ExchangeClient:
    global _client
    with _client_lock:
        system, secret = settings.EXCHANGE_PLATFORM_SYSTEM, settings.EXCHANGE_PLATFORM_SECRET
        if not system or not secret:
            raise ExchangeError(
                "the platform has no member system on the hub "
                "(THUDO_EXCHANGE_PLATFORM_SYSTEM / _SECRET)"
            )
        if _client is None or (_client.system, _client.secret) != (system, secret):
            _client = ExchangeClient(
                base_url=settings.EXCHANGE_GATEWAY_URL, system=system, secret=secret
            )
        return _client
