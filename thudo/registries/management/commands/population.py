"""``thudo population generate --size N [--seed S] [--province 01]``: synthetic citizens."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from thudo.core.errors import ApplicationError
from thudo.registries.services import population_generate


class Command(BaseCommand):
    help = "Synthetic population (dân cư mô phỏng) of the national population database."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        generate = sub.add_parser(
            "generate",
            help="Replace the province's people and businesses: N people, businesses for some.",
        )
        generate.add_argument("--size", type=int, required=True, help="number of people")
        generate.add_argument("--seed", type=int, default=1, help="same seed, same people")
        generate.add_argument(
            "--province",
            default=settings.THUDO_PROVINCE_CODE,
            help="2-digit GSO province code (default: %(default)s)",
        )
        generate.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "generate":
            self._generate(options)

    def _generate(self, options: dict[str, Any]) -> None:
        show = not options["no_progress"] and sys.stderr.isatty()
        with tqdm(
            total=options["size"],
            unit=" people",
            unit_scale=True,
            disable=not show,
            file=sys.stderr,
            desc=f"population {options['province']}",
        ) as bar:
            try:
                result = population_generate(
                    size=options["size"],
                    seed=options["seed"],
                    province_code=options["province"],
                    progress=bar.update,
                )
            except ApplicationError as exc:
                raise CommandError(str(exc)) from exc
        if options["verbosity"] > 0:
            self.stdout.write(
                f"province {result.province_code}, seed {result.seed}: {result.people:,} people "
                f"in {result.households:,} households and {result.businesses:,} businesses "
                f"in {result.seconds:.1f} s ({result.people_per_second:,.0f} people/s); "
                f"replaced {result.replaced:,} people"
            )
