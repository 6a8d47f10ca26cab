"""How two legs move together: the three views of metrics.md §5, each with its honesty kit.

Every correlation carries its ``n``, Pearson r with a Fisher-z confidence interval, a
two-sided p-value and Spearman rho; below ``Settings.min_corr_n`` it carries no numbers at
all, only ``enough_data = False``, so that no page can show a correlation of five points.
Within-unit and lagged p-values are clustered by unit (a unit's months are not
independent), and every table carries ``p_adjusted`` and ``significant`` for the many
tests it holds (docs/links.md).

The functions take a *legs* frame: one row per unit x month with the columns ``unit_id``,
``period`` (``'YYYY-MM'``) and one float column per leg (``esat``, ``csat``, ``profit``),
which may hold NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analytics.metrics.link_inference import cluster_slope_test
from analytics.settings import DEFAULT, LEGS, Settings

#: Columns of every relationships table, in order.
COLUMNS: tuple[str, ...] = (
    "a", "b", "view", "lag", "period", "n", "n_units",
    "r", "ci_low", "ci_high", "p", "rho", "rho_p", "enough_data", "p_adjusted", "significant",
)  # fmt: skip
VIEWS: tuple[str, ...] = ("cross_sectional", "within_unit", "lagged")
_STATS: tuple[str, ...] = ("r", "ci_low", "ci_high", "p", "rho", "rho_p")
#: Fisher's z has standard error 1/sqrt(n - 3): fewer points leave it undefined.
_FISHER_MIN_N = 4


def _empty(n: int) -> dict[str, Any]:
    return {"n": n, "r": None, "ci_low": None, "ci_high": None,
            "p": None, "rho": None, "rho_p": None, "enough_data": False}  # fmt: skip


def correlate(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    min_n: int = DEFAULT.min_corr_n,
    alpha: float = DEFAULT.alpha,
) -> dict[str, Any]:
    """Pearson and Spearman correlation of two series, or "not enough data".

    Pairs with a missing value on either side are dropped first.

    Parameters
    ----------
    x, y : array-like of float
        Paired observations of equal length; NaN allowed.
    min_n : int
        Fewest complete pairs worth a number (metrics.md §5: 8). At least 4.
    alpha : float
        The confidence interval covers ``1 - alpha``.

    Returns
    -------
    dict
        ``n`` (complete pairs), ``r`` (Pearson), ``ci_low``, ``ci_high`` (Fisher z, as
        :meth:`scipy.stats.PearsonRResult.confidence_interval`), ``p`` (two-sided),
        ``rho`` and ``rho_p`` (Spearman, :func:`scipy.stats.spearmanr`) and
        ``enough_data``. When ``n < min_n`` or either series is constant (r undefined),
        ``enough_data`` is False and every statistic is None, never a number.

    Example
    -------
    >>> res = correlate([1, 2, 3, 4, 5, 6, 7, 8], [2, 1, 4, 3, 6, 5, 8, 9])
    >>> res["n"], round(res["r"], 3), res["enough_data"]
    (8, 0.932, True)
    """
    from scipy import stats  # imported on use: a new process's first page may not need it

    if min_n < _FISHER_MIN_N:
        raise ValueError(f"min_n must be at least {_FISHER_MIN_N} for a Fisher-z interval")
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    if xa.shape != ya.shape:
        raise ValueError("x and y must have the same length")
    keep = ~(np.isnan(xa) | np.isnan(ya))
    xa, ya = xa[keep], ya[keep]
    n = int(keep.sum())
    if n < min_n or np.ptp(xa) == 0 or np.ptp(ya) == 0:
        return _empty(n)
    pearson = stats.pearsonr(xa, ya)
    ci = pearson.confidence_interval(confidence_level=1 - alpha)
    spearman = stats.spearmanr(xa, ya)
    values = (pearson.statistic, ci.low, ci.high, pearson.pvalue, spearman.statistic,
              spearman.pvalue)  # fmt: skip
    return {"n": n, **dict(zip(_STATS, map(float, values), strict=True)), "enough_data": True}


def correlation_from_r(r: float, n: int, alpha: float = DEFAULT.alpha) -> dict[str, float]:
    """Confidence interval and p-value of a Pearson r computed elsewhere (e.g. in SQL).

    Parameters
    ----------
    r : float
        Pearson correlation, -1..1.
    n : int
        Number of pairs it was computed from (at least 4); for a partial correlation,
        the number of pairs less the number of variables partialled out.
    alpha : float
        The confidence interval covers ``1 - alpha``.

    Returns
    -------
    dict
        ``ci_low``, ``ci_high``: Fisher z interval, ``tanh(atanh(r) -/+ z_(1-alpha/2) /
        sqrt(n - 3))``; ``p``: two-sided, from Student's t with ``n - 2`` degrees of
        freedom, ``t = r * sqrt((n - 2) / (1 - r^2))``. Both equal what
        :func:`scipy.stats.pearsonr` reports for raw data.

    Example
    -------
    >>> res = correlation_from_r(0.5, 30)
    >>> round(res["p"], 4), round(res["ci_low"], 3), round(res["ci_high"], 3)
    (0.0049, 0.17, 0.729)
    """
    from scipy import stats  # imported on use: a new process's first page may not need it

    if n < _FISHER_MIN_N:
        raise ValueError(f"n must be at least {_FISHER_MIN_N}")
    if not -1.0 <= r <= 1.0:
        raise ValueError("r must lie in [-1, 1]")
    df = n - 2
    with np.errstate(divide="ignore"):
        t_stat = r * np.sqrt(df / (1.0 - r * r)) if abs(r) < 1 else np.inf
        z = np.arctanh(r)
    p = 2.0 * stats.t.sf(abs(t_stat), df)
    half = stats.norm.ppf(1 - alpha / 2) / np.sqrt(n - 3)
    return {"ci_low": float(np.tanh(z - half)), "ci_high": float(np.tanh(z + half)),
            "p": float(p)}  # fmt: skip


def leg_grid(
    legs: pd.DataFrame, cols: Sequence[str]
) -> tuple[np.ndarray, pd.PeriodIndex, dict[str, np.ndarray]]:
    """Each leg as a unit x calendar-month matrix, so that a lag is a column offset.

    Parameters
    ----------
    legs : DataFrame
        Columns ``unit_id``, ``period`` ('YYYY-MM') and ``cols``; one row per unit x month.
    cols : sequence of str
        Leg columns to lay out.

    Returns
    -------
    tuple
        ``units`` (ndarray of unit ids, sorted: the rows), ``span`` (PeriodIndex of every
        calendar month from the first to the last: the columns) and a dict mapping each
        column name to a float matrix of shape (units, months), NaN where missing. A
        unit's missing month stays a gap; it never shifts later months.

    Example
    -------
    >>> units, span, grids = leg_grid(legs, ["esat"])  # doctest: +SKIP
    >>> grids["esat"][:, 1:] - grids["esat"][:, :-1]  # month-on-month change  # doctest: +SKIP
    """
    keys = legs[["unit_id", "period"]]
    if keys.isna().any().any() or keys.duplicated().any():
        raise ValueError("legs must hold one row per unit_id and period, neither missing")
    codes, units = pd.factorize(legs["unit_id"], sort=True)
    month_codes, labels = pd.factorize(legs["period"])  # parse each distinct month once
    ordinal = pd.PeriodIndex(labels, freq="M").asi8[month_codes]
    first = int(ordinal.min()) if len(ordinal) else 0
    width = int(ordinal.max()) - first + 1 if len(ordinal) else 0
    span = pd.PeriodIndex.from_ordinals(np.arange(first, first + width), freq="M")
    grids = {}
    for col in cols:
        grid = np.full((len(units), width), np.nan)
        grid[codes, ordinal - first] = legs[col].to_numpy(dtype=float, na_value=np.nan)
        grids[col] = grid
    return np.asarray(units), span, grids


def _shift(lead: np.ndarray, follow: np.ndarray, lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Align ``lead`` at month t - lag with ``follow`` at month t (columns t >= lag)."""
    width = lead.shape[1]
    return lead[:, : max(width - lag, 0)], follow[:, min(lag, width) :]


