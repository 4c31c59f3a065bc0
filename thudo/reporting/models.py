"""Tables of the reporting information system (hệ thống thông tin báo cáo).

The model is DHIS2's: data elements (chỉ tiêu thống kê) with disaggregation categories,
indicators as formulas over them, forms (biểu mẫu báo cáo = data sets) assigned to
reporting units, values per element, disaggregation, unit and period, validation rules,
completeness and approval. Reporting units are the kernel's agencies and their tree.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from thudo.core.models import Agency
from thudo.reporting.periods import PERIOD_TYPE_LABELS, PeriodType

CODE_MAX = 50


class ValueType(models.TextChoices):
    NUMBER = "number", _("Số thực")
    INTEGER = "integer", _("Số nguyên")
    POSITIVE_INTEGER = "positive_integer", _("Số nguyên không âm")
    PERCENTAGE = "percentage", _("Tỷ lệ phần trăm")


class AggregationType(models.TextChoices):
    """How values combine over time and over units (DHIS2's aggregation types)."""

    SUM = "sum", _("Cộng dồn")
    AVERAGE = "average", _("Bình quân (theo thời gian và đơn vị)")
    AVERAGE_SUM_ORG_UNIT = "average_sum_org_unit", _("Bình quân theo thời gian, cộng theo đơn vị")
    LAST = "last", _("Số cuối kỳ")
    MIN = "min", _("Nhỏ nhất")
    MAX = "max", _("Lớn nhất")


PERIOD_TYPES = [(k.value, v) for k, v in PERIOD_TYPE_LABELS.items()]


class Category(models.Model):
    """Tiêu chí phân tổ: a disaggregation such as sex or urban/rural."""

    code = models.CharField(_("mã"), max_length=CODE_MAX, unique=True)
    name = models.CharField(_("tên"), max_length=200)

    class Meta:
        verbose_name = _("tiêu chí phân tổ")
        verbose_name_plural = pgettext_lazy("plural", "tiêu chí phân tổ")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class CategoryOption(models.Model):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="options")
    code = models.CharField(_("mã"), max_length=CODE_MAX)
    name = models.CharField(_("tên"), max_length=200)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["category", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="reporting_option_code")
        ]

    def __str__(self) -> str:
        return self.name


