"""Gapless numbers under concurrency, on PostgreSQL (row locks; SQLite serialises every
writer anyway): many clerks taking numbers at once get 1..n exactly, a rolled-back issue
gives its number back, confidential documents and each year count apart, and documents
issued at the same instant get distinct consecutive notations."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

from thudo.documents import numbering, services
from thudo.documents.models import Document, Register
from thudo.documents.tests.core_factories import PIN, Office, approved, office
from thudo.signing.tests.factories import pki

__all__ = ["office", "pki"]  # fixtures

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks under concurrency need PostgreSQL")


def run_threads(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """``work(i)`` in ``count`` threads started together; the errors they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(index)
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads)
    return errors


def take(
    agency: Any, *, year: int = 2026, confidential: bool = False, direction: str = "out"
) -> int:
    with transaction.atomic():
        return numbering.take(
            agency=agency, year=year, direction=direction, confidential=confidential
        )


def test_eight_clerks_taking_two_hundred_numbers_get_1_to_200(city: Any) -> None:
    agency = city.commune_a
    taken: list[int] = []
    lock = threading.Lock()

    def work(_index: int) -> None:
        for _ in range(25):
            number = take(agency)
            with lock:
                taken.append(number)

    assert run_threads(8, work) == []
    assert len(taken) == 200
    assert sorted(taken) == list(range(1, 201))
    assert list(
        Register.objects.values_list(
            "agency_id", "year", "direction", "confidential", "last_number"
        )
    ) == [(agency.pk, 2026, "out", False, 200)]


def test_a_rolled_back_number_is_given_back(city: Any) -> None:
    agency = city.commune_a
    assert take(agency) == 1

    class Abandon(Exception):
        pass

    with pytest.raises(Abandon), transaction.atomic():
        assert numbering.take(agency=agency, year=2026, direction="out", confidential=False) == 2
        raise Abandon
    assert take(agency) == 2
    # The very first number of a register, rolled back with the register itself.
    with pytest.raises(Abandon), transaction.atomic():
        assert numbering.take(agency=agency, year=2027, direction="out", confidential=False) == 1
        raise Abandon
    assert not Register.objects.filter(year=2027).exists()
    assert take(agency, year=2027) == 1


def test_a_clerk_waiting_for_the_lock_gets_the_number_given_back(city: Any) -> None:
    agency = city.commune_a
    assert take(agency) == 1
    holding = threading.Event()
    numbers: dict[str, int] = {}
    waited: list[float] = []

    def work(index: int) -> None:
        if index == 0:
            with pytest.raises(RuntimeError), transaction.atomic():
                numbers["abandoned"] = numbering.take(
                    agency=agency, year=2026, direction="out", confidential=False
                )
                holding.set()
                time.sleep(0.5)
                raise RuntimeError("the issue failed")
        else:
            assert holding.wait(timeout=30)
            started = time.monotonic()
            numbers["waiting"] = take(agency)
            waited.append(time.monotonic() - started)

    assert run_threads(2, work) == []
    assert numbers == {"abandoned": 2, "waiting": 2}
    assert waited[0] > 0.2  # it was held on the register row, not handed a number at once
    assert Register.objects.get(agency=agency, year=2026).last_number == 2


def test_confidential_incoming_and_each_year_count_apart(city: Any) -> None:
    a, b = city.commune_a, city.commune_b
    assert [take(a), take(a), take(a, confidential=True), take(a), take(a, confidential=True)] == [
        1,
        2,
        1,
        3,
        2,
    ]
    assert [take(a, direction="in"), take(b), take(a, year=2027), take(a, year=2027)] == [
        1,
        1,
        1,
        2,
    ]
    assert take(a) == 4
    assert sorted(
        Register.objects.values_list(
            "agency_id", "year", "direction", "confidential", "last_number"
        )
    ) == sorted(
        [
            (a.pk, 2026, "out", False, 4),
            (a.pk, 2026, "out", True, 2),
            (a.pk, 2026, "in", False, 1),
            (b.pk, 2026, "out", False, 1),
            (a.pk, 2027, "out", False, 2),
        ]
    )


def test_confidential_and_ordinary_numbers_taken_together_stay_gapless(city: Any) -> None:
    agency = city.commune_a
    taken: dict[bool, list[int]] = {True: [], False: []}
    lock = threading.Lock()

    def work(index: int) -> None:
        confidential = index % 2 == 0
        for _ in range(15):
            number = take(agency, confidential=confidential)
            with lock:
                taken[confidential].append(number)

    assert run_threads(6, work) == []
    assert sorted(taken[True]) == list(range(1, 46))
    assert sorted(taken[False]) == list(range(1, 46))


def test_a_number_is_taken_only_inside_a_transaction(city: Any) -> None:
    with pytest.raises(RuntimeError):
        numbering.take(agency=city.commune_a, year=2026, direction="out", confidential=False)
    assert not Register.objects.exists()


def test_ten_documents_issued_at_once_get_01_to_10(office: Office) -> None:
    documents = []
    for n in range(10):
        document = approved(office, summary=f"Về việc số {n + 1}")
        services.document_sign(
            actor=office.leader, document=document, serial=office.serial, pin=PIN
        )
        documents.append(document.pk)
    results: dict[int, str] = {}
    lock = threading.Lock()

    def work(index: int) -> None:
        document = Document.objects.get(pk=documents[index])
        done = services.document_issue(actor=office.clerk, document=document)
        with lock:
            results[index] = done.notation

    assert run_threads(10, work) == []
    notations = sorted(results.values())
    assert notations == [f"{n:02d}/QĐ-UBND" for n in range(1, 11)]
    stored = Document.objects.filter(pk__in=documents)
    assert sorted(n or 0 for n in stored.values_list("number", flat=True)) == list(range(1, 11))
    assert set(stored.values_list("status", flat=True)) == {"issued"}
    assert Register.objects.get(agency=office.city.commune_a).last_number == 10
