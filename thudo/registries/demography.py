"""Demographic figures the generator draws from, all approximate.

Sources, rounded: the age structure of Vietnam around 2024 from the UN World Population
Prospects 2024 and the General Statistics Office's 2019 census and 2024 mid-term survey
(about 23 % aged 0–14, 10 % aged 65 and over); household sizes after the 2019 census
(mean 3.5 persons); the sex ratio at birth (about 112 boys per 100 girls since the
mid-2000s, ≈ 105 before); spouses' age gap (husbands a few years older).
"""

from __future__ import annotations

from datetime import date

# Ages are counted on this day, not on the day the generator runs, so that a seed gives
# the same people whenever it is used.
REFERENCE_DATE = date(2025, 1, 1)

MAX_AGE = 100

# Target age pyramid: per cent of the population in each 5-year group (0–4 … 95–99),
# both sexes. The last two groups share what WPP reports as 85+.
AGE_PYRAMID: tuple[float, ...] = (
    6.9,
    7.8,
    7.9,
    7.0,
    6.6,
    7.0,
    7.9,
    8.0,
    7.6,
    6.9,
    6.2,
    5.6,
    4.9,
    3.9,
    2.7,
    1.6,
    1.0,
    0.8,
    0.3,
    0.1,
)

# Household sizes 1–7 (per cent) by the head's age: young heads live alone or as young
# couples, heads in their thirties and forties have the children at home, old heads live
# alone or as a couple again. Overall they give the census mean of about 3.5.
HOUSEHOLD_SIZES_BY_HEAD_AGE: tuple[tuple[int, tuple[tuple[int, float], ...]], ...] = (
    (18, ((1, 20.0), (2, 30.0), (3, 30.0), (4, 15.0), (5, 5.0))),
    (30, ((1, 4.0), (2, 7.0), (3, 20.0), (4, 42.0), (5, 18.0), (6, 6.0), (7, 3.0))),
    (45, ((1, 5.0), (2, 12.0), (3, 22.0), (4, 32.0), (5, 18.0), (6, 7.0), (7, 4.0))),
    (60, ((1, 20.0), (2, 38.0), (3, 16.0), (4, 12.0), (5, 8.0), (6, 4.0), (7, 2.0))),
)

# Age of the head of household (chủ hộ), per cent in each 5-year group from 15–19 to
# 95–99. Not a published series: fitted (non-negative least squares over 40,000 simulated
# households per group, then rounded) so that the people the generator builds around these heads
# follow AGE_PYRAMID; the test suite checks the resulting pyramid.
HEAD_AGE_GROUPS: tuple[tuple[int, float], ...] = (
    (15, 1.1),
    (20, 2.7),
    (25, 5.3),
    (30, 10.0),
    (35, 12.5),
    (40, 12.9),
    (45, 12.3),
    (50, 10.3),
    (55, 9.3),
    (60, 8.3),
    (65, 6.2),
    (70, 3.8),
    (75, 1.8),
    (80, 1.3),
    (85, 1.3),
    (90, 0.6),
    (95, 0.3),
)
# Heads are adults; the youngest group starts here rather than at 15.
HEAD_MIN_AGE = 18

# Share of each birth cohort registered in another province (migrants). Hanoi draws
# people from the whole north; children are mostly registered where their parents live.
MIGRANT_SHARE_ADULT = 0.18
MIGRANT_SHARE_CHILD = 0.05
CHILD_COHORT_FROM = 2010

# Probability that a child born in or after SEX_RATIO_FROM is a boy, and before it.
SEX_RATIO_FROM = 2005
BOY_SHARE_RECENT = 112 / 212
BOY_SHARE_EARLIER = 105 / 205
