from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from config.api import api
from thudo.core import views as core_views
from thudo.exchange import urls as exchange_urls

handler400 = "thudo.core.views.bad_request"
handler403 = "thudo.core.views.permission_denied"
handler404 = "thudo.core.views.page_not_found"
handler500 = "thudo.core.views.server_error"

urlpatterns = [
    path("", include("thudo.core.urls")),
    path("identity/", include("thudo.identity.urls")),
    path("exchange/", include(exchange_urls)),
    *exchange_urls.root_urlpatterns,
    # The national-registry simulators, reachable as provider systems behind the hub.
    path("registries/", include("thudo.registries.urls")),
    path("documents/", include("thudo.documents.urls")),
    path("signing/", include("thudo.signing.urls")),
    path("", include("thudo.procedures.urls")),
    path("bao-cao/", include("thudo.reporting.urls")),
    path("chuyen-doi-so/", include("thudo.dti.urls")),
    path("opendata/", include("thudo.opendata.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", core_views.set_language, name="set_language"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", core_views.prometheus_metrics, name="prometheus-metrics"),
]

if settings.EIDSIM_ENABLED:
    urlpatterns.append(path("eid/", include("thudo.eidsim.urls")))
