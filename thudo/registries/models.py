"""Tables of the simulated national population database (cơ sở dữ liệu quốc gia về dân cư)
and business registration database (cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp).

Rows are loaded in bulk by ``services.population_generate`` (COPY on PostgreSQL), never
one by one, so the tables carry only the indexes that lookups need: primary keys, foreign
keys, the folded name and the order of the changes feeds. Every index costs load speed
(PERFORMANCE.md).
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from thudo.core.models import AdministrativeUnit


class Household(models.Model):
    """Hộ gia đình: people registered at one address, one of them the head (chủ hộ)."""

    code = models.CharField(_("mã hộ"), max_length=12, primary_key=True)
    province_code = models.CharField(_("mã tỉnh"), max_length=2)
    commune = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("xã, phường"),
    )
    address = models.CharField(_("địa chỉ"), max_length=200)
    # Not a foreign key: households and people are loaded in one pass each.
    head_personal_id = models.CharField(_("số định danh của chủ hộ"), max_length=12)
    created = models.DateTimeField(_("ngày tạo"))
    batch = models.CharField(_("lô sinh dữ liệu"), max_length=40)

    class Meta:
        verbose_name = _("hộ gia đình")
        verbose_name_plural = pgettext_lazy("plural", "hộ gia đình")

    def __str__(self) -> str:
        return self.code


class Person(models.Model):
    """Công dân: one person of the population database, keyed by the personal ID."""

    class Sex(models.TextChoices):
        MALE = "male", _("Nam")
        FEMALE = "female", _("Nữ")

    class Relation(models.TextChoices):
        HEAD = "head", _("Chủ hộ")
        SPOUSE = "spouse", _("Vợ, chồng")
        CHILD = "child", _("Con")
        PARENT = "parent", _("Cha, mẹ")
        OTHER = "other", _("Quan hệ khác")

    personal_id = models.CharField(_("số định danh cá nhân"), max_length=12, primary_key=True)
    family_name = models.CharField(_("họ"), max_length=30)
    middle_name = models.CharField(_("tên đệm"), max_length=30)
    given_name = models.CharField(pgettext_lazy("given name", "tên"), max_length=30)
    full_name = models.CharField(_("họ và tên"), max_length=100)
    search_name = models.CharField(max_length=100)
    birth_date = models.DateField(_("ngày sinh"))
    sex = models.CharField(_("giới tính"), max_length=6, choices=Sex.choices)
    # The index is declared in Meta: a field index on a varchar foreign key would get a
    # second "_like" index on PostgreSQL that no query here uses.
    household = models.ForeignKey(
        Household,
        on_delete=models.CASCADE,
        related_name="members",
        db_index=False,
        verbose_name=_("hộ gia đình"),
    )
    relation = models.CharField(_("quan hệ với chủ hộ"), max_length=6, choices=Relation.choices)
    commune = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("nơi thường trú"),
    )
    birth_province_code = models.CharField(_("mã tỉnh đăng ký khai sinh"), max_length=3)
    batch = models.CharField(_("lô sinh dữ liệu"), max_length=40)
    # The record exists but the registry may not disclose it (Circular 13's third answer).
    restricted = models.BooleanField(_("không được cung cấp"), default=False)
    # Filled by the database when a row arrives without it: the bulk load leaves the
    # column out of its COPY, because parsing a timestamp per row costs PostgreSQL about
    # a third more time than the rest of the row (bench/population.py, measured).
    updated_at = models.DateTimeField(_("cập nhật lúc"), db_default=Now())

    class Meta:
        verbose_name = _("công dân")
        verbose_name_plural = pgettext_lazy("plural", "công dân")
        indexes = [
            # The changes feed pages through (updated_at, personal_id) row values.
            models.Index(fields=["updated_at", "personal_id"], name="person_changes"),
            models.Index(fields=["household"], name="person_household"),
            # Pattern operators serve both equality and prefix (LIKE 'nguyen van%')
            # searches whatever the database collation; ignored on SQLite.
            models.Index(
                fields=["search_name"],
                name="person_search_name",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.personal_id})"


class Business(models.Model):
    """Doanh nghiệp or hộ kinh doanh: one registration, keyed by its tax code (mã số thuế)."""

    class Kind(models.TextChoices):
        LLC_ONE = "llc_one", _("Công ty TNHH một thành viên")
        LLC_MULTI = "llc_multi", _("Công ty TNHH hai thành viên trở lên")
        JOINT_STOCK = "joint_stock", _("Công ty cổ phần")
        PRIVATE = "private", _("Doanh nghiệp tư nhân")
        HOUSEHOLD = "household", _("Hộ kinh doanh")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Đang hoạt động")
        SUSPENDED = "suspended", _("Tạm ngừng kinh doanh")
        DISSOLVED = "dissolved", _("Đã giải thể")

    tax_code = models.CharField(_("mã số thuế"), max_length=10, primary_key=True)
    name = models.CharField(_("tên"), max_length=200)
    kind = models.CharField(_("loại hình"), max_length=11, choices=Kind.choices)
    status = models.CharField(_("tình trạng"), max_length=9, choices=Status.choices)
    registered_on = models.DateField(_("ngày đăng ký lần đầu"))
    province_code = models.CharField(_("mã tỉnh"), max_length=2)
    address = models.CharField(_("địa chỉ trụ sở"), max_length=200)
    commune = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("xã, phường của trụ sở"),
    )
    # Not a foreign key: the population is another database in real life, and the two
    # tables are loaded in one pass each.
    representative_personal_id = models.CharField(
        _("số định danh của người đại diện theo pháp luật"), max_length=12
    )
    representative_name = models.CharField(
        _("họ và tên người đại diện theo pháp luật"), max_length=100
    )
    # VSIC codes of the registered business lines (ngành, nghề kinh doanh), main line first.
    lines = models.JSONField(_("ngành, nghề kinh doanh"), default=list)
    restricted = models.BooleanField(_("không được cung cấp"), default=False)
    # As for people: the database stamps rows the bulk load leaves it out of.
    updated_at = models.DateTimeField(_("cập nhật lúc"), db_default=Now())
    batch = models.CharField(_("lô sinh dữ liệu"), max_length=40)

    class Meta:
        verbose_name = _("doanh nghiệp, hộ kinh doanh")
        verbose_name_plural = pgettext_lazy("plural", "doanh nghiệp, hộ kinh doanh")
        indexes = [
            models.Index(fields=["updated_at", "tax_code"], name="business_changes"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.tax_code})"
