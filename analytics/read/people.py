"""The People page's read API: employee figures from the published table set only.

metrics.md §7 is enforced here and in :mod:`analytics.read.published`, where the data is
read, so that no page, filter or download can obtain an employee figure of a group below
``Settings.min_group_size``, alone or combined with any other figure:

1. **Published groups only.** Every figure is added up from the groups of the published
   table set (unit / region / division / company × month; department and unit ×
   department × complete quarter), decided and audited as a whole at each data version
   (:mod:`analytics.access.tables`). A selection that is no union of published groups
   shows no figure, whatever its size.
2. **Two grains.** Without a department filter, figures are per month. Department
   figures exist per *complete calendar quarter* (:func:`grain`): a range of months uses
   the quarters inside it, a single month the latest complete quarter, and the page says
   which. A unit's departments under the minimum are published together as "Other
   departments".
3. **Comments** are published in fixed lists (one per unit and complete quarter, or
   pooled per region or company when a unit has fewer than
   ``min_comment_group_size``): a selection shows the lists that lie wholly inside it,
   with their themes and sentiment; a comment is in exactly one list.

Hidden figures are NaN, never a number; ``suppressed`` (bool) and ``suppression``
(``'primary'``: the group itself is too small, ``'complementary'``: hidden so that no
smaller group can be worked out, ``'unpublished'``: not a group the table set publishes)
say why.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from analytics.access import tables
from analytics.access.privacy import effective_units, suppressed_label
from analytics.filters import ALL, Filters
from analytics.metrics import comments as text
from analytics.metrics import drivers as drv
from analytics.read import published
from analytics.settings import DEFAULT, Settings
from analytics.store import cells as store_cells
from analytics.store import queries, responses

#: group keys a People breakdown may use, with their labels
BREAKDOWNS: dict[str, str] = {"department": "Department", "region": "Region",
                              "division": "Division", "unit_id": "Unit", "period": "Month"}
#: the columns of a breakdown row
GROUP_COLUMNS = ("n_responses", "n_employee", "esat_index", "esat_pct_satisfied",
                 "esat_sat_n", "esat_sd", "n_enps", "enps", "enps_promoters",
                 "enps_detractors", "response_rate")


@dataclass(frozen=True)
class Selection:
    """Whether employee figures may be shown for a selection, and if not, why."""

    shown: bool
    reason: str | None = None  # 'no_data', 'unpublished'
    message: str | None = None
    months: str | None = None  # the months the figures describe, when not the selection's


@dataclass(frozen=True)
class Grain:
    """The scope a People read uses: its units, months and departments, and a label."""

    scope: published.Scope
    label: str | None  # e.g. "2025-Q3 (Jul-Sep)" when department figures snap to quarters


def _ts(con: Any, s: Settings) -> published.TableSet:
    return published.table_set(con, s)


def _units(ts: published.TableSet, f: Filters) -> frozenset[str]:
    chosen = effective_units(ts.units, f.regions, f.divisions, f.units)
    units = set(ts.units["unit_id"].astype(str)) if chosen is None else set(chosen)
    if f.scope is not None:
        units &= set(f.scope)
    return frozenset(units)


def _quarter_label(quarters: list[str]) -> str:
    def one(q: str) -> str:
        months = tables.quarter_months(q)
        first, last = (pd.Period(months[0]).strftime("%b"), pd.Period(months[-1]).strftime("%b"))
        return f"{q} ({first}-{last})"
    return ", ".join(one(q) for q in quarters)


def grain(ts: published.TableSet, f: Filters, departments: bool = False) -> Grain:
    """The scope of ``f``: per month, or per complete quarter when departments matter
    (a department filter, or a breakdown by department)."""
    units = _units(ts, f)
    months = published.months_of(ts, f.period_from, f.period_to)
    if not (departments or f.departments):
        return Grain(published.Scope(units, months), None)
    quarters = published.quarters_for(ts, months)
    q_months = tuple(m for q in quarters for m in tables.quarter_months(q))
    label = _quarter_label(quarters) if quarters else None
    return Grain(published.Scope(units, q_months, tuple(f.departments)), label)


def _departments(ts: published.TableSet, g: Grain) -> list[str]:
    """Every department with respondents in the grain's units and quarters."""
    present = ts.present("esat") if "esat" in ts.groups else {}
    quarters = set(tables.quarter_of(pd.Series(list(g.scope.months)))) if g.scope.months \
        else set()
    return sorted({k[1] for k, units in present.items()
                   if k[0] == "dept" and k[2] in quarters and units & g.scope.units})


