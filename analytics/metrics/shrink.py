"""Empirical-Bayes shrinkage of small units' estimates toward the company (issue 14, item 5).

A unit-month's leg value is an estimate ``y`` with a sampling variance ``s2`` (from its
response count). Across the units of one month the true values spread with a variance
``tau2`` around a company mean ``mu``; both are estimated from the month's units by the
DerSimonian-Laird method of moments (statsmodels ``combine_effects``,
``method_re="chi2"``), ``tau2`` floored at 0. The normal-normal posterior mean is

    shrunk = mu + B (y - mu),   B = tau2 / (tau2 + s2),   posterior sd = sqrt(B s2)

so a unit with many responses keeps its raw value (B near 1) and a unit with few is
pulled toward the company. A value with no sampling error (margin) is its own estimate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.meta_analysis import combine_effects

#: the fewest units of a month that estimate a company mean and spread
MIN_UNITS = 3


def shrink(
    frame: pd.DataFrame, value: str, variance: str, by: str = "period"
) -> pd.DataFrame:
    """Shrink each row's ``value`` toward the mean of its ``by`` group (empirical Bayes).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per estimate (e.g. one unit-month of one leg).
    value, variance : str
        Columns holding the raw estimate and its sampling variance (>= 0; NaN = unknown,
        the row is left unshrunk).
    by : str
        The column whose groups share a prior (default ``period``: units of one month).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``frame``: ``raw``, ``shrunk``, ``weight`` (B, 1 = not shrunk),
        ``prior_mean`` (mu), ``prior_var`` (tau2) and ``shrunk_se`` (sqrt(B s2)).
        A group with fewer than ``MIN_UNITS`` usable rows, zero spread of sampling
        variances or unknown variances is returned unshrunk (B = 1).

    Example
    -------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"period": ["m"] * 4, "y": [50.0, 60.0, 70.0, 90.0],
    ...                    "v": [100.0, 4.0, 4.0, 400.0]})
    >>> out = shrink(df, "y", "v")
    >>> bool(out.loc[3, "weight"] < out.loc[1, "weight"])
    True
    """
    y = frame[value].astype(float)
    s2 = frame[variance].astype(float)
    out = pd.DataFrame({"raw": y, "shrunk": y, "weight": 1.0, "prior_mean": np.nan,
                        "prior_var": np.nan, "shrunk_se": np.sqrt(s2)}, index=frame.index)
    usable = y.notna() & s2.notna() & (s2 > 0)
    for _, idx in frame.index[usable].groupby(frame.loc[usable, by]).items():
        if len(idx) < MIN_UNITS:
            continue
        fit = combine_effects(y[idx].to_numpy(), s2[idx].to_numpy(), method_re="chi2")
        mu, tau2 = float(fit.mean_effect_re), max(float(fit.tau2), 0.0)
        weight = tau2 / (tau2 + s2[idx])
        out.loc[idx, "weight"] = weight
        out.loc[idx, "prior_mean"] = mu
        out.loc[idx, "prior_var"] = tau2
        out.loc[idx, "shrunk"] = mu + weight * (y[idx] - mu)
        out.loc[idx, "shrunk_se"] = np.sqrt(weight * s2[idx])
    return out
