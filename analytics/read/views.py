"""Small pure helpers behind the executive pages (Balance, Unit detail, Links & lags).

Each takes the frames the analytics already return and shapes them for one view, so
that the pages only lay things out. The sentences (:func:`chain_sentence`,
:func:`what_if_sentence`) are here rather than in ``ui/`` because they carry the
statistical honesty rules of metrics.md §5 ("not enough data", the interval, the n), and
those are tested as analytics.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analytics.metrics.alerts import D2
from analytics.metrics.balance import Z_COLUMNS, month_number
from analytics.metrics.chain import MIN_PERIODS, what_if
from analytics.metrics.relationships import cross_sectional, lag_pairs, lagged
from analytics.settings import DEFAULT, LEG_LABELS, LEGS, Settings

#: Columns of :func:`imbalance_ranking`.
RANKING_COLUMNS: tuple[str, ...] = (
    "rank", "unit_id", "unit_name", "period", *LEGS, *Z_COLUMNS, "imbalance",
    "weakest_leg", "weakest_leg_label", "out_of_balance", "alert", "n_employee",
    "n_customer", "revenue",
)  # fmt: skip
#: Columns of :func:`unit_history`.
HISTORY_COLUMNS: tuple[str, ...] = (
    "unit_id", "period", "leg", "chart", "measure", "value", "n", "centre", "lcl", "ucl",
    "in_baseline", "outside",
)  # fmt: skip
#: Published unit-level correlations (Harter, Schmidt & Hayes, 2002, J. Appl. Psychol.
#: 87(2), 268-279; 7,939 business units), shown only as context (metrics.md §5).
PUBLISHED: tuple[dict[str, Any], ...] = (
    {"a": "esat", "b": "csat", "r": 0.32, "n": 7939},
    {"a": "esat", "b": "profit", "r": 0.15, "n": 7939},
)
#: Columns of :func:`what_if_units`.
WHAT_IF_COLUMNS: tuple[str, ...] = (
    "unit_id", "unit_name", "period", "esat", "delta_applied", "esat_raised", "csat",
    "csat_lag", "csat_expected", "csat_low", "csat_high", "profit", "profit_lag",
    "profit_expected", "profit_low", "profit_high", "revenue", "gross_profit_change",
    "gross_profit_low", "gross_profit_high",
)  # fmt: skip
PUBLISHED_SOURCE = "Harter, Schmidt & Hayes (2002)"
_MARGIN = {"gross_margin_pct": "gross margin", "operating_margin_pct": "operating margin"}


def imbalance_ranking(
    balance_df: pd.DataFrame,
    settings: Settings = DEFAULT,
    period: str | None = None,
    alerts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The units of one month ranked by imbalance, most out of balance first.

    Parameters
    ----------
    balance_df : pandas.DataFrame
        Output of :func:`analytics.metrics.balance.balance` (with ``unit_name`` and ``revenue``
        when the panel had them).
    settings : Settings
        ``imbalance_threshold`` sets ``out_of_balance``.
    period : str, optional
        'YYYY-MM'; the latest month of the frame by default.
    alerts : pandas.DataFrame, optional
        :func:`analytics.metrics.alerts.all_alerts` (or ``imbalance_alerts``) of the same month;
        sets ``alert``.

    Returns
    -------
    pandas.DataFrame
        One row per unit of the month, columns :data:`RANKING_COLUMNS`: ``rank``
        (1 = largest imbalance; <NA> where the imbalance is unknown), ``unit_id``,
        ``unit_name`` (the id when unnamed), ``period``, the legs ``esat``, ``csat``,
        ``profit``, ``z_esat``, ``z_csat``, ``z_profit``, ``imbalance``,
        ``weakest_leg`` ('esat' | 'csat' | 'profit' | None), ``weakest_leg_label``
        ('ESAT' | 'CSAT' | 'Profit' | None), ``out_of_balance`` (imbalance >= threshold
        this month), ``alert`` (the unit has an imbalance alert: out of balance for
        ``imbalance_persistence`` months running; False without ``alerts``),
        ``n_employee``, ``n_customer``, ``revenue`` (NaN when absent). Units with a known
        imbalance come first (descending, ties by unit id), then the rest by unit id.

    Example
    -------
    >>> bal = pd.DataFrame({"unit_id": ["A", "B"], "period": ["2024-01"] * 2,
    ...     "imbalance": [1.0, 3.0], "weakest_leg": ["esat", "csat"]})
    >>> imbalance_ranking(bal)[["rank", "unit_id", "weakest_leg_label"]].values.tolist()
    [[1, 'B', 'CSAT'], [2, 'A', 'ESAT']]
    """
    frame = balance_df.copy()
    frame["period"] = frame["period"].astype(str)
    if period is None:
        period = frame["period"].max() if len(frame) else None
    month = frame[frame["period"] == period].copy()
    for col in RANKING_COLUMNS:
        if col not in month.columns and col not in ("rank", "weakest_leg_label",
                                                    "out_of_balance", "alert"):
            month[col] = np.nan
    ids = month["unit_id"].astype(str)
    month["unit_name"] = month["unit_name"].astype(object).where(month["unit_name"].notna(), ids)
    month["weakest_leg_label"] = month["weakest_leg"].map(LEG_LABELS).astype(object)
    month["weakest_leg_label"] = month["weakest_leg_label"].where(month["weakest_leg"].notna(),
                                                                  None)
    month["out_of_balance"] = month["imbalance"] >= settings.imbalance_threshold
    alerted = set()
    if alerts is not None and len(alerts):
        imb = alerts[(alerts["kind"] == "imbalance") & (alerts["period"].astype(str) == period)]
        alerted = set(imb["unit_id"])
    month["alert"] = month["unit_id"].isin(alerted)
    month["_known"] = month["imbalance"].notna()
    month = month.sort_values(["_known", "imbalance", "unit_id"], ascending=[False, False, True],
                              kind="mergesort", ignore_index=True)
    rank = pd.Series(np.arange(1, len(month) + 1), dtype="Int64")
    month["rank"] = rank.where(month["_known"])
    return month[list(RANKING_COLUMNS)]


