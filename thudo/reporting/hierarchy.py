"""The unit tree of reporting: the kernel's agency tree, kept as a closure table."""

from __future__ import annotations

from django.db.models import QuerySet

from thudo.core.models import Agency
from thudo.reporting.models import UnitClosure


def rebuild() -> int:
    """Rewrite the closure table from ``Agency.parent`` (the tree is shallow and small:
    thousands of rows at most). Cycles are cut where they close."""
    parents = dict(Agency.objects.values_list("pk", "parent_id"))
    rows = []
    for pk in parents:
        depth, seen = 0, set()
        current: int | None = pk
        while current is not None and current not in seen:
            rows.append(UnitClosure(ancestor_id=current, descendant_id=pk, depth=depth))
            seen.add(current)
            current = parents.get(current)
            depth += 1
    UnitClosure.objects.all().delete()
    UnitClosure.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def ensure() -> None:
    """Build the closure table when agencies exist that it does not know."""
    known = UnitClosure.objects.filter(depth=0).count()
    if known != Agency.objects.count():
        rebuild()


def ancestor_ids(unit_id: int, *, include_self: bool = True) -> list[int]:
    rows = UnitClosure.objects.filter(descendant_id=unit_id)
    if not include_self:
        rows = rows.filter(depth__gt=0)
    return list(rows.order_by("depth").values_list("ancestor_id", flat=True))


def descendant_ids(unit_id: int, *, include_self: bool = True) -> QuerySet[UnitClosure]:
    rows = UnitClosure.objects.filter(ancestor_id=unit_id)
    if not include_self:
        rows = rows.filter(depth__gt=0)
    return rows.values_list("descendant_id", flat=True)  # type: ignore[return-value]


def has_descendants(unit_ids: list[int]) -> set[int]:
    """Those of ``unit_ids`` that have units below them."""
    return set(
        UnitClosure.objects.filter(ancestor_id__in=unit_ids, depth__gt=0)
        .values_list("ancestor_id", flat=True)
        .distinct()
    )
