"""The service index page (Decision 766): its five groups computed from the dossiers
there are, with the formula and the numbers behind each score."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from thudo.procedures import index, services
from thudo.procedures.models import Dossier
from thudo.procedures.tests.factories import Desk, login
from thudo.procedures.tests.test_console import complete, received

pytestmark = pytest.mark.django_db


def refused(desk: Desk) -> Dossier:
    """Received, then refused by the specialist: finished without a digital result."""
    dossier = received(desk)
    complete(dossier, desk.specialist, decision="refuse", note="Chưa đủ điều kiện kết hôn")
    dossier.refresh_from_db()
    assert dossier.status == "refused"
    return dossier


def two_finished(desk: Desk) -> tuple[Dossier, Dossier]:
    first, second = refused(desk), refused(desk)
    # The second one took longer than the law allows.
    assert second.finished_at is not None
    Dossier.objects.filter(pk=second.pk).update(due_at=second.finished_at - timedelta(hours=1))
    services.dossier_rate(actor=desk.bride, dossier=first, rating=5)
    services.dossier_rate(actor=desk.bride, dossier=second, rating=4)
    return first, second


def _scores(body: str) -> dict[str, str]:
    return dict(re.findall(r'<tr id="group-(\w+)">.*?data-score>([\d.]+)<', body, flags=re.S))


def test_the_index_is_computed_from_the_dossiers(desk: Desk) -> None:
    two_finished(desk)
    today = timezone.localdate()
    result = index.compute(start=today.replace(month=1, day=1), end=today)
    f = result.figures
    assert (f.received, f.online, f.finished, f.on_time, f.late, f.rated) == (2, 2, 2, 1, 1, 2)
    assert (f.procedures, f.procedures_full_online) == (9, 7)
    scores = {g.code: g.score for g in result.groups}
    assert scores == {
        "publicity": round(18 * f.procedures_complete_info / 9, 2),
        "progress": 10.0,
        "digitisation": 0.0,
        "online": 19.56,  # 22 × (½ × 7/9 + ½ × 2/2)
        "satisfaction": 15.75,  # 18 × (4.5 − 1) / 4
    }

    page = login(desk.clerk).get("/mot-cua/chi-so-phuc-vu/")
    assert page.status_code == 200
    body = page.content.decode()
    assert _scores(body) == {code: str(score) for code, score in scores.items()}
    assert f'<span id="index-total">{result.total}</span> / 100' in body
    for group in result.groups:
        assert str(group.name) in body
        assert str(group.formula) in body
    assert "1 / 2" in body  # on time / finished
    assert "½ × 7/9 + ½ × 2/2" in body
    assert "4.50 (2)" in body
    chart = body.split('<svg id="index-chart"', 1)[1].split("</svg>", 1)[0]
    assert 'role="img"' in chart and "<title" in chart
    assert "Tiến độ, kết quả giải quyết: 10.0 / 20" in chart


def test_the_index_for_one_agency_and_period(desk: Desk) -> None:
    two_finished(desk)
    client = login(desk.specialist)
    today = timezone.localdate()
    last_year = today.replace(year=today.year - 1)
    empty = client.get(
        f"/mot-cua/chi-so-phuc-vu/?start={last_year.replace(month=1, day=1)}"
        f"&end={last_year.replace(month=12, day=31)}"
    ).content.decode()
    assert _scores(empty)["progress"] == "0.0"
    assert _scores(empty)["satisfaction"] == "0.0"

    one = client.get(f"/mot-cua/chi-so-phuc-vu/?agency={desk.commune.code}").content.decode()
    # Commune-level procedures only: 6 of 8 are fully online.
    assert "½ × 6/8 + ½ × 2/2" in one
    assert _scores(one)["online"] == "19.25"
    assert _scores(one)["progress"] == "10.0"

    wrong = client.get("/mot-cua/chi-so-phuc-vu/?start=2025-05-01&end=2025-01-01")
    assert wrong.status_code == 422
    assert "Ngày kết thúc phải sau ngày bắt đầu." in wrong.content.decode()
