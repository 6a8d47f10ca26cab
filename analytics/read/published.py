"""Employee figures from the published table set only (metrics.md §7, issue 15).

:mod:`analytics.access.tables` decides, once per data version, which groups of the fixed
table set (unit × month, region / division / company × month, department × year, unit ×
department × year) are published and which are hidden, and audits the whole set. This
module holds that decision for the reads: a unit-month's employee figures are shown when
its ``unit_month`` group is published, and the figure of any other selection (a month
range, a region, several units) only when the selection is a union of published groups
(:func:`selection_shown`): then it is a sum of published figures and tells a reader
nothing the published set does not. Customer and margin figures are not affected.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from analytics.access import tables
from analytics.filters import ALL, Filters
from analytics.settings import Settings
from analytics.store import kept, queries, responses

#: the store's cells (unit x month x department)
CELL_KEYS = ("unit_id", "period", "department")
#: the figures each family's decision hides (the counts with them)
FAMILY_COLUMNS: dict[str, tuple[str, ...]] = {
    "n_employee": ("n_employee", "esat_index", "esat_sd", "esat_sat_n",
                   "esat_pct_satisfied", "response_rate"),
    "n_enps": ("n_enps", "enps_promoters", "enps_detractors", "enps"),
}
#: the flag column each family's decision writes
FLAGS = {"n_employee": "suppressed", "n_enps": "enps_suppressed"}


@dataclass
class TableSet:
    """The published set of one data version: per family, every group and whether it is
    hidden (``table``, the keys, ``n``, ``hidden``, ``why``); and the units' org columns."""

    groups: dict[str, pd.DataFrame]
    units: pd.DataFrame
    audits: dict[str, tables.Audit] | None = None

    def hidden(self, family: str, table: str) -> pd.DataFrame:
        g = self.groups[family]
        return g[g["table"] == table]


#: the columns of a family's groups when it has no respondents at all
_EMPTY = {"table": object, "unit_id": object, "period": object, "region": object,
          "division": object, "department": object, "year": object, "n": float,
          "hidden": bool, "why": object}
_MEMO: dict[tuple, TableSet] = {}
_LOCK = threading.Lock()


def _protect(cells: pd.DataFrame, s: Settings, family: str) -> list[tables.Published]:
    """One protected set per calendar year (no table links two years)."""
    return [tables.protect(part.reset_index(drop=True), s.min_group_size, family)
            for _year, part in cells.groupby("year", sort=True)
            if (part[family] > 0).any()]


def build(con: Any, s: Settings, with_audit: bool = False,
          units: tuple[str, ...] | None = None) -> TableSet:
    """Decide the published set of the current data (and audit it when asked: all of it,
    or what a reader scoped to ``units`` sees of it)."""
    raw = responses.employee_groups(con, ALL, CELL_KEYS)
    org = queries.units(con)
    raw = raw.merge(org[["unit_id", "region", "division"]], on="unit_id", how="left")
    cells = tables.cell_frame(raw)
    groups, audits = {}, {}
    for family in tables.FAMILIES:
        parts = _protect(cells, s, family)
        frames = [p.groups for p in parts]
        groups[family] = (pd.concat(frames, ignore_index=True) if frames else
                          pd.DataFrame(columns=list(_EMPTY)).astype(_EMPTY))
        if with_audit:
            found = [tables.audit(tables.visible_to(p, units)) for p in parts]
            audits[family] = tables.Audit(
                sum(a.published for a in found), sum(a.hidden for a in found),
                sum(a.targets for a in found), [f for a in found for f in a.failed],
                min((a.narrowest for a in found), default=float("inf")))
    return TableSet(groups, org, audits if with_audit else None)


def table_set(con: Any, s: Settings) -> TableSet:
    """:func:`build` once per data content and minimum group size: held in this process
    and read from what the warm-up kept beside the database (:func:`keep`), so the app
    reads what the command line's warm-up decided; copies of one database share it."""
    at = kept.content_key(con)
    key = (at, s.min_group_size)
    with _LOCK:
        hit = _MEMO.get(key)
    if hit is not None:
        return hit
    name, arg = "published_groups", kept.key_of(s.min_group_size)
    try:
        stored = kept.read(con, at, name, arg)
    except Exception:  # noqa: BLE001 - a kept decision is only a shortcut
        stored = None
    if isinstance(stored, dict) and set(stored) == set(tables.FAMILIES):
        made = TableSet(stored, queries.units(con))
    else:
        made = build(con, s)
    with _LOCK:
        _MEMO.clear()  # one version at a time is all a process reads
        _MEMO[key] = made
    return made


