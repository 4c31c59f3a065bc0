"""``manage.py dti framework-import|framework-export|shipped|measure``.

``framework-import`` reads every file first (YAML, or CSV by its ``.csv`` extension) and
writes nothing unless all of them are right: each mistake is printed with the file and
where in it, and the command exits with status 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from thudo.core.errors import ApplicationError

EXTENSIONS = (".yaml", ".yml", ".json", ".csv")
INVALID = 2  # the exit status of a file that does not parse (nothing written)


class Command(BaseCommand):
    help = "DTI: import and export frameworks, load the shipped ones, refresh measured values."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser(
            "framework-import", help="import framework files (YAML, or CSV by extension)"
        )
        load.add_argument("files", nargs="+", type=Path, metavar="FILE")
        dump = sub.add_parser("framework-export", help="write a framework as YAML or CSV")
        dump.add_argument("code")
        dump.add_argument("year", type=int)
        dump.add_argument("--version", type=int, dest="framework_version", help="default: latest")
        dump.add_argument("--format", choices=["yaml", "csv"], default="yaml", dest="fmt")
        dump.add_argument("--output", type=Path, help="a file; default: standard output")
        sub.add_parser("shipped", help="import the frameworks shipped in thudo/dti/frameworks/")
        measure = sub.add_parser("measure", help="refresh a round's measured values")
        measure.add_argument("round_id", type=int, metavar="ROUND_ID")

    def handle(self, *args: Any, **options: Any) -> None:
        from thudo.dti import frameworks

        action = options["action"]
        try:
            if action == "framework-import":
                self._import(options["files"])
            elif action == "shipped":
                self._import(list(frameworks.shipped()))
            elif action == "framework-export":
                self._export(
                    options["code"],
                    options["year"],
                    options.get("framework_version"),
                    options["fmt"],
                    options.get("output"),
                )
            else:
                self._measure(options["round_id"])
        except ApplicationError as exc:
            details = "; ".join(f"{e.field}: {e.message}" for e in exc.field_errors)
            raise CommandError(f"{exc.message} {details}".strip()) from exc

    def _import(self, paths: list[Path]) -> None:
        from thudo.dti import frameworks, services

        parsed: list[tuple[Path, frameworks.Parsed]] = []
        errors: list[str] = []
        for path in paths:
            if path.suffix.lower() not in EXTENSIONS:
                errors.append(f"{path}: the file name must end in {', '.join(EXTENSIONS)}")
                continue
            try:
                parsed.append((path, frameworks.parse_file(path.name, path.read_bytes())))
            except OSError as exc:
                errors.append(f"{path}: {exc.strerror or exc}")
            except ApplicationError as exc:
                errors.append(f"{path}: {exc.message}")
                errors += [
                    f"{path}: {e.field or '-'}: {e.message} [{e.code}]" for e in exc.field_errors
                ]
        if errors:
            for line in errors:
                self.stderr.write(line)
            raise CommandError("nothing was imported", returncode=INVALID)
        with transaction.atomic():
            for path, framework in parsed:
                imported = services.framework_import(actor=None, parsed=framework)
                found = imported.framework
                state = "created" if imported.created else "unchanged"
                self.stdout.write(
                    f"{state} {found.code} {found.year} v{found.version} "
                    f"({found.name}) from {path.name}"
                )

    def _export(
        self, code: str, year: int, version: int | None, fmt: str, output: Path | None
    ) -> None:
        from thudo.dti import frameworks, selectors

        found = selectors.framework_get(code=code, year=year, version=version)
        if found is None:
            which = f" v{version}" if version else ""
            raise CommandError(f"no framework {code} {year}{which}")
        parsed = frameworks.parse_document(found.document)
        text = frameworks.to_csv(parsed) if fmt == "csv" else frameworks.to_yaml(parsed)
        if output is None:
            # The byte-order mark is for Excel opening a file, not for a terminal.
            self.stdout.write(text.removeprefix("\ufeff"), ending="")
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{output}: {exc.strerror or exc}") from exc
        self.stdout.write(f"{found.code} {found.year} v{found.version} → {output}")

    def _measure(self, round_id: int) -> None:
        from thudo.dti import selectors, services

        # The platform itself (no user) sees every round.
        round_ = selectors.round_get_for_user(user=None, pk=round_id)
        if round_ is None:
            raise CommandError(f"no round {round_id}")
        measured = services.measured_refresh(actor=None, round_=round_)
        self.stdout.write(f"{measured} measured values in {round_.name}")
