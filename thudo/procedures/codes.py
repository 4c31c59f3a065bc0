"""Dossier codes ``<agency code>-<yymmdd>-<NNNN>``: gapless per agency and day.

The counter row is locked by the transaction that takes the number and stores the
dossier, so concurrent submissions get consecutive numbers and a rolled-back submission
gives its number back.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction

from thudo.core.models import Agency
from thudo.procedures.models import DossierCounter


def take(agency: Agency, day: date) -> str:
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("codes are taken inside the transaction that stores the dossier")
    counter = DossierCounter.objects.select_for_update().filter(agency=agency, day=day).first()
    if counter is None:
        try:
            with transaction.atomic():
                DossierCounter.objects.create(agency=agency, day=day, last_number=0)
        except IntegrityError:
            pass  # created by a concurrent submission; lock that row below
        counter = DossierCounter.objects.select_for_update().get(agency=agency, day=day)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{agency.code}-{day:%y%m%d}-{counter.last_number:04d}"