def keep(con: Any, at: str, s: Settings) -> None:
    """Keep the published set of the data ``at`` beside the database (the warm-up calls
    this after a load, so the app's first page reads the decision instead of making it)."""
    ts = table_set(con, s)
    kept.write(con, at, "published_groups", kept.key_of(s.min_group_size), ts.groups)


def _shown_pairs(ts: TableSet, family: str, table: str, keys: tuple[str, ...]
                 ) -> tuple[set[tuple], set[tuple]]:
    """(shown, hidden) key tuples of a table's groups with respondents."""
    g = ts.hidden(family, table)
    g = g[g["n"] > 0]
    tuples = list(zip(*(g[k].astype(str) for k in keys), strict=True))
    hidden = g["hidden"].to_numpy()
    return ({t for t, h in zip(tuples, hidden, strict=True) if not h},
            {t for t, h in zip(tuples, hidden, strict=True) if h})


def _months(periods: Iterable[str], f: Filters) -> list[str]:
    return [p for p in periods if (not f.period_from or p >= f.period_from)
            and (not f.period_to or p <= f.period_to)]


def _covered(ts: TableSet, family: str, table: str, keys: Iterable[tuple]) -> bool:
    """No group of ``keys`` in ``table`` is hidden (a key with no respondents is no group)."""
    _shown, hidden = _shown_pairs(ts, family, table, tables.TABLES[table])
    return not any(k in hidden for k in keys)


def selection_shown(ts: TableSet, family: str, f: Filters) -> bool:
    """Whether the employee figure of ``f`` (departments ignored) is a union of
    published groups: the company's months, some regions' or divisions' months, or the
    selected units' months, none of them hidden."""
    org = ts.units
    g = ts.groups[family]
    periods = sorted(set(g.loc[g["table"] == "company_month", "period"].astype(str)))
    months = _months(periods, f)
    all_units = set(org["unit_id"].astype(str))
    chosen = org
    for col, values in (("region", f.regions), ("division", f.divisions),
                        ("unit_id", f.units)):
        if values:
            chosen = chosen[chosen[col].isin(list(values))]
    units = set(chosen["unit_id"].astype(str))
    if f.scope is not None:
        units &= set(f.scope)
    if not units or not months:
        return True  # nothing selected: an empty figure
    if units == all_units and _covered(ts, family, "company_month", ((m,) for m in months)):
        return True
    for col, table in (("region", "region_month"), ("division", "division_month")):
        names = set(chosen[col].dropna().astype(str))
        whole = set(org.loc[org[col].astype(str).isin(names), "unit_id"].astype(str))
        if names and whole == units and _covered(
                ts, family, table, ((r, m) for r in names for m in months)):
            return True
    return _covered(ts, family, "unit_month", ((u, m) for u in units for m in months))


def hide_unit_months(ts: TableSet, frame: pd.DataFrame) -> pd.DataFrame:
    """Blank the employee figures of ``frame``'s unit-months whose group is hidden (or
    has fewer respondents than any group: not in the set), with the flag columns."""
    out = frame.copy()
    for family, cols in FAMILY_COLUMNS.items():
        shown, _hidden = _shown_pairs(ts, family, "unit_month", ("unit_id", "period"))
        keys = zip(out["unit_id"].astype(str), out["period"].astype(str), strict=True)
        n = pd.to_numeric(out.get(family), errors="coerce").fillna(0).to_numpy()
        ok = np.array([k in shown for k in keys], dtype=bool) & (n > 0)
        empty = n == 0
        for c in cols:
            if c in out:
                out[c] = out[c].where(ok)
        out[FLAGS[family]] = ~ok & ~empty
    return out


def hide_rows(ts: TableSet, frame: pd.DataFrame, f: Filters, by: tuple[str, ...],
              s: Settings) -> pd.DataFrame:
    """Blank the employee figures of each row of a ``by`` breakdown of ``f`` that is not a
    union of published groups (each row's selection is ``f`` narrowed to its keys), or
    that has fewer than ``min_group_size`` respondents."""
    out = frame.copy()
    fields = {"region": "regions", "division": "divisions", "unit_id": "units"}

    def narrowed(row: dict) -> Filters:
        rf = f
        for k in by:
            value = str(row[k])
            rf = rf.with_period(value) if k == "period" else replace(rf, **{fields[k]: (value,)})
        return rf

    rows = out[list(by)].to_dict("records") if by else [{}] * len(out)
    selections = [narrowed(r) for r in rows]
    for family, cols in FAMILY_COLUMNS.items():
        n = pd.to_numeric(out.get(family), errors="coerce").fillna(0).to_numpy()
        ok = np.array([selection_shown(ts, family, rf) for rf in selections], dtype=bool)
        ok &= n >= s.min_group_size
        for c in cols:
            if c in out:
                out[c] = out[c].where(ok)
        out[FLAGS[family]] = ~ok & (n > 0)
    return out
