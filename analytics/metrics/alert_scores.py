"""Change scores behind the alerts (metrics.md §4): each leg against the unit's own baseline.

A leg's month value is an estimate with a sampling variance from its response count:

- ESAT index: ``esat_sd^2 / n_employee`` (the month's median ``esat_sd`` where a unit's
  is unknown); months below ``min_group_size`` responses are not used;
- CSAT %: binomial ``p (100 - p) / n_customer`` with ``p`` the unit-month's shrunk CSAT
  (months below ``min_customer_n`` responses are not used);
- margin: no sampling error.

Each value is shrunk toward the company's month (:mod:`analytics.metrics.shrink`), and
the alerts rest on the shrunk series. For a target month ``t`` and a window of ``w``
months ending at ``t``, the *change* of a leg is the mean of the window minus the mean
of the unit's baseline: its (at most ``alert_baseline_months``) months before the window,
of which at least ``control_min_baseline`` must have data. Its standard error has two
parts:

    se^2 = sigma2 * q(K, w, phi) * Bbar^2 + sum_window B^2 s2 / w^2 + sum_base B^2 s2 / K^2

the sampling part of each month (``B`` its shrinkage weight), and the real
month-to-month variation of a unit's true value, an AR(1) with variance ``sigma2`` and
carry-over ``phi``: ``q = a' R a`` with ``R`` the AR(1) correlation matrix of the
``K + w`` months and ``a`` the weights (-1/K on the baseline, 1/w on the window).
``sigma2`` and ``phi`` are estimated for the company, per leg, from the months before the
window (at most ``alert_estimation_months``): each unit's sample variance and lag-1
autocovariance about its own mean, less their sampling parts, are pooled with a 10%
trimmed mean (robust to a few units with a real shift), and matched to their expectations
under a demeaned AR(1) (``statsmodels`` ``arma_acovf``). ``z = change / se``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import linalg, stats
from statsmodels.tsa.arima_process import arma_acovf

from analytics.metrics.balance import month_number
from analytics.metrics.shrink import shrink
from analytics.settings import LEGS, Settings

#: the carry-over grid the moment estimator searches (negative carry-over is taken as 0)
PHI_GRID = np.linspace(0.0, 0.95, 96)
#: the fewest months of a unit that enter the company's month-variation estimate
MIN_ESTIMATION_MONTHS = 4
#: an ESAT answer sd (0-100 points) for months whose sd is unknown company-wide
FALLBACK_ESAT_SD = 25.0


@dataclass
class Legs:
    """The panel's legs as unit x month arrays (months contiguous, NaN where missing)."""

    units: np.ndarray
    names: np.ndarray
    periods: list[str]
    raw: dict[str, np.ndarray]
    shrunk: dict[str, np.ndarray]
    weight: dict[str, np.ndarray]
    var: dict[str, np.ndarray]
    n: dict[str, np.ndarray]
    #: month variation per (leg, first, end) column range: computed once per panel
    variation: dict[tuple[str, int, int], tuple[float, float]] = field(default_factory=dict)

    def column(self, period: str | None) -> int | None:
        """The month index of ``period`` (the last month by default); None if absent."""
        if not self.periods:
            return None
        if period is None:
            return len(self.periods) - 1
        return self.periods.index(period) if period in self.periods else None


def _wide(long: pd.DataFrame, col: str, units: np.ndarray, months: np.ndarray) -> np.ndarray:
    wide = long.pivot(index="unit_id", columns="month", values=col)
    return wide.reindex(index=units, columns=months).to_numpy(dtype=float)


def _shrunk(long: pd.DataFrame) -> pd.DataFrame:
    return long.join(shrink(long, "value", "var")[["shrunk", "weight"]])


