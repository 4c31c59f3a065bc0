"""Writes of the open-data portal: organisations, groups, datasets and their revisions,
resources, the Decree 47 review.

Each service checks one permission, changes rows in one transaction, keeps the dataset's
facet values and folded search text in step, saves the new revision's whole record and
writes its audit event in that same transaction. Input arrives in CKAN's shapes (the
Action API passes it through unchanged) and is checked field by field before anything is
written; every mistake is reported with its field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
import re
from collections.abc import Mapping, Sequence
from copy import copy
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import EmailValidator, URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from thudo.core import audit
from thudo.core.errors import Conflict, FieldError, InvalidInput, NotFound
from thudo.core.models import AdministrativeUnit, Agency, User
from thudo.core.text import fold
from thudo.opendata import datastore, permissions, search, selectors, tabular
from thudo.opendata.contracts import (
    DEFAULT_LICENSE,
    EU_THEMES,
    FREQUENCIES,
    LICENSE_BY_ID,
    DatasetState,
    DatastoreStatus,
)
from thudo.opendata.models import (
    Dataset,
    DatasetVersion,
    Datastore,
    FacetValue,
    Group,
    Organization,
    Resource,
    Review,
    Tag,
)

NAME_RE = re.compile(r"^[a-z0-9_-]{2,100}$")
TAG_RE = re.compile(r"^[\w .\-]{1,100}$")
TABULAR = {"CSV", "TSV", "XLSX"}
FORMATS_BY_EXT = {
    "csv": "CSV",
    "tsv": "TSV",
    "xlsx": "XLSX",
    "xls": "XLS",
    "json": "JSON",
    "geojson": "GeoJSON",
    "xml": "XML",
    "pdf": "PDF",
    "zip": "ZIP",
    "ttl": "RDF",
    "rdf": "RDF",
    "txt": "TXT",
    "docx": "DOCX",
    "ods": "ODS",
    "kml": "KML",
    "shp": "SHP",
    "parquet": "Parquet",
}
DATASET_FIELDS = {
    "name",
    "title",
    "title_en",
    "notes",
    "notes_en",
    "owner_org",
    "license_id",
    "private",
    "state",
    "version",
    "url",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
    "frequency",
    "temporal_start",
    "temporal_end",
    "spatial",
    "language",
    "tags",
    "tag_string",
    "groups",
    "extras",
    "in_open_data_list",
    "resources",
    "id",
    "type",
}


def _slugify(text: str) -> str:
    """A CKAN name from a title: "Dân số theo phường" → "dan-so-theo-phuong"."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
    return slug[:100] or "dataset"


def _name_rule() -> str:
    return _("Tên định danh phải dài 2–100 ký tự: chữ thường không dấu, số, “-” và “_”.")


