"""Alerts of metrics.md §4: imbalance, divergence and control-chart alerts.

Every function reads only the frame it is given, is deterministic, and returns one row per
alert with the columns of ``ALERT_COLUMNS`` plus its own numeric columns. ``severity``
orders alerts of every kind on one scale: the triggering statistic as a multiple of its
threshold (1 = just at it): imbalance / ``imbalance_threshold``, the smallest |slope| /
``divergence_min_slope``, or the distance from the control centre in sigmas / the
chart's sigma multiple.

Divergence patterns: the *odd leg* is the one whose z-score slope has the opposite sign
to both others. metrics.md names three patterns; each is an odd leg *rising* while the leg
it should feed in the chain (ESAT -> CSAT -> profit -> ESAT) falls with the third. An odd
leg *falling* is described by its legs. ``PATTERNS`` maps (odd leg, direction) to the id:
profit up ``profit_up_esat_down`` (margin may be bought at the cost of staff), ESAT up
``esat_up_csat_down`` (service is not reaching customers), CSAT up ``csat_up_profit_down``
(service may be given away below cost), and ``esat_down_csat_profit_up``,
``csat_down_esat_profit_up``, ``profit_down_esat_csat_up``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.metrics.balance import Z_COLUMNS, balance, company_balance, legs_frame, month_number
from analytics.settings import DEFAULT, LEGS, Settings

ALERT_COLUMNS: tuple[str, ...] = (
    "kind", "unit_id", "period", "leg", "pattern", "severity", "message", "values",
)
KINDS: tuple[str, ...] = ("imbalance", "divergence", "control")
#: d2 for subgroups of two: the expected range of two standard normals, 2/sqrt(pi) = 1.128
D2 = 2.0 / np.sqrt(np.pi)
PATTERNS: dict[tuple[str, str], tuple[str, str | None]] = {
    ("profit", "up"): ("profit_up_esat_down", "margin may be bought at the cost of staff"),
    ("esat", "up"): ("esat_up_csat_down", "service is not reaching customers"),
    ("csat", "up"): ("csat_up_profit_down", "service may be given away below cost"),
    ("esat", "down"): ("esat_down_csat_profit_up", None),
    ("csat", "down"): ("csat_down_esat_profit_up", None),
    ("profit", "down"): ("profit_down_esat_csat_up", None),
}
_LABEL = {"esat": "ESAT", "csat": "CSAT", "profit": "profit"}
_OTHERS = {leg: tuple(o for o in LEGS if o != leg) for leg in LEGS}
_MARGIN_LABEL = {"gross_margin_pct": "gross margin %", "operating_margin_pct": "operating margin %"}


def _name(frame: pd.DataFrame) -> pd.Series:
    """The unit's name where the frame has one, else its id."""
    ids = frame["unit_id"].astype(str)
    if "unit_name" in frame.columns:
        return frame["unit_name"].astype(object).where(frame["unit_name"].notna(), ids)
    return ids


def _target(frame: pd.DataFrame, period: str | None) -> int | None:
    """Month number of ``period``, or of the latest period in the frame."""
    if period is not None:
        return int(month_number(pd.Series([period])).iloc[0])
    return int(frame["month"].max()) if len(frame) else None


def _enough_data(frame: pd.DataFrame, settings: Settings) -> pd.Series:
    """Unit-months whose three legs rest on enough responses (metrics.md §4, §7)."""
    return (
        (frame["n_employee"] >= settings.min_group_size)
        & (frame["n_customer"] >= settings.min_customer_n)
        & frame[list(LEGS)].notna().all(axis=1)
    )


