"""One permission check per service of the DTI module, with its name.

The standing body (cơ quan thường trực: the digital-transformation department) sets rounds
up, opens and closes them, seats the council and publishes; a unit's officials fill its
self-assessment and its leader approves and submits it (and appeals); the council's members
review; its chair, vice-chairs and standing members (or the standing body's leaders)
record its decisions. ``actor=None`` is the platform itself (the demo builder, commands).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from thudo.core import rules as core_rules
from thudo.core.errors import PermissionDenied
from thudo.core.models import Agency, Role
from thudo.dti.models import CouncilMember, Round, RoundUnit

SECRETARIAT = ("chair", "vice_chair", "standing")
STANDING_ROLES = (Role.LEADER, Role.HEAD, Role.SPECIALIST)


def require(allowed: bool, message: Any = None) -> None:
    if not allowed:
        raise PermissionDenied(message or _("Bạn không có quyền thực hiện thao tác này."))


roles_in = core_rules.holds_role


def _admin(actor: Any) -> bool:
    return actor is None or core_rules.is_platform_admin(actor)


def standing(actor: Any, round_: Round) -> bool:
    return _admin(actor) or roles_in(actor, round_.standing_body, *STANDING_ROLES)


def member_of(actor: Any, round_: Round) -> CouncilMember | None:
    if actor is None or not core_rules.is_official(actor):
        return None
    return CouncilMember.objects.filter(round=round_, user=actor).first()


# --- frameworks and rounds ----------------------------------------------------------------


def framework_import(actor: Any) -> bool:
    return _admin(actor)


def framework_import_document(actor: Any) -> bool:
    return framework_import(actor)


def round_create(actor: Any, standing_body: Agency) -> bool:
    return _admin(actor) or roles_in(actor, standing_body, Role.LEADER, Role.HEAD)


def council_set(actor: Any, round_: Round) -> bool:
    return _admin(actor) or roles_in(actor, round_.standing_body, Role.LEADER, Role.HEAD)


def round_open(actor: Any, round_: Round) -> bool:
    return standing(actor, round_)


def round_close(actor: Any, round_: Round) -> bool:
    return standing(actor, round_)


def round_publish(actor: Any, round_: Round) -> bool:
    return _admin(actor) or roles_in(actor, round_.standing_body, Role.LEADER, Role.HEAD)


def measured_refresh(actor: Any, round_: Round) -> bool:
    return standing(actor, round_)


# --- self-assessment ------------------------------------------------------------------------


def score_save(actor: Any, unit: RoundUnit) -> bool:
    return actor is None or roles_in(actor, unit.agency)


def evidence_add(actor: Any, unit: RoundUnit) -> bool:
    return score_save(actor, unit)


def evidence_remove(actor: Any, unit: RoundUnit) -> bool:
    return score_save(actor, unit)


def unit_send(actor: Any, unit: RoundUnit) -> bool:
    return score_save(actor, unit)


def unit_return(actor: Any, unit: RoundUnit) -> bool:
    return actor is None or roles_in(actor, unit.agency, Role.LEADER)


def unit_approve(actor: Any, unit: RoundUnit) -> bool:
    return actor is None or roles_in(actor, unit.agency, Role.LEADER)


def appeal_file(actor: Any, unit: RoundUnit) -> bool:
    return actor is None or roles_in(actor, unit.agency, Role.LEADER)


# --- the council ----------------------------------------------------------------------------


def review_give(actor: Any, unit: RoundUnit) -> bool:
    return member_of(actor, unit.round) is not None


def decision_record(actor: Any, unit: RoundUnit) -> bool:
    member = member_of(actor, unit.round)
    if member is not None and member.role in SECRETARIAT:
        return True
    return _admin(actor) or roles_in(actor, unit.round.standing_body, Role.LEADER, Role.HEAD)


def appeal_resolve(actor: Any, unit: RoundUnit) -> bool:
    return decision_record(actor, unit)


# --- reading --------------------------------------------------------------------------------


def view_round(actor: Any, round_: Round) -> bool:
    """The standing body, the council, the platform administrator; and every official of a
    unit in scope (their own unit's page, the round's list of units)."""
    if standing(actor, round_) or member_of(actor, round_) is not None:
        return True
    return bool(
        core_rules.is_official(actor)
        and round_.units.filter(
            agency__memberships__user=actor, agency__memberships__revoked_at__isnull=True
        ).exists()
    )


def view_unit(actor: Any, unit: RoundUnit) -> bool:
    return (
        standing(actor, unit.round)
        or member_of(actor, unit.round) is not None
        or bool(core_rules.can_view_agency_records(actor, unit.agency))
    )


def view_results(actor: Any, round_: Round) -> bool:
    """Published results are public; before that, those who run the round."""
    return (
        round_.status == "published"
        or standing(actor, round_)
        or (member_of(actor, round_) is not None)
    )


def results_pdf(actor: Any, round_: Round) -> bool:
    return view_results(actor, round_)
