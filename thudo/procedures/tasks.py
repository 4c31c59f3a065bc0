"""Background work of the public-services module (django-tasks, database backend)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from thudo.procedures.models import Dossier, Notice


@task()
def prefill(dossier_id: int) -> bool:
    """Ask the population database again for a dossier filed while it was down; retried
    later by ``procedures retry-prefill`` (or the next run of this task) if still down."""
    from thudo.procedures import services

    dossier = Dossier.objects.select_related("version__procedure").filter(pk=dossier_id).first()
    if dossier is None:
        return True
    return services.dossier_prefill_retry(dossier=dossier)


@task()
def remind() -> int:
    """Tell the officials who hold open tasks of dossiers due within a working day."""
    from thudo.procedures import services

    return services.remind_due(now=timezone.now(), within=timedelta(hours=8))


@task()
def send_notice(notice_id: int) -> list[str]:
    """Send one notice by e-mail and the other configured channels."""
    from thudo.procedures import notices

    notice = Notice.objects.select_related("user", "dossier").filter(pk=notice_id).first()
    return notices.deliver(notice) if notice is not None else []