class DataElement(models.Model):
    """Chỉ tiêu: a figure a unit reports (or the platform measures) each period."""

    code = models.CharField(_("mã"), max_length=CODE_MAX, unique=True)
    name = models.CharField(_("tên chỉ tiêu"), max_length=300)
    short_name = models.CharField(_("tên ngắn"), max_length=100, blank=True)
    description = models.TextField(_("mô tả"), blank=True)
    value_type = models.CharField(
        _("kiểu giá trị"), max_length=20, choices=ValueType.choices, default=ValueType.NUMBER
    )
    aggregation_type = models.CharField(
        _("cách tổng hợp"),
        max_length=25,
        choices=AggregationType.choices,
        default=AggregationType.SUM,
    )
    unit_label = models.CharField(_("đơn vị tính"), max_length=50, blank=True)
    min_value = models.DecimalField(
        _("giá trị nhỏ nhất"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("giá trị lớn nhất"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    categories = models.ManyToManyField(
        Category, blank=True, related_name="elements", verbose_name=_("phân tổ")
    )
    # Bound to a metric of the core registry: values are computed, never typed.
    metric_code = models.CharField(_("số liệu đo tự động"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("chỉ tiêu")
        verbose_name_plural = pgettext_lazy("plural", "chỉ tiêu")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def is_measured(self) -> bool:
        return bool(self.metric_code)


class IndicatorGroup(models.Model):
    code = models.CharField(_("mã"), max_length=CODE_MAX, unique=True)
    name = models.CharField(_("tên nhóm"), max_length=200)

    class Meta:
        verbose_name = _("nhóm chỉ số")
        verbose_name_plural = pgettext_lazy("plural", "nhóm chỉ số")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    """Chỉ số: ``factor × numerator / denominator`` over data elements."""

    code = models.CharField(_("mã"), max_length=CODE_MAX, unique=True)
    name = models.CharField(_("tên chỉ số"), max_length=300)
    description = models.TextField(_("mô tả"), blank=True)
    numerator = models.CharField(_("tử số"), max_length=2000)
    denominator = models.CharField(_("mẫu số"), max_length=2000, default="1")
    factor = models.DecimalField(_("hệ số"), max_digits=12, decimal_places=4, default=1)
    decimals = models.PositiveSmallIntegerField(_("số chữ số thập phân"), default=1)
    unit_label = models.CharField(_("đơn vị tính"), max_length=50, blank=True)
    groups = models.ManyToManyField(IndicatorGroup, blank=True, related_name="indicators")

    class Meta:
        verbose_name = _("chỉ số")
        verbose_name_plural = pgettext_lazy("plural", "chỉ số")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Target(models.Model):
    """Chỉ tiêu kế hoạch: the year's target of an indicator for a unit."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    unit = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("năm"))
    value = models.DecimalField(_("kế hoạch"), max_digits=20, decimal_places=4)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "unit", "year"], name="reporting_target_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}/{self.unit_id}/{self.year}"


class Form(models.Model):
    """Biểu mẫu báo cáo (DHIS2's data set): what units report, how often, by when."""

    code = models.CharField(_("ký hiệu biểu"), max_length=CODE_MAX, unique=True)
    name = models.CharField(_("tên biểu"), max_length=300)
    description = models.TextField(_("mô tả"), blank=True)
    legal_basis = models.CharField(_("căn cứ"), max_length=300, blank=True)
    version = models.PositiveIntegerField(_("phiên bản"), default=1)
    period_type = models.CharField(_("kỳ báo cáo"), max_length=20, choices=PERIOD_TYPES)
    deadline_days = models.PositiveSmallIntegerField(
        _("hạn gửi (ngày làm việc sau ngày chốt)"), default=2
    )
    recipient = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="reporting_forms_received",
        verbose_name=_("cơ quan nhận báo cáo"),
    )
    units = models.ManyToManyField(
        Agency, related_name="reporting_forms", verbose_name=_("đơn vị báo cáo")
    )
    requires_acceptance = models.BooleanField(_("cấp trên tiếp nhận sau phê duyệt"), default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("biểu mẫu báo cáo")
        verbose_name_plural = pgettext_lazy("plural", "biểu mẫu báo cáo")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def period_kind(self) -> PeriodType:
        return PeriodType(self.period_type)


class Section(models.Model):
    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="sections")
    name = models.CharField(_("tên phần"), max_length=200)
    sort_order = models.PositiveSmallIntegerField(default=0)
    elements = models.ManyToManyField(DataElement, through="SectionElement")

    class Meta:
        ordering = ["form", "sort_order", "pk"]

    def __str__(self) -> str:
        return self.name


class SectionElement(models.Model):
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="rows")
    element = models.ForeignKey(DataElement, on_delete=models.PROTECT, related_name="+")
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["section", "sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["section", "element"], name="reporting_row_once")
        ]

    def __str__(self) -> str:
        return f"{self.section_id}/{self.element_id}"


class ValidationRule(models.Model):
    """Quy tắc kiểm tra: ``left operator right``, checked on save and on demand."""

    class Operator(models.TextChoices):
        EQ = "==", "="
        NE = "!=", "≠"
        GT = ">", ">"
        GE = ">=", "≥"
        LT = "<", "<"
        LE = "<=", "≤"

    class Importance(models.TextChoices):
        HIGH = "high", _("Cao")
        MEDIUM = "medium", _("Trung bình")
        LOW = "low", _("Thấp")

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="rules")
    code = models.CharField(_("mã"), max_length=CODE_MAX)
    name = models.CharField(_("nội dung kiểm tra"), max_length=300)
    left = models.CharField(_("vế trái"), max_length=2000)
    operator = models.CharField(_("phép so sánh"), max_length=2, choices=Operator.choices)
    right = models.CharField(_("vế phải"), max_length=2000)
    importance = models.CharField(
        _("mức độ"), max_length=10, choices=Importance.choices, default=Importance.MEDIUM
    )

    class Meta:
        ordering = ["form", "code"]
        constraints = [models.UniqueConstraint(fields=["form", "code"], name="reporting_rule_code")]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class DataValue(models.Model):
    """One figure: element × disaggregation × unit × period."""

    class Source(models.TextChoices):
        ENTERED = "entered", _("Nhập trên web")
        IMPORTED = "imported", _("Nhập từ Excel")
        MEASURED = "measured", _("Đo tự động")
        API = "api", _("Qua API")

    element = models.ForeignKey(DataElement, on_delete=models.PROTECT, related_name="values")
    disaggregation = models.CharField(max_length=200, default="", blank=True)
    unit = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=8)
    value = models.DecimalField(max_digits=20, decimal_places=4)
    comment = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ENTERED)
    # For measured values: the metric, when and how it was computed.
    lineage = models.JSONField(null=True, blank=True)
    stored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["element", "period", "unit", "disaggregation"],
                name="reporting_value_once",
            )
        ]
        indexes = [models.Index(fields=["unit", "period"], name="reporting_value_unit_pe")]

    def __str__(self) -> str:
        return f"{self.element_id}/{self.unit_id}/{self.period}: {self.value}"


