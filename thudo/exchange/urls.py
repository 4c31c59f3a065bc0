"""URLs of the exchange hub.

``urlpatterns`` are mounted at ``exchange/`` (namespace ``exchange``); system identifiers
contain slashes, hence the ``path`` converters. ``root_urlpatterns`` are mounted at the
root, where OAuth clients look for them (RFC 8414 puts the metadata under /.well-known/).
"""

from django.urls import path

from thudo.exchange import views

app_name = "exchange"

urlpatterns = [
    path("jwks.json", views.jwks, name="jwks"),
    path("catalog/", views.catalog, name="catalog"),
    path(
        "catalog/<path:provider>/<str:code>/openapi.json",
        views.service_openapi,
        name="service_openapi",
    ),
    path("catalog/<path:provider>/<str:code>/", views.service_detail, name="service_detail"),
    path("systems/", views.systems, name="systems"),
    path("systems/register/", views.system_register, name="system_register"),
    path("systems/<path:identifier>/rotate/", views.system_rotate, name="system_rotate"),
    path("systems/<path:identifier>/revoke/", views.system_revoke, name="system_revoke"),
    path("grants/", views.grants, name="grants"),
    path("grants/request/", views.grant_request, name="grant_request"),
    path("grants/operations/", views.grant_operations, name="grant_operations"),
    path("grants/<int:pk>/approve/", views.grant_approve, name="grant_approve"),
    path("grants/<int:pk>/refuse/", views.grant_refuse, name="grant_refuse"),
    path("grants/<int:pk>/revoke/", views.grant_revoke, name="grant_revoke"),
    path("stats/", views.stats, name="stats"),
]

root_urlpatterns = [
    path("oauth/token", views.oauth_token, name="exchange-oauth-token"),
    path(
        ".well-known/oauth-authorization-server",
        views.oauth_metadata,
        name="exchange-oauth-metadata",
    ),
]
