"""Demo data of the reporting module: Hanoi's catalogue and two years of its figures.

The catalogue (``catalogue/hanoi.json``, the metadata document format) names reporting
units and recipients by the demo's keys, because agency codes are made when the demo
city is built: ``city`` (the City People's Committee), a department number such as
``04``, ``centre`` (the public-service centre), ``commune:7`` (the 7th commune),
``commune:*`` (every commune) or ``commune:1-30`` (a range). :func:`build` resolves them
with the ``codes`` the demo builder made, loads the catalogue, then writes plausible
figures from January of :data:`FIRST_YEAR` up to each form's last closed period:

- every non-measured element of every unit of every form gets a value, from a trend, a
  seasonal curve (Tết in January–February, the year-end budget peak, the July school
  admissions) and bounded noise, all from seeded generators: the same city gets the same
  figures on every machine; parts are drawn as shares of their totals, so the forms'
  validation rules hold;
- the demo unit (:data:`DEMO_UNIT`, the commune whose officials walk the main path) gets
  nothing for the period now open, for its official to fill in;
- measured elements are computed from the platform's own records for every period;
- periods older than the last closed one are completed and approved at every unit and
  above; the last closed one is approved at every unit but the demo unit, whose leader
  approves it, after which the recipient can approve the city's aggregate.

Rows are bulk-inserted (they are historic figures, not an official's entries) and the
pre-aggregated totals rebuilt once; one audit event records the whole load. Running it
again adds only what is missing, and writes nothing when nothing is.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from thudo.core import audit
from thudo.core.models import Agency, Membership, Role, User
from thudo.reporting import checks, hierarchy, services
from thudo.reporting import periods as pe
from thudo.reporting.models import (
    Approval,
    ApprovalEvent,
    Completion,
    DataElement,
    DataValue,
    Form,
    Indicator,
    UnitClosure,
    ValueType,
)

CATALOGUE = Path(__file__).parent / "catalogue" / "hanoi.json"
FIRST_YEAR = 2025
SEED = 2026
DEMO_UNIT = "commune:1"
LATE_SHARE = 0.07  # units that complete a historic period after its deadline
_BATCH = 2000

# The eight indicators Hanoi shares with the Government reporting system, under that
# system's codes (sample codes of its indicator list).
RECIPIENT = "bccp"
SHARED = {
    "TT_GRDP": "KTXH.01",
    "GRDP_BQ": "KTXH.02",
    "NS_TL_DUTOAN": "KTXH.05",
    "DTC_TL_GN": "KTXH.07",
    "DN_GIANHAP": "KTXH.09",
    "LD_TL_BHXH": "KTXH.14",
    "TL_HS_TRUCTUYEN": "CCHC.03",
    "TL_HS_DUNGHAN": "CCHC.04",
}

Say = Callable[[str], None]


# --- the catalogue ------------------------------------------------------------------------


_RANGE = re.compile(r"^(?P<prefix>[a-z]+):(?P<first>\d+)-(?P<last>\d+)$")


def resolve_keys(keys: Iterable[str], codes: Mapping[str, str]) -> list[str]:
    """Agency codes of demo keys: a plain key, ``prefix:*`` or ``prefix:N-M`` (those of
    the range that exist). A plain key the city lacks is an error: a form must not lose
    a unit silently."""
    found: list[str] = []
    for key in keys:
        if key.endswith(":*"):
            prefix = key[:-1]
            matching = [k for k in codes if k.startswith(prefix) and k[len(prefix) :].isdigit()]
            found.extend(codes[k] for k in sorted(matching, key=lambda k: int(k[len(prefix) :])))
            continue
        match = _RANGE.match(key)
        if match:
            first, last = int(match["first"]), int(match["last"])
            for n in range(first, last + 1):
                code = codes.get(f"{match['prefix']}:{n}")
                if code is not None:
                    found.append(code)
            continue
        if key not in codes:
            raise ValueError(f"the demo city has no agency {key!r}")
        found.append(codes[key])
    return list(dict.fromkeys(found))


def catalogue(codes: Mapping[str, str]) -> dict[str, Any]:
    """The catalogue document with its demo keys replaced by agency codes."""
    document: dict[str, Any] = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    for form in document["forms"]:
        form["recipient"] = resolve_keys([form["recipient"]], codes)[0]
        form["units"] = resolve_keys(form["units"], codes)
    for target in document.get("targets", []):
        target["unit"] = resolve_keys([target["unit"]], codes)[0]
    return document


def _loaded(document: Mapping[str, Any]) -> bool:
    """Whether every form (at its version), element and indicator is in the database."""
    forms = {f["code"]: f.get("version", 1) for f in document["forms"]}
    stored = dict(Form.objects.filter(code__in=forms).values_list("code", "version"))
    elements = {e["code"] for e in document["data_elements"]}
    indicators = {i["code"] for i in document["indicators"]}
    return (
        stored == forms
        and DataElement.objects.filter(code__in=elements).count() == len(elements)
        and Indicator.objects.filter(code__in=indicators).count() == len(indicators)
    )


# --- how each figure moves --------------------------------------------------------------

# Monthly factors (mean 1 after normalising): what a period's months weigh.
SEASONS: dict[str, tuple[float, ...]] = {
    "flat": (1,) * 12,
    # Budget revenue and spending: settlements and spending peak at the year's end.
    "yearend": (0.95, 0.75, 0.85, 0.9, 0.9, 0.95, 0.95, 0.9, 0.95, 1.0, 1.1, 1.8),
    # Public investment: slow first quarter, a rush to disburse before the plan lapses.
    "disburse": (0.3, 0.4, 0.6, 0.7, 0.8, 0.9, 0.9, 1.0, 1.1, 1.2, 1.4, 2.7),
    # Domestic visitors: Tết and the spring festivals (Chùa Hương) in January–March.
    "tet": (1.25, 1.4, 1.15, 1.05, 0.95, 0.9, 0.9, 0.9, 0.85, 0.9, 0.9, 1.0),
    # International visitors: the cool season, low in the summer heat and rains.
    "intl": (1.15, 1.1, 1.1, 1.0, 0.85, 0.8, 0.85, 0.85, 0.85, 1.05, 1.15, 1.25),
    # New businesses and households dip around Tết.
    "business": (0.8, 0.6, 1.1, 1.05, 1.05, 1.05, 1.05, 1.0, 1.0, 1.05, 1.05, 1.2),
    # Suspensions are filed before Tết; dissolutions close before the year ends.
    "suspend": (2.2, 1.2, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 1.5),
    "dissolve": (0.8, 0.7, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 1.0, 1.1, 2.0),
    "construction": (0.6, 0.5, 1.0, 1.1, 1.1, 1.1, 1.0, 1.0, 1.0, 1.1, 1.1, 1.4),
    "jobs": (0.85, 0.7, 1.05, 1.05, 1.05, 1.0, 1.0, 1.0, 1.05, 1.05, 1.05, 1.15),
    "traffic": (1.3, 1.4, 1.0, 0.95, 0.95, 0.9, 0.9, 0.9, 0.95, 0.95, 0.9, 1.0),
    "retail": (1.15, 1.2, 0.9, 0.9, 0.9, 0.9, 0.95, 0.95, 0.95, 1.0, 1.05, 1.2),
    "output": (0.9, 0.9, 0.9, 0.98, 0.98, 0.98, 1.02, 1.02, 1.02, 1.1, 1.1, 1.1),
    # School admissions (pre-school, grades 1 and 6) open online in July.
    "admission": (0.05, 0.05, 0.05, 0.05, 0.05, 0.2, 5.0, 3.0, 0.1, 0.1, 0.1, 0.1),
}


@dataclass(frozen=True)
class Figure:
    """How one element's value moves for one unit.

    ``base`` is the value of one period of the form's type at the start of
    :data:`FIRST_YEAR` for a unit of average size; ``growth`` is relative per year
    (absolute points per year for ``kind="rate"``); ``noise`` bounds a uniform relative
    deviation (absolute for rates). ``of`` derives the value as ``base`` × the value of
    another element of the same unit and period (a part of a total, a share). ``options``
    gives each disaggregation either a share of the figure or a figure of its own.
    ``yearly`` fixes a stock for each year (a budget estimate, a yearly plan)."""

    base: float = 0.0
    growth: float = 0.0
    season: str = "flat"
    noise: float = 0.05
    kind: str = "flow"  # flow | stock | rate
    of: str = ""
    options: Mapping[str, Figure | float] = field(default_factory=dict)
    yearly: Mapping[int, float] = field(default_factory=dict)
    low: float = 0.0
    high: float = math.inf


def stock(base: float, growth: float = 0.0, noise: float = 0.002, **kw: Any) -> Figure:
    return Figure(base=base, growth=growth, noise=noise, kind="stock", **kw)


def rate(base: float, growth: float = 0.0, noise: float = 0.5, **kw: Any) -> Figure:
    kw.setdefault("high", 100.0)
    return Figure(base=base, growth=growth, noise=noise, kind="rate", **kw)


def part(of: str, share: float, noise: float = 0.05, growth: float = 0.0) -> Figure:
    return Figure(base=share, of=of, noise=noise, growth=growth)


SEX = {"NAM": 0.49, "NU": 0.51}

# City-wide figures are Hanoi's orders of magnitude (2024–2025); commune figures are per
# commune of average size, scaled by each commune's size.
FIGURES: dict[str, Figure] = {
    # BC-KTXH-XA, per commune and month
    "XA_THU_NS": Figure(28, 0.10, "yearend", 0.15),
    "XA_THU_THUE": part("XA_THU_NS", 0.55, 0.08),
    "XA_THU_PHI": part("XA_THU_NS", 0.06, 0.10),
    "XA_THU_DAT": part("XA_THU_NS", 0.22, 0.30),
    "XA_CHI_NS": Figure(9, 0.08, "yearend", 0.12),
    "XA_HKD_MOI": Figure(45, 0.05, "business", 0.2),
    "XA_GPXD": Figure(12, 0.03, "construction", 0.25),
    "XA_VPXD": Figure(3, -0.15, "construction", 0.4),
    "XA_VIECLAM": Figure(160, 0.04, "jobs", 0.15, options=SEX),
    "XA_HO_NGHEO": stock(8, -0.35, 0.0),
    "XA_HO_CANNGHEO": part("XA_HO_NGHEO", 2.7, 0.1),
    "XA_BTXH": stock(650, 0.03, 0.005),
    "XA_PAKN": Figure(40, 0.10, "flat", 0.25),
    "XA_PAKN_XULY": part("XA_PAKN", 0.93, 0.06),
    "XA_PAKN_DUNGHAN": part("XA_PAKN_XULY", 0.90, 0.05),
    "XA_TNGT": Figure(0.9, -0.05, "traffic", 0.6),
    # BC-TTHC: the typed part of the one-stop report
    "TTHC_PAKN_QD": Figure(1.5, 0.0, "flat", 0.6),
    "TTHC_CANBO": stock(6, 0.0, 0.0),
    # BC-GRDP, the city per quarter (tỷ đồng, triệu USD)
    "GRDP_HH": Figure(
        370_000,
        0.11,
        "output",
        0.02,
        options={"NLTS": 0.02, "CNXD": 0.21, "DV": 0.65, "THUE": 0.12},
    ),
    "GRDP_SS": part("GRDP_HH", 0.52, 0.01),
    "GRDP_TANG": rate(7.3, 0.8, 0.25, low=-50, high=50),
    "IIP_TANG": rate(7.5, 0.3, 0.8, low=-50, high=50),
    "CPI_TANG": rate(3.4, -0.3, 0.3, low=-20, high=30),
    "TMBL": Figure(210_000, 0.10, "retail", 0.03),
    "XK": Figure(4_700, 0.08, "output", 0.05),
    "NK": Figure(9_500, 0.07, "output", 0.05),
    "VDT": Figure(
        105_000, 0.10, "yearend", 0.04, options={"NN": 0.28, "NGOAINN": 0.58, "FDI": 0.14}
    ),
    "FDI_VON": Figure(700, 0.05, "flat", 0.4),
    "FDI_DUAN": Figure(95, 0.05, "flat", 0.2),
    # BC-NSNN, the city per month (tỷ đồng)
    "NS_THU": Figure(45_000, 0.12, "yearend", 0.06),
    "NS_THU_ND": part("NS_THU", 0.92, 0.02),
    "NS_THU_XNK": part("NS_THU", 0.045, 0.15),
    "NS_THU_DAT": part("NS_THU_ND", 0.09, 0.4),
    "NS_DUTOAN": stock(0, yearly={2025: 510_000, 2026: 640_000}),
    "NS_CHI": Figure(11_000, 0.10, "yearend", 0.08),
    "NS_CHI_DTPT": part("NS_CHI", 0.42, 0.10),
    "NS_CHI_TX": part("NS_CHI", 0.45, 0.06),
    "DTC_KH": stock(0, yearly={2025: 86_000, 2026: 112_000}),
    "DTC_GN": Figure(6_300, 0.15, "disburse", 0.1),
    # BC-DULICH, the city per quarter
    "DL_KHACH": Figure(
        options={
            "QT": Figure(2_100_000, 0.12, "intl", 0.05),
            "ND": Figure(5_300_000, 0.08, "tet", 0.05),
        }
    ),
    "DL_LUUTRU": part("DL_KHACH", 0.42, 0.05),
    "DL_THU": Figure(29_000, 0.14, "tet", 0.06),
    "DL_CONGSUAT": rate(63, 2.0, 3.0),
    "DL_COSO": stock(3_950, 0.03),
    "DL_BUONG": stock(68_000, 0.04),
    # BC-DOANHNGHIEP, the city per month
    "DN_MOI": Figure(2_750, 0.12, "business", 0.1),
    "DN_VON": part("DN_MOI", 9.5, 0.25),
    "DN_QUAYLAI": Figure(1_050, 0.05, "business", 0.15),
    "DN_TAMNGUNG": Figure(1_500, 0.0, "suspend", 0.12),
    "DN_GIAITHE": Figure(420, 0.05, "dissolve", 0.15),
    "DN_HOATDONG": stock(196_000, 0.06, 0.001),
    # BC-LAODONG, the city per quarter
    "LD_LUCLUONG": stock(4_180, 0.012, 0.001),
    "LD_VIECLAM": Figure(58_000, 0.03, "jobs", 0.06, options={"NAM": 0.5, "NU": 0.5}),
    "LD_XKLD": Figure(1_100, 0.05, "flat", 0.15, options={"NAM": 0.68, "NU": 0.32}),
    "LD_DAOTAO": Figure(58_000, 0.04, "jobs", 0.1, options={"NAM": 0.55, "NU": 0.45}),
    "LD_THATNGHIEP": rate(2.6, -0.1, 0.15),
    "LD_BHXH": stock(2_150_000, 0.045, options={"NAM": 0.47, "NU": 0.53}),
    "LD_BHXH_TN": stock(205_000, 0.12),
    "LD_BHTN": part("LD_BHXH", 0.9, 0.01),
    "LD_TROCAP_TN": Figure(21_000, 0.0, "flat", 0.12),
    "LD_BTXH": stock(265_000, 0.02),
    # BC-GIAODUC, the city per half-year
    "GD_TRUONG": stock(
        0,
        options={
            "MN": stock(1_190, 0.01),
            "TH": stock(745, 0.01),
            "THCS": stock(640, 0.01),
            "THPT": stock(235, 0.01),
        },
    ),
    "GD_CHUAN": part("GD_TRUONG", 0.72, 0.005, growth=0.04),
    "GD_HOCSINH": stock(
        0,
        options={
            "MN": stock(480_000, 0.015),
            "TH": stock(880_000, 0.015),
            "THCS": stock(610_000, 0.015),
            "THPT": stock(310_000, 0.015),
        },
    ),
    "GD_GIAOVIEN": stock(
        0,
        options={
            "MN": stock(42_000, 0.01),
            "TH": stock(33_500, 0.01),
            "THCS": stock(26_000, 0.01),
            "THPT": stock(14_500, 0.01),
        },
    ),
    "GD_TS": Figure(280_000, 0.02, "admission", 0.03),
    "GD_TS_TT": part("GD_TS", 0.78, 0.03, growth=0.08),
    "GD_HUYDONG5T": rate(99.2, 0.2, 0.3),
    # BC-YTE, the city per year
    "DANSO": stock(8_760_000, 0.015, 0.0),
    "YT_GIUONG": stock(47_500, 0.03),
    "YT_BACSI": stock(15_800, 0.04),
    "YT_DIEUDUONG": stock(24_500, 0.03),
    "YT_TRAM_BS": stock(119, 0.03, 0.0),
    "YT_KCB": Figure(52_000_000, 0.04, "flat", 0.03),
    "YT_BHYT": part("DANSO", 0.935, 0.003, growth=0.01),
    "YT_HSSK": part("DANSO", 0.72, 0.01, growth=0.15),
    "YT_TIEMCHUNG": rate(96.5, 0.5, 0.5),
    # BC-CDS, the city per month
    "CDS_VNEID": stock(6_350_000, 0.05, 0.0005),
    "CDS_VNEID_MOI": Figure(27_000, 0.0, "flat", 0.2),
    "CDS_IHANOI": stock(1_750_000, 0.35, 0.001),
    "CDS_PAKN": Figure(9_500, 0.15, "flat", 0.12),
    "CDS_PAKN_XULY": part("CDS_PAKN", 0.94, 0.04),
    "CDS_PAKN_DUNGHAN": part("CDS_PAKN_XULY", 0.90, 0.03, growth=0.02),
    "CDS_KDTM": Figure(52_000, 0.25, "retail", 0.06),
    "CDS_KDTM_GT": part("CDS_KDTM", 2.4, 0.1),
    "CDS_TT_DVC": Figure(38_000, 0.4, "flat", 0.1),
    "CDS_CSDL": stock(42, 0.3, 0.0),
}

# Units far from a commune's average size (the service centre serves the whole city).
SIZES = {"centre": 6.0}


def _rng(*parts: str) -> random.Random:
    """A generator seeded by names (string seeds hash the same on every machine)."""
    return random.Random("/".join([str(SEED), *parts]))  # noqa: S311 - reproducible, not secret


def _season(name: str, period: pe.ReportingPeriod) -> float:
    curve = SEASONS[name]
    mean = sum(curve) / 12
    months = range(period.first_month, period.last_month + 1)
    return sum(curve[m - 1] for m in months) / len(months) / mean


def _years(period: pe.ReportingPeriod, *, at_end: bool) -> float:
    """Years from the start of FIRST_YEAR to the middle (flows) or end (stocks) of the
    period."""
    month = period.last_month if at_end else (period.first_month + period.last_month) / 2
    return ((period.year - FIRST_YEAR) * 12 + month - 1) / 12


def _draw(figure: Figure, period: pe.ReportingPeriod, scale: float, rng: random.Random) -> float:
    """One value of a figure that is not derived; every call draws exactly one number, so
    a series is the same whatever periods are stored."""
    u = rng.uniform(-1, 1)
    if figure.kind == "rate":
        value = figure.base + figure.growth * _years(period, at_end=False) + figure.noise * u
        return min(max(value, figure.low), figure.high)
    if figure.yearly:
        return figure.yearly.get(period.year, figure.yearly[max(figure.yearly)])
    t = _years(period, at_end=figure.kind == "stock")
    season = 1.0 if figure.kind == "stock" else _season(figure.season, period)
    return max(figure.base * scale * (1 + figure.growth) ** t * season * (1 + figure.noise * u), 0)


def _places(element: DataElement) -> Decimal:
    if element.value_type in (ValueType.INTEGER, ValueType.POSITIVE_INTEGER):
        return Decimal(1)
    if element.value_type == ValueType.PERCENTAGE:
        return Decimal("0.1")
    return Decimal("0.01")


def _round(element: DataElement, value: float) -> Decimal:
    number = Decimal(repr(value)).quantize(_places(element), ROUND_HALF_UP)
    return number if element.value_type != ValueType.PERCENTAGE else min(number, Decimal(100))


def _order(codes: Iterable[str]) -> list[str]:
    """Elements after those they are derived from."""
    ordered: list[str] = []

    def visit(code: str) -> None:
        if code in ordered:
            return
        source = FIGURES[code].of
        if source and source in wanted:
            visit(source)
        ordered.append(code)

    wanted = set(codes)
    for code in sorted(wanted):
        visit(code)
    return ordered


def _unit_scale(key: str) -> float:
    if key in SIZES:
        return SIZES[key]
    if ":" not in key:
        return 1.0  # a department reports the city's own figure
    return math.exp(_rng("size", key).uniform(-0.6, 0.6))


def series(
    elements: Sequence[DataElement], unit_key: str, periods: Sequence[pe.ReportingPeriod]
) -> dict[tuple[str, str, str], Decimal]:
    """(element code, disaggregation, period code) → value for one unit."""
    by_code = {e.code: e for e in elements}
    size = _unit_scale(unit_key)
    out: dict[tuple[str, str, str], Decimal] = {}
    totals: dict[tuple[str, str], Decimal] = {}
    for code in _order(by_code):
        element = by_code[code]
        figure = FIGURES[code]
        keys = [key for key, _label in checks.disaggregations(element)]
        rng = _rng(code, unit_key)
        # Each unit reports a little above or below its size.
        scale = size * rng.uniform(0.85, 1.15) if size != 1.0 else 1.0
        for period in periods:
            if figure.of:
                source = totals.get((figure.of, period.code), Decimal(0))
                share = figure.base * (1 + figure.growth) ** _years(period, at_end=True)
                raw = float(source) * share * (1 + figure.noise * rng.uniform(-1, 1))
                whole: float | None = max(raw, 0)
            elif figure.options and all(isinstance(o, Figure) for o in figure.options.values()):
                whole = None
            else:
                whole = _draw(figure, period, scale, rng)
            total = Decimal(0)
            for key in keys:
                option = figure.options.get(key) if key else None
                if isinstance(option, Figure):
                    value = _round(element, _draw(option, period, scale, rng))
                elif option is not None:
                    assert whole is not None
                    value = _round(element, whole * option * (1 + 0.03 * rng.uniform(-1, 1)))
                else:
                    assert whole is not None
                    value = _round(element, whole / len(keys))
                out[(code, key, period.code)] = value
                total += value
            totals[(code, period.code)] = total
    return out


# --- who does what --------------------------------------------------------------------------


@dataclass(frozen=True)
class _People:
    approvers: dict[int, User]  # unit id → its leader, else its head
    clerks: dict[int, User]  # unit id → the official who enters its figures
    fallback: User | None  # the approver at the top of the tree


def _people(unit_ids: Iterable[int], entry: Mapping[int, str]) -> _People:
    """Each unit's approver (a leader, else a head) and its data-entry official (``entry``
    names them by unit, else a specialist, else a clerk), from the seats the demo made;
    the top of the tree's approver stands in where a unit has none."""
    hierarchy.ensure()
    tops = set(UnitClosure.objects.filter(depth=0).values_list("ancestor_id", flat=True)) - set(
        UnitClosure.objects.filter(depth__gt=0).values_list("descendant_id", flat=True)
    )
    unit_ids = set(unit_ids) | tops
    rank = {Role.LEADER: 0, Role.HEAD: 1, Role.SPECIALIST: 2, Role.CLERK: 3}
    approvers: dict[int, tuple[int, str, User]] = {}
    clerks: dict[int, tuple[int, str, User]] = {}
    memberships = Membership.objects.filter(
        agency_id__in=list(unit_ids), revoked_at__isnull=True, role__in=list(rank)
    ).select_related("user")
    for m in memberships:
        if not m.user.is_active:
            continue
        seat = (rank[Role(m.role)], m.user.username, m.user)
        pool = approvers if m.role in (Role.LEADER, Role.HEAD) else clerks
        if m.agency_id not in pool or seat[:2] < pool[m.agency_id][:2]:
            pool[m.agency_id] = seat
    named = {u.username: u for u in User.objects.filter(username__in=set(entry.values()))}
    chosen = {k: v[2] for k, v in clerks.items()}
    chosen |= {unit: named[name] for unit, name in entry.items() if name in named}
    ranked = {k: v[2] for k, v in approvers.items()}
    fallback = next((ranked[t] for t in sorted(tops) if t in ranked), None)
    return _People(ranked, chosen, fallback)


