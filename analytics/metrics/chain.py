"""The chain estimate (metrics.md §5): does ESAT lead CSAT, and CSAT lead margin?

Panel regressions with unit and month fixed effects, ``CSAT_t ~ ESAT_(t-k)`` and
``margin_t ~ CSAT_(t-k)``, standard errors clustered by unit, at the lag k that fits
best; and a what-if that chains the two links. Fixed effects are absorbed by
linearmodels' ``PanelOLS`` (no dummy columns), so 2,000 units x 60 months fit in about
a second.

What :func:`chain_estimate` reports is made honest (docs/links.md): its p-value allows
for the choice among the lags and for correlated months (a permutation of whole units'
series), its coefficient and interval are corrected for the survey sampling noise of
the leading leg (:mod:`analytics.metrics.link_inference`), and below
``Settings.min_chain_units`` units it refuses, with a message, rather than estimate.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

# statsmodels, linearmodels and scipy.stats are imported where they are used: they take
# about 2 s to import, which a page's first run in a new process paid even when the
# warm-up had kept every result it shows (analytics.read.warmup)
from analytics.metrics.link_inference import (
    corrected_slope,
    lag_search_p,
    sampling_variance,
    two_way_demean,
)
from analytics.metrics.relationships import lag_pairs, leg_grid
from analytics.settings import DEFAULT, LEGS, Settings

#: With unit and month effects a fit needs months to compare within a unit and units to
#: compare within a month; three months (after lagging) is the least that leaves a
#: unit-month any variation of its own once both means are taken out.
MIN_PERIODS = 3
#: The chain's links, leading leg first: esat -> csat, csat -> profit.
LINKS: tuple[tuple[str, str], ...] = tuple(pairwise(LEGS))
FIT_KEYS: tuple[str, ...] = (
    "lag", "coef", "se", "ci_low", "ci_high", "p", "n", "n_units", "n_periods",
    "r2_within", "enough_data",
)  # fmt: skip
#: Keys :func:`chain_estimate` adds to each fit: the plain regression's numbers (``*_raw``),
#: the reliability behind the correction, the lag range compared and the refusal.
CHAIN_KEYS: tuple[str, ...] = (
    "coef_raw", "se_raw", "ci_low_raw", "ci_high_raw", "p_raw", "reliability", "corrected",
    "lags_compared", "refused", "message",
)  # fmt: skip


def link_name(lead: str, follow: str) -> str:
    """Key of a link in :func:`chain_estimate`'s result, e.g. 'esat_to_csat'."""
    return f"{lead}_to_{follow}"


def _enough(n_units: int, n_periods: int, settings: Settings) -> bool:
    return n_units >= settings.min_corr_n and n_periods >= MIN_PERIODS


def panel_fe(
    legs: pd.DataFrame, y: str, x: str, lag: int = 0, settings: Settings = DEFAULT
) -> dict[str, Any]:
    """Two-way fixed-effects regression ``y_t ~ x_(t-lag)`` with unit-clustered errors.

    Parameters
    ----------
    legs : DataFrame
        Columns ``unit_id``, ``period`` ('YYYY-MM'), ``x`` and ``y``; one row per unit x
        month, NaN allowed. Lags count calendar months (see
        :func:`analytics.metrics.relationships.lag_pairs`).
    y, x : str
        Outcome leg and leading leg.
    lag : int
        Months by which ``x`` leads ``y``.
    settings : Settings
        ``min_corr_n`` is the fewest units and ``alpha`` sets the interval.

    Returns
    -------
    dict
        ``lag``; ``coef`` (points of y per point of x); ``se`` (clustered by unit, with
        the small-sample factor ``G/(G-1) * (N-1)/(N-K)`` of Stata's ``xtreg, fe
        vce(cluster)`` and statsmodels' ``cov_type='cluster'``, K counting the unit and
        month effects); ``ci_low``, ``ci_high``, ``p`` (Student's t with G - 1 degrees of
        freedom, G = units, as both of those); ``n`` (unit-months), ``n_units``,
        ``n_periods``; ``r2_within`` (R² of y on x after removing unit and month effects);
        ``enough_data``. With fewer than ``min_corr_n`` units, fewer than
        :data:`MIN_PERIODS` months, or an x without variation left after the effects,
        ``enough_data`` is False and the statistics are None.

    Example
    -------
    >>> fit = panel_fe(legs, "csat", "esat", lag=2)  # doctest: +SKIP
    >>> fit["coef"], fit["ci_low"], fit["ci_high"]  # doctest: +SKIP
    """
    from linearmodels import PanelOLS
    from linearmodels.panel.utility import AbsorbingEffectError
    from scipy import stats

    pairs = lag_pairs(legs, x, y, lag)
    n_units, n_periods = pairs["unit_id"].nunique(), pairs["month"].nunique()
    out: dict[str, Any] = dict.fromkeys(FIT_KEYS)
    out.update(lag=lag, n=len(pairs), n_units=n_units, n_periods=n_periods, enough_data=False)
    if not _enough(n_units, n_periods, settings):
        return out
    # Integer unit codes: linearmodels is several times slower on string entity labels.
    index = pd.MultiIndex.from_arrays([pd.factorize(pairs["unit_id"])[0], pairs["month"]])
    frame = pd.DataFrame({"y": pairs["y"].to_numpy(), "x": pairs["x"].to_numpy()}, index=index)
    try:
        # low_memory: alternating projections (to 1e-8 of each sd) absorb both effects
        # without a dummy matrix; 4x faster than the exact route at 2,000 x 60, and equal
        # to it and to statsmodels' dummies within about 1e-10.
        res = PanelOLS(frame["y"], frame[["x"]], entity_effects=True, time_effects=True).fit(
            cov_type="clustered",
            cluster_entity=True,
            debiased=True,
            group_debias=True,
            low_memory=True,
        )
    except AbsorbingEffectError:
        return out
    coef, se = float(res.params["x"]), float(res.std_errors["x"])
    df = n_units - 1
    low, high = stats.t.interval(1 - settings.alpha, df, loc=coef, scale=se)
    out.update(
        coef=coef, se=se, ci_low=float(low), ci_high=float(high),
        p=float(2 * stats.t.sf(abs(coef / se), df)), r2_within=float(res.rsquared),
        enough_data=True,
    )  # fmt: skip
    return out


