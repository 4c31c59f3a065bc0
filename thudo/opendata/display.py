"""Presentation of the open-data pages: labels of states and codes, CKAN records (whose
dates are ISO strings) as values the templates format, search filters as ``fq`` terms and
facet links. Nothing here reads or writes rows."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.utils.translation import gettext_lazy as _

from thudo.core.text import fold, vn_number
from thudo.opendata.contracts import FREQUENCIES, LICENSE_BY_ID, DatasetState, DatastoreStatus

STATE = {
    DatasetState.DRAFT: _("Bản nháp"),
    DatasetState.ACTIVE: _("Đang công bố"),
    DatasetState.DELETED: _("Đã xóa"),
}
DATASTORE_STATUS = {
    DatastoreStatus.PENDING: _("Đang chờ nạp"),
    DatastoreStatus.RUNNING: _("Đang nạp"),
    DatastoreStatus.COMPLETE: _("Đã nạp"),
    DatastoreStatus.ERROR: _("Nạp không thành công"),
}
FIELD_TYPE = {
    "text": _("Chuỗi ký tự"),
    "int": _("Số nguyên"),
    "numeric": _("Số"),
    "date": _("Ngày"),
    "timestamp": _("Ngày giờ"),
    "bool": _("Đúng/sai"),
}
FACET_TITLE = {
    "organization": _("Tổ chức"),
    "groups": _("Chủ đề"),
    "tags": _("Từ khóa"),
    "res_format": _("Định dạng"),
    "license_id": _("Giấy phép"),
}
LINEAGE = {
    "indicator": _("Mã chỉ số"),
    "definition": _("Công thức"),
    "unit": _("Đơn vị tính"),
    "forms": _("Biểu mẫu nguồn"),
    "approved_values": _("Số giá trị đã phê duyệt"),
    "measured_values": _("Số giá trị đo từ nền tảng"),
}
# Lineage keys that identify the record for machines, not for readers.
LINEAGE_HIDDEN = {"source", "digest"}


def vn(value: Any) -> str:
    """A count written the Vietnamese way: 1.234."""
    return vn_number(value or 0)


def visibility(state: str, private: bool) -> str:
    """Who sees a dataset: a draft, an internal (private) one, or the public."""
    if state != DatasetState.ACTIVE:
        return label(STATE, state)
    return str(_("Nội bộ") if private else _("Công khai"))


def label(labels: Mapping[Any, Any], key: Any) -> str:
    return str(labels.get(key, key))


def frequency_label(code: str) -> str:
    found = FREQUENCIES.get(code or "")
    return str(found[0]) if found else ""


def license_title(license_id: str) -> str:
    found = LICENSE_BY_ID.get(license_id)
    return found.title if found else license_id


def when(value: Any) -> dt.datetime | dt.date | None:
    """A CKAN record's ISO date or date-time (local, without zone) as a value."""
    if not value:
        return None
    text = str(value)
    try:
        if len(text) <= 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def suggest_name(title: str) -> str:
    """A dataset's name from its title: "Dân số theo phường" → "dan-so-theo-phuong"."""
    return re.sub(r"[^a-z0-9]+", "-", fold(title)).strip("-")[:100]