def _p_chart(series: pd.DataFrame, target: int, settings: Settings) -> pd.DataFrame:
    """Centre and limits of a p-chart; ``series`` has month, x, n, usable."""
    base = series[series["usable"] & (series["month"] < target)]
    pbar = base["x"].sum() / base["n"].sum() if len(base) else np.nan
    sigma_z = 1.0
    if settings.p_chart_laney and len(base) > 1 and 0 < pbar < 1:
        z = (base["x"] / base["n"] - pbar) / np.sqrt(pbar * (1 - pbar) / base["n"])
        sigma_z = max(float(z.diff().abs().mean() / D2), 1.0)
    half = settings.control_sigma * sigma_z * np.sqrt(pbar * (1 - pbar) / series["n"])
    enough = len(base) >= settings.control_min_baseline
    centre = pd.Series(pbar if enough else np.nan, index=series.index)
    return pd.DataFrame({
        "value": (series["x"] / series["n"]).where(series["usable"]) * 100,
        "n": series["n"].where(series["usable"]),
        "centre": centre * 100,
        "lcl": (centre - half).clip(0, 1) * 100,
        "ucl": (centre + half).clip(0, 1) * 100,
        "sigma": half / settings.control_sigma * 100,
    })  # fmt: skip


def _xmr_chart(series: pd.DataFrame, target: int, settings: Settings) -> pd.DataFrame:
    """Centre and limits of an individuals (XmR) chart; ``series`` has month, value."""
    base = series[series["value"].notna() & (series["month"] < target)]
    enough = len(base) >= settings.control_min_baseline
    centre = base["value"].mean() if enough else np.nan
    sigma = base["value"].diff().abs().mean() / D2 if enough else np.nan
    width = settings.control_sigma * sigma
    return pd.DataFrame({
        "value": series["value"], "n": np.nan, "centre": centre,
        "lcl": centre - width, "ucl": centre + width, "sigma": sigma,
    }, index=series.index)  # fmt: skip


