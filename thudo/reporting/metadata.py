"""Metadata import and export (placeholder until written)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def apply(document: Mapping[str, Any]) -> dict[str, int]:
    raise NotImplementedError
