"""Reads of the documents module: what an official may see, search, metrics."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from thudo.core import rules as core_rules
from thudo.core.errors import NotFound
from thudo.core.models import Agency, Role, User
from thudo.core.text import fold
from thudo.documents.models import Assignment, Attachment, Document


def _visible_agency_ids(user: Any) -> list[int] | None:
    """None: every agency (platform administrators)."""
    if core_rules.is_platform_admin(user):
        return None
    return [m.agency_id for m in user.memberships.filter(revoked_at__isnull=True)]


def document_list_for_user(
    *,
    user: Any,
    direction: str | None = None,
    status: str | None = None,
    q: str | None = None,
    type_code: str | None = None,
    sender: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[Document]:
    """Documents of the user's agencies (never another agency's: officials of commune A
    do not see commune B's documents), filtered and searched."""
    documents = Document.objects.select_related("agency")
    ids = _visible_agency_ids(user)
    if ids is not None:
        documents = documents.filter(agency_id__in=ids)
    if direction:
        documents = documents.filter(direction=direction)
    if status:
        documents = documents.filter(status=status)
    if type_code:
        documents = documents.filter(type_code=type_code)
    if sender:
        documents = documents.filter(Q(sender_code=sender) | Q(sender_name__icontains=sender))
    if since:
        documents = documents.filter(Q(issued_on__gte=since) | Q(received_at__date__gte=since))
    if until:
        documents = documents.filter(Q(issued_on__lte=until) | Q(received_at__date__lte=until))
    if q:
        documents = search(documents, q)
    return documents.order_by("-updated_at", "-pk")


def search(documents: QuerySet[Document], q: str) -> QuerySet[Document]:
    """Accent-insensitive: "quyet dinh" finds "Quyết định". ``search_text`` holds the
    folded number, summary, body and sender; PostgreSQL searches it by full text, SQLite
    by substring."""
    terms = fold(q)[:200]
    if not terms:
        return documents
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        # The parser keeps "01/qd-ubnd" as one token, so a part of a notation ("qd-ubnd")
        # or of a word is found by substring, as on SQLite.
        return documents.annotate(_found=SearchVector("search_text", config="simple")).filter(
            Q(_found=SearchQuery(terms, config="simple", search_type="plain"))
            | Q(search_text__contains=terms)
        )
    for term in terms.split():
        documents = documents.filter(search_text__contains=term)
    return documents


def document_get_for_user(*, user: Any, pk: int) -> Document:
    found = document_list_for_user(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("Không tìm thấy văn bản."))
    return found


def assignments_of(*, user: Any, open_only: bool = True) -> QuerySet[Assignment]:
    assignments = Assignment.objects.select_related("document", "document__agency").filter(
        assignee=user
    )
    if open_only:
        assignments = assignments.filter(status=Assignment.Status.OPEN)
    return assignments.order_by("due_on", "pk")


def assignment_get_for_user(*, user: Any, pk: int) -> Assignment:
    found = (
        Assignment.objects.select_related("document", "document__agency")
        .filter(pk=pk, assignee=user)
        .first()
    )
    if found is None:
        raise NotFound(_("Không tìm thấy việc được giao."))
    return found


def attachment_get_for_user(*, user: Any, document_pk: int, pk: int) -> Attachment:
    document = document_get_for_user(user=user, pk=document_pk)
    found = Attachment.objects.filter(document=document, pk=pk).first()
    if found is None:
        raise NotFound(_("Không tìm thấy tệp đính kèm."))
    return found


# --- choices offered on the pages and checked again by the services -----------------------


def agencies_of(*, user: Any) -> list[Agency]:
    """The agencies the user works in, where they may draft."""
    return list(
        Agency.objects.filter(
            memberships__user=user, memberships__revoked_at__isnull=True, is_active=True
        )
        .distinct()
        .order_by("name")
    )


def agency_get_for_user(*, user: Any, code: str) -> Agency:
    for agency in agencies_of(user=user):
        if agency.code == code:
            return agency
    raise NotFound(_("Bạn không làm việc tại cơ quan %(c)s.") % {"c": code})


