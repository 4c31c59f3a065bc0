"""The platform's exchange client (``facade.call``) against the real hub: the token
endpoint and the gateway served together as the platform serves them, and a provider."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from aiohttp import web
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from joserfc import jwt
from joserfc.jwk import ECKey

from thudo.exchange import assertion, client, facade, jws, keys, services, snapshot
from thudo.exchange.client import ExchangeClient, ExchangeError, default_client
from thudo.exchange.contracts import ExchangeResponse
from thudo.exchange.gateway.app import RECEIPT_TYPE
from thudo.exchange.messagelog import verify
from thudo.exchange.models import AccessGrant, MemberSystem, MessageLogEntry, Service
from thudo.exchange.tests.factories import system
from thudo.exchange.tests.harness import aiohttp_server, platform_server, upstream_server

PLATFORM = "VN/GOV/000.00.00.H26/THUDO"
PROVIDER = "VN/GOV/000.00.16.H26/HOTICH"
PERSONAL = f"{PROVIDER}/hotich"
OPEN = f"{PROVIDER}/open"
CLOSED = f"{PROVIDER}/closed"
OPENAPI = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}
PURPOSE = "Giải quyết hồ sơ đăng ký khai sinh"
SUBJECT = "001090012345"


@pytest.fixture
def hub(live_city: Any, settings: Any) -> Iterator[dict[str, Any]]:
    """The platform's member system with a grant on two of the provider's three services,
    and the platform configured to call through the hub as in production."""
    settings.EXCHANGE_CONFIG_POLL_SECONDS = 0.05
    settings.EXCHANGE_TOKEN_SECONDS = 300
    settings.EXCHANGE_RATE_PER_SECOND = 1000.0
    settings.EXCHANGE_RATE_BURST = 1000
    settings.REDIS_URL = ""
    cache.clear()  # the token endpoint's failure counters
    platform, secret = system(live_city.city_pc, "THUDO")
    assert platform.identifier == PLATFORM
    with upstream_server() as upstream:
        provider = MemberSystem.objects.create(
            identifier=PROVIDER, agency=live_city.justice, code="HOTICH", name="Hộ tịch"
        )
        made = {
            code: Service.objects.create(
                provider=provider,
                code=code,
                name=code,
                upstream_url=url,
                classification=classification,
                openapi=OPENAPI,
            )
            for code, url, classification in (
                ("hotich", upstream.url + "/echo", "personal"),
                ("open", upstream.url, "public"),
                ("closed", upstream.url, "public"),
            )
        }
        for code, operations in (
            (
                "hotich",
                [{"method": "GET", "path": "/people/{id}"}, {"method": "POST", "path": "/people"}],
            ),
            ("open", []),
        ):
            AccessGrant.objects.create(
                consumer=platform,
                service=made[code],
                operations=operations,
                purpose="Giải quyết thủ tục",
                legal_basis="Nghị định 47/2020",
                status=AccessGrant.Status.APPROVED,
                valid_from=timezone.now() - timedelta(days=1),
            )
        snapshot.bump_version()
        with platform_server() as (url, gateway):
            settings.EXCHANGE_GATEWAY_URL = url
            settings.EXCHANGE_PLATFORM_SYSTEM = PLATFORM
            settings.EXCHANGE_PLATFORM_SECRET = secret
            yield {
                "url": url,
                "gateway": gateway,
                "upstream": upstream,
                "platform": platform,
                "secret": secret,
            }
    cache.clear()


@pytest.fixture(autouse=True)
def _no_shared_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """``default_client()`` keeps one client per process; each test starts without it."""
    monkeypatch.setattr(client, "_client", None)


class TokenRequests:
    """Counts the client's requests to the token endpoint (still made for real)."""

    def __init__(self, exchange: ExchangeClient) -> None:
        self.count = 0
        real = exchange.session.post

        def post(*args: Any, **kwargs: Any) -> requests.Response:
            self.count += 1
            return real(*args, **kwargs)

        exchange.session.post = post  # type: ignore[method-assign]


def _receipt(response: ExchangeResponse) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(
        response.signature, keys.public_keyset(), algorithms=[keys.ALGORITHM]
    ).claims
    return claims


