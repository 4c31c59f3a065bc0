"""Reads of the open-data portal: CKAN-shaped records of datasets, organisations, groups
and resources, what a user may see, and the Decree 47 dashboard."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.utils import timezone

from thudo.core import rules as core_rules
from thudo.core.models import AdministrativeUnit, Agency
from thudo.opendata import permissions
from thudo.opendata.contracts import (
    FREQUENCIES,
    LICENSE_BY_ID,
    REVIEW_DAYS,
    UPDATE_DAYS,
    DatasetState,
)
from thudo.opendata.models import (
    Dataset,
    DatasetVersion,
    Datastore,
    Group,
    Organization,
    Resource,
    Tag,
)


def base_url() -> str:
    return f"{settings.BASE_URL}/opendata"


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None).isoformat()
    return value.isoformat()


def _is_uuid(value: str) -> bool:
    try:
        UUID(str(value))
    except ValueError:
        return False
    return True


def _public() -> QuerySet[Dataset]:
    return Dataset.objects.filter(state=DatasetState.ACTIVE, private=False)


# --- lookups -------------------------------------------------------------------------------


def by_id_or_name(model: Any, ident: str) -> Any:
    """CKAN accepts an id or a name wherever it takes a reference."""
    ident = str(ident or "").strip()
    if not ident:
        return None
    if _is_uuid(ident):
        found = model.objects.filter(pk=ident).first()
        if found is not None:
            return found
    return model.objects.filter(name=ident).first()


def own_organizations(user: Any) -> list[UUID]:
    """The organisations whose private datasets and drafts ``user`` may see."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    if core_rules.is_platform_admin(user):
        return list(Organization.objects.values_list("pk", flat=True))
    agencies = user.memberships.filter(
        revoked_at__isnull=True, role__in=permissions.EDITOR_ROLES
    ).values("agency_id")
    return list(Organization.objects.filter(agency_id__in=agencies).values_list("pk", flat=True))


def may_see(user: Any, dataset: Dataset) -> bool:
    if dataset.state == DatasetState.DELETED:
        return user is not None and core_rules.is_platform_admin(user)
    if dataset.is_public:
        return True
    return dataset.organization_id in own_organizations(user)


def dataset_get_for_user(*, user: Any, ident: str) -> Dataset | None:
    found = by_id_or_name(Dataset, ident)
    if found is None or not may_see(user, found):
        return None
    return found


def resource_get_for_user(*, user: Any, ident: str) -> Resource | None:
    if not _is_uuid(ident):
        return None
    found = Resource.objects.select_related("dataset").filter(pk=ident).first()
    if found is None or not may_see(user, found.dataset):
        return None
    return found


def datastore_get_for_user(*, user: Any, resource_id: str) -> Datastore | None:
    resource = resource_get_for_user(user=user, ident=resource_id)
    if resource is None:
        return None
    return Datastore.objects.filter(resource=resource).first()


# --- CKAN-shaped records -------------------------------------------------------------------


def _with_related(qs: QuerySet[Dataset]) -> QuerySet[Dataset]:
    return qs.select_related("organization__agency").prefetch_related(
        "tags",
        "groups",
        Prefetch(
            "resources",
            queryset=Resource.objects.select_related("datastore").order_by("position"),
        ),
    )


def organization_dict(org: Organization, *, package_count: int | None = None) -> dict[str, Any]:
    agency = org.agency
    found: dict[str, Any] = {
        "id": str(org.pk),
        "name": org.name,
        "title": agency.name,
        "display_name": agency.name,
        "description": org.description,
        "image_url": "",
        "image_display_url": "",
        "created": _iso(org.created_at),
        "is_organization": True,
        "type": "organization",
        "state": "active",
        "approval_status": "approved",
        "agency_code": agency.code,
    }
    if package_count is not None:
        found["package_count"] = package_count
    return found


def group_dict(group: Group, *, package_count: int | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": str(group.pk),
        "name": group.name,
        "title": group.title,
        "title_en": group.title_en,
        "display_name": group.title,
        "description": group.description,
        "eu_theme": group.eu_theme,
        "image_url": "",
        "image_display_url": "",
        "created": _iso(group.created_at),
        "is_organization": False,
        "type": "group",
        "state": "active",
        "approval_status": "approved",
    }
    if package_count is not None:
        found["package_count"] = package_count
    return found


def resource_url(resource: Resource) -> str:
    if resource.file:
        filename = (resource.file.name or "").rsplit("/", 1)[-1]
        return (
            f"{base_url()}/dataset/{resource.dataset_id}/resource/{resource.pk}/download/{filename}"
        )
    return resource.url