def unit_history(
    panel: pd.DataFrame, unit_id: str, settings: Settings = DEFAULT, period: str | None = None
) -> pd.DataFrame:
    """One unit's three legs month by month, with the control limits of metrics.md §4.

    The limits use the definitions of :func:`analytics.metrics.alerts.control_alerts` (whose
    internals are private), so the last month's limits here are the ones an alert
    quotes. The baseline is every month of the unit before ``period``; with fewer than
    ``control_min_baseline`` such months there are no limits.

    - ESAT and CSAT: p-charts of ESAT % satisfied (``esat_sat_n / n_employee``, months
      with at least ``min_group_size`` responses) and CSAT % (``csat_sat_n /
      n_customer``): centre ``pbar = sum x / sum n`` over the baseline, limits
      ``pbar +/- control_sigma * sigma_z * sqrt(pbar (1 - pbar) / n_i)`` clipped to
      0-100 %, where ``n_i`` is each month's own n (thin months get wider limits) and
      ``sigma_z`` is Laney's factor (mean moving range of the baseline months'
      z-scores / d2, floored at 1; 1 when ``p_chart_laney`` is off).
    - Margin (the profit column of ``settings``): individuals chart, centre = baseline
      mean, sigma = mean moving range of consecutive baseline months / d2 (1.128),
      limits ``centre +/- control_sigma * sigma``.

    Parameters
    ----------
    panel : pandas.DataFrame
        The unit x month panel (docs/panel.md) through the privacy layer: ``unit_id``,
        ``period``, ``esat_sat_n``, ``n_employee``, ``csat_sat_n``, ``n_customer`` and
        the profit column of ``settings``.
    unit_id : str
        The unit.
    settings : Settings
        ``control_sigma``, ``control_min_baseline``, ``p_chart_laney``,
        ``min_group_size``, ``profit_metric``.
    period : str, optional
        The last month shown and the end of the baseline ('YYYY-MM'); the panel's
        latest month by default.

    Returns
    -------
    pandas.DataFrame
        Long form, one row per month and leg, sorted by leg (esat, csat, profit) and
        period, columns :data:`HISTORY_COLUMNS`: ``unit_id``, ``period``, ``leg``,
        ``chart`` ('p' | 'individuals'), ``measure`` (the panel column charted:
        'esat_pct_satisfied', 'csat_pct' or the profit column), ``value`` (%; NaN for a
        suppressed or empty month), ``n`` (responses; NaN for margin), ``centre``,
        ``lcl``, ``ucl`` (NaN without enough baseline), ``in_baseline`` (bool),
        ``outside`` (value beyond a limit with a positive spread).

    Example
    -------
    >>> unit_history(panel, "U07").query("leg == 'csat'").tail(1)  # doctest: +SKIP
    """
    df = panel[panel["unit_id"] == unit_id].copy()
    df["period"] = df["period"].astype(str)
    df["month"] = month_number(df["period"]) if len(df) else pd.Series(dtype="int64")
    target = int(month_number(pd.Series([period])).iloc[0]) if period else (
        int(df["month"].max()) if len(df) else 0)
    df = df[df["month"] <= target].sort_values("month", ignore_index=True)
    emp = df["n_employee"].astype(float)
    cus = df["n_customer"].astype(float)
    specs = (
        ("esat", "p", "esat_pct_satisfied", df["esat_sat_n"].astype(float), emp,
         (emp >= settings.min_group_size) & df["esat_sat_n"].notna()),
        ("csat", "p", "csat_pct", df["csat_sat_n"].astype(float), cus,
         (cus >= 1) & df["csat_sat_n"].notna()),
    )
    parts = []
    for leg, chart, measure, x, n, usable in specs:
        series = pd.DataFrame({"month": df["month"], "x": x, "n": n, "usable": usable})
        parts.append(_p_chart(series, target, settings).assign(leg=leg, chart=chart,
                                                               measure=measure))
    margin = pd.DataFrame({"month": df["month"],
                           "value": df[settings.profit_metric].astype(float)})
    parts.append(_xmr_chart(margin, target, settings).assign(
        leg="profit", chart="individuals", measure=settings.profit_metric))
    out = pd.concat(
        [part.assign(unit_id=unit_id, period=df["period"].to_numpy(),
                     in_baseline=(df["month"] < target).to_numpy()) for part in parts],
        ignore_index=True,
    )
    out["outside"] = (out["sigma"] > 0) & ((out["value"] > out["ucl"])
                                           | (out["value"] < out["lcl"]))
    return out[list(HISTORY_COLUMNS)]