def _values(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    """Per-row dicts of plain floats (None for missing), JSON-serialisable."""
    records = frame[columns].to_dict("records")
    return [
        {k: (v if isinstance(v, str) else None if pd.isna(v) else float(v)) for k, v in r.items()}
        for r in records
    ]


def _empty(extra: list[str]) -> pd.DataFrame:
    """No alerts, with every column."""
    return pd.DataFrame({col: pd.Series(dtype=object) for col in [*ALERT_COLUMNS, *extra]})


def _name_units(out: pd.DataFrame, df: pd.DataFrame, target: int) -> pd.DataFrame:
    """Add ``period`` and ``name`` (for messages) of the alerting units at the target month."""
    at_target = df[df["month"] == target].drop_duplicates("unit_id").set_index("unit_id")
    names = _name(at_target.reset_index()).set_axis(at_target.index)
    return out.assign(period=at_target["period"].iloc[0],
                      name=names.reindex(out["unit_id"]).to_numpy())


def _finish(out: pd.DataFrame, extra: list[str], keys: list[str]) -> pd.DataFrame:
    """Most serious first, then by ``keys``; the alert columns and the kind's own."""
    out = out.sort_values(["severity", *keys], ascending=[False] + [True] * len(keys))
    return out[[*ALERT_COLUMNS, *extra]].reset_index(drop=True)


def _imbalance_message(row: dict) -> str:
    """One sentence naming the weakest leg against the other two, and for how long."""
    weak = row["weakest_leg"]
    first, second = _OTHERS[weak]
    return (
        f"Unit {row['name']}'s stool is out of balance: {_LABEL[weak][:1].upper()}"
        f"{_LABEL[weak][1:]} is its weakest leg (z = {row['z_' + weak]:+.1f} against "
        f"{_LABEL[first]} {row['z_' + first]:+.1f} and {_LABEL[second]} "
        f"{row['z_' + second]:+.1f}) for {row['months']} months running."
    )


def _divergence_message(row: dict, months: int) -> str:
    """One sentence naming the odd leg, its direction, the slopes and the meaning."""
    odd, up = row["odd_leg"], row["direction"] == "up"
    first, second = _OTHERS[odd]
    slopes = ", ".join(f"{_LABEL[leg]} {row['slope_' + leg]:+.2f}" for leg in LEGS)
    meaning = PATTERNS[(odd, row["direction"])][1]
    return (
        f"Unit {row['name']}'s legs are pulling apart: {_LABEL[odd]} is "
        f"{'rising' if up else 'falling'} while {_LABEL[first]} and "
        f"{_LABEL[second]} {'fall' if up else 'rise'} (z-score slopes per month over "
        f"{months} months: {slopes})" + (f", so {meaning}." if meaning else ".")
    )


def imbalance_alerts(
    balance_df: pd.DataFrame, settings: Settings = DEFAULT, period: str | None = None
) -> pd.DataFrame:
    """Units out of balance in ``period`` and the months before it (metrics.md §4).

    A unit alerts when its imbalance is ``>= settings.imbalance_threshold`` in ``period``
    and in each of the ``imbalance_persistence - 1`` calendar months before it (a missing
    month breaks the run), each month with enough data: ``n_employee >= min_group_size``,
    ``n_customer >= min_customer_n`` and all three legs known; with
    ``imbalance_same_leg`` (default) each month must also have the same weakest leg.

    Parameters
    ----------
    balance_df : pandas.DataFrame
        Output of :func:`analytics.metrics.balance.balance` on :func:`legs_frame`.
    settings : Settings
        Thresholds; see above.
    period : str, optional
        ``YYYY-MM``; the latest period of the frame by default.

    Returns
    -------
    pandas.DataFrame
        One row per alerting unit, sorted by severity (descending) then unit, with
        ``ALERT_COLUMNS`` (``kind='imbalance'``, ``leg`` = the weakest leg, ``pattern``
        None, ``severity`` = imbalance / threshold) and ``imbalance``, ``months`` (the
        run of months out of balance ending at ``period``), ``z_esat``, ``z_csat``,
        ``z_profit``, ``esat``, ``csat``, ``profit``, ``n_employee``, ``n_customer``
        (all in ``values`` too, with ``threshold``).

    Example
    -------
    >>> from analytics.metrics.alerts import imbalance_alerts
    >>> alerts = imbalance_alerts(balance(legs_frame(panel)))  # doctest: +SKIP
    """
    extra = ["imbalance", "months", *Z_COLUMNS, *LEGS, "n_employee", "n_customer"]
    df = balance_df.assign(month=month_number(balance_df["period"]))
    target = _target(df, period)
    if target is None:
        return _empty(extra)
    ok = _enough_data(df, settings) & (df["imbalance"] >= settings.imbalance_threshold)
    if settings.imbalance_same_leg:
        now = df[df["month"] == target].drop_duplicates("unit_id").set_index("unit_id")
        ok &= df["weakest_leg"] == df["unit_id"].map(now["weakest_leg"])
    run = df.loc[ok & (df["month"] <= target), ["unit_id", "month"]]
    run = run.sort_values(["unit_id", "month"], ascending=[True, False])
    in_run = (target - run["month"]) == run.groupby("unit_id").cumcount()
    months = in_run.astype(int).groupby(run["unit_id"]).cumprod().groupby(run["unit_id"]).sum()
    months = months[months >= max(settings.imbalance_persistence, 1)]
    hits = df[(df["month"] == target) & df["unit_id"].isin(months.index)].copy()
    if hits.empty:
        return _empty(extra)
    hits["months"] = hits["unit_id"].map(months).astype("int64")
    hits = _name_units(hits, df, target)
    hits["message"] = [_imbalance_message(row) for row in hits.to_dict("records")]
    hits["values"] = _values(hits.assign(threshold=settings.imbalance_threshold),
                             [*extra, "threshold"])
    hits = hits.assign(kind="imbalance", leg=hits["weakest_leg"], pattern=None,
                       severity=hits["imbalance"] / settings.imbalance_threshold)
    return _finish(hits, extra, ["unit_id"])


def imbalance_alert_counts(balance_df: pd.DataFrame,
                           settings: Settings = DEFAULT) -> pd.Series:
    """Units with an imbalance alert in each month, in one pass over the frame.

    Equal to ``imbalance_alerts(balance_df, settings, p)["unit_id"].nunique()`` for every
    period ``p`` of the frame (a month with no alert has no entry), without building the
    alerts of each month: a unit-month's *run* is the number of calendar months ending at
    it that each have enough data, an imbalance at or over the threshold and (with
    ``imbalance_same_leg``) the same known weakest leg; a unit alerts in a month whose
    run reaches ``imbalance_persistence``. Indexed by period (str), sorted.
    """
    df = balance_df.assign(month=month_number(balance_df["period"]),
                           period=balance_df["period"].astype(str))
    if df.duplicated(["unit_id", "month"]).any():  # the per-month definition decides
        periods = sorted(df["period"].unique())
        counts = pd.Series([imbalance_alerts(balance_df, settings, p)["unit_id"].nunique()
                            for p in periods], index=periods, dtype="int64")
        return counts[counts > 0].rename_axis("period")
    ok = _enough_data(df, settings) & (df["imbalance"] >= settings.imbalance_threshold)
    if settings.imbalance_same_leg:
        ok &= df["weakest_leg"].notna()
    df = df.assign(ok=ok.to_numpy()).sort_values(["unit_id", "month"], kind="mergesort")
    unit, month, ok = df["unit_id"], df["month"], df["ok"]
    cont = (unit == unit.shift()) & (month - month.shift() == 1) & ok.shift(fill_value=False)
    if settings.imbalance_same_leg:
        cont &= df["weakest_leg"] == df["weakest_leg"].shift()
    start = ~(ok & cont)
    run = (df.groupby(start.cumsum()).cumcount() + 1).where(ok, 0)
    hits = df[run >= max(settings.imbalance_persistence, 1)]
    return hits.groupby("period")["unit_id"].nunique().astype("int64").sort_index()


def imbalance_history(balance_df: pd.DataFrame, settings: Settings = DEFAULT) -> pd.DataFrame:
    """Month by month: how many units are out of balance, once and persistently.

    ``n_over``: units with imbalance >= threshold in that month alone; ``n_alerts``:
    units with an imbalance alert in that month (:func:`imbalance_alert_counts`, one
    pass, equal to the units of :func:`imbalance_alerts` of every month). One row per
    period (sorted): ``period``, ``n_units``, ``mean_imbalance``, ``n_over`` and
    ``n_alerts``.
    """
    company = company_balance(balance_df, settings)
    over = (balance_df["imbalance"] >= settings.imbalance_threshold).groupby(
        balance_df["period"].astype(str)).sum()
    counts = imbalance_alert_counts(balance_df, settings)
    return pd.DataFrame({
        "period": company["period"], "n_units": company["n_units"],
        "mean_imbalance": company["mean_imbalance"],
        "n_over": company["period"].map(over).fillna(0).astype("int64"),
        "n_alerts": company["period"].astype(str).map(counts).fillna(0).astype("int64")
        .to_list(),
    })  # fmt: skip


def divergence_alerts(
    balance_df: pd.DataFrame, settings: Settings = DEFAULT, period: str | None = None
) -> pd.DataFrame:
    """Units whose legs pull apart over the last months (metrics.md §4).

    Over the ``divergence_periods`` consecutive calendar months ending at ``period``, the
    least-squares slope (z per month, ``numpy.polyfit``) of each leg's z-score is fitted.
    A unit alerts when one leg's slope has the opposite sign to both others and every
    ``|slope| >= divergence_min_slope``. A unit needs every month of the window with all
    three z-scores and enough data (as for :func:`imbalance_alerts`). The odd leg and its
    direction give the pattern (see the module docstring).

    Parameters
    ----------
    balance_df : pandas.DataFrame
        Output of :func:`analytics.metrics.balance.balance`.
    settings : Settings
        ``divergence_periods`` (at least 2), ``divergence_min_slope`` and the data minima.
    period : str, optional
        ``YYYY-MM``; the latest period of the frame by default.

    Returns
    -------
    pandas.DataFrame
        One row per alerting unit, sorted by severity (descending) then unit, with
        ``ALERT_COLUMNS`` (``kind='divergence'``, ``leg`` None, ``pattern`` as in the
        module docstring, ``severity`` = smallest |slope| / ``divergence_min_slope``)
        and ``odd_leg``, ``direction`` ('up'|'down'), ``slope_esat``, ``slope_csat``,
        ``slope_profit`` (z per month), ``months``.

    Example
    -------
    >>> from analytics.metrics.alerts import divergence_alerts
    >>> alerts = divergence_alerts(balance(legs_frame(panel)))  # doctest: +SKIP
    """
    k = settings.divergence_periods
    if k < 2:
        raise ValueError("divergence_periods must be at least 2 to fit a slope")
    slope_cols = [f"slope_{leg}" for leg in LEGS]
    extra = ["odd_leg", "direction", *slope_cols, "months"]
    df = balance_df.assign(month=month_number(balance_df["period"]))
    target = _target(df, period)
    if target is None:
        return _empty(extra)
    usable = _enough_data(df, settings) & df[list(Z_COLUMNS)].notna().all(axis=1)
    window = df[usable & (df["month"] > target - k) & (df["month"] <= target)]
    full = window.groupby("unit_id")["month"].transform("nunique") == k
    window = window[full]
    if window.empty:
        return _empty(extra)
    wide = window.pivot(index="month", columns="unit_id", values=list(Z_COLUMNS))
    fitted = np.polyfit(wide.index.to_numpy(dtype=float) - target, wide.to_numpy(), 1)[0]
    slopes = pd.Series(fitted, index=wide.columns).unstack(level=0)[list(Z_COLUMNS)]
    slopes.columns = slope_cols
    signs = np.sign(slopes.to_numpy())
    total = signs.sum(axis=1)
    steep = (np.abs(slopes.to_numpy()) >= settings.divergence_min_slope).all(axis=1)
    alert = steep & (signs != 0).all(axis=1) & (np.abs(total) == 1)
    # with one odd sign among three, the odd leg is the one against the sign of the sum
    odd = np.argmax(signs != np.sign(total)[:, None], axis=1)
    out = slopes[alert].reset_index()
    if out.empty:
        return _empty(extra)
    out["odd_leg"] = np.asarray(LEGS, dtype=object)[odd[alert]]
    out["direction"] = np.where(np.sign(total[alert]) > 0, "down", "up")
    keys = list(zip(out["odd_leg"], out["direction"], strict=True))
    out["pattern"] = [PATTERNS[key][0] for key in keys]
    out["months"] = k
    out = _name_units(out, df, target)
    out["message"] = [_divergence_message(row, k) for row in out.to_dict("records")]
    smallest = np.abs(slopes[alert].to_numpy()).min(axis=1)
    floor = settings.divergence_min_slope
    out["severity"] = smallest / floor if floor > 0 else smallest
    out["values"] = _values(out.assign(min_slope=settings.divergence_min_slope),
                            [*slope_cols, "min_slope", "months"])
    return _finish(out.assign(kind="divergence", leg=None), extra, ["unit_id"])


_KEYS = ["chart", "leg", "unit_id"]


def _series(df: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Every charted monthly series in long form: unit_id, month, chart, leg, value, x, n."""
    emp, cus = df["n_employee"].astype(float), df["n_customer"].astype(float)
    margin, none = df[settings.profit_metric], pd.Series(np.nan, index=df.index)
    emp_ok, cus_ok = emp >= settings.min_group_size, cus >= 1
    specs = (  # chart, leg, value, x, n, usable months
        ("p", "esat", df["esat_sat_n"] / emp, df["esat_sat_n"], emp, emp_ok),
        ("p", "csat", df["csat_sat_n"] / cus, df["csat_sat_n"], cus, cus_ok),
        ("individuals", "profit", margin, none, none, True),
        ("ewma", "esat", df["esat_index"], none, emp, emp_ok),
        ("ewma", "csat", df["csat_pct"], none, cus, cus_ok),
        ("ewma", "profit", margin, none, none, True),
    )
    parts = [
        pd.DataFrame({"unit_id": df["unit_id"], "month": df["month"], "chart": chart, "leg": leg,
                      "value": value.astype(float), "x": x.astype(float), "n": n})[
            usable & value.notna()]
        for chart, leg, value, x, n, usable in specs
    ]
    long = pd.concat(parts, ignore_index=True)
    # one integer per (chart, leg, unit) in their sorted order: sorting and grouping on
    # it is the same as on the three text columns, and several times quicker
    key = np.zeros(len(long), dtype="int64")
    for col in _KEYS:
        codes, uniques = pd.factorize(long[col], sort=True)
        key = key * (len(uniques) + 1) + codes + 1  # codes -1 (missing) sort first
    long["_key"] = key
    return long.sort_values(["_key", "month"], ignore_index=True)


def _chart_points(df: pd.DataFrame, target: int, settings: Settings) -> pd.DataFrame:
    """Each unit's target month on its p, individuals and EWMA charts, with limits."""
    long = _series(df[df["month"] <= target], settings)
    base = long[long["month"] < target]
    by = base["_key"]
    grouped = base.groupby(by)
    stats = pd.DataFrame({
        "count": grouped.size(), "x_sum": grouped["x"].sum(), "n_sum": grouped["n"].sum(),
        "mean": grouped["value"].mean(), "sd": grouped["value"].std(ddof=1),
        "mr": grouped["value"].diff().abs().groupby(by).mean(),
    })
    # Laney's sigma_z: the spread of the baseline months' p-chart z-scores (1 if binomial)
    pooled = (stats["x_sum"] / stats["n_sum"]).reindex(by).to_numpy()
    z = (base["value"] - pooled) / np.sqrt(pooled * (1 - pooled) / base["n"])
    stats["sigma_z"] = z.groupby(by).diff().abs().groupby(by).mean() / D2
    lam = settings.ewma_lambda
    steps = long.groupby("_key")["month"].transform("size")
    position = long.groupby("_key").cumcount() + 1
    # z_N = (1-lam)^N mu + sum_j lam (1-lam)^(N-j) x_j: the EWMA as weights on the points
    weighted = (lam * (1 - lam) ** (steps - position) * long["value"]).groupby(
        long["_key"]).sum()
    latest = long[long["month"] == target].join(stats, on="_key")
    latest = latest[latest["count"] >= settings.control_min_baseline].join(
        weighted.rename("weighted"), on="_key").drop(columns="_key")
    chart, steps = latest["chart"], latest["count"] + 1
    pbar = latest["x_sum"] / latest["n_sum"]
    laney = latest["sigma_z"].clip(lower=1).fillna(1) if settings.p_chart_laney else 1.0
    ewma_factor = np.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * steps)))
    is_p, is_ewma = chart == "p", chart == "ewma"
    scale = np.where(is_p, 100.0, 1.0)
    centre = np.where(is_p, pbar, latest["mean"])
    sigma = np.select(
        [is_p, is_ewma],
        [laney * np.sqrt(pbar * (1 - pbar) / latest["n"]), latest["sd"] * ewma_factor],
        latest["mr"] / D2,
    )
    width = np.where(is_ewma, settings.ewma_sigma, settings.control_sigma) * sigma
    lcl, ucl = centre - width, centre + width
    return latest.assign(
        observed=latest["value"] * scale,
        value=np.where(is_ewma, (1 - lam) ** steps * latest["mean"] + latest["weighted"],
                       latest["value"]) * scale,
        centre=centre * scale, sigma=sigma * scale,
        lcl=np.where(is_p, np.clip(lcl, 0, 1), lcl) * scale,
        ucl=np.where(is_p, np.clip(ucl, 0, 1), ucl) * scale,
    )


