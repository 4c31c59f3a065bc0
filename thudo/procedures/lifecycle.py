"""The dossier life cycle, enforced here and nowhere else: a transition is legal only if
``contracts.TRANSITIONS`` allows it from the dossier's state; each one is recorded as a
timed event (the timeline, the processing control slip) and in the audit log, in the
transaction of the change."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from thudo.core import audit
from thudo.core.errors import Conflict
from thudo.procedures.contracts import STATUS_LABELS, TRANSITIONS, Status
from thudo.procedures.models import Dossier, DossierEvent


def allowed(dossier: Dossier, action: str) -> bool:
    sources, _target = TRANSITIONS[action]
    return Status(dossier.status) in sources


def move(
    dossier: Dossier, action: str, actor: Any, *, note: str = "", target: Status | None = None
) -> Dossier:
    """Apply ``action`` to a dossier locked by the caller's transaction."""
    sources, to = TRANSITIONS[action]
    current = Status(dossier.status)
    if current not in sources:
        raise Conflict(
            _("Hồ sơ đang ở trạng thái “%(s)s”: không thực hiện được thao tác này.")
            % {"s": STATUS_LABELS[current]}
        )
    new = target or to
    if new is None:
        raise ValueError(f"{action} needs an explicit target")
    dossier.status = new
    record(dossier, action, actor, note=note, from_status=current, to_status=new)
    return dossier


def record(
    dossier: Dossier,
    action: str,
    actor: Any,
    *,
    note: str = "",
    from_status: str = "",
    to_status: str = "",
    **payload: Any,
) -> None:
    """One event of the dossier's trail and the audit log (no change of state needed)."""
    saved = actor if getattr(actor, "pk", None) else None
    DossierEvent.objects.create(
        dossier=dossier,
        at=timezone.now(),
        actor=saved,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note[:4000],
    )
    audit.record(
        action=f"procedures.dossier.{action}",
        actor=saved,
        agency=dossier.agency,
        object_type="procedures.dossier",
        object_id=dossier.code or dossier.pk,
        data_subject=str(dossier.applicant_data.get("personal_id", "")),
        payload={"from": from_status, "to": to_status, **payload},
    )