def stool_picture(
    trend: pd.DataFrame, settings: Settings = DEFAULT, period: str | None = None
) -> pd.DataFrame:
    """Each leg of the company (or selection) against its target, for the stool picture.

    Parameters
    ----------
    trend : pandas.DataFrame
        Pooled KPIs per month (``analytics.read.data.kpis(..., by=("period",))``):
        ``period``, ``esat_index``, ``csat_pct``, the profit column of ``settings``,
        ``n_employee``, ``n_customer``, ``n_units``.
    settings : Settings
        ``targets`` per leg (0-100 points for ESAT and CSAT, % for margin); a leg whose
        target is missing or None is measured against the *company norm*, the mean of
        its monthly values over the months of ``trend``.
    period : str, optional
        'YYYY-MM'; the latest month of ``trend`` by default.

    Returns
    -------
    pandas.DataFrame
        Three rows (esat, csat, profit) with ``leg``, ``label`` ('ESAT', 'CSAT',
        'Profit'), ``measure`` (panel column), ``period``, ``value``, ``target``,
        ``target_source`` ('target' | 'company norm'), ``gap`` (value - target),
        ``pct_of_target`` (100 * value / target; NaN for a target <= 0), ``short``
        (value below target), ``shortest`` (the short leg furthest below its target in
        % of target, at most one), ``n`` and ``n_kind`` ('employee responses',
        'customer responses', 'units'). ``value`` is NaN where ESAT is suppressed.

    Example
    -------
    >>> trend = pd.DataFrame({"period": ["2024-01"], "esat_index": [63.0],
    ...     "csat_pct": [80.0], "gross_margin_pct": [33.0], "n_employee": [100],
    ...     "n_customer": [900], "n_units": [10]})
    >>> stool_picture(trend)[["leg", "pct_of_target", "shortest"]].values.tolist()
    [['esat', 90.0, True], ['csat', 100.0, False], ['profit', 110.0, False]]
    """
    frame = trend.copy()
    frame["period"] = frame["period"].astype(str)
    period = frame["period"].max() if period is None else period
    now = frame[frame["period"] == period]
    counts = {"esat": ("n_employee", "employee responses"),
              "csat": ("n_customer", "customer responses"), "profit": ("n_units", "units")}
    rows = []
    for leg in LEGS:
        measure = settings.leg_column(leg)
        target = (settings.targets or {}).get(leg)
        source = "target"
        if target is None:
            target, source = float(frame[measure].astype(float).mean()), "company norm"
        value = float(now[measure].iloc[0]) if len(now) and pd.notna(now[measure].iloc[0]) \
            else np.nan
        n_col, n_kind = counts[leg]
        n = now[n_col].iloc[0] if len(now) and n_col in now.columns else np.nan
        rows.append({"leg": leg, "label": LEG_LABELS[leg], "measure": measure,
                     "period": period, "value": value, "target": float(target),
                     "target_source": source, "n": n, "n_kind": n_kind})
    out = pd.DataFrame(rows)
    out["gap"] = out["value"] - out["target"]
    out["pct_of_target"] = (100 * out["value"] / out["target"]).where(out["target"] > 0)
    out["short"] = out["value"] < out["target"]
    worst = out["pct_of_target"].where(out["short"])
    out["shortest"] = False
    if worst.notna().any():
        out.loc[worst.idxmin(), "shortest"] = True
    return out[["leg", "label", "measure", "period", "value", "target", "target_source",
                "gap", "pct_of_target", "short", "shortest", "n", "n_kind"]]


