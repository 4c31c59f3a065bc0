"""What the demo builder may call: seed simulated people and relying parties.

Nothing else in the platform imports the simulator; the platform talks to it only over
HTTP, as it would to the national eID.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from thudo.eidsim import services

__all__ = ["account_upsert", "client_upsert"]


def account_upsert(
    *, personal_id: str, full_name: str, birth_date: date, gender: str, loa: int, password: str
) -> None:
    """Create or update a simulated person (idempotent; the password is reset too)."""
    services.account_upsert(
        personal_id=personal_id,
        full_name=full_name,
        birth_date=birth_date,
        gender=gender,
        loa=loa,
        password=password,
    )


def client_upsert(
    *,
    client_id: str,
    client_secret: str,
    redirect_uris: Sequence[str],
    post_logout_redirect_uris: Sequence[str] = (),
    name: str = "",
) -> None:
    """Register or update a relying party (idempotent; the secret is replaced)."""
    services.client_upsert(
        client_id=client_id,
        client_secret=client_secret,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout_redirect_uris,
        name=name,
    )
