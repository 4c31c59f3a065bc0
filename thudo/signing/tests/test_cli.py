"""``thudo signing bootstrap|issue-seal|sign|verify``: the operator's commands."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from thudo.core.models import AuditEvent, Role
from thudo.core.tests.factories import official
from thudo.signing import runtime, services, validation
from thudo.signing.models import Authority, Certificate
from thudo.signing.tests.factories import PIN, sample_pdf

ROOT = Path(__file__).resolve().parents[3]
COMMUNE_A = "Ủy ban nhân dân Phường Ba Đình"


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("signing", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def clean_runtime() -> Iterator[None]:
    runtime.reset()
    yield
    runtime.reset()


@pytest.fixture
def seal_a(city: Any, pki: None) -> Certificate:
    return services.certificate_issue_seal(actor=None, agency=city.commune_a)


@pytest.fixture
def specialist(city: Any, pki: None) -> Any:
    """An official of commune A with a personal certificate under ``PIN``."""
    person = official(city.commune_a, role=Role.SPECIALIST, full_name="Trần Thị Bình")
    services.certificate_issue_official(
        actor=None, agency=city.commune_a, official=person, pin=PIN, title="Chuyên viên"
    )
    return person


@pytest.fixture
def pdf_file(tmp_path: Path) -> Path:
    path = tmp_path / "in.pdf"
    path.write_bytes(sample_pdf())
    return path


def stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


# --- bootstrap, issue-seal ----------------------------------------------------------------


def test_bootstrap_creates_the_pki_once(db: None, clean_runtime: None) -> None:
    assert run("bootstrap") == ("created: root, officials, citizens, tsa\n", "")
    assert list(Authority.objects.values_list("code", flat=True)) == [
        "root",
        "officials",
        "citizens",
    ]
    assert Certificate.objects.filter(profile="tsa").count() == 1

    assert run("bootstrap") == ("PKI already in place\n", "")
    assert Authority.objects.count() == 3
    assert Certificate.objects.filter(profile="tsa").count() == 1
    assert AuditEvent.objects.filter(action="signing.pki.bootstrap").count() == 1


def test_issue_seal_prints_serial_and_subject(city: Any, pki: None) -> None:
    out, err = run("issue-seal", "--agency", "000.01.50.h26")

    seal = Certificate.objects.get(agency=city.commune_a, profile="seal")
    assert out.splitlines() == [
        f"serial: {seal.serial}",
        f"subject: CN={COMMUNE_A},2.5.4.97=VN-000.01.50.H26,O={COMMUNE_A},L=Hà Nội,C=VN",
        f"valid until: {seal.not_after.isoformat()}",
    ]
    assert err == ""
    assert seal.issued_by is None and seal.status == "valid"


def test_issue_seal_for_an_unknown_agency_fails(city: Any, pki: None) -> None:
    with pytest.raises(CommandError, match=r"Không tìm thấy cơ quan 000\.99\.99\.H26"):
        run("issue-seal", "--agency", "000.99.99.H26")
    assert not Certificate.objects.filter(profile="seal").exists()


def test_issue_seal_before_bootstrap_says_so(city: Any, clean_runtime: None) -> None:
    with pytest.raises(CommandError, match="Hệ thống chứng thực chưa được khởi tạo"):
        run("issue-seal", "--agency", city.commune_a.code)


# --- sign ---------------------------------------------------------------------------------


def test_sign_with_the_agency_seal(city: Any, seal_a: Certificate, pdf_file: Path) -> None:
    target = pdf_file.with_name("out.pdf")
    out, _err = run(
        "sign", str(pdf_file), str(target), "--signer", "clerk.a", "--seal", city.commune_a.code,
        "--level", "B-T", "--authority", "TM. ỦY BAN NHÂN DÂN", "--position", "CHỦ TỊCH",
    )  # fmt: skip

    assert out == f"signed {target} (B-T) by {COMMUNE_A}, certificate {seal_a.serial}\n"
    report = validation.validate(target.read_bytes())
    assert report.ok
    [signature] = report.signatures
    assert (signature.signer, signature.signer_serial, signature.level) == (
        COMMUNE_A,
        seal_a.serial,
        "B-T",
    )
    event = AuditEvent.objects.filter(action="signing.pdf.sign").get()
    assert event.actor == city.clerk_a and event.payload["level"] == "B-T"
    assert sorted(p.name for p in target.parent.iterdir()) == ["in.pdf", "out.pdf"]


def test_sign_with_own_certificate_and_pin_from_stdin(
    specialist: Any, pdf_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin(monkeypatch, PIN + "\n")
    target = pdf_file.with_name("out.pdf")
    run("sign", str(pdf_file), str(target), "--signer", specialist.username, "--pin-stdin")

    report = validation.validate(target.read_bytes())
    assert report.ok
    [signature] = report.signatures
    assert (signature.signer, signature.level) == ("Trần Thị Bình", "B-LT")


def test_sign_reads_the_pin_with_getpass(
    specialist: Any, pdf_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts: list[str] = []

    def getpass(prompt: str) -> str:
        prompts.append(prompt)
        return PIN

    monkeypatch.setattr("getpass.getpass", getpass)
    target = pdf_file.with_name("out.pdf")
    run("sign", str(pdf_file), str(target), "--signer", specialist.username, "--level", "B-B")

    assert prompts == ["PIN: "]
    assert validation.validate(target.read_bytes()).signatures[0].level == "B-B"


def test_the_seal_needs_no_pin(
    city: Any, seal_a: Certificate, pdf_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("getpass.getpass", lambda prompt: pytest.fail("asked for a PIN"))
    target = pdf_file.with_name("out.pdf")
    run("sign", str(pdf_file), str(target), "--signer", "clerk.a", "--seal", city.commune_a.code)
    assert validation.validate(target.read_bytes()).ok


def test_wrong_pin_fails_is_counted_and_writes_nothing(
    specialist: Any, pdf_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = pdf_file.with_name("out.pdf")
    target.write_bytes(b"previous content")
    stdin(monkeypatch, "135792\n")

    with pytest.raises(CommandError, match=r"^Mã PIN không đúng\.$"):
        run("sign", str(pdf_file), str(target), "--signer", specialist.username, "--pin-stdin")

    assert target.read_bytes() == b"previous content"
    assert sorted(p.name for p in target.parent.iterdir()) == ["in.pdf", "out.pdf"]
    assert Certificate.objects.get(holder=specialist).pin_failures == 1
    assert not AuditEvent.objects.filter(action="signing.pdf.sign").exists()


def test_locked_pin_fails(specialist: Any, pdf_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Certificate.objects.filter(holder=specialist).update(
        locked_until=timezone.now() + timedelta(minutes=10)
    )
    stdin(monkeypatch, PIN + "\n")
    target = pdf_file.with_name("out.pdf")
    with pytest.raises(CommandError, match="Mã PIN bị khóa tạm thời"):
        run("sign", str(pdf_file), str(target), "--signer", specialist.username, "--pin-stdin")
    assert not target.exists()


def test_signer_without_certificate_fails(city: Any, pki: None, pdf_file: Path) -> None:
    target = pdf_file.with_name("out.pdf")
    with pytest.raises(CommandError, match=r"^admin\.a has no valid signing certificate$"):
        run("sign", str(pdf_file), str(target), "--signer", "admin.a")
    assert not target.exists()


def test_agency_without_seal_fails(city: Any, pki: None, pdf_file: Path) -> None:
    target = pdf_file.with_name("out.pdf")
    with pytest.raises(
        CommandError, match=r"agency 000\.02\.50\.H26 has no valid seal certificate"
    ):
        run("sign", str(pdf_file), str(target), "--signer", "clerk.b", "--seal", "000.02.50.H26")
    assert not target.exists()


def test_unknown_signer_fails(city: Any, pki: None, pdf_file: Path) -> None:
    with pytest.raises(CommandError, match="Không tìm thấy tài khoản nobody"):
        run("sign", str(pdf_file), str(pdf_file.with_name("o.pdf")), "--signer", "nobody")


def test_another_agencys_clerk_may_not_apply_the_seal(
    city: Any, seal_a: Certificate, pdf_file: Path
) -> None:
    target = pdf_file.with_name("out.pdf")
    with pytest.raises(CommandError, match="Bạn không có quyền thực hiện thao tác này"):
        run("sign", str(pdf_file), str(target), "--signer", "clerk.b", "--seal", "000.01.50.H26")
    assert not target.exists()
    assert not AuditEvent.objects.filter(action="signing.pdf.sign").exists()


def test_not_a_pdf_fails(city: Any, seal_a: Certificate, tmp_path: Path) -> None:
    source = tmp_path / "in.pdf"
    source.write_bytes(b"GIF89a not a pdf at all")
    target = tmp_path / "out.pdf"
    with pytest.raises(CommandError, match="Tệp không phải PDF hợp lệ"):
        run("sign", str(source), str(target), "--signer", "clerk.a", "--seal", "000.01.50.H26")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.pdf"]


def test_unreadable_input_fails(city: Any, seal_a: Certificate, tmp_path: Path) -> None:
    missing = tmp_path / "missing.pdf"
    with pytest.raises(
        CommandError, match=re.escape(f"cannot read {missing}: No such file or directory")
    ):
        run("sign", str(missing), str(tmp_path / "o.pdf"), "--signer", "clerk.a")


def test_unwritable_output_fails(city: Any, seal_a: Certificate, pdf_file: Path) -> None:
    target = pdf_file.parent / "no-such-folder" / "out.pdf"
    with pytest.raises(CommandError, match=re.escape(f"cannot write {target}")):
        run("sign", str(pdf_file), str(target), "--signer", "clerk.a", "--seal", "000.01.50.H26")


# --- verify -------------------------------------------------------------------------------


@pytest.fixture
def signed_file(city: Any, seal_a: Certificate, tmp_path: Path) -> Path:
    path = tmp_path / "signed.pdf"
    path.write_bytes(
        services.pdf_sign(actor=city.clerk_a, certificate=seal_a, pdf=sample_pdf(), level="B-T")
    )
    return path


def test_verify_prints_each_signature_and_the_verdict(
    signed_file: Path, seal_a: Certificate
) -> None:
    out, err = run("verify", str(signed_file))

    [signature] = validation.validate(signed_file.read_bytes()).signatures
    assert signature.signing_time is not None and signature.timestamp_time is not None
    issuer = "Common Name: Thủ Đô Số CA cho cơ quan và cán bộ, Organization: Thủ Đô Số, Country: VN"
    assert out.splitlines() == [
        "Signature 1 (Signature1): OK",
        f"  signer:          {COMMUNE_A} (serial {seal_a.serial})",
        f"  issuer:          {issuer}",
        f"  signing time:    {signature.signing_time.isoformat()} (signer's claim)",
        f"  timestamp:       {signature.timestamp_time.isoformat()}",
        "  level:           B-T",
        "  intact:          yes",
        "  valid:           yes",
        "  trusted:         yes",
        "  revocation:      good",
        "  whole document:  yes",
        "  modified after:  none",
        "",
        "verdict: OK — 1 signature(s), all valid",
    ]
    assert err == ""


def test_verify_json(signed_file: Path, seal_a: Certificate) -> None:
    out, _err = run("verify", str(signed_file), "--json")
    report = json.loads(out)
    assert report["ok"] is True and report["problems"] == []
    [signature] = report["signatures"]
    assert signature["ok"] is True
    assert signature["signer_serial"] == seal_a.serial
    assert (signature["level"], signature["revocation"], signature["modified_after"]) == (
        "B-T",
        "good",
        "none",
    )
    assert signature["timestamp_time"].endswith("+00:00")
    assert signature["problems"] == []


def test_verify_fails_for_a_revoked_certificate(signed_file: Path, seal_a: Certificate) -> None:
    services.certificate_revoke(actor=None, certificate=seal_a, reason="keyCompromise")
    with pytest.raises(CommandError, match=r"^verdict: NOT OK — 1 of 1 signature\(s\)"):
        run("verify", str(signed_file))


def test_verify_json_of_a_tampered_file_fails_after_printing(
    signed_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = bytearray(signed_file.read_bytes())
    data[11] ^= 0x01  # the binary comment line: inside the signed range, still a PDF
    signed_file.write_bytes(bytes(data))
    out = StringIO()
    with pytest.raises(CommandError, match="NOT OK"):
        call_command("signing", "verify", str(signed_file), "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["ok"] is False
    assert report["signatures"][0]["intact"] is False
    assert "Nội dung đã bị thay đổi sau khi ký." in report["signatures"][0]["problems"]


def test_verify_of_an_unsigned_pdf_fails(pki: None, pdf_file: Path) -> None:
    out = StringIO()
    with pytest.raises(CommandError, match=r"^verdict: NOT OK — Tệp không có chữ ký số nào\.$"):
        call_command("signing", "verify", str(pdf_file), stdout=out)
    assert out.getvalue() == (
        "problem: Tệp không có chữ ký số nào.\nverdict: NOT OK — Tệp không có chữ ký số nào.\n"
    )


def test_verify_of_garbage_fails(pki: None, tmp_path: Path) -> None:
    path = tmp_path / "x.pdf"
    path.write_bytes(os.urandom(2000))
    with pytest.raises(CommandError, match="Tệp không phải PDF hợp lệ hoặc đã bị hỏng"):
        run("verify", str(path))


def test_verify_of_a_missing_file_fails(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        run("verify", str(tmp_path / "missing.pdf"))


# --- the real command line: exit status ---------------------------------------------------

SEED = """
from django.core.management import call_command
from thudo.core.models import Role
from thudo.core.tests.factories import agency, official, unit
hanoi = unit("01", "Thành phố Hà Nội", kind="central_city")
ward = agency("000.01.50.H26", "Ủy ban nhân dân Phường Ba Đình", unit=hanoi)
official(ward, role=Role.CLERK, username="clerk.a")
call_command("signing", "bootstrap")
call_command("signing", "issue-seal", "--agency", "000.01.50.H26")
call_command("signing", "sign", "{source}", "{target}", "--signer", "clerk.a",
             "--seal", "000.01.50.H26", "--level", "B-LT")