def _with_departments(ts: published.TableSet, g: Grain) -> published.Scope:
    """A quarter-grain scope names its departments (all of them when none is chosen)."""
    if g.scope.departments or not g.label:
        return g.scope
    return replace(g.scope, departments=tuple(_departments(ts, g)))


def _reason(ts: published.TableSet, family: str, scope: published.Scope) -> str:
    """Why a scope has no published figure: its own group is small ('primary'), a group
    it needs is hidden ('complementary'), or it is no group of the set ('unpublished')."""
    if family not in ts.groups:
        return "unpublished"
    g, idx = ts.groups[family], ts.index(family)
    quarters = set(tables.quarter_of(pd.Series(list(scope.months)))) if scope.months \
        else set()
    everyone = set(ts.units["unit_id"].astype(str))
    if scope.departments and scope.units >= everyone:
        whole = [idx[k] for k in (("department_quarter", d, q) for d in scope.departments
                                  for q in quarters) if k in idx]
        why = set(g.loc[whole, "why"][g.loc[whole, "hidden"]])
        if why:
            return "primary" if why == {"primary"} else "complementary"
    if scope.departments:
        keys = [("unit_department_quarter", u, d, q) for u in scope.units
                for d in scope.departments for q in quarters]
    else:
        keys = [("unit_month", u, m) for u in scope.units for m in scope.months]
    rows = [idx[k] for k in keys if k in idx]
    if not rows:
        return "unpublished"
    hidden = g.loc[rows]
    hidden = hidden[hidden["hidden"]]
    if hidden.empty:
        return "unpublished"
    if len(rows) == 1 and hidden["why"].eq("primary").all():
        return "primary"
    return "complementary"


def _message(reason: str, min_n: int, label: str | None) -> str:
    if reason == "no_data":
        return ("No employee responses in this selection." if label is None else
                f"No employee responses in {label}.")
    if reason == "primary":
        return (f"This selection has {suppressed_label(min_n)}, so no employee figures "
                "are shown (confidentiality rule).")
    if reason == "complementary":
        return ("Employee figures for this selection are hidden so that no group of "
                f"{suppressed_label(min_n)} can be worked out from other figures "
                "(confidentiality rule). Widen the selection, or choose whole regions.")
    return ("Employee figures are published for units, regions, divisions and the company "
            "per month, and for departments per complete calendar quarter (a unit's small "
            "departments together as 'Other departments'); this selection is not one of "
            "them. Widen it, or remove the department filter.")


def selection(con: Any, filters: Filters = ALL, s: Settings = DEFAULT) -> Selection:
    """Whether the selection has published employee figures.

    Returns
    -------
    Selection
        ``shown``; else ``reason`` ('no_data', 'primary', 'complementary' or
        'unpublished') and a ``message`` for the page that names no count; ``months``
        says which quarter(s) department figures describe.
    """
    ts = _ts(con, s)
    g = grain(ts, filters)
    if not g.scope.units or not g.scope.months:
        return Selection(False, "no_data", _message("no_data", s.min_group_size, g.label),
                         g.label)
    c = published.counts(ts, "esat", g.scope) if "esat" in ts.groups else np.zeros(0)
    if c is None:
        why = _reason(ts, "esat", g.scope)
        return Selection(False, why, _message(why, s.min_group_size, g.label), g.label)
    if c.sum() == 0:
        return Selection(False, "no_data", _message("no_data", s.min_group_size, g.label),
                         g.label)
    return Selection(True, months=g.label)


