"""Balance of the three-legged stool: z-scores per leg, imbalance, weakest leg (metrics.md §4).

Each leg is standardised across the units of one period, so the legs (0-100 points for
ESAT and CSAT, % for margin) become comparable: a unit whose CSAT is two standard
deviations below its peers while its ESAT and margin are average is out of balance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.settings import DEFAULT, LEGS, Settings

#: Columns of ``legs_frame`` that are always present.
LEGS_FRAME_COLUMNS: tuple[str, ...] = (
    "unit_id",
    "period",
    *LEGS,
    "n_employee",
    "n_customer",
)
#: Panel columns that ``legs_frame`` passes through when the panel has them.
#: ``esat_sd`` (sd of the ESAT answers, index points) gives the ESAT leg's sampling
#: variance, which the chain estimate's noise correction needs (docs/links.md).
OPTIONAL_COLUMNS: tuple[str, ...] = ("unit_name", "revenue", "esat_sd")
Z_COLUMNS: tuple[str, ...] = tuple(f"z_{leg}" for leg in LEGS)
#: The fewest complete units a period needs before its legs are standardised.
MIN_UNITS_FOR_Z = 3


def month_number(period: pd.Series) -> pd.Series:
    """Months since year 0 of ``YYYY-MM`` periods, so consecutive months differ by 1."""
    stamps = pd.to_datetime(period.astype(str), format="%Y-%m")
    return (stamps.dt.year * 12 + stamps.dt.month - 1).astype("int64")


def legs_frame(panel: pd.DataFrame, settings: Settings = DEFAULT) -> pd.DataFrame:
    """Pick the three legs out of the unit x month panel.

    Parameters
    ----------
    panel : pandas.DataFrame
        One row per unit x month as returned by ``store.read_panel`` (docs/panel.md),
        with at least ``unit_id``, ``period``, ``esat_index``, ``csat_pct``,
        ``n_employee``, ``n_customer`` and the profit column of ``settings``.
    settings : Settings
        ``profit_metric`` chooses the profit leg; ``min_group_size`` hides the ESAT leg
        of a unit-month with fewer employee responses (metrics.md §7), in case the panel
        did not come through the privacy layer.

    Returns
    -------
    pandas.DataFrame
        One row per unit x month, sorted by period and unit, with columns

        - ``unit_id``, ``period``
        - ``esat``: ESAT index (0-100), NaN below ``min_group_size`` responses
        - ``csat``: CSAT % (0-100)
        - ``profit``: gross (or operating) margin %
        - ``n_employee``, ``n_customer``: responses behind ESAT and CSAT
        - ``unit_name``, ``revenue``, ``esat_sd``: only when the panel has them

    Example
    -------
    >>> import pandas as pd
    >>> from analytics.metrics.balance import legs_frame
    >>> panel = pd.DataFrame({"unit_id": ["U1"], "period": ["2024-01"],
    ...     "esat_index": [70.0], "csat_pct": [80.0], "gross_margin_pct": [30.0],
    ...     "n_employee": [12], "n_customer": [60]})
    >>> legs_frame(panel).columns.tolist()
    ['unit_id', 'period', 'esat', 'csat', 'profit', 'n_employee', 'n_customer']
    """
    columns = {"unit_id": "unit_id", "period": "period"}
    columns.update({settings.leg_column(leg): leg for leg in LEGS})
    columns.update({"n_employee": "n_employee", "n_customer": "n_customer"})
    columns.update({col: col for col in OPTIONAL_COLUMNS if col in panel.columns})
    missing = [col for col in columns if col not in panel.columns]
    if missing:
        raise KeyError(f"panel lacks columns {missing}")
    legs = panel[list(columns)].rename(columns=columns)
    legs["esat"] = legs["esat"].where(legs["n_employee"] >= settings.min_group_size)
    if "esat_sd" in legs.columns:  # hidden with the ESAT leg it describes (metrics.md §7)
        legs["esat_sd"] = legs["esat_sd"].where(legs["esat"].notna())
    legs["period"] = legs["period"].astype(str)
    order = [*LEGS_FRAME_COLUMNS, *(c for c in OPTIONAL_COLUMNS if c in legs.columns)]
    return legs[order].sort_values(["period", "unit_id"], ignore_index=True)


def balance(legs: pd.DataFrame) -> pd.DataFrame:
    """Standardise each leg within its period and measure each unit's imbalance.

    The reference set of a period is its *complete* units (all three legs known): each
    leg's mean and sample standard deviation (ddof=1) are taken over them, so the three
    z-scores of a unit are on one common footing. A unit missing a leg still gets the
    z-scores of the legs it has, against the same reference, but no imbalance.

    Parameters
    ----------
    legs : pandas.DataFrame
        Output of :func:`legs_frame` (at least ``unit_id``, ``period``, ``esat``,
        ``csat``, ``profit``).

    Returns
    -------
    pandas.DataFrame
        The input rows, sorted by period and unit, with added columns

        - ``z_esat``, ``z_csat``, ``z_profit``: ``(leg - mean) / sd`` over the complete
          units of the period; NaN for the whole period when it has fewer than
          ``MIN_UNITS_FOR_Z`` (3) complete units, and NaN for a leg whose sd is 0
        - ``imbalance``: ``max(z) - min(z)`` over the three legs; NaN if any z is NaN
        - ``weakest_leg``: ``'esat'``, ``'csat'`` or ``'profit'``, the leg with the
          lowest z (the first in that order on a tie); None where imbalance is NaN

    Example
    -------
    >>> import pandas as pd
    >>> from analytics.metrics.balance import balance
    >>> legs = pd.DataFrame({"unit_id": ["A", "B", "C"], "period": ["2024-01"] * 3,
    ...     "esat": [60.0, 70.0, 80.0], "csat": [80.0, 70.0, 60.0],
    ...     "profit": [30.0, 30.0, 36.0]})
    >>> balance(legs)["weakest_leg"].tolist()
    ['esat', 'profit', 'csat']
    """
    out = legs.sort_values(["period", "unit_id"], ignore_index=True)
    legs_list = list(LEGS)
    complete = out[legs_list].notna().all(axis=1)
    reference = out.loc[complete].groupby("period")[legs_list]
    mean = reference.mean()
    sd = reference.std(ddof=1).where(reference.count() >= MIN_UNITS_FOR_Z)
    sd = sd.where(sd > 0)
    aligned_mean = mean.reindex(out["period"]).to_numpy()
    aligned_sd = sd.reindex(out["period"]).to_numpy()
    z = (out[legs_list].to_numpy(dtype=float) - aligned_mean) / aligned_sd
    for i, leg in enumerate(LEGS):
        out[f"z_{leg}"] = z[:, i]
    # max - min of a row with a NaN is NaN, which is the contract for incomplete units
    out["imbalance"] = z.max(axis=1) - z.min(axis=1)
    known = ~np.isnan(z).any(axis=1)
    weakest = np.asarray(LEGS, dtype=object)[np.where(np.isnan(z), np.inf, z).argmin(axis=1)]
    out["weakest_leg"] = pd.Series(np.where(known, weakest, None), dtype=object)
    return out


def company_balance(balance_df: pd.DataFrame, settings: Settings = DEFAULT) -> pd.DataFrame:
    """Company balance score: how out of balance the units of each period are.

    Parameters
    ----------
    balance_df : pandas.DataFrame
        Output of :func:`balance`.
    settings : Settings
        ``imbalance_threshold`` decides which units count as out of balance.

    Returns
    -------
    pandas.DataFrame
        One row per period (sorted), with columns

        - ``period``
        - ``mean_imbalance``, ``median_imbalance``: over units with a known imbalance
        - ``share_imbalanced``: share (0-1) of those units with imbalance
          ``>= settings.imbalance_threshold``; NaN when no unit has an imbalance
        - ``n_units``: units with a known imbalance

    Example
    -------
    >>> import pandas as pd
    >>> from analytics.metrics.balance import company_balance
    >>> df = pd.DataFrame({"period": ["2024-01"] * 4, "imbalance": [1.0, 3.0, 2.0, None]})
    >>> company_balance(df)["share_imbalanced"].tolist()
    [0.6666666666666666]
    """
    known = balance_df[["period", "imbalance"]].dropna(subset=["imbalance"])
    known = known.assign(flag=(known["imbalance"] >= settings.imbalance_threshold).astype(float))
    grouped = known.groupby("period")
    out = pd.DataFrame(
        {
            "mean_imbalance": grouped["imbalance"].mean(),
            "median_imbalance": grouped["imbalance"].median(),
            "share_imbalanced": grouped["flag"].mean(),
            "n_units": grouped["imbalance"].count().astype("int64"),
        }
    )
    periods = pd.Index(sorted(balance_df["period"].astype(str).unique()), name="period")
    out = out.reindex(periods)
    out["n_units"] = out["n_units"].fillna(0).astype("int64")
    return out.reset_index()