def resource_dict(resource: Resource) -> dict[str, Any]:
    store: Datastore | None = getattr(resource, "datastore", None)
    return {
        "id": str(resource.pk),
        "package_id": str(resource.dataset_id),
        "name": resource.name,
        "description": resource.description,
        "url": resource_url(resource),
        "url_type": resource.url_type,
        "format": resource.format,
        "mimetype": resource.mimetype or None,
        "size": resource.size,
        "hash": resource.hash,
        "created": _iso(resource.created_at),
        "last_modified": _iso(resource.last_modified),
        "metadata_modified": _iso(resource.last_modified or resource.created_at),
        "position": resource.position,
        "state": "active",
        "datastore_active": bool(store and store.active),
    }


def _unit_names(codes: Iterable[str]) -> dict[str, str]:
    return dict(
        AdministrativeUnit.objects.filter(code__in=set(codes), valid_to__isnull=True).values_list(
            "code", "name"
        )
    )


def package_dict(ds: Dataset, unit_names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``package_show``'s record of a dataset (ds fetched with ``_with_related``;
    ``unit_names`` names its GSO codes, looked up when not given)."""
    names = unit_names if unit_names is not None else _unit_names(ds.spatial)
    lic = LICENSE_BY_ID.get(ds.license_id)
    tags = sorted(ds.tags.all(), key=lambda t: t.name)
    groups = sorted(ds.groups.all(), key=lambda g: g.name)
    resources = list(ds.resources.all())
    return {
        "id": str(ds.pk),
        "name": ds.name,
        "title": ds.title,
        "title_en": ds.title_en,
        "notes": ds.notes,
        "notes_en": ds.notes_en,
        "type": "dataset",
        "state": ds.state,
        "private": ds.private,
        "version": ds.version or None,
        "url": ds.url,
        "author": ds.author,
        "author_email": ds.author_email,
        "maintainer": ds.maintainer,
        "maintainer_email": ds.maintainer_email,
        "license_id": ds.license_id,
        "license_title": lic.title if lic else ds.license_id,
        "license_url": lic.url if lic else "",
        "isopen": lic is not None,
        "metadata_created": _iso(ds.created_at),
        "metadata_modified": _iso(ds.modified_at),
        "owner_org": str(ds.organization_id),
        "organization": organization_dict(ds.organization),
        "groups": [group_dict(g) for g in groups],
        "tags": [
            {
                "id": str(t.pk),
                "name": t.name,
                "display_name": t.name,
                "state": "active",
                "vocabulary_id": None,
            }
            for t in tags
        ],
        "num_tags": len(tags),
        "resources": [resource_dict(r) for r in resources],
        "num_resources": len(resources),
        "extras": [{"key": k, "value": v} for k, v in sorted(ds.extras.items())],
        "frequency": ds.frequency,
        "temporal_start": _iso(ds.temporal_start),
        "temporal_end": _iso(ds.temporal_end),
        "spatial": [{"code": c, "name": names.get(c, c)} for c in ds.spatial],
        "language": ds.language,
        "in_open_data_list": ds.in_open_data_list,
        "last_reviewed": _iso(ds.reviewed_on),
        "data_updated": _iso(ds.data_updated_at),
        "revision": ds.revision,
        "source": ds.source,
        "lineage": ds.lineage,
    }


def package_dicts(ids: Sequence[UUID]) -> list[dict[str, Any]]:
    """Records of ``ids`` in that order, with a fixed number of queries."""
    found = {ds.pk: ds for ds in _with_related(Dataset.objects.filter(pk__in=list(ids)))}
    names = _unit_names(code for ds in found.values() for code in ds.spatial)
    return [package_dict(found[i], names) for i in ids if i in found]


def package_show(ds: Dataset) -> dict[str, Any]:
    return package_dicts([ds.pk])[0]


def package_version(ds: Dataset, revision: int) -> dict[str, Any] | None:
    found = DatasetVersion.objects.filter(dataset=ds, revision=revision).first()
    return found.data if found else None


def versions_of(ds: Dataset) -> QuerySet[DatasetVersion]:
    return DatasetVersion.objects.filter(dataset=ds).select_related("author").defer("data")


def package_names() -> list[str]:
    return list(_public().order_by("name").values_list("name", flat=True))


def _public_counts(field: str) -> dict[Any, int]:
    return dict(_public().values_list(field).annotate(n=Count("pk")).values_list(field, "n"))


def organizations() -> list[tuple[Organization, int]]:
    counts = _public_counts("organization_id")
    orgs = Organization.objects.select_related("agency").order_by("name")
    return [(org, counts.get(org.pk, 0)) for org in orgs]


def organization_titles(names: Sequence[str]) -> list[tuple[str, str]]:
    return list(Organization.objects.filter(name__in=names).values_list("name", "agency__name"))


def group_titles(names: Sequence[str]) -> list[tuple[str, str]]:
    return list(Group.objects.filter(name__in=names).values_list("name", "title"))


def groups() -> list[tuple[Group, int]]:
    counts = _public_counts("groups")
    return [(g, counts.get(g.pk, 0)) for g in Group.objects.order_by("name")]


def tag_names(query: str = "") -> list[str]:
    tags = Tag.objects.filter(
        datasets__state=DatasetState.ACTIVE, datasets__private=False
    ).distinct()
    if query:
        tags = tags.filter(name__icontains=query)
    return list(tags.order_by("name").values_list("name", flat=True))


def recent(limit: int = 6) -> list[dict[str, Any]]:
    ids = list(_public().order_by("-modified_at").values_list("pk", flat=True)[:limit])
    return package_dicts(ids)


def site_stats() -> dict[str, int]:
    visible = _public()
    return {
        "datasets": visible.count(),
        "organizations": visible.values("organization").distinct().count(),
        "resources": Resource.objects.filter(
            dataset__state=DatasetState.ACTIVE, dataset__private=False
        ).count(),
        "datastore": Datastore.objects.filter(
            loaded_at__isnull=False,
            resource__dataset__state=DatasetState.ACTIVE,
            resource__dataset__private=False,
        ).count(),
    }


# --- Decree 47 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overdue:
    dataset: Dataset
    review_due: dt.date | None
    update_due: dt.date | None
    review_late: bool
    update_late: bool


def review_due(ds: Dataset) -> dt.date | None:
    if not ds.in_open_data_list:
        return None
    start = ds.reviewed_on or timezone.localtime(ds.created_at).date()
    return start + dt.timedelta(days=REVIEW_DAYS)


def update_due(ds: Dataset) -> dt.date | None:
    """Decree 47: within three months of a change, and at the dataset's own pace when it
    promises one (a monthly series is late after a month)."""
    _label, gap = FREQUENCIES.get(ds.frequency, (None, UPDATE_DAYS))
    if ds.frequency in {"never"}:
        return None
    days = min(gap or UPDATE_DAYS, UPDATE_DAYS)
    last = ds.data_updated_at or ds.created_at
    return timezone.localtime(last).date() + dt.timedelta(days=days)


def open_data_list(*, agency: Agency | None = None) -> QuerySet[Dataset]:
    """Danh mục dữ liệu mở: the public list with its review dates."""
    qs = Dataset.objects.filter(in_open_data_list=True).exclude(state=DatasetState.DELETED)
    if agency is not None:
        qs = qs.filter(organization__agency=agency)
    return qs.select_related("organization__agency").order_by("organization__name", "name")


def dashboard(*, user: Any, today: dt.date | None = None) -> list[Overdue]:
    """Datasets of the user's agencies (every agency for a platform administrator) overdue
    for review or update, most late first."""
    today = today or timezone.localdate()
    orgs = own_organizations(user)
    qs = (
        Dataset.objects.filter(organization_id__in=orgs, state=DatasetState.ACTIVE)
        .select_related("organization__agency")
        .annotate(last_resource=Max("resources__last_modified"))
    )
    found: list[Overdue] = []
    for ds in qs:
        review = review_due(ds)
        update = update_due(ds)
        item = Overdue(
            dataset=ds,
            review_due=review,
            update_due=update,
            review_late=review is not None and review < today,
            update_late=update is not None and update < today,
        )
        found.append(item)
    found.sort(
        key=lambda o: (
            not (o.review_late or o.update_late),
            min(d for d in (o.review_due, o.update_due, dt.date.max) if d is not None),
            o.dataset.name,
        )
    )
    return found


def datasets_for_user(*, user: Any, organization: Organization | None = None) -> QuerySet[Dataset]:
    """Every dataset the user keeps (drafts and private ones too), newest first."""
    qs = Dataset.objects.filter(organization_id__in=own_organizations(user)).exclude(
        state=DatasetState.DELETED
    )
    if organization is not None:
        qs = qs.filter(organization=organization)
    return qs.select_related("organization__agency").order_by("-modified_at")


def publishable_organizations(user: Any) -> QuerySet[Organization]:
    return Organization.objects.filter(pk__in=own_organizations(user)).select_related("agency")


def reviews_of(ds: Dataset) -> Iterable[Any]:
    return ds.reviews.select_related("reviewer").all()


def visible_filter() -> Q:
    return Q(state=DatasetState.ACTIVE, private=False)


def public_packages(*, batch: int = 500) -> list[dict[str, Any]]:
    """Every public dataset's record (for the DCAT catalogue), fetched in batches."""
    ids = list(_public().order_by("name").values_list("pk", flat=True))
    found: list[dict[str, Any]] = []
    for start in range(0, len(ids), batch):
        found += package_dicts(ids[start : start + batch])
    return found