def latest_legs(legs: pd.DataFrame) -> pd.DataFrame:
    """Each unit's latest month of the legs frame (one row per unit, sorted by unit)."""
    ordered = legs.assign(period=legs["period"].astype(str)).sort_values(["unit_id", "period"])
    return ordered.drop_duplicates("unit_id", keep="last").reset_index(drop=True)


def what_if_units(
    chain: dict[str, dict[str, Any] | None],
    delta_esat: float,
    legs: pd.DataFrame,
    units: list[str] | tuple[str, ...] = (),
    settings: Settings = DEFAULT,
) -> pd.DataFrame:
    """The what-if of :func:`analytics.metrics.chain.what_if` applied to chosen units.

    A unit's ESAT index cannot pass 100 (or fall below 0), so the raise applied to a
    unit is ``delta_esat`` capped at the room it has; CSAT % is a share, so the expected
    CSAT and its interval are clipped to 0-100. Margins are not clipped. The links are
    those of the chain estimate, corrected for survey sampling noise where it could be
    (their ``corrected`` flag); a refused link gives no expectations.

    Parameters
    ----------
    chain : dict
        :func:`analytics.metrics.chain.chain_estimate`.
    delta_esat : float
        Points of ESAT index to add.
    legs : pandas.DataFrame
        :func:`analytics.metrics.balance.legs_frame` (``unit_id``, ``period``, legs, and
        ``unit_name``, ``revenue`` when present); each unit's latest month is its "now".
    units : sequence of str
        Unit ids; all units of ``legs`` when empty.
    settings : Settings
        ``alpha`` of the margin interval.

    Returns
    -------
    pandas.DataFrame
        One row per unit, sorted by unit: ``unit_id``, ``unit_name``, ``period`` (the
        "now" month), ``esat``, ``delta_applied``, ``esat_raised``, ``csat``,
        ``csat_lag``, ``csat_expected``, ``csat_low``, ``csat_high``, ``profit``,
        ``profit_lag`` (months from the ESAT change), ``profit_expected``,
        ``profit_low``, ``profit_high``, ``revenue``, ``gross_profit_change``,
        ``gross_profit_low``, ``gross_profit_high`` (``revenue * delta margin / 100``,
        per month at the unit's latest revenue). Expected values are NaN where the
        link is not estimated (too little data).

    Example
    -------
    >>> what_if_units(chain_estimate(legs), 5.0, legs, ["U07"])  # doctest: +SKIP
    """
    now = latest_legs(legs)
    if units:
        now = now[now["unit_id"].isin(list(units))].reset_index(drop=True)
    if now.empty:
        return pd.DataFrame(columns=list(WHAT_IF_COLUMNS))
    esat = now["esat"].astype(float)
    room = np.where(delta_esat >= 0, 100 - esat, -esat)
    applied = np.where(esat.notna(), np.sign(delta_esat) * np.minimum(abs(delta_esat),
                                                                      np.abs(room)), delta_esat)
    results = [what_if(chain, float(d), settings) for d in applied]
    res = pd.DataFrame(results, index=now.index).astype(float)
    names = now["unit_name"] if "unit_name" in now.columns else now["unit_id"]
    revenue = now["revenue"].astype(float) if "revenue" in now.columns else np.nan
    csat = now["csat"].astype(float)
    profit = now["profit"].astype(float)
    out = pd.DataFrame({
        "unit_id": now["unit_id"], "unit_name": names, "period": now["period"],
        "esat": esat, "delta_applied": applied, "esat_raised": esat + applied,
        "csat": csat, "csat_lag": res["csat_lag"],
        "csat_expected": (csat + res["delta_csat"]).clip(0, 100),
        "csat_low": (csat + res["delta_csat_low"]).clip(0, 100),
        "csat_high": (csat + res["delta_csat_high"]).clip(0, 100),
        "profit": profit, "profit_lag": res["profit_lag"],
        "profit_expected": profit + res["delta_profit"],
        "profit_low": profit + res["delta_profit_low"],
        "profit_high": profit + res["delta_profit_high"],
        "revenue": revenue,
        "gross_profit_change": revenue * res["delta_profit"] / 100,
        "gross_profit_low": revenue * res["delta_profit_low"] / 100,
        "gross_profit_high": revenue * res["delta_profit_high"] / 100,
    })  # fmt: skip
    return out.sort_values("unit_id", ignore_index=True)


