"""What other modules (and the demo builder) may call in the reporting module."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

__all__ = ["demo_build", "indicator_value"]


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


def indicator_value(
    *, code: str, period: str, unit_code: str
) -> tuple[Decimal, str, str] | None:
    """The value of the indicator (or data element) ``code`` for ``period`` (``2026``,
    ``2026Q1``…) and the unit ``unit_code``, as analytics computes it: (value, status —
    approved / provisional / measured —, lineage in words). None when there is no value or
    the code, period or unit is unknown."""
    from thudo.core.errors import InvalidInput
    from thudo.reporting import analytics

    try:
        result = analytics.query(dx=code, pe_codes=period, ou=unit_code)
    except InvalidInput:
        return None
    for cell in result.rows:
        if cell.dx == code and cell.pe == period and cell.ou == unit_code:
            name = result.names.get(code, code)
            lineage = (
                f"Hệ thống báo cáo: chỉ tiêu {code} ({name}), kỳ {period}, "
                f"đơn vị {result.names.get(unit_code, unit_code)}; số liệu {cell.status.value}"
            )
            return cell.value, cell.status.value, lineage
    return None