"""


def test_real_command_line_exit_status(tmp_path: Path, pdf_file: Path) -> None:
    """``manage.py signing verify`` in a process of its own, on a database of its own:
    exit status 0 for a good signature, 1 for an unsigned or a tampered PDF."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}  # noqa: TID251
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    env["THUDO_VAR_DIR"] = str(tmp_path / "var")
    env["THUDO_CACHE_DIR"] = str(settings.CACHE_DIR)  # fonts are not what is tested here
    env.pop("THUDO_SIGNING_KEK", None)

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    signed = tmp_path / "signed.pdf"
    for step in (
        ("migrate", "-v0"),
        ("shell", "-c", SEED.format(source=pdf_file, target=signed)),
    ):
        done = manage(*step)
        assert done.returncode == 0, (step, done.stderr[-2000:])
    assert signed.exists()

    good = manage("signing", "verify", str(signed))
    assert good.returncode == 0, good.stderr[-2000:]
    assert good.stdout.splitlines()[-1] == "verdict: OK — 1 signature(s), all valid"

    unsigned = manage("signing", "verify", str(pdf_file))
    assert unsigned.returncode == 1
    assert "verdict: NOT OK — Tệp không có chữ ký số nào." in unsigned.stderr

    data = bytearray(signed.read_bytes())
    data[11] ^= 0x01
    signed.write_bytes(bytes(data))
    tampered = manage("signing", "verify", str(signed), "--json")
    assert tampered.returncode == 1
    assert json.loads(tampered.stdout)["ok"] is False
