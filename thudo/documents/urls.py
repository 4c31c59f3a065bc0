"""URLs of the documents module: officials' pages at ``documents/``; the exchange-facing
provider endpoints at ``documents/exchange/v1/``."""

from django.urls import path

from thudo.documents import inbox, views

app_name = "documents"

urlpatterns = [
    path("exchange/v1/packages", inbox.packages, name="exchange_packages"),
    path("exchange/v1/statuses", inbox.statuses, name="exchange_statuses"),
    path("", views.document_list, name="list"),
    path("new/", views.document_new, name="new"),
    path("<int:pk>/", views.document_detail, name="detail"),
    path("<int:pk>/edit/", views.document_edit, name="edit"),
    path("<int:pk>/submit/", views.document_submit, name="submit"),
    path("<int:pk>/review/", views.document_review, name="review"),
    path("<int:pk>/sign/", views.document_sign, name="sign"),
    path("<int:pk>/issue/", views.document_issue, name="issue"),
    path("<int:pk>/resend/", views.document_resend, name="resend"),
    path("<int:pk>/accept/", views.incoming_accept, name="accept"),
    path("<int:pk>/return/", views.incoming_return, name="return"),
    path("<int:pk>/assign/", views.incoming_assign, name="assign"),
    path("<int:pk>/pdf/", views.document_pdf, name="pdf"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        views.attachment_download,
        name="attachment",
    ),
    path("assignments/<int:pk>/progress/", views.assignment_progress, name="assignment_progress"),
    path("assignments/<int:pk>/complete/", views.assignment_complete, name="assignment_complete"),
]
