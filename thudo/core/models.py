"""Kernel tables: administrative units, agencies, accounts and roles, audit log, calendar."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from thudo.core.identifiers import validate_agency_code, validate_gso_code
from thudo.core.text import fold


class AdministrativeUnit(models.Model):
    """Đơn vị hành chính, versioned by effective date (the 2025 reform changed them all)."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Cấp tỉnh")
        DISTRICT = "district", _("Cấp huyện")
        COMMUNE = "commune", _("Cấp xã")

    class Kind(models.TextChoices):
        CENTRAL_CITY = "central_city", _("Thành phố trực thuộc trung ương")
        PROVINCE = "province", _("Tỉnh")
        URBAN_DISTRICT = "urban_district", _("Quận")
        RURAL_DISTRICT = "rural_district", _("Huyện")
        TOWN = "town", _("Thị xã")
        PROVINCIAL_CITY = "provincial_city", _("Thành phố thuộc tỉnh")
        WARD = "ward", _("Phường")
        COMMUNE = "commune", _("Xã")
        TOWNSHIP = "township", _("Thị trấn")
        SPECIAL_ZONE = "special_zone", _("Đặc khu")

    code = models.CharField(_("mã"), max_length=5, validators=[validate_gso_code])
    name = models.CharField(_("tên"), max_length=200)
    search_name = models.CharField(max_length=200, editable=False, db_index=True)
    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    level = models.CharField(_("cấp"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("đơn vị cấp trên"),
    )
    valid_from = models.DateField(_("hiệu lực từ"))
    valid_to = models.DateField(_("hết hiệu lực từ"), null=True, blank=True)

    class Meta:
        verbose_name = _("đơn vị hành chính")
        verbose_name_plural = pgettext_lazy("plural", "đơn vị hành chính")
        ordering = ["code", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="unit_code_valid_from"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="unit_validity_ordered",
            ),
        ]
        indexes = [models.Index(fields=["parent", "valid_to"], name="unit_parent_current")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_name = fold(self.name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Agency(models.Model):
    """Cơ quan, đơn vị: an agency with its Decision-20/2020 code."""

    class Kind(models.TextChoices):
        PROVINCIAL_COMMITTEE = "provincial_committee", _("Ủy ban nhân dân cấp tỉnh")
        DEPARTMENT = "department", _("Sở, ban, ngành")
        SERVICE_CENTRE = "service_centre", _("Trung tâm Phục vụ hành chính công")
        DISTRICT_COMMITTEE = "district_committee", _("Ủy ban nhân dân cấp huyện")
        COMMUNE_COMMITTEE = "commune_committee", _("Ủy ban nhân dân cấp xã")
        PUBLIC_SERVICE_UNIT = "public_service_unit", _("Đơn vị sự nghiệp")
        CENTRAL_AGENCY = "central_agency", _("Cơ quan trung ương")
        OTHER = "other", _("Khác")

    code = models.CharField(
        _("mã định danh"), max_length=35, unique=True, validators=[validate_agency_code]
    )
    name = models.CharField(_("tên"), max_length=255)
    short_name = models.CharField(_("tên viết tắt"), max_length=50, blank=True)
    search_name = models.CharField(max_length=255, editable=False, db_index=True)
    kind = models.CharField(_("loại cơ quan"), max_length=30, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("cơ quan cấp trên"),
    )
    unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        related_name="agencies",
        verbose_name=_("đơn vị hành chính phục vụ"),
    )
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cơ quan")
        verbose_name_plural = pgettext_lazy("plural", "cơ quan")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_name = fold(self.name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class User(AbstractUser):
    """An account: an official (cán bộ, công chức) or a citizen (công dân).

    Officials sign in with user name and password (and TOTP); citizens only through
    national eID, so their password is unusable.
    """

    class Kind(models.TextChoices):
        OFFICIAL = "official", _("Cán bộ, công chức")
        CITIZEN = "citizen", _("Công dân")

    class Gender(models.TextChoices):
        MALE = "male", _("Nam")
        FEMALE = "female", _("Nữ")

    kind = models.CharField(
        _("loại tài khoản"), max_length=10, choices=Kind.choices, default=Kind.OFFICIAL
    )
    full_name = models.CharField(_("họ và tên"), max_length=150, blank=True)
    personal_id = models.CharField(
        _("số định danh cá nhân"), max_length=12, null=True, blank=True, unique=True
    )
    birth_date = models.DateField(_("ngày sinh"), null=True, blank=True)
    gender = models.CharField(_("giới tính"), max_length=6, choices=Gender.choices, blank=True)
    eid_loa = models.PositiveSmallIntegerField(_("mức định danh điện tử"), null=True, blank=True)
    must_change_password = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("tài khoản")
        verbose_name_plural = pgettext_lazy("plural", "tài khoản")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="official") | Q(personal_id__isnull=False),
                name="citizen_has_personal_id",
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_citizen(self) -> bool:
        return self.kind == self.Kind.CITIZEN

    @property
    def is_official(self) -> bool:
        return self.kind == self.Kind.OFFICIAL


class Role(models.TextChoices):
    CLERK = "clerk", _("Cán bộ tiếp nhận (một cửa)")
    SPECIALIST = "specialist", _("Chuyên viên")
    HEAD = "head", _("Trưởng phòng")
    LEADER = "leader", _("Lãnh đạo cơ quan")
    AGENCY_ADMIN = "agency_admin", _("Quản trị cơ quan")
    PLATFORM_ADMIN = "platform_admin", _("Quản trị nền tảng")


class Membership(models.Model):
    """An official's role in an agency. Revoked roles stay for history."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices)
    title = models.CharField(_("chức vụ"), max_length=100, blank=True)
    granted_at = models.DateTimeField(auto_now_add=True)
    granted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("vai trò tại cơ quan")
        verbose_name_plural = pgettext_lazy("plural", "vai trò tại cơ quan")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "agency", "role"],
                condition=Q(revoked_at__isnull=True),
                name="one_active_role_per_agency",
            )
        ]
        indexes = [models.Index(fields=["agency", "revoked_at"], name="membership_agency_active")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.agency}"


class AuditChainHead(models.Model):
    """The last link of the audit chain; locked by every writer so the chain stays linear."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"


class AuditEvent(models.Model):
    """Nhật ký: append-only and hash-chained (see ``thudo.core.audit``)."""

    seq = models.BigIntegerField(unique=True)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    actor_label = models.CharField(max_length=150, blank=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=100, blank=True)
    data_subject = models.CharField(max_length=12, blank=True, db_index=True)
    purpose = models.CharField(max_length=500, blank=True)
    ip = models.GenericIPAddressField(null=True)
    request_id = models.CharField(max_length=64, blank=True)
    payload = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("sự kiện nhật ký")
        verbose_name_plural = pgettext_lazy("plural", "nhật ký")
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["agency", "seq"], name="audit_agency_seq"),
            models.Index(fields=["action", "occurred_at"], name="audit_action_time"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"


class CalendarOverride(models.Model):
    """A local change to the national holiday calendar: an extra day off or a working swap."""

    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("Ngày nghỉ")
        WORKING_DAY = "working_day", _("Ngày làm việc (làm bù)")

    date = models.DateField(_("ngày"), unique=True)
    kind = models.CharField(_("loại"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("tên"), max_length=200)
    legal_basis = models.CharField(_("căn cứ"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("điều chỉnh lịch làm việc")
        verbose_name_plural = pgettext_lazy("plural", "điều chỉnh lịch làm việc")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date}: {self.name}"


class ApiToken(models.Model):
    """A personal API token for machines acting as an official; stored hashed, shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("tên"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("khóa API")
        verbose_name_plural = pgettext_lazy("plural", "khóa API")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