def _control_message(row: dict, margin: str) -> str:
    """One sentence: what was charted, where it fell, and against which limits."""
    metric = {("p", "esat"): "ESAT % satisfied", ("p", "csat"): "CSAT %",
              ("ewma", "esat"): "ESAT index", ("ewma", "csat"): "CSAT %"}.get(
        (row["chart"], row["leg"]), margin)
    side = row["direction"]
    limits = f"{row['lcl']:.1f} to {row['ucl']:.1f} around its usual {row['centre']:.1f}"
    if row["chart"] == "ewma":
        return (
            f"Unit {row['name']}'s {metric} is drifting {'up' if side == 'above' else 'down'}: "
            f"its smoothed (EWMA) level in {row['period']} was {row['value']:.1f}, {side} its "
            f"limits of {limits} (this month {row['observed']:.1f})."
        )
    responses = f" ({row['n']:.0f} responses)" if row["chart"] == "p" else ""
    return (
        f"Unit {row['name']}'s {metric} in {row['period']} was {row['value']:.1f}, {side} its "
        f"control limits of {limits}{responses}."
    )


def control_alerts(
    panel: pd.DataFrame, settings: Settings = DEFAULT, period: str | None = None
) -> pd.DataFrame:
    """Latest month of each unit and leg against the unit's own baseline (metrics.md §4).

    The baseline is every earlier month of the unit with data; a chart needs at least
    ``control_min_baseline`` baseline months. Charts:

    - ``'p'``: ESAT % satisfied (``esat_sat_n / n_employee``, months with at least
      ``min_group_size`` responses) and CSAT % (``csat_sat_n / n_customer``):
      ``pbar = sum x / sum n`` over the baseline, limits
      ``pbar +/- control_sigma * sigma_z * sqrt(pbar (1 - pbar) / n_i)`` clipped to
      [0, 100] %; ``n_i`` is the latest month's own n, so thin months get wider limits.
      ``sigma_z`` (Laney's p'-chart, ``p_chart_laney``) is the mean moving range / d2 of
      the baseline months' z-scores ``(p_j - pbar) / sqrt(pbar (1 - pbar) / n_j)``,
      floored at 1: it widens the limits when a unit's % moves more from month to month
      than sampling explains (real months differ; with 150 customers a month pure
      binomial limits flag about half of the demo company's units). A baseline
      with ``pbar`` of 0 or 1 has no spread to chart and never alerts.
    - ``'individuals'`` (XmR) for the margin: centre = baseline mean, sigma = mean moving
      range of consecutive baseline months / d2 (1.128), limits ``+/- control_sigma``.
    - ``'ewma'`` on each leg (ESAT index, CSAT %, margin): started at the baseline mean
      ``mu``, ``z_i = lam x_i + (1 - lam) z_(i-1)`` over the unit's months in order (a
      missing month is skipped), sigma = baseline sd (ddof=1), limits
      ``mu +/- ewma_sigma * sigma * sqrt(lam / (2 - lam) * (1 - (1 - lam)^(2i)))``.
      Not the moving-range sigma: real legs are autocorrelated month to month, which
      shrinks moving ranges, and on the demo company that flags ~15% of units a month.

    Parameters
    ----------
    panel : pandas.DataFrame
        The unit x month panel (docs/panel.md): ``unit_id``, ``period``, ``n_employee``,
        ``esat_index``, ``esat_sat_n``, ``n_customer``, ``csat_pct``, ``csat_sat_n`` and
        the profit column of ``settings``; ``unit_name`` is used in messages if present.
    settings : Settings
        ``control_sigma``, ``ewma_lambda``, ``ewma_sigma``, ``control_min_baseline``,
        ``min_group_size``, ``profit_metric``.
    period : str, optional
        ``YYYY-MM``; the latest period of the panel by default.

    Returns
    -------
    pandas.DataFrame
        One row per point beyond its limits, sorted by severity (descending), unit, leg
        and chart, with ``ALERT_COLUMNS`` (``kind='control'``, ``pattern`` None,
        ``severity`` = ``|value - centre| / sigma`` over the chart's sigma multiple) and
        ``chart`` ('p'|'individuals'|'ewma'), ``direction`` ('above'|'below'),
        ``value`` (the charted statistic: % for p-charts, the EWMA for 'ewma'),
        ``observed`` (the month's own value), ``centre``, ``lcl``, ``ucl``, ``sigma``
        (of the point) and ``n`` (the month's responses; NaN for the margin); ``values``
        holds all of these.

    Example
    -------
    >>> from analytics.metrics.alerts import control_alerts
    >>> alerts = control_alerts(panel)  # doctest: +SKIP
    """
    extra = ["chart", "direction", "value", "observed", "centre", "lcl", "ucl", "sigma", "n"]
    df = panel.assign(month=month_number(panel["period"]))
    target = _target(df, period)
    if target is None:
        return _empty(extra)
    charts = _chart_points(df, target, settings)
    beyond = (charts["sigma"] > 0) & ((charts["value"] > charts["ucl"])
                                      | (charts["value"] < charts["lcl"]))
    out = charts[beyond].copy()
    if out.empty:
        return _empty(extra)
    out = _name_units(out, df, target)
    out["direction"] = np.where(out["value"] > out["ucl"], "above", "below")
    multiple = np.where(out["chart"] == "ewma", settings.ewma_sigma, settings.control_sigma)
    out["severity"] = (out["value"] - out["centre"]).abs() / out["sigma"] / multiple
    margin = _MARGIN_LABEL[settings.profit_metric]
    out["message"] = [_control_message(row, margin) for row in out.to_dict("records")]
    out["values"] = _values(out, extra)
    return _finish(out.assign(kind="control", pattern=None), extra, ["unit_id", "leg", "chart"])