def quarters(con: Any, filters: Filters = ALL, s: Settings = DEFAULT) -> str | None:
    """The complete quarter(s) department figures of ``filters`` describe, in words."""
    return grain(_ts(con, s), filters, departments=True).label


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def summary(con: Any, filters: Filters = ALL, s: Settings = DEFAULT) -> dict[str, Any]:
    """ESAT, eNPS and response rate of the whole selection, or None figures if refused.

    Returns
    -------
    dict
        ``shown``, ``message`` (when refused), ``months`` (the quarter(s) of department
        figures), ``n_responses``, ``n_employee``, ``esat_index``,
        ``esat_pct_satisfied``, ``n_enps``, ``enps``, ``response_rate`` (None under a
        department filter: headcount is per unit), ``headcount``.
    """
    out: dict[str, Any] = dict.fromkeys(("n_responses", "n_employee", "esat_index",
                                         "esat_pct_satisfied", "n_enps", "enps",
                                         "response_rate", "headcount"))
    check = selection(con, filters, s)
    out.update(shown=check.shown, message=check.message, months=check.months)
    if not check.shown:
        return out
    ts = _ts(con, s)
    g = grain(ts, filters)
    figs = published.selection(ts, g.scope)
    for col in ("n_employee", "esat_index", "esat_pct_satisfied", "n_enps", "enps"):
        out[col] = _plain(figs.get(col))
    for col in ("n_employee", "n_enps"):
        out[col] = None if out[col] is None else int(out[col])
    n_resp = figs.get("n_responses")
    out["n_responses"] = int(n_resp) if n_resp is not None else out["n_employee"]
    out["response_rate"], out["headcount"] = published.response_rate(ts, g.scope)
    return out


def _rows(ts: published.TableSet, f: Filters, by: str) -> tuple[Grain, list[tuple]]:
    """The grain of a ``by`` breakdown and its rows: (label, scope) pairs."""
    g = grain(ts, f, departments=by == "department")
    scope = g.scope
    if by == "department":
        depts = list(f.departments) or _departments(ts, g)
        quarters = sorted(set(tables.quarter_of(pd.Series(list(scope.months))))) \
            if scope.months else []
        if len(scope.units) == 1 and not f.departments and "esat" in ts.groups:
            # one unit: its pooled departments are in its "Other departments" row
            present = ts.present("esat")
            pooled = {d for d in depts for q in quarters
                      if scope.units & present.get(("pooled", d, q), set())}
            depts = [d for d in depts if d not in pooled]
        rows = [(d, replace(scope, departments=(d,))) for d in depts]
        if len(scope.units) == 1 and "esat" in ts.groups and not f.departments and any(
                ("unit_department_quarter", next(iter(scope.units)), tables.OTHER, q)
                in ts.index("esat") for q in quarters):
            rows.append((tables.OTHER, replace(scope, departments=(tables.OTHER,))))
        return g, rows
    if by == "period":
        return g, [(m, replace(scope, months=(m,))) for m in scope.months]
    if by == "unit_id":
        return g, [(u, replace(scope, units=frozenset({u}))) for u in sorted(scope.units)]
    present = ts.present("esat") if "esat" in ts.groups else {}
    rows = []
    for key, members in sorted(present.items()):
        if key[0] == "org" and key[1] == by and members & scope.units:
            rows.append((key[2], replace(scope, units=frozenset(members & scope.units))))
    return g, rows


def _other_cover(ts: published.TableSet, family: str, scope: published.Scope
                 ) -> np.ndarray | None:
    """Counts of one unit's :data:`analytics.access.tables.OTHER` group over quarters."""
    if family not in ts.groups:
        return np.zeros(0)
    idx, g = ts.index(family), ts.groups[family]
    u = next(iter(scope.units))
    k = [f"k{i}" for i in range(len(ts.keys[family]))]
    total = np.zeros(len(k))
    for q in sorted(set(tables.quarter_of(pd.Series(list(scope.months))))):
        row = idx.get(("unit_department_quarter", u, tables.OTHER, q))
        if row is None:
            continue
        if g.at[row, "hidden"]:
            return None
        total += g.loc[row, k].to_numpy(dtype=float)
    return total


