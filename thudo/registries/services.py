"""Writes of the registries: generating a synthetic population and its businesses.

The generator (``generator.py``) makes rows; this module replaces a province's
population and businesses with them in one transaction. On PostgreSQL people stream
through one ``COPY … FROM STDIN`` while the generator keeps producing, so Python and the
server work at the same time on the two cores; households and businesses are spooled and
copied after (the foreign keys are checked at commit). On SQLite rows go in by
``executemany`` in the same transaction.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from psycopg.copy import QueuedLibpqWriter

from thudo.core.errors import invalid
from thudo.core.facade import audit_record
from thudo.core.models import User
from thudo.registries import bulk, permissions, selectors
from thudo.registries.contracts import (
    SEED_MAX,
    SIZE_MAX,
    GenerateResult,
    PopulationTooLarge,
    UnitsMissing,
)
from thudo.registries.generator import PopulationError, PopulationGenerator
from thudo.registries.models import Business, Household, Person

Progress = Callable[[int], object]

# People per block handed from the generator to the database: big enough that per-block
# costs vanish, small enough to keep memory flat (about 5 MB of text per block).
BLOCK_PEOPLE = 20_000
# Household and business rows wait in memory up to this size, then in a temporary file.
_SPOOL_BYTES = 64 << 20
_PROVINCE = re.compile(r"\d{2}")


def population_generate(
    *,
    size: int,
    seed: int,
    province_code: str,
    progress: Progress | None = None,
    actor: User | None = None,
) -> GenerateResult:
    """Replace the synthetic population (dân cư mô phỏng) of a province.

    Makes exactly ``size`` people in households placed in the province's communes in
    force today, and the businesses some adults own (about one per 20 people); the same
    seed gives the same people and businesses. Whatever population and businesses the
    province had are deleted in the same transaction, so running it again is safe. Every
    row is stamped ``updated_at`` = now: to the changes feeds the whole province changed.
    """
    permissions.require(permissions.population_generate(actor))
    _validate(size=size, seed=seed, province_code=province_code)
    communes = selectors.communes_for_population(province_code=province_code)
    if not communes:
        raise UnitsMissing(
            message=(
                f"Tỉnh {province_code} chưa có đơn vị hành chính cấp xã nào: hãy nạp danh mục "
                "đơn vị hành chính trước (`thudo units import`). / Province "
                f"{province_code} has no communes loaded: import the administrative units "
                "first (`thudo units import`)."
            ),
            data={"province_code": province_code},
        )
    started = time.perf_counter()
    generator = PopulationGenerator(
        seed=seed,
        province_code=province_code,
        communes=communes,
        batch=f"{province_code}-{seed}",
        created=_created_text(timezone.now()),
    )
    try:
        with transaction.atomic():
            replaced, emptied = _delete_population(province_code)
            if connection.vendor == "postgresql":
                households, businesses = _copy_postgresql(
                    generator, size, progress, emptied=emptied
                )
            else:
                households, businesses = _insert_rows(generator, size, progress)
            audit_record(
                action="registries.population_generate",
                actor=actor,
                object_type="registries.population",
                object_id=province_code,
                payload={
                    "seed": seed,
                    "size": size,
                    "households": households,
                    "businesses": businesses,
                    "replaced": replaced,
                },
            )
    except PopulationError as exc:
        raise PopulationTooLarge(
            message=f"Quy mô quá lớn cho bộ sinh dữ liệu. / Population too large: {exc}."
        ) from exc
    return GenerateResult(
        province_code=province_code,
        seed=seed,
        people=size,
        households=households,
        businesses=businesses,
        replaced=replaced,
        seconds=time.perf_counter() - started,
    )


def _validate(*, size: int, seed: int, province_code: str) -> None:
    if not 1 <= size <= SIZE_MAX:
        raise invalid(
            "size",
            "size_range",
            f"Số người phải từ 1 đến {SIZE_MAX:,}".replace(",", ".")
            + f" (nhận {size}). / --size must be between 1 and {SIZE_MAX:,} (got {size}).",
        )
    if not 0 <= seed <= SEED_MAX:
        raise invalid(
            "seed",
            "seed_range",
            f"Hạt giống (seed) phải là số nguyên từ 0 đến {SEED_MAX}. / --seed must be an "
            f"integer from 0 to {SEED_MAX}.",
        )
    if not _PROVINCE.fullmatch(province_code or "") or int(province_code) == 0:
        raise invalid(
            "province_code",
            "province_format",
            f"Mã tỉnh phải gồm đúng 2 chữ số, ví dụ 01 (Hà Nội); nhận «{province_code}». / "
            f"--province must be a 2-digit GSO code such as 01 (Hanoi); got "
            f"'{province_code}'.",
        )


def _created_text(now: datetime) -> str:
    """The generation time (households' ``created``, every row's ``updated_at``) as each
    database reads it from text."""
    if connection.vendor == "postgresql":
        return now.isoformat()
    return str(connection.ops.adapt_datetimefield_value(now))


def _delete_population(province_code: str) -> tuple[int, bool]:
    """Delete the province's people, households and businesses.

    Returns how many people were deleted and whether the tables were truncated (so are
    empty and held exclusively by this transaction).
    """
    people, households = Person._meta.db_table, Household._meta.db_table
    businesses = Business._meta.db_table
    others = (
        Household.objects.exclude(province_code=province_code).exists()
        or Business.objects.exclude(province_code=province_code).exists()
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not others:
            # The whole table is this province's: TRUNCATE frees it at once where DELETE
            # would leave a million dead rows for the COPY to walk around.
            replaced = Person.objects.count()
            cursor.execute(f'TRUNCATE "{people}", "{households}", "{businesses}"')
            return replaced, True
        # Raw SQL: the ORM would first fetch every household to cascade the delete.
        # Table names come from the models; the province code is a parameter.
        cursor.execute(
            f'DELETE FROM "{people}" WHERE household_id IN '  # noqa: S608
            f'(SELECT code FROM "{households}" WHERE province_code = %s)',
            [province_code],
        )
        replaced = cursor.rowcount
        cursor.execute(
            f'DELETE FROM "{households}" WHERE province_code = %s',  # noqa: S608
            [province_code],
        )
        cursor.execute(
            f'DELETE FROM "{businesses}" WHERE province_code = %s',  # noqa: S608
            [province_code],
        )
    return replaced, False


def _copy_postgresql(
    generator: PopulationGenerator, size: int, progress: Progress | None, *, emptied: bool
) -> tuple[int, int]:
    """Load the rows; return how many households and businesses were made."""
    statements = bulk.copy_statements()
    households = businesses = 0
    with (
        tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as household_spool,
        tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as business_spool,
        connection.cursor() as cursor,
        bulk.postgresql_bulk_window(cursor) if emptied else nullcontext(),
    ):
        # A worker thread sends each block while the next one is being generated.
        writer = QueuedLibpqWriter(cursor.cursor)
        with cursor.copy(statements.people, writer=writer) as copy:
            for block in generator.blocks(size, block_people=BLOCK_PEOPLE):
                copy.write(bulk.copy_text(block.people))
                household_spool.write(bulk.copy_text(block.households).encode())
                business_spool.write(bulk.copy_text(block.businesses).encode())
                households += len(block.households)
                businesses += len(block.businesses)
                if progress is not None:
                    progress(len(block.people))
        for statement, spool in (
            (statements.households, household_spool),
            (statements.businesses, business_spool),
        ):
            spool.seek(0)
            with cursor.copy(statement) as copy:
                while chunk := spool.read(1 << 20):
                    copy.write(chunk)
    return households, businesses


def _insert_rows(
    generator: PopulationGenerator, size: int, progress: Progress | None
) -> tuple[int, int]:
    """Insert the rows; return how many households and businesses were made."""
    statements = bulk.insert_statements()
    households = businesses = 0
    with connection.cursor() as cursor:
        for block in generator.blocks(size, block_people=BLOCK_PEOPLE):
            # commune_id arrives as text and flags as "1"/"0"; SQLite's column affinities
            # store them as numbers.
            cursor.executemany(statements.households, block.households)
            cursor.executemany(statements.people, bulk.stamped(block.people, generator.created))
            cursor.executemany(
                statements.businesses, bulk.stamped(block.businesses, generator.created)
            )
            households += len(block.households)
            businesses += len(block.businesses)
            if progress is not None:
                progress(len(block.people))
    return households, businesses
