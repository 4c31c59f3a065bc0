"""``thudo exchange …``: the operator's commands for the data-exchange hub (LGSP).

    thudo exchange system register --agency CODE --code CODE --name NAME [--class GOV]
    thudo exchange system rotate IDENTIFIER
    thudo exchange service publish --provider IDENTIFIER --code CODE --name NAME \\
        --upstream-url URL --openapi FILE --classification public [--version 1 …]
    thudo exchange grant approve GRANT_ID [--note …]
    thudo exchange grant approve --consumer IDENTIFIER --service PROVIDER/CODE \\
        --purpose … --legal-basis … [--operation "GET /path"]…
    thudo exchange log verify
    thudo exchange log partitions [--months-ahead 12]

The operator acts as ``actor=None``: the same services and audit as on the pages, without
a signed-in official. Each subcommand is one small handler function.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from thudo.core.errors import ApplicationError
from thudo.exchange import messagelog, openapi, partitions, selectors, services
from thudo.exchange.models import MemberSystem, Service

Handler = Callable[[BaseCommand, dict[str, Any]], None]


# --- handlers ----------------------------------------------------------------------------


def system_register(command: BaseCommand, options: dict[str, Any]) -> None:
    created = services.system_register(
        actor=None,
        agency=selectors.agency_get(code=options["agency"]),
        member_class=options["member_class"],
        code=options["code"],
        name=options["name"],
        description=options["description"],
        contact_email=options["email"],
    )
    _print_credentials(command, created)


def system_rotate(command: BaseCommand, options: dict[str, Any]) -> None:
    system = selectors.system_get(identifier=options["identifier"])
    _print_credentials(command, services.system_secret_rotate(actor=None, system=system))


def service_publish(command: BaseCommand, options: dict[str, Any]) -> None:
    source = options["openapi"]
    try:
        document = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {source}: {exc.strerror}") from exc
    service = services.service_publish(
        actor=None,
        provider=selectors.system_get(identifier=options["provider"]),
        code=options["code"],
        version=options["version"],
        name=options["name"],
        description=options["description"],
        upstream_url=options["upstream_url"],
        openapi=document,
        classification=options["classification"],
        legal_basis=options["legal_basis"],
        owner=options["owner"],
    )
    count = len(openapi.operations(service.openapi))
    command.stdout.write(f"published {service} ({count} operations)")


def grant_approve(command: BaseCommand, options: dict[str, Any]) -> None:
    with transaction.atomic():
        if options["grant_id"] is not None:
            grant = selectors.grant_get(pk=options["grant_id"])
        else:
            grant = _grant_request(options)
        grant = services.grant_approve(actor=None, grant=grant, note=options["note"])
    operations = ", ".join(f"{op['method']} {op['path']}" for op in grant.operations)
    command.stdout.write(f"approved #{grant.pk}: {grant.consumer} → {grant.service} [{operations}]")


def log_verify(command: BaseCommand, options: dict[str, Any]) -> None:
    result = messagelog.verify()
    if result.broken is None:
        command.stdout.write(
            f"message log intact: {result.checked} entries in {result.chains} chain(s)"
        )
        return
    broken = result.broken
    # CommandError: the CLI prints it to stderr and exits with status 1.
    raise CommandError(
        f"message log broken at entry {broken.seq} of chain {broken.chain}: {broken.reason}; "
        f"{result.checked} entries before it are intact"
    )


def log_partitions(command: BaseCommand, options: dict[str, Any]) -> None:
    if connection.vendor != "postgresql":
        command.stdout.write(f"the {connection.vendor} database has no partitions: nothing to do")
        return
    with transaction.atomic(), connection.cursor() as cursor:
        created = partitions.ensure_partitions(
            cursor, around=date.today(), after=options["months_ahead"]
        )
    command.stdout.write("\n".join(f"created {name}" for name in created) or "nothing to create")


def _grant_request(options: dict[str, Any]) -> Any:
    needed = ("consumer", "service", "purpose", "legal_basis")
    missing = [f"--{n.replace('_', '-')}" for n in needed if not options[n]]
    if missing:
        raise CommandError(f"give a grant id, or {', '.join(missing)}")
    provider, _slash, code = options["service"].rpartition("/")
    service = selectors.service_get(provider=provider, code=code)
    operations = options["operation"] or [op.key for op in openapi.operations(service.openapi)]
    return services.grant_request(
        actor=None,
        consumer=selectors.system_get(identifier=options["consumer"]),
        service=service,
        operations=[_operation(op) for op in operations],
        purpose=options["purpose"],
        legal_basis=options["legal_basis"],
    )


def _operation(text: str) -> dict[str, str]:
    method, _space, path = text.strip().partition(" ")
    return {"method": method, "path": path.strip()}


def _print_credentials(command: BaseCommand, created: services.NewSecret) -> None:
    command.stdout.write(f"client_id: {created.system.identifier}")
    command.stdout.write(f"client_secret: {created.secret}")
    command.stderr.write("The secret is shown only now; it is stored hashed.")


# --- arguments ---------------------------------------------------------------------------


def _add_system(groups: Any) -> None:
    actions = groups.add_parser("system", help="member systems (hệ thống thành viên)")
    actions = actions.add_subparsers(dest="action", required=True)
    register = actions.add_parser("register", help="register a system; prints its secret once")
    register.add_argument("--agency", required=True, help="agency code, e.g. 000.00.16.H26")
    register.add_argument("--code", required=True, help="system code, e.g. MOTCUA")
    register.add_argument("--name", required=True)
    register.add_argument(
        "--class", dest="member_class", default="GOV", choices=MemberSystem.MemberClass.values
    )
    register.add_argument("--description", default="")
    register.add_argument("--email", default="", help="contact e-mail")
    register.set_defaults(handler=system_register)
    rotate = actions.add_parser("rotate", help="new secret; old secret and tokens stop working")
    rotate.add_argument("identifier", help="VN/<class>/<agency code>/<system code>")
    rotate.set_defaults(handler=system_rotate)


def _add_service(groups: Any) -> None:
    actions = groups.add_parser("service", help="service catalogue (danh mục dịch vụ)")
    actions = actions.add_subparsers(dest="action", required=True)
    publish = actions.add_parser("publish", help="publish a provider system's service")
    publish.add_argument("--provider", required=True, help="identifier of the provider system")
    publish.add_argument("--code", required=True, help="service code, e.g. tra-cuu-cong-dan")
    publish.add_argument("--name", required=True)
    publish.add_argument("--upstream-url", required=True, help="where the gateway forwards calls")
    publish.add_argument(
        "--openapi", required=True, metavar="FILE", help="JSON or YAML; - for stdin"
    )
    publish.add_argument("--classification", required=True, choices=Service.Classification.values)
    publish.add_argument("--version", default="1")
    publish.add_argument("--description", default="")
    publish.add_argument("--legal-basis", default="")
    publish.add_argument("--owner", default="")
    publish.set_defaults(handler=service_publish)


def _add_grant(groups: Any) -> None:
    actions = groups.add_parser("grant", help="access grants (quyền truy cập)")
    actions = actions.add_subparsers(dest="action", required=True)
    approve = actions.add_parser(
        "approve", help="approve a pending request, or request and approve in one step"
    )
    approve.add_argument("grant_id", nargs="?", type=int, help="a pending request")
    approve.add_argument("--consumer", help="identifier of the consumer system")
    approve.add_argument("--service", help="PROVIDER_IDENTIFIER/service-code")
    approve.add_argument(
        "--operation", action="append", default=[], help='"GET /path"; repeat; default: all'
    )
    approve.add_argument("--purpose", default="")
    approve.add_argument("--legal-basis", default="")
    approve.add_argument("--note", default="")
    approve.set_defaults(handler=grant_approve)


def _add_log(groups: Any) -> None:
    actions = groups.add_parser("log", help="message log (nhật ký trao đổi)")
    actions = actions.add_subparsers(dest="action", required=True)
    verify = actions.add_parser("verify", help="check every link of every hash chain")
    verify.set_defaults(handler=log_verify)
    ahead = actions.add_parser("partitions", help="PostgreSQL: create monthly partitions ahead")
    ahead.add_argument("--months-ahead", type=_months, default=12, metavar="N")
    ahead.set_defaults(handler=log_partitions)


def _months(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"a number of months, 0 or more, not {text!r}")
    return int(text)


class Command(BaseCommand):
    help = (
        "Data-exchange hub (LGSP): member systems, service catalogue, access grants, message log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        groups = parser.add_subparsers(dest="group", required=True)
        _add_system(groups)
        _add_service(groups)
        _add_grant(groups)
        _add_log(groups)

    def handle(self, *args: Any, **options: Any) -> None:
        handler: Handler = options["handler"]
        try:
            handler(self, options)
        except ApplicationError as exc:
            details = "; ".join(f"{e.field}: {e.message}" for e in exc.field_errors)
            raise CommandError(f"{exc.message}{' — ' + details if details else ''}") from exc
