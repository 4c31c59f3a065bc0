"""Rules of the codebase, checked rather than remembered (CONVENTIONS.md §12)."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted(p.name for p in (ROOT / "thudo").iterdir() if (p / "apps.py").exists())

# Pages anyone may open without signing in. Everything else needs a signed-in user.
PUBLIC_ROUTES = {
    "core:home",
    "core:login",
    "core:login_otp",
    "set_language",
    "healthz",
    "readyz",
    "prometheus-metrics",
    "identity:eid_login",
    "identity:eid_callback",
    # The exchange hub's OAuth endpoints: member systems authenticate themselves there
    # with client credentials; metadata and keys are public by nature (RFC 8414, RFC 7517).
    "exchange-oauth-token",
    "exchange-oauth-metadata",
    "exchange:jwks",
    # The PKI's endpoints are named in every certificate (AIA, CRL distribution points):
    # relying parties fetch them anonymously (RFC 5280, RFC 6960, RFC 3161).
    "signing:ca_certificate",  # CA certificates, for building chains
    "signing:crl",  # revocation lists, for checking certificates offline
    "signing:ocsp",  # the OCSP responder (POST)
    "signing:ocsp_get",  # the OCSP responder (GET, RFC 6960 A.1)
    "signing:tsa",  # the timestamp authority, called by signing software
    "signing:verify",  # anyone handed a signed PDF may check it
    # Document exchange endpoints: machines behind the hub, authenticated by its assertion.
    "documents:exchange_packages",
    "documents:exchange_statuses",
    # The public catalogue of procedures: what to bring, how long, what it costs.
    "procedures:portal",
    "procedures:procedure",
    # Published DTI results: every unit's scores and rank, once the council's work is done.
    "dti:public_index",
    "dti:public_results",
    "dti:public_pdf",
    "dti:public_xlsx",
    # The open-data portal is public by nature (Decree 47); its machine endpoints (CKAN's
    # Action API, DCAT, downloads) authenticate writes by API token themselves.
    "opendata:home",
    "opendata:datasets",
    "opendata:dataset",
    "opendata:dataset_version",
    "opendata:resource",
    "opendata:resource_preview",
    "opendata:organizations",
    "opendata:organization",
    "opendata:groups",
    "opendata:group",
    "opendata:open_data_list",
    "opendata:datastore_progress",
    "opendata:api_root",
    "opendata:api_root_slash",
    "opendata:action",
    "opendata:action_unversioned",
    "opendata:catalog",
    "opendata:dataset_rdf",
    "opendata:resource_download",
    "opendata:datastore_dump",
    # The eID simulator is a stand-in for an outside identity provider.
    "eidsim:*",
    # Django admin checks staff status itself and has its own login page.
    "admin:*",
}
# API operations anyone may call (documentation of the API itself).
PUBLIC_API_PATHS = {
    "/api/v1/openapi.json",
    "/api/v1/docs",
    # Validation of a signed PDF, like its page: whoever holds a document may check it.
    "/api/v1/signing/verify",
    # The public procedure catalogue, as on its pages.
    "/api/v1/procedures",
    "/api/v1/procedures/{code}",
    # A round's results, once published (before that: 404, as for a round one may not see).
    "/api/v1/dti/rounds/{round_id}/results",
}

_CONVERTER_SAMPLES = {
    "int": "1",
    "str": "x",
    "slug": "x",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "path": "x",
}


def _walk(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, Any]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or "")
            yield prefix + str(entry.pattern), name, entry.callback


def _sample_path(route: str) -> str:
    path = re.sub(r"<(?:(\w+):)?\w+>", lambda m: _CONVERTER_SAMPLES[m.group(1) or "str"], route)
    path = path.lstrip("^").rstrip("$").replace("\\Z", "")
    return "/" + path


def _is_public(name: str) -> bool:
    namespace = name.split(":")[0] + ":*" if ":" in name else ""
    return name in PUBLIC_ROUTES or namespace in PUBLIC_ROUTES


def _path_view(callback: Any) -> Any:
    """The django-ninja PathView behind a route, if it is an API operation: its views are
    closures over the PathView, which holds the operations with their resolved auth."""
    if not callable(callback) or not getattr(callback, "__closure__", None):
        return None
    owner = inspect.getclosurevars(callback).nonlocals.get("self")
    return owner if hasattr(owner, "operations") else None


def _is_api(route: str, callback: Any) -> bool:
    """Routes of a django-ninja API (the platform's own, or a provider system's), whose
    operations are checked by the API tests below rather than as pages."""
    func = getattr(callback, "func", callback)
    return (
        route.startswith("api/")
        or _path_view(callback) is not None
        or str(getattr(func, "__module__", "")).startswith("ninja.")
    )


def _page_routes() -> list[tuple[str, str, Any]]:
    return [r for r in _walk(get_resolver().url_patterns) if not _is_api(r[0], r[2])]


def test_views_that_skip_login_are_on_the_public_list() -> None:
    unlisted = [
        (route, name)
        for route, name, callback in _page_routes()
        if getattr(callback, "login_required", True) is False
        and not _is_public(name)
        and not route.startswith(("static/", "media/"))
    ]
    assert unlisted == [], "public views missing from PUBLIC_ROUTES"


@pytest.mark.django_db
def test_every_other_page_redirects_anonymous_users_to_login() -> None:
    client = Client()
    checked = 0
    for route, name, _callback in _page_routes():
        if _is_public(name) or "(?P" in route or "^" in route:
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(_sample_path(route))
            assert response.status_code == 302, (route, method, response.status_code)
            assert response["Location"].startswith("/accounts/login/"), route
        checked += 1
    assert checked >= 10


def _api_operations() -> Iterator[tuple[str, str, Any]]:
    """Every operation of every django-ninja API as served."""
    for route, _name, callback in _walk(get_resolver().url_patterns):
        path_view = _path_view(callback)
        if path_view is None:
            continue
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
        for operation in path_view.operations:
            for method in operation.methods:
                yield method, path, operation


def test_the_api_operations_are_found() -> None:
    paths = {path for _method, path, _operation in _api_operations()}
    assert {"/api/v1/me", "/api/v1/exchange/catalog"} <= paths
    assert "/registries/population/v1/people/{personal_id}" in paths
    assert len(paths) >= 40


def test_every_api_operation_requires_authentication() -> None:
    anonymous = [
        (method, path)
        for method, path, operation in _api_operations()
        if not operation.auth_callbacks and path not in PUBLIC_API_PATHS
    ]
    assert anonymous == []


@pytest.mark.django_db
def test_api_answers_401_problem_to_anonymous_callers() -> None:
    client = Client()
    for method, path, _operation in _api_operations():
        if path in PUBLIC_API_PATHS:
            continue
        url = re.sub(r"\{\w+\}", "1", path)
        response = client.generic(method, url, data="{}", content_type="application/json")
        assert response.status_code == 401, (method, path)
        assert response["Content-Type"] == "application/problem+json"
        # Provider systems behind the hub take only the hub's assertion, never a login.
        expected = "assertion_invalid" if path.startswith("/registries/") else "not_authenticated"
        assert response.json()["code"] == expected, (method, path)


def test_every_service_has_a_permission_check_of_the_same_name() -> None:
    missing = []
    for module in MODULES:
        try:
            services = importlib.import_module(f"thudo.{module}.services")
        except ModuleNotFoundError:
            continue
        permissions = importlib.import_module(f"thudo.{module}.permissions")
        for name, func in inspect.getmembers(services, inspect.isfunction):
            if name.startswith("_") or func.__module__ != services.__name__:
                continue
            source = inspect.getsource(func)
            if not hasattr(permissions, name) or f"permissions.{name}(" not in source:
                missing.append(f"{module}.{name}")
    assert missing == []


def _python_files(*names: str) -> Iterator[Path]:
    for module in MODULES:
        for name in names:
            path = ROOT / "thudo" / module / name
            if path.exists():
                yield path


def test_views_and_endpoints_fetch_rows_only_through_selectors() -> None:
    offenders = []
    for path in _python_files("views.py", "api.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "objects":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_environment_is_read_only_in_settings() -> None:
    allowed = {ROOT / "config" / "settings.py"}
    offenders = []
    for path in [*ROOT.glob("thudo/**/*.py"), *ROOT.glob("config/*.py")]:
        if path in allowed or "/tests/" in str(path):
            continue
        text = path.read_text()
        for match in re.finditer(r"os\.environ|os\.getenv|environ\.Env\(", text):
            line = text[: match.start()].count("\n") + 1
            if "DJANGO_SETTINGS_MODULE" not in text.splitlines()[line - 1]:
                offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert offenders == []


@pytest.mark.parametrize("module", MODULES)
def test_every_module_has_a_short_readme(module: str) -> None:
    readme = ROOT / "thudo" / module / "README.md"
    assert readme.exists(), f"thudo/{module}/README.md"
    lines = [line for line in readme.read_text().splitlines() if line.strip()]
    assert 5 <= len(lines) <= 40


def test_openapi_document_matches_the_committed_snapshot() -> None:
    from tests.openapi_snapshot import SNAPSHOT, current_document

    assert SNAPSHOT.exists(), "run `make openapi` to write docs/openapi.json"
    assert current_document() == SNAPSHOT.read_text(), (
        "the API changed: review it and run `make openapi` to update docs/openapi.json"
    )
