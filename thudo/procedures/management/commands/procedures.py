"""``manage.py procedures load|remind|retry-prefill``: publish the shipped catalogue, remind
officials of dossiers due soon, retry the population prefill of dossiers filed while the
registry was down. Meant for deployment scripts and a scheduler (cron, systemd timer)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from thudo.procedures import services
from thudo.procedures.models import Dossier


class Command(BaseCommand):
    help = "Public services: load the catalogue, send reminders, retry prefills."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("load", help="publish the shipped procedure catalogue (idempotent)")
        remind = sub.add_parser("remind", help="remind officials of dossiers due soon")
        remind.add_argument("--hours", type=int, default=8, help="working hours ahead")
        sub.add_parser("retry-prefill", help="ask the population database again")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "load":
            changed = services.catalogue_load(actor=None)
            self.stdout.write(f"{len(changed)} procedure(s) published: {', '.join(changed) or '-'}")
        elif action == "remind":
            sent = services.remind_due(now=timezone.now(), within=timedelta(hours=options["hours"]))
            self.stdout.write(f"{sent} reminder(s) sent")
        else:
            pending = Dossier.objects.filter(prefill=Dossier.Prefill.PENDING).select_related(
                "version__procedure"
            )
            done = sum(1 for d in pending if services.dossier_prefill_retry(dossier=d))
            self.stdout.write(f"{done} dossier(s) prefilled")
