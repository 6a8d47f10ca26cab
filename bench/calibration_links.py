"""Calibration of the links (issue 14 item 4, docs/links.md): do the chain estimate and the
relationship grid keep their promises on companies whose truth is known?

On simulated companies (analytics.demo.simulate, seeded) it measures

- under the null (``Company(chain=None)``): how often each chain link comes out
  significant (lag-search p < alpha), and how often the relationship grid's tests do,
  per test and family-wise (any test in the grid), before and after the multiplicity
  adjustment;
- with a planted chain (ESAT -> CSAT -> margin, known lags and coefficients): power,
  lag recovery and the coverage of the planted coefficient by the noise-corrected
  interval and by the plain regression's interval;

with 8, 20 and 40 units and month-to-month carry-over phi in {0, 0.3, 0.7}. The chain's
refusal below ``min_chain_units`` is lifted here (``min_chain_units=0``) so that its test
can be measured where the dashboard would refuse it.

``python -m bench.calibration_links [--quick] [--reps N] [--seed S]``; the computation is
in functions the tests call (tests/unit/test_calibration_links.py).
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from analytics.demo.simulate import Company, simulate
from analytics.metrics.balance import legs_frame
from analytics.metrics.chain import chain_estimate
from analytics.metrics.relationships import relationships
from analytics.settings import DEFAULT, Settings

#: The planted chain: CSAT dev += 0.5 x ESAT dev 2 months earlier; margin dev += 0.3 x
#: CSAT dev 1 month earlier (leg points per leg point, true values).
PLANTED: tuple[float, int, float, int] = (0.5, 2, 0.3, 1)
UNITS: tuple[int, ...] = (8, 20, 40)
PHIS: tuple[float, ...] = (0.0, 0.3, 0.7)
MONTHS = 36
REPS = 60
QUICK_REPS = 15
LINKS = ("esat_to_csat", "csat_to_profit")


def bench_settings(**changes: Any) -> Settings:
    """The dashboard's defaults with the chain's refusal lifted (its test is measured)."""
    return replace(DEFAULT, min_chain_units=0, **changes)


def _legs(company: Company, seed: int, settings: Settings) -> pd.DataFrame:
    return legs_frame(simulate(company, seed).panel, settings)


def null_run(company: Company, seed: int, settings: Settings) -> dict[str, Any]:
    """One null company: each link's rejection, and the grid's raw and adjusted rejections."""
    legs = _legs(company, seed, settings)
    chain = chain_estimate(legs, settings=settings)
    grid = relationships(legs, settings=settings)
    tests = grid[grid["p"].notna() & ~((grid["view"] == "lagged") & (grid["lag"] == 0))]
    out = {link: bool(chain[link] and chain[link]["p"] < settings.alpha) for link in LINKS}
    raw = tests["p"] < settings.alpha
    out.update(grid_tests=len(tests), grid_raw=int(raw.sum()),
               grid_adjusted=int(tests["significant"].sum()))
    return out


def planted_run(company: Company, seed: int, settings: Settings) -> dict[str, Any]:
    """One company with the chain planted: per link p, lag and both intervals' coverage."""
    legs = _legs(company, seed, settings)
    chain = chain_estimate(legs, settings=settings)
    b1, k1, b2, k2 = company.chain
    out: dict[str, Any] = {}
    for link, b, k in ((LINKS[0], b1, k1), (LINKS[1], b2, k2)):
        fit = chain[link] or {}
        found = fit.get("coef") is not None
        out[f"{link}_reject"] = bool(found and fit["p"] < settings.alpha)
        out[f"{link}_lag"] = bool(found and fit["lag"] == k)
        out[f"{link}_cover"] = bool(found and fit["ci_low"] <= b <= fit["ci_high"])
        out[f"{link}_cover_raw"] = bool(found and fit["ci_low_raw"] <= b <= fit["ci_high_raw"])
        out[f"{link}_coef"] = fit.get("coef")
        out[f"{link}_coef_raw"] = fit.get("coef_raw")
    return out


def _runs(kind: str, company: Company, reps: int, seed: int, settings: Settings,
          workers: int) -> list[dict[str, Any]]:  # fmt: skip
    run = null_run if kind == "null" else planted_run
    seeds = [seed + i for i in range(reps)]
    if workers <= 1:
        return [run(company, s, settings) for s in seeds]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(run, [company] * reps, seeds, [settings] * reps))


def null_rates(n_units: int, phi: float, reps: int, seed: int = 1,
               settings: Settings | None = None, workers: int = 1) -> dict[str, float]:  # fmt: skip
    """Rejection rates on null companies of ``n_units`` x :data:`MONTHS` with carry-over ``phi``.

    Returns
    -------
    dict
        ``esat_to_csat``, ``csat_to_profit``: share of companies whose link has p < alpha;
        ``grid_per_test_raw``, ``grid_per_test``: share of the grid's tests significant
        before and after the multiplicity adjustment; ``grid_familywise_raw``,
        ``grid_familywise``: share of companies with at least one; ``reps``.
    """
    settings = settings or bench_settings()
    company = Company(n_units=n_units, n_months=MONTHS, phi=phi)
    runs = pd.DataFrame(_runs("null", company, reps, seed, settings, workers))
    tests = runs["grid_tests"].sum()
    return {
        **{link: float(runs[link].mean()) for link in LINKS},
        "grid_per_test_raw": float(runs["grid_raw"].sum() / tests),
        "grid_per_test": float(runs["grid_adjusted"].sum() / tests),
        "grid_familywise_raw": float((runs["grid_raw"] > 0).mean()),
        "grid_familywise": float((runs["grid_adjusted"] > 0).mean()),
        "reps": reps,
    }


