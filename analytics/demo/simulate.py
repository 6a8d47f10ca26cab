"""Simulated companies for calibrating the alerts and links (issue 14): panels with a truth.

Unlike the demo company (a story to show), these companies are drawn at random from a
stated model so that a rule's error rates can be measured: how often it fires when
nothing is planted (false alarms), how often it catches what was planted (power) and
whether an interval covers the planted value (coverage).

The model, per unit ``u`` and month ``t``, for each leg (in the leg's own units: ESAT
index 0-100, CSAT % 0-100, margin %):

    true(u, t) = base + unit(u) + dev(u, t) + planted(u, t)
    unit(u) ~ N(0, unit_sd)                           stable differences between units
    dev(u, t) = phi * dev(u, t-1) + e,  e ~ N(0, month_sd * sqrt(1 - phi^2))
                                                      carry-over from month to month

and what a survey measures of it:

- ESAT: ``n_employee`` answers on a 1-5 scale, each the rounding of N(mu, 1) clipped to
  1..5, with ``mu`` set so that the expected ESAT index equals ``true``; the index, sd and
  top-two count are those of the drawn answers (multinomial);
- CSAT: ``n_customer`` answers, ``csat_sat_n ~ Binomial(n_customer, true / 100)``;
- margin: measured exactly (finance has no sampling error).

Response counts: each unit has its own usual count, drawn uniformly in the configured
range, and each month varies around it (Poisson), at least 1.

Planted effects are given in *cross-unit standard deviations* of the observed leg
(:func:`cross_unit_sd`), so "a drop of 2 sd" means the same on every leg.

Everything is seeded: the same :class:`Company` and seed give the same panel.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from analytics.settings import LEGS

#: a leg's usual value in a company (ESAT index, CSAT %, gross margin %)
BASE: dict[str, float] = {"esat": 62.0, "csat": 78.0, "profit": 32.0}
#: operating margin = gross margin minus this (a fixed overhead share)
OVERHEAD_PCT = 12.0
#: sd of one employee's latent answer on the 1-5 scale
ANSWER_SD = 1.0


@dataclass(frozen=True)
class Plant:
    """Something planted in some units.

    ``kind``: ``"drop"`` (``leg`` falls by ``size`` sd at ``start`` and stays down),
    ``"divergence"`` (over ``months`` months from ``start`` the odd ``leg`` moves
    ``size`` sd one way and both others ``size`` sd the other way, then they stay),
    ``"chain"`` (no units: ESAT drives CSAT and CSAT drives margin, see :class:`Company`).
    ``direction`` is the odd or dropped leg's: +1 up, -1 down.
    """

    kind: Literal["drop", "divergence"]
    leg: str
    size: float
    start: int
    months: int = 1
    direction: int = -1
    share: float = 0.25  # of the units, chosen at random


@dataclass(frozen=True)
class Company:
    """A simulated company's structure (every default a realistic middle)."""

    n_units: int = 40
    n_months: int = 36
    first_period: str = "2023-01"
    employees: tuple[int, int] = (5, 80)
    customers: tuple[int, int] = (20, 400)
    unit_sd: dict[str, float] = field(
        default_factory=lambda: {"esat": 6.0, "csat": 6.0, "profit": 4.0})
    month_sd: dict[str, float] = field(
        default_factory=lambda: {"esat": 3.0, "csat": 3.0, "profit": 1.5})
    phi: float = 0.3
    plants: tuple[Plant, ...] = ()
    #: the chain, when planted: CSAT dev += b_csat * ESAT dev k_csat months earlier,
    #: margin dev += b_profit * CSAT dev k_profit months earlier (in leg points)
    chain: tuple[float, int, float, int] | None = None

    def with_(self, **changes: object) -> Company:
        return replace(self, **changes)


@dataclass
class Simulated:
    """A simulated company: the panel the analytics read, and the truth behind it.

    ``panel`` has the columns of docs/panel.md that the alerts and links use. ``truth``
    has one row per unit-month: ``unit_id``, ``period``, ``month`` (0-based), the true
    legs ``true_esat``, ``true_csat``, ``true_profit`` and ``planted`` (the kind planted
    in that unit, "" for none), ``plant_start``, ``plant_end`` (the month the effect is
    complete; -1 for none). ``sd`` is :func:`cross_unit_sd` per leg.
    """

    company: Company
    panel: pd.DataFrame
    truth: pd.DataFrame
    sd: dict[str, float]


