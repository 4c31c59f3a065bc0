"""Presentation of reporting figures on the pages: numbers written the Vietnamese way,
the entry grid laid out in columns, analytics as one pivot table per data element or
indicator, and a line chart drawn as SVG on the server. Plain Python over the selectors'
results; nothing here reads the database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from thudo.core import text as core_text
from thudo.reporting.contracts import AnalyticsCell, AnalyticsResult, ValueStatus
from thudo.reporting.selectors import Grid, Row

# Numbers as Vietnamese write them, and for machines (the kernel's, used by the templates).
vn_number = core_text.vn_number
plain_number = core_text.plain_number


# --- the entry grid -------------------------------------------------------------------------


@dataclass(frozen=True)
class GridRow:
    row: Row
    # "columns": one cell under each disaggregation column of the section; "single": one
    # value across them; "inline": disaggregations that are not the section's columns,
    # each with its label shown.
    layout: str
    span: int


@dataclass(frozen=True)
class GridSection:
    name: str
    columns: tuple[str, ...]
    rows: tuple[GridRow, ...]
    disaggregated: bool


def grid_sections(grid: Grid) -> list[GridSection]:
    sections = []
    for section in grid.sections:
        columns = tuple(c for c in section.columns if c) or ("",)
        rows = []
        for row in section.rows:
            labels = tuple(c.label for c in row.cells)
            if row.measured or labels == ("",):
                layout = "single"
            elif labels == columns:
                layout = "columns"
            else:
                layout = "inline"
            rows.append(GridRow(row=row, layout=layout, span=len(columns)))
        sections.append(GridSection(section.name, columns, tuple(rows), columns != ("",)))
    return sections


def cell_id(element: str, disaggregation: str) -> str:
    """The id of a cell's input: element and disaggregation codes, safe in a URL
    fragment and a CSS selector."""
    raw = f"{element}-{disaggregation}" if disaggregation else element
    return "v-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in raw)


# --- analytics ------------------------------------------------------------------------------

# Text and a symbol each: a status is never told by colour alone.
VALUE_STATUS = {
    ValueStatus.APPROVED: ("✓", _("đã phê duyệt")),
    ValueStatus.PROVISIONAL: ("≈", _("tạm tính")),
    ValueStatus.MEASURED: ("⚙", _("đo tự động")),
}


@dataclass(frozen=True)
class PivotRow:
    code: str
    name: str
    cells: tuple[AnalyticsCell | None, ...]


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    shape: str  # the marker's SVG path


@dataclass(frozen=True)
class Series:
    code: str
    name: str
    points: tuple[Point, ...]
    path: str
    colour: str
    dash: str
    legend_y: int
    legend_line: str
    legend_marker: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    ticks: tuple[tuple[float, str], ...]  # (y, label)
    columns: tuple[tuple[float, str], ...]  # (x, period code)
    series: tuple[Series, ...]
    description: str
    omitted: int  # units left out of the chart (still in the table)


@dataclass(frozen=True)
class Pivot:
    dx: str
    name: str
    periods: tuple[tuple[str, str], ...]  # (code, label)
    rows: tuple[PivotRow, ...]
    chart: Chart | None


def pivot(result: AnalyticsResult, dx: Sequence[str], periods: Sequence[str]) -> list[Pivot]:
    """One table per requested data element or indicator: units down, periods across.

    The units come in the order analytics resolved them, which its names keep after the
    data elements, indicators and periods."""
    asked = set(dx) | set(periods)
    units = [code for code in result.names if code not in asked]
    units += [c for c in dict.fromkeys(r.ou for r in result.rows) if c not in units]
    found = {(r.dx, r.pe, r.ou): r for r in result.rows}
    tables = []
    for code in dict.fromkeys(dx):
        rows = tuple(
            PivotRow(
                code=unit,
                name=result.names.get(unit, unit),
                cells=tuple(found.get((code, p, unit)) for p in periods),
            )
            for unit in units
        )
        labels = tuple((p, result.names.get(p, p)) for p in periods)
        name = result.names.get(code, code)
        tables.append(Pivot(code, name, labels, rows, line_chart(name, labels, rows)))
    return tables


CHART_WIDTH = 720
PLOT_LEFT = 90
PLOT_TOP = 16
PLOT_HEIGHT = 200
AXIS_SPACE = 40
LEGEND_LINE = 22
MAX_SERIES = 8
# Dark enough for 4.5:1 on white; told apart also by marker and dash, not by colour alone.
COLOURS = ("#a50e0e", "#0b4f9c", "#0f6b2f", "#4a4a55", "#7a4100", "#5b2a86", "#005f73", "#1b1b1f")
MARKERS = ("circle", "square", "triangle", "diamond")
DASHES = ("", "8 4", "2 3", "10 3 2 3")


def _nice_top(value: Decimal) -> Decimal:
    """The axis top: 1, 2, 2.5 or 5 times a power of ten, at least ``value``."""
    if value <= 0:
        return Decimal(1)
    exponent = value.adjusted()
    for step in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        top = step.scaleb(exponent)
        if top >= value:
            return top
    return Decimal(10).scaleb(exponent)  # pragma: no cover - 10 always suffices


def _n(value: float) -> str:
    return f"{round(value, 1):g}"


def marker(kind: str, x: float, y: float) -> str:
    """The SVG path of a marker centred on (x, y)."""
    if kind == "square":
        return f"M{_n(x - 4)},{_n(y - 4)}h8v8h-8Z"
    if kind == "triangle":
        return f"M{_n(x)},{_n(y - 5)}L{_n(x + 5)},{_n(y + 4)}L{_n(x - 5)},{_n(y + 4)}Z"
    if kind == "diamond":
        return f"M{_n(x)},{_n(y - 5)}L{_n(x + 5)},{_n(y)}L{_n(x)},{_n(y + 5)}L{_n(x - 5)},{_n(y)}Z"
    return f"M{_n(x - 4)},{_n(y)}a4,4 0 1,0 8,0a4,4 0 1,0 -8,0"


def line_chart(
    name: str, periods: Sequence[tuple[str, str]], rows: Sequence[PivotRow]
) -> Chart | None:
    """A line per unit across the periods; None when there is nothing to draw."""
    drawn = [r for r in rows if any(c is not None for c in r.cells)][:MAX_SERIES]
    if not drawn or not periods:
        return None
    values = [c.value for r in drawn for c in r.cells if c is not None]
    low = min(Decimal(0), min(values))
    high = _nice_top(max(values)) if max(values) > 0 else Decimal(0)
    if high == low:
        high = low + 1
    plot_width = CHART_WIDTH - PLOT_LEFT - 20
    step = plot_width / len(periods)
    xs = [PLOT_LEFT + step * (i + 0.5) for i in range(len(periods))]

    def y_of(value: Decimal) -> float:
        return round(PLOT_TOP + float((high - value) / (high - low)) * PLOT_HEIGHT, 1)

    ticks = tuple((y_of(v), vn_number(v)) for v in (high, (high + low) / 2, low))
    series = []
    legend_top = PLOT_TOP + PLOT_HEIGHT + AXIS_SPACE
    for i, row in enumerate(drawn):
        kind = MARKERS[i % len(MARKERS)]
        points = []
        for j, c in enumerate(row.cells):
            if c is not None:
                x, y = round(xs[j], 1), y_of(c.value)
                points.append(Point(x, y, vn_number(c.value), marker(kind, x, y)))
        path = "".join(f"{'M' if k == 0 else 'L'}{_n(p.x)},{_n(p.y)}" for k, p in enumerate(points))
        legend_y = legend_top + i * LEGEND_LINE
        series.append(
            Series(
                code=row.code,
                name=row.name,
                points=tuple(points),
                path=path,
                colour=COLOURS[i % len(COLOURS)],
                dash=DASHES[i % len(DASHES)],
                legend_y=legend_y,
                legend_line=f"M{PLOT_LEFT},{legend_y}h36",
                legend_marker=marker(kind, PLOT_LEFT + 18, legend_y),
            )
        )
    labels = dict(periods)
    description = "; ".join(
        f"{s.name}: "
        + ", ".join(
            f"{labels[p]} {vn_number(c.value)}"
            for (p, _label), c in zip(periods, row.cells, strict=True)
            if c is not None
        )
        for s, row in zip(series, drawn, strict=True)
    )
    return Chart(
        width=CHART_WIDTH,
        height=legend_top + len(series) * LEGEND_LINE,
        left=PLOT_LEFT,
        top=PLOT_TOP,
        plot_width=plot_width,
        plot_height=PLOT_HEIGHT,
        ticks=ticks,
        columns=tuple((round(x, 1), code) for x, (code, _label) in zip(xs, periods, strict=True)),
        series=tuple(series),
        description=f"{name}. {description}",
        omitted=len([r for r in rows if any(c is not None for c in r.cells)]) - len(drawn),
    )