def all_alerts(
    panel: pd.DataFrame, settings: Settings = DEFAULT, period: str | None = None
) -> pd.DataFrame:
    """Every alert of ``period`` (the latest by default), most serious first.

    Parameters
    ----------
    panel : pandas.DataFrame
        The unit x month panel (docs/panel.md). z-scores compare the units *in this
        frame*, so a panel filtered to one region gives alerts relative to that region.
    settings : Settings
        All thresholds of metrics.md §4.
    period : str, optional
        ``YYYY-MM``; the latest period of the panel by default.

    Returns
    -------
    pandas.DataFrame
        Columns ``ALERT_COLUMNS``:

        - ``kind``: 'imbalance' | 'divergence' | 'control'
        - ``unit_id``, ``period``
        - ``leg``: the weakest leg (imbalance), the charted leg (control), None (divergence)
        - ``pattern``: divergence pattern id, else None
        - ``severity``: multiple of its threshold, >= 1 (see the module docstring)
        - ``message``: one plain-English sentence
        - ``values``: dict of the triggering numbers and limits (plain floats or None;
          control alerts add ``chart`` and ``direction``)

        Sorted by severity (descending), then kind (in ``KINDS`` order), unit, leg and
        pattern, so equal inputs give equal output.

    Example
    -------
    >>> from analytics.metrics.alerts import all_alerts
    >>> alerts = all_alerts(panel)  # doctest: +SKIP
    """
    legs_bal = balance(legs_frame(panel, settings))
    parts = [
        imbalance_alerts(legs_bal, settings, period),
        divergence_alerts(legs_bal, settings, period),
        control_alerts(panel, settings, period),
    ]
    parts = [part[list(ALERT_COLUMNS)] for part in parts if not part.empty]
    if not parts:
        return _empty([])
    out = pd.concat(parts, ignore_index=True)
    order = out["kind"].map(KINDS.index)
    out = out.assign(_order=order, _leg=out["leg"].fillna(""), _pattern=out["pattern"].fillna(""))
    out = out.sort_values(["severity", "_order", "unit_id", "_leg", "_pattern"],
                          ascending=[False, True, True, True, True], kind="mergesort")
    return out[list(ALERT_COLUMNS)].reset_index(drop=True)