def leg_panel(panel: pd.DataFrame, settings: Settings) -> Legs:
    """Raw and shrunk legs, sampling variances and counts of ``panel`` as arrays.

    Parameters
    ----------
    panel : pandas.DataFrame
        The unit x month panel (docs/panel.md); ``esat_sd``, ``esat_sat_n`` and
        ``csat_sat_n`` are used when present.
    settings : Settings
        ``min_group_size``, ``min_customer_n``, ``profit_metric``.

    Returns
    -------
    Legs
        Arrays of units (sorted) x calendar months (first to last, contiguous).
    """
    df = panel.drop_duplicates(["unit_id", "period"], keep="last")
    df = df.assign(month=month_number(df["period"]), period=df["period"].astype(str))
    units = np.array(sorted(df["unit_id"].unique()), dtype=object)
    if not len(df):
        return Legs(units, units, [], {}, {}, {}, {}, {})
    first, last = int(df["month"].min()), int(df["month"].max())
    months = np.arange(first, last + 1)
    start = pd.Period(df.loc[df["month"] == first, "period"].iloc[0], freq="M")
    periods = [str(start + i) for i in range(len(months))]
    n_e = df["n_employee"].astype(float)
    n_c = df["n_customer"].astype(float)
    esat = df["esat_index"].astype(float).where(n_e >= settings.min_group_size)
    sd = df["esat_sd"].astype(float) if "esat_sd" in df else pd.Series(np.nan, df.index)
    sd = sd.fillna(sd.groupby(df["period"]).transform("median")).fillna(FALLBACK_ESAT_SD)
    csat = df["csat_pct"].astype(float).where(n_c >= max(settings.min_customer_n, 1))
    if "csat_sat_n" in df:
        sat = df["csat_sat_n"].astype(float).where(csat.notna())
        pooled = sat.groupby(df["period"]).transform("sum") / n_c.where(csat.notna()).groupby(
            df["period"]).transform("sum") * 100
    else:
        pooled = csat.groupby(df["period"]).transform("mean")
    base = df[["unit_id", "period", "month"]]
    longs = {
        "esat": base.assign(value=esat, var=sd ** 2 / n_e, n=n_e),
        "csat": base.assign(value=csat, var=pooled * (100 - pooled) / n_c, n=n_c),
        "profit": base.assign(value=df[settings.profit_metric].astype(float), var=0.0,
                              n=np.nan),
    }
    longs = {leg: long[long["value"].notna()] for leg, long in longs.items()}
    longs["esat"] = _shrunk(longs["esat"])
    # the binomial variance at the shrunk %, which is never 0 or 100 as a raw % can be
    first_pass = _shrunk(longs["csat"])["shrunk"].clip(0.5, 99.5)
    longs["csat"] = _shrunk(longs["csat"].assign(
        var=first_pass * (100 - first_pass) / longs["csat"]["n"]))
    longs["profit"] = longs["profit"].assign(shrunk=longs["profit"]["value"], weight=1.0)
    named = df.drop_duplicates("unit_id", keep="last").set_index("unit_id")
    names = (named["unit_name"].astype(object).where(named["unit_name"].notna(), None)
             if "unit_name" in named else pd.Series(None, index=named.index, dtype=object))
    names = names.reindex(units)
    names = np.where(names.isna(), units.astype(str), names.astype(str)).astype(object)
    grids = {key: {leg: _wide(longs[leg], col, units, months) for leg in LEGS}
             for key, col in (("raw", "value"), ("shrunk", "shrunk"), ("weight", "weight"),
                              ("var", "var"), ("n", "n"))}
    return Legs(units, names, periods, **grids)


@lru_cache(maxsize=4096)
def _correlation(phi: float, size: int) -> np.ndarray:
    """AR(1) correlation matrix of ``size`` consecutive months."""
    acov = arma_acovf(np.array([1.0, -phi]), np.array([1.0]), nobs=size)
    return linalg.toeplitz(acov / acov[0])


@lru_cache(maxsize=256)
def _moment_ratio(size: int) -> tuple[np.ndarray, np.ndarray]:
    """g0 and g1 over PHI_GRID: the expected sample variance and lag-1 autocovariance of
    a demeaned AR(1) of unit variance and ``size`` months."""
    centre = np.eye(size) - 1.0 / size
    g0, g1 = [], []
    for phi in PHI_GRID:
        d = centre @ _correlation(float(phi), size) @ centre
        g0.append(np.trace(d) / (size - 1))
        g1.append(np.trace(d, offset=1) / (size - 1))
    return np.array(g0), np.array(g1)


@lru_cache(maxsize=8192)
def _q(base: int, window: int, phi: float) -> float:
    """Variance of (window mean - baseline mean) of a unit-variance AR(1), months adjacent."""
    a = np.r_[np.full(base, -1.0 / base), np.full(window, 1.0 / window)]
    return float(a @ _correlation(phi, base + window) @ a)


