"""Tables of the DTI module: frameworks (a tree of indices, versioned by year), assessment
rounds, the units' self-assessments with evidence, the appraisal council's reviews and
decisions, appeals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from thudo.core.models import Agency
from thudo.dti.contracts import (
    CouncilRole,
    Level,
    Method,
    ReviewVerdict,
    RoundStatus,
    UnitStatus,
)

POINTS: dict[str, Any] = {"max_digits": 8, "decimal_places": 2}
VALUE: dict[str, Any] = {"max_digits": 14, "decimal_places": 4}


class Framework(models.Model):
    """Bộ chỉ số: one version of a framework for a year, as imported."""

    code = models.CharField(_("mã bộ chỉ số"), max_length=30)
    year = models.PositiveSmallIntegerField(_("năm"))
    version = models.PositiveSmallIntegerField(_("phiên bản"), default=1)
    name = models.CharField(_("tên"), max_length=255)
    legal_basis = models.CharField(_("căn cứ"), max_length=500, blank=True)
    applies_to = models.JSONField(_("áp dụng cho"), default=list)
    peer_group = models.CharField(_("nhóm xếp hạng"), max_length=100, blank=True)
    sample = models.BooleanField(_("mẫu minh họa"), default=False)
    note = models.TextField(_("ghi chú"), blank=True)
    max_points = models.DecimalField(_("điểm tối đa"), **POINTS)
    digest = models.CharField(max_length=64)
    document = models.JSONField(default=dict)  # what was imported, for export
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("bộ chỉ số")
        verbose_name_plural = _("bộ chỉ số")
        ordering = ["-year", "code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "year", "version"], name="dti_framework_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.year}, v{self.version})"


class Node(models.Model):
    """A group, a main index or a sub-index of a framework."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="nodes")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    level = models.CharField(max_length=5, choices=[(v.value, v.value) for v in Level])
    code = models.CharField(_("mã"), max_length=20)
    name = models.CharField(_("tên"), max_length=500)
    position = models.PositiveIntegerField(default=0)
    max_points = models.DecimalField(_("điểm tối đa"), **POINTS, default=Decimal(0))
    method = models.CharField(
        max_length=8, choices=[(v.value, v.value) for v in Method], blank=True
    )
    target = models.DecimalField(**VALUE, null=True, blank=True)
    tiers = models.JSONField(default=list, blank=True)  # [[threshold, points], …] high first
    value_unit = models.CharField(max_length=30, blank=True)
    evidence = models.CharField(max_length=10, default="optional")
    applies_to = models.JSONField(default=list, blank=True)  # [] = the framework's
    measure_source = models.CharField(max_length=200, blank=True)
    tolerance = models.DecimalField(**VALUE, null=True, blank=True)
    guidance = models.TextField(blank=True)

    class Meta:
        ordering = ["framework", "position"]
        constraints = [models.UniqueConstraint(fields=["framework", "code"], name="dti_node_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def scored(self) -> bool:
        return self.max_points > 0

    def applies(self, kind: str) -> bool:
        kinds = self.applies_to or self.framework.applies_to
        return not kinds or kind in kinds


class Round(models.Model):
    """Đợt đánh giá: a year's assessment of the units in scope on one framework."""

    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="rounds")
    year = models.PositiveSmallIntegerField(_("năm đánh giá"))
    name = models.CharField(_("tên đợt"), max_length=255)
    status = models.CharField(
        max_length=10, choices=[(v.value, v.value) for v in RoundStatus], default="draft"
    )
    standing_body = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("cơ quan thường trực")
    )
    self_deadline_days = models.PositiveSmallIntegerField(default=20)
    self_deadline = models.DateField(null=True, blank=True)
    appeal_days = models.PositiveSmallIntegerField(_("số ngày làm việc được kiến nghị"), default=5)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("đợt đánh giá")
        ordering = ["-year", "name"]
        constraints = [models.UniqueConstraint(fields=["framework", "year"], name="dti_round_year")]

    def __str__(self) -> str:
        return self.name


