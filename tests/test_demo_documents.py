"""The demo city's signatures and documents end to end, as `make demo` serves them (the
web server with the gateway on one origin, the task worker run between steps):

- a one-stop clerk issues a citizen's certificate, the citizen's name read from the
  population database through the gateway, and the citizen signs a PDF with it;
- the commune's chairwoman signs the decision waiting for her, the commune's clerk issues
  it, and the Department of Justice receives it through the exchange, its signatures
  valid for our validator and for poppler's pdfsig.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command

from thudo.core.models import Agency, User
from thudo.demo import builder
from thudo.documents import services as documents
from thudo.documents.models import Document, Recipient
from thudo.exchange import client
from thudo.exchange.tests.harness import platform_server
from thudo.identity import oidc
from thudo.signing import runtime
from thudo.signing import services as signing
from thudo.signing.facade import validate_pdf
from thudo.signing.models import Certificate
from thudo.signing.tests.factories import sample_pdf


@pytest.fixture
def demo(
    transactional_db: None, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    settings.EXCHANGE_CONFIG_POLL_SECONDS = 0.05
    settings.REDIS_URL = ""
    cache.clear()
    monkeypatch.setattr(client, "_client", None)
    runtime.reset()
    oidc.forget_all()
    # The hub's key lives in var/: set it before the gateway loads it.
    settings.VAR_DIR = tmp_path
    with platform_server() as (url, _gateway):
        settings.EXCHANGE_GATEWAY_URL = url
        settings.SIGNING_BASE_URL = url
        builder.build(base_url=url, say=lambda _line: None)
        runtime.reset()
        credentials = json.loads((tmp_path / "demo" / "credentials.json").read_text())
        yield {"url": url, "credentials": credentials}
    runtime.reset()
    cache.clear()


def work() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO(), stderr=StringIO())


def test_a_citizen_gets_a_certificate_at_the_counter_and_signs(demo: dict[str, Any]) -> None:
    credentials = demo["credentials"]
    clerk = User.objects.get(username="motcua.tthcc")
    centre = clerk.memberships.get().agency
    person = credentials["citizens"][0]
    certificate = signing.certificate_issue_citizen(
        actor=clerk,
        agency=centre,
        personal_id=person["personal_id"],
        pin="802461",
        identity_confirmed=True,
    )
    # The name on the certificate is the one the population database holds.
    assert certificate.holder_name == person["full_name"]
    assert f"CCCD:{person['personal_id']}" in certificate.subject
    citizen = User.objects.get(personal_id=person["personal_id"])
    assert certificate.holder == citizen

    signed = signing.pdf_sign(
        actor=citizen, certificate=certificate, pdf=sample_pdf("Đơn đề nghị"), pin="802461"
    )
    report = validate_pdf(signed)
    assert report.ok, report
    assert [s.signer for s in report.signatures] == [person["full_name"]]


def test_the_demo_decision_is_signed_issued_and_received(
    demo: dict[str, Any], tmp_path: Path
) -> None:
    credentials = demo["credentials"]
    leader = next(
        c for c in credentials["signing"]["certificates"] if c["username"] == "chutich.phuong"
    )
    decision_url = credentials["documents"]["decision_to_sign"]
    decision = Document.objects.get(pk=int(decision_url.rstrip("/").rsplit("/", 1)[1]))
    assert decision.status == "approved"

    documents.document_sign(
        actor=User.objects.get(username="chutich.phuong"),
        document=decision,
        serial=leader["serial"],
        pin=leader["pin"],
    )
    issued = documents.document_issue(
        actor=User.objects.get(username="motcua.phuong"), document=decision
    )
    assert issued.notation == "01/QĐ-UBND"
    work()
    work()

    justice = Agency.objects.get(code="000.00.03.H26")
    received = Document.objects.get(agency=justice, direction="in")
    assert (received.notation, received.status) == ("01/QĐ-UBND", "received")
    assert Recipient.objects.get(document=issued).status_code == "01"

    pdf = bytes(received.pdf or b"")
    report = validate_pdf(pdf)
    assert report.ok, report
    seal = Certificate.objects.get(agency=issued.agency, profile="seal", status="valid")
    assert [s.signer_serial for s in report.signatures] == [leader["serial"], seal.serial]
    path = tmp_path / "received.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert out.count("Signature is Valid.") == 2

    documents.incoming_accept(actor=User.objects.get(username="vanthu.stp"), document=received)
    work()
    assert Recipient.objects.get(document=issued).status_code == "03"