@dataclass
class _Plan:
    """One form's periods and units."""

    form: Form
    units: list[Agency]
    periods: list[pe.ReportingPeriod]  # up to the last closed one
    last_closed: pe.ReportingPeriod
    open: pe.ReportingPeriod
    keys: dict[int, str]  # unit id → demo key
    measured: bool


def _plans(forms: Sequence[Form], codes: Mapping[str, str], today: date) -> list[_Plan]:
    key_of: dict[str, str] = {}
    for key, code in codes.items():
        key_of.setdefault(code, key)
    plans = []
    for form in forms:
        kind = form.period_kind
        last_closed = pe.for_day(kind, today).previous()
        start = pe.of_type(kind, FIRST_YEAR, 1)
        periods = [pe.parse(c) for c in pe.in_range(kind, start, last_closed)]
        units = sorted(form.units.all(), key=lambda a: a.code)
        plans.append(
            _Plan(
                form=form,
                units=units,
                periods=periods,
                last_closed=last_closed,
                open=pe.current_open(kind, today, form.deadline_days),
                keys={u.pk: key_of.get(u.code, u.code) for u in units},
                measured=any(e.is_measured for s in form.sections.all() for e in s.elements.all()),
            )
        )
    return plans


# --- the load -------------------------------------------------------------------------------


