"""What other modules (and the demo builder) may call in the reporting module."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from thudo.reporting.contracts import IndicatorRelease

__all__ = ["demo_build", "indicator_releases", "indicator_values"]


def demo_build(
    *,
    codes: Mapping[str, str],
    say: Callable[[str], None] = lambda _line: None,
    officials: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Load Hanoi's reporting catalogue and two years of figures into the demo city
    (idempotent); ``codes`` maps the demo's agency keys to agency codes. Returns what
    credentials.json shows under ``"reporting"``."""
    from thudo.reporting import demo

    return demo.build(codes=codes, say=say, officials=officials)


def indicator_values(
    *, code: str, period: str, unit_codes: Sequence[str]
) -> dict[str, tuple[Decimal, str, str]]:
    """The values of the indicator (or data element) ``code`` for ``period`` (``2026``,
    ``2026Q1``…) at each of ``unit_codes``, as analytics computes them, in one query: unit
    code → (value, status — approved / provisional / measured —, lineage in words). Units
    without a value, and unknown codes, periods or units, are left out."""
    from thudo.core.errors import InvalidInput
    from thudo.reporting import analytics

    if not unit_codes:
        return {}
    try:
        result = analytics.query(dx=code, pe_codes=period, ou=list(unit_codes))
    except InvalidInput:
        return {}
    name = result.names.get(code, code)
    found = {}
    for cell in result.rows:
        if cell.dx == code and cell.pe == period:
            lineage = (
                f"Hệ thống báo cáo: chỉ tiêu {code} ({name}), kỳ {period}, "
                f"đơn vị {result.names.get(cell.ou, cell.ou)}; số liệu {cell.status.value}"
            )
            found[cell.ou] = (cell.value, cell.status.value, lineage)
    return found


def indicator_releases(*, codes: Sequence[str] | None = None) -> list[IndicatorRelease]:
    """Every indicator (or those of ``codes``) with its figures that are approved — every
    period of every form feeding it approved at the unit or above — or measured from the
    platform's records, per period and unit where a form was approved, with who approved
    it and when. Provisional figures are left out. For the open-data portal."""
    from thudo.reporting import releases

    return releases.indicator_releases(codes=codes)
