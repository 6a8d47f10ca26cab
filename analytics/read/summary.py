"""A plain-English paragraph for the Overview page, written from the numbers alone.

Month-on-month moves are called changes only when they are statistically significant
(metrics.md §5): CSAT % by the two-proportion z-test on ``csat_sat_n / n_customer``, the
ESAT index by Welch's t on ``esat_index``, ``esat_sd`` and ``n_employee``
(:mod:`analytics.metrics.change`). Margins have no sampling error to test from aggregates, so
they are reported as moves with their size and the words "not tested". Everything here
is deterministic: ties are broken by unit or region name.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analytics.metrics.alerts import PATTERNS
from analytics.settings import DEFAULT, Settings

#: Columns of :func:`unit_changes` and :func:`region_changes`.
CHANGE_COLUMNS: tuple[str, ...] = ("leg", "before", "after", "diff", "p", "significant")
_LABEL = {"esat": "ESAT", "csat": "CSAT"}
_MARGIN = {"gross_margin_pct": "gross margin", "operating_margin_pct": "operating margin"}
#: pattern id -> (odd leg, direction), inverted from :data:`analytics.metrics.alerts.PATTERNS`
_PATTERN_LEGS = {pattern: key for key, (pattern, _) in PATTERNS.items()}
_MAX_REGIONS = 2


def previous_month(period: str) -> str:
    """The calendar month before ``period`` ('YYYY-MM')."""
    return str(pd.Period(period, freq="M") - 1)


def _tests(before: pd.DataFrame, after: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """CSAT and ESAT tests of aligned rows (same index), as :data:`CHANGE_COLUMNS`."""
    # imported on use: analytics.metrics.change imports scipy and statsmodels (about 1.5 s), which
    # a new process's first page need not pay when the warm-up kept the summary
    from analytics.metrics.change import mean_changes, proportion_changes

    rows: list[dict[str, Any]] = []
    csat_ok = (before["n_customer"] >= 1) & (after["n_customer"] >= 1)
    b, a = before.loc[csat_ok], after.loc[csat_ok]
    results = proportion_changes(b["csat_sat_n"], b["n_customer"], a["csat_sat_n"],
                                 a["n_customer"], alpha=settings.alpha)
    rows += [{"key": key, "leg": "csat", **res}
             for key, res in zip(before.index[csat_ok], results, strict=True)]
    floor = max(settings.min_group_size, 2)
    esat_cols = ["esat_index", "esat_sd", "n_employee"]
    esat_ok = (
        before[esat_cols].notna().all(axis=1) & after[esat_cols].notna().all(axis=1)
        & (before["n_employee"] >= floor) & (after["n_employee"] >= floor)
    )  # fmt: skip
    b, a = before.loc[esat_ok], after.loc[esat_ok]
    results = mean_changes(*(b[c] for c in esat_cols), *(a[c] for c in esat_cols),
                           alpha=settings.alpha)
    rows += [{"key": key, "leg": "esat", **res}
             for key, res in zip(before.index[esat_ok], results, strict=True)]
    frame = pd.DataFrame(rows, columns=["key", *CHANGE_COLUMNS])
    frame["significant"] = frame["significant"].astype(object)
    return frame


def unit_changes(
    panel: pd.DataFrame, period: str, before: str, settings: Settings = DEFAULT
) -> pd.DataFrame:
    """Each unit's CSAT and ESAT change between two months, with its significance test.

    Parameters
    ----------
    panel : pandas.DataFrame
        The unit x month panel (docs/panel.md), through the privacy layer: ``unit_id``,
        ``period``, ``csat_sat_n``, ``n_customer``, ``esat_index``, ``esat_sd``,
        ``n_employee``.
    period, before : str
        The later and the earlier month, 'YYYY-MM'.
    settings : Settings
        ``alpha``; ``min_group_size`` (ESAT is tested only where both months have at
        least that many responses, and at least 2 for a sd).

    Returns
    -------
    pandas.DataFrame
        One row per unit and tested leg, sorted by unit and leg: ``unit_id``, ``leg``
        ('csat' | 'esat'), ``before``, ``after``, ``diff`` (points), ``p`` (two-sided;
        NaN when the test is undefined), ``significant`` (True / False / None).
        A unit missing from either month, or with too few responses, has no row.

    Example
    -------
    >>> panel = pd.DataFrame({"unit_id": ["A", "A"], "period": ["2024-01", "2024-02"],
    ...     "csat_sat_n": [45, 60], "n_customer": [100, 100], "esat_index": [None, None],
    ...     "esat_sd": [None, None], "n_employee": [None, None]})
    >>> unit_changes(panel, "2024-02", "2024-01")[["leg", "diff", "significant"]].values.tolist()
    [['csat', 15.0, True]]
    """
    first = panel[panel["period"].astype(str) == before].set_index("unit_id")
    second = panel[panel["period"].astype(str) == period].set_index("unit_id")
    both = first.index.intersection(second.index).sort_values()
    cols = ["csat_sat_n", "n_customer", "esat_index", "esat_sd", "n_employee"]
    tests = _tests(first.loc[both, cols].astype(float), second.loc[both, cols].astype(float),
                   settings)
    tests = tests.rename(columns={"key": "unit_id"})
    return tests.sort_values(["unit_id", "leg"], ignore_index=True)


def _pool(month: pd.DataFrame, by: str, settings: Settings) -> pd.DataFrame:
    """Pooled CSAT counts, ESAT mean and sd, and revenue-weighted margin per group."""
    emp = month["n_employee"].astype(float)
    emp = emp.where(month["esat_index"].notna() & month["esat_sd"].notna())
    margin = month[settings.profit_metric].astype(float)
    frame = pd.DataFrame({
        by: month[by], "csat_sat_n": month["csat_sat_n"].astype(float),
        "n_customer": month["n_customer"].astype(float), "n_employee": emp,
        "esat_sum": emp * month["esat_index"], "revenue": month["revenue"].astype(float),
        "margin_sum": margin * month["revenue"],
    })  # fmt: skip
    grouped = frame.groupby(by)
    out = grouped[["csat_sat_n", "n_customer", "n_employee", "esat_sum", "revenue",
                   "margin_sum"]].sum(min_count=1)  # fmt: skip
    out["esat_index"] = out["esat_sum"] / out["n_employee"]
    # pooled sd: within-unit sums of squares plus the spread of unit means around the pool
    centre = frame[by].map(out["esat_index"])
    sq = (emp - 1) * month["esat_sd"] ** 2 + emp * (month["esat_index"] - centre) ** 2
    out["esat_sd"] = np.sqrt(sq.groupby(frame[by]).sum(min_count=1) / (out["n_employee"] - 1))
    out["margin"] = out["margin_sum"] / out["revenue"]
    return out


def region_changes(
    panel: pd.DataFrame, period: str, before: str, settings: Settings = DEFAULT
) -> pd.DataFrame:
    """Each region's pooled CSAT, ESAT and margin change between two months.

    Parameters
    ----------
    panel : pandas.DataFrame
        The unit x month panel with ``region``, ``revenue`` and the profit column of
        ``settings`` besides the columns :func:`unit_changes` reads.
    period, before : str
        The later and the earlier month, 'YYYY-MM'.
    settings : Settings
        ``alpha``, ``min_group_size``, ``profit_metric``.

    Returns
    -------
    pandas.DataFrame
        One row per region and leg, sorted by region and leg: ``region``, ``leg``
        ('csat' | 'esat' | 'profit'), ``before``, ``after``, ``diff``, ``p``,
        ``significant``. CSAT pools the counts; ESAT pools responses (mean weighted by
        ``n_employee``, sd from the within-unit and between-unit sums of squares) over
        units whose ESAT is shown; margin is weighted by revenue and never tested
        (``p`` NaN, ``significant`` None).

    Example
    -------
    >>> region_changes(panel, "2026-10", "2026-09")  # doctest: +SKIP
    """
    months = panel[panel["region"].notna()]
    present = set(months["period"].astype(str))
    if period not in present or before not in present:
        return pd.DataFrame({"region": pd.Series(dtype=object),
                             **{c: pd.Series(dtype=object) for c in CHANGE_COLUMNS}})
    first = _pool(months[months["period"].astype(str) == before], "region", settings)
    second = _pool(months[months["period"].astype(str) == period], "region", settings)
    both = first.index.intersection(second.index).sort_values()
    tests = _tests(first.loc[both], second.loc[both], settings).rename(
        columns={"key": "region"})
    margin = pd.DataFrame({
        "region": both, "leg": "profit", "before": first.loc[both, "margin"].to_numpy(),
        "after": second.loc[both, "margin"].to_numpy(), "p": np.nan, "significant": None,
    })  # fmt: skip
    margin["diff"] = margin["after"] - margin["before"]
    out = pd.concat([tests, margin[tests.columns]], ignore_index=True) if len(tests) else \
        margin[["region", *CHANGE_COLUMNS]]
    return out.sort_values(["region", "leg"], ignore_index=True)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _count_phrase(changes: pd.DataFrame, leg: str) -> str | None:
    """'CSAT fell significantly in 2 of 40 units and rose in 1', or None if untested."""
    tested = changes[(changes["leg"] == leg) & changes["p"].notna()]
    if tested.empty:
        return None
    sig = tested["significant"].eq(True)
    fell = int((sig & (tested["diff"] < 0)).sum())
    rose = int((sig & (tested["diff"] > 0)).sum())
    units = _plural(len(tested), "unit")
    if fell == 0 and rose == 0:
        return f"{_LABEL[leg]} changed significantly in none of {units}"
    if fell == 0:
        return f"{_LABEL[leg]} rose significantly in {rose} of {units} and fell in none"
    return f"{_LABEL[leg]} fell significantly in {fell} of {units} and rose in {rose or 'none'}"


def _changes_sentence(panel: pd.DataFrame, period: str, settings: Settings) -> str:
    before = previous_month(period)
    if not (panel["period"].astype(str) == before).any():
        return f"There is no month before {period} to compare with."
    changes = unit_changes(panel, period, before, settings)
    phrases = [p for p in (_count_phrase(changes, "csat"), _count_phrase(changes, "esat")) if p]
    if not phrases:
        return (f"Between {before} and {period} no unit had enough responses in both "
                "months to test a change.")
    tested = int(changes["p"].notna().groupby(changes["leg"]).sum().max())
    chance = settings.alpha * tested
    if chance < 0.5:
        expected = "fewer than one such change"
    else:
        expected = f"about {chance:.0f} such change" + ("" if round(chance) == 1 else "s")
    return (
        f"Between {before} and {period}, " + "; ".join(phrases)
        + f" (two-proportion and Welch tests at the {settings.alpha:.0%} level; chance alone "
        f"would give {expected} per leg)."
    )


def _move(diff: float) -> str:
    """'rose 1.2 points', 'fell 0.4 points' or 'held steady' (below 0.05 points)."""
    if abs(diff) < 0.05:
        return "held steady"
    return f"{'rose' if diff > 0 else 'fell'} {abs(diff):.1f} points"


def _region_sentence(panel: pd.DataFrame, period: str, settings: Settings) -> str | None:
    """Regions whose ESAT or CSAT changed significantly, and how their margin moved."""
    if "region" not in panel.columns or panel["region"].nunique() < 2:
        return None
    changes = region_changes(panel, period, previous_month(period), settings)
    sig = changes[changes["significant"].eq(True)].copy()
    if sig.empty:
        return None
    margin = changes[changes["leg"] == "profit"].set_index("region")["diff"]
    sig["margin_diff"] = sig["region"].map(margin)
    # a margin moving against a significant move of ESAT or CSAT reads as a divergence
    sig["diverges"] = np.sign(sig["margin_diff"]) == -np.sign(sig["diff"])
    order = sig.groupby("region").agg(diverges=("diverges", "any"), p=("p", "min"))
    order = order.reset_index().sort_values(["diverges", "p", "region"],
                                            ascending=[False, True, True])
    word = _MARGIN[settings.profit_metric]
    parts = []
    for region, diverges in zip(order["region"].head(_MAX_REGIONS),
                                order["diverges"].head(_MAX_REGIONS), strict=True):
        rows = sig[sig["region"] == region].sort_values("leg")
        legs = " and ".join(
            f"its {_LABEL[leg]} {'fell' if diff < 0 else 'rose'} significantly "
            f"({diff:+.1f} points)"
            for leg, diff in zip(rows["leg"], rows["diff"], strict=True)
        )
        move = margin.get(region)
        if diverges:
            parts.append(f"the {region} region's {word} {_move(move)} while {legs}")
        elif move is None or pd.isna(move):
            parts.append(f"in the {region} region {legs}")
        else:
            parts.append(f"in the {region} region {legs}, and its {word} {_move(move)}")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + f". Changes in {word} are not tested for significance."


def _names(panel: pd.DataFrame) -> dict[str, str]:
    """unit_id -> unit_name (the latest name), falling back to the id."""
    if "unit_name" not in panel.columns:
        return {}
    latest = panel.sort_values("period").drop_duplicates("unit_id", keep="last")
    named = latest[latest["unit_name"].notna()]
    return dict(zip(named["unit_id"], named["unit_name"].astype(str), strict=True))


def _pattern_phrase(pattern: str, settings: Settings) -> str:
    """'margin rising while ESAT and CSAT fall' from a divergence pattern id."""
    odd, direction = _PATTERN_LEGS[pattern]
    label = {**_LABEL, "profit": _MARGIN[settings.profit_metric].split()[-1]}
    others = [label[leg] for leg in ("esat", "csat", "profit") if leg != odd]
    up = direction == "up"
    return (f"{label[odd]} {'rising' if up else 'falling'} while {others[0]} and "
            f"{others[1]} {'fall' if up else 'rise'}")


def _alerts_sentence(alerts: pd.DataFrame, names: dict[str, str], settings: Settings) -> str:
    if alerts.empty:
        return "No unit is out of balance, no unit's legs are pulling apart and no reading " \
               "is outside its control limits."
    ranked = alerts.sort_values(["severity", "unit_id"], ascending=[False, True])
    parts = []
    imb = ranked[ranked["kind"] == "imbalance"]
    if len(imb):
        top = imb.iloc[0]
        leg = {**_LABEL, "profit": "margin"}[top["leg"]]
        verb = "is" if len(imb) == 1 else "are"
        parts.append(f"{_plural(len(imb), 'unit')} {verb} out of balance, led by "
                     f"{names.get(top['unit_id'], top['unit_id'])} (weakest leg: {leg})")
    else:
        parts.append("no unit is out of balance")
    div = ranked[ranked["kind"] == "divergence"]
    if len(div):
        top = div.iloc[0]
        whose = "unit's" if len(div) == 1 else "units'"
        parts.append(f"{len(div)} {whose} legs are pulling apart, led by "
                     f"{names.get(top['unit_id'], top['unit_id'])} "
                     f"({_pattern_phrase(top['pattern'], settings)})")
    ctl = ranked[ranked["kind"] == "control"]
    if len(ctl):
        units = ctl["unit_id"].nunique()
        parts.append(f"{_plural(len(ctl), 'reading')} in {_plural(units, 'unit')} "
                     f"{'falls' if len(ctl) == 1 else 'fall'} outside control limits")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def plain_summary(
    panel: pd.DataFrame,
    alerts: pd.DataFrame,
    settings: Settings = DEFAULT,
    period: str | None = None,
) -> str:
    """One paragraph of plain English on the month: changes, regions, alerts.

    Parameters
    ----------
    panel : pandas.DataFrame
        The unit x month panel of the selection (docs/panel.md), through the privacy
        layer (suppressed ESAT is simply not tested), with ``unit_name``, ``region`` and
        ``revenue`` if the regions and names are to be mentioned.
    alerts : pandas.DataFrame
        :func:`analytics.metrics.alerts.all_alerts` of ``period``: ``kind``, ``unit_id``,
        ``period``, ``leg``, ``pattern``, ``severity``. Rows of other periods are ignored.
    settings : Settings
        ``alpha``, ``min_group_size``, ``profit_metric``.
    period : str, optional
        'YYYY-MM'; the latest month of the panel by default.

    Returns
    -------
    str
        Three to four sentences: (1) in how many units CSAT and ESAT fell or rose
        *significantly* since the calendar month before (two-proportion z / Welch's t),
        with the number of such results chance alone would give; (2) up to two regions
        whose pooled ESAT or CSAT changed significantly, and how their revenue-weighted
        margin moved (untested), a region whose margin moved the other way first;
        (3) how many units are out of balance (imbalance alerts) and which leads, how
        many units' legs are pulling apart and how many readings are outside their
        control limits. Unit names appear as stored: render the text as text, not
        Markdown.

    Example
    -------
    >>> plain_summary(panel, all_alerts(panel))  # doctest: +SKIP
    'Between 2026-09 and 2026-10, CSAT fell significantly in 2 of 40 units and ...'
    """
    if panel.empty:
        return "There is no data for this selection."
    period = str(panel["period"].astype(str).max()) if period is None else period
    if "period" in alerts.columns:
        alerts = alerts[alerts["period"].astype(str) == period]
    sentences = [
        _changes_sentence(panel, period, settings),
        _region_sentence(panel, period, settings),
        _alerts_sentence(alerts, _names(panel), settings),
    ]
    return " ".join(s for s in sentences if s)