def _values(plans: Sequence[_Plan]) -> tuple[int, set[tuple[int, str]]]:
    """Bulk-create the missing figures; (rows, the (form id, period) pairs touched)."""
    rows: list[DataValue] = []
    touched: set[tuple[int, str]] = set()
    for plan in plans:
        elements = [
            e
            for e in DataElement.objects.filter(section__form=plan.form)
            .prefetch_related("categories__options")
            .distinct()
            if not e.is_measured
        ]
        missing = [e.code for e in elements if e.code not in FIGURES]
        if missing:
            raise ValueError(f"no demo figure for {', '.join(sorted(missing))}")
        ids = {e.code: e.pk for e in elements}
        present = set(
            DataValue.objects.filter(element_id__in=list(ids.values()), unit__in=plan.units)
            .values_list("unit_id", "period")
            .distinct()
        )
        for unit in plan.units:
            key = plan.keys[unit.pk]
            wanted = [
                p
                for p in plan.periods
                if (unit.pk, p.code) not in present
                and not (key == DEMO_UNIT and p.code == plan.open.code)
            ]
            if not wanted:
                continue
            # The whole series, so each period's figure is the same whichever are stored.
            values = series(elements, key, plan.periods)
            codes = {p.code for p in wanted}
            for (code, disaggregation, period), value in values.items():
                if period in codes:
                    rows.append(
                        DataValue(
                            element_id=ids[code],
                            disaggregation=disaggregation,
                            unit=unit,
                            period=period,
                            value=value,
                            source=DataValue.Source.IMPORTED,
                            stored_by=None,
                        )
                    )
            touched.update((plan.form.pk, c) for c in codes)
    DataValue.objects.bulk_create(rows, batch_size=_BATCH)
    return len(rows), touched


