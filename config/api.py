"""The API root: ``/api/v1/`` with OpenAPI at ``/api/v1/openapi.json`` and docs at
``/api/v1/docs``. Modules contribute routers; errors are problem+json everywhere."""

from __future__ import annotations

from csp.decorators import csp_update
from ninja import NinjaAPI, Swagger

from thudo.core import problems
from thudo.core.api import router as core_router
from thudo.core.api_auth import API_AUTH
from thudo.documents.api import router as documents_router
from thudo.dti.api import router as dti_router
from thudo.exchange.api import router as exchange_router
from thudo.procedures.api import router as procedures_router
from thudo.reporting.api import router as reporting_router
from thudo.signing.api import router as signing_router

api = NinjaAPI(
    title="Thủ Đô Số API",
    version="1",
    description=(
        "Nền tảng chính quyền số Thủ Đô Số. Errors are RFC 9457 problem details "
        "(application/problem+json) with a stable `code`. Authenticate with the browser "
        "session (CSRF token on unsafe methods) or `Authorization: Bearer <API token>`."
    ),
    auth=API_AUTH,
    urls_namespace="api",
    docs=Swagger(settings={"persistAuthorization": False}),
    # Swagger UI (served from our own static files) sets inline styles.
    docs_decorator=csp_update({"style-src": ["'self'", "'unsafe-inline'"]}),
)
problems.install(api)

api.add_router("", core_router)
api.add_router("/exchange/", exchange_router)
api.add_router("/documents/", documents_router)
api.add_router("/signing/", signing_router)
api.add_router("", procedures_router)
api.add_router("", reporting_router)
api.add_router("/dti/", dti_router)
