"""URLs of the officials' one-stop console, under ``mot-cua/``."""

from django.urls import path

from thudo.procedures import views_console as views

urlpatterns = [
    path("", views.console, name="console"),
    path("tiep-nhan/", views.counter, name="counter"),
    path("tiep-nhan/<int:pk>/", views.counter_fill, name="counter_fill"),
    path("chi-so-phuc-vu/", views.index, name="index"),
    path("ho-so/<str:code>/", views.dossier, name="dossier"),
    path("ho-so/<str:code>/tep/<int:file_pk>/", views.dossier_file, name="dossier_file"),
    path("ho-so/<str:code>/ket-qua/", views.dossier_result, name="dossier_result"),
    path("ho-so/<str:code>/giay-tiep-nhan/", views.dossier_receipt, name="dossier_receipt"),
    path("ho-so/<str:code>/tiep-nhan/", views.dossier_receive, name="dossier_receive"),
    path("ho-so/<str:code>/bo-sung/", views.dossier_request_supplement, name="dossier_supplement"),
    path("ho-so/<str:code>/tu-choi/", views.dossier_reject, name="dossier_reject"),
    path("ho-so/<str:code>/nop-phi/", views.dossier_pay, name="dossier_pay"),
    path("ho-so/<str:code>/tra-ket-qua/", views.dossier_return, name="dossier_return"),
    path("ho-so/<str:code>/dung/", views.dossier_stop, name="dossier_stop"),
    path("ho-so/<str:code>/hen-lai/", views.dossier_postpone, name="dossier_postpone"),
    path("ho-so/<str:code>/ky/", views.dossier_sign, name="dossier_sign"),
    path("ho-so/<str:code>/viec/<int:task_pk>/nhan/", views.task_claim, name="task_claim"),
    path("ho-so/<str:code>/viec/<int:task_pk>/xong/", views.task_complete, name="task_complete"),
]