class RoundUnit(models.Model):
    """A unit in a round's scope: its self-assessment, then the council's decision."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="units")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=20, choices=[(v.value, v.value) for v in UnitStatus], default="draft"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    signed_pdf = models.BinaryField(null=True, blank=True)  # the leader's signed submission
    decided_at = models.DateTimeField(null=True, blank=True)
    appeal_until = models.DateField(null=True, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    self_points = models.DecimalField(**POINTS, default=Decimal(0))
    final_points = models.DecimalField(**POINTS, null=True, blank=True)
    max_points = models.DecimalField(**POINTS, default=Decimal(0))

    class Meta:
        ordering = ["round", "agency__code"]
        constraints = [models.UniqueConstraint(fields=["round", "agency"], name="dti_round_unit")]

    def __str__(self) -> str:
        return f"{self.agency.name} — {self.round.name}"


class Score(models.Model):
    """One sub-index of one unit: what it reports, what the platform measured, what the
    council decided."""

    unit = models.ForeignKey(RoundUnit, on_delete=models.CASCADE, related_name="scores")
    node = models.ForeignKey(Node, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(**VALUE, null=True, blank=True)  # ratio / tiers / yes_no 1|0
    self_points = models.DecimalField(**POINTS, null=True, blank=True)
    explanation = models.TextField(blank=True)
    measured_value = models.DecimalField(**VALUE, null=True, blank=True)
    measured_points = models.DecimalField(**POINTS, null=True, blank=True)
    measured_lineage = models.TextField(blank=True)
    measured_at = models.DateTimeField(null=True, blank=True)
    flagged = models.BooleanField(default=False)
    final_points = models.DecimalField(**POINTS, null=True, blank=True)
    final_reason = models.TextField(blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["unit", "node__position"]
        constraints = [models.UniqueConstraint(fields=["unit", "node"], name="dti_score_unit_node")]

    def __str__(self) -> str:
        return f"{self.unit_id}:{self.node_id}"


class Evidence(models.Model):
    """Minh chứng: an uploaded file (type sniffed, size capped) or a link."""

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="evidence")
    name = models.CharField(max_length=200)
    url = models.URLField(max_length=500, blank=True)
    media_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    content = models.BinaryField(null=True, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["score", "added_at", "pk"]

    def __str__(self) -> str:
        return self.name


class CouncilMember(models.Model):
    """A member of a round's appraisal council (Hội đồng thẩm định)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(
        max_length=12, choices=[(v.value, v.value) for v in CouncilRole], default="member"
    )
    title = models.CharField(max_length=255, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["round", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["round", "user"], name="dti_council_member")]

    def __str__(self) -> str:
        return self.user.full_name or self.user.get_username()


class Review(models.Model):
    """A member's proposal for one sub-index of one unit: confirm or adjust, with reason.
    Given once (a member does not vote twice)."""

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="reviews")
    member = models.ForeignKey(CouncilMember, on_delete=models.PROTECT, related_name="reviews")
    stage = models.PositiveSmallIntegerField(default=1)  # 1 = appraisal, 2 = appeal
    verdict = models.CharField(max_length=7, choices=[(v.value, v.value) for v in ReviewVerdict])
    points = models.DecimalField(**POINTS)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["score", "member__position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["score", "member", "stage"], name="dti_review_once")
        ]

    def __str__(self) -> str:
        return f"{self.member_id}:{self.score_id}:{self.stage}"


class Decision(models.Model):
    """The council's conclusion on a unit (stage 1) or on its appeal (stage 2): who took
    part, who agreed; valid only with the quorum."""

    unit = models.ForeignKey(RoundUnit, on_delete=models.CASCADE, related_name="decisions")
    stage = models.PositiveSmallIntegerField(default=1)
    participants = models.ManyToManyField(CouncilMember, related_name="+")
    agreed = models.ManyToManyField(CouncilMember, related_name="+")
    members_total = models.PositiveSmallIntegerField()
    points = models.DecimalField(**POINTS)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["unit", "stage"]
        constraints = [models.UniqueConstraint(fields=["unit", "stage"], name="dti_decision_stage")]

    def __str__(self) -> str:
        return f"{self.unit_id}:{self.stage}"


class Appeal(models.Model):
    """Kiến nghị: the unit asks the council to look again at some sub-indices."""

    class Status(models.TextChoices):
        OPEN = "open", _("Đang xem xét")
        RESOLVED = "resolved", _("Đã giải quyết")

    unit = models.OneToOneField(RoundUnit, on_delete=models.CASCADE, related_name="appeal")
    nodes = models.ManyToManyField(Node, related_name="+")
    reason = models.TextField()
    filed_at = models.DateTimeField(auto_now_add=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default="open")
    resolution = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.reason[:50]}"
