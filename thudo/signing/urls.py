"""URLs of the signing module, mounted at ``signing/`` (namespace ``signing``).

The PKI endpoints keep the exact addresses written into every certificate
(``pki.Endpoints``): ``ca/<code>.crt``, ``crl/<code>.crl``, ``ocsp`` and ``tsa``.
"""

from django.urls import path

from thudo.signing import views

app_name = "signing"

urlpatterns = [
    path("ca/<slug:code>.crt", views.ca_certificate, name="ca_certificate"),
    path("crl/<slug:code>.crl", views.crl, name="crl"),
    path("ocsp", views.ocsp_post, name="ocsp"),
    # RFC 6960 A.1: base64 may contain "/", hence the path converter.
    path("ocsp/<path:encoded>", views.ocsp_get, name="ocsp_get"),
    path("tsa", views.tsa, name="tsa"),
    path("verify/", views.verify, name="verify"),
    path("sign/", views.sign, name="sign"),
    path("sign/pin-field/", views.sign_pin_field, name="sign_pin_field"),
    path("certificates/", views.certificates, name="certificates"),
    path("certificates/<str:serial>/revoke/", views.certificate_revoke, name="certificate_revoke"),
    path("certificates/<str:serial>/pin/", views.certificate_pin, name="certificate_pin"),
    path("issue/", views.issue, name="issue"),
    path("issue/seal/", views.issue_seal, name="issue_seal"),
    path("issue/official/", views.issue_official, name="issue_official"),
    path("counter/", views.counter, name="counter"),
]
