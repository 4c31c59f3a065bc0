"""URLs of the citizens' public-services pages, under ``dich-vu-cong/``."""

from django.urls import path

from thudo.procedures import views_portal as views

urlpatterns = [
    path("", views.portal, name="portal"),
    path("thu-tuc/<str:code>/", views.procedure, name="procedure"),
    path("cua-toi/", views.mine, name="mine"),
    path("kho-du-lieu/", views.wallet, name="wallet"),
    path("ho-so/<int:pk>/", views.draft, name="draft"),
    path("ho-so/<int:pk>/kiem-tra/", views.check, name="check"),
    path("ho-so/<int:pk>/theo-doi/", views.track, name="track"),
    path("ho-so/<int:pk>/bo-sung/", views.supply, name="supply"),
    path("ho-so/<int:pk>/rut/", views.withdraw, name="withdraw"),
    path("ho-so/<int:pk>/danh-gia/", views.rate, name="rate"),
    path("ho-so/<int:pk>/ket-qua/", views.result, name="result"),
    path("ho-so/<int:pk>/tep/<int:file_pk>/", views.file, name="file"),
]
