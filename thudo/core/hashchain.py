"""Hash chains for append-only logs (the audit log, the exchange message log).

Each entry's hash is SHA-256 over the previous hash and the entry's canonical JSON
(sorted keys, no spaces, UTF-8), so changing, removing or reordering any entry breaks
every later link.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

GENESIS = "0" * 64


def canonical(value: Any) -> str:
    return json.dumps(
        value, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def timestamp(value: datetime) -> str:
    """A moment as both databases store it: UTC, microseconds."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def link(prev_hash: str, document: Any) -> str:
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(canonical(document).encode("utf-8"))
    return digest.hexdigest()
