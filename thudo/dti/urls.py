"""URLs of the DTI pages, under ``chuyen-doi-so/``: the rounds an official takes part in,
a round, its results, a unit's assessment with its rows and steps, evidence files, and
the public results (no sign-in)."""

from django.urls import path

from thudo.dti import views

app_name = "dti"

UNIT = "<int:round_id>/<str:unit_code>/"
ROW = UNIT + "chi-so/<str:code>/"

urlpatterns = [
    path("", views.index, name="index"),
    # Public: before the round's pages, whose first part is a number.
    path("cong-bo/", views.public_index, name="public_index"),
    path("cong-bo/<int:year>/", views.public_results, name="public_results"),
    path("cong-bo/dot/<int:round_id>/ket-qua.pdf", views.public_pdf, name="public_pdf"),
    path("cong-bo/dot/<int:round_id>/ket-qua.xlsx", views.public_xlsx, name="public_xlsx"),
    path("minh-chung/<int:pk>/", views.evidence_download, name="evidence"),
    path("<int:round_id>/", views.round_page, name="round"),
    path("<int:round_id>/mo/", views.round_action, {"action": "open"}, name="round_open"),
    path("<int:round_id>/dong/", views.round_action, {"action": "close"}, name="round_close"),
    path(
        "<int:round_id>/cap-nhat-so-lieu-do/",
        views.round_action,
        {"action": "refresh"},
        name="measured_refresh",
    ),
    path(
        "<int:round_id>/cong-bo/", views.round_action, {"action": "publish"}, name="round_publish"
    ),
    # Before a unit's page, which has as many parts: no agency code is "ket-qua".
    path("<int:round_id>/ket-qua/", views.results, name="results"),
    path("<int:round_id>/ket-qua.xlsx", views.results_xlsx, name="results_xlsx"),
    path("<int:round_id>/ket-qua.pdf", views.results_pdf, name="results_pdf"),
    path(UNIT, views.unit_page, name="unit"),
    path(UNIT + "gui/", views.unit_send, name="unit_send"),
    path(UNIT + "tra-lai/", views.unit_return, name="unit_return"),
    path(UNIT + "phe-duyet/", views.unit_approve, name="unit_approve"),
    path(UNIT + "ban-ky-so.pdf", views.signed_pdf, name="signed_pdf"),
    path(UNIT + "ket-luan/", views.decision_record, name="decision_record"),
    path(UNIT + "kien-nghi/", views.appeal_file, name="appeal_file"),
    path(UNIT + "giai-quyet-kien-nghi/", views.appeal_resolve, name="appeal_resolve"),
    path(ROW, views.score_save, name="score"),
    path(ROW + "minh-chung/", views.evidence_add, name="evidence_add"),
    path(ROW + "minh-chung/<int:pk>/go/", views.evidence_remove, name="evidence_remove"),
    path(ROW + "tham-dinh/", views.review_give, name="review"),
]
