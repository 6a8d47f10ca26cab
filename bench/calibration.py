"""`python -m bench calibration [--quick]`: the alerts' error rates on simulated companies.

Companies come from :mod:`analytics.demo.simulate` (realistic response counts, stable unit
differences, AR(1) months). Printed per alert kind: false alarms per unit-month on null
companies, power by effect size for planted one-leg drops and 3-month divergences, the
median detection delay, and the sensitivity of the null rate and the power to the
carry-over ``phi`` and the unit spread. docs/alerts.md quotes the table at the defaults.

Scoring: only unit-months with data count, and only from the first month in which every
kind can fire (``warm_up`` months are a baseline: ``control_min_baseline`` months plus the
divergence window, less one). A drop planted at month ``s`` is *detected within 2 months*
when any alert of the unit falls in months ``s`` or ``s + 1``; a divergence ramping over
months ``s .. e`` (``e = s + 2``) is *detected by one month after it ends* when any alert
falls in ``s .. e + 1``. The delay is the first alerted month minus ``s``, over 6 months.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.demo.simulate import Company, Plant, simulate
from analytics.metrics.alerts import KINDS, alert_history
from analytics.settings import DEFAULT, LEGS, Settings

#: the harness's company: 40 units over 24 months, plants starting at month PLANT_START
BASE = Company(n_units=40, n_months=24)
PLANT_START = 15
DROPS = (1.0, 1.5, 2.0, 3.0)
DIVERGENCES = (1.0, 1.5, 2.0)
PHIS = (0.0, 0.3, 0.5, 0.7)
SPREADS = (0.5, 1.0, 2.0)
HORIZON = 6


def warm_up(settings: Settings) -> int:
    """Months at the start of a company that are baseline only (not scored)."""
    return settings.control_min_baseline + settings.divergence_periods - 1


def _alerted(panel: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """One row per alert with the month index of its period."""
    found = alert_history(panel, settings)
    months = {p: i for i, p in enumerate(sorted(panel["period"].unique()))}
    return found.assign(month=found["period"].map(months))


def false_alarm_rate(company: Company, seeds: range | list[int],
                     settings: Settings = DEFAULT) -> dict[str, float]:
    """Share of scored unit-months with an alert, per kind and any, on null companies.

    Parameters
    ----------
    company : Company
        The structure; its ``plants`` should be empty.
    seeds : iterable of int
        One company per seed.
    settings : Settings
        The alert thresholds.

    Returns
    -------
    dict
        ``imbalance``, ``divergence``, ``control``, ``any`` (rates, 0-1) and
        ``unit_months`` (how many were scored).
    """
    hits = {kind: 0 for kind in (*KINDS, "any")}
    total = 0
    for seed in seeds:
        sim = simulate(company, seed)
        months = {p: i for i, p in enumerate(sorted(sim.panel["period"].unique()))}
        scored = sim.panel[sim.panel["period"].map(months) >= warm_up(settings)]
        total += len(scored)
        found = _alerted(sim.panel, settings)
        found = found[found["month"] >= warm_up(settings)]
        for kind in KINDS:
            hits[kind] += len(found.loc[found["kind"] == kind, ["unit_id", "month"]]
                              .drop_duplicates())
        hits["any"] += len(found[["unit_id", "month"]].drop_duplicates())
    return {**{k: v / max(total, 1) for k, v in hits.items()}, "unit_months": total}


@dataclass(frozen=True)
class Power:
    """Share of planted units detected, by any alert and by the kind meant for it."""

    detected: float
    by_kind: float
    median_delay: float
    units: int


def _plants(kind: str, size: float, seed: int) -> tuple[Plant, ...]:
    """One plant per leg (a sixth of the units each): drops down, divergences either way."""
    if kind == "drop":
        return tuple(Plant("drop", leg, size, PLANT_START, share=1 / 6) for leg in LEGS)
    direction = 1 if seed % 2 == 0 else -1
    return tuple(Plant("divergence", leg, size, PLANT_START, months=3, direction=direction,
                       share=1 / 6) for leg in LEGS)


def power(company: Company, kind: str, size: float, seeds: range | list[int],
          settings: Settings = DEFAULT, within: int | None = None) -> Power:
    """How often a planted drop or divergence of ``size`` sd is alerted in time.

    Parameters
    ----------
    company : Company
        The structure; plants are added per :func:`_plants`.
    kind : {"drop", "divergence"}
    size : float
        The effect in cross-unit sd (per leg, for a divergence).
    seeds : iterable of int
    settings : Settings
    within : int, optional
        Months from the start that count: 2 for a drop, the ramp plus one month for a
        divergence (``months + 1``) by default.

    Returns
    -------
    Power
        ``detected`` (any alert in time), ``by_kind`` (an imbalance alert for a drop, a
        divergence alert for a divergence), ``median_delay`` (months from the start to
        the first alert, among units alerted within ``HORIZON`` months) and ``units``.
    """
    within = within or (2 if kind == "drop" else 4)
    own = "imbalance" if kind == "drop" else "divergence"
    hit = own_hit = units = 0
    delays: list[int] = []
    for seed in seeds:
        sim = simulate(company.with_(plants=_plants(kind, size, seed)), seed)
        planted = sim.truth.drop_duplicates("unit_id").set_index("unit_id")
        planted = planted[planted["planted"] != ""]
        found = _alerted(sim.panel, settings)
        found = found[found["unit_id"].isin(planted.index)
                      & (found["month"] >= PLANT_START)]
        first = found[found["month"] < PLANT_START + HORIZON].groupby("unit_id")["month"].min()
        soon = found[found["month"] < PLANT_START + within]
        units += len(planted)
        hit += soon["unit_id"].nunique()
        own_hit += soon.loc[soon["kind"] == own, "unit_id"].nunique()
        delays += (first - PLANT_START).astype(int).tolist()
    return Power(hit / max(units, 1), own_hit / max(units, 1),
                 float(np.median(delays)) if delays else float("nan"), units)


def spread(company: Company, factor: float) -> Company:
    """The company with its stable unit differences scaled by ``factor``."""
    return company.with_(unit_sd={leg: sd * factor for leg, sd in company.unit_sd.items()})


def run(quick: bool = False, settings: Settings = DEFAULT) -> dict:
    """Every table of the harness as plain data (see :func:`main` for the print)."""
    n_null, n_power, n_sens = (4, 2, 1) if quick else (16, 5, 2)
    out: dict = {"null": false_alarm_rate(BASE, range(n_null), settings), "drop": {},
                 "divergence": {}, "sensitivity": []}
    for d in DROPS:
        out["drop"][d] = power(BASE, "drop", d, range(100, 100 + n_power), settings)
    for d in DIVERGENCES:
        out["divergence"][d] = power(BASE, "divergence", d, range(200, 200 + n_power),
                                     settings)
    for phi in PHIS:
        for factor in SPREADS:
            company = spread(BASE.with_(phi=phi), factor)
            seeds = range(300, 300 + n_sens)
            out["sensitivity"].append({
                "phi": phi, "spread": factor,
                "null_any": false_alarm_rate(company, seeds, settings)["any"],
                "drop_2": power(company, "drop", 2.0, seeds, settings).detected,
                "divergence_1.5": power(company, "divergence", 1.5, seeds, settings).detected,
            })
    return out


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def main(argv: list[str] | None = None) -> None:
    """Print the calibration tables (``--quick`` for a smaller run)."""
    parser = argparse.ArgumentParser(prog="python -m bench calibration")
    parser.add_argument("--quick", action="store_true", help="fewer seeds (about a minute)")
    parser.add_argument("--alerts-only", action="store_true",
                        help="only the alerts (the links' table: bench/calibration_links.py)")
    args, _ = parser.parse_known_args(argv)
    start = time.perf_counter()
    res = run(quick=args.quick)
    null = res["null"]
    print(f"Null companies ({null['unit_months']:,} scored unit-months, 40 units x 24 "
          f"months, phi 0.3; first {warm_up(DEFAULT)} months are baseline):")
    for kind in (*KINDS, "any"):
        print(f"  {kind:<11} false alarms per unit-month {_pct(null[kind])}")
    for kind, label, when in (("drop", "one-leg drop", "within 2 months"),
                              ("divergence", "3-month divergence", "by 1 month after")):
        print(f"Power, {label} (detected {when}; own kind; median delay from start):")
        for d, p in res[kind].items():
            print(f"  {d:>4.1f} sd  any {_pct(p.detected)}  own {_pct(p.by_kind)}  "
                  f"delay {p.median_delay:.0f} mo  ({p.units} units)")
    print("Sensitivity (phi, unit spread x): null any-alert rate, 2-sd drop power, "
          "1.5-sd divergence power")
    for row in res["sensitivity"]:
        print(f"  phi {row['phi']:.1f} spread {row['spread']:.1f}x  null "
              f"{_pct(row['null_any'])}  drop {_pct(row['drop_2'])}  "
              f"divergence {_pct(row['divergence_1.5'])}")
    print(f"({time.perf_counter() - start:.0f} s)")
    if not args.alerts_only:
        from bench import calibration_links

        print()
        calibration_links.main(["--quick"] if args.quick else [])


if __name__ == "__main__":
    main()
