"""``thudo eidsim account …`` / ``thudo eidsim client …``: seed the eID simulator."""

from __future__ import annotations

import getpass
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from thudo.core.errors import ApplicationError
from thudo.eidsim import services


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value}") from None


class Command(BaseCommand):
    help = "Create or update people and relying parties of the eID simulator."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        account = sub.add_parser("account", help="Create or update a simulated person.")
        account.add_argument("--personal-id", required=True)
        account.add_argument("--full-name", required=True)
        account.add_argument("--birth-date", required=True, help="YYYY-MM-DD")
        account.add_argument("--gender", required=True, choices=["male", "female"])
        account.add_argument("--loa", type=int, choices=[1, 2], default=2)
        account.add_argument("--password", help="asked for when omitted")
        account.add_argument(
            "--inactive", action="store_true", help="disable the account (sign-in is refused)"
        )
        client = sub.add_parser("client", help="Register or update a relying party.")
        client.add_argument("--client-id", required=True)
        client.add_argument("--client-secret", help="asked for when omitted")
        client.add_argument("--name", default="")
        client.add_argument("--redirect-uri", action="append", required=True, dest="redirect_uris")
        client.add_argument(
            "--post-logout-redirect-uri",
            action="append",
            default=[],
            dest="post_logout_redirect_uris",
        )
        client.add_argument(
            "--auth-method",
            default="client_secret_basic",
            choices=["client_secret_basic", "client_secret_post"],
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "account":
                password = options["password"] or getpass.getpass("Password: ")
                account = services.account_upsert(
                    personal_id=options["personal_id"],
                    full_name=options["full_name"],
                    birth_date=_date(options["birth_date"]),
                    gender=options["gender"],
                    loa=options["loa"],
                    password=password,
                    is_active=not options["inactive"],
                )
                state = " (inactive)" if options["inactive"] else ""
                self.stdout.write(
                    f"eidsim account {account.personal_id}: {account.full_name}, "
                    f"level {account.loa}{state}"
                )
            else:
                secret = options["client_secret"] or getpass.getpass("Client secret: ")
                client = services.client_upsert(
                    client_id=options["client_id"],
                    client_secret=secret,
                    redirect_uris=options["redirect_uris"],
                    post_logout_redirect_uris=options["post_logout_redirect_uris"],
                    name=options["name"],
                    token_endpoint_auth_method=options["auth_method"],
                )
                self.stdout.write(
                    f"eidsim client {client.client_id}: {', '.join(client.redirect_uris)}"
                )
        except ApplicationError as exc:
            details = "; ".join(f"{e.field}: {e.message}" for e in exc.field_errors)
            raise CommandError(details or str(exc.message)) from None
