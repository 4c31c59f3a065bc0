"""``manage.py reporting measure|rebuild|metadata-import|metadata-export``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from thudo.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Reporting: measured values, pre-aggregated totals, metadata import/export."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        measure = sub.add_parser("measure", help="compute measured values (for a scheduler)")
        measure.add_argument("--period", help="a period code; default: the open periods")
        sub.add_parser("rebuild", help="rebuild the unit tree and the pre-aggregated totals")
        load = sub.add_parser("metadata-import", help="load a metadata JSON or CSV file")
        load.add_argument("file", type=Path)
        load.add_argument("--kind", choices=["data_elements", "indicators"], help="for a CSV file")
        dump = sub.add_parser("metadata-export", help="write all metadata as JSON")
        dump.add_argument("file", type=Path, nargs="?")

    def handle(self, *args: Any, **options: Any) -> None:
        from thudo.reporting import metadata, services, tasks

        try:
            action = options["action"]
            if action == "measure":
                written = tasks.measure.call(options.get("period"))
                self.stdout.write(f"{written} measured values written")
            elif action == "rebuild":
                rows = services.aggregates_rebuild(actor=None)
                self.stdout.write(f"{rows} pre-aggregated totals")
            elif action == "metadata-import":
                text = options["file"].read_text(encoding="utf-8-sig")
                if options.get("kind"):
                    document = metadata.from_csv(options["kind"], text)
                else:
                    document = json.loads(text)
                counts = services.metadata_import(actor=None, document=document)
                self.stdout.write(json.dumps(counts, ensure_ascii=False))
            else:
                out = json.dumps(metadata.export(), ensure_ascii=False, indent=2)
                if options.get("file"):
                    options["file"].write_text(out + "\n", encoding="utf-8")
                else:
                    self.stdout.write(out)
        except ApplicationError as exc:
            details = "; ".join(f"{e.field}: {e.message}" for e in exc.field_errors)
            raise CommandError(f"{exc.message} {details}".strip()) from exc
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