def recipient_agencies(*, agency: Agency) -> QuerySet[Agency]:
    """Where a document of ``agency`` may be sent: every other active agency."""
    return Agency.objects.filter(is_active=True).exclude(pk=agency.pk).order_by("name")


def members_of(*, agency: Agency, role: str | None = None) -> QuerySet[User]:
    """Active officials with an active role in ``agency`` (leaders only: ``role``)."""
    memberships = {"memberships__agency": agency, "memberships__revoked_at__isnull": True}
    if role:
        memberships["memberships__role"] = role
    return (
        User.objects.filter(is_active=True, kind=User.Kind.OFFICIAL, **memberships)
        .distinct()
        .order_by("full_name", "username")
    )


def leaders_of(*, agency: Agency) -> QuerySet[User]:
    return members_of(agency=agency, role=Role.LEADER)


def member_get(*, agency: Agency, pk: int | None = None, username: str | None = None) -> User:
    """One official of ``agency``, by id or user name."""
    members = members_of(agency=agency)
    found = (
        members.filter(pk=pk).first()
        if pk is not None
        else members.filter(username=username).first()
    )
    if found is None:
        raise NotFound(_("Không có cán bộ này trong cơ quan."))
    return found


# --- counts behind the metric providers -------------------------------------------------------
# Each returns the count(s) and the SQL that counted them (the figure's lineage, shown to
# whoever reads it, never executed). ``agency_code`` None is the whole province.


def _counted(documents: QuerySet[Any], name: str) -> tuple[int, str]:
    documents = documents.order_by()
    lineage = f"SELECT COUNT(*) FROM ({documents.values('pk').query}) AS {name}"  # noqa: S608
    return documents.count(), lineage


def _issued_between(*, start: date, end: date, agency_code: str | None) -> QuerySet[Document]:
    documents = Document.objects.filter(
        direction="out",
        status=Document.Status.ISSUED,
        issued_on__gte=start,
        issued_on__lte=end,
    )
    if agency_code is not None:
        documents = documents.filter(agency__code=agency_code)
    return documents


def issued_count(*, start: date, end: date, agency_code: str | None) -> tuple[int, str]:
    """Outgoing documents issued (phát hành) on a day in [start, end]."""
    return _counted(_issued_between(start=start, end=end, agency_code=agency_code), "issued")


def signed_issued_count(
    *, start: date, end: date, agency_code: str | None
) -> tuple[int, str, int, str]:
    """Of the documents issued in [start, end], those whose PDF carries a signature: a
    non-empty PDF and a "sign" step in their trail. (signed, its SQL, issued, its SQL)."""
    from django.db.models import Exists, OuterRef

    from thudo.documents.models import TrailEvent

    issued = _issued_between(start=start, end=end, agency_code=agency_code)
    signed = (
        issued.exclude(pdf__isnull=True)
        .exclude(pdf=b"")
        .filter(Exists(TrailEvent.objects.filter(document=OuterRef("pk"), action="sign")))
    )
    return (*_counted(signed, "signed"), *_counted(issued, "issued"))


def electronic_recipient_count(
    *, start: date, end: date, agency_code: str | None
) -> tuple[int, str, int, str]:
    """Recipients (nơi nhận) of the documents issued in [start, end], and those the
    document reached electronically through the exchange (delivery "sent")."""
    from thudo.documents.models import Recipient

    recipients = Recipient.objects.filter(
        document__in=_issued_between(start=start, end=end, agency_code=agency_code)
    )
    sent = recipients.filter(delivery=Recipient.Delivery.SENT)
    return (*_counted(sent, "sent"), *_counted(recipients, "recipients"))


def on_time_assignment_count(
    *, start: date, end: date, agency_code: str | None
) -> tuple[int, str, int, str]:
    """Assignments of incoming documents due on a day in [start, end], and those done by
    their due date (the day of ``done_at`` in the platform's time zone)."""
    from django.db.models import F

    due = Assignment.objects.filter(document__direction="in", due_on__gte=start, due_on__lte=end)
    if agency_code is not None:
        due = due.filter(document__agency__code=agency_code)
    on_time = due.filter(status=Assignment.Status.DONE, done_at__date__lte=F("due_on"))
    return (*_counted(on_time, "on_time"), *_counted(due, "due"))
