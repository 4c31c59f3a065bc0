"""URLs of the reporting pages, under ``bao-cao/``: the work list, analytics, a form's
overview for a period and a unit's entry grid with its actions."""

from django.urls import path

from thudo.reporting import views

app_name = "reporting"

GRID = "<str:form_code>/<str:unit_code>/<str:period>/"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("phan-tich/", views.analytics, name="analytics"),
    path("phan-tich/csv/", views.analytics_csv, name="analytics_csv"),
    # Before the grid, which has as many parts: no period code is "tong-hop".
    path("<str:form_code>/<str:period>/tong-hop/", views.overview, name="overview"),
    path(GRID, views.grid, name="grid"),
    path(GRID + "o/", views.cell_save, name="cell"),
    path(GRID + "kiem-tra/", views.grid_check, name="check"),
    path(GRID + "hoan-thanh/", views.form_complete, name="complete"),
    path(GRID + "mo-lai/", views.form_uncomplete, name="uncomplete"),
    path(GRID + "phe-duyet/", views.approval_step, {"step": "approve"}, name="approve"),
    path(GRID + "huy-phe-duyet/", views.approval_step, {"step": "unapprove"}, name="unapprove"),
    path(GRID + "tiep-nhan/", views.approval_step, {"step": "accept"}, name="accept"),
    path(GRID + "huy-tiep-nhan/", views.approval_step, {"step": "unaccept"}, name="unaccept"),
    path(GRID + "excel/", views.excel_download, name="excel"),
    path(GRID + "nhap-excel/", views.excel_upload, name="excel_upload"),
]
