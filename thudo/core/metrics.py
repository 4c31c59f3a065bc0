"""Metrics registry: figures measured from the platform's own operations.

A module registers providers in its ``AppConfig.ready``; reporting, the DTI and the
operations centre read them through :func:`get` / :func:`providers` and never need to
know the module that computes them. Every value carries its lineage: what was counted
and how, so a leader's figure can be traced back to records.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.utils import timezone


@dataclass(frozen=True)
class Period:
    """A closed range of days [start, end] with a code such as ``2026M03`` or ``2026Q1``."""

    start: date
    end: date
    code: str = ""

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("period ends before it starts")


@dataclass(frozen=True)
class MetricValue:
    code: str
    period: Period
    org_unit: str | None
    value: Decimal
    unit: str
    lineage: str
    computed_at: datetime = field(default_factory=timezone.now)


class MetricNotApplicable(ValueError):
    """The metric has no value for that kind of organisation unit."""


Compute = Callable[[Period, "str | None"], tuple[Decimal, str]]


@dataclass(frozen=True)
class MetricProvider:
    """``compute(period, org_unit)`` returns (value, lineage); ``org_unit`` is an agency
    code, or None for the whole province."""

    code: str
    name: str
    unit: str
    description: str
    module: str
    compute: Compute

    def value(self, period: Period, org_unit: str | None = None) -> MetricValue:
        value, lineage = self.compute(period, org_unit)
        return MetricValue(self.code, period, org_unit, Decimal(value), self.unit, lineage)


_registry: dict[str, MetricProvider] = {}


def register(provider: MetricProvider) -> None:
    existing = _registry.get(provider.code)
    if existing is not None and existing.compute is not provider.compute:
        raise ValueError(f"metric {provider.code!r} is already registered by {existing.module}")
    _registry[provider.code] = provider


def get(code: str) -> MetricProvider | None:
    return _registry.get(code)


def providers() -> list[MetricProvider]:
    return sorted(_registry.values(), key=lambda p: p.code)


# --- one computation run ----------------------------------------------------------------

T = TypeVar("T")
_run: ContextVar[dict[Hashable, Any] | None] = ContextVar("thudo_metrics_run", default=None)


@contextmanager
def computing() -> Iterator[None]:
    """A run that asks for many metrics at once (every measured element of every unit of a
    period): within it, what providers share through :func:`shared` is computed once.
    Outside a run nothing is kept, so a value is never older than the call that asked."""
    token = _run.set({})
    try:
        yield
    finally:
        _run.reset(token)


def shared(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, once per ``key`` within the current :func:`computing` run (several
    metrics of a module often come from one query)."""
    run = _run.get()
    if run is None:
        return compute()
    if key not in run:
        run[key] = compute()
    found: T = run[key]
    return found
