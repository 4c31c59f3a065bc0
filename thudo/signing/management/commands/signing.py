"""``thudo signing …``: the operator's commands for the PKI and signed PDFs (chữ ký số).

    thudo signing bootstrap
    thudo signing issue-seal --agency CODE
    thudo signing sign IN.pdf OUT.pdf --signer USERNAME [--seal AGENCY_CODE] \\
        [--level B-B|B-T|B-LT] [--pin-stdin] [--authority TEXT --position TEXT]
    thudo signing verify FILE.pdf [--json]

Bootstrap and seal issuance run as the operator (``actor=None``). ``sign`` acts as the
named user, with the same permission checks and audit as on the pages: their own valid
certificate and PIN, or with ``--seal`` the agency's seal applied by them. ``verify``
exits 0 only when every signature is intact, valid, trusted, not revoked and the document
was not changed after signing other than by later signatures; 1 otherwise.
"""

from __future__ import annotations

import dataclasses
import getpass
import json
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from thudo.core.errors import ApplicationError
from thudo.signing import keystore, selectors, services, validation
from thudo.signing.contracts import B_LT, LEVELS, Appearance, SignatureReport, ValidationReport

Handler = Callable[[BaseCommand, dict[str, Any]], None]


# --- handlers ----------------------------------------------------------------------------


def bootstrap(command: BaseCommand, options: dict[str, Any]) -> None:
    created = services.pki_bootstrap(actor=None)
    command.stdout.write(f"created: {', '.join(created)}" if created else "PKI already in place")


def issue_seal(command: BaseCommand, options: dict[str, Any]) -> None:
    agency = selectors.agency_get(code=options["agency"])
    certificate = services.certificate_issue_seal(actor=None, agency=agency)
    command.stdout.write(f"serial: {certificate.serial}")
    command.stdout.write(f"subject: {certificate.subject}")
    command.stdout.write(f"valid until: {certificate.not_after.isoformat()}")


def sign(command: BaseCommand, options: dict[str, Any]) -> None:
    source, target = Path(options["input"]), Path(options["output"])
    pdf = _read(source)
    signer = selectors.user_get(username=options["signer"])
    if options["seal"]:
        certificate = selectors.seal_of(agency_code=options["seal"].strip().upper())
        if certificate is None:
            raise CommandError(f"agency {options['seal']} has no valid seal certificate")
    else:
        certificate = selectors.personal_certificate_of(user=signer)
        if certificate is None:
            raise CommandError(f"{signer.get_username()} has no valid signing certificate")
    pin = None
    if keystore.needs_pin(bytes(certificate.sealed_key or b"")):
        pin = _read_pin(options["pin_stdin"])
    appearance = None
    if options["authority"] or options["position"]:
        appearance = Appearance(authority=options["authority"], position=options["position"])
    # Not inside a transaction of our own: a wrong PIN must stay counted.
    signed = services.pdf_sign(
        actor=signer,
        certificate=certificate,
        pdf=pdf,
        pin=pin,
        level=options["level"],
        appearance=appearance,
        reason=options["reason"],
    )
    _write_atomically(target, signed)
    command.stdout.write(
        f"signed {target} ({options['level']}) by {certificate.holder_name}, "
        f"certificate {certificate.serial}"
    )


def verify(command: BaseCommand, options: dict[str, Any]) -> None:
    report = validation.validate(_read(Path(options["file"])))
    if options["json"]:
        command.stdout.write(json.dumps(report_json(report), ensure_ascii=False, indent=2))
    else:
        command.stdout.write(report_text(report))
    if not report.ok:
        # CommandError: the CLI prints it to stderr and exits with status 1.
        raise CommandError(_verdict(report))


# --- helpers -----------------------------------------------------------------------------


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from exc


