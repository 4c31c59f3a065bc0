"""Real servers for gateway tests: an upstream (aiohttp) and the gateway (uvicorn), each
in its own thread, on free local ports; and the platform as one server (the gateway and
Django on one origin, as ``config/asgi.py`` serves them)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from aiohttp import web
from joserfc import jwt

from thudo.exchange import keys
from thudo.exchange.gateway.app import Gateway, create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def access_token(
    client_id: str,
    *,
    issued: int | None = None,
    lifetime: int = 300,
    issuer: str | None = None,
    audience: str = "thudo-exchange",
    typ: str = "at+jwt",
) -> str:
    """A token as the hub's token endpoint issues it (RFC 9068)."""
    from django.conf import settings

    now = int(time.time()) if issued is None else issued
    claims = {
        "iss": issuer or settings.EXCHANGE_ISSUER,
        "aud": audience,
        "sub": client_id,
        "client_id": client_id,
        "iat": now,
        "exp": now + lifetime,
        "jti": f"t{now}",
    }
    key = keys.signing_key()
    return jwt.encode({"alg": keys.ALGORITHM, "typ": typ, "kid": key.kid}, claims, key)


class Upstream:
    """A provider's service with well-behaved and badly-behaved operations."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.hang = asyncio.Event()

    def _app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)

        async def echo(request: web.Request) -> web.Response:
            body = await request.read()
            self.seen.append(
                {
                    "method": request.method,
                    "path": request.path_qs,
                    "headers": dict(request.headers),
                    "body": body,
                }
            )
            return web.json_response(
                {"path": request.path, "query": request.query_string, "size": len(body)},
                headers={"X-Upstream": "yes", "Set-Cookie": "s=1", "Connection": "keep-alive"},
            )

        async def slow(request: web.Request) -> web.Response:
            await asyncio.sleep(30)
            return web.Response(text="late")

        async def fail(request: web.Request) -> web.Response:
            return web.json_response({"error": "boom"}, status=500)

        async def huge(request: web.Request) -> web.Response:
            return web.Response(body=b"x" * (int(request.query.get("n", "0"))))

        async def reset(request: web.Request) -> web.StreamResponse:
            transport = request.transport
            assert transport is not None
            transport.abort()
            return web.Response()

        async def deny(request: web.Request) -> web.Response:
            # The provider's own refusal, after it has seen (and maybe acted on) the call.
            self.seen.append({"method": request.method, "path": request.path_qs})
            return web.json_response(
                {"error": "provider refuses"},
                status=401,
                headers={"WWW-Authenticate": 'Bearer realm="provider"'},
            )

        app.router.add_route("*", "/echo/{tail:.*}", echo)
        app.router.add_route("*", "/echo", echo)
        app.router.add_get("/slow", slow)
        app.router.add_get("/fail", fail)
        app.router.add_get("/huge", huge)
        app.router.add_get("/reset", reset)
        app.router.add_route("*", "/deny", deny)
        return app

    def run(self) -> None:
        asyncio.set_event_loop(self.loop)
        runner = web.AppRunner(self._app())
        self.loop.run_until_complete(runner.setup())
        self.loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
        self.loop.run_forever()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def upstream_server() -> Iterator[Upstream]:
    server = Upstream()
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    _wait_for(server.port)
    yield server
    server.loop.call_soon_threadsafe(server.loop.stop)


@contextmanager
def _uvicorn(app: Any) -> Iterator[str]:
    """An ASGI app served by uvicorn in a thread on a free port, lifespan included."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    _wait_for(port)
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def gateway_server(gateway: Gateway | None = None) -> Iterator[tuple[str, Gateway]]:
    instance = gateway or Gateway()
    with _uvicorn(create_app(instance)) as url:
        yield url, instance


class _Platform:
    """``/x/…`` and the lifespan to the gateway, everything else to Django (WSGI in a thread
    pool), as ``config/asgi.py`` assembles the platform."""

    def __init__(self, gateway: Gateway) -> None:
        from a2wsgi import WSGIMiddleware

        self.gateway_app = create_app(gateway)
        self.django_app = WSGIMiddleware(_django_wsgi(), workers=4)  # type: ignore[arg-type]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan" or (
            scope["type"] == "http" and scope["path"].startswith("/x/")
        ):
            await self.gateway_app(scope, receive, send)
        else:
            await self.django_app(scope, receive, send)


def _django_wsgi() -> Callable[[dict[str, Any], Any], Iterable[bytes]]:
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connections

    handler = WSGIHandler()

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        # Each request's connection is closed in its worker thread, as Django's test server
        # does: one left open would keep the test database from being dropped.
        try:
            response = handler(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
        finally:
            connections.close_all()

    return app


@contextmanager
def platform_server(gateway: Gateway | None = None) -> Iterator[tuple[str, Gateway]]:
    """The platform on one origin: the hub's token endpoint (Django) and the gateway."""
    instance = gateway or Gateway()
    with _uvicorn(_Platform(instance)) as url:
        yield url, instance


@contextmanager
def aiohttp_server(app: web.Application) -> Iterator[str]:
    """Any aiohttp application on a free port, in a thread of its own."""
    port = free_port()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    _wait_for(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)


def _wait_for(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError(f"nothing listens on {port}")