def planted_rates(n_units: int, phi: float, reps: int, seed: int = 1,
                  settings: Settings | None = None, workers: int = 1,
                  chain: tuple[float, int, float, int] = PLANTED) -> dict[str, float]:  # fmt: skip
    """Power, lag recovery and coverage with ``chain`` planted.

    Returns
    -------
    dict
        Per link (``esat_to_csat_*``, ``csat_to_profit_*``): ``power`` (p < alpha),
        ``lag`` (the planted lag chosen), ``coverage`` (the corrected interval holds the
        planted coefficient), ``coverage_raw`` (the plain regression's interval does),
        ``coef``, ``coef_raw`` (median estimates); and ``reps``.
    """
    settings = settings or bench_settings()
    company = Company(n_units=n_units, n_months=MONTHS, phi=phi, chain=chain)
    runs = pd.DataFrame(_runs("planted", company, reps, seed, settings, workers))
    out: dict[str, float] = {}
    for link in LINKS:
        out.update({
            f"{link}_power": float(runs[f"{link}_reject"].mean()),
            f"{link}_lag": float(runs[f"{link}_lag"].mean()),
            f"{link}_coverage": float(runs[f"{link}_cover"].mean()),
            f"{link}_coverage_raw": float(runs[f"{link}_cover_raw"].mean()),
            f"{link}_coef": float(np.nanmedian(runs[f"{link}_coef"].astype(float))),
            f"{link}_coef_raw": float(np.nanmedian(runs[f"{link}_coef_raw"].astype(float))),
        })  # fmt: skip
    out["reps"] = reps
    return out


def calibration_table(
    units: tuple[int, ...] = UNITS, phis: tuple[float, ...] = PHIS, reps: int = REPS,
    seed: int = 1, workers: int = 2,
) -> pd.DataFrame:
    """One row per (units, phi): the null rates and the planted rates side by side."""
    rows = []
    for n in units:
        for phi in phis:
            null = null_rates(n, phi, reps, seed, workers=workers)
            planted = planted_rates(n, phi, reps, seed + 10_000, workers=workers)
            rows.append({"units": n, "phi": phi, **{f"null_{k}": v for k, v in null.items()
                                                     if k != "reps"}, **planted})
    return pd.DataFrame(rows)


def _pct(v: float) -> str:
    return f"{100 * v:5.1f}%"


def main(argv: list[str] | None = None) -> None:
    """Print the links' calibration table (``--quick``: 20 and 40 units, phi 0.3)."""
    parser = argparse.ArgumentParser(prog="python -m bench.calibration_links")
    parser.add_argument("--quick", action="store_true", help="small configuration")
    parser.add_argument("--reps", type=int, default=None, help="companies per cell")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    reps = args.reps or (QUICK_REPS if args.quick else REPS)
    units, phis = ((20, 40), (0.3,)) if args.quick else (UNITS, PHIS)
    start = time.perf_counter()
    table = calibration_table(units, phis, reps, args.seed, args.workers)
    b1, k1, b2, k2 = PLANTED
    print(f"Links calibration: {reps} companies per cell, {MONTHS} months, seed {args.seed}, "
          f"alpha {DEFAULT.alpha}, {DEFAULT.chain_permutations} permutations, "
          f"{DEFAULT.chain_bootstrap} bootstrap draws ({time.perf_counter() - start:.0f} s)")
    print("\nNull company: share significant (chain: lag-search p; grid: per test and "
          "any test, raw -> adjusted)")
    print(f"{'units':>5} {'phi':>4} {'ESAT>CSAT':>10} {'CSAT>margin':>12} "
          f"{'grid/test':>16} {'grid any':>16}")
    for r in table.itertuples():
        print(f"{r.units:5d} {r.phi:4.1f} {_pct(r.null_esat_to_csat):>10} "
              f"{_pct(r.null_csat_to_profit):>12} "
              f"{_pct(r.null_grid_per_test_raw)} -> {_pct(r.null_grid_per_test)} "
              f"{_pct(r.null_grid_familywise_raw)} -> {_pct(r.null_grid_familywise)}")
    print(f"\nPlanted chain ESAT -({b1}, {k1} mo)-> CSAT -({b2}, {k2} mo)-> margin: power, lag "
          "recovered, coverage of the planted coefficient corrected / plain, median "
          "estimate corrected / plain")
    for link, b in ((LINKS[0], b1), (LINKS[1], b2)):
        print(f"\n{link} (planted {b})")
        print(f"{'units':>5} {'phi':>4} {'power':>7} {'lag':>7} {'cover':>7} {'plain':>7} "
              f"{'coef':>6} {'plain':>6}")
        for r in table.to_dict("records"):
            print(f"{r['units']:5d} {r['phi']:4.1f} {_pct(r[f'{link}_power']):>7} "
                  f"{_pct(r[f'{link}_lag']):>7} {_pct(r[f'{link}_coverage']):>7} "
                  f"{_pct(r[f'{link}_coverage_raw']):>7} {r[f'{link}_coef']:6.2f} "
                  f"{r[f'{link}_coef_raw']:6.2f}")


if __name__ == "__main__":
    main()
