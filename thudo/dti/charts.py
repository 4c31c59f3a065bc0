"""Charts of the DTI results drawn on the server as inline SVG: a bar chart of the units'
values (0–1) and a radar of one unit's main indices. Plain Python over plain numbers;
no script, no stylesheet inside (the site's Content-Security-Policy allows neither), so
colours are presentation attributes.

Each chart is one image to assistive technology (``role="img"`` named by its
``<title>`` and described by its ``<desc>``); the figures it draws are also in the table
beside it, which is what a screen reader user reads."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

INK = "#1b1b1f"
MUTED = "#4a4a55"
GRID = "#c9c9d1"
BAR = "#0b4f9c"  # 8:1 on white
AREA = "#a50e0e"  # 7.9:1 on white
LABEL_CHARS = 34


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal  # 0–1
    text: str  # the value as shown (Vietnamese)


@dataclass(frozen=True)
class Axis:
    code: str
    name: str
    share: Decimal  # 0–1
    text: str


def _n(number: float) -> str:
    """A coordinate: one decimal, a dot (SVG's syntax, whatever the page's language)."""
    text = f"{number:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _clamp(value: Decimal) -> float:
    return float(min(max(value, Decimal(0)), Decimal(1)))


def _open(chart_id: str, kind: str, width: int, height: int, title: str, desc: str) -> str:
    cid = escape(chart_id)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" id="{cid}"'
        f' role="img" aria-labelledby="{cid}-title {cid}-desc"'
        f' viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' font-family="inherit" font-size="12">'
        f'<title id="{cid}-title">{escape(title)}</title>'
        f'<desc id="{cid}-desc">{escape(desc)}</desc>'
    )


def bar_chart(
    bars: Sequence[Bar], *, title: str, chart_id: str, ticks: Sequence[str] = ()
) -> SafeString:
    """Horizontal bars, one per unit in the given order, on a 0–1 scale; ``ticks`` are the
    labels of 0, ¼, ½, ¾ and 1 as the page writes numbers."""
    tick_labels = list(ticks) or ["0", "0,25", "0,5", "0,75", "1"]
    label_width, value_width, row, top = 250, 64, 26, 28
    width = 720
    plot = width - label_width - value_width
    height = top + row * max(len(bars), 1) + 8
    desc = "; ".join(f"{b.label}: {b.text}" for b in bars)
    parts = [_open(chart_id, "bar", width, height, title, desc), '<g aria-hidden="true">']
    steps = len(tick_labels) - 1
    for i, tick in enumerate(tick_labels):
        x = label_width + plot * i / max(steps, 1)
        parts.append(
            f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{top - 6}" y2="{height - 8}"'
            f' stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{_n(x)}" y="{top - 12}" text-anchor="middle" fill="{MUTED}">'
            f"{escape(tick)}</text>"
        )
    for i, bar in enumerate(bars):
        y = top + row * i
        length = plot * _clamp(bar.value)
        parts.append(
            f"<g><title>{escape(bar.label)}: {escape(bar.text)}</title>"
            f'<text x="{label_width - 8}" y="{_n(y + row / 2)}" dy="4" text-anchor="end"'
            f' fill="{INK}">{escape(_short(bar.label))}</text>'
            f'<rect x="{label_width}" y="{_n(y + 5)}" width="{_n(max(length, 1))}"'
            f' height="{row - 10}" fill="{BAR}"/>'
            f'<text x="{_n(label_width + length + 6)}" y="{_n(y + row / 2)}" dy="4"'
            f' fill="{INK}">{escape(bar.text)}</text></g>'
        )
    parts.append("</g></svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def radar_chart(
    axes: Sequence[Axis], *, title: str, chart_id: str, size: int = 320
) -> SafeString | None:
    """One unit's share of the maximum on each main index, as a polygon over rings at a
    quarter, a half, three quarters and the full maximum. None under three axes, where a
    radar draws no area."""
    if len(axes) < 3:
        return None
    centre = size / 2
    radius = centre - 42
    count = len(axes)

    def point(i: int, share: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / count
        return centre + radius * share * math.cos(angle), centre + radius * share * math.sin(angle)

    desc = "; ".join(f"{a.code} {a.name}: {a.text}" for a in axes)
    parts = [_open(chart_id, "radar", size, size, title, desc), '<g aria-hidden="true">']
    for ring in (0.25, 0.5, 0.75, 1.0):
        ring_points = " ".join(
            f"{_n(x)},{_n(y)}" for x, y in (point(i, ring) for i in range(count))
        )
        parts.append(f'<polygon points="{ring_points}" fill="none" stroke="{GRID}"/>')
    for i, axis in enumerate(axes):
        x, y = point(i, 1.0)
        lx, ly = point(i, 1.0 + 26 / radius)
        anchor = "middle" if abs(lx - centre) < 4 else ("start" if lx > centre else "end")
        parts.append(
            f'<line x1="{_n(centre)}" y1="{_n(centre)}" x2="{_n(x)}" y2="{_n(y)}"'
            f' stroke="{GRID}"/>'
            f'<text x="{_n(lx)}" y="{_n(ly)}" dy="4" text-anchor="{anchor}" fill="{INK}">'
            f"<title>{escape(axis.name)}: {escape(axis.text)}</title>{escape(axis.code)}</text>"
        )
    shape = [point(i, _clamp(a.share)) for i, a in enumerate(axes)]
    polygon = " ".join(f"{_n(x)},{_n(y)}" for x, y in shape)
    parts.append(
        f'<polygon points="{polygon}" fill="{AREA}" fill-opacity="0.22" stroke="{AREA}"'
        f' stroke-width="2"/>'
    )
    for x, y in shape:
        parts.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="{AREA}"/>')
    parts.append("</g></svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
