"""Background work of the open-data portal (django-tasks, database backend)."""

from __future__ import annotations

from django_tasks import task


@task()
def datastore_load(resource_id: str) -> str:
    """Load an uploaded table into the datastore; see ``services.datastore_load_run``."""
    from thudo.opendata import services

    return services.datastore_load_run(actor=None, resource_id=resource_id)


@task()
def indicators_publish() -> int:
    """Publish the approved reporting indicators as open data (run after approvals, or
    on a schedule: ``manage.py opendata publish-indicators``)."""
    from thudo.opendata import services

    return len(services.indicators_publish(actor=None))