def _common_sample(
    legs: pd.DataFrame, y: str, x: str, max_lag: int, settings: Settings
) -> tuple[int, pd.DataFrame] | None:
    """Largest lag range 0..m (m <= max_lag) whose common sample is big enough, and it.

    The common sample holds the unit-months t where y_t and every x_(t-k), k = 0..m,
    exist, so that all lags are judged on the same rows.
    """
    _, span, grids = leg_grid(legs, [x, y])
    width = len(span)
    for m in range(min(max_lag, width - 1), -1, -1):
        cols = {"y": grids[y][:, m:]}
        cols.update({f"x{k}": grids[x][:, m - k : width - k] for k in range(m + 1)})
        mask = np.logical_and.reduce([~np.isnan(v) for v in cols.values()])
        row, col = np.nonzero(mask)
        if not _enough(len(np.unique(row)), len(np.unique(col)), settings):
            continue
        index = pd.MultiIndex.from_arrays([row, span[m:].asi8[col]])
        return m, pd.DataFrame({k: v[mask] for k, v in cols.items()}, index=index)
    return None


def _best_lag(sample: pd.DataFrame, m: int) -> int:
    """Lag with the smallest residual sum of squares on the common sample.

    By Frisch-Waugh-Lovell the two-way FE fit equals OLS on data with both effects
    removed, so one demeaning serves every lag; its residual SS equals PanelOLS's.
    """
    import statsmodels.api as sm
    from linearmodels.panel.data import PanelData

    within = PanelData(sample).demean("both", low_memory=True).dataframe
    ssr = [sm.OLS(within["y"], within[f"x{k}"]).fit().ssr for k in range(m + 1)]
    return int(np.argmin(ssr))


