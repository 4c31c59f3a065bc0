"""The simulator's own tables: people, relying parties, codes and tokens.

Nothing here points at the platform's users: the simulator stands in for an outside
identity provider, and its accounts are not the platform's accounts.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin
from authlib.oauth2.rfc6749.util import list_to_scope, scope_to_list
from authlib.oidc.core import AuthorizationCodeMixin
from django.contrib.auth.hashers import check_password
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from thudo.eidsim.contracts import acr_for_loa


class EidAccount(models.Model):
    """Tài khoản định danh điện tử (mô phỏng): a person as the national eID knows them."""

    class Gender(models.TextChoices):
        MALE = "male", _("Nam")
        FEMALE = "female", _("Nữ")

    class Loa(models.IntegerChoices):
        LEVEL_1 = 1, _("Mức 1")
        LEVEL_2 = 2, _("Mức 2")

    personal_id = models.CharField(_("số định danh cá nhân"), max_length=12, unique=True)
    password = models.CharField(_("mật khẩu"), max_length=256)
    full_name = models.CharField(_("họ và tên"), max_length=150)
    birth_date = models.DateField(_("ngày sinh"))
    gender = models.CharField(_("giới tính"), max_length=6, choices=Gender.choices)
    loa = models.PositiveSmallIntegerField(_("mức định danh"), choices=Loa.choices)
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("tài khoản định danh (mô phỏng)")
        verbose_name_plural = pgettext_lazy("plural", "tài khoản định danh (mô phỏng)")
        ordering = ["personal_id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(loa__in=[1, 2]), name="eidsim_loa_1_or_2"),
            models.CheckConstraint(
                condition=models.Q(gender__in=["male", "female"]), name="eidsim_gender_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.personal_id})"

    @property
    def acr(self) -> str:
        return acr_for_loa(self.loa)


class OidcClient(ClientMixin, models.Model):
    """A relying party registered with the simulator (bên sử dụng định danh)."""

    class AuthMethod(models.TextChoices):
        BASIC = "client_secret_basic", "client_secret_basic"
        POST = "client_secret_post", "client_secret_post"

    client_id = models.CharField(max_length=100, unique=True)
    client_secret_hash = models.CharField(max_length=256)
    name = models.CharField(_("tên ứng dụng"), max_length=200, blank=True)
    redirect_uris = models.JSONField(default=list)
    post_logout_redirect_uris = models.JSONField(default=list)
    allowed_scopes = models.CharField(max_length=200, default="openid profile")
    token_endpoint_auth_method = models.CharField(
        max_length=30, choices=AuthMethod.choices, default=AuthMethod.BASIC
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ứng dụng sử dụng định danh (mô phỏng)")
        verbose_name_plural = pgettext_lazy("plural", "ứng dụng sử dụng định danh (mô phỏng)")
        ordering = ["client_id"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.client_id

    # Authlib's ClientMixin --------------------------------------------------------------

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # OpenID Connect requires redirect_uri in every request; never guess one.
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = set(scope_to_list(self.allowed_scopes))
        return list_to_scope([s for s in scope_to_list(scope or "") if s in allowed])

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return bool(client_secret) and check_password(client_secret, self.client_secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if endpoint == "token":
            return method == self.token_endpoint_auth_method
        return True

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"

    @property
    def client_metadata(self) -> dict[str, Any]:
        return {"post_logout_redirect_uris": list(self.post_logout_redirect_uris)}


class AuthorizationCode(AuthorizationCodeMixin, models.Model):
    """A one-time code; stored as a digest so a leaked table yields no usable code."""

    code_digest = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(OidcClient, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(EidAccount, on_delete=models.CASCADE, related_name="+")
    redirect_uri = models.TextField()
    scope = models.CharField(max_length=200)
    nonce = models.CharField(max_length=255, blank=True)
    code_challenge = models.CharField(max_length=128)
    code_challenge_method = models.CharField(max_length=10)
    auth_time = models.DateTimeField()
    acr = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["client", "nonce"], name="eidsim_code_client_nonce")]

    def __str__(self) -> str:
        return f"code for {self.account_id} → {self.client_id}"

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce or None

    def get_auth_time(self) -> int:
        return int(self.auth_time.timestamp())

    def get_acr(self) -> str:
        return self.acr

    def get_amr(self) -> list[str]:
        return ["pwd"]


class Token(TokenMixin, models.Model):
    """An access token, stored as a digest; reusing its code revokes it."""

    access_token_digest = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(OidcClient, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(EidAccount, on_delete=models.CASCADE, related_name="+")
    authorization_code = models.ForeignKey(
        AuthorizationCode, on_delete=models.SET_NULL, null=True, related_name="tokens"
    )
    scope = models.CharField(max_length=200)
    issued_at = models.DateTimeField(default=timezone.now)
    expires_in = models.PositiveIntegerField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token for {self.account_id} → {self.client_id}"

    def check_client(self, client: OidcClient) -> bool:
        return self.client_id == client.pk

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return (timezone.now() - self.issued_at).total_seconds() >= self.expires_in

    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def get_user(self) -> EidAccount:
        return self.account

    def get_client(self) -> OidcClient:
        return self.client
