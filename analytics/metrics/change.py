"""Is a change between two periods a change? (metrics.md §5)

A move is called a change only when it is statistically significant: the two-proportion
z-test for % metrics, a z-test with the NPS variance ``(p_P + p_D - (p_P - p_D)^2) / n``
for NPS and eNPS, Welch's t for means. Otherwise it is "no significant change".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analytics.settings import DEFAULT

# scipy and statsmodels are imported where a test runs: importing them takes about 1.5 s,
# which the first page of a new process would pay even when the warm-up kept its results

#: Columns of :func:`kpi_changes`.
COLUMNS: tuple[str, ...] = (
    "metric", "before", "after", "diff", "p", "significant", "test", "label",
)  # fmt: skip
NOT_ENOUGH = "not enough data"
NO_CHANGE = "no significant change"
NO_TEST = "no test (financial figure)"

#: The KPIs of a unit-month (docs/panel.md) and the test each one gets, with the panel
#: columns the test reads: counts (x, n) for proportions, (promoters, detractors, n) for
#: NPS, (mean, sd, n) for means, the value for financial figures.
KPI_TESTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("esat_index", "mean", ("esat_index", "esat_sd", "n_employee")),
    ("esat_pct_satisfied", "proportion", ("esat_sat_n", "n_employee")),
    ("enps", "nps", ("enps_promoters", "enps_detractors", "n_enps")),
    ("csat_pct", "proportion", ("csat_sat_n", "n_customer")),
    ("csat_mean", "mean", ("csat_mean", "csat_sd", "n_customer")),
    ("nps", "nps", ("nps_promoters", "nps_detractors", "n_nps")),
    ("gross_margin_pct", "financial", ("gross_margin_pct",)),
    ("operating_margin_pct", "financial", ("operating_margin_pct",)),
)


def _result(before: float, after: float, p: float | None, alpha: float, test: str) -> dict:
    """The common result dict; an undefined test of an unchanged figure is no change."""
    diff = after - before
    p = None if p is None or np.isnan(p) else float(p)
    if p is None:
        significant = False if diff == 0 else None
    else:
        significant = bool(p < alpha)
    return {"before": float(before), "after": float(after), "diff": float(diff), "p": p,
            "significant": significant, "test": test}  # fmt: skip


def proportion_change(
    x1: int, n1: int, x2: int, n2: int, alpha: float = DEFAULT.alpha
) -> dict[str, Any]:
    """Two-proportion z-test of a % metric between two periods.

    Parameters
    ----------
    x1, n1 : int
        Hits (e.g. satisfied answers) and answers in the earlier period; ``n1 > 0``.
    x2, n2 : int
        The same for the later period; ``n2 > 0``.
    alpha : float
        Significance level.

    Returns
    -------
    dict
        ``before``, ``after`` (percent, 0-100), ``diff`` (after - before, percentage
        points), ``p`` (two-sided, pooled-variance z of
        :func:`statsmodels.stats.proportion.proportions_ztest`; None when both periods are
        all hits or all misses), ``significant`` (``p < alpha``; False for an undefined
        test of an unchanged figure), ``test`` ('two-proportion z').

    Example
    -------
    >>> res = proportion_change(45, 100, 60, 100)
    >>> res["diff"], round(res["p"], 4), res["significant"]
    (15.0, 0.0337, True)
    """
    if n1 <= 0 or n2 <= 0:
        raise ValueError("each period needs at least one answer")
    if not (0 <= x1 <= n1 and 0 <= x2 <= n2):
        raise ValueError("hits must lie between 0 and the number of answers")
    pooled = (x1 + x2) / (n1 + n2)
    p = None
    if 0 < pooled < 1:  # otherwise the pooled variance is 0 and z undefined
        from statsmodels.stats.proportion import proportions_ztest
        p = proportions_ztest(np.array([x2, x1]), np.array([n2, n1]))[1]
    return _result(100 * x1 / n1, 100 * x2 / n2, p, alpha, "two-proportion z")


def nps_change(
    prom1: int, det1: int, n1: int, prom2: int, det2: int, n2: int,
    alpha: float = DEFAULT.alpha,
) -> dict[str, Any]:  # fmt: skip
    """z-test of a change in NPS (or eNPS) between two periods.

    The variance of an NPS per answer is ``p_P + p_D - (p_P - p_D)^2`` (promoters score
    +1, detractors -1, passives 0); the difference of two independent periods has the sum
    of their variances over their n.

    Parameters
    ----------
    prom1, det1, n1 : int
        Promoters (9-10), detractors (0-6) and answers in the earlier period; ``n1 > 0``.
    prom2, det2, n2 : int
        The same for the later period; ``n2 > 0``.
    alpha : float
        Significance level.

    Returns
    -------
    dict
        ``before``, ``after`` (NPS, -100..100), ``diff`` (NPS points), ``p`` (two-sided,
        standard normal via :data:`scipy.stats.norm`; None when both variances are 0),
        ``significant``, ``test`` ('NPS z').

    Example
    -------
    >>> res = nps_change(40, 20, 100, 50, 10, 100)
    >>> res["diff"], round(res["p"], 4)
    (20.0, 0.0455)
    """
    if n1 <= 0 or n2 <= 0:
        raise ValueError("each period needs at least one answer")
    if min(prom1, det1, prom2, det2) < 0 or prom1 + det1 > n1 or prom2 + det2 > n2:
        raise ValueError("promoters and detractors must be counts within the answers")
    promoters = np.array([prom1 / n1, prom2 / n2])
    detractors = np.array([det1 / n1, det2 / n2])
    nps = promoters - detractors
    var = (promoters + detractors - nps**2) / np.array([n1, n2])
    se = float(np.sqrt(var.sum()))
    from scipy import stats
    p = 2 * stats.norm.sf(abs(nps[1] - nps[0]) / se) if se > 0 else None
    return _result(100 * nps[0], 100 * nps[1], p, alpha, "NPS z")


def mean_change(
    mean1: float, sd1: float, n1: int, mean2: float, sd2: float, n2: int,
    alpha: float = DEFAULT.alpha,
) -> dict[str, Any]:  # fmt: skip
    """Welch's t-test of a change in a mean score between two periods.

    Parameters
    ----------
    mean1, sd1, n1 : float, float, int
        Mean, sample sd (ddof=1) and answers in the earlier period; ``n1 >= 2``.
    mean2, sd2, n2 : float, float, int
        The same for the later period; ``n2 >= 2``.
    alpha : float
        Significance level.

    Returns
    -------
    dict
        ``before``, ``after`` (the means), ``diff`` (after - before, in the score's
        points), ``p`` (two-sided, :func:`scipy.stats.ttest_ind_from_stats` with
        ``equal_var=False``; None when both sds are 0), ``significant``, ``test``
        ("Welch's t").

    Example
    -------
    >>> res = mean_change(70.0, 20.0, 50, 78.0, 18.0, 60)
    >>> res["diff"], round(res["p"], 4)
    (8.0, 0.0312)
    """
    if n1 < 2 or n2 < 2:
        raise ValueError("each period needs at least two answers for a sd")
    p = None
    if sd1 > 0 or sd2 > 0:
        from scipy import stats
        p = stats.ttest_ind_from_stats(mean2, sd2, n2, mean1, sd1, n1, equal_var=False).pvalue
    return _result(mean1, mean2, p, alpha, "Welch's t")


def proportion_changes(x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray,
                       alpha: float = DEFAULT.alpha) -> list[dict[str, Any]]:
    """:func:`proportion_change` of many pairs at once (equal results, row by row).

    The z of :func:`statsmodels.stats.proportion.proportions_ztest` worked out on arrays
    in the same order of operations (statsmodels' own two-sided p of a z,
    ``_zstat_generic2``), so each p is the one the scalar test gives. Counts are whole
    numbers with ``n > 0`` and ``0 <= x <= n``.
    """
    x1, n1, x2, n2 = (np.asarray(a, dtype="int64") for a in (x1, n1, x2, n2))
    if (n1 <= 0).any() or (n2 <= 0).any():
        raise ValueError("each period needs at least one answer")
    if ((x1 < 0) | (x1 > n1) | (x2 < 0) | (x2 > n2)).any():
        raise ValueError("hits must lie between 0 and the number of answers")
    pooled = (x2 + x1) * 1.0 / (n2 + n1)
    testable = (pooled > 0) & (pooled < 1)
    diff = x2 * 1.0 / n2 - x1 * 1.0 / n1
    with np.errstate(divide="ignore", invalid="ignore"):
        std = np.sqrt(pooled * (1 - pooled) * (1.0 / n2 + 1.0 / n1))
        from statsmodels.stats.weightstats import _zstat_generic2
        p = _zstat_generic2(diff, std, "two-sided")[1]
    return [_result(100 * a / b, 100 * c / d, pv if ok else None, alpha, "two-proportion z")
            for a, b, c, d, pv, ok in zip(x1.tolist(), n1.tolist(), x2.tolist(), n2.tolist(),
                                           np.atleast_1d(p).tolist(), testable.tolist(),
                                           strict=True)]


def mean_changes(mean1: np.ndarray, sd1: np.ndarray, n1: np.ndarray, mean2: np.ndarray,
                 sd2: np.ndarray, n2: np.ndarray,
                 alpha: float = DEFAULT.alpha) -> list[dict[str, Any]]:  # fmt: skip
    """:func:`mean_change` of many pairs at once: one call of
    :func:`scipy.stats.ttest_ind_from_stats` on arrays (equal results, row by row)."""
    mean1, sd1, mean2, sd2 = (np.asarray(a, dtype=float) for a in (mean1, sd1, mean2, sd2))
    n1, n2 = np.asarray(n1, dtype="int64"), np.asarray(n2, dtype="int64")
    if (n1 < 2).any() or (n2 < 2).any():
        raise ValueError("each period needs at least two answers for a sd")
    testable = (sd1 > 0) | (sd2 > 0)
    p = np.full(len(mean1), np.nan)
    if testable.any():
        t = testable
        from scipy import stats
        p[t] = stats.ttest_ind_from_stats(mean2[t], sd2[t], n2[t], mean1[t], sd1[t], n1[t],
                                          equal_var=False).pvalue
    return [_result(a, b, pv if ok else None, alpha, "Welch's t")
            for a, b, pv, ok in zip(mean1.tolist(), mean2.tolist(), p.tolist(),
                                    testable.tolist(), strict=True)]


def _label(res: dict[str, Any]) -> str:
    if res["significant"] is None:
        return NOT_ENOUGH
    if not res["significant"]:
        return NO_CHANGE
    direction = "up" if res["diff"] > 0 else "down"
    return f"{direction} {abs(res['diff']):.1f} pts (significant)"


def _numbers(row: pd.Series, cols: tuple[str, ...]) -> list[float]:
    """The columns as floats, NaN where missing or not a number (as ``pd.to_numeric``
    with ``errors="coerce"``), without building a Series per metric."""
    out = []
    for col in cols:
        value = row.get(col)
        try:
            out.append(float(value) if value is not None else np.nan)
        except (TypeError, ValueError):
            out.append(np.nan)
    return out


def _has(values: list[float], min_n: int | None) -> bool:
    """All values known, and the count (last value) at least ``min_n``."""
    return bool(not any(np.isnan(v) for v in values)
                and (min_n is None or values[-1] >= min_n))


def _kpi(kind: str, cols: tuple[str, ...], before: pd.Series, after: pd.Series,
         alpha: float) -> dict[str, Any]:  # fmt: skip
    """One metric's row of :func:`kpi_changes`."""
    empty = {"before": np.nan, "after": np.nan, "diff": np.nan, "p": None,
             "significant": None, "test": None, "label": NOT_ENOUGH}  # fmt: skip
    # a sd needs two answers; a financial figure has no count
    min_n = {"mean": 2, "financial": None}.get(kind, 1)
    b, a = _numbers(before, cols), _numbers(after, cols)
    if not (_has(b, min_n) and _has(a, min_n)):
        return empty
    if kind == "financial":
        res = {**_result(b[0], a[0], None, alpha, "none"), "significant": None}
        return {**res, "label": NO_TEST}
    if kind == "proportion":
        res = proportion_change(*b, *a, alpha=alpha)
    elif kind == "nps":
        res = nps_change(*b, *a, alpha=alpha)
    else:
        res = mean_change(*b, *a, alpha=alpha)
    return {**res, "label": _label(res)}


