"""The gateway alone as an ASGI application (for a separate gateway tier)."""

import django

django.setup()

from thudo.exchange.gateway.app import create_app  # noqa: E402

application = create_app()
