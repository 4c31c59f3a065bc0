"""The demo city's public services end to end, as `make demo` serves them (the web server
with the gateway on one origin): a citizen files a marriage registration whose identity
data comes from the population database through the hub, the commune's official and
leader process and sign it, the result passes poppler's pdfsig, and the service index
counts it."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from thudo.core import facade as core
from thudo.core.models import User
from thudo.demo import builder
from thudo.exchange import client
from thudo.exchange.tests.harness import platform_server
from thudo.identity import oidc
from thudo.procedures import index, selectors, services
from thudo.procedures.models import Dossier, Procedure, Task
from thudo.signing import runtime
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


def test_a_marriage_is_filed_processed_signed_and_counted(
    demo: dict[str, Any], tmp_path: Path
) -> None:
    credentials = demo["credentials"]
    info = credentials["procedures"]
    person = credentials["citizens"][0]
    bride = core.citizen_upsert(
        personal_id=person["personal_id"], full_name="", birth_date=None, gender="", loa=2
    )
    groom = credentials["citizens"][1]
    marriage = Procedure.objects.get(code="1.000894")
    dossier = services.dossier_start(
        actor=bride, procedure=marriage, agency_code=info["agency_code"]
    )
    # Once-only: the name is the population database's, read through the hub.
    assert dossier.prefill == "done"
    assert dossier.applicant_data["full_name"] == person["full_name"]
    services.dossier_update_form(
        actor=bride,
        dossier=dossier,
        data={
            "ho_ten_ben_kia": groom["full_name"],
            "so_dinh_danh_ben_kia": groom["personal_id"],
            "ngay_sinh_ben_kia": "1990-01-01",
            "noi_cu_tru_ben_kia": "Hà Nội",
            "tinh_trang_hon_nhan": "chua_ket_hon",
            "tinh_trang_hon_nhan_ben_kia": "chua_ket_hon",
            "tu_nguyen": True,
        },
    )
    services.dossier_attach(
        actor=bride, dossier=dossier, component="to-khai", name="to-khai.pdf",
        content=sample_pdf("Tờ khai đăng ký kết hôn"),
    )  # fmt: skip
    dossier = services.dossier_submit(actor=bride, dossier=dossier)
    assert dossier.code is not None and dossier.code.startswith(f"{info['agency_code']}-")

    staff = {
        u.username: u
        for u in User.objects.filter(
            username__in=[info["clerk"], info["specialist"], info["leader"]]
        )
    }
    dossier = services.dossier_receive(actor=staff[info["clerk"]], dossier=dossier)
    review = Task.objects.get(dossier=dossier, spec="review", state="ready")
    services.task_complete(
        actor=staff[info["specialist"]], task=review, data={"decision": "approve"}
    )
    leader = next(
        c for c in credentials["signing"]["certificates"] if c["username"] == info["leader"]
    )
    dossier = services.dossier_sign(
        actor=staff[info["leader"]], dossier=Dossier.objects.get(pk=dossier.pk),
        serial=leader["serial"], pin=leader["pin"],
    )  # fmt: skip
    handover = Task.objects.get(dossier=dossier, spec="handover", state="ready")
    services.task_complete(actor=staff[info["specialist"]], task=handover, data={})
    dossier.refresh_from_db()
    assert dossier.status == "returned"
    assert dossier in list(selectors.wallet_of(user=bride))

    path = tmp_path / "result.pdf"
    path.write_bytes(bytes(dossier.result_pdf or b""))
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert out.count("Signature is Valid.") == 2

    today = timezone.localdate()
    figures = index.compute(start=date(today.year, 1, 1), end=today).figures
    # The demo's own example dossiers plus this one.
    assert figures.finished == len(info["examples"]) + 1
