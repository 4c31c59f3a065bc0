"""Scoring methods: what a unit reports for a sub-index, turned into points.

Pure functions over plain values, shared by the self-assessment, the measured values and
the council's pages, so the three always agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from statistics import median

from thudo.dti.contracts import Method

CENT = Decimal("0.01")


def quantize(points: Decimal) -> Decimal:
    return points.quantize(CENT, rounding=ROUND_HALF_UP)


def points_for(
    *,
    method: str,
    max_points: Decimal,
    value: Decimal | None,
    target: Decimal | None = None,
    tiers: Sequence[Sequence[object]] = (),
) -> Decimal | None:
    """Points a value earns, or None when the method takes points, not a value (manual)
    or no value is given. Values are never negative; points never exceed the maximum."""
    if value is None or method == Method.MANUAL:
        return None
    if method == Method.YES_NO:
        return quantize(max_points if value else Decimal(0))
    if method == Method.RATIO:
        goal = target if target is not None and target > 0 else Decimal(100)
        share = min(max(value, Decimal(0)) / goal, Decimal(1))
        return quantize(max_points * share)
    if method == Method.TIERS:
        earned = Decimal(0)
        for threshold, points in tiers:
            if value >= Decimal(str(threshold)):
                earned = max(earned, Decimal(str(points)))
        return quantize(min(earned, max_points))
    raise ValueError(f"unknown scoring method {method!r}")


def node_points(node: object, value: Decimal | None) -> Decimal | None:
    """:func:`points_for` with a framework node's own parameters."""
    return points_for(
        method=node.method,  # type: ignore[attr-defined]
        max_points=node.max_points,  # type: ignore[attr-defined]
        value=value,
        target=node.target,  # type: ignore[attr-defined]
        tiers=node.tiers or (),  # type: ignore[attr-defined]
    )


def discrepancy(
    reported: Decimal | None, measured: Decimal | None, tolerance: Decimal | None
) -> bool:
    """The unit's value and the platform's differ by more than the tolerance."""
    if reported is None or measured is None:
        return False
    return abs(reported - measured) > (tolerance if tolerance is not None else Decimal(0))


def index_value(points: Decimal, max_points: Decimal) -> Decimal:
    """The published 0–1 value (points / maximum), 4 decimals as in the yearly reports."""
    if max_points <= 0:
        return Decimal(0)
    return (points / max_points).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def ranks(values: Sequence[Decimal]) -> list[int]:
    """Competition ranking (1, 2, 2, 4): equal values share a rank."""
    ordered = sorted(values, reverse=True)
    first: dict[Decimal, int] = {}
    for position, value in enumerate(ordered, start=1):
        first.setdefault(value, position)
    return [first[v] for v in values]


def proposal(proposals: Sequence[Decimal]) -> Decimal | None:
    """What the council's reviews propose: the most frequent proposal (the median of the
    most frequent ones when several tie), or None without reviews."""
    if not proposals:
        return None
    counts = Counter(proposals)
    top = max(counts.values())
    return quantize(Decimal(median(sorted(p for p, n in counts.items() if n == top))))


def quorum_met(*, members_total: int, participants: int, share: Decimal) -> bool:
    """More than ``share`` (half, by the councils' rules) of the members took part or
    agreed."""
    return Decimal(participants) > share * Decimal(members_total)


def quorum_needed(*, members_total: int, share: Decimal) -> int:
    """The fewest members whose taking part makes a decision valid (7 of 13 for half)."""
    return int(share * Decimal(members_total)) + 1


def quorum_share() -> Decimal:
    """The configured share (``THUDO_DTI_QUORUM``) that a council's decision must exceed."""
    from django.conf import settings

    return Decimal(str(getattr(settings, "DTI_QUORUM", "0.5")))


def share_words(share: Decimal) -> str:
    """``0.5`` → "một nửa" (the rules' words), other shares as a percentage."""
    from django.utils.translation import gettext as _

    if share == Decimal("0.5"):
        return _("một nửa")
    return f"{(share * 100).normalize():f}".replace(".", ",") + "%"
