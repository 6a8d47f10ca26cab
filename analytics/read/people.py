"""The People page's read API: employee figures with the confidentiality rules applied.

metrics.md §7 is enforced here, where the data is read, so that no page, filter or
download can obtain an employee figure of a group below ``Settings.min_group_size``:

1. **The selection.** Nothing is returned for a selection (months × units × departments)
   with fewer than ``min_group_size`` responses.
2. **Minimum difference.** A filter that leaves out a small group gives it away by
   comparison with the view without it (all departments minus "all but Admin" is Admin;
   months July to September minus August to September is July; region South minus units
   U4 and U5 is U6). :func:`analytics.access.privacy.difference_guard` refuses a selection (or a
   breakdown row) when one of its months, units (under an org filter) or departments
   (under a department filter) holds 1 to ``min_n - 1`` respondents, or when dropping its
   org and/or department filters adds 1 to ``min_n - 1``, as employee-survey tools do.
3. **Breakdowns** (by department, unit, region, division or month) are children of the
   selection total shown beside them: small rows are hidden, then
   :func:`analytics.access.privacy.complementary_suppress` hides a sibling so no hidden row is
   the total minus the shown rows, and a last pass hides the next-smallest sibling while
   the hidden rows *together* hold 1 to ``min_n - 1`` respondents (rows of 1 and 2
   answers are a group of 3 to the subtracting reader).
4. **Comments** need ``min_comment_group_size`` comments, under the same rules.

Hidden figures are NaN, never a number; ``suppressed`` (bool) and ``suppression``
(``'primary'``: too few responses, ``'complementary'``: hidden to protect another row,
``'difference'``: would reveal a small group by comparison) say why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from analytics.access.privacy import (
    CELL_KEYS,
    NOT_GIVEN,
    difference_guard,
    effective_units,
    shield_breakdown,
    suppressed_label,
)
from analytics.filters import ALL, Filters
from analytics.metrics import comments as text
from analytics.metrics import drivers as drv
from analytics.settings import DEFAULT, Settings
from analytics.store import queries, responses

#: group keys a People breakdown may use, with their labels
BREAKDOWNS: dict[str, str] = {"department": "Department", "region": "Region",
                              "division": "Division", "unit_id": "Unit", "period": "Month"}
#: each count and the figures computed from the respondents it counts
FIGURES: dict[str, tuple[str, ...]] = {
    "n_employee": ("esat_index", "esat_sd", "esat_sat_n", "esat_pct_satisfied"),
    "n_enps": ("enps", "enps_promoters", "enps_detractors"),
    "n_responses": ("response_rate",),
}


#: prefix of the suppression columns of each count ('' for the main figure)
_FLAG = {"n_enps": "enps_", "n_responses": "rate_"}


@dataclass(frozen=True)
class Selection:
    """Whether employee figures may be shown for a selection, and if not, why."""

    shown: bool
    reason: str | None = None  # 'no_data', 'small' or 'difference'
    message: str | None = None


def _keyed(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Missing group keys (a response without department) become their own labelled row."""
    for k in keys:
        if k in frame and frame[k].isna().any():
            frame[k] = frame[k].astype(object).where(frame[k].notna(), NOT_GIVEN)
    return frame


Reader = Callable[[Filters, tuple[str, ...]], pd.DataFrame]


def _groups(con: Any) -> Reader:
    return lambda f, by: responses.employee_groups(con, f, by)


