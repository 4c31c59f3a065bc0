"""Filters of the reporting pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils.dateparse import parse_datetime

from thudo.reporting import display

register = template.Library()


@register.filter
def vn_number(value: Any, places: Any = None) -> str:
    """``{{ value|vn_number }}`` → ``1.234,5``; ``{{ rate|vn_number:1 }}`` rounds first."""
    return display.vn_number(value, None if places in (None, "") else int(places))


@register.filter
def iso_datetime(value: Any) -> datetime | None:
    """A timestamp stored as ISO text (a measured value's lineage), for the date filter."""
    if isinstance(value, datetime):
        return value
    return parse_datetime(value) if isinstance(value, str) else None


@register.filter
def cell_id(element: str, disaggregation: str) -> str:
    return display.cell_id(element, disaggregation)


@register.filter
def status_symbol(status: Any) -> str:
    return display.VALUE_STATUS.get(status, ("", ""))[0]


@register.filter
def status_label(status: Any) -> str:
    return str(display.VALUE_STATUS.get(status, ("", status))[1])