def _row_figures(ts: published.TableSet, scope: published.Scope) -> dict[str, Any]:
    if scope.departments == (tables.OTHER,):
        out: dict[str, Any] = {}
        for family, cols in published.PANEL_COLUMNS.items():
            c = _other_cover(ts, family, scope)
            out.update({k: v for k, v in published.figures(ts, family, c).items()
                        if k in cols})
            out[published.FLAGS[family]] = c is None
        out["n_responses"], out["esat_sd"] = None, None
        return out
    return published.selection(ts, scope)


def by_group(con: Any, filters: Filters = ALL, s: Settings = DEFAULT,
             by: str = "department") -> pd.DataFrame:
    """ESAT, eNPS and response rate per group (``by``: one of :data:`BREAKDOWNS`).

    Returns
    -------
    pandas.DataFrame
        One row per group: ``by`` (and ``unit_name`` for units), ``n_responses``,
        ``n_employee``, ``esat_index``, ``esat_pct_satisfied``, ``esat_sat_n``,
        ``esat_sd``, ``n_enps``, ``enps``, ``enps_promoters``, ``enps_detractors``,
        ``response_rate`` (NaN for departments), ``suppressed`` / ``suppression``
        (ESAT), ``enps_suppressed`` / ``enps_suppression``, ``rate_suppressed`` /
        ``rate_suppression``. Department rows describe the quarter(s) of
        :func:`grain`; a unit's small departments are one row, "Other departments".
        Empty when the selection is refused.
    """
    if by not in BREAKDOWNS:
        raise ValueError(f"cannot break employee figures down by {by!r}")
    cols = [by, *GROUP_COLUMNS, "suppressed", "suppression", "enps_suppressed",
            "enps_suppression", "rate_suppressed", "rate_suppression"]
    if not selection(con, filters, s).shown:
        return pd.DataFrame(columns=cols)
    ts = _ts(con, s)
    _g, rows = _rows(ts, filters, by)
    out = []
    for label, scope in rows:
        if by == "department" and not scope.departments:
            continue
        figs = _row_figures(ts, scope)
        row = {by: label, **{c: figs.get(c) for c in GROUP_COLUMNS}}
        for family, (flag, why) in {"esat": ("suppressed", "suppression"),
                                    "enps": ("enps_suppressed", "enps_suppression")}.items():
            hidden = bool(figs.get(published.FLAGS[family]))
            row[flag] = hidden
            row[why] = _reason(ts, family, scope) if hidden else None
        out.append(row)
    frame = pd.DataFrame(out, columns=[by, *GROUP_COLUMNS, "suppressed", "suppression",
                                       "enps_suppressed", "enps_suppression"])
    for c in GROUP_COLUMNS:
        frame[c] = pd.to_numeric(frame[c], errors="coerce")
    frame = frame[(frame["n_employee"].fillna(0) > 0) | frame["suppressed"]]
    frame = frame.reset_index(drop=True)
    rates = {label: published.response_rate(ts, scope)[0] for label, scope in rows}
    frame["response_rate"] = pd.to_numeric(frame[by].map(rates), errors="coerce")
    frame["rate_suppressed"] = frame["response_rate"].isna() & frame["suppressed"]
    frame["rate_suppression"] = frame["suppression"].where(frame["rate_suppressed"])
    if by == "unit_id":
        names = queries.units(con)[["unit_id", "unit_name"]]
        frame.insert(1, "unit_name", frame[["unit_id"]].merge(names, how="left")["unit_name"])
    return frame