def _at(day: date, rng: random.Random) -> datetime:
    moment = time(rng.randint(8, 16), rng.randint(0, 59))
    return timezone.make_aware(datetime.combine(day, moment))


def _approvals(plans: Sequence[_Plan], people: _People, now: datetime) -> dict[str, int]:
    """Completions and approvals of the closed periods, written as the seats would have:
    each unit's specialist completes, its leader approves; the recipient's leader or
    head approves the total above. A unit without a leader of its own in the demo (most
    communes) has its historic approvals recorded in the name of the recipient's
    approver, so that the trail never names nobody."""
    reporting_units = {u.pk for p in plans for u in p.units}
    above: dict[int, list[int]] = defaultdict(list)
    for ancestor, descendant in UnitClosure.objects.filter(
        descendant_id__in=list(reporting_units), depth__gt=0
    ).values_list("ancestor_id", "descendant_id"):
        above[descendant].append(ancestor)
    approvers, clerks = people.approvers, people.clerks
    completions: list[Completion] = []
    approvals: list[Approval] = []
    events: list[ApprovalEvent] = []
    for plan in plans:
        form = plan.form
        recipient_approver = approvers.get(form.recipient_id, people.fallback)
        done = set(
            Completion.objects.filter(form=form).values_list("unit_id", "period")
        )  # fmt: skip
        approved = set(Approval.objects.filter(form=form).values_list("unit_id", "period"))
        # Typed figures only: measured ones exist for the open period too.
        with_data = set(
            DataValue.objects.filter(
                element__section__form=form, element__metric_code="", unit__in=plan.units
            )
            .values_list("unit_id", "period")
            .distinct()
        )
        reporting = {u.pk for u in plan.units}
        aggregates = sorted({a for u in reporting for a in above[u]} - reporting)
        for period in plan.periods:
            historic = period.code != plan.last_closed.code
            deadline = period.deadline(form.deadline_days)
            latest = None
            for unit in plan.units:
                key = plan.keys[unit.pk]
                rng = _rng("approval", form.code, key, period.code)
                if (unit.pk, period.code) not in with_data:
                    continue
                if rng.random() < LATE_SHARE:
                    day = deadline + timedelta(days=rng.randint(1, 4))
                else:
                    span = max((deadline - period.window_end).days, 1)
                    day = period.window_end + timedelta(days=rng.randint(1, span))
                completed_at = min(_at(day, rng), now)
                if (unit.pk, period.code) not in done:
                    completions.append(
                        Completion(
                            form=form,
                            unit=unit,
                            period=period.code,
                            completed_at=completed_at,
                            completed_by=clerks.get(unit.pk),
                            on_time=timezone.localdate(completed_at) <= deadline,
                        )
                    )
                if key == DEMO_UNIT and not historic:
                    continue  # the demo's leader approves it
                approver = approvers.get(unit.pk, recipient_approver)
                if approver is None:
                    continue
                approved_at = min(completed_at + timedelta(days=rng.randint(0, 2), hours=2), now)
                latest = max(latest or approved_at, approved_at)
                if (unit.pk, period.code) not in approved:
                    approvals.append(
                        _approval(form, unit.pk, period.code, approver, approved_at,
                                  recipient_approver)
                    )  # fmt: skip
                    events.extend(_events(approvals[-1]))
            if not historic or latest is None:
                continue
            for unit_id in aggregates:
                approver = recipient_approver or approvers.get(unit_id)
                if approver is None or (unit_id, period.code) in approved:
                    continue
                approvals.append(
                    _approval(form, unit_id, period.code, approver,
                              min(latest + timedelta(days=1), now), None)
                )  # fmt: skip
                events.extend(_events(approvals[-1]))
    Completion.objects.bulk_create(completions, batch_size=_BATCH)
    Approval.objects.bulk_create(approvals, batch_size=_BATCH)
    ApprovalEvent.objects.bulk_create(events, batch_size=_BATCH)
    return {"completions": len(completions), "approvals": len(approvals)}


