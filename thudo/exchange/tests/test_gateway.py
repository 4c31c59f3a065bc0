"""The gateway against real servers: an upstream and uvicorn, over real sockets."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
import requests
from django.utils import timezone
from joserfc import jwt

from thudo.exchange import assertion, keys, snapshot
from thudo.exchange.messagelog import verify
from thudo.exchange.models import AccessGrant, MemberSystem, MessageLogEntry, Service
from thudo.exchange.tests.harness import access_token, gateway_server, upstream_server

PROVIDER = "VN/GOV/000.00.16.H26/HOTICH"
CONSUMER = "VN/GOV/000.01.50.H26/MOTCUA"
STRANGER = "VN/GOV/000.02.50.H26/MOTCUA"
OPENAPI = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}


@pytest.fixture
def hub(live_city: Any, settings: Any) -> Iterator[dict[str, Any]]:
    settings.EXCHANGE_CONFIG_POLL_SECONDS = 0.05
    settings.EXCHANGE_READ_TIMEOUT = 0.5
    settings.EXCHANGE_MAX_BODY_BYTES = 4096
    settings.EXCHANGE_RATE_PER_SECOND = 1000.0
    settings.EXCHANGE_RATE_BURST = 1000
    settings.EXCHANGE_BREAKER_FAILURES = 3
    settings.EXCHANGE_BREAKER_SECONDS = 0.5
    settings.REDIS_URL = ""
    with upstream_server() as upstream:
        systems = {
            ident: MemberSystem.objects.create(
                identifier=ident, agency=agency, code=ident.rsplit("/", 1)[1], name=ident
            )
            for ident, agency in (
                (PROVIDER, live_city.justice),
                (CONSUMER, live_city.commune_a),
                (STRANGER, live_city.commune_b),
            )
        }
        public = Service.objects.create(
            provider=systems[PROVIDER],
            code="open",
            name="Mở",
            upstream_url=upstream.url,
            classification="public",
            openapi=OPENAPI,
        )
        personal = Service.objects.create(
            provider=systems[PROVIDER],
            code="hotich",
            name="Hộ tịch",
            upstream_url=upstream.url + "/echo",
            classification="personal",
            openapi=OPENAPI,
        )
        for service, operations in (
            (public, []),
            (
                personal,
                [{"method": "GET", "path": "/people/{id}"}, {"method": "POST", "path": "/people"}],
            ),
        ):
            AccessGrant.objects.create(
                consumer=systems[CONSUMER],
                service=service,
                operations=operations,
                purpose="Giải quyết thủ tục",
                legal_basis="Nghị định 47/2020",
                status=AccessGrant.Status.APPROVED,
                valid_from=timezone.now() - timedelta(days=1),
            )
        snapshot.bump_version()
        with gateway_server() as (url, gateway):
            yield {
                "url": url,
                "gateway": gateway,
                "upstream": upstream,
                "systems": systems,
                "public": public,
                "personal": personal,
            }


def _get(hub: dict[str, Any], path: str, token: str | None = None, **headers: str) -> Any:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.get(hub["url"] + path, headers=headers, timeout=10)


OPEN = f"/x/{PROVIDER}/open"
PERSONAL = f"/x/{PROVIDER}/hotich"


def _last() -> MessageLogEntry:
    return MessageLogEntry.objects.order_by("-seq").first()  # type: ignore[return-value]


def test_granted_call_is_forwarded_signed_and_logged(hub: dict[str, Any]) -> None:
    token = access_token(CONSUMER)
    response = _get(
        hub,
        f"{OPEN}/echo/a/b?x=1",
        token,
        **{"X-Request-Id": "req-00000001", "Cookie": "sid=secret"},
    )
    assert response.status_code == 200
    assert response.json() == {"path": "/echo/a/b", "query": "x=1", "size": 0}
    assert response.headers["X-Request-Id"] == "req-00000001"
    assert response.headers["X-Upstream"] == "yes"
    assert "Set-Cookie" not in response.headers

    seen = {k.lower(): v for k, v in hub["upstream"].seen[-1]["headers"].items()}
    assert "authorization" not in seen and "cookie" not in seen
    assert seen["x-consumer"] == CONSUMER and seen["x-request-id"] == "req-00000001"
    vouched = assertion.verify(seen, provider=PROVIDER)
    assert (vouched.consumer, vouched.consumer_agency, vouched.service) == (
        CONSUMER,
        "000.01.50.H26",
        "open",
    )

    receipt = jwt.decode(
        response.headers["X-Exchange-Signature"], keys.public_keyset(), algorithms=["ES256"]
    )
    digest = base64.urlsafe_b64encode(hashlib.sha256(response.content).digest()).rstrip(b"=")
    assert receipt.claims["body_sha256"] == digest.decode()
    assert (receipt.claims["jti"], receipt.claims["consumer"], receipt.claims["status"]) == (
        "req-00000001",
        CONSUMER,
        200,
    )

    entry = _last()
    assert (
        entry.request_id,
        entry.consumer,
        entry.provider,
        entry.service,
        entry.outcome,
        entry.status,
        entry.path,
        entry.operation,
    ) == ("req-00000001", CONSUMER, PROVIDER, "open", "ok", 200, "/echo/a/b", "*")
    assert entry.response_digest == hashlib.sha256(response.content).hexdigest()
    assert verify().ok


@pytest.mark.parametrize(
    ("make_token", "reason"),
    [
        (lambda: None, "missing"),
        (lambda: "not.a.jwt", "malformed"),
        (lambda: access_token(CONSUMER, issued=int(time.time()) - 1000, lifetime=60), "expired"),
        (lambda: access_token(CONSUMER, typ="JWT"), "not an access token"),
        (lambda: access_token(CONSUMER, issuer="https://evil.example"), "issuer"),
        (lambda: access_token(CONSUMER, audience="other"), "audience"),
        (lambda: access_token("VN/GOV/000.01.50.H26/UNKNOWN"), "unknown system"),
        (lambda: access_token(CONSUMER)[:-4] + "AAAA", "bad signature"),
    ],
)
def test_bad_tokens_get_401_and_are_logged(
    hub: dict[str, Any], make_token: Any, reason: str
) -> None:
    response = _get(hub, f"{OPEN}/echo", make_token())
    assert response.status_code == 401, reason
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == "not_authenticated"
    assert hub["upstream"].seen == []
    entry = _last()
    assert (entry.outcome, entry.status, entry.consumer) == ("not_authenticated", 401, "")


def test_revocation_and_rotation_take_effect_within_a_second(hub: dict[str, Any]) -> None:
    token = access_token(CONSUMER)
    assert _get(hub, f"{OPEN}/echo", token).status_code == 200
    MemberSystem.objects.filter(identifier=CONSUMER).update(
        tokens_valid_after=timezone.now() + timedelta(seconds=1)
    )
    snapshot.bump_version()
    time.sleep(0.3)
    assert _get(hub, f"{OPEN}/echo", token).status_code == 401
    fresh = access_token(CONSUMER, issued=int(time.time()) + 2)
    assert _get(hub, f"{OPEN}/echo", fresh).status_code == 200
    MemberSystem.objects.filter(identifier=CONSUMER).update(is_active=False)
    snapshot.bump_version()
    time.sleep(0.3)
    assert _get(hub, f"{OPEN}/echo", fresh).status_code == 401


def test_unknown_service_and_missing_grant(hub: dict[str, Any]) -> None:
    assert _get(hub, f"/x/{PROVIDER}/nope/a", access_token(CONSUMER)).json()["code"] == (
        "unknown_service"
    )
    refused = _get(hub, f"{OPEN}/echo", access_token(STRANGER))
    assert refused.status_code == 403
    assert refused.json()["code"] == "no_grant"
    assert set(refused.json()) == {"type", "title", "status", "code", "instance", "request_id"}
    assert hub["upstream"].seen == []
    assert _last().outcome == "no_grant"
    # The signed receipt says the hub refused, so a consumer can tell it from a provider's 403.
    receipt = jwt.decode(
        refused.headers["X-Exchange-Signature"], keys.public_keyset(), algorithms=["ES256"]
    )
    assert (receipt.claims["outcome"], receipt.claims["status"]) == ("no_grant", 403)


def test_grant_limited_to_operations(hub: dict[str, Any]) -> None:
    token = access_token(CONSUMER)
    headers = {"X-Purpose": "kiem tra"}
    assert _get(hub, f"{PERSONAL}/people/001090012345", token, **headers).status_code == 200
    assert _get(hub, f"{PERSONAL}/people/001090012345/photo", token, **headers).status_code == 403
    assert _get(hub, f"{PERSONAL}/households/1", token, **headers).status_code == 403
    deleted = requests.delete(
        hub["url"] + f"{PERSONAL}/people/001090012345",
        timeout=5,
        headers={"Authorization": f"Bearer {token}", **headers},
    )
    assert deleted.status_code == 403
    assert _last().operation == ""


def test_personal_data_needs_a_purpose_and_a_valid_subject(hub: dict[str, Any]) -> None:
    token = access_token(CONSUMER)
    path = f"{PERSONAL}/people/001090012345"
    assert _get(hub, path, token).json()["code"] == "purpose_required"
    purpose = "Giải quyết hồ sơ đăng ký khai sinh"
    ok = _get(hub, path, token, **{"X-Purpose": quote(purpose), "X-Data-Subject": "001090012345"})
    assert ok.status_code == 200
    entry = _last()
    assert (entry.purpose, entry.data_subject, entry.operation) == (
        purpose,
        "001090012345",
        "/people/{id}",
    )
    vouched = assertion.verify(hub["upstream"].seen[-1]["headers"], provider=PROVIDER)
    assert (vouched.purpose, vouched.data_subject) == (purpose, "001090012345")
    bad = _get(hub, path, token, **{"X-Purpose": "x", "X-Data-Subject": "12345"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_data_subject"
    control = _get(hub, path, token, **{"X-Purpose": "a%0Ab"})
    assert control.json()["code"] == "invalid_purpose"


def test_forged_hub_headers_and_encoded_line_breaks_go_nowhere(hub: dict[str, Any]) -> None:
    token = access_token(CONSUMER)
    forged = {
        "X-Consumer": "VN/GOV/000.00.00.G01/BCA",
        "X-Exchange-Assertion": "eyJhbGciOiJub25lIn0.e30.",
        "X-Forwarded-For": "10.0.0.1",
        "X-Request-Id": "bad id\twith tab",
    }
    response = _get(hub, f"{OPEN}/echo", token, **forged)
    assert response.status_code == 200
    seen = {k.lower(): v for k, v in hub["upstream"].seen[-1]["headers"].items()}
    # The hub's own headers replace the consumer's; a malformed request id is replaced.
    assert seen["x-consumer"] == CONSUMER
    assert assertion.verify(seen, provider=PROVIDER).consumer == CONSUMER
    assert "x-forwarded-for" not in seen
    assert seen["x-request-id"] == response.headers["X-Request-Id"] != forged["X-Request-Id"]

    # A line break smuggled into the purpose, encoded or as UTF-8, is refused and logged.
    before = MessageLogEntry.objects.count()
    for purpose in ("Ki%E1%BB%83m tra%0D%0AX-Consumer: evil", "a%00b", "%E0%A4%A"):
        refused = _get(hub, f"{PERSONAL}/people/001090012345", token, **{"X-Purpose": purpose})
        assert (refused.status_code, refused.json()["code"]) == (400, "invalid_purpose"), purpose
    assert MessageLogEntry.objects.count() == before + 3
    assert _last().outcome == "invalid_purpose"


@pytest.mark.parametrize(
    "path",
    [
        f"/x/{PROVIDER}/open/echo/../../admin",
        f"/x/{PROVIDER}/open/echo/%2e%2e/%2e%2e/admin",
        f"/x/{PROVIDER}/open/echo%2F..%2Fadmin",
        f"/x/{PROVIDER}/open/echo/a%5c..",
        f"/x/{PROVIDER}/open/echo//a",
        "/x/VN/GOV/open",
    ],
)
def test_path_traversal_is_refused_before_anything_else(hub: dict[str, Any], path: str) -> None:
    response = requests.get(
        hub["url"] + path,
        headers={"Authorization": f"Bearer {access_token(CONSUMER)}"},
        timeout=5,
    )
    # Some clients normalise "../" themselves; the raw forms must reach us and be refused.
    assert response.status_code in (400, 404)
    assert hub["upstream"].seen == []


def test_body_size_and_type(hub: dict[str, Any]) -> None:
    url = hub["url"] + f"{OPEN}/echo"
    auth = {"Authorization": f"Bearer {access_token(CONSUMER)}"}
    big = requests.post(
        url,
        data=b"{" + b" " * 5000 + b"}",
        timeout=5,
        headers={**auth, "Content-Type": "application/json"},
    )
    assert big.status_code == 413
    plain = requests.post(
        url, data=b"hello", timeout=5, headers={**auth, "Content-Type": "text/plain"}
    )
    assert plain.status_code == 415
    good = requests.post(url, json={"a": 1}, headers=auth, timeout=5)
    assert good.status_code == 200 and good.json()["size"] == 8
    assert _last().request_digest == hashlib.sha256(b'{"a": 1}').hexdigest()


def test_rate_limit_answers_429_with_retry_after(hub: dict[str, Any], settings: Any) -> None:
    from thudo.exchange.gateway.limits import TokenBucket

    hub["gateway"].limiter = TokenBucket(rate=0.5, burst=2)
    token = access_token(CONSUMER)
    codes = [_get(hub, f"{OPEN}/echo", token).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    limited = _get(hub, f"{OPEN}/echo", token)
    assert limited.headers["Retry-After"] in ("1", "2")
    assert _get(hub, f"{OPEN}/echo", access_token(STRANGER)).status_code == 403


def test_upstream_faults(hub: dict[str, Any]) -> None:
    token = access_token(CONSUMER)
    assert _get(hub, f"{OPEN}/slow", token).json()["code"] == "upstream_timeout"
    assert _get(hub, f"{OPEN}/reset", token).json()["code"] == "upstream_error"
    assert _get(hub, f"{OPEN}/huge?n=100000", token).json()["code"] == "upstream_error"
    # Three faults in a row (the configured threshold) open the circuit.
    assert _get(hub, f"{OPEN}/huge?n=10", token).json()["code"] == "circuit_open"
    time.sleep(0.6)
    assert _get(hub, f"{OPEN}/huge?n=10", token).status_code == 200
    outcomes = list(MessageLogEntry.objects.order_by("seq").values_list("outcome", flat=True))
    assert outcomes[-5:] == [
        "upstream_timeout",
        "upstream_error",
        "upstream_error",
        "circuit_open",
        "ok",
    ]


def test_circuit_opens_after_repeated_failures_and_closes_again(hub: dict[str, Any]) -> None:
    token = access_token(CONSUMER)
    statuses = [_get(hub, f"{OPEN}/fail", token).status_code for _ in range(3)]
    assert statuses == [500, 500, 500]
    opened = _get(hub, f"{OPEN}/echo", token)
    assert opened.status_code == 503 and opened.json()["code"] == "circuit_open"
    assert int(opened.headers["Retry-After"]) >= 1
    time.sleep(0.6)
    assert _get(hub, f"{OPEN}/echo", token).status_code == 200
    assert _get(hub, f"{OPEN}/echo", token).status_code == 200


def test_new_grant_is_seen_within_a_second(hub: dict[str, Any]) -> None:
    token = access_token(STRANGER)
    assert _get(hub, f"{OPEN}/echo", token).status_code == 403
    AccessGrant.objects.create(
        consumer=hub["systems"][STRANGER],
        service=hub["public"],
        purpose="p",
        legal_basis="l",
        status=AccessGrant.Status.APPROVED,
    )
    snapshot.bump_version()
    deadline = time.monotonic() + 2
    while _get(hub, f"{OPEN}/echo", token).status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_every_exchange_is_in_the_chain_once(hub: dict[str, Any]) -> None:
    token = access_token(CONSUMER)
    ids = []
    for i in range(20):
        rid = f"chain-{i:04d}"
        ids.append(rid)
        _get(hub, f"{OPEN}/echo", token if i % 3 else None, **{"X-Request-Id": rid})
    logged = list(
        MessageLogEntry.objects.filter(request_id__startswith="chain-").values_list(
            "request_id", flat=True
        )
    )
    assert sorted(logged) == ids
    result = verify()
    assert result.ok and result.checked == MessageLogEntry.objects.count()
    assert result.chains == 1


def test_problem_names_the_request_path(hub: dict[str, Any]) -> None:
    problem = _get(hub, f"{OPEN}/echo/x").json()
    assert problem["instance"] == f"{OPEN}/echo/x"
