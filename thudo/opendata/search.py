"""Dataset search with CKAN's parameters (``q``, ``fq``, ``sort``, facets), on both databases.

CKAN answers ``package_search`` from a Solr index that is rebuilt for hours on large
portals; here the database is the index. Text is folded once on write (accents off, Đ → D,
punctuation to spaces) and queries are folded the same way, so "ha noi" finds "Hà Nội".
PostgreSQL matches and ranks with its full-text search (``search_vector``, kept by a
trigger, GIN-indexed); SQLite, the embedded demo database, matches whole words in the
folded columns and ranks title hits first. Facets are counted with one GROUP BY over
``FacetValue`` restricted to the matching datasets.

``fq`` and field terms in ``q`` follow the Solr syntax CKAN clients send, restricted to
what a catalogue needs: ``field:value``, ``field:"quoted value"``, a leading ``-`` or
``NOT`` to exclude, ``+``/``AND`` ignored (terms are always combined with AND).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import Expression
from django.utils.translation import gettext as _

from thudo.core.errors import InvalidInput, invalid
from thudo.core.text import fold
from thudo.opendata.contracts import DatasetState
from thudo.opendata.models import Dataset, FacetValue

FACET_FIELDS = ("organization", "groups", "tags", "res_format", "license_id")
# Fields CKAN clients put in fq that every dataset here satisfies.
IGNORED_FIELDS = {"dataset_type": "dataset", "capacity": "public", "site_id": None}
FILTER_FIELDS = (*FACET_FIELDS, "name", "id")
SORT_FIELDS = {
    "score": "score",
    "metadata_modified": "modified_at",
    "metadata_created": "created_at",
    "name": "name",
    "title_string": "search_title",
    "title": "search_title",
}
MAX_ROWS = 1000
# PostgreSQL's parser splits words at "_" too: both databases must see the same words.
_NON_WORD = re.compile(r"[\W_]+")
_TERM = re.compile(r"^(?P<neg>[-+]?)(?P<field>[A-Za-z_]+):(?P<value>.+)$", re.S)


def words(text: str) -> str:
    """The searchable form of ``text``: folded, punctuation to spaces, padded with spaces
    so a whole word is found with ``LIKE '% word %'``."""
    return f" {' '.join(_NON_WORD.sub(' ', fold(text)).split())} "


@dataclass(frozen=True)
class Filter:
    field: str
    value: str
    negate: bool = False


@dataclass(frozen=True)
class Query:
    q: str = ""
    fq: str = ""
    rows: int = 10
    start: int = 0
    sort: str = ""
    facet_fields: tuple[str, ...] = ()
    facet_limit: int = 50
    include_private: bool = False
    include_drafts: bool = False


@dataclass
class Result:
    count: int
    ids: list[UUID]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    sort: str = ""


def _terms(text: str, field_name: str) -> list[str]:
    try:
        lexer = shlex.shlex(text, posix=True)
        lexer.whitespace_split = True
        lexer.commenters = ""
        return list(lexer)
    except ValueError as exc:
        raise invalid(
            field_name, "invalid", _("Cú pháp không hợp lệ: %(error)s.") % {"error": exc}
        ) from None


def _filter(term: str, negate: bool, field_name: str) -> Filter | None:
    match = _TERM.match(term)
    if match is None:
        raise invalid(
            field_name,
            "invalid",
            _("“%(term)s” không phải điều kiện dạng trường:giá trị.") % {"term": term},
        )
    name, value = match["field"], match["value"].strip()
    negate = negate or match["neg"] == "-"
    if name in IGNORED_FIELDS:
        expected = IGNORED_FIELDS[name]
        if expected is None or value.strip('"') == expected:
            return None
        # Another dataset type or capacity: nothing here is of it.
        return Filter("id", "", negate)
    if name not in FILTER_FIELDS:
        raise invalid(
            field_name,
            "invalid",
            _("Không lọc được theo trường “%(field)s”; các trường được dùng: %(fields)s.")
            % {"field": name, "fields": ", ".join(FILTER_FIELDS)},
        )
    if not value:
        raise invalid(
            field_name, "invalid", _("Điều kiện “%(term)s” thiếu giá trị.") % {"term": term}
        )
    return Filter(name, value, negate)


def parse_fq(fq: str) -> list[Filter]:
    """``tags:"dân số" -organization:so-tu-phap`` → filters; anything else → InvalidInput."""
    found: list[Filter] = []
    negate = False
    for term in _terms(fq, "fq"):
        upper = term.upper()
        if upper in {"AND", "+", "&&"}:
            continue
        if upper in {"NOT", "-", "!"}:
            negate = True
            continue
        if upper in {"OR", "||"} or term.startswith("(") or term.endswith(")"):
            raise invalid(
                "fq",
                "invalid",
                _("Chưa hỗ trợ OR và ngoặc trong fq; các điều kiện luôn kết hợp AND."),
            )
        item = _filter(term, negate, "fq")
        negate = False
        if item is not None:
            found.append(item)
    if negate:
        raise invalid("fq", "invalid", _("fq kết thúc bằng NOT mà không có điều kiện."))
    return found


def parse_q(q: str) -> tuple[str, list[Filter]]:
    """Keywords and field terms of ``q`` (``*:*`` is everything)."""
    text = q.strip()
    if text in {"", "*:*", "*"}:
        return "", []
    keywords: list[str] = []
    filters: list[Filter] = []
    try:
        terms = _terms(text, "q")
    except InvalidInput:
        # Free text may hold a lone apostrophe ("People's"): it is punctuation there.
        terms = text.split()
    for term in terms:
        if _TERM.match(term) and not term.startswith("http"):
            item = _filter(term, False, "q")
            if item is not None:
                filters.append(item)
        elif term.upper() not in {"AND", "+"}:
            keywords.append(term)
    return " ".join(keywords), filters


def parse_sort(sort: str) -> list[tuple[str, bool]]:
    """``metadata_modified desc, name asc`` → [(column, descending)]."""
    order: list[tuple[str, bool]] = []
    for part in (p.strip() for p in sort.split(",")):
        if not part:
            continue
        bits = part.split()
        direction = bits[1].lower() if len(bits) == 2 else ""
        if len(bits) != 2 or bits[0] not in SORT_FIELDS or direction not in {"asc", "desc"}:
            raise invalid(
                "sort",
                "invalid",
                _(
                    "Sắp xếp “%(part)s” không hợp lệ: dùng “trường asc|desc” với trường là "
                    "%(fields)s."
                )
                % {"part": part, "fields": ", ".join(SORT_FIELDS)},
            )
        order.append((SORT_FIELDS[bits[0]], direction == "desc"))
    return order


def _visible(include_private: bool, include_drafts: bool, own_orgs: Iterable[UUID] | None) -> Q:
    public = Q(state=DatasetState.ACTIVE, private=False)
    orgs = list(own_orgs or [])
    if not orgs or not (include_private or include_drafts):
        return public
    states = [DatasetState.ACTIVE] + ([DatasetState.DRAFT] if include_drafts else [])
    own = Q(organization_id__in=orgs, state__in=states)
    if not include_private:
        own &= Q(private=False)
    return public | own


class _Vector(Expression):
    """SQL over the ``search_vector`` column, which is not a model field (SQLite has no
    tsvector): the column is qualified with whatever alias the dataset table has in the
    query, so the expression also works inside subqueries (facets, ``__in``)."""

    def __init__(self, text: str, template: str) -> None:
        boolean = template.startswith("{col} @@")
        super().__init__(output_field=BooleanField() if boolean else FloatField())
        self.text = text
        self.template = template

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        alias = compiler.query.get_initial_alias()
        column = f"{compiler.quote_name_unless_alias(alias)}.search_vector"
        return self.template.format(col=column), [self.text]


def _matching(keywords: str, qs: QuerySet[Dataset]) -> QuerySet[Dataset]:
    tokens = words(keywords).split()
    if not tokens:
        return qs.annotate(score=Value(0, output_field=IntegerField()))
    if connection.vendor == "postgresql":
        folded = " ".join(tokens)
        return qs.filter(_Vector(folded, "{col} @@ plainto_tsquery('simple', %s)")).annotate(
            score=_Vector(folded, "ts_rank_cd({col}, plainto_tsquery('simple', %s))")
        )
    score: Any = Value(0, output_field=IntegerField())
    for token in tokens:
        needle = f" {token} "
        qs = qs.filter(Q(search_title__contains=needle) | Q(search_body__contains=needle))
        score = score + Case(
            When(search_title__contains=needle, then=Value(2)),
            default=Value(1),
            output_field=IntegerField(),
        )
    return qs.annotate(score=score)


def _filtered(qs: QuerySet[Dataset], filters: Sequence[Filter]) -> QuerySet[Dataset]:
    for item in filters:
        if item.field == "name":
            cond = Q(name=item.value)
        elif item.field == "id":
            cond = Q(pk=item.value) if _is_uuid(item.value) else Q(pk__in=[])
        else:
            cond = Q(
                pk__in=FacetValue.objects.filter(field=item.field, value=item.value).values(
                    "dataset_id"
                )
            )
        qs = qs.exclude(cond) if item.negate else qs.filter(cond)
    return qs


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


def run(query: Query, *, own_orgs: Iterable[UUID] | None = None) -> Result:
    """Search datasets; ``own_orgs`` are the organisations whose private datasets (and,
    with ``include_drafts``, drafts) the asker may see."""
    if not 0 <= query.rows <= MAX_ROWS:
        raise invalid("rows", "invalid", _("rows phải từ 0 đến %(max)s.") % {"max": MAX_ROWS})
    if query.start < 0:
        raise invalid("start", "invalid", _("start không được âm."))
    unknown = [f for f in query.facet_fields if f not in FACET_FIELDS]
    if unknown:
        raise invalid(
            "facet.field",
            "invalid",
            _("Không có nhóm lọc “%(field)s”; các nhóm lọc: %(fields)s.")
            % {"field": unknown[0], "fields": ", ".join(FACET_FIELDS)},
        )
    keywords, q_filters = parse_q(query.q)
    filters = [*q_filters, *parse_fq(query.fq)]
    order = parse_sort(query.sort)
    base = Dataset.objects.filter(_visible(query.include_private, query.include_drafts, own_orgs))
    qs = _matching(keywords, _filtered(base, filters))
    if not order:
        order = [("score", True), ("modified_at", True)] if keywords else [("modified_at", True)]
    ordering = [f"-{col}" if desc else col for col, desc in order]
    count = qs.count()
    ids: list[UUID] = []
    if query.rows and query.start < count:
        ids = list(
            qs.order_by(*ordering, "pk").values_list("pk", flat=True)[
                query.start : query.start + query.rows
            ]
        )
    facets = _facets(qs, query.facet_fields, query.facet_limit) if query.facet_fields else {}
    sort_words = ", ".join(
        f"{next(k for k, v in SORT_FIELDS.items() if v == col)} {'desc' if desc else 'asc'}"
        for col, desc in order
    )
    return Result(count=count, ids=ids, facets=facets, sort=sort_words)


def _facets(qs: QuerySet[Dataset], fields: Sequence[str], limit: int) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {f: {} for f in fields}
    rows = (
        FacetValue.objects.filter(dataset_id__in=qs.values("pk"), field__in=list(fields))
        .values_list("field", "value")
        .annotate(n=Count("*"))  # "*" lets PostgreSQL answer from the index
        .order_by("field", "-n", "value")
    )
    for name, value, n in rows:
        bucket = found[name]
        if limit < 0 or len(bucket) < limit:
            bucket[value] = n
    return found