def esat_vs_csat(con: Any, filters: Filters = ALL, s: Settings = DEFAULT,
                 by: str = "region") -> pd.DataFrame:
    """ESAT index (published groups) beside CSAT % per group, for side-by-side bars.

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
    customers = responses.customer_groups(con, replace(filters, departments=()), (by,))
    customers[by] = customers[by].astype(str)
    out[by] = out[by].astype(str)
    return out.merge(customers[[by, "csat_pct", "n_customer"]], on=by, how="left")


def item_heatmap(con: Any, filters: Filters = ALL, s: Settings = DEFAULT,
                 by: str = "department") -> pd.DataFrame:
    """Each employee item's mean per group and its difference from the selection's mean.

    Returns
    -------
    pandas.DataFrame
        Long: ``by``, ``item``, ``n``, ``mean`` (0-100), ``company_mean`` (the
        selection's), ``diff`` (mean - company_mean, points), ``suppressed`` (bool; mean,
        diff and n NaN), ``suppression``. Items whose selection mean is not published are
        left out; empty when the selection is refused.
    """
    cols = [by, "item", "n", "mean", "company_mean", "diff", "suppressed", "suppression"]
    if by not in BREAKDOWNS:
        raise ValueError(f"cannot break employee items down by {by!r}")
    if not selection(con, filters, s).shown:
        return pd.DataFrame(columns=cols)
    ts = _ts(con, s)
    g, rows = _rows(ts, filters, by)
    whole = _with_departments(ts, g) if by == "department" else g.scope
    out = []
    for item in ts.items():
        family = f"item:{item}"
        total = published.figures(ts, family, published.counts(ts, family, whole))
        if total["mean"] is None:
            continue
        for label, scope in rows:
            if scope.departments == (tables.OTHER,):
                c = _other_cover(ts, family, scope)
            else:
                c = published.counts(ts, family, scope)
            fig = published.figures(ts, family, c)
            if c is not None and not fig["n"]:
                continue
            hidden = c is None
            out.append({by: label, "item": item, "n": fig["n"], "mean": fig["mean"],
                        "company_mean": total["mean"],
                        "diff": None if hidden else fig["mean"] - total["mean"],
                        "suppressed": hidden,
                        "suppression": _reason(ts, family, scope) if hidden else None})
    frame = pd.DataFrame(out, columns=cols)
    for c in ("n", "mean", "company_mean", "diff"):
        frame[c] = pd.to_numeric(frame[c], errors="coerce")
    return frame


def enps_distribution(con: Any, filters: Filters = ALL, s: Settings = DEFAULT,
                      by: str | None = None) -> pd.DataFrame:
    """How many employees are detractors (0-6), passives (7-8) and promoters (9-10).

    eNPS is published in these three categories only (never a group's 0-10 histogram).

    Returns
    -------
    pandas.DataFrame
        ``by`` (if given), ``category`` ('detractor', 'passive', 'promoter'), ``n``,
        ``pct`` (of the group's eNPS answers). Groups whose eNPS is hidden are left out;
        empty when the selection is refused or eNPS was not asked.
    """
    keys = [by] if by else []
    out_cols = [*keys, "category", "n", "pct"]
    if by is not None and by not in BREAKDOWNS:
        raise ValueError(f"cannot break eNPS down by {by!r}")
    if not selection(con, filters, s).shown:
        return pd.DataFrame(columns=out_cols)
    ts = _ts(con, s)
    if "enps" not in ts.groups:
        return pd.DataFrame(columns=out_cols)
    if by is None:
        rows = [(None, grain(ts, filters).scope)]
    else:
        rows = _rows(ts, filters, by)[1]
    codes = ts.keys["enps"]["value"].to_numpy(dtype=float).astype(int)
    out = []
    for label, scope in rows:
        c = (_other_cover(ts, "enps", scope) if scope.departments == (tables.OTHER,)
             else published.counts(ts, "enps", scope))
        if c is None or c.sum() == 0:
            continue
        for code, name in tables.ENPS_CATEGORIES.items():
            n = float(c[codes == code].sum())
            out.append({**({by: label} if by else {}), "category": name, "n": int(n),
                        "pct": n * 100.0 / float(c.sum())})
    return pd.DataFrame(out, columns=out_cols)


def drivers(con: Any, filters: Filters = ALL, s: Settings = DEFAULT) -> pd.DataFrame:
    """Employee items against ESAT as an importance × performance matrix.

    Each item's correlation with ESAT and its mean come from the pair sums of the
    published item groups that make up the selection (a selection that is no such union
    shows none). Spearman's rho needs the answers themselves, so it is not given.
    Columns as :func:`analytics.metrics.drivers.importance_performance`.
    """
    if not selection(con, filters, s).shown:
        return pd.DataFrame(columns=list(drv.COLUMNS))
    ts = _ts(con, s)
    g = grain(ts, filters)
    rows = []
    for item in ts.items():
        family = f"item:{item}"
        cover = published.cover(ts, family, g.scope)
        if cover is None or not cover:
            continue
        n, sx, sy, sxx, syy, sxy = published.pair_sums(
            ts, item, published.group_keys(ts, family, cover))
        if n < s.min_group_size:
            continue
        vx, vy = sxx - sx * sx / n, syy - sy * sy / n
        r = (sxy - sx * sy / n) / np.sqrt(vx * vy) if vx > 1e-9 and vy > 1e-9 else np.nan
        rows.append({"item": item, "n": int(n), "mean": sx / n,
                     "sd": np.sqrt(vx / (n - 1)) if n > 1 else np.nan, "r": r,
                     "rho": np.nan})
    items = pd.DataFrame(rows, columns=["item", "n", "mean", "sd", "r", "rho"])
    return drv.importance_performance(items, min_n=s.min_corr_n, alpha=s.alpha)


@lru_cache(maxsize=1)
def _empty_analysis() -> dict[str, pd.DataFrame]:
    return text.analyse(pd.DataFrame({"comment": pd.Series(dtype=str)}))


def _no_comments() -> dict[str, pd.DataFrame]:
    """:func:`analytics.metrics.comments.analyse` of no comments (worked out once, copied)."""
    return {k: v.copy() for k, v in _empty_analysis().items()}


def comment_lists(con: Any, filters: Filters = ALL, s: Settings = DEFAULT
                  ) -> tuple[pd.DataFrame, str | None]:
    """The published comment lists wholly inside the selection, and the quarter(s) they
    are of (every list is a unit's, or a region's or the company's other units', in one
    complete quarter)."""
    ts = _ts(con, s)
    lists = ts.comment_lists
    g = grain(ts, replace(filters, departments=()), departments=True)
    if lists.empty or not g.scope.months:
        return lists.iloc[:0], g.label
    quarters = set(tables.quarter_of(pd.Series(list(g.scope.months))))
    part = lists[lists["quarter"].isin(quarters)]
    everyone = set(ts.units["unit_id"].astype(str))
    regions = ts.units.assign(region=ts.units["region"].astype(object).where(
        ts.units["region"].notna(), tables.NO_ORG).astype(str))
    keep = []
    for name, members in part.groupby("list")["unit_id"]:
        kind = name.split(":", 1)[0]
        if kind == "unit":
            ok = set(members) <= g.scope.units
        elif kind == "region":
            region = part.loc[part["list"] == name, "region"].iloc[0]
            ok = set(regions.loc[regions["region"] == region, "unit_id"].astype(str)) \
                <= g.scope.units
        else:
            ok = everyone <= g.scope.units
        if ok:
            keep.append(name)
    return part[part["list"].isin(keep)].reset_index(drop=True), g.label


def comments(con: Any, filters: Filters = ALL, s: Settings = DEFAULT,
             limit: int = 500) -> dict[str, Any]:
    """Employee comments of the published lists inside the selection, with sentiment
    and themes, or nothing.

    Returns
    -------
    dict
        ``shown`` (bool), ``message`` (why not), ``months`` (the quarter(s) of the
        lists), ``lists`` (how many) and the frames of
        :func:`analytics.metrics.comments.analyse` (``comments``, ``summary``,
        ``themes``). At most ``limit`` comments are read, in an order that says nothing
        about where or when each was written.
    """
    empty = _no_comments()
    min_c = s.min_comment_group_size
    if filters.departments:
        return {"shown": False, "months": None, "lists": 0, **empty,
                "message": "Comments are published per unit and quarter, not per "
                           "department: remove the department filter to read them."}
    lists, label = comment_lists(con, filters, s)
    if lists.empty:
        where = f" in {label}" if label else ""
        return {"shown": False, "months": label, "lists": 0, **empty,
                "message": f"No comment list is published for this selection{where}. "
                           f"Comments are published per unit and complete quarter when a "
                           f"unit has at least {min_c}; a region's or the company's "
                           "other units share one list, shown when the selection holds "
                           "all of them."}
    frame = store_cells.employee_comments_of(con, lists[["unit_id", "period"]], limit)
    return {"shown": True, "message": None, "months": label,
            "lists": int(lists["list"].nunique()),
            **text.analyse(frame, min_group_size=min_c)}