def excerpt(text: str, limit: int = 220) -> str:
    """The start of a description, cut at a word."""
    flat = " ".join((text or "").split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return f"{cut}…"


# --- records --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceView:
    record: dict[str, Any]
    created: Any
    modified: Any

    @property
    def id(self) -> str:
        return str(self.record["id"])


@dataclass(frozen=True)
class DatasetView:
    """A ``package_show`` record (current or of an old revision) as the pages show it."""

    record: dict[str, Any]
    created: Any
    modified: Any
    data_updated: Any
    last_reviewed: Any
    temporal_start: Any
    temporal_end: Any
    frequency: str
    state: str
    resources: list[ResourceView]
    lineage: list[tuple[str, str]]
    formats: list[str]


def _lineage(value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, Mapping):
        return []
    found = []
    # PostgreSQL's jsonb does not keep key order: the known keys in their order first.
    keys = [k for k in LINEAGE if k in value] + sorted(k for k in value if k not in LINEAGE)
    for key in keys:
        item = value[key]
        if key in LINEAGE_HIDDEN:
            continue
        text = ", ".join(str(v) for v in item) if isinstance(item, list | tuple) else str(item)
        found.append((label(LINEAGE, key), text or "—"))
    return found


def dataset_view(record: dict[str, Any]) -> DatasetView:
    resources = [
        ResourceView(r, when(r.get("created")), when(r.get("last_modified")))
        for r in record.get("resources") or []
    ]
    formats = sorted({str(r.get("format") or "").upper() for r in record.get("resources") or []})
    return DatasetView(
        record=record,
        created=when(record.get("metadata_created")),
        modified=when(record.get("metadata_modified")),
        data_updated=when(record.get("data_updated")),
        last_reviewed=when(record.get("last_reviewed")),
        temporal_start=when(record.get("temporal_start")),
        temporal_end=when(record.get("temporal_end")),
        frequency=frequency_label(str(record.get("frequency") or "")),
        state=label(STATE, record.get("state")),
        resources=resources,
        lineage=_lineage(record.get("lineage")),
        formats=[f for f in formats if f],
    )


# --- search: filters, facets, pages -----------------------------------------------------------


def fq_value(value: str) -> str:
    """A value quoted for ``fq`` the way the search's shell-like parser reads it back."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fq(filters: Mapping[str, Sequence[str]]) -> str:
    """``{"tags": ["dân số"]}`` → ``tags:"dân số"``: every filter must hold (AND)."""
    return " ".join(f"{name}:{fq_value(v)}" for name, values in filters.items() for v in values)


def query_string(params: Mapping[str, Any]) -> str:
    """``?a=1&b=x&b=y`` from a mapping of values or lists, leaving out empty ones."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        values = value if isinstance(value, list | tuple) else [value]
        pairs += [(key, str(v)) for v in values if v not in (None, "")]
    return "?" + urlencode(pairs) if pairs else ""


@dataclass(frozen=True)
class FacetItem:
    value: str
    label: str
    count: int
    active: bool
    url: str


@dataclass(frozen=True)
class Facet:
    field: str
    title: str
    items: list[FacetItem]


@dataclass(frozen=True)
class ActiveFilter:
    field: str
    title: str
    label: str
    remove_url: str


@dataclass
class SearchState:
    """What the list page was asked: keywords, sort and the facet filters chosen."""

    q: str = ""
    sort: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)

    def params(self, **changes: Any) -> dict[str, Any]:
        found: dict[str, Any] = {"q": self.q, **{k: list(v) for k, v in self.filters.items()}}
        found["sort"] = self.sort
        found.update(changes)
        return found

    def toggled(self, name: str, value: str) -> dict[str, Any]:
        chosen = list(self.filters.get(name, []))
        if value in chosen:
            chosen.remove(value)
        else:
            chosen.append(value)
        return self.params(**{name: chosen})

    def pairs(self) -> list[tuple[str, str]]:
        return [(k, v) for k, values in self.filters.items() for v in values]


def facets(
    counts: Mapping[str, Mapping[str, int]],
    state: SearchState,
    labels: Mapping[str, Mapping[str, str]],
    *,
    base: str,
    fields: Iterable[str],
) -> list[Facet]:
    """The sidebar: each facet's values with their counts, a chosen value first and
    marked, each a link that adds or removes it."""
    found = []
    for name in fields:
        names = labels.get(name, {})
        chosen = state.filters.get(name, [])
        values = dict(counts.get(name, {}))
        for value in chosen:
            values.setdefault(value, 0)
        items = [
            FacetItem(
                value,
                names.get(value, value),
                n,
                value in chosen,
                base + query_string(state.toggled(name, value)),
            )
            for value, n in values.items()
        ]
        items.sort(key=lambda i: not i.active)
        found.append(Facet(name, label(FACET_TITLE, name), items))
    return found


def active_filters(
    state: SearchState, labels: Mapping[str, Mapping[str, str]], *, base: str
) -> list[ActiveFilter]:
    return [
        ActiveFilter(
            name,
            label(FACET_TITLE, name),
            labels.get(name, {}).get(value, value),
            base + query_string(state.toggled(name, value)),
        )
        for name, value in state.pairs()
    ]


@dataclass(frozen=True)
class Pager:
    page: int
    pages: int
    first: int  # 1-based number of the first item shown
    last: int
    count: str  # how many in all, written the Vietnamese way
    has_previous: bool
    has_next: bool
    previous_url: str
    next_url: str


def pager(count: int, page: int, size: int, url: Any) -> Pager:
    """``url(n)`` gives the address of page ``n``."""
    pages = max(1, -(-count // size))
    first = (page - 1) * size + 1 if count else 0
    last = min(count, page * size)
    return Pager(
        page,
        pages,
        first,
        last,
        vn(count),
        page > 1,
        page < pages,
        url(page - 1) if page > 1 else "",
        url(page + 1) if page < pages else "",
    )
