"""The platform as one ASGI application.

``/x/…`` is the exchange gateway (async, Starlette); everything else is Django, run as
WSGI in a thread pool (a2wsgi) so that its synchronous views keep their own threads — the
eID sign-in, for one, calls back into this same server while it waits.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")  # noqa: TID251

from a2wsgi import WSGIMiddleware
from django.core.wsgi import get_wsgi_application

django_app = WSGIMiddleware(get_wsgi_application(), workers=32)  # type: ignore[arg-type]

from thudo.exchange.gateway.app import create_app  # noqa: E402

gateway_app = create_app()


async def application(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] == "lifespan" or (scope["type"] == "http" and scope["path"].startswith("/x/")):
        await gateway_app(scope, receive, send)
    else:
        await django_app(scope, receive, send)