def lag_pairs(legs: pd.DataFrame, a: str, b: str, lag: int = 0) -> pd.DataFrame:
    """Pair leg ``a`` at month t - ``lag`` with leg ``b`` at month t, unit by unit.

    Parameters
    ----------
    legs : DataFrame
        Columns ``unit_id``, ``period`` ('YYYY-MM'), ``a`` and ``b``; one row per unit x month.
    a, b : str
        Leg columns; ``a`` is the leading one.
    lag : int
        Calendar months between ``a`` and ``b`` (0 or more). A unit's missing month
        leaves a gap; it never shifts later months onto the wrong partner.

    Returns
    -------
    DataFrame
        One row per unit x month t where both values exist, sorted by unit and month:
        ``unit_id``, ``period`` ('YYYY-MM' of t), ``month`` (int, t as months since
        1970-01), ``x`` (a at t - lag), ``y`` (b at t).

    Example
    -------
    >>> legs = pd.DataFrame({"unit_id": ["u"] * 3, "period": ["2024-01", "2024-02",
    ...     "2024-04"], "esat": [1.0, 2.0, 4.0], "csat": [10.0, 20.0, 40.0]})
    >>> lag_pairs(legs, "esat", "csat", lag=1)[["period", "x", "y"]].values.tolist()
    [['2024-02', 1.0, 20.0]]
    """
    if lag < 0:
        raise ValueError("lag must be 0 or more")
    units, span, grids = leg_grid(legs, [a, b])
    x, y = _shift(grids[a], grids[b], lag)
    mask = ~(np.isnan(x) | np.isnan(y))
    row, col = np.nonzero(mask)
    month = span[lag:][col] if len(col) else span[:0]
    return pd.DataFrame({
        "unit_id": units[row], "period": month.strftime("%Y-%m"),
        "month": month.asi8, "x": x[mask], "y": y[mask],
    })  # fmt: skip


