"""Tables of the documents module: registers (sổ), documents (văn bản) with their
attachments, recipients and trail, assignments of incoming documents, and the packages
that came in through the exchange."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from thudo.core.models import Agency
from thudo.documents.contracts import DOCUMENT_TYPES, STATUS_CODES, URGENCY


class Register(models.Model):
    """Sổ đăng ký văn bản: the gapless sequence of one agency, year and direction;
    confidential documents have a sequence of their own (Decree 30, Art. 15)."""

    class Direction(models.TextChoices):
        OUTGOING = "out", _("Văn bản đi")
        INCOMING = "in", _("Văn bản đến")

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("năm"))
    direction = models.CharField(max_length=3, choices=Direction.choices)
    confidential = models.BooleanField(_("mật"), default=False)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("sổ đăng ký văn bản")
        verbose_name_plural = pgettext_lazy("plural", "sổ đăng ký văn bản")
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "year", "direction", "confidential"], name="register_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}/{self.year}/{self.direction}{'/mật' if self.confidential else ''}"


class Document(models.Model):
    """A document (văn bản): drafted here and sent, or received from another agency."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Dự thảo")
        REVIEW = "review", _("Chờ duyệt")
        RETURNED = "returned", _("Trả lại để sửa")
        APPROVED = "approved", _("Đã duyệt, chờ ký")
        SIGNED = "signed", _("Lãnh đạo đã ký, chờ phát hành")
        ISSUED = "issued", _("Đã phát hành")
        RECEIVED = "received", _("Đã đến")
        REGISTERED = "registered", _("Đã vào sổ")
        ASSIGNED = "assigned", _("Đã phân công")
        IN_PROGRESS = "in_progress", _("Đang xử lý")
        DONE = "done", _("Hoàn thành")
        REJECTED = "rejected", _("Đã trả lại nơi gửi")

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(max_length=3, choices=Register.Direction.choices)
    type_code = models.CharField(
        _("loại văn bản"), max_length=4, choices=[(k, v[0]) for k, v in DOCUMENT_TYPES.items()]
    )
    year = models.PositiveSmallIntegerField(_("năm"), null=True, blank=True)
    number = models.PositiveIntegerField(_("số"), null=True, blank=True)
    notation = models.CharField(_("số, ký hiệu"), max_length=60, blank=True)
    summary = models.CharField(_("trích yếu"), max_length=500)
    body = models.TextField(_("nội dung"), blank=True)
    search_text = models.TextField(blank=True, editable=False)
    confidential = models.BooleanField(_("mật"), default=False)
    urgency = models.CharField(
        _("độ khẩn"), max_length=12, choices=list(URGENCY.items()), default="normal"
    )
    status = models.CharField(_("trạng thái"), max_length=12, choices=Status.choices)
    # Outgoing: who drafted, reviewed, signed; the signer's authority lines (Decree 30).
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signer_authority = models.CharField(_("thẩm quyền ký"), max_length=100, blank=True)
    signer_position = models.CharField(_("chức vụ người ký"), max_length=100, blank=True)
    signer_name = models.CharField(_("người ký"), max_length=150, blank=True)
    issued_on = models.DateField(_("ngày ban hành"), null=True, blank=True)
    pdf = models.BinaryField(null=True, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    # Incoming: who sent it, its arrival number, where it came from.
    sender_code = models.CharField(_("mã cơ quan gửi"), max_length=35, blank=True)
    sender_name = models.CharField(_("cơ quan gửi"), max_length=255, blank=True)
    arrival_number = models.PositiveIntegerField(_("số đến"), null=True, blank=True)
    received_at = models.DateTimeField(_("thời điểm đến"), null=True, blank=True)
    electronic = models.BooleanField(_("văn bản điện tử"), default=True)
    source = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="copies"
    )
    package_id = models.CharField(max_length=64, blank=True)
    package_xml = models.BinaryField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("văn bản")
        verbose_name_plural = pgettext_lazy("plural", "văn bản")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["agency", "direction", "status"], name="doc_agency_status"),
            models.Index(fields=["agency", "issued_on"], name="doc_agency_issued"),
            models.Index(fields=["notation"], name="doc_notation"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "direction", "confidential", "year", "number"],
                condition=models.Q(number__isnull=False, direction="out"),
                name="doc_number_unique",
            ),
            models.UniqueConstraint(
                fields=["agency", "direction", "confidential", "year", "arrival_number"],
                condition=models.Q(arrival_number__isnull=False, direction="in"),
                name="doc_arrival_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.notation or self.summary[:60]


class Attachment(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(_("tên tệp"), max_length=255)
    content_type = models.CharField(max_length=100)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class Recipient(models.Model):
    """Nơi nhận: an agency an outgoing document goes to, and how far it has got there
    (store-and-forward delivery through the exchange, then the receiver's status)."""

    class Delivery(models.TextChoices):
        PENDING = "pending", _("Chờ gửi")
        SENT = "sent", _("Đã gửi")
        FAILED = "failed", _("Gửi không được")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="recipients")
    agency_code = models.CharField(max_length=35)
    agency_name = models.CharField(max_length=255)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    status_code = models.CharField(max_length=2, choices=list(STATUS_CODES.items()), blank=True)
    status_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["document", "agency_code"], name="recipient_unique")
        ]

    def __str__(self) -> str:
        return self.agency_code


class TrailEvent(models.Model):
    """The document's trail (vết xử lý): every step, with edXML status codes where they
    apply."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="trail")
    action = models.CharField(max_length=40)
    status_code = models.CharField(max_length=2, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.action


class Assignment(models.Model):
    """Phân công xử lý: an incoming document given to a person with a deadline counted
    in working days."""

    class Status(models.TextChoices):
        OPEN = "open", _("Đang xử lý")
        DONE = "done", _("Hoàn thành")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="assignments")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    instructions = models.TextField(_("ý kiến chỉ đạo"), blank=True)
    working_days = models.PositiveSmallIntegerField(_("số ngày làm việc"))
    due_on = models.DateField(_("hạn xử lý"))
    status = models.CharField(max_length=5, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    result = models.TextField(_("kết quả"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.document_id} → {self.assignee_id}"


class InboundPackage(models.Model):
    """An edXML package as it arrived: kept whole, and its key makes a second delivery
    of the same package a no-op instead of a second registration."""

    package_id = models.CharField(max_length=64)
    sender_code = models.CharField(max_length=35)
    receiver_code = models.CharField(max_length=35)
    kind = models.CharField(max_length=10)  # document | status
    xml = models.BinaryField()
    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sender_code", "receiver_code", "package_id"], name="package_once"
            )
        ]

    def __str__(self) -> str:
        return self.package_id
