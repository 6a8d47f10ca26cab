"""Alerts of metrics.md §4: news, not standing differences (docs/alerts.md).

Every alert tests a *change* of a leg against the unit's own baseline, standardised by the
sampling error of the month values (from their response counts) and by the company's
month-to-month variation with its carry-over (:mod:`analytics.metrics.alert_scores`).
The values are shrunk toward the company (:mod:`analytics.metrics.shrink`): each alert's
``values`` carry the raw and the shrunk estimate. A unit that is always lower than its
peers never alerts for that (the imbalance *ranking* of :mod:`analytics.metrics.balance`
shows it).

- **imbalance**: one leg's mean over the last ``imbalance_window`` months is below its
  baseline, one-sided ``p = Phi(z)`` times 3 (Bonferroni over the legs) below
  ``imbalance_alpha``, while neither other leg passes that test;
- **divergence**: over the last ``divergence_periods`` months one leg's change has the
  opposite sign to both others, each ``|z| >= divergence_min_z``, and the Stouffer
  combination of the three one-sided p-values in the pattern's directions, times 6
  (Bonferroni over the patterns), is below ``divergence_alpha``;
- **control**: the month's own change, two-sided ``p`` times 3 (the legs) below
  ``control_alpha``: the month is outside limits ``baseline +/- z_lim * se`` whose se
  allows for carry-over.

``severity`` is the triggering statistic over its threshold (1 = just at it). Divergence
patterns: the *odd leg* is the one whose change has the opposite sign to both others;
``PATTERNS`` maps (odd leg, direction) to its id and meaning: profit up
``profit_up_esat_down`` (margin may be bought at the cost of staff), ESAT up
``esat_up_csat_down`` (service is not reaching customers), CSAT up ``csat_up_profit_down``
(service may be given away below cost), and ``esat_down_csat_profit_up``,
``csat_down_esat_profit_up``, ``profit_down_esat_csat_up``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analytics.metrics import alert_text
from analytics.metrics.alert_scores import Legs, change_scores, leg_panel
from analytics.metrics.balance import balance, company_balance, legs_frame
from analytics.settings import DEFAULT, LEGS, Settings

ALERT_COLUMNS: tuple[str, ...] = (
    "kind", "unit_id", "period", "leg", "pattern", "severity", "message", "values",
)
KINDS: tuple[str, ...] = ("imbalance", "divergence", "control")
#: d2 for subgroups of two: the expected range of two standard normals, 2/sqrt(pi) = 1.128
D2 = 2.0 / np.sqrt(np.pi)
PATTERNS = alert_text.PATTERNS
#: the legs each family-wise alpha is shared over, and the divergence patterns
N_LEGS, N_PATTERNS = len(LEGS), len(PATTERNS)

_SCORE = ["raw", "shrunk", "window_raw", "window_shrunk", "baseline", "baseline_raw",
          "change", "se", "z", "n", "baseline_months", "sigma_month", "phi"]
_IMBALANCE = ["months", *_SCORE, "p", "p_adjusted", "z_esat", "z_csat", "z_profit"]
_DIVERGENCE = ["odd_leg", "direction", "months", "z_esat", "z_csat", "z_profit",
               "change_esat", "change_csat", "change_profit", "stouffer_z", "p", "p_adjusted"]
_CONTROL = ["chart", "direction", "value", "observed", "centre", "lcl", "ucl", "sigma", "n",
            "z", "p", "p_adjusted", "shrunk", "raw", "baseline_months", "sigma_month", "phi"]


def _empty(extra: list[str]) -> pd.DataFrame:
    """No alerts, with every column."""
    return pd.DataFrame(columns=[*ALERT_COLUMNS, *extra], dtype=object)


def _values(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    """Per-row dicts of plain floats (None for missing), JSON-serialisable."""
    records = frame[columns].to_dict("records")
    return [
        {k: (v if isinstance(v, str) else None if pd.isna(v) else float(v)) for k, v in r.items()}
        for r in records
    ]


def _finish(out: pd.DataFrame, legs: Legs, column: int, kind: str, extra: list[str],
            keys: list[str], values: list[str]) -> pd.DataFrame:
    """Name, period, message and values; most serious first, then by ``keys``."""
    names = pd.Series(legs.names, index=legs.units)
    out = out.assign(kind=kind, period=legs.periods[column],
                     name=names.reindex(out["unit_id"]).to_numpy())
    out["message"] = [alert_text.message(kind, row) for row in out.to_dict("records")]
    out["values"] = _values(out, values)
    out = out.sort_values(["severity", *keys], ascending=[False] + [True] * len(keys))
    return out[[*ALERT_COLUMNS, *extra]].reset_index(drop=True)


def _wide(scores: pd.DataFrame, col: str) -> pd.DataFrame:
    """units x legs of one score column (units missing a leg have NaN)."""
    return scores.pivot(index="unit_id", columns="leg", values=col).reindex(columns=list(LEGS))


def _imbalance(legs: Legs, column: int, settings: Settings) -> pd.DataFrame:
    window = settings.imbalance_window
    scores = change_scores(legs, column, window, settings)
    if scores.empty:
        return _empty(_IMBALANCE)
    scores = scores.assign(p=stats.norm.cdf(scores["z"]))
    scores["p_adjusted"] = np.minimum(1.0, scores["p"] * N_LEGS)
    clear = scores["p_adjusted"] < settings.imbalance_alpha
    # "while the others hold": exactly one leg of the unit drops clearly
    one = clear.groupby(scores["unit_id"]).transform("sum") == 1
    z = _wide(scores, "z").add_prefix("z_")
    hits = scores[clear & one].join(z, on="unit_id")
    if hits.empty:
        return _empty(_IMBALANCE)
    limit = stats.norm.isf(settings.imbalance_alpha / N_LEGS)
    hits = hits.assign(months=window, pattern=None, severity=-hits["z"] / limit)
    return _finish(hits, legs, column, "imbalance", _IMBALANCE, ["unit_id"],
                   [*_IMBALANCE[:1], *_SCORE, "p", "p_adjusted", "z_esat", "z_csat",
                    "z_profit"])


def _divergence(legs: Legs, column: int, settings: Settings) -> pd.DataFrame:
    window = settings.divergence_periods
    scores = change_scores(legs, column, window, settings)
    if scores.empty:
        return _empty(_DIVERGENCE)
    z = _wide(scores, "z").dropna()
    change = _wide(scores, "change").reindex(z.index)
    signs = np.sign(z.to_numpy())
    total = signs.sum(axis=1)
    clear = (np.abs(z.to_numpy()) >= settings.divergence_min_z).all(axis=1)
    shaped = (signs != 0).all(axis=1) & (np.abs(total) == 1) & clear
    if not shaped.any():
        return _empty(_DIVERGENCE)
    # the odd leg is the one against the sign of the sum; each leg's one-sided p in its
    # own direction, combined by Stouffer and Bonferroni-adjusted over the six patterns
    odd = np.argmax(signs != np.sign(total)[:, None], axis=1)
    one_sided = stats.norm.sf(np.abs(z.to_numpy()[shaped]))
    combined = stats.combine_pvalues(one_sided, method="stouffer", axis=1)
    adjusted = np.minimum(1.0, combined.pvalue * N_PATTERNS)
    out = pd.DataFrame({
        "unit_id": z.index[shaped], "odd_leg": np.asarray(LEGS, dtype=object)[odd[shaped]],
        "direction": np.where(total[shaped] > 0, "down", "up"), "months": window,
        **{f"z_{leg}": z[leg].to_numpy()[shaped] for leg in LEGS},
        **{f"change_{leg}": change[leg].to_numpy()[shaped] for leg in LEGS},
        "stouffer_z": combined.statistic, "p": combined.pvalue, "p_adjusted": adjusted,
    })
    out = out[out["p_adjusted"] < settings.divergence_alpha]
    if out.empty:
        return _empty(_DIVERGENCE)
    limit = stats.norm.isf(settings.divergence_alpha / N_PATTERNS)
    keys = list(zip(out["odd_leg"], out["direction"], strict=True))
    out = out.assign(leg=None, pattern=[PATTERNS[key][0] for key in keys],
                     severity=out["stouffer_z"] / limit)
    return _finish(out, legs, column, "divergence", _DIVERGENCE, ["unit_id"],
                   [c for c in _DIVERGENCE if c not in ("odd_leg", "direction")])


def _control(legs: Legs, column: int, settings: Settings) -> pd.DataFrame:
    scores = change_scores(legs, column, 1, settings)
    if scores.empty:
        return _empty(_CONTROL)
    p = 2 * stats.norm.sf(np.abs(scores["z"]))
    limit = stats.norm.isf(settings.control_alpha / (2 * N_LEGS))
    out = scores.assign(p=p, p_adjusted=np.minimum(1.0, p * N_LEGS))
    out = out[out["p_adjusted"] < settings.control_alpha]
    if out.empty:
        return _empty(_CONTROL)
    out = out.assign(chart="change", direction=np.where(out["z"] > 0, "above", "below"),
                     value=out["shrunk"], observed=out["raw"], centre=out["baseline"],
                     lcl=out["baseline"] - limit * out["se"],
                     ucl=out["baseline"] + limit * out["se"], sigma=out["se"],
                     pattern=None, severity=out["z"].abs() / limit)
    return _finish(out, legs, column, "control", _CONTROL, ["unit_id", "leg", "chart"],
                   [c for c in _CONTROL if c not in ("chart", "direction")])


_DETECTORS = {"imbalance": _imbalance, "divergence": _divergence, "control": _control}


def _run(kind: str, panel: pd.DataFrame, settings: Settings, period: str | None
         ) -> pd.DataFrame:
    legs = leg_panel(panel, settings)
    column = legs.column(period)
    extra = {"imbalance": _IMBALANCE, "divergence": _DIVERGENCE, "control": _CONTROL}[kind]
    return _empty(extra) if column is None else _DETECTORS[kind](legs, column, settings)


def imbalance_alerts(panel: pd.DataFrame, settings: Settings = DEFAULT,
                     period: str | None = None) -> pd.DataFrame:
    """Units where one leg dropped clearly below its own baseline while the others held.

    Parameters
    ----------
    panel : pandas.DataFrame
        The unit x month panel (docs/panel.md): ``unit_id``, ``period``, ``n_employee``,
        ``esat_index`` (``esat_sd``), ``n_customer``, ``csat_pct`` (``csat_sat_n``) and the
        profit column of ``settings``; ``unit_name`` for messages.
    settings : Settings
        ``imbalance_window``, ``imbalance_alpha`` and the baseline settings.
    period : str, optional
        ``YYYY-MM``; the latest period of the panel by default.

    Returns
    -------
    pandas.DataFrame
        One row per alerting unit, sorted by severity then unit: ``ALERT_COLUMNS``
        (``leg`` = the dropped leg, ``severity`` = -z over the one-sided limit) and
        ``months`` (the window), the scores of :func:`alert_scores.change_scores`
        (``raw``, ``shrunk``, ``baseline``, ``change``, ``se``, ``z``, ``n``...), ``p``,
        ``p_adjusted`` and each leg's ``z_<leg>``; ``values`` holds the numbers.

    Example
    -------
    >>> alerts = imbalance_alerts(panel)  # doctest: +SKIP
    """
    return _run("imbalance", panel, settings, period)


def divergence_alerts(panel: pd.DataFrame, settings: Settings = DEFAULT,
                      period: str | None = None) -> pd.DataFrame:
    """Units whose legs pull apart over the last ``divergence_periods`` months.

    Parameters
    ----------
    panel : pandas.DataFrame
        As for :func:`imbalance_alerts`.
    settings : Settings
        ``divergence_periods``, ``divergence_min_z``, ``divergence_alpha``.
    period : str, optional
        ``YYYY-MM``; the latest period of the panel by default.

    Returns
    -------
    pandas.DataFrame
        One row per alerting unit: ``ALERT_COLUMNS`` (``leg`` None, ``pattern`` of the
        module docstring, ``severity`` = Stouffer z over its limit) and ``odd_leg``,
        ``direction`` ('up'|'down'), ``months``, ``z_<leg>``, ``change_<leg>``,
        ``stouffer_z``, ``p``, ``p_adjusted``.

    Example
    -------
    >>> alerts = divergence_alerts(panel)  # doctest: +SKIP
    """
    return _run("divergence", panel, settings, period)


def control_alerts(panel: pd.DataFrame, settings: Settings = DEFAULT,
                   period: str | None = None) -> pd.DataFrame:
    """Unit-legs whose month is outside limits that allow for carry-over.

    Parameters
    ----------
    panel : pandas.DataFrame
        As for :func:`imbalance_alerts`.
    settings : Settings
        ``control_alpha`` and the baseline settings.
    period : str, optional
        ``YYYY-MM``; the latest period of the panel by default.

    Returns
    -------
    pandas.DataFrame
        One row per point beyond its limits: ``ALERT_COLUMNS`` and ``chart`` ('change'),
        ``direction`` ('above'|'below'), ``value`` (shrunk month), ``observed`` (raw),
        ``centre`` (shrunk baseline), ``lcl``, ``ucl``, ``sigma`` (se of the change),
        ``n``, ``z``, ``p``, ``p_adjusted``, ``shrunk``, ``raw``, ``baseline_months``,
        ``sigma_month``, ``phi``.

    Example
    -------
    >>> alerts = control_alerts(panel)  # doctest: +SKIP
    """
    return _run("control", panel, settings, period)


def _combine(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [part[list(ALERT_COLUMNS)] for part in parts if not part.empty]
    if not parts:
        return _empty([])
    out = pd.concat(parts, ignore_index=True)
    out = out.assign(_order=out["kind"].map(KINDS.index), _leg=out["leg"].fillna(""),
                     _pattern=out["pattern"].fillna(""))
    out = out.sort_values(["severity", "_order", "unit_id", "_leg", "_pattern"],
                          ascending=[False, True, True, True, True], kind="mergesort")
    return out[list(ALERT_COLUMNS)].reset_index(drop=True)


def all_alerts(panel: pd.DataFrame, settings: Settings = DEFAULT,
               period: str | None = None) -> pd.DataFrame:
    """Every alert of ``period`` (the latest by default), most serious first.

    Parameters
    ----------
    panel : pandas.DataFrame
        The unit x month panel (docs/panel.md) of the *whole company*: the shrinkage and
        the month-to-month variation are the company's (narrow the result, not the input).
    settings : Settings
        All thresholds of metrics.md §4.
    period : str, optional
        ``YYYY-MM``; the latest period of the panel by default.

    Returns
    -------
    pandas.DataFrame
        Columns ``ALERT_COLUMNS``: ``kind`` ('imbalance' | 'divergence' | 'control'),
        ``unit_id``, ``period``, ``leg`` (the dropped leg, the charted leg, None for
        divergence), ``pattern`` (divergence only), ``severity`` (>= 1), ``message``,
        ``values`` (the triggering numbers, plain floats). Sorted by severity
        (descending), kind, unit, leg and pattern.

    Example
    -------
    >>> alerts = all_alerts(panel)  # doctest: +SKIP
    """
    legs = leg_panel(panel, settings)
    column = legs.column(period)
    if column is None:
        return _empty([])
    return _combine([fn(legs, column, settings) for fn in _DETECTORS.values()])


def alert_history(panel: pd.DataFrame, settings: Settings = DEFAULT,
                  kinds: tuple[str, ...] = KINDS) -> pd.DataFrame:
    """The alerts of every period of the panel (``ALERT_COLUMNS``), in period order.

    Equal to concatenating :func:`all_alerts` of each period, with the legs read once.
    """
    legs = leg_panel(panel, settings)
    parts = [_combine([_DETECTORS[k](legs, j, settings) for k in kinds])
             for j in range(len(legs.periods))]
    parts = [p for p in parts if not p.empty]
    return pd.concat(parts, ignore_index=True) if parts else _empty([])


def imbalance_alert_counts(panel: pd.DataFrame, settings: Settings = DEFAULT) -> pd.Series:
    """Units with an imbalance alert in each month (months without one have no entry).

    Equal to ``imbalance_alerts(panel, settings, p)["unit_id"].nunique()`` for every
    period ``p`` of the panel. Indexed by period (str), sorted.
    """
    found = alert_history(panel, settings, kinds=("imbalance",))
    counts = found.groupby("period")["unit_id"].nunique().astype("int64")
    return counts.rename_axis("period").sort_index()


def imbalance_history(panel: pd.DataFrame, settings: Settings = DEFAULT,
                      company: pd.DataFrame | None = None) -> pd.DataFrame:
    """Month by month: units out of balance (the ranking) and units with an imbalance alert.

    Parameters
    ----------
    panel : pandas.DataFrame
        The selection's unit x month panel.
    settings : Settings
        ``imbalance_threshold`` (the ranking) and the imbalance alert settings.
    company : pandas.DataFrame, optional
        The whole company's panel: alerts are computed on it and counted for the units
        of ``panel`` only (metrics.md §4). ``panel`` itself by default.

    Returns
    -------
    pandas.DataFrame
        One row per period (sorted): ``period``, ``n_units``, ``mean_imbalance``,
        ``n_over`` (units whose cross-unit imbalance is >= ``imbalance_threshold``, the
        ranking of :mod:`analytics.metrics.balance`) and ``n_alerts`` (units with an
        imbalance alert).
    """
    bal = balance(legs_frame(panel, settings))
    company_bal = company_balance(bal, settings)
    over = (bal["imbalance"] >= settings.imbalance_threshold).groupby(
        bal["period"].astype(str)).sum()
    found = alert_history(panel if company is None else company, settings,
                          kinds=("imbalance",))
    found = found[found["unit_id"].isin(set(panel["unit_id"]))]
    counts = found.groupby("period")["unit_id"].nunique()
    company = company_bal
    return pd.DataFrame({
        "period": company["period"], "n_units": company["n_units"],
        "mean_imbalance": company["mean_imbalance"],
        "n_over": company["period"].map(over).fillna(0).astype("int64"),
        "n_alerts": company["period"].astype(str).map(counts).fillna(0).astype("int64")
        .to_list(),
    })  # fmt: skip
