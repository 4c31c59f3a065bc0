"""``thudo population generate``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from thudo.registries.models import Person


def run(*args: str) -> str:
    out = StringIO()
    call_command("population", "generate", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_generate_reports_what_it_did(hanoi) -> None:
    output = run("--size", "300", "--seed", "4", "--province", "01", "--no-progress")
    assert "300 people" in output and "seed 4" in output and "replaced 0" in output
    assert " businesses " in output
    assert Person.objects.count() == 300
    output = run("--size", "300", "--seed", "4", "--no-progress")
    assert "replaced 300" in output


@pytest.mark.django_db
def test_missing_units_stop_the_command_with_a_clear_message() -> None:
    with pytest.raises(CommandError, match="thudo units import"):
        run("--size", "10", "--no-progress")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--size", "0"), "--size must be between 1 and 50,000,000"),
        (("--size", "10", "--province", "HN"), "--province must be a 2-digit"),
    ],
)
def test_bad_arguments_stop_the_command(hanoi, args, expected) -> None:
    with pytest.raises(CommandError, match=expected):
        run(*args, "--no-progress")
