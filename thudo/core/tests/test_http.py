"""HTTP conventions: health, security headers, request ids, languages, error pages, logs."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.test import Client


@pytest.mark.django_db
def test_health_and_readiness() -> None:
    client = Client()
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


@pytest.mark.django_db
def test_readiness_fails_with_a_problem_when_the_database_is_down(monkeypatch: Any) -> None:
    from django.db import OperationalError, connection

    def broken_cursor(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("down")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["code"] == "database_unreachable"


@pytest.mark.django_db
def test_prometheus_metrics_are_exposed() -> None:
    response = Client().get("/metrics")
    assert response.status_code == 200
    assert b"django_http_requests_total_by_method_total" in response.content


@pytest.mark.django_db
def test_security_headers_on_pages() -> None:
    response = Client().get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_request_id_is_returned_and_accepted_from_the_caller() -> None:
    generated = Client().get("/healthz")
    assert len(generated["X-Request-ID"]) == 32
    echoed = Client().get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    assert echoed["X-Request-ID"] == "abc-123"


def test_production_settings_are_secure() -> None:
    import importlib
    import os

    keys = {"THUDO_ENV": "production", "SECRET_KEY": "x" * 60}
    saved = {k: os.environ.get(k) for k in keys}  # noqa: TID251
    os.environ.update(keys)  # noqa: TID251
    try:
        import config.settings as module

        production = importlib.reload(module)
        assert production.SESSION_COOKIE_SECURE and production.CSRF_COOKIE_SECURE
        assert production.SECURE_HSTS_SECONDS >= 31536000
        assert production.SECURE_SSL_REDIRECT
        assert not production.EIDSIM_ENABLED
        assert production.STORAGES["staticfiles"]["BACKEND"].endswith("ManifestStaticFilesStorage")
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)  # noqa: TID251
            else:
                os.environ[key] = value  # noqa: TID251
        importlib.reload(module)


@pytest.mark.django_db
def test_pages_speak_vietnamese_by_default_and_english_on_request() -> None:
    client = Client()
    assert '<html lang="vi">' in client.get("/").content.decode()
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert switched.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Sign in with VNeID" in html


@pytest.mark.django_db
def test_api_problems_follow_accept_language(city: Any) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(city.platform_admin)
    problem = client.post(
        "/api/v1/agencies", {"code": "bad"}, content_type="application/json"
    ).json()
    assert problem["title"] == "Invalid data"
    assert {"field": "name", "code": "missing", "message": "This field is required."} in problem[
        "errors"
    ]


@pytest.mark.django_db
def test_unknown_pages_are_404_pages_and_unknown_api_paths_are_problems() -> None:
    page = Client().get("/khong-co-trang-nay/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
    api = Client().get("/api/v1/khong-co")
    assert api.status_code == 404 and api["Content-Type"] == "application/problem+json"


def test_logs_are_json_with_the_request_id() -> None:
    from django.conf import settings

    logging_config: Any = settings.LOGGING
    formatter_config = logging_config["formatters"]["json"]
    factory = formatter_config["()"]
    module_name, class_name = factory.rsplit(".", 1)
    formatter_class = getattr(__import__(module_name, fromlist=[class_name]), class_name)
    formatter = formatter_class(
        fmt=formatter_config["format"], rename_fields=formatter_config["rename_fields"]
    )
    record = logging.LogRecord("thudo", logging.INFO, __file__, 1, "xin chào", None, None)
    record.correlation_id = "abc123"
    line = json.loads(formatter.format(record))
    assert line["message"] == "xin chào" and line["request_id"] == "abc123"
    assert line["level"] == "INFO"


@pytest.mark.django_db
def test_text_with_a_nul_character_is_refused_and_changes_nothing(city: Any) -> None:
    from thudo.core.models import ApiToken, AuditEvent

    client = Client()
    client.force_login(city.platform_admin)
    before = (ApiToken.objects.count(), AuditEvent.objects.count())
    for body in ('{"name": "a\\u0000b"}', '{"name": "a\\U0000b"}'):
        answer = client.post("/api/v1/tokens", body, content_type="application/json")
        assert answer.status_code == 400, body
        assert answer["Content-Type"] == "application/problem+json"
        assert answer.json()["code"] == "invalid_characters"
    assert client.get("/api/v1/units?q=a%00b").json()["code"] == "invalid_characters"
    page = client.post(
        "/accounts/login/",
        "username=a%00b&password=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert page.status_code == 400
    assert (ApiToken.objects.count(), AuditEvent.objects.count()) == before
    # A literal "%00" in JSON text is ordinary text, not a NUL.
    fine = client.post("/api/v1/tokens", '{"name": "giảm 100%00"}', content_type="application/json")
    assert fine.status_code == 201