class UnitClosure(models.Model):
    """Every (ancestor, descendant) pair of the agency tree, itself included (depth 0):
    roll-ups up the hierarchy are one join instead of a recursive walk."""

    ancestor = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    descendant = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    depth = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ancestor", "descendant"], name="reporting_closure_pair"
            )
        ]
        indexes = [models.Index(fields=["descendant"], name="reporting_closure_desc")]

    def __str__(self) -> str:
        return f"{self.ancestor_id} ⊇ {self.descendant_id}"


class AggregateValue(models.Model):
    """Pre-aggregated totals of an element for a unit that has units below it (its own
    values and theirs, all disaggregations) and one stored period, kept current on every
    change of a value."""

    element = models.ForeignKey(DataElement, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=8)
    total = models.DecimalField(max_digits=24, decimal_places=4)
    count = models.PositiveIntegerField()
    minimum = models.DecimalField(max_digits=20, decimal_places=4)
    maximum = models.DecimalField(max_digits=20, decimal_places=4)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["element", "unit", "period"], name="reporting_aggregate_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.element_id}/{self.unit_id}/{self.period}: {self.total}"


class Completion(models.Model):
    """A unit has finished its form for a period (hoàn thành báo cáo): timeliness."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="completions")
    unit = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=8)
    completed_at = models.DateTimeField()
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    on_time = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["form", "unit", "period"], name="reporting_completion_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.form_id}/{self.unit_id}/{self.period}"


class Approval(models.Model):
    """Phê duyệt: the data of a form, unit and period approved (and, when the form asks
    for it, accepted by the level above). While it exists the data is locked."""

    class State(models.TextChoices):
        APPROVED = "approved", _("Đã phê duyệt")
        ACCEPTED = "accepted", _("Cấp trên đã tiếp nhận")

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="approvals")
    unit = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=8)
    state = models.CharField(max_length=10, choices=State.choices, default=State.APPROVED)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    comment = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["form", "unit", "period"], name="reporting_approval_once"
            ),
            models.CheckConstraint(
                condition=Q(state="approved") | Q(accepted_at__isnull=False),
                name="reporting_accepted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.form_id}/{self.unit_id}/{self.period}: {self.state}"


class ApprovalEvent(models.Model):
    """The trail of approval steps with their comments."""

    class Action(models.TextChoices):
        APPROVE = "approve", _("Phê duyệt")
        UNAPPROVE = "unapprove", _("Hủy phê duyệt")
        ACCEPT = "accept", _("Tiếp nhận")
        UNACCEPT = "unaccept", _("Hủy tiếp nhận")

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=8)
    action = models.CharField(max_length=10, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    comment = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.form_id}/{self.unit_id}/{self.period}"


class ExportMapping(models.Model):
    """Which indicator goes to the government reporting system under which code."""

    recipient = models.CharField(_("hệ thống nhận"), max_length=100)
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    external_code = models.CharField(_("mã bên nhận"), max_length=100)

    class Meta:
        ordering = ["recipient", "external_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "indicator"], name="reporting_mapping_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.external_code}"


class ExportDelivery(models.Model):
    """Delivery log of pushes to the government reporting system."""

    class Status(models.TextChoices):
        DELIVERED = "delivered", _("Đã gửi")
        FAILED = "failed", _("Lỗi")

    recipient = models.CharField(max_length=100)
    period = models.CharField(max_length=8)
    unit = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    format = models.CharField(max_length=10)
    status = models.CharField(max_length=10, choices=Status.choices)
    values = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)
    response = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.recipient} {self.period} {self.status}"
