"""Reads of the identity module."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from thudo.core import facade as core
from thudo.core.errors import NotFound
from thudo.core.models import AuditEvent
from thudo.exchange import facade as exchange
from thudo.identity.contracts import (
    ACTION_LABELS,
    EXCHANGE_LABEL,
    SIGNIN_ACTION,
    DataUsePage,
    DataUseRow,
)

PER_PAGE = 25


def data_uses_page(*, user: Any, page: int, per_page: int = PER_PAGE) -> DataUsePage:
    """One page of "who used my data" (ai đã dùng dữ liệu của tôi), newest first.

    Two sources, merged by time: what the platform recorded in its audit log, and every
    exchange through the data-sharing hub whose data subject was this citizen. Only
    citizens have such a page; anyone else gets 404, as if it did not exist. A page number
    past the end shows the last page.
    """
    if not getattr(user, "is_citizen", False):
        raise NotFound()
    # Each source's newest (offset + per_page) rows are enough to build the page.
    _, audit_total = core.data_uses_for_citizen(user=user, limit=0)
    _, exchange_total = exchange.data_uses_for(personal_id=user.personal_id, limit=0)
    total = audit_total + exchange_total
    num_pages = max((total + per_page - 1) // per_page, 1)
    number = min(max(page, 1), num_pages)
    depth = number * per_page
    audit_uses, _ = core.data_uses_for_citizen(user=user, limit=depth)
    exchange_uses, _ = exchange.data_uses_for(personal_id=user.personal_id, limit=depth)
    rows = [
        DataUseRow(
            occurred_at=use.occurred_at,
            actor=use.actor,
            by_me=use.actor == user.get_username(),
            agency_name=use.agency_name,
            action=use.action,
            action_label=str(ACTION_LABELS.get(use.action, use.action)),
            purpose=use.purpose,
        )
        for use in audit_uses
    ] + [
        DataUseRow(
            occurred_at=use.occurred_at,
            actor=use.consumer_name,
            by_me=False,
            agency_name=use.consumer_agency,
            action="exchange",
            action_label=str(EXCHANGE_LABEL) % {"service": use.service_name},
            purpose=use.purpose,
            system=use.consumer,
            service=use.service_name,
            delivered=use.delivered,
        )
        for use in exchange_uses
    ]
    rows.sort(key=lambda r: r.occurred_at, reverse=True)
    rows = rows[(number - 1) * per_page : depth]
    return DataUsePage(rows=rows, total=total, number=number, num_pages=num_pages)


def signin_count(*, start: datetime, end: datetime) -> tuple[int, str]:
    """eID sign-ins recorded in [start, end), with the SQL that counted them."""
    events = AuditEvent.objects.filter(
        action=SIGNIN_ACTION, occurred_at__gte=start, occurred_at__lt=end
    )
    # Shown to whoever reads the figure, never executed.
    lineage = f"SELECT COUNT(*) FROM ({events.values('pk').query}) AS signins"  # noqa: S608
    return events.count(), lineage
