"""The gateway: ``ANY /x/{provider system}/{service code}/{path}``.

Per request, without touching the database: verify the bearer token (cached), find the
service and the consumer's grant in the in-memory configuration (reloaded when the
control plane's version changes), check purpose and data subject for personal data, rate
limit, forward to the upstream with timeouts and size caps, sign a receipt of what was
answered, and log the exchange — answering only once the log entry has committed.

Starlette for the server side and aiohttp for the client side: aiohttp's connection pool
holds up under many concurrent proxied requests where httpx degrades.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import logging
import os
import re
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import aiohttp
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from starlette.requests import ClientDisconnect, Request

from thudo.core.identifiers import IdentifierError, check_personal_id
from thudo.exchange import assertion, jws, keys, snapshot
from thudo.exchange.contracts import ConfigSnapshot, ForwardedCall, GrantInfo, ServiceInfo
from thudo.exchange.gateway.limits import CircuitBreaker, RedisTokenBucket, TokenBucket
from thudo.exchange.gateway.tokens import Caller, TokenRejected, TokenVerifier
from thudo.exchange.messagelog import Entry, new_writer

logger = logging.getLogger("thudo.exchange.gateway")

RECEIPT_TYPE = "exchange-receipt+jwt"
PREFIX = "/x/"
HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
    "trailer", "trailers", "transfer-encoding", "upgrade", "proxy-connection",
})  # fmt: skip
# Never forwarded upstream: the consumer's credentials and anything claiming to be the hub.
STRIP_UPSTREAM = frozenset(
    {
        "authorization",
        "cookie",
        "host",
        "content-length",
        "x-consumer",
        "x-exchange-assertion",
        "x-forwarded-for",
        "x-purpose",
        "x-data-subject",
        "x-request-id",
    }
)
STRIP_DOWNSTREAM = frozenset(
    {"set-cookie", "content-length", "server", "date", "x-exchange-signature", "x-request-id"}
)
BODY_TYPES = re.compile(
    r"^(application/(json|[\w.+-]+\+json|xml|[\w.+-]+\+xml|x-www-form-urlencoded)|text/xml)"
    r"\s*(;.*)?$",
    re.IGNORECASE,
)
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

PROBLEMS: dict[str, tuple[int, Any]] = {
    "not_authenticated": (401, _("Cần mã truy cập hợp lệ (Authorization: Bearer …).")),
    "invalid_path": (400, _("Đường dẫn không hợp lệ.")),
    "unknown_service": (404, _("Không có dịch vụ này trên nền tảng chia sẻ dữ liệu.")),
    "no_grant": (403, _("Hệ thống của bạn chưa được cấp quyền dùng thao tác này.")),
    "purpose_required": (400, _("Dịch vụ có dữ liệu cá nhân: phải nêu mục đích (X-Purpose).")),
    "invalid_purpose": (400, _("Mục đích sử dụng (X-Purpose) không hợp lệ.")),
    "invalid_data_subject": (400, _("X-Data-Subject phải là số định danh cá nhân hợp lệ.")),
    "payload_too_large": (413, _("Nội dung gửi lên quá lớn.")),
    "unsupported_media_type": (415, _("Kiểu nội dung gửi lên không được hỗ trợ.")),
    "rate_limited": (429, _("Quá nhiều yêu cầu; hãy thử lại sau.")),
    "upstream_error": (502, _("Hệ thống cung cấp trả lời lỗi hoặc không trả lời được.")),
    "circuit_open": (503, _("Hệ thống cung cấp đang tạm ngừng nhận yêu cầu; hãy thử lại sau.")),
    "log_unavailable": (503, _("Không ghi được nhật ký trao đổi; yêu cầu chưa được thực hiện.")),
    "upstream_timeout": (504, _("Hệ thống cung cấp không trả lời kịp.")),
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(slots=True)
class Answer:
    """A response, sent as two raw ASGI messages (no framework object per request)."""

    status: int
    headers: dict[str, str]
    body: bytes = b""

    async def send(self, send: Any) -> None:
        raw = [(b"content-length", str(len(self.body)).encode("ascii"))]
        # Upstream header values come decoded by aiohttp as UTF-8 with surrogateescape:
        # encoding them the same way gives back the bytes the upstream sent.
        raw.extend(
            (k.lower().encode("latin-1"), v.encode("utf-8", "surrogateescape"))
            for k, v in self.headers.items()
        )
        await send({"type": "http.response.start", "status": self.status, "headers": raw})
        await send({"type": "http.response.body", "body": self.body})


def _header_map(scope: Any) -> dict[str, str]:
    """The request's headers, read once: ASGI names are lower case; the first of repeated
    headers wins, as Starlette's ``Headers.get`` would have it."""
    headers: dict[str, str] = {}
    for key, value in scope["headers"]:
        name = key.decode("latin-1")
        if name not in headers:
            headers[name] = value.decode("latin-1")
    return headers