def _read_pin(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    try:
        return getpass.getpass("PIN: ")
    except (EOFError, KeyboardInterrupt) as exc:
        raise CommandError("no PIN given") from exc


def _write_atomically(target: Path, data: bytes) -> None:
    """All of ``data`` at ``target`` or nothing: a temporary file beside it, then rename."""
    folder = target.resolve().parent
    try:
        handle, name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise CommandError(f"cannot write {target}: {exc.strerror}") from exc
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        temporary.chmod(0o644)
        temporary.replace(target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise CommandError(f"cannot write {target}: {exc.strerror}") from exc


def _when(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else "—"


def _yes(value: bool) -> str:
    return "yes" if value else "NO"


def _block(number: int, signature: SignatureReport) -> list[str]:
    lines = [
        f"Signature {number} ({signature.field_name}): {'OK' if signature.ok else 'NOT OK'}",
        f"  signer:          {signature.signer} (serial {signature.signer_serial or '—'})",
        f"  issuer:          {signature.issuer or '—'}",
        f"  signing time:    {_when(signature.signing_time)} (signer's claim)",
        f"  timestamp:       {_when(signature.timestamp_time)}",
        f"  level:           {signature.level or '—'}",
        f"  intact:          {_yes(signature.intact)}",
        f"  valid:           {_yes(signature.valid)}",
        f"  trusted:         {_yes(signature.trusted)}",
        f"  revocation:      {signature.revocation}",
        f"  whole document:  {_yes(signature.covers_whole_document)}",
        f"  modified after:  {signature.modified_after}",
    ]
    lines += [f"  problem:         {problem}" for problem in signature.problems]
    lines += [f"  note:            {note}" for note in signature.notes]
    return lines


def _verdict(report: ValidationReport) -> str:
    if report.ok:
        return f"verdict: OK — {len(report.signatures)} signature(s), all valid"
    if not report.signatures:
        return f"verdict: NOT OK — {'; '.join(report.problems)}"
    bad = sum(1 for s in report.signatures if not s.ok)
    return f"verdict: NOT OK — {bad} of {len(report.signatures)} signature(s) with problems"


def report_text(report: ValidationReport) -> str:
    lines: list[str] = []
    for number, signature in enumerate(report.signatures, start=1):
        lines += [*_block(number, signature), ""]
    lines += [f"problem: {problem}" for problem in report.problems]
    lines.append(_verdict(report))
    return "\n".join(lines)


def report_json(report: ValidationReport) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        return value.isoformat() if isinstance(value, datetime) else value

    return {
        "ok": report.ok,
        "problems": list(report.problems),
        "signatures": [
            {
                **{k: plain(v) for k, v in dataclasses.asdict(s).items() if k != "problems"},
                "problems": list(s.problems),
                "ok": s.ok,
            }
            for s in report.signatures
        ],
    }


# --- arguments ---------------------------------------------------------------------------


def _add_commands(actions: Any) -> None:
    boot = actions.add_parser("bootstrap", help="create the root, issuing CAs and TSA if missing")
    boot.set_defaults(handler=bootstrap)

    seal = actions.add_parser("issue-seal", help="issue an agency's seal (con dấu điện tử)")
    seal.add_argument("--agency", required=True, help="agency code, e.g. 000.01.50.H26")
    seal.set_defaults(handler=issue_seal)

    signing = actions.add_parser("sign", help="sign a PDF as a user (PAdES, incremental)")
    signing.add_argument("input", metavar="IN.pdf")
    signing.add_argument("output", metavar="OUT.pdf", help="written only when signing succeeds")
    signing.add_argument("--signer", required=True, metavar="USERNAME", help="who signs")
    signing.add_argument(
        "--seal", metavar="AGENCY_CODE", help="apply the agency's seal instead of the signer's own"
    )
    signing.add_argument("--level", choices=LEVELS, default=B_LT)
    signing.add_argument(
        "--pin-stdin", action="store_true", help="read the PIN as one line from stdin (scripts)"
    )
    signing.add_argument("--authority", default="", help='visible block, e.g. "KT. CHỦ TỊCH"')
    signing.add_argument("--position", default="", help='visible block, e.g. "PHÓ CHỦ TỊCH"')
    signing.add_argument("--reason", default="")
    signing.set_defaults(handler=sign)

    check = actions.add_parser("verify", help="validate every signature; exit 1 unless all ok")
    check.add_argument("file", metavar="FILE.pdf")
    check.add_argument("--json", action="store_true", help="the report as JSON")
    check.set_defaults(handler=verify)


class Command(BaseCommand):
    help = "Digital signatures (chữ ký số): the PKI, agency seals, signing and verifying PDFs."

    def add_arguments(self, parser: CommandParser) -> None:
        _add_commands(parser.add_subparsers(dest="action", required=True))

    def handle(self, *args: Any, **options: Any) -> None:
        handler: Handler = options["handler"]
        try:
            handler(self, options)
        except ApplicationError as exc:
            details = "; ".join(f"{e.field}: {e.message}" for e in exc.field_errors)
            raise CommandError(f"{exc.message}{' — ' + details if details else ''}") from exc
