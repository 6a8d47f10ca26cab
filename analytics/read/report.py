"""The JSON report of ``python -m analytics report`` (a stable contract, see README)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from analytics.filters import ALL
from analytics.metrics import alerts, balance, chain, relationships
from analytics.read import data
from analytics.settings import Settings
from analytics.store import queries

COMPANY_KEYS = ("esat_index", "esat_pct_satisfied", "enps", "csat_pct", "csat_mean", "nps",
                "gross_margin_pct", "complaint_rate", "n_employee", "n_customer")
UNIT_KEYS = ("unit_id", "period", "esat_index", "enps", "csat_pct", "nps",
             "gross_margin_pct", "n_employee", "n_customer")


def _clean(value: Any) -> Any:
    """JSON-safe: NaN/NA become null, numpy scalars plain Python."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if value is None or value is pd.NA:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def build_report(con: Any, period: str | None = None,
                 settings: Settings | None = None) -> dict:
    """Everything the dashboard knows for ``period`` (default: the latest month)."""
    s = settings or data.settings(con)
    months = queries.periods(con)
    if not months:
        raise ValueError("the database holds no data yet: load files or run `demo` first")
    if period is None:
        period = months[-1]
    elif period not in months:
        raise ValueError(f"no data for period {period!r}; months with data: "
                         f"{months[0]} to {months[-1]}")
    panel = data.panel(con, ALL, s)
    company = data.company(con, ALL.with_period(period), s)
    bal = balance.balance(balance.legs_frame(panel, s))
    units = panel[list(UNIT_KEYS)].merge(
        bal[["unit_id", "period", "z_esat", "z_csat", "z_profit", "imbalance",
             "weakest_leg"]], on=["unit_id", "period"], how="left")
    unit_rows = [
        {**{k: r[k] for k in UNIT_KEYS},
         "z": {"esat": r["z_esat"], "csat": r["z_csat"], "profit": r["z_profit"]},
         "imbalance": r["imbalance"], "weakest_leg": r["weakest_leg"]}
        for r in units.to_dict("records")
    ]
    found = alerts.all_alerts(panel, s, period)
    alert_rows = []
    for r in found.to_dict("records"):
        row = {"kind": r["kind"], "unit_id": r["unit_id"], "period": r["period"]}
        if r["kind"] == "divergence":
            row["pattern"] = r["pattern"]
        else:
            row["leg"] = r["leg"]
        row.update(message=r["message"], values=r["values"], severity=r["severity"])
        alert_rows.append(row)
    legs = balance.legs_frame(panel, s)
    rel = relationships.relationships(legs, settings=s)
    # lagged correlations are within-unit correlations at lag k
    rel["view"] = rel["view"].replace({"lagged": "within_unit"})
    rel = rel.drop_duplicates(subset=["a", "b", "view", "lag"])
    rel_rows = rel[["a", "b", "view", "lag", "n", "r", "ci_low", "ci_high", "p", "rho",
                    *(c for c in ("p_adjusted", "significant") if c in rel.columns)]
                   ].to_dict("records")
    estimate = chain.chain_estimate(legs, settings=s)
    return _clean({
        "period": period,
        "company": {k: company.get(k) for k in COMPANY_KEYS},
        "units": unit_rows,
        "alerts": alert_rows,
        "relationships": rel_rows,
        # coef and its interval are corrected for the legs' sampling noise, p accounts
        # for the choice of lag (docs/links.md); coef_raw is the uncorrected slope
        "chain": {k: (None if v is None or v.get("refused") else
                      {key: v.get(key) for key in ("lag", "coef", "ci_low", "ci_high", "p",
                                                   "n", "coef_raw", "reliability")})
                  for k, v in estimate.items()},
        "chain_refused": {k: v.get("message") for k, v in estimate.items()
                          if v is not None and v.get("refused")},
    })
