"""Vietnamese text helpers."""

from __future__ import annotations

import unicodedata

# NFD leaves Đ/đ alone: it is a letter of its own, not a D with a mark.
_D_MAP = str.maketrans({"Đ": "D", "đ": "d"})


def fold(text: str) -> str:
    """Lower-case, accent-free form for search: "Đường Hà Nội" → "duong ha noi"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_MAP))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.lower().split())