def _b64_sha256(body: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()


def _entries(request_id: str) -> list[tuple[Any, ...]]:
    return list(
        MessageLogEntry.objects.filter(request_id=request_id)
        .order_by("seq")
        .values_list("consumer", "outcome", "status")
    )


# --- calls through the hub -----------------------------------------------------------------


def test_granted_call_returns_the_answer_with_the_receipt_it_checked(hub: dict[str, Any]) -> None:
    response = facade.call(PERSONAL, f"/people/{SUBJECT}", purpose=PURPOSE, data_subject=SUBJECT)

    assert isinstance(response, ExchangeResponse)
    assert response.status == 200
    assert response.json() == {"path": f"/echo/people/{SUBJECT}", "query": "", "size": 0}
    assert re.fullmatch("[0-9a-f]{32}", response.request_id)  # made by the client
    # A plain dict of the names as the gateway sends them: lower case.
    assert response.headers["x-request-id"] == response.request_id
    assert response.headers["x-exchange-signature"] == response.signature
    assert response.headers["x-upstream"] == "yes"
    receipt = _receipt(response)
    assert {k: receipt[k] for k in receipt if k != "iat"} == {
        "iss": settings.EXCHANGE_ISSUER,
        "jti": response.request_id,
        "consumer": PLATFORM,
        "provider": PROVIDER,
        "service": "hotich",
        "method": "GET",
        "path": f"/people/{SUBJECT}",
        "status": 200,
        "purpose": PURPOSE,
        "data_subject": SUBJECT,
        "outcome": "ok",
        "body_sha256": _b64_sha256(response.body),
    }

    # Purpose and data subject reach the provider, vouched for by the hub.
    seen = hub["upstream"].seen
    assert [(s["method"], s["path"]) for s in seen] == [("GET", f"/echo/people/{SUBJECT}")]
    vouched = assertion.verify(seen[0]["headers"], provider=PROVIDER)
    assert (
        vouched.request_id,
        vouched.consumer,
        vouched.consumer_agency,
        vouched.service,
        vouched.purpose,
        vouched.data_subject,
    ) == (response.request_id, PLATFORM, "000.00.00.H26", "hotich", PURPOSE, SUBJECT)

    # … and are in the message log with the exchange.
    entry = MessageLogEntry.objects.get(request_id=response.request_id)
    assert (
        entry.consumer,
        entry.provider,
        entry.service,
        entry.method,
        entry.path,
        entry.operation,
        entry.purpose,
        entry.data_subject,
        entry.status,
        entry.outcome,
    ) == (
        PLATFORM,
        PROVIDER,
        "hotich",
        "GET",
        f"/people/{SUBJECT}",
        "/people/{id}",
        PURPOSE,
        SUBJECT,
        200,
        "ok",
    )
    assert entry.response_digest == hashlib.sha256(response.body).hexdigest()
    assert verify().ok


def test_a_post_sends_its_json_body_and_request_id(hub: dict[str, Any]) -> None:
    exchange = default_client()
    response = exchange.call(
        PERSONAL,
        "/people",
        purpose=PURPOSE,
        method="POST",
        json={"ho_ten": "Nguyễn Văn A"},
        request_id="khai-sinh-0001",
    )
    body = b'{"ho_ten": "Nguy\\u1ec5n V\\u0103n A"}'  # requests' own json.dumps
    assert (response.status, response.request_id) == (200, "khai-sinh-0001")
    assert response.json() == {"path": "/echo/people", "query": "", "size": len(body)}
    assert hub["upstream"].seen[-1]["body"] == body
    entry = MessageLogEntry.objects.get(request_id="khai-sinh-0001")
    assert (entry.method, entry.operation, entry.data_subject, entry.purpose) == (
        "POST",
        "/people",
        "",
        PURPOSE,
    )
    assert entry.request_digest == hashlib.sha256(body).hexdigest()


def test_a_call_without_a_grant_is_refused_by_the_hub(hub: dict[str, Any]) -> None:
    with pytest.raises(ExchangeError) as refused:
        facade.call(CLOSED, "/echo", purpose=PURPOSE)

    # The hub's own refusal, told apart from a provider's 403 by its signed receipt.
    assert (str(refused.value), refused.value.status, refused.value.code) == (
        "the hub refused the call: no_grant",
        403,
        "no_grant",
    )
    assert hub["upstream"].seen == []
    entries = list(
        MessageLogEntry.objects.filter(service="closed").values_list(
            "consumer", "outcome", "status"
        )
    )
    assert entries == [(PLATFORM, "no_grant", 403)]


def test_path_must_start_with_a_slash(hub: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="path must start with /"):
        facade.call(OPEN, "echo", purpose=PURPOSE)
    assert hub["upstream"].seen == []


# --- the token -----------------------------------------------------------------------------


def test_the_token_is_reused_until_it_nears_expiry(
    hub: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    exchange = default_client()
    fetched = TokenRequests(exchange)
    for _ in range(3):
        assert exchange.call(OPEN, "/echo", purpose=PURPOSE).status == 200
    assert fetched.count == 1
    first = exchange.token()
    assert jwt.decode(first, keys.public_keyset()).claims["client_id"] == PLATFORM

    # 300-second tokens are renewed 30 seconds before they expire.
    now = time.time()
    monkeypatch.setattr(client, "time", SimpleNamespace(time=lambda: now + 260))
    assert exchange.token() == first and fetched.count == 1
    monkeypatch.setattr(client, "time", SimpleNamespace(time=lambda: now + 271))
    assert exchange.call(OPEN, "/echo", purpose=PURPOSE).status == 200
    assert fetched.count == 2
    assert exchange.token() != first


def test_a_token_revoked_by_a_secret_rotation_is_fetched_again(hub: dict[str, Any]) -> None:
    exchange = default_client()
    fetched = TokenRequests(exchange)
    assert exchange.call(OPEN, "/echo", purpose=PURPOSE).status == 200
    old = exchange.token()
    issued = jwt.decode(old, keys.public_keyset()).claims["iat"]
    # Tokens are revoked by whole seconds: rotate in a later second than the token's.
    time.sleep(max(0.0, issued + 1 - time.time()))
    services.system_secret_install(actor=None, system=hub["platform"], secret=hub["secret"])
    time.sleep(0.3)  # the gateway reloads its configuration every 0.05 s

    response = exchange.call(OPEN, "/echo", purpose=PURPOSE, request_id="after-rotation")
    assert response.status == 200
    assert fetched.count == 2
    assert exchange.token() != old
    # The gateway refused the revoked token once; the same request went again, once.
    assert _entries("after-rotation") == [("", "not_authenticated", 401), (PLATFORM, "ok", 200)]
    assert len(hub["upstream"].seen) == 2


def test_a_refusal_by_the_provider_is_not_sent_twice(hub: dict[str, Any]) -> None:
    exchange = default_client()
    fetched = TokenRequests(exchange)
    response = exchange.call(
        OPEN, "/deny", purpose=PURPOSE, method="POST", json={"a": 1}, request_id="deny-00001"
    )
    assert response.status == 401
    assert response.json() == {"error": "provider refuses"}
    assert hub["upstream"].seen == [{"method": "POST", "path": "/deny"}]
    assert fetched.count == 1
    assert _entries("deny-00001") == [(PLATFORM, "ok", 401)]


def test_wrong_credentials_are_an_exchange_error(hub: dict[str, Any], settings: Any) -> None:
    settings.EXCHANGE_PLATFORM_SECRET = hub["secret"][:-2] + "xx"
    with pytest.raises(ExchangeError) as raised:
        facade.call(OPEN, "/echo", purpose=PURPOSE)
    assert str(raised.value) == "the hub refused the platform's credentials"
    assert (raised.value.status, raised.value.code) == (401, "invalid_client")
    assert hub["upstream"].seen == []


def test_a_secret_with_any_printable_characters_authenticates(hub: dict[str, Any]) -> None:
    # What a deployment may install (system_secret_install takes any printable ASCII).
    chosen = "deployment%41%2Fsecret+with:colon/and%slashes!"
    services.system_secret_install(actor=None, system=hub["platform"], secret=chosen)
    exchange = ExchangeClient(base_url=hub["url"] + "/", system=PLATFORM, secret=chosen)
    assert jwt.decode(exchange.token(), keys.public_keyset()).claims["client_id"] == PLATFORM


def test_an_unreachable_hub_is_an_exchange_error() -> None:
    exchange = ExchangeClient(base_url="http://127.0.0.1:9", system=PLATFORM, secret="s")
    with pytest.raises(ExchangeError) as raised:
        exchange.call(OPEN, "/echo", purpose=PURPOSE)
    assert str(raised.value).startswith("token endpoint unreachable: ")
    assert (raised.value.status, raised.value.code) == (None, "")


# --- answers that the hub did not vouch for ------------------------------------------------


def _impostor(answer: Any) -> web.Application:
    """A "gateway" that issues tokens to anyone and answers /x/… with ``answer(rid)``."""
    app = web.Application()

    async def token(request: web.Request) -> web.Response:
        return web.json_response({"access_token": "t", "token_type": "Bearer", "expires_in": 300})

    async def gateway(request: web.Request) -> web.Response:
        status, body, signature = answer(request.headers["X-Request-Id"])
        headers = {"X-Exchange-Signature": signature} if signature is not None else {}
        return web.Response(status=status, body=body, headers=headers)

    app.router.add_post("/oauth/token", token)
    app.router.add_route("*", "/x/{tail:.*}", gateway)
    return app


def _signed(rid: str, status: int, body: bytes, **changes: Any) -> str:
    claims = {"jti": rid, "status": status, "body_sha256": _b64_sha256(body), **changes}
    return jws.sign(RECEIPT_TYPE, claims)


BODY = b'{"ho_ten": "Nguyen Van A"}'


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda rid: (200, BODY, None), "answer without a valid hub receipt"),
        (lambda rid: (200, BODY, "not.a.receipt"), "answer without a valid hub receipt"),
        (
            lambda rid: (200, BODY, _signed(rid, 200, BODY)[:-6] + "AAAAAA"),
            "answer without a valid hub receipt",
        ),
        (
            lambda rid: (200, BODY, _foreign(rid, 200, BODY)),
            "answer without a valid hub receipt",
        ),
        (
            lambda rid: (200, BODY.replace(b"A", b"B"), _signed(rid, 200, BODY)),
            "the hub's receipt does not match the answer",
        ),
        (
            lambda rid: (200, BODY, _signed("another-request", 200, BODY)),
            "the hub's receipt does not match the answer",
        ),
        (
            lambda rid: (200, BODY, _signed(rid, 404, BODY)),
            "the hub's receipt does not match the answer",
        ),
        (
            lambda rid: (200, BODY, _signed(rid, 200, BODY, body_sha256=None)),
            "the hub's receipt does not match the answer",
        ),
    ],
    ids=[
        "no receipt",
        "malformed",
        "bad signature",
        "other key",
        "body changed",
        "other request",
        "other status",
        "no digest",
    ],
)
def test_an_answer_without_a_matching_receipt_is_rejected(answer: Any, message: str) -> None:
    with aiohttp_server(_impostor(answer)) as url:
        exchange = ExchangeClient(base_url=url, system=PLATFORM, secret="s")
        with pytest.raises(ExchangeError) as raised:
            exchange.call(OPEN, "/echo", purpose=PURPOSE)
    assert str(raised.value) == message
    assert (raised.value.status, raised.value.code) == (None, "")


