"""Tables of the public-services module: the procedure catalogue (versioned), dossiers with
their files, trail and BPMN tasks, the gapless dossier counters, ratings and notices."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from thudo.core.models import Agency
from thudo.procedures.contracts import STATUS_LABELS, Status


class OrderedJSONField(models.JSONField):
    """JSON whose objects keep their keys' order. PostgreSQL's ``jsonb`` stores an object's
    keys sorted by length, which would reorder an applicant form's fields (the order of
    the schema's ``properties``); its ``json`` type keeps the text as written. Nothing
    queries inside these documents, so jsonb's operators are not needed."""

    def db_type(self, connection: Any) -> str | None:
        if connection.vendor == "postgresql":
            return "json"
        return super().db_type(connection)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if connection.vendor != "postgresql":
            return super().get_db_prep_value(value, connection, prepared)
        from psycopg.types.json import Json  # sent as json: jsonb would reorder it on the way

        if not prepared:
            value = self.get_prep_value(value)
        return Json(value, dumps=partial(json.dumps, cls=self.encoder))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is not None and not isinstance(value, str):
            return value  # psycopg has parsed the json column already, in its order
        return super().from_db_value(value, expression, connection)


class Procedure(models.Model):
    """Thủ tục hành chính: one procedure of the national database, with its versions."""

    code = models.CharField(_("mã thủ tục"), max_length=20, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(_("tên thủ tục"), max_length=255)
    name_en = models.CharField(max_length=255, blank=True)
    search_name = models.CharField(max_length=255, editable=False, db_index=True)
    sector = models.CharField(_("lĩnh vực"), max_length=100)
    agency_kind = models.CharField(_("cấp thực hiện"), max_length=30, choices=Agency.Kind.choices)
    is_active = models.BooleanField(_("đang áp dụng"), default=True)

    class Meta:
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = pgettext_lazy("plural", "thủ tục hành chính")
        ordering = ["sector", "name"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args: object, **kwargs: object) -> None:
        from thudo.core.text import fold

        self.search_name = fold(f"{self.code} {self.name} {self.sector}")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class ProcedureVersion(models.Model):
    """What a procedure is as one announcing decision fixed it: a dossier keeps the version
    it was filed under, whatever later versions change."""

    class ServiceLevel(models.TextChoices):
        FULL_ONLINE = "full_online", _("Toàn trình")
        PARTIAL = "partial", _("Một phần")

    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveSmallIntegerField()
    decision = models.CharField(_("quyết định công bố"), max_length=255, blank=True)
    service_level = models.CharField(max_length=20, choices=ServiceLevel.choices)
    deadline_days = models.PositiveSmallIntegerField(_("thời hạn (ngày làm việc)"), default=0)
    deadline_hours = models.PositiveSmallIntegerField(
        _("thời hạn (giờ làm việc)"), null=True, blank=True
    )
    cutoff = models.TimeField(_("giờ tiếp nhận trong ngày"), null=True, blank=True)
    fees = models.JSONField(default=list)
    exemptions = models.JSONField(default=list)
    components = models.JSONField(default=list)
    form_schema = OrderedJSONField(default=dict)
    result = models.JSONField(default=dict)
    legal_basis = models.JSONField(default=list)
    process = models.CharField(max_length=100)
    source_digest = models.CharField(max_length=64)
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("phiên bản thủ tục")
        verbose_name_plural = pgettext_lazy("plural", "phiên bản thủ tục")
        constraints = [
            models.UniqueConstraint(fields=["procedure", "version"], name="procedure_version")
        ]
        ordering = ["procedure", "-version"]

    def __str__(self) -> str:
        return f"{self.procedure.code} v{self.version}"


class DossierCounter(models.Model):
    """The gapless sequence of dossier codes of one agency and day."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "day"], name="dossier_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}/{self.day}: {self.last_number}"


class Dossier(models.Model):
    """Hồ sơ thủ tục hành chính, from draft to returned result."""

    class Channel(models.TextChoices):
        ONLINE = "online", _("Trực tuyến")
        COUNTER = "counter", _("Trực tiếp tại bộ phận một cửa")

    class Prefill(models.TextChoices):
        DONE = "done", _("Đã lấy từ CSDL dân cư")
        PENDING = "pending", _("Chưa lấy được, đang thử lại")
        FAILED = "failed", _("Không lấy được")

    class FeeStatus(models.TextChoices):
        NONE = "none", _("Không thu phí")
        UNPAID = "unpaid", _("Chưa nộp")
        PAID_COUNTER = "paid_counter", _("Đã nộp tại quầy")
        PAID_ONLINE = "paid_online", _("Đã nộp trực tuyến")
        EXEMPT = "exempt", _("Được miễn")

    code = models.CharField(_("mã hồ sơ"), max_length=60, unique=True, null=True, blank=True)
    version = models.ForeignKey(ProcedureVersion, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("cơ quan giải quyết")
    )
    filed_at = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("nơi tiếp nhận"),
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    applicant_data = models.JSONField(default=dict)
    prefill = models.CharField(max_length=10, choices=Prefill.choices, default=Prefill.PENDING)
    form_data = models.JSONField(default=dict)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=list(STATUS_LABELS.items()), default=Status.DRAFT
    )
    idempotency_key = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    fee_amount = models.PositiveIntegerField(default=0)
    fee_status = models.CharField(max_length=15, choices=FeeStatus.choices, default=FeeStatus.NONE)
    workflow = models.TextField(blank=True)
    outcome = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    receipt_pdf = models.BinaryField(null=True, blank=True)
    result_pdf = models.BinaryField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_comment = models.TextField(blank=True)

    class Meta:
        verbose_name = _("hồ sơ")
        verbose_name_plural = pgettext_lazy("plural", "hồ sơ")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="dossier_idempotency",
            )
        ]
        indexes = [
            models.Index(fields=["agency", "status"]),
            models.Index(fields=["agency", "due_at"]),
            models.Index(fields=["applicant", "created_at"]),
        ]

    def __str__(self) -> str:
        return self.code or f"draft-{self.pk}"


class DossierFile(models.Model):
    """A file of a dossier: an uploaded component, a result in the citizen's wallet
    attached by reference, or a form the agency issued (01–07)."""

    class Kind(models.TextChoices):
        COMPONENT = "component", _("Thành phần hồ sơ")
        FORM = "form", _("Phiếu, biểu mẫu")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COMPONENT)
    component = models.CharField(max_length=60)
    name = models.CharField(max_length=255)
    media_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    from_dossier = models.ForeignKey(
        Dossier, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class DossierEvent(models.Model):
    """Every transition of a dossier, timed: its timeline and processing control slip."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.action}"


class Task(models.Model):
    """A BPMN user task of a dossier, ready for an official of the competent agency with
    the lane's role; claimed by one, completed once."""

    class State(models.TextChoices):
        READY = "ready", _("Chờ xử lý")
        CLAIMED = "claimed", _("Đang xử lý")
        DONE = "done", _("Đã xong")
        CANCELLED = "cancelled", _("Đã hủy")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="tasks")
    engine_id = models.CharField(max_length=64)
    spec = models.CharField(max_length=100)
    name = models.CharField(max_length=255)
    role = models.CharField(max_length=20)
    fields = models.JSONField(default=list)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.READY)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["agency", "role", "state"])]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "engine_id"], name="task_engine_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Notice(models.Model):
    """A notification to a person (in-app; e-mail and other channels are sent from it)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="+", null=True)
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    channels = models.JSONField(default=list)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.text
