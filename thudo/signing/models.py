"""Tables of the signing module: the certificate authorities and the certificates they
issued, with their private keys sealed (``keystore.py``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from thudo.core.models import Agency


class Authority(models.Model):
    """A certificate authority of the platform (tổ chức cung cấp dịch vụ chứng thực)."""

    code = models.CharField(_("mã"), max_length=20, unique=True)
    name = models.CharField(_("tên"), max_length=200)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    certificate = models.BinaryField(_("chứng thư (DER)"))
    sealed_key = models.BinaryField()
    crl_number = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tổ chức chứng thực")
        verbose_name_plural = pgettext_lazy("plural", "tổ chức chứng thực")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class Certificate(models.Model):
    """A certificate (chứng thư số) and, for signing ones, its sealed private key."""

    class Profile(models.TextChoices):
        SEAL = "seal", _("Con dấu điện tử của cơ quan")
        OFFICIAL = "official", _("Cán bộ, công chức")
        CITIZEN = "citizen", _("Công dân")
        TSA = "tsa", _("Dịch vụ cấp dấu thời gian")

    class Status(models.TextChoices):
        VALID = "valid", _("Đang hiệu lực")
        REVOKED = "revoked", _("Đã thu hồi")

    serial = models.CharField(_("số hiệu"), max_length=40, unique=True)
    fingerprint = models.CharField(max_length=64, unique=True)
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="issued")
    profile = models.CharField(_("loại"), max_length=10, choices=Profile.choices)
    subject = models.CharField(_("chủ thể"), max_length=500)
    holder_name = models.CharField(_("người, cơ quan được cấp"), max_length=200)
    title = models.CharField(_("chức vụ"), max_length=100, blank=True)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("người được cấp"),
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    personal_id = models.CharField(_("số định danh cá nhân"), max_length=12, blank=True)
    der = models.BinaryField()
    sealed_key = models.BinaryField(null=True, blank=True)
    backend = models.CharField(max_length=20, default="software")
    not_before = models.DateTimeField(_("hiệu lực từ"))
    not_after = models.DateTimeField(_("hiệu lực đến"))
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=Status.choices, default=Status.VALID
    )
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)
    revocation_reason = models.CharField(_("lý do thu hồi"), max_length=30, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pin_failures = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("chứng thư số")
        verbose_name_plural = pgettext_lazy("plural", "chứng thư số")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["holder", "status"], name="cert_holder_status"),
            models.Index(fields=["agency", "profile", "status"], name="cert_agency_profile"),
            models.Index(fields=["authority", "status"], name="cert_authority_status"),
        ]

    def __str__(self) -> str:
        return f"{self.holder_name} ({self.serial[:12]}…)"
