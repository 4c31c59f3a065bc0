"""One permission check per service of the reporting module, with its name.

A reporting unit's officials enter and complete its data; its leaders and heads approve
it. Above the reporting units, the form's recipient agency (the department that owns the
report) approves the aggregate, and accepts its units' approved data when the form asks
for acceptance. The platform administrator manages metadata. ``actor=None`` is the
platform itself (scheduled measuring, the demo builder).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from thudo.core import rules as core_rules
from thudo.core.errors import PermissionDenied
from thudo.core.models import Agency, Role
from thudo.reporting.models import Form

APPROVERS = (Role.LEADER, Role.HEAD)


def require(allowed: bool, message: Any = None) -> None:
    if not allowed:
        raise PermissionDenied(message or _("Bạn không có quyền thực hiện thao tác này."))


roles_in = core_rules.holds_role


def _platform(actor: Any) -> bool:
    return actor is None


def _admin(actor: Any) -> bool:
    return actor is None or core_rules.is_platform_admin(actor)


def view_unit(actor: Any, form: Form | None, unit: Agency) -> bool:
    """The unit's own officials, those who oversee it, the form's recipient."""
    return bool(
        core_rules.can_view_agency_records(actor, unit)
        or (form is not None and roles_in(actor, form.recipient))
    )


# --- metadata -------------------------------------------------------------------------------


def metadata_import(actor: Any) -> bool:
    return _admin(actor)


def hierarchy_refresh(actor: Any) -> bool:
    return _admin(actor)


def aggregates_rebuild(actor: Any) -> bool:
    return _admin(actor)


def target_set(actor: Any) -> bool:
    return _admin(actor)


# --- data entry -----------------------------------------------------------------------------


def value_save(actor: Any, form: Form, unit: Agency) -> bool:
    return roles_in(actor, unit)


def values_save_many(actor: Any, form: Form, unit: Agency) -> bool:
    return value_save(actor, form, unit)


def excel_import(actor: Any, form: Form, unit: Agency) -> bool:
    return value_save(actor, form, unit)


def form_complete(actor: Any, form: Form, unit: Agency) -> bool:
    return roles_in(actor, unit)


def form_uncomplete(actor: Any, form: Form, unit: Agency) -> bool:
    return form_complete(actor, form, unit) or roles_in(actor, form.recipient, *APPROVERS)


def measured_compute(actor: Any) -> bool:
    return _admin(actor)


# --- approval -------------------------------------------------------------------------------


def approval_approve(actor: Any, form: Form, unit: Agency, *, reporting_unit: bool) -> bool:
    """A reporting unit's leaders approve its own data; an aggregate is approved by the
    leaders of that unit or of the form's recipient."""
    if roles_in(actor, unit, *APPROVERS):
        return True
    return not reporting_unit and roles_in(actor, form.recipient, *APPROVERS)


def approval_unapprove(actor: Any, form: Form, unit: Agency, *, reporting_unit: bool) -> bool:
    # Whoever may approve may take it back, and so may the recipient (returning the data).
    return approval_approve(actor, form, unit, reporting_unit=reporting_unit) or roles_in(
        actor, form.recipient, *APPROVERS
    )


def approval_accept(actor: Any, form: Form, unit: Agency) -> bool:
    """The level above accepts: the recipient for its units, those above for the rest;
    at the top of the tree (the city, whose aggregate the recipient approved) its own
    leaders do."""
    reporting_unit = form.units.filter(pk=unit.pk).exists()
    if reporting_unit and roles_in(actor, form.recipient, *APPROVERS):
        return True
    if unit.parent_id is None and roles_in(actor, unit, Role.LEADER):
        return True
    return bool(core_rules.oversees(actor, unit))


def approval_unaccept(actor: Any, form: Form, unit: Agency) -> bool:
    return approval_accept(actor, form, unit)


# --- export ---------------------------------------------------------------------------------


def export_push(actor: Any, unit: Agency) -> bool:
    return _admin(actor) or roles_in(actor, unit, *APPROVERS, Role.SPECIALIST)


def mapping_set(actor: Any) -> bool:
    return _admin(actor)