def kpi_changes(
    before_row: pd.Series, after_row: pd.Series, alpha: float = DEFAULT.alpha
) -> pd.DataFrame:
    """Which KPIs changed significantly between two periods of a unit or group.

    Parameters
    ----------
    before_row, after_row : Series
        One row each of the unit x month panel or a pooled aggregate of it, with the
        columns of docs/panel.md: ``esat_index``, ``esat_sd``, ``n_employee``,
        ``esat_sat_n``, ``enps_promoters``, ``enps_detractors``, ``n_enps``,
        ``csat_sat_n``, ``n_customer``, ``csat_mean``, ``csat_sd``, ``nps_promoters``,
        ``nps_detractors``, ``n_nps``, ``gross_margin_pct``, ``operating_margin_pct``.
        Missing columns count as missing data.
    alpha : float
        Significance level.

    Returns
    -------
    DataFrame
        One row per metric of :data:`KPI_TESTS`, columns :data:`COLUMNS`: ``metric``
        (panel column name), ``before``, ``after``, ``diff`` (after - before, in points:
        percentage points, NPS points or 0-100 score points), ``p``, ``significant``
        (True / False / None), ``test`` ('two-proportion z', 'NPS z', "Welch's t",
        'none' for financial figures, None without data) and ``label``: "up 3.2 pts
        (significant)", "down ... (significant)", "no significant change", "not enough
        data" (a value or count is missing or zero, e.g. suppressed for privacy) or "no
        test (financial figure)" (margins: no sampling error to test from aggregates).
        ``before`` / ``after`` of % metrics are recomputed from the counts.

    Example
    -------
    >>> table = kpi_changes(panel.iloc[0], panel.iloc[1])  # doctest: +SKIP
    >>> table.set_index("metric").loc["csat_pct", "label"]  # doctest: +SKIP
    'no significant change'
    """
    rows = [{"metric": metric, **_kpi(kind, cols, before_row, after_row, alpha)}
            for metric, kind, cols in KPI_TESTS]  # fmt: skip
    return pd.DataFrame(rows, columns=list(COLUMNS)).astype(
        {"before": float, "after": float, "diff": float, "p": float}
    )
