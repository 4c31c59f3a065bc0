from django.urls import path

from thudo.opendata import endpoints, views

app_name = "opendata"

urlpatterns = [
    # Public pages.
    path("", views.home, name="home"),
    path("dataset/", views.datasets, name="datasets"),
    path("dataset/<slug:name>/", views.dataset, name="dataset"),
    path(
        "dataset/<slug:name>/version/<int:revision>/", views.dataset_version, name="dataset_version"
    ),
    path("dataset/<slug:name>/resource/<uuid:resource_id>/", views.resource, name="resource"),
    path(
        "dataset/<slug:name>/resource/<uuid:resource_id>/preview",
        views.resource_preview,
        name="resource_preview",
    ),
    path("organization/", views.organizations, name="organizations"),
    path("organization/<slug:name>/", views.organization, name="organization"),
    path("group/", views.groups, name="groups"),
    path("group/<slug:name>/", views.group, name="group"),
    path("danh-muc/", views.open_data_list, name="open_data_list"),
    # Publishers' pages (signed in).
    path("quan-ly/", views.manage, name="manage"),
    path("quan-ly/moi/", views.dataset_new, name="dataset_new"),
    path("quan-ly/<slug:name>/", views.dataset_edit, name="dataset_edit"),
    path("quan-ly/<slug:name>/tai-nguyen/", views.resource_new, name="resource_new"),
    path("quan-ly/<slug:name>/ra-soat/", views.dataset_review, name="dataset_review"),
    path(
        "quan-ly/<slug:name>/resource/<uuid:resource_id>/nap/",
        views.datastore_load,
        name="datastore_load",
    ),
    path(
        "quan-ly/<slug:name>/resource/<uuid:resource_id>/tien-do",
        views.datastore_progress,
        name="datastore_progress",
    ),
    # Machines: CKAN's Action API, DCAT, files.
    path("api/3", endpoints.api_root, name="api_root"),
    path("api/3/", endpoints.api_root, name="api_root_slash"),
    path("api/3/action/<str:action>", endpoints.action, name="action"),
    # ckanapi and older clients call the unversioned path.
    path("api/action/<str:action>", endpoints.action, name="action_unversioned"),
    path("catalog.<str:fmt>", endpoints.catalog, name="catalog"),
    path("dataset/<slug:name>.<str:fmt>", endpoints.dataset_rdf, name="dataset_rdf"),
    path(
        "dataset/<uuid:dataset_id>/resource/<uuid:resource_id>/download/<str:filename>",
        endpoints.resource_download,
        name="resource_download",
    ),
    path("datastore/dump/<uuid:resource_id>", endpoints.datastore_dump, name="datastore_dump"),
]
