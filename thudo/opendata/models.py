"""Tables of the open-data portal (cổng dữ liệu mở).

CKAN's model on the kernel's agencies: organisations (the agencies that publish), groups
(themes), tags, datasets with their resources, and a datastore table per tabular
resource. Every change of a dataset is a new revision whose whole public record is kept
(``DatasetVersion``), so old versions stay readable. ``FacetValue`` holds each dataset's
facet values in one narrow table so search counts facets with one GROUP BY on both
databases; on PostgreSQL a ``search_vector`` column kept by a trigger (migration 0002)
serves full-text search.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from thudo.core.models import Agency
from thudo.opendata.contracts import DatasetState, DatastoreStatus

NAME_MAX = 100


class Organization(models.Model):
    """Tổ chức: an agency that publishes open data."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.OneToOneField(Agency, on_delete=models.PROTECT, related_name="+")
    name = models.SlugField(_("tên định danh"), max_length=NAME_MAX, unique=True)
    description = models.TextField(_("giới thiệu"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tổ chức công bố dữ liệu")
        verbose_name_plural = pgettext_lazy("plural", "tổ chức công bố dữ liệu")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Group(models.Model):
    """Chủ đề: a theme datasets are grouped under (CKAN's group)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.SlugField(_("tên định danh"), max_length=NAME_MAX, unique=True)
    title = models.CharField(_("tên chủ đề"), max_length=200)
    title_en = models.CharField(_("tên tiếng Anh"), max_length=200, blank=True)
    description = models.TextField(_("mô tả"), blank=True)
    eu_theme = models.CharField(_("chủ đề EU"), max_length=4, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("chủ đề")
        verbose_name_plural = pgettext_lazy("plural", "chủ đề")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.title


class Tag(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("từ khóa"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("từ khóa")
        verbose_name_plural = pgettext_lazy("plural", "từ khóa")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Dataset(models.Model):
    """Bộ dữ liệu: CKAN's package, with Decree 47's open-data list fields."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.SlugField(_("tên định danh"), max_length=NAME_MAX, unique=True)
    title = models.CharField(_("tên bộ dữ liệu"), max_length=300)
    title_en = models.CharField(_("tên tiếng Anh"), max_length=300, blank=True)
    notes = models.TextField(_("mô tả"), blank=True)
    notes_en = models.TextField(_("mô tả tiếng Anh"), blank=True)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="datasets"
    )
    groups = models.ManyToManyField(Group, blank=True, related_name="datasets")
    tags = models.ManyToManyField(Tag, blank=True, related_name="datasets")
    license_id = models.CharField(_("giấy phép"), max_length=50)
    private = models.BooleanField(_("nội bộ"), default=False)
    state = models.CharField(max_length=10, default=DatasetState.DRAFT)
    version = models.CharField(_("phiên bản"), max_length=100, blank=True)
    url = models.URLField(_("trang nguồn"), max_length=500, blank=True)
    author = models.CharField(_("tác giả"), max_length=200, blank=True)
    author_email = models.EmailField(blank=True)
    maintainer = models.CharField(_("đầu mối liên hệ"), max_length=200, blank=True)
    maintainer_email = models.EmailField(_("thư điện tử liên hệ"), blank=True)
    frequency = models.CharField(_("tần suất cập nhật"), max_length=20, blank=True)
    temporal_start = models.DateField(_("dữ liệu từ ngày"), null=True, blank=True)
    temporal_end = models.DateField(_("dữ liệu đến ngày"), null=True, blank=True)
    spatial = models.JSONField(_("phạm vi (mã đơn vị hành chính)"), default=list, blank=True)
    language = models.CharField(max_length=10, default="vi")
    extras = models.JSONField(default=dict, blank=True)
    in_open_data_list = models.BooleanField(_("thuộc danh mục dữ liệu mở"), default=False)
    reviewed_on = models.DateField(_("rà soát lần cuối"), null=True, blank=True)
    data_updated_at = models.DateTimeField(_("dữ liệu cập nhật lần cuối"), null=True, blank=True)
    revision = models.PositiveIntegerField(default=1)
    source = models.CharField(max_length=20, blank=True)
    source_ref = models.CharField(max_length=100, blank=True)
    lineage = models.JSONField(null=True, blank=True)
    search_title = models.CharField(max_length=300, editable=False)
    search_body = models.TextField(editable=False)
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()

    class Meta:
        verbose_name = _("bộ dữ liệu")
        verbose_name_plural = pgettext_lazy("plural", "bộ dữ liệu")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in DatasetState]), name="dataset_state_known"
            ),
            models.UniqueConstraint(
                fields=["source", "source_ref"],
                condition=~Q(source=""),
                name="dataset_one_per_source",
            ),
        ]
        indexes = [
            models.Index(
                fields=["state", "private", "-modified_at"], name="dataset_visible_recent"
            ),
            models.Index(fields=["organization", "state"], name="dataset_org_state"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.state == DatasetState.ACTIVE and not self.private


class DatasetVersion(models.Model):
    """One revision of a dataset: its whole public record as ``package_show`` gave it."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    revision = models.PositiveIntegerField()
    data = models.JSONField()
    note = models.CharField(max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["dataset", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "revision"], name="dataset_revision_once")
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id} r{self.revision}"


class FacetValue(models.Model):
    """One facet value of a dataset (organization, groups, tags, res_format, license_id)."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=20)
    value = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dataset", "field", "value"], name="facet_value_once")
        ]
        indexes = [models.Index(fields=["field", "value"], name="facet_field_value")]

    def __str__(self) -> str:
        return f"{self.field}:{self.value}"


def _upload_to(instance: Resource, filename: str) -> str:
    return f"opendata/{instance.dataset_id}/{instance.id}/{filename}"


class Resource(models.Model):
    """Tài nguyên: a file of a dataset, uploaded or linked."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="resources")
    name = models.CharField(_("tên"), max_length=300)
    description = models.TextField(_("mô tả"), blank=True)
    url = models.URLField(_("đường dẫn"), max_length=1000, blank=True)
    file = models.FileField(upload_to=_upload_to, max_length=300, blank=True)
    format = models.CharField(_("định dạng"), max_length=20, blank=True)
    mimetype = models.CharField(max_length=100, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    hash = models.CharField(max_length=80, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    last_modified = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("tài nguyên")
        verbose_name_plural = pgettext_lazy("plural", "tài nguyên")
        ordering = ["dataset", "position"]

    def __str__(self) -> str:
        return self.name

    @property
    def url_type(self) -> str:
        return "upload" if self.file else ""


class Datastore(models.Model):
    """The typed table a tabular resource is loaded into, and how its load went."""

    resource = models.OneToOneField(
        Resource, on_delete=models.CASCADE, primary_key=True, related_name="datastore"
    )
    table_name = models.CharField(max_length=63, unique=True)
    fields = models.JSONField(default=list)
    primary_key = models.JSONField(default=list, blank=True)
    overrides = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, default=DatastoreStatus.PENDING)
    row_count = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    encoding = models.CharField(max_length=30, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When a table was last swapped in whole: it is served from then on, whatever a later
    # load attempt (pending, running or failed, in ``status``) is doing.
    loaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("bảng dữ liệu")
        verbose_name_plural = pgettext_lazy("plural", "bảng dữ liệu")

    def __str__(self) -> str:
        return self.table_name

    @property
    def active(self) -> bool:
        return self.loaded_at is not None


class Review(models.Model):
    """A Decree 47 review of a dataset's place in the open-data list (rà soát)."""

    class Outcome(models.TextChoices):
        KEPT = "kept", _("Giữ trong danh mục")
        ADDED = "added", _("Đưa vào danh mục")
        REMOVED = "removed", _("Đưa ra khỏi danh mục")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="reviews")
    reviewed_on = models.DateField(_("ngày rà soát"))
    outcome = models.CharField(_("kết quả"), max_length=10, choices=Outcome.choices)
    note = models.CharField(_("ghi chú"), max_length=500, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("lần rà soát")
        verbose_name_plural = pgettext_lazy("plural", "lần rà soát")
        ordering = ["dataset", "-reviewed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.dataset_id} {self.reviewed_on}"
