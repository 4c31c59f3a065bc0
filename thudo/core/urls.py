from django.urls import path

from thudo.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/login/otp/", views.login_otp, name="login_otp"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("accounts/password/", views.password_change, name="password_change"),
    path("accounts/totp/", views.totp_setup, name="totp_setup"),
    path("accounts/tokens/", views.token_list, name="tokens"),
    path("accounts/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("agencies/<str:code>/", views.agency_detail, name="agency_detail"),
    path("agencies/<str:code>/officials/", views.official_create, name="official_create"),
    path("agencies/<str:code>/roles/", views.role_grant, name="role_grant"),
    path(
        "agencies/<str:code>/officials/<str:username>/password/",
        views.official_password_reset,
        name="official_password_reset",
    ),
    path("roles/<int:pk>/revoke/", views.role_revoke, name="role_revoke"),
    path("audit/", views.audit_list, name="audit_list"),
]