def test_the_impostor_is_believed_when_it_holds_the_hubs_key() -> None:
    """The control of the test above: a receipt made with the hub's key passes."""
    with aiohttp_server(_impostor(lambda rid: (200, BODY, _signed(rid, 200, BODY)))) as url:
        exchange = ExchangeClient(base_url=url, system=PLATFORM, secret="s")
        response = exchange.call(OPEN, "/echo", purpose=PURPOSE, request_id="control-0001")
    assert (response.status, response.body, response.request_id) == (200, BODY, "control-0001")


def _foreign(rid: str, status: int, body: bytes) -> str:
    """A well-formed receipt signed by a key that is not the hub's."""
    key = ECKey.generate_key("P-256", parameters={"kid": str(keys.signing_key().kid)})
    claims = {"jti": rid, "status": status, "body_sha256": _b64_sha256(body)}
    return jwt.encode({"alg": keys.ALGORITHM, "typ": RECEIPT_TYPE, "kid": key.kid}, claims, key)


# --- the platform's own client -------------------------------------------------------------


def test_default_client_is_built_from_the_settings_and_kept(settings: Any) -> None:
    settings.EXCHANGE_GATEWAY_URL = "https://lgsp.hanoi.test/"
    settings.EXCHANGE_PLATFORM_SYSTEM = PLATFORM
    settings.EXCHANGE_PLATFORM_SECRET = "first-secret"
    first = default_client()
    assert (first.base_url, first.system, first.secret) == (
        "https://lgsp.hanoi.test",
        PLATFORM,
        "first-secret",
    )
    assert default_client() is first
    settings.EXCHANGE_PLATFORM_SECRET = "second-secret"
    second = default_client()
    assert second is not first and second.secret == "second-secret"


@pytest.mark.parametrize(("system_id", "secret"), [("", "s"), (PLATFORM, ""), ("", "")])
def test_default_client_needs_the_platform_system_and_secret(
    settings: Any, system_id: str, secret: str
) -> None:
    settings.EXCHANGE_PLATFORM_SYSTEM = system_id
    settings.EXCHANGE_PLATFORM_SECRET = secret
    message = (
        "the platform has no member system on the hub (THUDO_EXCHANGE_PLATFORM_SYSTEM / _SECRET)"
    )
    with pytest.raises(ExchangeError) as raised:
        default_client()
    assert str(raised.value) == message
    with pytest.raises(ExchangeError, match="no member system"):
        facade.call(OPEN, "/echo", purpose=PURPOSE)
    assert client._client is None
