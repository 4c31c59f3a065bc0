"""Client secrets of member systems: made once, shown once, kept as a hash.

A secret is ``lgs_<8 hex>_<43 url-safe characters>``; its first 12 characters are a
public prefix that tells secrets apart in lists and logs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from thudo.exchange.models import MemberSystem

SECRET_PREFIX = "lgs_"  # noqa: S105 - a public marker that tells hub secrets apart


def hash_secret(secret: str) -> str:
    # Secrets carry 256 bits of randomness: a fast hash is enough, unlike passwords.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> tuple[str, str]:
    """(public prefix, secret)."""
    prefix = f"{SECRET_PREFIX}{secrets.token_hex(4)}"
    return prefix, f"{prefix}_{secrets.token_urlsafe(32)}"


def secret_matches(system: MemberSystem, secret: str) -> bool:
    """Constant-time check of a presented client secret."""
    if not system.secret_hash or not secret:
        return False
    return hmac.compare_digest(hash_secret(secret), system.secret_hash)
