"""Scoring methods as pure functions: what a reported value earns, the discrepancy with
the platform's figure, the published 0–1 value, competition ranks and the council's
proposal."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.test import override_settings

from thudo.dti import scoring

D = Decimal


def points(method: str, value: str | None, *, max_points: str = "10", target: str | None = None,
           tiers: tuple[tuple[object, object], ...] = ()) -> Decimal | None:  # fmt: skip
    return scoring.points_for(
        method=method,
        max_points=D(max_points),
        value=None if value is None else D(value),
        target=None if target is None else D(target),
        tiers=tiers,
    )


# --- manual and yes/no ------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "0", "7", "10"])
def test_manual_takes_points_not_a_value(value: str | None) -> None:
    assert points("manual", value) is None


@pytest.mark.parametrize(
    ("value", "expected"), [("1", D(10)), ("0", D(0)), (None, None)]
)  # fmt: skip
def test_yes_is_the_maximum_and_no_is_zero(value: str | None, expected: Decimal | None) -> None:
    assert points("yes_no", value) == expected


# --- ratio ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "target", "max_points", "expected"),
    [
        ("72", "90", "40", D("32.00")),  # 40 × 72/90
        ("72.5", "90", "40", D("32.22")),  # 32.2222… rounded to the cent
        ("72.51", "90", "40", D("32.23")),  # 32.2266…
        ("90", "90", "40", D("40.00")),  # the target reached
        ("100", "90", "40", D("40.00")),  # beyond the target: never above the maximum
        ("0", "90", "40", D("0.00")),
        ("-5", "90", "40", D("0.00")),  # never negative
        ("50", None, "20", D("10.00")),  # no target: 100
        ("50", "0", "20", D("10.00")),  # a zero target means the default, not a division
        ("1", "3", "10", D("3.33")),
        ("2", "3", "10", D("6.67")),
        ("50", "100", "0.25", D("0.13")),  # 0.125: half up
        ("50", "100", "0.05", D("0.03")),  # 0.025: half up, not to even
    ],
)
def test_ratio_is_the_maximum_times_the_share_of_the_target(
    value: str, target: str | None, max_points: str, expected: Decimal
) -> None:
    earned = points("ratio", value, max_points=max_points, target=target)
    assert earned == expected
    assert earned is not None and earned.as_tuple().exponent == -2


# --- tiers ------------------------------------------------------------------------------------

TIERS = ((80, 30), (50, 20), (20, 10))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("100", D(30)),
        ("80", D(30)),  # a threshold is reached when equalled
        ("79.99", D(20)),
        ("50", D(20)),
        ("49.9999", D(10)),
        ("20", D(10)),
        ("19", D(0)),  # below every tier
        ("0", D(0)),
    ],
)
def test_tiers_give_the_highest_tier_reached(value: str, expected: Decimal) -> None:
    assert points("tiers", value, max_points="30", tiers=TIERS) == expected


def test_tiers_may_come_in_any_order_and_as_floats_or_text() -> None:
    shuffled = ((20.0, 10.0), ("80", "30"), (50, 20.5))
    assert points("tiers", "60", max_points="30", tiers=shuffled) == D("20.5")
    assert points("tiers", "85", max_points="30", tiers=shuffled) == D(30)


def test_a_tier_above_the_maximum_is_capped() -> None:
    assert points("tiers", "90", max_points="25", tiers=TIERS) == D(25)
    assert points("tiers", "60", max_points="25", tiers=TIERS) == D(20)


@pytest.mark.parametrize(
    ("method", "value", "tiers", "expected"),
    [
        ("yes_no", "1", (), "10.00"),
        ("yes_no", "0", (), "0.00"),
        ("ratio", "90", (), "9.00"),
        ("tiers", "85", TIERS, "10.00"),  # capped at the maximum of 10
        ("tiers", "60", ((50.0, 2.5),), "2.50"),
        ("tiers", "10", TIERS, "0.00"),
    ],
)
def test_every_method_gives_points_in_cents(
    method: str, value: str, tiers: tuple[tuple[object, object], ...], expected: str
) -> None:
    earned = points(method, value, max_points="10", tiers=tiers)
    assert str(earned) == expected


def test_tiers_without_a_value_earn_nothing_yet() -> None:
    assert points("tiers", None, max_points="30", tiers=TIERS) is None


def test_an_unknown_method_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown scoring method 'vote'"):
        points("vote", "1")


def test_node_points_uses_the_nodes_own_parameters() -> None:
    ratio = SimpleNamespace(method="ratio", max_points=D(40), target=D(90), tiers=[])
    tiered = SimpleNamespace(method="tiers", max_points=D(30), target=None, tiers=[[80.0, 30.0]])
    manual = SimpleNamespace(method="manual", max_points=D(20), target=None, tiers=None)
    assert scoring.node_points(ratio, D("72.5")) == D("32.22")
    assert scoring.node_points(tiered, D(80)) == D(30)
    assert scoring.node_points(tiered, D(79)) == D(0)
    assert scoring.node_points(manual, D(5)) is None


def test_quantize_rounds_half_up_to_the_cent() -> None:
    assert scoring.quantize(D("1.005")) == D("1.01")
    assert scoring.quantize(D("1.004999")) == D("1.00")
    assert scoring.quantize(D("2.675")) == D("2.68")
    assert str(scoring.quantize(D(7))) == "7.00"


# --- the platform's figure ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reported", "measured", "tolerance", "flagged"),
    [
        ("80", "72.5", "5", True),  # 7.5 apart
        ("77.5", "72.5", "5", False),  # exactly the tolerance: not flagged
        ("77.5001", "72.5", "5", True),
        ("67.5", "72.5", "5", False),  # below, within
        ("67.4", "72.5", "5", True),  # below, beyond
        ("72.5", "72.5", None, False),  # no tolerance: equal values agree
        ("72.6", "72.5", None, True),  # no tolerance: any difference
        (None, "72.5", "5", False),  # nothing reported yet
        ("80", None, "5", False),  # nothing measured
    ],
)
def test_discrepancy_is_beyond_the_tolerance(
    reported: str | None, measured: str | None, tolerance: str | None, flagged: bool
) -> None:
    def d(x: str | None) -> Decimal | None:
        return None if x is None else D(x)

    assert scoring.discrepancy(d(reported), d(measured), d(tolerance)) is flagged


# --- results ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("earned", "maximum", "expected"),
    [
        ("824.1", "1000", D("0.8241")),
        ("87", "100", D("0.8700")),
        ("2", "3", D("0.6667")),
        ("1", "3", D("0.3333")),
        ("0.00005", "1", D("0.0001")),  # half up
        ("100", "100", D("1.0000")),
        ("0", "100", D("0.0000")),
        ("5", "0", D(0)),  # nothing to score
    ],
)
def test_index_value_is_points_over_maximum_with_four_decimals(
    earned: str, maximum: str, expected: Decimal
) -> None:
    value = scoring.index_value(D(earned), D(maximum))
    assert value == expected
    if D(maximum) > 0:
        assert value.as_tuple().exponent == -4


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["0.9", "0.8", "0.8", "0.7"], [1, 2, 2, 4]),
        (["0.7", "0.8", "0.9", "0.8"], [4, 2, 1, 2]),  # in the callers' order
        (["0.5", "0.5", "0.5"], [1, 1, 1]),
        (["0.87", "0.8700"], [1, 1]),  # equal as numbers
        (["0.1"], [1]),
        ([], []),
    ],
)
def test_competition_ranking(values: list[str], expected: list[int]) -> None:
    assert scoring.ranks([D(v) for v in values]) == expected


@pytest.mark.parametrize(
    ("proposals", "expected"),
    [
        ([], None),
        (["8"], D("8.00")),
        (["8", "8", "10"], D("8.00")),  # the most frequent
        (["10", "8", "10", "8", "10"], D("10.00")),
        (["6", "8"], D("7.00")),  # a tie: the median of the tied proposals
        (["6", "8", "10"], D("8.00")),
        (["6", "6", "9", "9", "10"], D("7.50")),
        (["7.25", "7.5"], D("7.38")),  # 7.375 half up
    ],
)
def test_the_councils_proposal(proposals: list[str], expected: Decimal | None) -> None:
    assert scoring.proposal([D(p) for p in proposals]) == expected


# --- the council's quorum ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "present", "share", "met"),
    [
        (13, 6, "0.5", False),
        (13, 7, "0.5", True),
        (12, 6, "0.5", False),  # exactly half is not more than half
        (12, 7, "0.5", True),
        (1, 1, "0.5", True),
        (2, 1, "0.5", False),
        (0, 0, "0.5", False),
        (13, 7, "0.6", False),  # 7 is not more than 7.8
        (13, 8, "0.6", True),
        (10, 6, "0.6", False),
    ],
)
def test_quorum_is_more_than_the_share(total: int, present: int, share: str, met: bool) -> None:
    assert scoring.quorum_met(members_total=total, participants=present, share=D(share)) is met


@pytest.mark.parametrize(
    ("total", "share", "needed"),
    [(13, "0.5", 7), (12, "0.5", 7), (13, "0.6", 8), (10, "0.6", 7), (1, "0.5", 1)],
)
def test_quorum_needed_is_the_fewest_that_meet_it(total: int, share: str, needed: int) -> None:
    assert scoring.quorum_needed(members_total=total, share=D(share)) == needed
    assert scoring.quorum_met(members_total=total, participants=needed, share=D(share))
    assert not scoring.quorum_met(members_total=total, participants=needed - 1, share=D(share))


def test_the_quorum_share_comes_from_the_settings() -> None:
    assert scoring.quorum_share() == D("0.5")
    with override_settings(DTI_QUORUM="0.6"):
        assert scoring.quorum_share() == D("0.6")


@pytest.mark.parametrize(
    ("share", "words"), [("0.5", "một nửa"), ("0.6", "60%"), ("0.625", "62,5%")]
)  # fmt: skip
def test_the_share_in_words(share: str, words: str) -> None:
    assert scoring.share_words(D(share)) == words
