"""``manage.py opendata publish-indicators | load <resource id>``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from thudo.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Open-data portal: publish the approved indicators; load a table into the datastore."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="command", required=True)
        sub.add_parser("publish-indicators", help="publish approved reporting indicators")
        load = sub.add_parser("load", help="load an uploaded CSV/XLSX resource now")
        load.add_argument("resource_id")

    def handle(self, *args: Any, **options: Any) -> None:
        from thudo.opendata import services

        try:
            if options["command"] == "publish-indicators":
                found = services.indicators_publish(actor=None)
                self.stdout.write(f"{len(found)} indicator datasets published")
            else:
                outcome = services.datastore_load_run(
                    actor=None, resource_id=options["resource_id"]
                )
                self.stdout.write(outcome)
                if outcome != "complete":
                    raise CommandError(outcome)
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from None
