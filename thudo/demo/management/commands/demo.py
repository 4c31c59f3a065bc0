"""``thudo demo build``: build (or refresh) the demo city and print its logins."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from thudo.demo import builder


class Command(BaseCommand):
    help = "Build the demo city into the database and write var/demo/credentials.json."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        build = sub.add_parser("build", help="Build the demo city (safe to re-run).")
        build.add_argument("--port", type=int, default=settings.PORT)
        build.add_argument("--host", default="127.0.0.1")

    def handle(self, *args: Any, **options: Any) -> None:
        base_url = f"http://{options['host']}:{options['port']}"
        credentials = builder.build(base_url=base_url, say=self.stdout.write)
        self.stdout.write(builder.summary(credentials))
