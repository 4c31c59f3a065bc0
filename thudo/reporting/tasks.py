"""Background work of the reporting module (django-tasks, database backend)."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task


@task()
def measure(period: str | None = None) -> int:
    """Compute the measured values of ``period`` (default: the period of each form now
    being reported and the one in progress). Idempotent: values are recomputed in place.
    Run it on a schedule (``manage.py reporting measure`` from cron or a systemd timer)."""
    from thudo.reporting import periods, services
    from thudo.reporting.models import Form

    if period is not None:
        return services.measured_compute(actor=None, period=period)
    today = timezone.localdate()
    written = 0
    codes: set[str] = set()
    for form in Form.objects.filter(is_active=True):
        current = periods.current_open(form.period_kind, today, form.deadline_days)
        codes.update({current.code, periods.for_day(form.period_kind, today).code})
    for code in sorted(codes):
        written += services.measured_compute(actor=None, period=code)
    return written