def _approval(
    form: Form,
    unit_id: int,
    period: str,
    approver: User,
    at: datetime,
    accepter: User | None,
) -> Approval:
    # A two-step form's unit data was also accepted by the level above.
    accepted = form.requires_acceptance and accepter is not None
    return Approval(
        form=form,
        unit_id=unit_id,
        period=period,
        state=Approval.State.ACCEPTED if accepted else Approval.State.APPROVED,
        approved_by=approver,
        approved_at=at,
        accepted_by=accepter if accepted else None,
        accepted_at=at + timedelta(hours=4) if accepted else None,
    )


def _events(approval: Approval) -> list[ApprovalEvent]:
    common = {"form": approval.form, "unit_id": approval.unit_id, "period": approval.period}
    events = [
        ApprovalEvent(
            **common, action=ApprovalEvent.Action.APPROVE, actor=approval.approved_by,
            at=approval.approved_at,
        )
    ]  # fmt: skip
    if approval.accepted_by is not None and approval.accepted_at is not None:
        events.append(
            ApprovalEvent(
                **common, action=ApprovalEvent.Action.ACCEPT, actor=approval.accepted_by,
                at=approval.accepted_at,
            )
        )  # fmt: skip
    return events


def build(
    *,
    codes: Mapping[str, str],
    say: Say = lambda _line: None,
    officials: Mapping[str, str] | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Load the catalogue and the figures into the demo city whose agencies ``codes``
    names by demo key; ``officials`` names, by demo key, the official who enters a
    unit's figures (default: its first specialist). Returns what credentials.json shows
    under ``"reporting"``."""
    today = today or timezone.localdate()
    document = catalogue(codes)
    if not _loaded(document):
        counts = services.metadata_import(actor=None, document=document)
        say(
            f"    catalogue: {counts['forms']} forms, {counts['data_elements']} data "
            f"elements, {counts['indicators']} indicators, {counts['targets']} targets"
        )
    form_codes = [f["code"] for f in document["forms"]]
    forms = list(
        Form.objects.filter(code__in=form_codes)
        .select_related("recipient")
        .prefetch_related("units", "sections__elements")
    )
    forms.sort(key=lambda f: form_codes.index(f.code))
    plans = _plans(forms, codes, today)
    units = {u.code: u.pk for p in plans for u in p.units}
    entry = {
        units[codes[k]]: name for k, name in (officials or {}).items() if codes.get(k) in units
    }
    people = _people(set(units.values()) | {p.form.recipient_id for p in plans}, entry)
    with transaction.atomic():
        created, touched = _values(plans)
        measured = 0
        if created:
            for plan in plans:
                if not plan.measured:
                    continue
                wanted = [p.code for p in plan.periods if (plan.form.pk, p.code) in touched]
                if plan.open.code not in wanted:
                    wanted.append(plan.open.code)
                for period in wanted:
                    measured += services.measured_compute(
                        actor=None, period=period, forms=[plan.form]
                    )
            services.aggregates_rebuild(actor=None)
        steps = _approvals(plans, people, timezone.now())
        for indicator, external in SHARED.items():
            services.mapping_set(
                actor=None, recipient=RECIPIENT, indicator_code=indicator, external_code=external
            )
        if created or steps["completions"] or steps["approvals"]:
            audit.record(
                action="reporting.demo.load",
                object_type="reporting.demo",
                object_id=today.isoformat(),
                payload={"values": created, "measured": measured, **steps,
                         "forms": form_codes},
            )  # fmt: skip
    say(
        f"    {created} figures, {measured} measured values, {steps['completions']} "
        f"completions, {steps['approvals']} approvals"
    )
    return _info(plans, people, codes)


def _name(user: User | None) -> str:
    return user.username if user is not None else ""


def _info(plans: Sequence[_Plan], people: _People, codes: Mapping[str, str]) -> dict[str, Any]:
    """The forms the demo holds, who fills each in, and the main path: the demo unit's
    official fills in the open period, its leader approves the last closed one, then the
    recipient approves the total of all units above them."""
    demo_code = codes.get(DEMO_UNIT)
    forms = []
    path: dict[str, Any] = {}
    for plan in plans:
        demo = next((u for u in plan.units if u.code == demo_code), None)
        shown = demo or (plan.units[0] if plan.units else None)
        filler = None
        if shown is not None:
            filler = people.clerks.get(shown.pk) or people.approvers.get(shown.pk)
        forms.append(
            {
                "code": plan.form.code,
                "name": plan.form.name,
                "period_type": plan.form.period_type,
                "recipient": plan.form.recipient.code,
                "units": len(plan.units),
                "first_period": plan.periods[0].code if plan.periods else "",
                "last_closed": plan.last_closed.code,
                "open_period": plan.open.code,
                "filled_by": _name(filler),
            }
        )
        if demo is not None and not path and not plan.measured:
            total = people.approvers.get(plan.form.recipient_id, people.fallback)
            path = {
                "form": plan.form.code,
                "unit": demo.code,
                "fill": {"user": _name(filler), "period": plan.open.code},
                "approve_unit": {
                    "user": _name(people.approvers.get(demo.pk)),
                    "period": plan.last_closed.code,
                },
                "approve_total": {
                    "user": _name(total),
                    "unit": demo.parent.code if demo.parent is not None else "",
                    "period": plan.last_closed.code,
                },
            }
    export = {"recipient": RECIPIENT, "indicators": dict(SHARED)}
    return {"forms": forms, "main_path": path, "export": export}
