"""Tables of the data-exchange hub (LGSP — nền tảng tích hợp, chia sẻ dữ liệu).

Control plane: member systems with their OAuth2 client credentials, the service
catalogue, access grants. Data plane: the message log of every exchange, hash-chained.
The gateway reads the control plane into memory and reloads it when ``ConfigVersion``
changes, so no request touches these tables.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from thudo.core.models import Agency


class MemberSystem(models.Model):
    """Hệ thống thông tin thành viên: an information system of a member agency.

    Identified as ``VN/<member class>/<agency code>/<system code>`` (X-Road style); the
    identifier is also its OAuth2 ``client_id``.
    """

    class MemberClass(models.TextChoices):
        GOV = "GOV", _("Cơ quan nhà nước")
        COM = "COM", _("Doanh nghiệp")
        ORG = "ORG", _("Tổ chức khác")

    identifier = models.CharField(_("mã hệ thống"), max_length=120, unique=True)
    member_class = models.CharField(
        _("loại thành viên"), max_length=3, choices=MemberClass.choices, default=MemberClass.GOV
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("cơ quan chủ quản")
    )
    code = models.CharField(_("mã hệ thống con"), max_length=50)
    name = models.CharField(_("tên hệ thống"), max_length=255)
    description = models.TextField(_("mô tả"), blank=True)
    contact_email = models.EmailField(_("thư điện tử liên hệ"), blank=True)
    # Client credentials (RFC 6749 §4.4): the secret is shown once and kept as a hash.
    secret_hash = models.CharField(max_length=128, blank=True)
    secret_prefix = models.CharField(max_length=12, blank=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    # Access tokens issued before this moment are no longer accepted (rotation, revocation).
    tokens_valid_after = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("hệ thống thành viên")
        verbose_name_plural = pgettext_lazy("plural", "hệ thống thành viên")
        ordering = ["identifier"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "code"], name="system_code_per_agency")
        ]

    def __str__(self) -> str:
        return self.identifier


class Service(models.Model):
    """Dịch vụ chia sẻ dữ liệu: a REST service published by a provider system."""

    class Classification(models.TextChoices):
        PUBLIC = "public", _("Công khai")
        INTERNAL = "internal", _("Nội bộ")
        PERSONAL = "personal", _("Dữ liệu cá nhân")
        SENSITIVE = "sensitive", _("Dữ liệu cá nhân nhạy cảm")

    provider = models.ForeignKey(
        MemberSystem,
        on_delete=models.PROTECT,
        related_name="services",
        verbose_name=_("hệ thống cung cấp"),
    )
    code = models.CharField(_("mã dịch vụ"), max_length=50)
    version = models.CharField(_("phiên bản"), max_length=20, default="1")
    name = models.CharField(_("tên dịch vụ"), max_length=255)
    description = models.TextField(_("mô tả"), blank=True)
    upstream_url = models.URLField(_("địa chỉ gốc của dịch vụ"), max_length=500)
    openapi = models.JSONField(_("tài liệu OpenAPI"), default=dict)
    classification = models.CharField(
        _("phân loại dữ liệu"), max_length=10, choices=Classification.choices
    )
    legal_basis = models.TextField(_("căn cứ pháp lý"), blank=True)
    owner = models.CharField(_("đơn vị chịu trách nhiệm"), max_length=255, blank=True)
    search_text = models.TextField(editable=False, blank=True)
    is_active = models.BooleanField(_("đang cung cấp"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("dịch vụ chia sẻ dữ liệu")
        verbose_name_plural = pgettext_lazy("plural", "dịch vụ chia sẻ dữ liệu")
        ordering = ["provider__identifier", "code"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "code"], name="service_code_per_provider")
        ]

    def __str__(self) -> str:
        return f"{self.provider.identifier}/{self.code}"

    @property
    def personal(self) -> bool:
        return self.classification in (self.Classification.PERSONAL, self.Classification.SENSITIVE)


class AccessGrant(models.Model):
    """Quyền truy cập: a consumer system's right to call a provider's service."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Đang chờ duyệt")
        APPROVED = "approved", _("Đã cấp")
        REFUSED = "refused", pgettext_lazy("grant status", "Từ chối")
        REVOKED = "revoked", _("Đã thu hồi")

    consumer = models.ForeignKey(
        MemberSystem,
        on_delete=models.PROTECT,
        related_name="grants",
        verbose_name=_("hệ thống khai thác"),
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="grants", verbose_name=_("dịch vụ")
    )
    # [{"method": "GET", "path": "/people/{personal_id}"}, …]; empty means every operation.
    operations = models.JSONField(_("thao tác được phép"), default=list, blank=True)
    purpose = models.TextField(_("mục đích sử dụng"))
    legal_basis = models.TextField(_("căn cứ pháp lý"))
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=Status.choices, default=Status.REQUESTED
    )
    valid_from = models.DateTimeField(_("hiệu lực từ"), null=True, blank=True)
    valid_until = models.DateTimeField(_("hiệu lực đến"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("ghi chú"), blank=True)

    class Meta:
        verbose_name = _("quyền truy cập")
        verbose_name_plural = pgettext_lazy("plural", "quyền truy cập")
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["service", "status"], name="grant_service_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gt=models.F("valid_from")),
                name="grant_validity_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.consumer} → {self.service} ({self.status})"


class ConfigVersion(models.Model):
    """One row, bumped in the same transaction as any change the gateway must see."""

    version = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"v{self.version}"


class MessageLogHead(models.Model):
    """The last link of one message-log chain (the row's id is the chain number).

    Each gateway process owns one chain while it runs (a PostgreSQL advisory lock), so
    writers never wait for each other; a restarted process takes a free chain over and
    continues it."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"#{self.seq}"


class MessageLogEntry(models.Model):
    """Nhật ký trao đổi: one exchange through the gateway, allowed or refused.

    On PostgreSQL the table is partitioned by month on ``occurred_at`` (its primary key in
    the database is (id, occurred_at)); see migration 0002.
    """

    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField()
    chain = models.PositiveSmallIntegerField(default=1)
    seq = models.BigIntegerField()
    request_id = models.CharField(max_length=64)
    consumer = models.CharField(max_length=120, blank=True)
    provider = models.CharField(max_length=120, blank=True)
    service = models.CharField(max_length=50, blank=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=1000)
    operation = models.CharField(max_length=300, blank=True)
    purpose = models.CharField(max_length=500, blank=True)
    data_subject = models.CharField(max_length=12, blank=True)
    status = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=40)
    latency_us = models.PositiveIntegerField()
    request_digest = models.CharField(max_length=64)
    response_digest = models.CharField(max_length=64)
    gateway = models.CharField(max_length=100, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("bản ghi trao đổi")
        verbose_name_plural = pgettext_lazy("plural", "nhật ký trao đổi")
        ordering = ["chain", "seq"]
        indexes = [
            models.Index(fields=["chain", "seq"], name="msglog_chain_seq"),
            models.Index(fields=["data_subject", "occurred_at"], name="msglog_subject"),
            models.Index(fields=["provider", "service", "occurred_at"], name="msglog_service"),
            models.Index(fields=["request_id"], name="msglog_request"),
        ]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.request_id}"