def periods(company: Company) -> list[str]:
    """The company's months as ``YYYY-MM``."""
    start = pd.Period(company.first_period, freq="M")
    return [str(start + i) for i in range(company.n_months)]


def _mean_inverse_n(lo: int, hi: int) -> float:
    return float(np.mean(1.0 / np.arange(max(lo, 1), hi + 1)))


def _esat_answer_sd(mean_index: float) -> float:
    """sd of one answer in index points at a given mean (for the sampling part of the sd)."""
    p = _category_probs(np.array([_mu_for_index(mean_index)]))[0]
    x = np.arange(5) * 25.0
    m = float(p @ x)
    return float(np.sqrt(p @ (x - m) ** 2))


def cross_unit_sd(company: Company) -> dict[str, float]:
    """The sd of each observed leg across the units of one month, in the null company.

    unit_sd^2 + month_sd^2 (stationary AR(1)) + the mean sampling variance over the
    configured response counts; margin has no sampling part.
    """
    e_lo, e_hi = company.employees
    c_lo, c_hi = company.customers
    sampling = {
        "esat": _esat_answer_sd(BASE["esat"]) ** 2 * _mean_inverse_n(e_lo, e_hi),
        "csat": BASE["csat"] * (100 - BASE["csat"]) * _mean_inverse_n(c_lo, c_hi),
        "profit": 0.0,
    }
    return {leg: float(np.sqrt(company.unit_sd[leg] ** 2 + company.month_sd[leg] ** 2
                               + sampling[leg])) for leg in LEGS}


def _category_probs(mu: np.ndarray) -> np.ndarray:
    """P(answer = 1..5) for latent means ``mu`` (rounding of N(mu, ANSWER_SD), clipped)."""
    cuts = np.array([1.5, 2.5, 3.5, 4.5])
    cdf = stats.norm.cdf((cuts[None, :] - mu[:, None]) / ANSWER_SD)
    lower = np.concatenate([np.zeros((len(mu), 1)), cdf], axis=1)
    upper = np.concatenate([cdf, np.ones((len(mu), 1))], axis=1)
    return np.clip(upper - lower, 0.0, 1.0)


_GRID = np.linspace(-3.0, 9.0, 2401)
_GRID_INDEX = _category_probs(_GRID) @ (np.arange(5) * 25.0)


def _mu_for_index(index: np.ndarray | float) -> np.ndarray:
    """The latent mean whose expected ESAT index is ``index`` (monotone, interpolated)."""
    return np.interp(np.clip(index, 0.5, 99.5), _GRID_INDEX, _GRID)


def _counts(rng: np.random.Generator, lo: int, hi: int, n_units: int,
            n_months: int) -> np.ndarray:
    usual = rng.integers(lo, hi + 1, size=n_units)
    return np.maximum(1, rng.poisson(np.repeat(usual, n_months))).astype(np.int64)


