"""One permission check per service of the public-services module, with its name.

A dossier belongs to its applicant and to the competent agency: the applicant drafts,
submits, supplies, withdraws and rates; the competent agency's clerks (one-stop) receive,
request supplements, reject at the counter and return results, and so may the clerks of
the service centre where the dossier was filed; the officials of the lane's role do the
BPMN tasks; its leaders sign and stop. ``actor=None`` is the platform itself.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from thudo.core import rules as core_rules
from thudo.core.errors import PermissionDenied
from thudo.core.models import Agency, Role
from thudo.procedures.models import Dossier, Task


def require(allowed: bool, message: Any = None) -> None:
    if not allowed:
        raise PermissionDenied(message or _("Bạn không có quyền thực hiện thao tác này."))


roles_in = core_rules.holds_role


def _applicant(actor: Any, dossier: Dossier) -> bool:
    return actor is not None and dossier.applicant_id == actor.pk


def _front_desk(actor: Any, dossier: Dossier) -> bool:
    return roles_in(actor, dossier.agency, Role.CLERK) or (
        dossier.filed_at_id is not None
        and dossier.filed_at_id != dossier.agency_id
        and roles_in(actor, dossier.filed_at, Role.CLERK)
    )


def dossier_start(actor: Any) -> bool:
    return actor is not None and getattr(actor, "kind", "") == "citizen"


def dossier_start_at_counter(actor: Any, agency: Agency) -> bool:
    return roles_in(actor, agency, Role.CLERK)


def dossier_update(actor: Any, dossier: Dossier) -> bool:
    return _applicant(actor, dossier) or (
        dossier.channel == Dossier.Channel.COUNTER and dossier.taken_by_id == actor.pk
    )


def dossier_update_form(actor: Any, dossier: Dossier) -> bool:
    return dossier_update(actor, dossier)


def dossier_attach(actor: Any, dossier: Dossier) -> bool:
    return dossier_update(actor, dossier)


def dossier_attach_from_wallet(actor: Any, dossier: Dossier) -> bool:
    return dossier_update(actor, dossier)


def dossier_file(actor: Any) -> bool:
    return dossier_start(actor)


def _platform(actor: Any) -> bool:
    """Work the platform does by itself (the worker, a scheduler, the payments seam)."""
    return actor is None


dossier_prefill_retry = _platform
remind_due = _platform
fee_paid_online = _platform


def dossier_submit(actor: Any, dossier: Dossier) -> bool:
    return dossier_update(actor, dossier)


def dossier_view(actor: Any, dossier: Dossier) -> bool:
    return (
        _applicant(actor, dossier)
        or roles_in(actor, dossier.agency)
        or (dossier.filed_at_id is not None and roles_in(actor, dossier.filed_at))
    )


def dossier_receive(actor: Any, dossier: Dossier) -> bool:
    return _front_desk(actor, dossier)


def dossier_request_supplement(actor: Any, dossier: Dossier) -> bool:
    return _front_desk(actor, dossier) or roles_in(
        actor, dossier.agency, Role.SPECIALIST, Role.HEAD, Role.LEADER
    )


def dossier_reject(actor: Any, dossier: Dossier) -> bool:
    return _front_desk(actor, dossier)


def dossier_supply(actor: Any, dossier: Dossier) -> bool:
    return dossier_update(actor, dossier)


def dossier_withdraw(actor: Any, dossier: Dossier) -> bool:
    return dossier_update(actor, dossier)


def dossier_stop(actor: Any, dossier: Dossier) -> bool:
    return roles_in(actor, dossier.agency, Role.LEADER, Role.HEAD)


def dossier_postpone(actor: Any, dossier: Dossier) -> bool:
    return roles_in(actor, dossier.agency, Role.LEADER, Role.HEAD, Role.SPECIALIST)


def dossier_sign(actor: Any, dossier: Dossier) -> bool:
    return roles_in(actor, dossier.agency, Role.LEADER)


def dossier_return(actor: Any, dossier: Dossier) -> bool:
    return _front_desk(actor, dossier)


def dossier_pay_at_counter(actor: Any, dossier: Dossier) -> bool:
    return _front_desk(actor, dossier)


def dossier_rate(actor: Any, dossier: Dossier) -> bool:
    return _applicant(actor, dossier)


def task_claim(actor: Any, task: Task) -> bool:
    return roles_in(actor, task.agency, task.role)


def task_complete(actor: Any, task: Task) -> bool:
    return task_claim(actor, task)


def catalogue_load(actor: Any) -> bool:
    return actor is None or getattr(actor, "is_superuser", False)