def _cells(con: Any, read: Reader, filters: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """Counts per unit, month and department over the selection's months, every unit and
    department (what :func:`analytics.access.privacy.difference_guard` compares against)."""
    months = Filters(period_from=filters.period_from, period_to=filters.period_to)
    cells = read(months, CELL_KEYS)
    if any(k in ("region", "division") for k in by):
        org = queries.units(con)[["unit_id", "region", "division"]]
        cells = _keyed(cells.merge(org, on="unit_id", how="left"), ["region", "division"])
    return cells


def _differences(con: Any, read: Reader, filters: Filters, by: tuple[str, ...],
                 fixed: list[str], n_cols: list[str], min_n: int
                 ) -> tuple[pd.DataFrame, pd.DataFrame, tuple[str, str] | None]:
    """Rows of ``read(filters, by)`` and, per count, whether another view betrays them.

    The rule is :func:`analytics.access.privacy.difference_guard` (minimum difference over
    months, units and departments). Returns the rows, a bool frame per count column
    (True: refused) and the first problem found as (kind, what).
    """
    keys = [*by, *fixed]
    base = _keyed(read(filters, by), keys).reset_index(drop=True)
    units = effective_units(queries.units(con), filters.regions, filters.divisions,
                            filters.units)
    guard, problem = difference_guard(
        _cells(con, read, filters, by), n_cols, min_n, units=units,
        departments=filters.departments or None, by=by, fixed=fixed)
    if keys:
        guard = _keyed(guard, keys)
        unsafe = base[keys].merge(guard, on=keys, how="left")[n_cols]
    else:
        unsafe = guard[n_cols].iloc[[0] * len(base)]
    unsafe = unsafe.astype(object).fillna(True).astype(bool).set_axis(base.index)
    return base, unsafe, problem


def selection(con: Any, filters: Filters = ALL, s: Settings = DEFAULT) -> Selection:
    """Whether the selection may show employee figures (rules 1 and 2 of the module).

    Returns
    -------
    Selection
        ``shown``; else ``reason`` ('no_data', 'small' or 'difference') and a ``message``
        for the page that names no count.
    """
    base, unsafe, problem = _differences(con, _groups(con), filters, (), [], ["n_responses"],
                                         s.min_group_size)
    return _selection(base, unsafe, problem, s)


def _selection(base: pd.DataFrame, unsafe: pd.DataFrame, problem: tuple[str, str] | None,
               s: Settings) -> Selection:
    n = int(base["n_responses"].iloc[0])
    label = suppressed_label(s.min_group_size)
    if n == 0:
        return Selection(False, "no_data", "No employee responses in this selection.")
    if n < s.min_group_size:
        return Selection(False, "small", f"This selection has {label}, so no employee "
                         "figures are shown (confidentiality rule).")
    if unsafe["n_responses"].iloc[0]:
        return Selection(False, "difference", _refusal(problem, label, "responses"))
    return Selection(True)


def _refusal(problem: tuple[str, str] | None, label: str, what: str) -> str:
    """Why a filter combination is refused, in words, without any count."""
    kind, name = problem or ("difference", "filter")
    if kind == "atom":
        return (f"One {name} of this selection has {label}: comparing this view with one "
                f"without that {name} would reveal its answers by subtraction. Choose "
                f"{name}s with enough {what}, or a wider selection.")
    return (f"Compared with the same view without the {name} filter, this selection leaves "
            f"out {label}: showing it would reveal their answers by subtraction. Widen the "
            "selection to see employee figures.")


def summary(con: Any, filters: Filters = ALL, s: Settings = DEFAULT) -> dict[str, Any]:
    """ESAT, eNPS and response rate of the whole selection, or None figures if refused.

    Returns
    -------
    dict
        ``shown``, ``message`` (when refused), ``n_responses``, ``n_employee``,
        ``esat_index``, ``esat_pct_satisfied``, ``n_enps``, ``enps``, ``response_rate``
        (None under a department filter: headcount is per unit), ``headcount``.
    """
    out: dict[str, Any] = dict.fromkeys(("n_responses", "n_employee", "esat_index",
                                         "esat_pct_satisfied", "n_enps", "enps",
                                         "response_rate", "headcount"))
    base, unsafe, problem = _differences(con, _groups(con), filters, (), [],
                                         ["n_responses", "n_employee", "n_enps"],
                                         s.min_group_size)
    check = _selection(base, unsafe, problem, s)
    out.update(shown=check.shown, message=check.message)
    if not check.shown:
        return out
    row = {c: base[c].iloc[0] for c in base.columns}  # per column, so counts stay ints
    out["n_responses"] = int(row["n_responses"])
    shown_cols = {"n_employee": ("n_employee", "esat_index", "esat_pct_satisfied"),
                  "n_enps": ("n_enps", "enps")}
    for n_col, cols in shown_cols.items():
        ok = row[n_col] >= s.min_group_size and not unsafe[n_col].iloc[0]
        out.update({c: row[c].item() if ok and pd.notna(row[c]) else None for c in cols})
    if not filters.departments:
        rate = responses.response_rates(con, filters).iloc[0]
        out.update({c: None if pd.isna(rate[c]) else float(rate[c])
                    for c in ("response_rate", "headcount")})
    return out


def by_group(con: Any, filters: Filters = ALL, s: Settings = DEFAULT,
             by: str = "department") -> pd.DataFrame:
    """ESAT, eNPS and response rate per group (``by``: one of :data:`BREAKDOWNS`).

    Returns
    -------
    pandas.DataFrame
        One row per group, protected against the selection total: ``by`` (and
        ``unit_name`` for units), ``n_responses``, ``n_employee``, ``esat_index``,
        ``esat_pct_satisfied``, ``esat_sat_n``, ``esat_sd``, ``n_enps``, ``enps``,
        ``enps_promoters``, ``enps_detractors``, ``response_rate`` (NaN for departments
        and under a department filter), ``suppressed`` / ``suppression`` (ESAT),
        ``enps_suppressed`` / ``enps_suppression``, ``rate_suppressed`` /
        ``rate_suppression``. Empty when the selection is refused.
    """
    if by not in BREAKDOWNS:
        raise ValueError(f"cannot break employee figures down by {by!r}")
    if not selection(con, filters, s).shown:
        return pd.DataFrame(columns=[by, "n_employee", "esat_index", "enps", "suppressed"])
    n_cols = list(FIGURES)
    base, unsafe, _ = _differences(con, _groups(con), filters, (by,), [], n_cols, s.min_group_size)
    base["response_rate"] = np.nan
    if by != "department" and not filters.departments:
        rates = _keyed(responses.response_rates(con, filters, (by,)), [by])
        base["response_rate"] = base[[by]].merge(rates, on=by, how="left")["response_rate"]
    total = responses.employee_groups(con, filters).iloc[0]
    parents = {c: pd.Series(float(total[c]), index=base.index) for c in n_cols}
    out = shield_breakdown(base, [by], parents, unsafe, s.min_group_size, FIGURES, _FLAG)
    if by == "unit_id":
        names = queries.units(con)[["unit_id", "unit_name"]]
        out.insert(1, "unit_name", out[["unit_id"]].merge(names, how="left")["unit_name"])
    return out.drop(columns=["n_comments"])


def esat_vs_csat(con: Any, filters: Filters = ALL, s: Settings = DEFAULT,
                 by: str = "region") -> pd.DataFrame:
    """ESAT index (protected) beside CSAT % per group, for side-by-side bars.

    Returns
    -------
    pandas.DataFrame
        ``by``, ``esat_index``, ``suppressed``, ``suppression``, ``csat_pct``,
        ``n_customer``. CSAT covers all customers of the group (the department filter
        does not apply to customers) and is NaN when grouping by department.
    """
    table = by_group(con, filters, s, by)
    cols = [by, *(["unit_name"] if by == "unit_id" else []), "esat_index", "suppressed",
            "suppression"]
    if table.empty:
        return pd.DataFrame(columns=[*cols, "csat_pct", "n_customer"])
    out = table[[c for c in cols if c in table]].copy()
    if by == "department":
        return out.assign(csat_pct=np.nan, n_customer=np.nan)
    customers = _keyed(responses.customer_groups(con, replace(filters, departments=()),
                                                 (by,)), [by])
    return out.merge(customers[[by, "csat_pct", "n_customer"]], on=by, how="left")


def item_heatmap(con: Any, filters: Filters = ALL, s: Settings = DEFAULT,
                 by: str = "department") -> pd.DataFrame:
    """Each employee item's mean per group and its difference from the selection's mean.

    Each item is a parent (its selection mean is shown as the reference) whose children
    are the groups; cells are protected as a breakdown (module rules 1-3).

    Returns
    -------
    pandas.DataFrame
        Long: ``by``, ``item``, ``n``, ``mean`` (0-100), ``company_mean``, ``diff``
        (mean - company_mean, points), ``suppressed`` (bool; mean, diff and n NaN),
        ``suppression``. Empty when the selection is refused.
    """
    cols = [by, "item", "n", "mean", "company_mean", "diff", "suppressed", "suppression"]
    if by not in BREAKDOWNS:
        raise ValueError(f"cannot break employee items down by {by!r}")
    if not selection(con, filters, s).shown:
        return pd.DataFrame(columns=cols)
    min_n = s.min_group_size
    read = lambda f, keys: responses.item_means(con, "employee", f, keys)  # noqa: E731
    total, total_unsafe, _ = _differences(con, read, filters, (), ["item"], ["n"], min_n)
    total = total[(total["n"] >= min_n) & ~total_unsafe["n"]]
    base, unsafe, _ = _differences(con, read, filters, (by,), ["item"], ["n"], min_n)
    keep = base["item"].isin(total["item"]).to_numpy()
    base, unsafe = base[keep].reset_index(drop=True), unsafe[keep].reset_index(drop=True)
    base = base.merge(total[["item", "n", "mean"]].rename(
        columns={"n": "_item_n", "mean": "company_mean"}), on="item", how="left")
    base["diff"] = base["mean"] - base["company_mean"]
    out = shield_breakdown(base[["item", by, "n", "mean", "diff", "company_mean", "_item_n"]],
                           ["item", by], {"n": base["_item_n"].astype(float)}, unsafe, min_n,
                           {"n": ("mean", "diff")})
    return out[cols]


def enps_distribution(con: Any, filters: Filters = ALL, s: Settings = DEFAULT,
                      by: str | None = None) -> pd.DataFrame:
    """How many employees gave each eNPS point 0..10, for groups that may be shown.

    Returns
    -------
    pandas.DataFrame
        ``by`` (if given), ``score`` (0-10, every point present), ``n``, ``pct`` (of the
        group's eNPS answers), ``category`` ('detractor' 0-6, 'passive' 7-8, 'promoter'
        9-10). Groups that are suppressed (as in :func:`by_group`) are left out; empty
        when the selection is refused or has too few eNPS answers.
    """
    keys = [by] if by else []
    if by is not None and by not in BREAKDOWNS:
        raise ValueError(f"cannot break eNPS down by {by!r}")
    groups = (by_group(con, filters, s, by) if by else
              pd.DataFrame([summary(con, filters, s)]))
    if groups.empty or "n_enps" not in groups:
        return pd.DataFrame(columns=[*keys, "score", "n", "pct", "category"])
    shown = groups[groups["n_enps"].notna()][keys + ["n_enps"]]
    if shown.empty:
        return pd.DataFrame(columns=[*keys, "score", "n", "pct", "category"])
    counts = _keyed(responses.nps_distribution(con, "employee", filters, tuple(keys)), keys)
    grid = (shown[keys].merge(pd.DataFrame({"score": range(11)}), how="cross")
            if keys else pd.DataFrame({"score": range(11)}))
    out = grid.merge(counts, on=[*keys, "score"], how="left").fillna({"n": 0})
    out["n"] = out["n"].astype(int)
    out["pct"] = out["n"] * 100.0 / out.groupby(keys or (lambda _: 0))["n"].transform("sum")
    out["category"] = np.select([out["score"] <= 6, out["score"] <= 8],
                                ["detractor", "passive"], "promoter")
    return out


def drivers(con: Any, filters: Filters = ALL, s: Settings = DEFAULT) -> pd.DataFrame:
    """Employee items against ESAT as an importance × performance matrix.

    Items answered by fewer than ``min_group_size`` respondents are left out. Columns as
    :func:`analytics.metrics.drivers.importance_performance`; empty when the selection is refused.
    """
    if not selection(con, filters, s).shown:
        return pd.DataFrame(columns=list(drv.COLUMNS))
    items = responses.item_correlations(con, "employee", filters)
    items = items[items["n"] >= s.min_group_size]
    return drv.importance_performance(items, min_n=s.min_corr_n, alpha=s.alpha)


@lru_cache(maxsize=1)
def _empty_analysis() -> dict[str, pd.DataFrame]:
    return text.analyse(pd.DataFrame({"comment": pd.Series(dtype=str)}))


def _no_comments() -> dict[str, pd.DataFrame]:
    """:func:`analytics.metrics.comments.analyse` of no comments (worked out once, copied)."""
    return {k: v.copy() for k, v in _empty_analysis().items()}


def comments(con: Any, filters: Filters = ALL, s: Settings = DEFAULT,
             limit: int = 500) -> dict[str, Any]:
    """Employee comments of the selection with sentiment and themes, or nothing.

    Returns
    -------
    dict
        ``shown`` (bool), ``message`` (why not), and the frames of
        :func:`analytics.metrics.comments.analyse` (``comments``, ``summary``, ``themes``), empty
        unless the selection may be shown and holds ``min_comment_group_size`` comments
        under rules 2 and 4. At most ``limit`` comments (latest months first) are read.
    """
    empty = _no_comments()
    check = selection(con, filters, s)
    if not check.shown:
        return {"shown": False, "message": check.message, **empty}
    min_c = s.min_comment_group_size  # comment counts go through rules 1-2 like responses
    base, unsafe, problem = _differences(con, _groups(con), filters, (), [], ["n_comments"], min_c)
    if int(base["n_comments"].iloc[0]) < min_c:
        return {"shown": False, **empty,
                "message": f"Comments are shown for groups of at least {min_c} comments; "
                           "this selection has fewer."}
    if unsafe.to_numpy().any():
        return {"shown": False, **empty,
                "message": _refusal(problem, f"fewer than {min_c} comments", "comments")}
    frame = responses.comments(con, "employee", filters, (), limit)
    return {"shown": True, "message": None,
            **text.analyse(frame, min_group_size=min_c)}