def _months(k: int) -> str:
    return "in the same month" if k == 0 else f"after {k} month" + ("" if k == 1 else "s")


def _leg_words(leg: str, settings: Settings) -> str:
    return _MARGIN[settings.profit_metric] if leg == "profit" else LEG_LABELS[leg]


def chain_sentence(
    fit: dict[str, Any] | None, lead: str, follow: str, settings: Settings = DEFAULT
) -> str:
    """One link of the chain estimate in plain words, or why there is no estimate.

    Parameters
    ----------
    fit : dict or None
        One entry of :func:`analytics.metrics.chain.chain_estimate` (``coef``, ``ci_low``,
        ``ci_high``, ``lag``, ``n``, ``n_units``, ``p``), or None.
    lead, follow : str
        Legs of the link ('esat', 'csat', 'profit').
    settings : Settings
        ``alpha`` (the interval's level), ``min_corr_n``, ``profit_metric``.

    Returns
    -------
    str
        "+1 point of ESAT goes with +0.82 points of CSAT after 2 months (95% CI +0.73 to
        +0.92; 40 units, 880 unit-months)." and, when the interval includes 0, a
        sentence saying the data cannot tell the link from none (judged by the
        lag-search ``p`` of :func:`analytics.metrics.chain.chain_estimate` when the fit
        has one, else by the interval); when ``corrected``, the reliability and the
        uncorrected slope. A refused fit (too few units) gives its ``message``; with
        ``fit`` None: "Not enough data ..." with the minimum needed.

    Example
    -------
    >>> fit = {"coef": 0.5, "ci_low": 0.2, "ci_high": 0.8, "lag": 1, "n": 90,
    ...        "n_units": 10}
    >>> chain_sentence(fit, "esat", "csat")
    '+1 point of ESAT goes with +0.50 points of CSAT after 1 month (95% CI +0.20 to +0.80; 10 units, 90 unit-months).'
    """  # noqa: E501
    a, b = _leg_words(lead, settings), _leg_words(follow, settings)
    if fit is not None and fit.get("message"):  # refused (too few units): say why
        return str(fit["message"])
    if fit is None or fit.get("coef") is None:
        return (f"Not enough data to estimate how {a} goes with {b}: the estimate needs at "
                f"least {settings.min_corr_n} units with {MIN_PERIODS} or more months each.")
    level = f"{1 - settings.alpha:.0%}"
    text = (
        f"+1 point of {a} goes with {fit['coef']:+.2f} points of {b} {_months(fit['lag'])} "
        f"({level} CI {fit['ci_low']:+.2f} to {fit['ci_high']:+.2f}; {fit['n_units']:,} units, "
        f"{fit['n']:,} unit-months)."
    )
    if fit.get("corrected"):
        text += (f" Corrected for survey sampling noise (reliability {fit['reliability']:.2f}; "
                 f"uncorrected {fit['coef_raw']:+.2f}).")
    searched = fit.get("lags_compared") is not None and fit.get("p") is not None
    if searched and fit["p"] >= settings.alpha:
        text += (f" Allowing for the choice among {fit['lags_compared'] + 1} lags (p = "
                 f"{fit['p']:.2f}), the data cannot tell this link from none.")
    elif fit["ci_low"] <= 0 <= fit["ci_high"]:
        text += " The interval includes zero: the data cannot tell this link from none."
    elif searched:
        text += (f" p = {fit['p']:.3f}, allowing for the choice among "
                 f"{fit['lags_compared'] + 1} lags.")
    return text


