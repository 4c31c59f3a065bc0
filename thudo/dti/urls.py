"""URLs of the DTI pages, under ``chuyen-doi-so/``."""

from django.urls import path

from thudo.dti import views

app_name = "dti"

urlpatterns: list = []
