"""API pagination: limit/offset with bounds on both."""

from __future__ import annotations

from django.conf import settings
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

# Far beyond any list we serve, and inside what every database accepts as OFFSET
# (SQLite rejects values past a 64-bit integer with a type error).
MAX_OFFSET = 100_000_000


class Pagination(LimitOffsetPagination):
    """``?limit=&offset=`` → ``{"items": […], "count": N}``."""

    class Input(Schema):
        limit: int = Field(
            settings.NINJA_PAGINATION_PER_PAGE, ge=1, le=settings.NINJA_PAGINATION_MAX_LIMIT
        )
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