class _Errors:
    """Collects field errors so one answer lists every mistake."""

    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, name: str, message: str, code: str = "invalid") -> None:
        self.items.append(FieldError(name, code, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise InvalidInput(message=_("Dữ liệu không hợp lệ."), field_errors=self.items)


def _bool(value: Any, name: str, errors: _Errors) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false", "1", "0", "yes", "no"}:
        return value.strip().lower() in {"true", "1", "yes"}
    errors.add(name, _("Phải là true hoặc false."))
    return None


def _text(data: Mapping[str, Any], name: str, errors: _Errors, max_length: int) -> str | None:
    if name not in data:
        return None
    value = data[name]
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.add(name, _("Phải là chuỗi ký tự."))
        return None
    value = value.strip()
    if len(value) > max_length:
        errors.add(name, _("Dài quá %(max)s ký tự.") % {"max": max_length})
        return None
    return value


def _date(value: Any, name: str, errors: _Errors) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        errors.add(name, _("Ngày phải theo dạng YYYY-MM-DD."))
        return None


def _tag_names(data: Mapping[str, Any], errors: _Errors) -> list[str] | None:
    raw: list[Any]
    if "tags" in data:
        if not isinstance(data["tags"], list):
            errors.add("tags", _("Phải là một danh sách."))
            return None
        raw = data["tags"]
    elif "tag_string" in data:
        raw = [t for t in str(data["tag_string"] or "").split(",") if t.strip()]
    else:
        return None
    names: list[str] = []
    for item in raw:
        name = item.get("name") if isinstance(item, Mapping) else item
        if not isinstance(name, str) or not TAG_RE.match(name.strip()):
            errors.add(
                "tags",
                _("Từ khóa “%(tag)s” không hợp lệ: 1–100 chữ, số, dấu cách, “-”, “_” hoặc “.”.")
                % {"tag": name},
            )
            continue
        clean = " ".join(name.strip().split())
        if clean not in names:
            names.append(clean)
    return names


def _groups(data: Mapping[str, Any], errors: _Errors) -> list[Group] | None:
    if "groups" not in data:
        return None
    if not isinstance(data["groups"], list):
        errors.add("groups", _("Phải là một danh sách."))
        return None
    found: list[Group] = []
    for item in data["groups"]:
        ident = (item.get("id") or item.get("name")) if isinstance(item, Mapping) else item
        group = selectors.by_id_or_name(Group, str(ident or ""))
        if group is None:
            errors.add("groups", _("Không có chủ đề “%(group)s”.") % {"group": ident})
        elif group not in found:
            found.append(group)
    return found


def _spatial(value: Any, errors: _Errors) -> list[str] | None:
    codes = value if isinstance(value, list) else None
    if codes is None:
        errors.add("spatial", _("Phải là danh sách mã đơn vị hành chính."))
        return None
    clean = [str(c.get("code") if isinstance(c, Mapping) else c).strip() for c in codes]
    known = set(
        AdministrativeUnit.objects.filter(code__in=clean, valid_to__isnull=True).values_list(
            "code", flat=True
        )
    )
    unknown = [c for c in clean if c not in known]
    if unknown:
        errors.add(
            "spatial",
            _("Không có đơn vị hành chính mã %(codes)s.") % {"codes": ", ".join(unknown)},
        )
        return None
    return list(dict.fromkeys(clean))


def _extras(value: Any, errors: _Errors) -> dict[str, str] | None:
    if not isinstance(value, list):
        errors.add("extras", _("Phải là danh sách {key, value}."))
        return None
    found: dict[str, str] = {}
    for item in value:
        if not isinstance(item, Mapping) or not isinstance(item.get("key"), str):
            errors.add("extras", _("Mỗi mục phải có key và value."))
            return None
        key = item["key"].strip()
        if key in DATASET_FIELDS:
            errors.add(
                "extras", _("“%(key)s” là trường của bộ dữ liệu, không là extra.") % {"key": key}
            )
            return None
        found[key] = str(item.get("value", ""))
    return found


def _clean(
    data: Mapping[str, Any], *, creating: bool, current: Dataset | None = None
) -> tuple[dict[str, Any], list[str] | None, list[Group] | None, Organization | None]:
    """Checks every field of a create or a patch; returns the model values to set."""
    errors = _Errors()
    values: dict[str, Any] = {}
    if not isinstance(data, Mapping):
        raise InvalidInput(message=_("Dữ liệu phải là một đối tượng JSON."))
    name = data.get("name")
    if creating or "name" in data:
        if not isinstance(name, str) or not NAME_RE.match(name):
            errors.add("name", _name_rule())
        elif (
            Dataset.objects.filter(name=name)
            .exclude(pk__in=[current.pk] if current else [])
            .exists()
        ):
            errors.add("name", _("Tên định danh này đã được dùng."), "taken")
        else:
            values["name"] = name
    for field, limit in (
        ("title", 300),
        ("title_en", 300),
        ("notes", 20000),
        ("notes_en", 20000),
        ("version", 100),
        ("author", 200),
        ("maintainer", 200),
    ):
        text = _text(data, field, errors, limit)
        if text is not None:
            values[field] = text
    if creating and not values.get("title") and isinstance(name, str):
        values["title"] = name
    for field in ("url",):
        text = _text(data, field, errors, 500)
        if text:
            try:
                URLValidator(schemes=["http", "https"])(text)
            except ValidationError:
                errors.add(field, _("Địa chỉ web không hợp lệ."))
        if text is not None:
            values[field] = text
    for field in ("author_email", "maintainer_email"):
        text = _text(data, field, errors, 254)
        if text:
            try:
                EmailValidator()(text)
            except ValidationError:
                errors.add(field, _("Địa chỉ thư điện tử không hợp lệ."))
        if text is not None:
            values[field] = text
    org: Organization | None = None
    if creating or "owner_org" in data:
        org = selectors.by_id_or_name(Organization, str(data.get("owner_org") or ""))
        if org is None:
            errors.add("owner_org", _("Cần một tổ chức công bố có thật (id hoặc tên)."), "required")
        values["organization"] = org
    if "license_id" in data or creating:
        lic = data.get("license_id") or DEFAULT_LICENSE
        if lic not in LICENSE_BY_ID:
            errors.add(
                "license_id",
                _("Giấy phép “%(lic)s” không có; dùng một trong %(ids)s.")
                % {"lic": lic, "ids": ", ".join(LICENSE_BY_ID)},
            )
        values["license_id"] = lic
    if "private" in data:
        flag = _bool(data["private"], "private", errors)
        if flag is not None:
            values["private"] = flag
    if "in_open_data_list" in data:
        flag = _bool(data["in_open_data_list"], "in_open_data_list", errors)
        if flag is not None:
            values["in_open_data_list"] = flag
    if "state" in data or creating:
        state = data.get("state") or DatasetState.ACTIVE
        if state not in (DatasetState.ACTIVE, DatasetState.DRAFT):
            errors.add("state", _("Trạng thái phải là active hoặc draft."))
        values["state"] = str(state)
    if "frequency" in data:
        freq = data.get("frequency") or ""
        if freq and freq not in FREQUENCIES:
            errors.add(
                "frequency",
                _("Tần suất phải là một trong %(list)s.") % {"list": ", ".join(FREQUENCIES)},
            )
        values["frequency"] = freq
    for field in ("temporal_start", "temporal_end"):
        if field in data:
            values[field] = _date(data[field], field, errors)
    start = values.get("temporal_start", getattr(current, "temporal_start", None))
    end = values.get("temporal_end", getattr(current, "temporal_end", None))
    if start and end and start > end:
        errors.add("temporal_end", _("Ngày kết thúc trước ngày bắt đầu."))
    if "spatial" in data:
        codes = _spatial(data["spatial"], errors)
        if codes is not None:
            values["spatial"] = codes
    if "language" in data:
        lang = str(data.get("language") or "vi")
        if lang not in {"vi", "en"}:
            errors.add("language", _("Ngôn ngữ phải là vi hoặc en."))
        values["language"] = lang
    if "extras" in data:
        extras = _extras(data["extras"], errors)
        if extras is not None:
            values["extras"] = extras
    tags = _tag_names(data, errors)
    groups = _groups(data, errors)
    if "resources" in data:
        if not isinstance(data["resources"], list):
            errors.add("resources", _("Phải là một danh sách."))
        else:
            for n, item in enumerate(data["resources"]):
                _resource_errors(item, None, errors, prefix=f"resources[{n}].")
    errors.raise_if_any()
    return values, tags, groups, org


def _search_text(ds: Dataset, tags: Sequence[str], groups: Sequence[Group]) -> None:
    agency = ds.organization.agency
    ds.search_title = search.words(f"{ds.title} {ds.title_en}")[:300]
    ds.search_body = search.words(
        " ".join(
            [ds.name.replace("-", " "), ds.notes, ds.notes_en, *tags]
            + [f"{g.title} {g.title_en}" for g in groups]
            + [agency.name, agency.short_name, ds.maintainer]
        )
    )


def _facets(ds: Dataset, tags: Sequence[str], groups: Sequence[Group]) -> None:
    formats = {r.format.upper() for r in ds.resources.all() if r.format}
    rows = [
        ("organization", ds.organization.name),
        ("license_id", ds.license_id),
        *(("groups", g.name) for g in groups),
        *(("tags", t) for t in tags),
        *(("res_format", f) for f in sorted(formats)),
    ]
    FacetValue.objects.filter(dataset=ds).delete()
    FacetValue.objects.bulk_create(
        [FacetValue(dataset=ds, field=f, value=v[:200]) for f, v in dict.fromkeys(rows)]
    )


def _snapshot(ds: Dataset, actor: User | None, note: str) -> dict[str, Any]:
    record = selectors.package_show(ds)
    DatasetVersion.objects.create(
        dataset=ds,
        revision=ds.revision,
        data=record,
        note=note[:300],
        author=actor,
        created_at=ds.modified_at,
    )
    return record


def _refusal(actor: User | None, ds: Dataset, public: bool) -> Any:
    """An editor who may not publish is told why; anyone else gets the plain refusal."""
    if public and permissions.edits(actor, ds.organization.agency):
        return _("Chỉ lãnh đạo hoặc quản trị của cơ quan được công bố dữ liệu ra công khai.")
    return None


def _publishes(ds: Dataset, values: Mapping[str, Any], before: Dataset | None) -> bool:
    """Whether the change makes data public or touches the open-data list: a
    publisher's step, not an editor's."""
    public_now = ds.state == DatasetState.ACTIVE and not ds.private
    was_public = before is not None and before.state == DatasetState.ACTIVE and not before.private
    listed = "in_open_data_list" in values and (
        bool(values["in_open_data_list"])
        if before is None
        else before.in_open_data_list != values["in_open_data_list"]
    )
    return (public_now and not was_public) or listed


def _apply_relations(
    ds: Dataset, tags: list[str] | None, groups: list[Group] | None
) -> tuple[list[str], list[Group]]:
    if tags is not None:
        objs = []
        for name in tags:
            tag, _created = Tag.objects.get_or_create(name=name)
            objs.append(tag)
        ds.tags.set(objs)
    if groups is not None:
        ds.groups.set(groups)
    return (
        sorted(t.name for t in ds.tags.all()),
        sorted(ds.groups.all(), key=lambda g: g.name),
    )


@transaction.atomic
def dataset_create(*, actor: User | None, data: Mapping[str, Any]) -> Dataset:
    """package_create: a new dataset (and its link resources), revision 1."""
    values, tags, groups, org = _clean(data, creating=True)
    assert org is not None
    now = timezone.now()
    ds = Dataset(creator=actor, created_at=now, modified_at=now, **values)
    public = _publishes(ds, values, None)
    permissions.require(
        permissions.dataset_create(actor, ds.organization.agency, public=public),
        _refusal(actor, ds, public),
    )
    ds.search_title = ds.search_body = ""
    ds.save(force_insert=True)
    tag_names, group_objs = _apply_relations(ds, tags or [], groups or [])
    for position, item in enumerate(data.get("resources") or []):
        _resource_add(ds, item, position=position, upload=None, now=now)
    _search_text(ds, tag_names, group_objs)
    ds.save(update_fields=["search_title", "search_body"])
    _facets(ds, tag_names, group_objs)
    _snapshot(ds, actor, _("Tạo bộ dữ liệu"))
    _audit(
        "dataset_create",
        actor,
        org.agency,
        ds,
        {"name": ds.name, "state": ds.state, "private": ds.private},
    )
    return ds


def _audit(
    action: str,
    actor: User | None,
    agency: Agency,
    obj: Dataset | Resource | Organization | Group,
    payload: Mapping[str, Any],
) -> None:
    audit.record(
        action=f"opendata.{action}",
        actor=actor,
        agency=agency,
        object_type=f"opendata.{type(obj).__name__.lower()}",
        object_id=obj.pk,
        payload=payload,
    )


def _locked(ds: Dataset) -> Dataset:
    return Dataset.objects.select_for_update().select_related("organization__agency").get(pk=ds.pk)


def _revise(
    ds: Dataset,
    actor: User | None,
    note: str,
    *,
    data_changed: bool = False,
    tags: Sequence[str] | None = None,
    groups: Sequence[Group] | None = None,
) -> None:
    """The next revision: saved, its facets refreshed and its whole record kept."""
    ds.revision += 1
    ds.modified_at = timezone.now()
    if data_changed:
        ds.data_updated_at = ds.modified_at
    ds.save()
    _facets(
        ds,
        tags if tags is not None else sorted(t.name for t in ds.tags.all()),
        groups if groups is not None else list(ds.groups.all()),
    )
    _snapshot(ds, actor, note)


@transaction.atomic
def dataset_patch(
    *, actor: User | None, dataset: Dataset, data: Mapping[str, Any], note: str = ""
) -> Dataset:
    """package_patch: change the given fields; a new revision keeps the old one readable."""
    ds = _locked(dataset)
    before = copy(ds)  # the record as it was, for the permission checks below
    if before.state == DatasetState.DELETED:
        raise NotFound(message=_("Không tìm thấy bộ dữ liệu."))
    values, tags, groups, _org = _clean(data, creating=False, current=before)
    for key, value in values.items():
        setattr(ds, key, value)
    # Editing rights where the dataset was, publishing rights where it goes public.
    permissions.require(permissions.dataset_patch(actor, before.organization.agency, public=False))
    public = _publishes(ds, values, before)
    permissions.require(
        permissions.dataset_patch(actor, ds.organization.agency, public=public),
        _refusal(actor, ds, public),
    )
    if "resources" in data:
        _resources_drop(ds)
        for position, item in enumerate(data["resources"]):
            _resource_add(ds, item, position=position, upload=None, now=timezone.now())
    tag_names, group_objs = _apply_relations(ds, tags, groups)
    _search_text(ds, tag_names, group_objs)
    _revise(ds, actor, note or _("Sửa bộ dữ liệu"), tags=tag_names, groups=group_objs)
    _audit(
        "dataset_patch",
        actor,
        ds.organization.agency,
        ds,
        {"revision": ds.revision, "fields": sorted(values)},
    )
    return ds


def _resources_drop(ds: Dataset) -> None:
    """A patch that replaces the resources takes their tables and files with them."""
    for resource in ds.resources.select_related("datastore"):
        store = getattr(resource, "datastore", None)
        if store is not None:
            datastore.drop_table(store.table_name)
        if resource.file:
            transaction.on_commit(partial(resource.file.storage.delete, resource.file.name or ""))
    ds.resources.all().delete()


@transaction.atomic
def dataset_delete(*, actor: User | None, dataset: Dataset) -> None:
    """package_delete: the dataset leaves the portal; its revisions stay."""
    ds = _locked(dataset)
    permissions.require(permissions.dataset_delete(actor, ds.organization.agency))
    if ds.state == DatasetState.DELETED:
        raise NotFound(message=_("Không tìm thấy bộ dữ liệu."))
    ds.state = DatasetState.DELETED
    _revise(ds, actor, _("Xóa bộ dữ liệu"))
    _audit("dataset_delete", actor, ds.organization.agency, ds, {"name": ds.name})


@transaction.atomic
def dataset_review(
    *,
    actor: User | None,
    dataset: Dataset,
    outcome: str,
    note: str = "",
    on: dt.date | None = None,
) -> Review:
    """Rà soát (Decree 47, at least every six months): keep, add to or remove from the
    open-data list."""
    ds = _locked(dataset)
    permissions.require(permissions.dataset_review(actor, ds.organization.agency))
    if ds.state == DatasetState.DELETED:
        raise NotFound(message=_("Không tìm thấy bộ dữ liệu."))
    if outcome not in Review.Outcome.values:
        raise InvalidInput(
            message=_("Kết quả rà soát không hợp lệ."),
            field_errors=[FieldError("outcome", "invalid", _("Chọn một kết quả rà soát."))],
        )
    day = on or timezone.localdate()
    review = Review.objects.create(
        dataset=ds, reviewed_on=day, outcome=outcome, note=note[:500], reviewer=actor
    )
    ds.reviewed_on = day
    ds.in_open_data_list = outcome != Review.Outcome.REMOVED
    _revise(ds, actor, _("Rà soát danh mục dữ liệu mở"))
    _audit(
        "dataset_review",
        actor,
        ds.organization.agency,
        ds,
        {"outcome": outcome, "on": day.isoformat()},
    )
    return review


# --- resources ------------------------------------------------------------------------------


def _format_of(name: str, given: str) -> str:
    if given:
        return (
            given.strip().upper()[:20]
            if given.strip().upper() in {f.upper() for f in FORMATS_BY_EXT.values()}
            else given.strip()[:20]
        )
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return FORMATS_BY_EXT.get(ext, ext.upper()[:20])


def _resource_errors(
    data: Any, upload: tuple[str, bytes] | None, errors: _Errors, prefix: str = ""
) -> None:
    """The mistakes of one resource's fields (a dataset's create checks them all first)."""
    if not isinstance(data, Mapping):
        errors.add(prefix or "resources", _("Tài nguyên phải là một đối tượng JSON."))
        return
    url = str(data.get("url") or "").strip()
    if upload is None:
        if not url:
            errors.add(f"{prefix}url", _("Cần đường dẫn hoặc tệp tải lên."), "required")
        else:
            try:
                URLValidator(schemes=["http", "https", "ftp"])(url)
            except ValidationError:
                errors.add(f"{prefix}url", _("Địa chỉ web không hợp lệ."))
    if len(str(data.get("name") or "")) > 300:
        errors.add(f"{prefix}name", _("Dài quá %(max)s ký tự.") % {"max": 300})
    limit = settings.OPENDATA_MAX_UPLOAD_BYTES
    if upload is not None and len(upload[1]) > limit:
        errors.add(
            "upload",
            _("Tệp %(size)s byte vượt giới hạn %(max)s byte.")
            % {"size": len(upload[1]), "max": limit},
            "too_large",
        )


def _resource_add(
    ds: Dataset,
    data: Mapping[str, Any],
    *,
    position: int,
    upload: tuple[str, bytes] | None,
    now: dt.datetime,
) -> Resource:
    errors = _Errors()
    _resource_errors(data, upload, errors)
    errors.raise_if_any()
    url = str(data.get("url") or "").strip()
    name = str(data.get("name") or (upload[0] if upload else url.rsplit("/", 1)[-1]) or "")
    description = str(data.get("description") or "")
    resource = Resource(
        dataset=ds,
        name=name or _("Tài nguyên"),
        description=description,
        position=position,
        created_at=now,
        last_modified=now,
        format=_format_of(
            upload[0] if upload else url.split("?", 1)[0], str(data.get("format") or "")
        ),
    )
    if upload is not None:
        filename = get_valid_filename(upload[0].rsplit("/", 1)[-1]) or "data"
        content = upload[1]
        resource.size = len(content)
        resource.hash = "sha256:" + hashlib.sha256(content).hexdigest()
        resource.mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        resource.file.save(filename, ContentFile(content), save=False)
    else:
        resource.url = url
        path = url.split("?", 1)[0]
        resource.mimetype = str(data.get("mimetype") or mimetypes.guess_type(path)[0] or "")
        size = data.get("size")
        resource.size = int(size) if isinstance(size, int) and size >= 0 else None
    resource.save(force_insert=True)
    return resource


@transaction.atomic
def resource_create(
    *,
    actor: User | None,
    dataset: Dataset,
    data: Mapping[str, Any],
    upload: tuple[str, bytes] | None = None,
) -> Resource:
    """resource_create: a file uploaded (kept with its size and SHA-256) or a link. A
    tabular upload (CSV, TSV, XLSX) is loaded into the datastore in the background."""
    ds = _locked(dataset)
    permissions.require(permissions.resource_create(actor, ds.organization.agency))
    if ds.state == DatasetState.DELETED:
        raise NotFound(message=_("Không tìm thấy bộ dữ liệu."))
    position = ds.resources.count()
    resource = _resource_add(ds, data, position=position, upload=upload, now=timezone.now())
    _revise(ds, actor, _("Thêm tài nguyên %(name)s") % {"name": resource.name}, data_changed=True)
    _audit(
        "resource_create",
        actor,
        ds.organization.agency,
        resource,
        {"dataset": str(ds.pk), "name": resource.name, "hash": resource.hash},
    )
    if upload is not None and resource.format.upper() in TABULAR:
        datastore_load(actor=actor, resource=resource)
    return resource


def _touched(*, actor: User | None, dataset: Dataset, note: str) -> Dataset:
    """A new revision after the data of one of the dataset's resources changed (a
    datastore load or upsert); runs inside the caller's transaction."""
    ds = _locked(dataset)
    _revise(ds, actor, note, data_changed=True)
    return ds


# --- organisations and groups -------------------------------------------------------------


@transaction.atomic
def organization_ensure(
    *, actor: User | None, agency: Agency, name: str = "", description: str = ""
) -> Organization:
    """The agency as a publisher of open data (idempotent)."""
    permissions.require(permissions.organization_ensure(actor, agency))
    found = Organization.objects.filter(agency=agency).first()
    if found is not None:
        return found
    slug = name or _slugify(agency.short_name or agency.name)
    if not NAME_RE.match(slug):
        raise InvalidInput(
            message=_("Tên định danh không hợp lệ."),
            field_errors=[FieldError("name", "invalid", _("Tên định danh không hợp lệ."))],
        )
    if Organization.objects.filter(name=slug).exists():
        slug = f"{slug}-{agency.code.lower().replace('.', '-')}"[:100]
    try:
        with transaction.atomic():
            org = Organization.objects.create(agency=agency, name=slug, description=description)
    except IntegrityError:
        return Organization.objects.get(agency=agency)
    _audit("organization_ensure", actor, agency, org, {"name": slug})
    return org


@transaction.atomic
def group_create(
    *,
    actor: User | None,
    name: str,
    title: str,
    title_en: str = "",
    description: str = "",
    eu_theme: str = "",
) -> Group:
    permissions.require(permissions.group_create(actor))
    errors = _Errors()
    if not NAME_RE.match(name or ""):
        errors.add("name", _name_rule())
    elif Group.objects.filter(name=name).exists():
        errors.add("name", _("Tên định danh này đã được dùng."), "taken")
    if not title.strip():
        errors.add("title", _("Cần tên chủ đề."), "required")
    if eu_theme and eu_theme not in EU_THEMES:
        errors.add("eu_theme", _("Mã chủ đề EU không hợp lệ."))
    errors.raise_if_any()
    group = Group.objects.create(
        name=name,
        title=title.strip(),
        title_en=title_en,
        description=description,
        eu_theme=eu_theme,
    )
    audit.record(
        action="opendata.group_create",
        actor=actor,
        object_type="opendata.group",
        object_id=group.pk,
        payload={"name": name},
    )
    return group


# --- the datastore ----------------------------------------------------------------------------


def _check_types(types: Mapping[str, str] | None) -> dict[str, str]:
    if not types:
        return {}
    if not isinstance(types, Mapping):
        raise InvalidInput(message=_("Kiểu dữ liệu phải là {trường: kiểu}."))
    bad = {k: v for k, v in types.items() if v not in tabular.FIELD_TYPES}
    if bad:
        raise InvalidInput(
            message=_("Kiểu không hợp lệ."),
            field_errors=[
                FieldError(
                    k,
                    "invalid",
                    _("Kiểu “%(type)s” không có; dùng một trong %(types)s.")
                    % {"type": v, "types": ", ".join(tabular.FIELD_TYPES)},
                )
                for k, v in bad.items()
            ],
        )
    return dict(types)


@transaction.atomic
def datastore_load(
    *, actor: User | None, resource: Resource, types: Mapping[str, str] | None = None
) -> Datastore:
    """Queue the load of an uploaded table into the datastore (again, with other column
    types if ``types`` overrides some); the task reports progress on the record."""
    res = Resource.objects.select_related("dataset__organization__agency").get(pk=resource.pk)
    permissions.require(permissions.datastore_load(actor, res.dataset.organization.agency))
    if not res.file or res.format.upper() not in TABULAR:
        raise InvalidInput(
            message=_("Chỉ tệp CSV, TSV hoặc XLSX đã tải lên mới nạp được vào kho dữ liệu bảng."),
            field_errors=[FieldError("resource_id", "not_tabular", _("Không phải bảng tải lên."))],
        )
    overrides = _check_types(types)
    store, _created = Datastore.objects.select_for_update().get_or_create(
        resource=res, defaults={"table_name": datastore.table_name(res)}
    )
    known = {f["id"] for f in store.fields}
    unknown = sorted(k for k in overrides if known and k not in known)
    if unknown:
        raise InvalidInput(
            message=_("Bảng không có cột %(names)s.") % {"names": ", ".join(unknown)},
            field_errors=[FieldError(k, "unknown", _("Không có cột này.")) for k in unknown],
        )
    if types is None:
        overrides = dict(store.overrides or {})
    store.status = DatastoreStatus.PENDING
    store.rows_done = 0
    store.message = ""
    store.errors, store.error_count = [], 0
    store.overrides = overrides
    store.save()
    _audit("datastore_load", actor, res.dataset.organization.agency, res, {"types": overrides})
    transaction.on_commit(lambda: _enqueue_load(res.pk))
    return store


def _enqueue_load(resource_id: Any) -> None:
    from thudo.opendata import tasks

    tasks.datastore_load.enqueue(str(resource_id))


def datastore_load_run(*, actor: User | None = None, resource_id: str) -> str:
    """Do a queued load (the task): read, infer, coerce, write a new table in batches with
    progress, then swap it in with the row errors; a file that cannot be read at all
    leaves the previous data and says why. Idempotent: a load of the same file again
    gives the same table."""
    store = (
        Datastore.objects.select_related("resource__dataset__organization__agency")
        .filter(resource_id=resource_id)
        .first()
    )
    if store is None:
        return "missing"
    resource = store.resource
    permissions.require(permissions.datastore_load_run(actor))
    Datastore.objects.filter(pk=store.pk).update(
        status=DatastoreStatus.RUNNING, started_at=timezone.now(), rows_done=0
    )
    try:
        table, fields = datastore.read(resource, overrides=store.overrides or None)
    except tabular.TableError as exc:
        Datastore.objects.filter(pk=store.pk).update(
            status=DatastoreStatus.ERROR, message=str(exc.message)[:500], finished_at=timezone.now()
        )
        return "error"
    rows, row_errors = tabular.coerce_rows(table, fields)
    errors = sorted([*table.errors, *row_errors], key=lambda e: e.line)
    Datastore.objects.filter(pk=store.pk).update(rows_total=len(rows))
    staging = f"{store.table_name}_new"

    def progress(done: int) -> None:
        Datastore.objects.filter(pk=store.pk).update(rows_done=done)

    try:
        datastore.load_rows(staging, fields, rows, progress=progress)
        with transaction.atomic():
            datastore.rename_table(staging, store.table_name)
            Datastore.objects.filter(pk=store.pk).update(
                status=DatastoreStatus.COMPLETE,
                loaded_at=timezone.now(),
                fields=datastore.field_dicts(fields),
                row_count=len(rows),
                rows_done=len(rows),
                errors=datastore.error_dicts(errors),
                error_count=len(errors),
                encoding=table.encoding,
                message="",
                finished_at=timezone.now(),
            )
            ds = _touched(
                actor=actor,
                dataset=resource.dataset,
                note=_("Nạp bảng %(name)s: %(rows)s dòng, %(errors)s dòng lỗi")
                % {"name": resource.name, "rows": len(rows), "errors": len(errors)},
            )
            _audit(
                "datastore_loaded",
                actor,
                ds.organization.agency,
                resource,
                {"rows": len(rows), "errors": len(errors), "fields": len(fields)},
            )
    except Exception as exc:
        datastore.drop_table(staging)
        Datastore.objects.filter(pk=store.pk).update(
            status=DatastoreStatus.ERROR,
            message=(_("Nạp không thành công: %(error)s") % {"error": exc})[:500],
            finished_at=timezone.now(),
        )
        raise
    return "complete"


def _resource_for_datastore(actor: User | None, resource_id: Any, resource: Any) -> Resource:
    if resource_id:
        found = selectors.resource_get_for_user(user=actor, ident=str(resource_id))
        if found is None and actor is None:
            found = (
                Resource.objects.filter(pk=resource_id).first()
                if selectors._is_uuid(str(resource_id))
                else None
            )
        if found is None:
            raise NotFound(message=_("Không tìm thấy tài nguyên."))
        return found
    if not isinstance(resource, Mapping) or not resource.get("package_id"):
        raise InvalidInput(
            message=_("Cần resource_id hoặc resource với package_id."),
            field_errors=[FieldError("resource_id", "required", _("Cần resource_id."))],
        )
    ds = selectors.dataset_get_for_user(user=actor, ident=str(resource["package_id"]))
    if ds is None:
        raise NotFound(message=_("Không tìm thấy bộ dữ liệu."))
    permissions.require(permissions.resource_create(actor, ds.organization.agency))
    res = _resource_add(
        ds,
        {"url": f"{selectors.base_url()}/datastore/dump/pending", "format": "CSV", **resource},
        position=ds.resources.count(),
        upload=None,
        now=timezone.now(),
    )
    res.url = f"{selectors.base_url()}/datastore/dump/{res.pk}"
    res.save(update_fields=["url"])
    return res


@transaction.atomic
def datastore_create(
    *,
    actor: User | None,
    resource_id: Any = None,
    resource: Any = None,
    fields: Any = None,
    records: Any = None,
    primary_key: Any = None,
) -> Datastore:
    """datastore_create: a typed table for a resource (or a new resource of a dataset)
    with its first records; on an existing table, records are added (fields must match)."""
    res = _resource_for_datastore(actor, resource_id, resource)
    agency = (
        Dataset.objects.select_related("organization__agency")
        .get(pk=res.dataset_id)
        .organization.agency
    )
    permissions.require(permissions.datastore_create(actor, agency))
    store = Datastore.objects.select_for_update().filter(resource=res).first()
    wanted = _fields(fields) if fields is not None else None
    key = datastore._split_list(primary_key, "primary_key")
    if store is None or not store.active:
        if not wanted:
            raise InvalidInput(
                message=_("Cần danh sách fields cho bảng mới."),
                field_errors=[FieldError("fields", "required", _("Cần fields."))],
            )
        unknown = [k for k in key if k not in {f.id for f in wanted}]
        if unknown:
            raise InvalidInput(
                message=_("Khóa chính không phải trường của bảng."),
                field_errors=[FieldError("primary_key", "invalid", ", ".join(unknown))],
            )
        store = store or Datastore(resource=res, table_name=datastore.table_name(res))
        datastore.create_table(store.table_name, wanted, key)
        store.fields = datastore.field_dicts(wanted)
        store.primary_key = key
        store.row_count = 0
        store.errors = []
        store.error_count = 0
        store.status = DatastoreStatus.COMPLETE
        store.finished_at = store.loaded_at = timezone.now()
        store.save()
    elif wanted is not None and [(f.id, f.type) for f in wanted] != [
        (f.id, f.type) for f in datastore.fields_of(store)
    ]:
        raise Conflict(
            message=_(
                "Bảng đã có với các trường khác; datastore_create không đổi được kiểu của bảng."
            )
        )
    current = datastore.fields_of(store)
    rows = datastore.coerce_records(current, records or [])
    _require_keys(rows, store.primary_key)
    try:
        with transaction.atomic():
            datastore.insert_rows(
                store.table_name, current, [[r[f.id] for f in current] for r in rows]
            )
    except IntegrityError:
        raise Conflict(message=_("Có bản ghi trùng khóa chính.")) from None
    _count(store)
    _touched(
        actor=actor, dataset=res.dataset, note=_("Ghi %(n)s bản ghi vào bảng") % {"n": len(rows)}
    )
    _audit(
        "datastore_create",
        actor,
        agency,
        res,
        {"records": len(rows), "fields": [f.id for f in current]},
    )
    return store


@transaction.atomic
def datastore_upsert(
    *, actor: User | None, resource_id: Any, records: Any, method: str = "upsert"
) -> Datastore:
    """datastore_upsert: insert, update or upsert records by the table's primary key, all
    or nothing."""
    res = _resource_for_datastore(actor, resource_id, None)
    agency = (
        Dataset.objects.select_related("organization__agency")
        .get(pk=res.dataset_id)
        .organization.agency
    )
    permissions.require(permissions.datastore_upsert(actor, agency))
    store = (
        Datastore.objects.select_for_update().filter(resource=res, loaded_at__isnull=False).first()
    )
    if store is None:
        raise NotFound(message=_("Tài nguyên chưa có bảng dữ liệu."))
    if method not in {"upsert", "insert", "update"}:
        raise InvalidInput(
            message=_("method phải là upsert, insert hoặc update."),
            field_errors=[FieldError("method", "invalid", _("method không hợp lệ."))],
        )
    fields = datastore.fields_of(store)
    key = list(store.primary_key)
    if method != "insert" and not key:
        raise InvalidInput(
            message=_("Bảng không có khóa chính: chỉ dùng được method=insert."),
            field_errors=[FieldError("method", "no_primary_key", _("Bảng không có khóa chính."))],
        )
    rows = datastore.coerce_records(fields, records or [], partial=method == "update")
    _require_keys(rows, key)
    try:
        with transaction.atomic():
            # In the order sent: a later record of the same key wins, as in CKAN.
            for n, row in enumerate(rows):
                if method != "insert" and datastore.update_row(store.table_name, fields, key, row):
                    continue
                if method == "update":
                    raise NotFound(
                        message=_("Bản ghi %(n)s: không có dòng nào có khóa này.") % {"n": n}
                    )
                full = [row.get(f.id) for f in fields]
                datastore.insert_rows(store.table_name, fields, [full])
    except IntegrityError:
        raise Conflict(message=_("Có bản ghi trùng khóa chính.")) from None
    _count(store)
    _touched(actor=actor, dataset=res.dataset, note=_("Cập nhật %(n)s bản ghi") % {"n": len(rows)})
    _audit("datastore_upsert", actor, agency, res, {"records": len(rows), "method": method})
    return store


def _require_keys(rows: Sequence[Mapping[str, Any]], key: Sequence[str]) -> None:
    missing = [n for n, r in enumerate(rows) if any(r.get(k) is None for k in key)]
    if missing:
        raise InvalidInput(
            message=_("Bản ghi thiếu khóa chính."),
            field_errors=[
                FieldError(
                    "records", "missing_key", _("Bản ghi %(n)s thiếu khóa chính.") % {"n": n}
                )
                for n in missing[:100]
            ],
        )


def _fields(value: Any) -> list[tabular.Field]:
    if not isinstance(value, list) or not value:
        raise InvalidInput(
            message=_("fields phải là danh sách {id, type}."),
            field_errors=[
                FieldError("fields", "invalid", _("fields phải là danh sách {id, type}."))
            ],
        )
    found: list[tabular.Field] = []
    errors: list[FieldError] = []
    seen: set[str] = set()
    for item in value:
        ident = item.get("id") if isinstance(item, Mapping) else None
        type_ = (item.get("type") or "text") if isinstance(item, Mapping) else None
        type_ = {
            "integer": "int",
            "float": "numeric",
            "float8": "numeric",
            "int4": "int",
            "int8": "int",
            "boolean": "bool",
            "string": "text",
        }.get(str(type_), type_)
        if (
            not isinstance(ident, str)
            or not ident.strip()
            or ident.startswith("_")
            or len(ident) > 63
            or ident.lower() in seen
        ):
            errors.append(
                FieldError(
                    "fields",
                    "invalid",
                    _("Tên trường “%(id)s” không hợp lệ hoặc trùng.") % {"id": ident},
                )
            )
            continue
        if type_ not in tabular.FIELD_TYPES:
            errors.append(
                FieldError(
                    "fields",
                    "invalid",
                    _("Kiểu “%(type)s” của trường %(id)s không có.") % {"type": type_, "id": ident},
                )
            )
            continue
        seen.add(ident.lower())
        found.append(
            tabular.Field(
                ident.strip(),
                str(type_),
                str(item.get("info", {}).get("label", ""))
                if isinstance(item.get("info"), Mapping)
                else "",
            )
        )
    if errors:
        raise InvalidInput(message=_("fields không hợp lệ."), field_errors=errors)
    return found


def _count(store: Datastore) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {datastore.quote(store.table_name)}")  # noqa: S608
        store.row_count = cursor.fetchone()[0]
    store.save(update_fields=["row_count"])


# --- indicators as open data -------------------------------------------------------------------

INDICATOR_GROUP = ("chi-so-thong-ke", "Chỉ số thống kê", "Statistical indicators", "ECON")
INDICATOR_FIELDS = [
    tabular.Field("Mã kỳ", "text"),
    tabular.Field("Kỳ", "text"),
    tabular.Field("Mã đơn vị", "text"),
    tabular.Field("Đơn vị", "text"),
    tabular.Field("Giá trị", "numeric"),
    tabular.Field("Trạng thái", "text"),
    tabular.Field("Phê duyệt lúc", "text"),
    tabular.Field("Người phê duyệt", "text"),
]


def _indicator_publisher() -> Agency:
    code = settings.OPENDATA_INDICATOR_PUBLISHER
    agency = (
        Agency.objects.filter(code=code).first()
        if code
        else Agency.objects.filter(kind=Agency.Kind.PROVINCIAL_COMMITTEE, is_active=True)
        .order_by("code")
        .first()
    )
    if agency is None:
        raise NotFound(message=_("Không có cơ quan công bố chỉ số (ủy ban nhân dân cấp tỉnh)."))
    return agency


@transaction.atomic
def indicators_publish(*, actor: User | None) -> list[Dataset]:
    """Publish each approved reporting indicator as a dataset with a datastore table of
    its approved (or measured) figures and its lineage: the definition, the forms and the
    approvals it rests on. Idempotent: an indicator whose figures did not change keeps
    its revision."""
    from thudo.reporting import facade as reporting

    permissions.require(permissions.indicators_publish(actor))
    releases = [r for r in reporting.indicator_releases() if r.values]
    if not releases:
        return []
    org = organization_ensure(actor=None, agency=_indicator_publisher())
    name, title, title_en, theme = INDICATOR_GROUP
    group = Group.objects.filter(name=name).first() or group_create(
        actor=None, name=name, title=title, title_en=title_en, eu_theme=theme
    )
    published: list[Dataset] = []
    for release in releases:
        rows = [
            [
                v.period,
                v.period_label,
                v.unit_code,
                v.unit_name,
                v.value,
                v.status,
                v.approved_at,
                v.approved_by,
            ]
            for v in release.values
        ]
        digest = hashlib.sha256(
            repr([release.code, release.numerator, release.denominator, rows]).encode()
        ).hexdigest()
        lineage = {
            "source": "reporting",
            "indicator": release.code,
            "definition": f"{release.factor} × ({release.numerator}) / ({release.denominator})",
            "unit": release.unit_label,
            "forms": list(release.forms),
            "approved_values": sum(1 for v in release.values if v.status == "approved"),
            "measured_values": sum(1 for v in release.values if v.status == "measured"),
            "digest": digest,
        }
        ds = Dataset.objects.filter(source="indicator", source_ref=release.code).first()
        if ds is not None and (ds.lineage or {}).get("digest") == digest:
            published.append(ds)
            continue
        periods = sorted({v.period for v in release.values})
        notes = _(
            "Chỉ số %(code)s của hệ thống báo cáo, công bố tự động từ số liệu đã phê duyệt "
            "(hoặc đo từ hoạt động của nền tảng).\n\nCông thức: %(definition)s. Đơn vị tính: "
            "%(unit)s.\n\nBiểu mẫu: %(forms)s."
        ) % {
            "code": release.code,
            "definition": lineage["definition"],
            "unit": release.unit_label or "—",
            "forms": ", ".join(release.forms) or "—",
        }
        if release.description:
            notes = f"{release.description}\n\n{notes}"
        fields = {
            "title": release.name,
            "notes": notes,
            # Group names like "Kinh tế, đầu tư" are themes, not tags: their words are.
            "tags": list(
                dict.fromkeys(
                    ["chỉ số", "báo cáo thống kê"]
                    + [" ".join(re.sub(r"[^\w .\-]", " ", g).split())[:100] for g in release.groups]
                )
            ),
            "groups": [{"name": group.name}],
            "frequency": "annual" if all(len(p) == 4 for p in periods) else "quarterly",
            "license_id": DEFAULT_LICENSE,
            "maintainer": org.agency.name,
        }
        if ds is None:
            ds = dataset_create(
                actor=None,
                data={
                    "name": _slugify(f"chi so {release.code}"),
                    "owner_org": org.name,
                    "state": DatasetState.ACTIVE,
                    "in_open_data_list": True,
                    **fields,
                },
            )
            ds.source, ds.source_ref = "indicator", release.code
        else:
            ds = dataset_patch(
                actor=None, dataset=ds, data=fields, note=_("Số liệu chỉ số thay đổi")
            )
        ds.lineage = lineage
        ds.save(update_fields=["source", "source_ref", "lineage"])
        resource = ds.resources.filter(name=release.code).first()
        if resource is None:
            resource = _resource_add(
                ds,
                {
                    "name": release.code,
                    "url": f"{selectors.base_url()}/datastore/dump/pending",
                    "format": "CSV",
                    "description": release.name,
                },
                position=ds.resources.count(),
                upload=None,
                now=timezone.now(),
            )
            resource.url = f"{selectors.base_url()}/datastore/dump/{resource.pk}"
            resource.save(update_fields=["url"])
        store = Datastore.objects.filter(resource=resource).first() or Datastore(
            resource=resource, table_name=datastore.table_name(resource)
        )
        datastore.create_table(store.table_name, INDICATOR_FIELDS)
        datastore.insert_rows(store.table_name, INDICATOR_FIELDS, rows)
        store.fields = datastore.field_dicts(INDICATOR_FIELDS)
        store.status = DatastoreStatus.COMPLETE
        store.row_count = store.rows_done = store.rows_total = len(rows)
        store.finished_at = store.loaded_at = timezone.now()
        store.save()
        ds = _touched(
            actor=actor, dataset=ds, note=_("Công bố %(n)s giá trị chỉ số") % {"n": len(rows)}
        )
        _audit(
            "indicator_publish",
            actor,
            org.agency,
            ds,
            {"indicator": release.code, "rows": len(rows), "digest": digest},
        )
        published.append(ds)
    return published
