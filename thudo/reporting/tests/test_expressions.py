"""Indicator and rule expressions: evaluation, missing values, hostile input."""

from __future__ import annotations

from decimal import Decimal

import pytest

from thudo.reporting import expressions as ex


def lookup(values: dict[str, str]) -> ex.Lookup:
    def get(ref: ex.Reference) -> Decimal | None:
        key = f"{ref.element}.{ref.option}" if ref.option else ref.element
        return Decimal(values[key]) if key in values else None

    return get


def test_evaluates_with_precedence_and_decimals() -> None:
    expression = ex.parse("#{A} * 100 / (#{B} + #{C.NU}) - -1")
    assert [str(r) for r in expression.references] == ["#{A}", "#{B}", "#{C.NU}"]
    assert expression.evaluate(lookup({"A": "3", "B": "2.5", "C.NU": "3.5"})) == Decimal(51)


def test_missing_values() -> None:
    expression = ex.parse("#{A} + #{B}")
    assert expression.evaluate(lookup({})) is None  # nothing to compute
    assert expression.evaluate(lookup({"A": "4"})) == Decimal(4)  # a missing one counts 0
    assert ex.parse("#{A} / #{B}").evaluate(lookup({"A": "1", "B": "0"})) is None
    assert ex.parse("7").evaluate(lookup({})) == Decimal(7)


@pytest.mark.parametrize(
    "bad",
    ["", "   ", "__import__('os')", "#{A} ** 2", "#{A} // 2", "A + 1", "#{A", "#{A.B.C}",
     "#{A} if 1 else 2", "[1]", "'x'", "#{A}(1)", "True", "#{A} % 2", "1 +", "x" * 3000,
     "#{A} and #{B}", "lambda: 1", "#{A}.real"],
)  # fmt: skip
def test_only_numbers_references_and_four_operators(bad: str) -> None:
    with pytest.raises(ex.ExpressionError):
        ex.parse(bad)
