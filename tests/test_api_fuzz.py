"""Schemathesis against our own OpenAPI document: whatever it sends, never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def _keep_test_connection() -> Iterator[None]:
    """Schemathesis calls the WSGI handler directly, which closes "old" connections at
    each request's end; inside the test's transaction that would drop it. Django's own
    test client switches this off the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(city: Any, _keep_test_connection: None) -> str:
    from thudo.core.services import api_token_create

    return api_token_create(actor=city.platform_admin, name="fuzz").secret


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    # Same examples on every run, so CI is reproducible; explore more with
    # `pytest tests/test_api_fuzz.py --hypothesis-seed=N` after removing this line locally.
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_no_server_errors(case: Any, bearer: str) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {bearer}", "Host": "localhost"},
        checks=[not_a_server_error],
    )