def what_if_sentence(result: dict[str, Any], settings: Settings = DEFAULT) -> str:
    """The company-wide what-if in plain words (:func:`analytics.metrics.chain.what_if`).

    Parameters
    ----------
    result : dict
        :func:`analytics.metrics.chain.what_if`.
    settings : Settings
        ``alpha``, ``profit_metric``.

    Returns
    -------
    str
        "Raising ESAT by 5 points goes with +4.1 points of CSAT after 2 months (95% CI
        +3.6 to +4.6) and +0.64 points of gross margin after 3 months (95% CI +0.55 to
        +0.72)." Parts without an estimate say "not enough data". When ``result`` is
        ``corrected`` (the links' noise-corrected coefficients), the sentence says so.

    Example
    -------
    >>> what_if_sentence({"delta_esat": 5.0, "delta_csat": None})
    'Raising ESAT by 5 points: not enough data to estimate the effect on CSAT.'
    """
    d = result["delta_esat"]
    level = f"{1 - settings.alpha:.0%}"
    head = f"Raising ESAT by {d:g} points"
    if result.get("delta_csat") is None:
        return f"{head}: not enough data to estimate the effect on CSAT."
    csat = (f"{result['delta_csat']:+.1f} points of CSAT {_months(result['csat_lag'])} "
            f"({level} CI {result['delta_csat_low']:+.1f} to {result['delta_csat_high']:+.1f})")
    margin = _MARGIN[settings.profit_metric]
    if result.get("delta_profit") is None:
        note = (" The link is corrected for survey sampling noise, which otherwise shrinks "
                "it." if result.get("corrected") else "")
        return f"{head} goes with {csat}; not enough data to carry it on to {margin}.{note}"
    profit = (f"{result['delta_profit']:+.2f} points of {margin} "
              f"{_months(result['profit_lag'])} ({level} CI "
              f"{result['delta_profit_low']:+.2f} to {result['delta_profit_high']:+.2f})")
    note = (" Both links are corrected for survey sampling noise, which otherwise shrinks "
            "them." if result.get("corrected") else "")
    return f"{head} goes with {csat} and {profit}.{note}"


