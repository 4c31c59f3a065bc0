"""``thudo audit verify``: walk the audit chain and name the first broken event."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from thudo.core import audit


class Command(BaseCommand):
    help = "Audit log tools."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="Check every link of the hash chain.")
        verify.add_argument("--batch", type=int, default=5000)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            result = audit.verify(batch=options["batch"])
            if result.ok:
                self.stdout.write(
                    f"audit chain intact: {result.checked} events, last #{result.last_seq}"
                )
                return
            broken = result.broken
            assert broken is not None
            ident = f" (id {broken.event_id})" if broken.event_id is not None else ""
            self.stderr.write(
                f"audit chain broken at event {broken.seq}{ident}: {broken.reason}; "
                f"{result.checked} events before it are intact"
            )
            sys.exit(1)
