"""Vietnamese text helpers."""

from __future__ import annotations

import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# NFD leaves Đ/đ alone: it is a letter of its own, not a D with a mark.
_D_MAP = str.maketrans({"Đ": "D", "đ": "d"})


def fold(text: str) -> str:
    """Lower-case, accent-free form for search: "Đường Hà Nội" → "duong ha noi"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_MAP))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.lower().split())


def vn_number(value: Any, places: int | None = None) -> str:
    """``1234.5`` → ``1.234,5``: dots group thousands, the comma marks decimals (how
    Vietnamese documents write numbers); ``places`` rounds first and keeps the zeros
    (``0,7234``). Pages write it back into inputs and the services read it."""
    if value is None or value == "":
        return ""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
        text = format(number, "f")
    else:
        text = format(number.normalize(), "f") if number else "0"
    sign = ""
    if text.startswith("-"):
        sign, text = "-", text[1:]
    whole, _dot, fraction = text.partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    grouped = ".".join(groups)
    return f"{sign}{grouped},{fraction}" if fraction else f"{sign}{grouped}"


def plain_number(value: Decimal | None) -> str:
    """The number for machines (CSV, number inputs): a dot, no grouping, no trailing zeros;
    "" for none."""
    if value is None:
        return ""
    return format(value.normalize(), "f") if value else "0"