def _row(a: str, b: str, view: str, lag: int, period: str | None, n_units: int,
         stats_: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """One row of a relationships table."""
    return {"a": a, "b": b, "view": view, "lag": lag, "period": period, "n_units": n_units,
            **stats_}  # fmt: skip


def _table(
    rows: list[dict[str, Any]], alpha: float = DEFAULT.alpha,
    method: str = DEFAULT.multiplicity_method,
) -> pd.DataFrame:  # fmt: skip
    """Rows in :data:`COLUMNS` order, statistics as floats (NaN where there are none), with
    ``p_adjusted`` over the table's distinct tests and ``significant`` at ``alpha``."""
    types = {"lag": int, "n": int, "n_units": int, "enough_data": bool}
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    # None, not NaN, where a view has no month: the same in every table
    frame["period"] = pd.Series([row["period"] for row in rows], dtype=object)
    frame = frame.astype({**types, **dict.fromkeys((*_STATS, "p_adjusted"), float)})
    return _adjust(frame, alpha, method)


def _adjust(frame: pd.DataFrame, alpha: float, method: str) -> pd.DataFrame:
    """Multiplicity over the tests with a p-value (statsmodels ``multipletests``).

    The lagged view at lag 0 is the within-unit view again: where a table holds both,
    they count as one test and share its adjusted p.
    """
    from statsmodels.stats.multitest import multipletests

    repeat = (frame["view"] == "lagged") & (frame["lag"] == 0) & frame.set_index(
        ["a", "b"]).index.isin(frame.loc[frame["view"] == "within_unit"].set_index(
            ["a", "b"]).index)  # fmt: skip
    family = frame["p"].notna() & ~repeat
    frame["p_adjusted"] = np.nan
    if family.any():
        frame.loc[family, "p_adjusted"] = multipletests(frame.loc[family, "p"], alpha=alpha,
                                                        method=method)[1]
    if repeat.any():
        within = frame[frame["view"] == "within_unit"].set_index(["a", "b"])["p_adjusted"]
        keys = pd.MultiIndex.from_frame(frame.loc[repeat, ["a", "b"]])
        frame.loc[repeat, "p_adjusted"] = within.reindex(keys).to_numpy()
    frame["significant"] = (frame["p_adjusted"] < alpha).to_numpy()
    return frame


def cross_sectional(
    legs: pd.DataFrame,
    a: str,
    b: str,
    period: str | None = None,
    min_n: int = DEFAULT.min_corr_n,
    alpha: float = DEFAULT.alpha,
) -> pd.DataFrame:
    """Correlation of two legs across the units of one month.

    Parameters
    ----------
    legs : DataFrame
        Columns ``unit_id``, ``period``, ``a``, ``b``.
    a, b : str
        Leg columns.
    period : str, optional
        'YYYY-MM'. Default: the latest month in which some unit has both legs.
    min_n, alpha : see :func:`correlate`.

    Returns
    -------
    DataFrame
        One row with :data:`COLUMNS`: ``a``, ``b``, ``view`` ('cross_sectional'),
        ``lag`` (0), ``period`` (the month used; None when no month has both legs),
        ``n`` (units with both legs), ``n_units`` (= n), ``r``, ``ci_low``, ``ci_high``,
        ``p``, ``rho``, ``rho_p``, ``enough_data`` (as :func:`correlate`).

    Example
    -------
    >>> cross_sectional(legs, "esat", "csat")[["period", "n", "r"]]  # doctest: +SKIP
    """
    return _table([_cross(legs, a, b, period, min_n, alpha)], alpha)


def _cross(
    legs: pd.DataFrame, a: str, b: str, period: str | None, min_n: int, alpha: float
) -> dict[str, Any]:
    both = legs.loc[legs[a].notna() & legs[b].notna(), ["period", a, b]]
    if period is None:
        period = str(both["period"].max()) if len(both) else None
    month = both[both["period"] == period]
    res = correlate(month[a], month[b], min_n=min_n, alpha=alpha)
    return _row(a, b, "cross_sectional", 0, period, res["n"], res)


def _within(
    lead: np.ndarray, follow: np.ndarray, lag: int, min_n: int, alpha: float
) -> tuple[int, dict[str, Any]]:
    """Correlation of unit-demeaned pairs, with degrees of freedom for the unit means."""
    x, y = _shift(lead, follow, lag)
    mask = ~(np.isnan(x) | np.isnan(y))
    mask[mask.sum(axis=1) < 2] = False  # a lone month carries no within-unit variation
    count = np.maximum(mask.sum(axis=1, keepdims=True), 1)
    dx = (x - np.where(mask, x, 0.0).sum(axis=1, keepdims=True) / count)[mask]
    dy = (y - np.where(mask, y, 0.0).sum(axis=1, keepdims=True) / count)[mask]
    n_units = int(mask.any(axis=1).sum())
    n = int(mask.sum())
    # Each unit mean costs a degree of freedom: the test of a partial correlation
    # controlling for n_units - 1 unit dummies (= OLS y ~ x + C(unit_id)).
    n_eff = n - n_units + 1
    res = correlate(dx, dy, min_n=_FISHER_MIN_N, alpha=alpha)
    if n_eff < min_n or n_units < 2 or not res["enough_data"]:
        return n_units, _empty(n)
    # A unit's months are not independent: the p-value is the slope's t-test clustered by
    # unit, and the Fisher-z interval uses the pairs left after the design effect
    # (se_cluster / se_iid)^2, never more than n_eff.
    units = np.nonzero(mask)[0]
    test = cluster_slope_test(dx, dy, units, n_absorbed=n_units)
    deff = max(1.0, (test["se"] / test["se_iid"]) ** 2) if test["se_iid"] > 0 else 1.0
    n_ci = max(3.0 + (n_eff - 3.0) / deff, float(_FISHER_MIN_N))
    pearson = correlation_from_r(res["r"], n_ci, alpha)
    res.update(ci_low=pearson["ci_low"], ci_high=pearson["ci_high"], p=test["p"])
    res["rho_p"] = correlation_from_r(res["rho"], n_ci, alpha)["p"]
    return n_units, res


def _within_rows(
    grids: dict[str, np.ndarray], a: str, b: str, view: str, lags: Sequence[int],
    min_n: int, alpha: float,
) -> list[dict[str, Any]]:  # fmt: skip
    rows = []
    for k in lags:
        n_units, res = _within(grids[a], grids[b], k, min_n, alpha)
        rows.append(_row(a, b, view, k, None, n_units, res))
    return rows


def within_unit(
    legs: pd.DataFrame,
    a: str,
    b: str,
    min_n: int = DEFAULT.min_corr_n,
    alpha: float = DEFAULT.alpha,
) -> pd.DataFrame:
    """Correlation of two legs within units: each unit's series minus its own mean, pooled.

    This removes fixed differences between units (a big store is not a happy store).
    Each unit is demeaned over the months that hold both legs; units with fewer than
    two such months are left out.

    Parameters
    ----------
    legs : DataFrame
        Columns ``unit_id``, ``period``, ``a``, ``b``.
    a, b : str
        Leg columns.
    min_n : int
        Fewest *effective* pairs, ``n - n_units + 1``, worth a number.
    alpha : float
        The confidence interval covers ``1 - alpha``.

    Returns
    -------
    DataFrame
        One row with :data:`COLUMNS`; ``view`` is 'within_unit', ``lag`` 0, ``period``
        None, ``n`` the pooled unit-months and ``n_units`` the units. ``r`` and ``rho``
        are computed on the demeaned values. The pooled points are not treated as
        independent: ``p`` is the p-value of ``a`` in OLS ``b ~ a + C(unit_id)`` with
        errors clustered by unit (statsmodels ``cov_type='cluster'``, t with
        ``n_units - 1`` df), so months that carry over within a unit do not make it too
        small. The Fisher-z interval, and Spearman's ``rho_p`` (Student's t on rho),
        use ``3 + (n_eff - 3) / deff`` pairs, ``n_eff = n - n_units + 1`` and ``deff =
        max(1, (se_cluster / se_iid)^2)`` the design effect of the clustering.
        ``p_adjusted`` equals ``p`` (a table of one test).

    Example
    -------
    >>> within_unit(legs, "esat", "csat")[["n", "n_units", "r", "p"]]  # doctest: +SKIP
    """
    _, _, grids = leg_grid(legs, [a, b])
    return _table(_within_rows(grids, a, b, "within_unit", [0], min_n, alpha), alpha)


def lagged(
    legs: pd.DataFrame,
    a: str,
    b: str,
    max_lag: int = DEFAULT.max_lag,
    min_n: int = DEFAULT.min_corr_n,
    alpha: float = DEFAULT.alpha,
    method: str = DEFAULT.multiplicity_method,
) -> pd.DataFrame:
    """Within-unit correlation of leg ``a`` at month t - k with leg ``b`` at month t.

    Months are matched by the calendar (see :func:`lag_pairs`), and each lag is
    demeaned unit by unit on its own pairs, as in :func:`within_unit`.

    Parameters
    ----------
    legs : DataFrame
        Columns ``unit_id``, ``period``, ``a``, ``b``.
    a, b : str
        Leg columns; ``a`` leads.
    max_lag : int
        Largest k; rows for k = 0..max_lag.
    min_n, alpha : see :func:`within_unit`.
    method : str
        :func:`statsmodels.stats.multitest.multipletests` method across the lags.

    Returns
    -------
    DataFrame
        ``max_lag + 1`` rows with :data:`COLUMNS`; ``view`` is 'lagged' and ``lag`` is k.
        Statistics as in :func:`within_unit`. Picking the largest of several lags by eye
        is a multiple comparison: ``p`` is per lag, ``p_adjusted`` allows for the
        ``max_lag + 1`` lags (``method``) and ``significant`` is ``p_adjusted < alpha``.

    Example
    -------
    >>> lagged(legs, "esat", "csat", max_lag=3)[["lag", "n", "r"]]  # doctest: +SKIP
    """
    _, _, grids = leg_grid(legs, [a, b])
    rows = _within_rows(grids, a, b, "lagged", range(max_lag + 1), min_n, alpha)
    return _table(rows, alpha, method)


def lag_profile(
    legs: pd.DataFrame, a: str, b: str, max_lag: int | None = None, settings: Settings = DEFAULT
) -> pd.DataFrame:
    """The lagged view of one ordered pair, with thresholds from ``settings``.

    Parameters
    ----------
    legs, a, b : see :func:`lagged`.
    max_lag : int, optional
        Default ``settings.max_lag``.
    settings : Settings
        Supplies ``min_corr_n`` and ``alpha``.

    Returns
    -------
    DataFrame
        As :func:`lagged`: :data:`COLUMNS`, one row per lag 0..max_lag.

    Example
    -------
    >>> lag_profile(legs, "esat", "csat")[["lag", "r", "ci_low", "ci_high"]]  # doctest: +SKIP
    """
    k = settings.max_lag if max_lag is None else max_lag
    return lagged(legs, a, b, max_lag=k, min_n=settings.min_corr_n, alpha=settings.alpha,
                  method=settings.multiplicity_method)


def leg_pairs(legs_names: Sequence[str] = LEGS) -> list[tuple[str, str]]:
    """The chain's links in order (esat-csat, csat-profit), then the remaining pairs."""
    chain = list(pairwise(legs_names))
    rest = [(p, q) for i, p in enumerate(legs_names) for q in legs_names[i + 2 :]]
    return chain + rest


def relationships(
    legs: pd.DataFrame, legs_names: Sequence[str] = LEGS, settings: Settings = DEFAULT
) -> pd.DataFrame:
    """All three views for every pair of legs, in one tidy table.

    Parameters
    ----------
    legs : DataFrame
        Columns ``unit_id``, ``period`` and one column per name in ``legs_names``.
    legs_names : sequence of str
        Legs in chain order; default ('esat', 'csat', 'profit'), giving the pairs
        (esat, csat), (csat, profit), (esat, profit).
    settings : Settings
        Supplies ``min_corr_n``, ``max_lag``, ``alpha`` and ``multiplicity_method``.

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`: ``a``, ``b``, ``view`` ('cross_sectional' |
        'within_unit' | 'lagged'), ``lag`` (int; 0 for the first two views), ``period``
        (the month of the cross-sectional view, else None), ``n``, ``n_units``, ``r``,
        ``ci_low``, ``ci_high``, ``p``, ``rho``, ``rho_p``, ``enough_data``. Per pair:
        one cross_sectional row, one within_unit row, then lagged rows k = 0..max_lag.
        Statistics are NaN where ``enough_data`` is False. ``p_adjusted``: the p-values
        adjusted over the whole grid by ``settings.multiplicity_method`` (Holm by
        default: at most ``alpha`` chance of any false link), counting the lagged view
        at lag 0 and the within-unit view (the same test) once; ``significant``:
        ``p_adjusted < alpha``.

    Example
    -------
    >>> table = relationships(legs)  # doctest: +SKIP
    >>> table.query("view == 'within_unit'")[["a", "b", "r", "p"]]  # doctest: +SKIP
    """
    n, alpha = settings.min_corr_n, settings.alpha
    _, _, grids = leg_grid(legs, legs_names)
    rows = []
    for a, b in leg_pairs(legs_names):
        rows.append(_cross(legs, a, b, None, n, alpha))
        rows += _within_rows(grids, a, b, "within_unit", [0], n, alpha)
        rows += _within_rows(grids, a, b, "lagged", range(settings.max_lag + 1), n, alpha)
    return _table(rows, alpha, settings.multiplicity_method)
