from django.urls import path

from thudo.identity import views

app_name = "identity"

urlpatterns = [
    path("eid/login/", views.eid_login, name="eid_login"),
    path("eid/callback/", views.eid_callback, name="eid_callback"),
    path("eid/logout/", views.eid_logout, name="eid_logout"),
    path("my-data/", views.data_uses, name="data_uses"),
]