def _planted(company: Company, rng: np.random.Generator, sd: dict[str, float]
             ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Shifts per leg (units x months), and per unit: kind planted, start, end."""
    u, m = company.n_units, company.n_months
    shift = {leg: np.zeros((u, m)) for leg in LEGS}
    kind = np.full(u, "", dtype=object)
    start = np.full(u, -1)
    end = np.full(u, -1)
    free = rng.permutation(u)
    taken = 0
    for plant in company.plants:
        k = max(1, int(round(plant.share * u)))
        units = free[taken:taken + k]
        taken += k
        months = np.arange(m)
        if plant.kind == "drop":
            ramp = (months >= plant.start).astype(float)
            moves = {plant.leg: plant.direction}
        else:
            ramp = np.clip((months - plant.start + 1) / plant.months, 0.0, 1.0)
            moves = {leg: (plant.direction if leg == plant.leg else -plant.direction)
                     for leg in LEGS}
        for leg, sign in moves.items():
            shift[leg][units] += sign * plant.size * sd[leg] * ramp[None, :]
        kind[units] = f"{plant.kind}:{plant.leg}"
        start[units] = plant.start
        end[units] = plant.start + plant.months - 1
    return shift, kind, start, end


def simulate(company: Company, seed: int) -> Simulated:
    """Draw one company.

    Parameters
    ----------
    company : Company
        The structure: sizes, spreads, carry-over, plants, chain.
    seed : int
        Same seed, same company.

    Returns
    -------
    Simulated
        ``panel`` (one row per unit-month, sorted by period then unit), ``truth``, ``sd``.

    Example
    -------
    >>> sim = simulate(Company(n_units=8, n_months=12), seed=1)
    >>> len(sim.panel)
    96
    """
    rng = np.random.default_rng(seed)
    u, m = company.n_units, company.n_months
    sd = cross_unit_sd(company)
    dev = {}
    for leg in LEGS:
        s, phi = company.month_sd[leg], company.phi
        e = rng.normal(0.0, s * np.sqrt(1 - phi ** 2), size=(u, m))
        d = np.empty((u, m))
        d[:, 0] = rng.normal(0.0, s, size=u)
        for t in range(1, m):
            d[:, t] = phi * d[:, t - 1] + e[:, t]
        dev[leg] = d
    if company.chain is not None:
        b_c, k_c, b_p, k_p = company.chain
        for t in range(m):
            if t >= k_c:
                dev["csat"][:, t] += b_c * dev["esat"][:, t - k_c]
        for t in range(m):
            if t >= k_p:
                dev["profit"][:, t] += b_p * dev["csat"][:, t - k_p]
    shift, kind, start, end = _planted(company, rng, sd)
    true = {leg: BASE[leg] + rng.normal(0.0, company.unit_sd[leg], size=(u, 1))
            + dev[leg] + shift[leg] for leg in LEGS}
    true["esat"] = np.clip(true["esat"], 1.0, 99.0)
    true["csat"] = np.clip(true["csat"], 1.0, 99.0)

    # unit-major flattening: row = unit * m + month
    n_e = _counts(rng, *company.employees, u, m)
    n_c = _counts(rng, *company.customers, u, m)
    probs = _category_probs(_mu_for_index(true["esat"].ravel()))
    answers = rng.multinomial(n_e, probs)
    points = np.arange(5) * 25.0
    esat_index = answers @ points / n_e
    sq = answers @ points ** 2
    # as the product's panel has it (docs/confidentiality.md): a unit's own second moment
    # is not published, so each unit-month carries its month's pooled within-unit sd
    month_of = np.tile(np.arange(m), u)
    within = np.maximum(sq - n_e * esat_index ** 2, 0.0)
    ss = np.bincount(month_of, weights=within, minlength=m)
    dof = np.bincount(month_of, weights=np.maximum(n_e - 1, 0), minlength=m)
    with np.errstate(invalid="ignore", divide="ignore"):
        month_sd = np.sqrt(ss / dof)
    esat_sd = month_sd[month_of]
    esat_sat = answers[:, 3:].sum(axis=1)
    csat_sat = rng.binomial(n_c, true["csat"].ravel() / 100.0)
    margin = true["profit"].ravel()
    revenue = rng.lognormal(np.log(200_000.0), 0.4, size=u).repeat(m)

    units = [f"S{i + 1:03d}" for i in range(u)]
    months = periods(company)
    unit_col = np.repeat(units, m)
    month_col = np.tile(np.arange(m), u)
    period_col = np.array(months, dtype=object)[month_col]
    panel = pd.DataFrame({
        "unit_id": unit_col,
        "unit_name": np.char.add("Unit ", unit_col),
        "period": period_col,
        "n_employee": n_e,
        "esat_index": esat_index,
        "esat_sd": np.where(n_e > 1, esat_sd, np.nan),
        "esat_sat_n": esat_sat,
        "esat_pct_satisfied": esat_sat / n_e * 100.0,
        "n_customer": n_c,
        "csat_pct": csat_sat / n_c * 100.0,
        "csat_sat_n": csat_sat,
        "revenue": revenue,
        "gross_margin_pct": margin,
        "operating_margin_pct": margin - OVERHEAD_PCT,
    })
    truth = pd.DataFrame({
        "unit_id": unit_col, "period": period_col, "month": month_col,
        "true_esat": true["esat"].ravel(), "true_csat": true["csat"].ravel(),
        "true_profit": true["profit"].ravel(),
        "planted": np.repeat(kind, m), "plant_start": np.repeat(start, m),
        "plant_end": np.repeat(end, m),
    })
    order = np.lexsort((unit_col, month_col))
    return Simulated(company, panel.iloc[order].reset_index(drop=True),
                     truth.iloc[order].reset_index(drop=True), sd)
