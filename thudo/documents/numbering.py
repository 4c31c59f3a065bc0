"""Gapless numbering (Decree 30, Art. 15): numbers run from 01 on 1 January, one sequence
per agency, year and direction, confidential documents on a sequence of their own.

The register row is locked for the transaction that takes the number and writes the
document, so two clerks issuing at the same instant get consecutive numbers, and a
rolled-back issue gives its number back (no gap).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from thudo.core.models import Agency
from thudo.documents.models import Register


def take(*, agency: Agency, year: int, direction: str, confidential: bool) -> int:
    """The next number; must run inside the transaction that uses it."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("numbers are taken inside the transaction that records them")
    key = {"agency": agency, "year": year, "direction": direction, "confidential": confidential}
    register = Register.objects.select_for_update().filter(**key).first()
    if register is None:
        try:
            with transaction.atomic():
                Register.objects.create(**key, last_number=0)
        except IntegrityError:
            pass  # another transaction created it first; lock theirs below
        register = Register.objects.select_for_update().get(**key)
    register.last_number += 1
    register.save(update_fields=["last_number"])
    return register.last_number
