"""One permission check per service of the documents module, with the service's name.

Documents belong to an agency: its officials draft, its heads and leaders review, its
leaders sign, its clerks (văn thư) number, seal, send and receive, its leaders and heads
assign incoming documents; the assignee reports progress. ``actor=None`` is the platform
itself (deliveries through the exchange).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from thudo.core import rules as core_rules
from thudo.core.errors import PermissionDenied
from thudo.core.models import Agency, Role
from thudo.documents.models import Assignment, Document


def require(allowed: bool, message: Any = None) -> None:
    if not allowed:
        raise PermissionDenied(message or _("Bạn không có quyền thực hiện thao tác này."))


def _roles(actor: Any, agency: Agency | None, *roles: str) -> bool:
    if actor is None or agency is None or not core_rules.is_official(actor):
        return False
    memberships = actor.memberships.filter(agency=agency, revoked_at__isnull=True)
    return bool(memberships.filter(role__in=roles).exists() if roles else memberships.exists())


def document_draft(actor: Any, agency: Agency) -> bool:
    return _roles(actor, agency)


def document_update(actor: Any, document: Document) -> bool:
    return _roles(actor, document.agency) and (
        document.drafted_by_id == actor.pk or _roles(actor, document.agency, Role.HEAD, Role.LEADER)
    )


def document_attach(actor: Any, document: Document) -> bool:
    return document_update(actor, document)


def document_submit(actor: Any, document: Document) -> bool:
    return document_update(actor, document)


def document_review(actor: Any, document: Document) -> bool:
    return _roles(actor, document.agency, Role.HEAD, Role.LEADER)


def document_sign(actor: Any, document: Document) -> bool:
    return _roles(actor, document.agency, Role.LEADER)


def document_issue(actor: Any, document: Document) -> bool:
    return _roles(actor, document.agency, Role.CLERK)


def document_resend(actor: Any, document: Document) -> bool:
    return _roles(actor, document.agency, Role.CLERK)


def package_receive(actor: Any) -> bool:
    # Packages arrive from the exchange hub, which has authenticated the sender.
    return actor is None


def status_receive(actor: Any) -> bool:
    return actor is None


def incoming_accept(actor: Any, document: Document) -> bool:
    return _roles(actor, document.agency, Role.CLERK)


def incoming_return(actor: Any, document: Document) -> bool:
    return _roles(actor, document.agency, Role.CLERK)


def incoming_assign(actor: Any, document: Document) -> bool:
    return _roles(actor, document.agency, Role.LEADER, Role.HEAD)


def assignment_progress(actor: Any, assignment: Assignment) -> bool:
    return actor is not None and assignment.assignee_id == actor.pk


def assignment_complete(actor: Any, assignment: Assignment) -> bool:
    return actor is not None and assignment.assignee_id == actor.pk