@dataclass
class Exchange:
    """What is known about one request as it goes through the gateway."""

    request_id: str
    method: str
    path: str = ""
    started: float = field(default_factory=time.perf_counter)
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    consumer: str = ""
    consumer_agency: str = ""
    provider: str = ""
    service: str = ""
    operation: str = ""
    purpose: str = ""
    data_subject: str = ""
    request_body: bytes = b""
    language: str = "vi"
    instance: str = ""


class Gateway:
    def __init__(self) -> None:
        self.node = f"{socket.gethostname()}:{os.getpid()}"
        self.config: ConfigSnapshot | None = None
        self.verifier = TokenVerifier(keyset=keys.public_keyset(), issuer=settings.EXCHANGE_ISSUER)
        rate, burst = settings.EXCHANGE_RATE_PER_SECOND, settings.EXCHANGE_RATE_BURST
        self.limiter: TokenBucket | RedisTokenBucket = (
            RedisTokenBucket(url=settings.REDIS_URL, rate=rate, burst=burst)
            if settings.REDIS_URL
            else TokenBucket(rate=rate, burst=burst)
        )
        self.breaker = CircuitBreaker(
            threshold=settings.EXCHANGE_BREAKER_FAILURES, cooldown=settings.EXCHANGE_BREAKER_SECONDS
        )
        self.writer = new_writer()
        self.session: aiohttp.ClientSession | None = None
        self.max_body = settings.EXCHANGE_MAX_BODY_BYTES
        self._poller: asyncio.Task[None] | None = None
        self._titles: dict[tuple[str, str], str] = {}
        # The configuration is read from the database in one thread of its own, so that
        # its connection can be closed when the gateway stops.
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gateway-config")

    # --- life cycle ---------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.config = await loop.run_in_executor(self._db, _load_config)
        await self.writer.start()
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, limit_per_host=256, ttl_dns_cache=300),
            timeout=aiohttp.ClientTimeout(
                total=None,
                sock_connect=settings.EXCHANGE_CONNECT_TIMEOUT,
                sock_read=settings.EXCHANGE_READ_TIMEOUT,
            ),
            auto_decompress=False,
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
        )
        self._poller = asyncio.create_task(self._poll_config())

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        if self.session is not None:
            await self.session.close()
        await self.writer.stop()
        await asyncio.get_running_loop().run_in_executor(self._db, _close_connections)

    async def _poll_config(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(settings.EXCHANGE_CONFIG_POLL_SECONDS)
            try:
                await self.refresh(loop)
            except Exception:  # keep serving with the last good configuration
                logger.exception("gateway configuration reload failed")

    async def refresh(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        loop = loop or asyncio.get_running_loop()
        version = await loop.run_in_executor(self._db, _current_version)
        if self.config is None or version != self.config.version:
            self.config = await loop.run_in_executor(self._db, _load_config)

    # --- answers ------------------------------------------------------------------------

    def _title(self, code: str, language: str) -> str:
        key = (code, language)
        if key not in self._titles:
            with translation.override(language):
                self._titles[key] = str(PROBLEMS[code][1])
        return self._titles[key]

    def _receipt(self, ex: Exchange, status: int, body: bytes, outcome: str) -> str:
        # ``outcome`` is "ok" when the provider answered, else the hub's own refusal code:
        # a consumer can tell the hub's 403 from a provider's.
        claims = {
            "iss": settings.EXCHANGE_ISSUER, "iat": int(time.time()), "jti": ex.request_id,
            "consumer": ex.consumer, "provider": ex.provider, "service": ex.service,
            "method": ex.method, "path": ex.path, "status": status, "purpose": ex.purpose,
            "data_subject": ex.data_subject, "outcome": outcome,
            "body_sha256": _b64(hashlib.sha256(body).digest()),
        }  # fmt: skip
        return jws.sign(RECEIPT_TYPE, claims)

    async def _finish(
        self, ex: Exchange, status: int, body: bytes, headers: dict[str, str], outcome: str
    ) -> Answer:
        entry = Entry(
            occurred_at=ex.occurred_at, request_id=ex.request_id, consumer=ex.consumer,
            provider=ex.provider, service=ex.service, method=ex.method, path=ex.path[:1000],
            operation=ex.operation, purpose=ex.purpose[:500], data_subject=ex.data_subject,
            status=status, outcome=outcome,
            latency_us=int((time.perf_counter() - ex.started) * 1_000_000),
            request_digest=_digest(ex.request_body), response_digest=_digest(body),
            gateway=self.node,
        )  # fmt: skip
        try:
            await self.writer.append(entry)
        except Exception:
            if outcome == "log_unavailable":
                raise
            # Nothing is answered that is not logged.
            return await self._problem(ex, "log_unavailable", log=False)
        headers["X-Request-Id"] = ex.request_id
        headers["X-Exchange-Signature"] = self._receipt(ex, status, body, outcome)
        return Answer(status, headers, body)

    async def _problem(
        self, ex: Exchange, code: str, *, retry_after: float | None = None, log: bool = True
    ) -> Answer:
        status, _title = PROBLEMS[code]
        body = json.dumps({
            "type": f"urn:thudo:problem:{code}", "title": self._title(code, ex.language),
            "status": status, "code": code, "instance": ex.instance,
            "request_id": ex.request_id,
        }, ensure_ascii=False).encode()  # fmt: skip
        headers = {"Content-Type": "application/problem+json"}
        if retry_after is not None:
            headers["Retry-After"] = str(max(1, int(retry_after + 0.999)))
        if status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="thudo-exchange", error="invalid_token"'
        if not log:
            headers["X-Request-Id"] = ex.request_id
            return Answer(status, headers, body)
        return await self._finish(ex, status, body, headers, code)

    # --- the request --------------------------------------------------------------------

    async def handle(self, request: Request) -> Answer:
        headers = _header_map(request.scope)
        incoming = headers.get("x-request-id", "")
        path = request.scope["path"]
        ex = Exchange(
            request_id=incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex,
            method=request.scope["method"],
            language="en" if headers.get("accept-language", "").startswith("en") else "vi",
            instance=path[:1000],
        )
        raw_path = request.scope.get("raw_path") or path.encode()
        target = _parse_target(raw_path)
        if target is None:
            ex.path = path.removeprefix(PREFIX)[:1000]
            return await self._problem(ex, "invalid_path")
        provider, service_code, upstream_path, plain_path = target
        ex.provider, ex.service, ex.path = provider, service_code, plain_path
        config = self.config
        assert config is not None

        caller = self._authenticate(headers, config)
        if caller is None:
            return await self._problem(ex, "not_authenticated")
        consumer = config.systems[caller.client_id]
        ex.consumer, ex.consumer_agency = consumer.identifier, consumer.agency_code

        service = config.services.get((provider, service_code))
        if service is None or not service.active:
            return await self._problem(ex, "unknown_service")
        grant = _matching_grant(config, ex.consumer, service, ex.method, plain_path)
        if grant is None:
            return await self._problem(ex, "no_grant")
        ex.operation = next(
            (op.path for op in grant.operations if op.matches(ex.method, plain_path)), "*"
        )

        problem = _purpose_and_subject(headers, service, ex)
        if problem:
            return await self._problem(ex, problem)

        wait = await self.limiter.take(ex.consumer)
        if wait > 0:
            return await self._problem(ex, "rate_limited", retry_after=wait)
        wait = self.breaker.retry_after(service.id)
        if wait > 0:
            return await self._problem(ex, "circuit_open", retry_after=wait)

        problem = await self._read_body(request, headers, ex)
        if problem:
            return await self._problem(ex, problem)
        return await self._forward(request, headers, ex, service, upstream_path)

    def _authenticate(self, headers: dict[str, str], config: ConfigSnapshot) -> Caller | None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        try:
            return self.verifier.verify(token.strip(), config)
        except TokenRejected:
            return None

    async def _read_body(self, request: Request, headers: dict[str, str], ex: Exchange) -> str:
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                return "invalid_path"
            if int(declared) > self.max_body:
                return "payload_too_large"
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body:
                return "payload_too_large"
            chunks.append(chunk)
        ex.request_body = b"".join(chunks)
        if ex.request_body and not BODY_TYPES.match(headers.get("content-type", "")):
            return "unsupported_media_type"
        return ""

    async def _forward(
        self,
        request: Request,
        incoming: dict[str, str],
        ex: Exchange,
        service: ServiceInfo,
        upstream_path: str,
    ) -> Answer:
        assert self.session is not None
        url = service.upstream_url + upstream_path
        query = request.scope.get("query_string", b"")
        if query:
            url += "?" + query.decode("latin-1")
        headers = _upstream_headers(incoming)
        headers["X-Request-Id"] = ex.request_id
        headers["X-Consumer"] = ex.consumer
        headers[assertion.HEADER] = assertion.sign(ForwardedCall(
            request_id=ex.request_id, consumer=ex.consumer, consumer_agency=ex.consumer_agency,
            provider=ex.provider, service=ex.service, purpose=ex.purpose,
            data_subject=ex.data_subject,
        ))  # fmt: skip
        try:
            async with self.session.request(
                ex.method,
                url,
                headers=headers,
                data=ex.request_body or None,
                allow_redirects=False,
            ) as upstream:
                body = await _read_capped(upstream, self.max_body)
                status = upstream.status
                answer = {
                    k: v
                    for k, v in upstream.headers.items()
                    if k.lower() not in HOP_BY_HOP and k.lower() not in STRIP_DOWNSTREAM
                }
        except TimeoutError:
            self.breaker.failure(service.id)
            return await self._problem(ex, "upstream_timeout")
        except (aiohttp.ClientError, ValueError, _TooLarge):
            self.breaker.failure(service.id)
            return await self._problem(ex, "upstream_error")
        if status >= 500:
            self.breaker.failure(service.id)
        else:
            self.breaker.success(service.id)
        return await self._finish(ex, status, body, answer, "ok")


class _TooLarge(Exception):
    pass


async def _read_capped(response: aiohttp.ClientResponse, cap: int) -> bytes:
    if response.content_length is not None and response.content_length > cap:
        raise _TooLarge()
    chunks, size = [], 0
    async for chunk in response.content.iter_any():
        size += len(chunk)
        if size > cap:
            raise _TooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def _upstream_headers(incoming: dict[str, str]) -> dict[str, str]:
    listed = {h.strip().lower() for h in incoming.get("connection", "").split(",")}
    return {
        k: v for k, v in incoming.items()
        if k not in HOP_BY_HOP and k not in STRIP_UPSTREAM and k not in listed
    }  # fmt: skip


def _parse_target(raw_path: bytes) -> tuple[str, str, str, str] | None:
    """(provider system, service code, upstream path as sent, decoded path) or None.

    The raw path is checked, not the decoded one, so that encoded separators or dot
    segments (``%2F``, ``%2e%2e``) cannot walk out of the service.
    """
    try:
        raw = raw_path.decode("ascii")
    except UnicodeDecodeError:
        return None
    lowered = raw.lower()
    if not raw.startswith(PREFIX) or "\\" in raw:
        return None
    # Encoded separators, dots or NULs have no business in a service path.
    if any(token in lowered for token in ("%2f", "%5c", "%2e", "%00")):
        return None
    parts = raw[len(PREFIX) :].split("/")
    if len(parts) < 5:
        return None
    decoded = [unquote(p) for p in parts]
    rest_raw, rest = parts[5:], decoded[5:]
    if any(plain in (".", "..") for plain in decoded):
        return None
    if any(p == "" for p in decoded[:5]) or any(p == "" for p in rest[:-1]):
        return None
    provider = "/".join(decoded[:4])
    return provider, decoded[4], "/" + "/".join(rest_raw), "/" + "/".join(rest)


def _matching_grant(
    config: ConfigSnapshot, consumer: str, service: ServiceInfo, method: str, path: str
) -> GrantInfo | None:
    now = datetime.now(UTC)
    for grant in config.grants.get((consumer, service.id), ()):
        if grant.allows(method, path, now):
            return grant
    return None


def _header_text(headers: dict[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        return None
    # Headers arrive as latin-1; Vietnamese text is sent percent-encoded or as raw UTF-8.
    try:
        value = value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return ""
    return unquote(value, errors="strict") if "%" in value else value


def _purpose_and_subject(headers: dict[str, str], service: ServiceInfo, ex: Exchange) -> str:
    try:
        purpose = _header_text(headers, "x-purpose")
    except UnicodeDecodeError:
        return "invalid_purpose"
    if purpose is not None:
        purpose = purpose.strip()
        if len(purpose) > 500 or any(ord(c) < 32 or ord(c) == 127 for c in purpose):
            return "invalid_purpose"
        ex.purpose = purpose
    if service.personal and not ex.purpose:
        return "purpose_required"
    subject = headers.get("x-data-subject")
    if subject is not None:
        try:
            ex.data_subject = check_personal_id(subject.strip())
        except IdentifierError:
            return "invalid_data_subject"
    return ""


def _load_config() -> ConfigSnapshot:
    from django.db import close_old_connections

    close_old_connections()
    return snapshot.load()


def _close_connections() -> None:
    from django.db import connections

    connections.close_all()


def _current_version() -> int:
    from django.db import close_old_connections

    close_old_connections()
    return snapshot.current_version()


class GatewayApp:
    """The gateway as a plain ASGI application: ``/x/…`` and the lifespan, nothing else.

    Starlette's Request is used for reading the body, not its router, middleware or
    response classes: on a path that does one thing they only cost time."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            if scope["path"].startswith(PREFIX) and scope["method"] in METHODS:
                try:
                    answer = await self.gateway.handle(Request(scope, receive))
                except ClientDisconnect:
                    return  # the consumer left while sending its body: nobody to answer
            else:
                answer = Answer(404, {})
            await answer.send(send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.gateway.start()
                except Exception as exc:
                    logger.exception("gateway failed to start")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.gateway.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return


def create_app(gateway: Gateway | None = None) -> GatewayApp:
    """The gateway as an ASGI app (paths start with ``/x/``)."""
    return GatewayApp(gateway or Gateway())