def month_variation(raw: np.ndarray, var: np.ndarray) -> tuple[float, float]:
    """The company's between-month variance ``sigma2`` and carry-over ``phi`` of one leg.

    Parameters
    ----------
    raw, var : numpy.ndarray
        units x months: the leg's raw values and sampling variances (NaN = no data).

    Returns
    -------
    tuple of float
        ``(sigma2, phi)``; ``(0.0, 0.0)`` when too few units have enough months.
    """
    present = ~np.isnan(raw)
    count = present.sum(axis=1)
    keep = count >= MIN_ESTIMATION_MONTHS
    if keep.sum() < 3:
        return 0.0, 0.0
    x, s2, k = raw[keep], var[keep], count[keep].astype(float)
    dev = x - np.nanmean(x, axis=1, keepdims=True)
    s_bar = np.nanmean(np.where(present[keep], s2, np.nan), axis=1)
    v = np.nansum(dev ** 2, axis=1) / (k - 1) - s_bar
    pairs = dev[:, 1:] * dev[:, :-1]
    n_pairs = (~np.isnan(pairs)).sum(axis=1)
    c1 = np.where(n_pairs > 0, np.nansum(pairs, axis=1) / np.maximum(n_pairs, 1), 0.0)
    c1 = c1 + s_bar / k
    v_pool = float(stats.trim_mean(v, 0.1))
    c_pool = float(stats.trim_mean(c1, 0.1))
    if v_pool <= 0:
        return 0.0, 0.0
    g0, g1 = _moment_ratio(int(np.median(k)))
    phi = float(np.interp(c_pool / v_pool, g1 / g0, PHI_GRID))
    return v_pool / float(np.interp(phi, PHI_GRID, g0)), phi


def change_scores(legs: Legs, column: int, window: int, settings: Settings) -> pd.DataFrame:
    """Every unit's change score per leg for the ``window`` months ending at ``column``.

    Parameters
    ----------
    legs : Legs
        :func:`leg_panel` of the panel.
    column : int
        The target month's index in ``legs.periods``.
    window : int
        Months averaged in the window (1 = the month alone).
    settings : Settings
        ``alert_baseline_months``, ``alert_estimation_months``, ``control_min_baseline``.

    Returns
    -------
    pandas.DataFrame
        One row per unit and leg with a score: ``unit_id``, ``leg``, ``raw`` and
        ``shrunk`` (the target month), ``window_raw`` and ``window_shrunk`` (window means),
        ``baseline`` (shrunk baseline mean), ``baseline_raw``, ``change`` (shrunk),
        ``se``, ``z``, ``n`` (responses in the target month; NaN for margin),
        ``baseline_months``, ``sigma_month`` (sqrt sigma2) and ``phi``.
    """
    lo = column - window + 1
    if lo < 1:
        return pd.DataFrame()
    b_lo = max(0, lo - settings.alert_baseline_months)
    e_lo = max(0, lo - settings.alert_estimation_months)
    parts = []
    for leg in LEGS:
        x, raw, w8, s2 = (legs.shrunk[leg], legs.raw[leg], legs.weight[leg], legs.var[leg])
        win, base = x[:, lo:column + 1], x[:, b_lo:lo]
        k = (~np.isnan(base)).sum(axis=1)
        ok = (~np.isnan(win)).all(axis=1) & (k >= max(settings.control_min_baseline, 2))
        if not ok.any():
            continue
        key = (leg, e_lo, lo)
        if key not in legs.variation:
            legs.variation[key] = month_variation(raw[:, e_lo:lo], s2[:, e_lo:lo])
        sigma2, phi = legs.variation[key]
        win, base, k = win[ok], base[ok], k[ok]
        bw = w8[ok, b_lo:column + 1]
        samp = (w8[ok] ** 2 * s2[ok])
        v_samp = (samp[:, lo:column + 1].sum(axis=1) / window ** 2
                  + np.nansum(samp[:, b_lo:lo], axis=1) / k ** 2)
        q = np.array([_q(int(kk), window, round(phi, 2)) for kk in k])
        se = np.sqrt(sigma2 * q * np.nanmean(bw, axis=1) ** 2 + v_samp)
        baseline = np.nanmean(base, axis=1)
        change = win.mean(axis=1) - baseline
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(se > 0, change / se, 0.0)
        parts.append(pd.DataFrame({
            "unit_id": legs.units[ok], "leg": leg, "raw": raw[ok, column],
            "shrunk": x[ok, column], "window_raw": raw[ok, lo:column + 1].mean(axis=1),
            "window_shrunk": win.mean(axis=1), "baseline": baseline,
            "baseline_raw": np.nanmean(raw[ok, b_lo:lo], axis=1), "change": change,
            "se": se, "z": z, "n": legs.n[leg][ok, column], "baseline_months": k,
            "sigma_month": np.sqrt(sigma2), "phi": phi,
        }))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
