"""URLs of the public-services module: the citizen portal at ``dich-vu-cong/``, the
officials' one-stop console at ``mot-cua/``, the service index at ``chi-so-phuc-vu/``."""

from django.urls import include, path

app_name = "procedures"

urlpatterns = [
    path("dich-vu-cong/", include("thudo.procedures.urls_portal")),
    path("mot-cua/", include("thudo.procedures.urls_console")),
]
