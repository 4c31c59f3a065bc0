"""Reads of the public-services module: the public catalogue, a person's dossiers, the
officials' queues, a dossier's timeline, and the figures of the service index."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from thudo.core.models import Agency, Role
from thudo.core.text import fold
from thudo.procedures import permissions
from thudo.procedures.contracts import FINAL, Status
from thudo.procedures.models import Dossier, DossierEvent, Procedure, ProcedureVersion, Task

S = Status


def procedure_list(*, query: str = "", sector: str = "") -> QuerySet[Procedure]:
    """Active procedures; ``query`` matched without accents on code, name and sector."""
    found = Procedure.objects.filter(is_active=True)
    for word in fold(query or "").split():
        found = found.filter(search_name__contains=word)
    if sector:
        found = found.filter(sector=sector)
    return found.order_by("sector", "name")


def procedure_get(*, code: str) -> Procedure | None:
    return Procedure.objects.filter(Q(code=code) | Q(slug=code), is_active=True).first()


def version_current(procedure: Procedure) -> ProcedureVersion | None:
    return procedure.versions.order_by("-version").first()


def sectors() -> list[str]:
    return list(
        Procedure.objects.filter(is_active=True)
        .values_list("sector", flat=True)
        .distinct()
        .order_by("sector")
    )


def competent_agencies(procedure: Procedure) -> QuerySet[Agency]:
    return Agency.objects.filter(kind=procedure.agency_kind, is_active=True).order_by("name")


def dossier_get(*, code: str) -> Dossier | None:
    return (
        Dossier.objects.select_related("version__procedure", "agency", "filed_at", "applicant")
        .filter(code=code)
        .first()
    )


def dossier_get_for_user(*, user: Any, code: str) -> Dossier | None:
    dossier = dossier_get(code=code)
    if dossier is None or not permissions.dossier_view(user, dossier):
        return None
    return dossier


def dossiers_of(*, user: Any) -> QuerySet[Dossier]:
    return (
        Dossier.objects.filter(applicant=user)
        .select_related("version__procedure", "agency")
        .order_by("-created_at")
    )


def wallet_of(*, user: Any) -> QuerySet[Dossier]:
    """The signed results the person holds: their returned dossiers with a result."""
    return dossiers_of(user=user).filter(status=S.RETURNED, result_pdf__isnull=False)


def timeline(dossier: Dossier) -> list[DossierEvent]:
    return list(dossier.events.select_related("actor").order_by("at", "pk"))


def agencies_of(user: Any) -> list[Agency]:
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return [
        m.agency for m in user.memberships.filter(revoked_at__isnull=True).select_related("agency")
    ]


QUEUES = ("mine", "received_today", "waiting", "due_soon", "late", "signing", "result", "all")


def queue(
    *, user: Any, agency: Agency, name: str, now: datetime | None = None
) -> QuerySet[Dossier]:
    """An agency's dossiers as its officials work them: waiting at the desk, received
    today, due soon, late, waiting for my task, to sign, results to return."""
    now = now or timezone.now()
    base = (
        Dossier.objects.filter(Q(agency=agency) | Q(filed_at=agency))
        .exclude(status=S.DRAFT)
        .select_related("version__procedure", "agency")
    )
    roles = set(
        user.memberships.filter(agency=agency, revoked_at__isnull=True).values_list(
            "role", flat=True
        )
    )
    if name == "mine":
        tasks = Task.objects.filter(agency=agency, state__in=[Task.State.READY, Task.State.CLAIMED])
        tasks = tasks.filter(Q(assignee=user) | Q(assignee__isnull=True, role__in=roles))
        return base.filter(pk__in=tasks.values("dossier_id")).order_by("due_at")
    if name == "received_today":
        start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        return base.filter(received_at__gte=start).order_by("-received_at")
    if name == "waiting":
        return base.filter(status=S.SUBMITTED).order_by("submitted_at")
    if name == "due_soon":
        return base.filter(
            status__in=[S.PROCESSING, S.SIGNING],
            due_at__gte=now,
            due_at__lte=now + timedelta(days=2),
        ).order_by("due_at")
    if name == "late":
        return base.filter(status__in=[S.PROCESSING, S.SIGNING], due_at__lt=now).order_by("due_at")
    if name == "signing":
        return base.filter(status=S.SIGNING).order_by("due_at")
    if name == "result":
        return base.filter(status=S.RESULT_READY).order_by("finished_at")
    return base.order_by("-submitted_at")


def queue_counts(*, user: Any, agency: Agency) -> dict[str, int]:
    return {name: queue(user=user, agency=agency, name=name).count() for name in QUEUES}


def open_tasks(dossier: Dossier) -> list[Task]:
    return list(
        dossier.tasks.filter(state__in=[Task.State.READY, Task.State.CLAIMED]).select_related(
            "assignee"
        )
    )


def can_work(user: Any, task: Task) -> bool:
    return permissions.task_complete(user, task)


def is_late(dossier: Dossier, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    if dossier.due_at is None:
        return False
    if Status(dossier.status) in FINAL or dossier.status == S.RESULT_READY:
        return (dossier.finished_at or now) > dossier.due_at
    return now > dossier.due_at


def timeliness(dossier: Dossier, now: datetime | None = None) -> str:
    """ "early" / "on_time" / "late" (finished), or "in_time" / "late" while open."""
    now = now or timezone.now()
    if dossier.due_at is None:
        return ""
    if dossier.finished_at is not None:
        if dossier.finished_at > dossier.due_at:
            return "late"
        return "early" if dossier.finished_at.date() < dossier.due_at.date() else "on_time"
    return "late" if now > dossier.due_at else "in_time"


# --- figures ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    received: int
    online: int
    fully_online: int
    finished: int
    on_time: int
    late: int
    digital_results: int
    rated: int
    average_rating: float | None
    procedures: int
    procedures_full_online: int
    procedures_complete_info: int


def figures(*, start: datetime, end: datetime, agency: Agency | None = None) -> Figures:
    """Counts over dossiers received or finished in [start, end), optionally one agency."""
    dossiers = Dossier.objects.exclude(status=S.DRAFT)
    if agency is not None:
        dossiers = dossiers.filter(agency=agency)
    received = dossiers.filter(submitted_at__gte=start, submitted_at__lt=end)
    finished = dossiers.filter(
        finished_at__gte=start, finished_at__lt=end, due_at__isnull=False
    ).exclude(status__in=[S.WITHDRAWN, S.REJECTED])
    counts = received.aggregate(
        n=Count("pk"),
        online=Count("pk", filter=Q(channel=Dossier.Channel.ONLINE)),
        full=Count(
            "pk",
            filter=Q(
                channel=Dossier.Channel.ONLINE,
                version__service_level="full_online",
            ),
        ),
    )
    done = finished.aggregate(
        n=Count("pk"),
        late=Count("pk", filter=Q(finished_at__gt=models_f("due_at"))),
        digital=Count("pk", filter=Q(result_pdf__isnull=False)),
    )
    rated = dossiers.filter(finished_at__gte=start, finished_at__lt=end, rating__isnull=False)
    rating = rated.aggregate(n=Count("pk"), avg=Avg("rating"))
    procedures = Procedure.objects.filter(is_active=True)
    if agency is not None:
        procedures = procedures.filter(agency_kind=agency.kind)
    # The current (highest) version of each procedure, in one query.
    current: dict[int, ProcedureVersion] = {}
    for v in ProcedureVersion.objects.filter(procedure__in=procedures).order_by(
        "procedure_id", "-version"
    ):
        current.setdefault(v.procedure_id, v)
    versions = list(current.values())
    return Figures(
        received=counts["n"],
        online=counts["online"],
        fully_online=counts["full"],
        finished=done["n"],
        on_time=done["n"] - done["late"],
        late=done["late"],
        digital_results=done["digital"],
        rated=rating["n"],
        average_rating=float(rating["avg"]) if rating["avg"] is not None else None,
        procedures=len(versions),
        procedures_full_online=sum(1 for v in versions if v.service_level == "full_online"),
        procedures_complete_info=sum(1 for v in versions if _complete(v)),
    )


def models_f(name: str) -> Any:
    from django.db.models import F

    return F(name)


def _complete(version: ProcedureVersion) -> bool:
    """Publicly complete: components, deadline, fees (even if none), legal basis, form."""
    return bool(
        version.components
        and version.legal_basis
        and version.form_schema.get("properties")
        and version.decision
        and (version.deadline_days is not None or version.deadline_hours)
    )


def role_label(role: str) -> str:
    return str(dict(Role.choices).get(role, role))
