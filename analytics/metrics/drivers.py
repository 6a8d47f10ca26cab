"""Key drivers (metrics.md §5): importance × performance of rating items.

*Importance* of an item is its Pearson correlation with the outcome (an employee item
with ESAT, a customer item with CSAT) over responses, shown with ``n``, a Fisher-z 95%
interval, its two-sided p-value and Spearman's rho; below ``Settings.min_corr_n`` pairs it
is "not enough data", never a number. *Performance* is the item's mean score on 0-100.

Quadrants (Martilla & James's importance-performance analysis) are relative to the other
items of the same survey: an item is of *high* importance when its r is at or above the
median r of the items with enough data, and performs *high* when its mean is at or above
their median mean. The median, not a fixed r of, say, 0.3, because what a manager can act
on is which items matter *more than the others*; with few items a fixed cut would put
them all in one quadrant. An item exactly at a median counts as high.

- ``fix first``: high importance, low score (where effort pays most)
- ``keep up``: high importance, high score
- ``maintain``: low importance, high score (good already; do not over-invest)
- ``low priority``: low importance, low score

Quadrants need at least two items with enough data; otherwise the quadrant of an item
with enough data is ``too few items to compare``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.metrics.relationships import correlation_from_r
from analytics.settings import DEFAULT

FIX_FIRST, KEEP_UP, MAINTAIN, LOW_PRIORITY = "fix first", "keep up", "maintain", "low priority"
QUADRANTS: tuple[str, ...] = (FIX_FIRST, KEEP_UP, MAINTAIN, LOW_PRIORITY)
NOT_ENOUGH = "not enough data"
TOO_FEW_ITEMS = "too few items to compare"
COLUMNS: tuple[str, ...] = (
    "item", "n", "r", "ci_low", "ci_high", "p", "rho", "rho_p", "significant",
    "enough_data", "importance", "performance", "quadrant", "importance_median",
    "performance_median",
)


def importance_performance(
    items: pd.DataFrame,
    item: str = "item",
    r: str = "r",
    n: str = "n",
    performance: str = "mean",
    rho: str | None = "rho",
    min_n: int = DEFAULT.min_corr_n,
    alpha: float = DEFAULT.alpha,
) -> pd.DataFrame:
    """Importance × performance matrix of rating items.

    Parameters
    ----------
    items : pandas.DataFrame
        One row per item with its correlation with the outcome, the number of pairs
        behind it and its mean score (as ``analytics.store.responses.item_correlations``
        returns).
    item, r, n, performance : str
        Column names of the item label, Pearson r, number of pairs and mean score (0-100).
    rho : str or None
        Column of Spearman's rho, if any.
    min_n : int
        Fewest pairs worth a correlation (``Settings.min_corr_n``).
    alpha : float
        Significance level; the interval covers ``1 - alpha``.

    Returns
    -------
    pandas.DataFrame
        One row per item, ordered by importance (highest first, items without enough data
        last), with columns

        - ``item``, ``n``
        - ``r``, ``ci_low``, ``ci_high``, ``p``: Pearson r, its Fisher-z interval and
          two-sided p (:func:`analytics.metrics.relationships.correlation_from_r`)
        - ``rho``, ``rho_p``: Spearman's rho and its p (NaN without a rho column)
        - ``significant``: bool, ``p < alpha``
        - ``enough_data``: bool, ``n >= min_n`` and r defined; when False every
          statistic above is NaN
        - ``importance`` (= r), ``performance`` (the mean score)
        - ``quadrant``: one of :data:`QUADRANTS`, ``'not enough data'`` (this item) or
          ``'too few items to compare'`` (fewer than two items with enough data)
        - ``importance_median``, ``performance_median``: the splits (same on every row)

    Example
    -------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"item": ["a", "b", "c", "d"], "n": [50] * 4,
    ...                       "r": [0.6, 0.5, 0.2, 0.1], "mean": [40.0, 80.0, 70.0, 30.0]})
    >>> importance_performance(items, rho=None)["quadrant"].tolist()
    ['fix first', 'keep up', 'maintain', 'low priority']
    """
    frame = items.reset_index(drop=True)
    n_pairs = pd.to_numeric(frame[n], errors="coerce").fillna(0).astype(int)
    r_val = pd.to_numeric(frame[r], errors="coerce").astype(float)
    enough = (n_pairs >= min_n) & r_val.notna()
    out = pd.DataFrame({"item": frame[item], "n": n_pairs,
                        "r": r_val.where(enough)})
    stats = [correlation_from_r(float(rv), int(nv), alpha) if ok else {}
             for rv, nv, ok in zip(r_val, n_pairs, enough, strict=True)]
    for col in ("ci_low", "ci_high", "p"):
        out[col] = [s.get(col, np.nan) for s in stats]
    rho_val = (pd.to_numeric(frame[rho], errors="coerce").astype(float)
               if rho and rho in frame else pd.Series(np.nan, index=frame.index))
    out["rho"] = rho_val.where(enough & rho_val.notna())
    out["rho_p"] = [correlation_from_r(float(v), int(nv), alpha)["p"] if ok else np.nan
                    for v, nv, ok in zip(out["rho"], n_pairs, out["rho"].notna(),
                                         strict=True)]
    out["significant"] = out["p"] < alpha
    out["enough_data"] = enough
    out["importance"] = out["r"]
    out["performance"] = pd.to_numeric(frame[performance], errors="coerce").astype(float)
    rated = out[enough & out["performance"].notna()]
    if len(rated) >= 2:
        imp_med, perf_med = rated["importance"].median(), rated["performance"].median()
        high_imp = out["importance"] >= imp_med
        high_perf = out["performance"] >= perf_med
        quadrant = np.select(
            [high_imp & ~high_perf, high_imp & high_perf, ~high_imp & high_perf],
            [FIX_FIRST, KEEP_UP, MAINTAIN], LOW_PRIORITY)
        out["quadrant"] = np.where(out.index.isin(rated.index), quadrant, NOT_ENOUGH)
    else:
        imp_med = perf_med = np.nan
        out["quadrant"] = np.where(enough, TOO_FEW_ITEMS, NOT_ENOUGH)
    out["importance_median"], out["performance_median"] = imp_med, perf_med
    out = out.sort_values(["enough_data", "importance"], ascending=[False, False],
                          kind="stable", na_position="last")
    return out[list(COLUMNS)].reset_index(drop=True)