def pair_view(
    legs: pd.DataFrame,
    a: str,
    b: str,
    view: str = "cross_sectional",
    lag: int = 0,
    period: str | None = None,
    settings: Settings = DEFAULT,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The points of a pair scatter and the statistics its title reports.

    Parameters
    ----------
    legs : pandas.DataFrame
        :func:`analytics.metrics.balance.legs_frame` (``unit_id``, ``period``, legs, optional
        ``unit_name``).
    a, b : str
        Leading and following leg.
    view : {'cross_sectional', 'within_unit'}
        'cross_sectional': the units of one month (``period``, default the latest with
        both legs), statistics of :func:`analytics.metrics.relationships.cross_sectional`.
        'within_unit': every unit-month, ``a`` at t - ``lag`` against ``b`` at t, each
        unit's pairs minus their own means (units with two or more pairs), statistics of
        :func:`analytics.metrics.relationships.lagged` at ``lag``.
    lag : int
        Months by which ``a`` leads (within_unit only).
    period : str, optional
        Month of the cross-sectional view.
    settings : Settings
        ``min_corr_n``, ``alpha``.

    Returns
    -------
    tuple
        ``points``: DataFrame with ``unit_id``, ``unit_name``, ``period``, ``x``, ``y``
        (demeaned in the within-unit view). ``stats``: dict with the relationships row
        (``n``, ``n_units``, ``r``, ``ci_low``, ``ci_high``, ``p``, ``rho``, ``rho_p``,
        ``enough_data``, ``period``, ``lag``, ``view``) plus ``slope`` and
        ``intercept`` of the least-squares line through the points (None without
        enough data).

    Example
    -------
    >>> points, stats = pair_view(legs, "esat", "csat")  # doctest: +SKIP
    """
    names = legs.drop_duplicates("unit_id", keep="last").set_index("unit_id")
    names = names["unit_name"] if "unit_name" in names.columns else names.index.to_series()
    if view == "cross_sectional":
        row = cross_sectional(legs, a, b, period, settings.min_corr_n, settings.alpha).iloc[0]
        month = legs[(legs["period"].astype(str) == row["period"]) & legs[a].notna()
                     & legs[b].notna()]
        points = pd.DataFrame({"unit_id": month["unit_id"], "period": month["period"],
                               "x": month[a].astype(float), "y": month[b].astype(float)})
    elif view == "within_unit":
        row = lagged(legs, a, b, lag, settings.min_corr_n, settings.alpha).iloc[lag]
        pairs = lag_pairs(legs[["unit_id", "period", a, b]], a, b, lag)
        pairs = pairs[pairs.groupby("unit_id")["x"].transform("size") >= 2]
        by = pairs.groupby("unit_id")
        points = pd.DataFrame({"unit_id": pairs["unit_id"], "period": pairs["period"],
                               "x": pairs["x"] - by["x"].transform("mean"),
                               "y": pairs["y"] - by["y"].transform("mean")})
    else:
        raise ValueError("view must be 'cross_sectional' or 'within_unit'")
    points = points.reset_index(drop=True)
    points.insert(1, "unit_name", points["unit_id"].map(names).fillna(points["unit_id"]))
    stats = {k: (None if isinstance(v, float) and np.isnan(v) else v)
             for k, v in row.to_dict().items()}
    stats.update(slope=None, intercept=None)
    if stats["enough_data"]:
        slope, intercept = np.polyfit(points["x"], points["y"], 1)
        stats.update(slope=float(slope), intercept=float(intercept))
    return points, stats


def evidence_table(relationships_df: pd.DataFrame) -> pd.DataFrame:
    """Our cross-sectional correlations beside the published ones (:data:`PUBLISHED`).

    Harter, Schmidt & Hayes correlate units with units, so the comparable estimate here
    is the cross-sectional view (the units of the latest month).

    Parameters
    ----------
    relationships_df : pandas.DataFrame
        :func:`analytics.metrics.relationships.relationships`.

    Returns
    -------
    pandas.DataFrame
        Two rows per published pair (ESAT-CSAT, ESAT-profit): ``a``, ``b``, ``source``
        ('published' | 'ours'), ``r``, ``ci_low``, ``ci_high`` (NaN for published),
        ``n`` (business units), ``period`` (ours only), ``enough_data``.

    Example
    -------
    >>> evidence_table(relationships(legs))[["a", "b", "source", "r"]]  # doctest: +SKIP
    """
    cross = relationships_df[relationships_df["view"] == "cross_sectional"]
    rows = []
    for pub in PUBLISHED:
        rows.append({**pub, "source": "published", "ci_low": np.nan, "ci_high": np.nan,
                     "period": None, "enough_data": True})
        ours = cross[(cross["a"] == pub["a"]) & (cross["b"] == pub["b"])]
        if len(ours):
            o = ours.iloc[0]
            rows.append({"a": pub["a"], "b": pub["b"], "source": "ours", "r": o["r"],
                         "ci_low": o["ci_low"], "ci_high": o["ci_high"], "n": int(o["n"]),
                         "period": o["period"], "enough_data": bool(o["enough_data"])})
    out = pd.DataFrame(rows, columns=["a", "b", "source", "r", "ci_low", "ci_high", "n",
                                      "period", "enough_data"])
    return out.astype({"r": float, "ci_low": float, "ci_high": float})