def _demeaned_pairs(
    legs: pd.DataFrame, y: str, x: str, lag: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """``x`` at t - lag and ``y`` at t with unit and month effects removed (as panel_fe's
    sample), the expected squared sampling error of each demeaned ``x`` (None when the
    leg's sampling variance is unknown) and each row's unit code."""
    var = sampling_variance(legs, x)
    frame = legs.assign(_var=np.nan if var is None else var)
    _, _, grids = leg_grid(frame, [x, y, "_var"])
    width = grids[x].shape[1]
    gx, gv, gy = grids[x][:, : width - lag], grids["_var"][:, : width - lag], grids[y][:, lag:]
    mask = ~(np.isnan(gx) | np.isnan(gy))
    dx, dy = two_way_demean(np.stack([gx, gy]), mask)
    rows = np.nonzero(mask)[0]
    if var is None:
        return dx[mask], dy[mask], None, rows
    # Share of a cell's noise that survives removing both effects (exact when complete):
    # 1 - 1/T_unit - 1/G_month + 1/N.
    t_i = mask.sum(axis=1, keepdims=True)
    g_t = mask.sum(axis=0, keepdims=True)
    keep = np.clip(1 - 1 / np.maximum(t_i, 1) - 1 / np.maximum(g_t, 1) + 1 / mask.sum(), 0, 1)
    known = mask & ~np.isnan(gv)
    filled = np.where(known, gv, gv[known].mean() if known.any() else np.nan)
    return dx[mask], dy[mask], (filled * keep)[mask], rows


def _refusal(raw: dict[str, Any], m: int, settings: Settings) -> dict[str, Any]:
    stats_ = dict.fromkeys((*FIT_KEYS, *CHAIN_KEYS))
    stats_.update(n=raw["n"], n_units=raw["n_units"], n_periods=raw["n_periods"],
                  enough_data=False, lags_compared=m, refused=True, corrected=False)  # fmt: skip
    stats_["message"] = (
        f"No chain estimate for {raw['n_units']:,} units: it needs at least "
        f"{settings.min_chain_units}. With fewer, the best of {m + 1} lags and an interval "
        "corrected for survey noise are too unstable to show; widen the selection."
    )
    return stats_


def _honest(
    legs: pd.DataFrame, lead: str, follow: str, raw: dict[str, Any], m: int,
    settings: Settings,
) -> dict[str, Any]:  # fmt: skip
    """The chosen lag's fit with the lag-search p-value and the noise-corrected slope."""
    if raw["n_units"] < settings.min_chain_units:
        return _refusal(raw, m, settings)
    _, _, grids = leg_grid(legs, [lead, follow])
    p = lag_search_p(grids[lead], grids[follow], m, settings.chain_permutations)
    dx, dy, noise, rows = _demeaned_pairs(legs, follow, lead, raw["lag"])
    fix = None if noise is None else corrected_slope(
        dx, dy, noise, rows, settings.chain_bootstrap, settings.alpha)
    out = {**raw, **{f"{k}_raw": raw[k] for k in ("coef", "se", "ci_low", "ci_high", "p")},
           "p": p, "reliability": None if fix is None else fix["reliability"],
           "corrected": bool(fix is not None and fix["coef"] is not None),
           "lags_compared": m, "refused": False, "message": None}  # fmt: skip
    if out["corrected"]:
        out.update({k: fix[k] for k in ("coef", "se", "ci_low", "ci_high")})
    return out


def chain_estimate(
    legs: pd.DataFrame, max_lag: int | None = None, settings: Settings = DEFAULT
) -> dict[str, dict[str, Any] | None]:
    """Fit both links of the chain at their best-fitting lags, honestly.

    For each link, lags 0..max_lag are fitted on a common sample (unit-months where
    the outcome and all lagged predictors exist) so that their fits are comparable; the
    lag with the smallest residual sum of squares (equivalently the highest within R²)
    wins, and its fit on its own full sample is reported. When the data are too short
    for max_lag, the longest lag range that leaves enough data is compared. Then
    (docs/links.md):

    - ``p`` is the lag-search p-value of :func:`~analytics.metrics.link_inference.
      lag_search_p`: how often the best of the compared lags is as strong as observed
      when whole units' series of the leading leg are handed to other units
      (``settings.chain_permutations`` permutations); it allows for the choice of lag
      and for correlated months;
    - ``coef``, ``se``, ``ci_low``, ``ci_high`` are corrected for the sampling noise of
      the leading leg (:func:`~analytics.metrics.link_inference.corrected_slope`:
      OLS slope / reliability, BCa cluster bootstrap over units with
      ``settings.chain_bootstrap`` draws), when its sampling variance is known (CSAT
      from ``n_customer``, ESAT from ``esat_sd`` and ``n_employee``) and the reliability
      is at least 0.1; otherwise they are the regression's, and ``corrected`` is False;
    - with fewer than ``settings.min_chain_units`` units the link is *refused*: a dict
      with ``enough_data`` False, ``refused`` True, every statistic None and a
      ``message`` for the page.

    Parameters
    ----------
    legs : DataFrame
        Columns ``unit_id``, ``period``, the legs ``esat``, ``csat``, ``profit`` and, for
        the noise correction, ``n_customer``, ``n_employee``, ``esat_sd``.
    max_lag : int, optional
        Longest lag in months; default ``settings.max_lag``.
    settings : Settings
        ``max_lag``, ``min_corr_n`` (fewest units for any fit), ``min_chain_units``,
        ``chain_permutations``, ``chain_bootstrap`` and ``alpha``.

    Returns
    -------
    dict
        ``{"esat_to_csat": fit, "csat_to_profit": fit}``. Each fit has the keys of
        :func:`panel_fe` (``lag``, ``coef``, ``se``, ``ci_low``, ``ci_high``, ``p``,
        ``n``, ``n_units``, ``n_periods``, ``r2_within``, ``enough_data``) with the
        meanings above, plus :data:`CHAIN_KEYS`: ``coef_raw``, ``se_raw``,
        ``ci_low_raw``, ``ci_high_raw``, ``p_raw`` (the plain regression at the chosen
        lag, clustered by unit), ``reliability``, ``corrected``, ``lags_compared`` (the
        largest lag compared), ``refused``, ``message``. None when there is too little
        data for any fit (fewer than ``min_corr_n`` units or fewer than lag + 3 months).

    Example
    -------
    >>> chain = chain_estimate(legs)  # doctest: +SKIP
    >>> chain["esat_to_csat"]["lag"], chain["esat_to_csat"]["coef"]  # doctest: +SKIP
    """
    max_lag = settings.max_lag if max_lag is None else max_lag
    out: dict[str, dict[str, Any] | None] = {}
    for lead, follow in LINKS:
        found = _common_sample(legs, follow, lead, max_lag, settings)
        fit = None
        if found is not None:
            m, sample = found
            raw = panel_fe(legs, follow, lead, _best_lag(sample, m), settings)
            fit = _honest(legs, lead, follow, raw, m, settings) if raw["enough_data"] else None
        out[link_name(lead, follow)] = fit
    return out


def what_if(
    chain: dict[str, dict[str, Any] | None], delta_esat: float, settings: Settings = DEFAULT
) -> dict[str, Any]:
    """Chain the two links: "+delta ESAT points -> CSAT after k1 months -> margin after k1+k2".

    Parameters
    ----------
    chain : dict
        As returned by :func:`chain_estimate`.
    delta_esat : float
        Change in the ESAT index, in points.
    settings : Settings
        ``alpha`` sets the interval of the margin effect.

    Returns
    -------
    dict
        ``delta_esat``; ``csat_lag`` (k1), ``delta_csat`` (``b1 * delta``),
        ``delta_csat_low``, ``delta_csat_high`` (b1's interval times delta); ``profit_lag``
        (k1 + k2, months from the ESAT change), ``delta_profit`` (``b1 * b2 * delta``, in
        margin points), ``delta_profit_low``, ``delta_profit_high`` (normal interval by
        the delta method, ``se(b1 b2)^2 = b2^2 se1^2 + b1^2 se2^2``, treating the two
        estimates as independent). Parts whose link is None (or refused) are None.
        ``corrected``: True when every link used carries the noise-corrected coefficient
        of :func:`chain_estimate` (the what-if then undoes the attenuation that survey
        noise causes); False otherwise.

    Example
    -------
    >>> what_if(chain_estimate(legs), 5.0)["delta_profit"]  # doctest: +SKIP
    """
    from scipy import stats

    first = chain.get(link_name(*LINKS[0]))
    second = chain.get(link_name(*LINKS[1]))
    out: dict[str, Any] = {
        "delta_esat": delta_esat,
        "csat_lag": None, "delta_csat": None, "delta_csat_low": None, "delta_csat_high": None,
        "profit_lag": None, "delta_profit": None, "delta_profit_low": None,
        "delta_profit_high": None, "corrected": False,
    }  # fmt: skip
    if first is None or first.get("coef") is None:
        return out
    b1, se1 = first["coef"], first["se"]
    ends = sorted((first["ci_low"] * delta_esat, first["ci_high"] * delta_esat))
    out.update(csat_lag=first["lag"], delta_csat=b1 * delta_esat,
               delta_csat_low=ends[0], delta_csat_high=ends[1],
               corrected=bool(first.get("corrected")))  # fmt: skip
    if second is None or second.get("coef") is None:
        return out
    b2, se2 = second["coef"], second["se"]
    effect = b1 * b2 * delta_esat
    se = abs(delta_esat) * float(np.sqrt((b2 * se1) ** 2 + (b1 * se2) ** 2))
    low, high = (
        stats.norm.interval(1 - settings.alpha, loc=effect, scale=se) if se > 0 else (effect,) * 2
    )
    out.update(profit_lag=first["lag"] + second["lag"], delta_profit=effect,
               delta_profit_low=float(low), delta_profit_high=float(high),
               corrected=bool(first.get("corrected") and second.get("corrected")))  # fmt: skip
    return out
