"""Employee figures from the published table set only (metrics.md §7, issue 15).

:mod:`analytics.access.tables` decides, once per data version, which groups of the fixed
table set are published (unit / region / division / company × month, department and
unit × department × complete calendar quarter) and audits the set as a whole. This module
holds that decision for the reads and is the only place employee figures are computed:

- :func:`compose` adds up published groups: a selection (units × months, or units ×
  departments × whole quarters) gets a figure only when it is a *union of published
  groups*, and its figure is then computed from those groups' answer counts, never from
  the raw responses of an arbitrary selection. It tells a reader nothing the published
  set does not.
- hidden groups' answer counts are dropped when the set is built: nothing downstream of
  :func:`build` can read them.

Customer and margin figures are not affected.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analytics.access import tables
from analytics.settings import Settings
from analytics.store import cells as store_cells
from analytics.store import kept, queries

log = logging.getLogger(__name__)

#: the families the pages read (items join as ``item:<name>``)
FAMILIES = ("esat", "enps")
#: the pair sums of an item's correlation with ESAT, kept per published item group
PAIR_SUMS = ("n", "sx", "sy", "sxx", "syy", "sxy")


@dataclass
class TableSet:
    """The published set of one data version.

    ``groups[family]``: one row per group with respondents: ``table``, the key columns of
    :data:`analytics.access.tables.KEY_COLUMNS`, ``n``, ``hidden``, ``why``, and the
    answer counts ``k0``, ``k1``... (NaN where hidden); ``keys[family]``: the answers
    (``value``, ``flag``) those columns count. ``responses``: per unit-month group of
    the esat family, ``n_responses`` (every response) where published. ``pairs``: per
    published item group, the sums behind the item's correlation with ESAT.
    ``units``: the org (``unit_id``, ``unit_name``, ``region``, ``division``).
    ``latest``: the latest month with employee answers; ``audits``: per family, when
    asked for.
    """

    groups: dict[str, pd.DataFrame]
    keys: dict[str, pd.DataFrame]
    units: pd.DataFrame
    latest: str | None
    responses: pd.DataFrame = field(default_factory=pd.DataFrame)
    pairs: pd.DataFrame = field(default_factory=pd.DataFrame)
    pools: pd.DataFrame = field(default_factory=pd.DataFrame)
    comment_lists: pd.DataFrame = field(default_factory=pd.DataFrame)
    audits: dict[str, tables.Audit] | None = None
    _index: dict[str, dict[tuple, int]] = field(default_factory=dict, repr=False)
    _present: dict[str, dict[tuple, set[str]]] = field(default_factory=dict, repr=False)

    def present(self, family: str) -> dict[tuple, set[str]]:
        """Units with respondents: ``("month", m)``; ``("dept", d, q)`` (a department of
        a quarter, published on its own or pooled); ``("org", col, value)`` the units of a
        region or division."""
        if family not in self._present:
            out: dict[tuple, set[str]] = {}
            for key in self.index(family):
                if key[0] == "unit_month":
                    out.setdefault(("month", key[2]), set()).add(key[1])
                elif key[0] == "unit_department_quarter" and key[2] != tables.OTHER:
                    out.setdefault(("dept", key[2], key[3]), set()).add(key[1])
            for u, q, d in zip(self.pools.get("unit_id", []), self.pools.get("quarter", []),
                               self.pools.get("department", []), strict=True):
                out.setdefault(("dept", str(d), str(q)), set()).add(str(u))
                out.setdefault(("pooled", str(d), str(q)), set()).add(str(u))
            for col in ("region", "division"):
                labels = self.units[col].astype(object).where(self.units[col].notna(),
                                                             tables.NO_ORG).astype(str)
                for value, members in self.units["unit_id"].astype(str).groupby(labels):
                    out[("org", col, str(value))] = set(members)
            self._present[family] = out
        return self._present[family]

    @property
    def families(self) -> list[str]:
        return list(self.groups)

    def items(self) -> list[str]:
        return sorted(f.split(":", 1)[1] for f in self.groups if f.startswith("item:"))

    def index(self, family: str) -> dict[tuple, int]:
        """(table, *its keys) -> row of ``groups[family]``."""
        if family not in self._index:
            g = self.groups[family]
            idx = {}
            for table, keys in tables.TABLES.items():
                part = g[g["table"] == table]
                for i, *vals in zip(part.index, *(part[k].astype(str) for k in keys),
                                    strict=True):
                    idx[(table, *vals)] = int(i)
            self._index[family] = idx
        return self._index[family]


def _count_columns(k: int) -> list[str]:
    return [f"k{i}" for i in range(k)]


def build(con: Any, s: Settings, with_audit: bool = False,
          units: Sequence[str] | None = None) -> TableSet:
    """Decide the published set of the current data (and audit it when asked: all of it,
    or what a reader scoped to ``units`` sees of it)."""
    answers = store_cells.employee_answer_counts(con)
    org = queries.units(con)
    blocks = tables.blocks(answers, org, s.min_group_size)
    groups: dict[str, list[pd.DataFrame]] = {}
    keys: dict[str, pd.DataFrame] = {}
    audits: dict[str, tables.Audit] = {}
    for block in blocks:
        tables.protect(block, s.confidentiality_protection)
        if with_audit:
            found = tables.audit(tables.visible_to(block, units),
                                 s.confidentiality_protection)
            audits[block.family] = audits.get(block.family, tables.Audit()).add(found)
        g = block.groups.copy()
        keys_ = list(tables.KEY_COLUMNS)
        g[keys_] = g[keys_].astype(object).where(g[keys_].notna(), None)
        sums = block.members @ block.counts
        sums[g["hidden"].to_numpy()] = np.nan
        g[_count_columns(sums.shape[1])] = sums
        groups.setdefault(block.family, []).append(g[g["n"] > 0])
        keys[block.family] = block.keys
    frames = {f: pd.concat(parts, ignore_index=True) for f, parts in groups.items()}
    latest = str(answers["period"].max()) if len(answers) else None
    pooled = [b.cells.loc[b.cells["dept_group"] == tables.OTHER,
                          ["unit_id", "quarter", "department"]].drop_duplicates()
              for b in blocks if b.family == "esat"]
    pools = (pd.concat(pooled, ignore_index=True) if pooled else
             pd.DataFrame(columns=["unit_id", "quarter", "department"]))
    ts = TableSet(frames, keys, org, latest, pools=pools,
                  audits=audits if with_audit else None)
    ts.responses = _responses(con, ts)
    ts.pairs = _pairs(con, ts)
    ts.comment_lists = comment_lists(store_cells.employee_comment_counts(con), org,
                                     s.min_comment_group_size)
    return ts


def comment_lists(counts_: pd.DataFrame, org: pd.DataFrame, min_c: int) -> pd.DataFrame:
    """The fixed lists employee comments are published in (metrics.md §7).

    Per complete calendar quarter: a unit with at least ``min_c`` comments has its own
    list; the comments of a region's other units form one list if they are ``min_c`` or
    more; what is left of the company forms one more list on the same condition; any
    comment left after that is not published. Every comment is in exactly one list (or
    none), so no two lists intersect and none is a subset of a month, a department or
    another list.

    Returns one row per unit-month in a list: unit_id, period, quarter, list (an id such
    as ``unit:U1:2025-Q3``), kind (``unit``, ``region`` or ``company``), region, n (the
    list's comments).
    """
    cols = ["unit_id", "period", "quarter", "list", "kind", "region", "n"]
    if counts_.empty:
        return pd.DataFrame(columns=cols)
    c = counts_.merge(org[["unit_id", "region"]], on="unit_id", how="left")
    c["region"] = c["region"].astype(object).where(c["region"].notna(),
                                                   tables.NO_ORG).astype(str)
    c["quarter"] = tables.quarter_of(c["period"])
    latest = str(c["period"].max())
    c = c[[tables.quarter_months(q)[-1] <= latest for q in c["quarter"]]]
    per_unit = c.groupby(["unit_id", "quarter", "region"], as_index=False).agg(
        n_comments=("n_comments", "sum"), people=("n_responses", "max"))
    per_unit["list"], per_unit["kind"] = None, None
    # a list needs min_c comments from a population of min_c people or more (a quarter's
    # people: its largest month, since the same people answer every month)
    own = (per_unit["n_comments"] >= min_c) & (per_unit["people"] >= min_c)
    per_unit.loc[own, "list"] = "unit:" + per_unit["unit_id"] + ":" + per_unit["quarter"]
    per_unit.loc[own, "kind"] = "unit"

    def pool(part: pd.DataFrame, keys: list[str]) -> pd.Series:
        months = c.merge(part[["unit_id", "quarter"]], on=["unit_id", "quarter"])
        crowd = months.groupby([*keys, "period"])["n_responses"].sum().groupby(keys).max()
        said = part.groupby(keys)["n_comments"].sum()
        ok = (said >= min_c) & (crowd.reindex(said.index).fillna(0) >= min_c)
        return part.set_index(keys).index.map(ok.to_dict()).fillna(False).astype(bool)

    rest = per_unit[per_unit["list"].isna()]
    idx = rest.index[pool(rest, ["region", "quarter"]).to_numpy()]
    per_unit.loc[idx, "list"] = "region:" + per_unit.loc[idx, "region"] + ":" + \
        per_unit.loc[idx, "quarter"]
    per_unit.loc[idx, "kind"] = "region"
    left = per_unit[per_unit["list"].isna()]
    idx = left.index[pool(left, ["quarter"]).to_numpy()]
    per_unit.loc[idx, "list"] = "company:" + per_unit.loc[idx, "quarter"]
    per_unit.loc[idx, "kind"] = "company"
    per_unit = per_unit[per_unit["list"].notna() & (per_unit["n_comments"] > 0)]
    per_unit["n"] = per_unit.groupby("list")["n_comments"].transform("sum")
    out = c[c["n_comments"] > 0][["unit_id", "period", "quarter"]].merge(
        per_unit[["unit_id", "quarter", "list", "kind", "region", "n"]],
        on=["unit_id", "quarter"])
    return out[cols].sort_values(["list", "unit_id", "period"]).reset_index(drop=True)


def _published_unit_months(ts: TableSet, family: str = "esat") -> pd.DataFrame:
    g = ts.groups.get(family)
    if g is None:
        return pd.DataFrame(columns=["unit_id", "period"])
    g = g[(g["table"] == "unit_month") & ~g["hidden"]]
    return g[["unit_id", "period"]].astype(str)


def _responses(con: Any, ts: TableSet) -> pd.DataFrame:
    """Every response (with or without an ESAT answer) of each published unit-month,
    with the unit-month's headcount (financials, else the unit's; not survey data)."""
    cells = store_cells.employee_cell_responses(con)
    per = cells.groupby(["unit_id", "period"], as_index=False)["n_responses"].sum()
    heads = queries.panel(con)[["unit_id", "period", "headcount"]]
    per = per.merge(_published_unit_months(ts), on=["unit_id", "period"])
    return per.merge(heads, on=["unit_id", "period"], how="left")


def _pairs(con: Any, ts: TableSet) -> pd.DataFrame:
    """Item x ESAT pair sums of each published item group (for the drivers)."""
    raw = store_cells.employee_item_pairs(con)
    if raw.empty:
        return pd.DataFrame(columns=["item", "table", *tables.KEY_COLUMNS, *PAIR_SUMS])
    raw = raw.merge(ts.units[["unit_id", "region", "division"]], on="unit_id", how="left")
    raw = tables._label(raw)  # noqa: SLF001 - the same labels the blocks use
    out = []
    for table, keys in tables.TABLES.items():
        agg = raw.groupby(["item", *keys], as_index=False)[list(PAIR_SUMS)].sum()
        agg.insert(1, "table", table)
        out.append(agg)
    pairs = pd.concat(out, ignore_index=True)
    shown = []
    for item in pairs["item"].unique():
        g = ts.groups.get(f"item:{item}")
        if g is None:
            continue
        pub = g[~g["hidden"]][["table", *tables.KEY_COLUMNS]].astype(str)
        part = pairs[pairs["item"] == item]
        keyed = part[["table", *tables.KEY_COLUMNS]].astype(str)
        ok = pd.MultiIndex.from_frame(keyed).isin(pd.MultiIndex.from_frame(pub))
        shown.append(part[ok])
    return pd.concat(shown, ignore_index=True) if shown else pairs.iloc[:0]


# -- the set per data version ------------------------------------------------------------

_MEMO: dict[tuple, TableSet] = {}
_LOCK = threading.Lock()
_KEPT_NAME = "published_set"


def _settings_key(s: Settings) -> tuple:
    return (s.min_group_size, s.confidentiality_protection)


def table_set(con: Any, s: Settings) -> TableSet:
    """:func:`build` once per data content and settings: held in this process and read
    from what the warm-up kept beside the database (:func:`keep`), so the app reads what
    the command line's warm-up decided."""
    at = kept.content_key(con)
    key = (at, *_settings_key(s))
    with _LOCK:
        hit = _MEMO.get(key)
    if hit is not None:
        return hit
    made = _read_kept(con, at, s)
    if made is None:
        made = build(con, s)
    with _LOCK:
        _MEMO.clear()  # one version at a time is all a process reads
        _MEMO[key] = made
    return made


def _read_kept(con: Any, at: str, s: Settings) -> TableSet | None:
    try:
        stored = kept.read(con, at, _KEPT_NAME, kept.key_of(*_settings_key(s)))
    except Exception:  # noqa: BLE001 - a kept decision is only a shortcut
        log.warning("the kept published set could not be read; deciding it again",
                    exc_info=True)
        return None
    if not isinstance(stored, dict) or "latest" not in stored:
        return None
    names = stored.get("families") or []
    groups = {f: stored[f"g{i}"] for i, f in enumerate(names)}
    keys = {f: stored[f"k{i}"] for i, f in enumerate(names)}
    latest = stored["latest"]["latest"].iloc[0] if len(stored["latest"]) else None
    return TableSet(groups, keys, queries.units(con), None if pd.isna(latest) else latest,
                    responses=stored["responses"], pairs=stored["pairs"],
                    pools=stored["pools"], comment_lists=stored["comment_lists"])


def keep(con: Any, at: str, s: Settings) -> None:
    """Keep the published set of the data ``at`` beside the database (the warm-up calls
    this after a load, so the app's first page reads the decision instead of making it)."""
    ts = table_set(con, s)
    bundle: dict[str, Any] = {"latest": pd.DataFrame({"latest": [ts.latest]}),
                                       "responses": ts.responses, "pairs": ts.pairs,
                                       "pools": ts.pools,
                                       "comment_lists": ts.comment_lists}
    bundle["families"] = list(ts.groups)  # family names are not file names: g0, k0, ...
    for i, (family, g) in enumerate(ts.groups.items()):
        bundle[f"g{i}"] = g
        bundle[f"k{i}"] = ts.keys[family]
    kept.write(con, at, _KEPT_NAME, kept.key_of(*_settings_key(s)), bundle)


# -- composing a selection from published groups ---------------------------------------

@dataclass(frozen=True)
class Scope:
    """A selection as the table set sees it: units, months and departments (empty: all).

    With departments, the months must be whole complete quarters (:func:`quarters_for`).
    """

    units: frozenset[str]
    months: tuple[str, ...]
    departments: tuple[str, ...] = ()


def _month_cover(ts: TableSet, family: str, units: frozenset[str], month: str
                 ) -> list[int] | None:
    """Published groups whose union is ``units``' employees of ``month`` (None: none)."""
    idx, present = ts.index(family), ts.present(family)
    here = present.get(("month", month), set())
    want = units & here
    if not want:
        return []
    hidden = ts.groups[family]["hidden"].to_numpy()

    def ok(row: int | None) -> bool:
        return row is not None and not hidden[row]

    whole = idx.get(("company_month", month))
    if want == here and ok(whole):
        return [int(whole)]
    for table, col in (("region_month", "region"), ("division_month", "division")):
        parts, left = [], set(want)
        for key, members in present.items():
            if key[0] != "org" or key[1] != col:
                continue
            inside = members & here
            row = idx.get((table, key[2], month))
            if inside and inside <= left and ok(row):
                parts.append(int(row))
                left -= inside
        rest = [idx.get(("unit_month", u, month)) for u in sorted(left)]
        if all(ok(r) for r in rest):
            return parts + [int(r) for r in rest]
    return None


def _quarter_cover(ts: TableSet, family: str, units: frozenset[str], quarter: str,
                   departments: Iterable[str]) -> list[int] | None:
    """Published groups whose union is ``units``' employees of ``departments`` in a
    complete ``quarter`` (None: none). A department pooled into a unit's
    :data:`analytics.access.tables.OTHER` group is only ever in a whole-company figure."""
    idx, present = ts.index(family), ts.present(family)
    hidden = ts.groups[family]["hidden"].to_numpy()
    rows = []
    for d in departments:
        here = present.get(("dept", d, quarter), set())
        want = units & here
        if not want:
            continue
        row = idx.get(("department_quarter", d, quarter))
        if want == here and row is not None and not hidden[row]:
            rows.append(int(row))
            continue
        if want & present.get(("pooled", d, quarter), set()):
            return None
        parts = [idx.get(("unit_department_quarter", u, d, quarter)) for u in sorted(want)]
        if any(r is None or hidden[r] for r in parts):
            return None
        rows += [int(r) for r in parts]
    return rows


def cover(ts: TableSet, family: str, scope: Scope) -> list[int] | None:
    """The published groups whose union is ``scope`` (None: it is not such a union)."""
    if family not in ts.groups:
        return []
    rows: list[int] = []
    if not scope.departments:
        for month in scope.months:
            part = _month_cover(ts, family, scope.units, month)
            if part is None:
                return None
            rows += part
        return rows
    for quarter in sorted(set(tables.quarter_of(pd.Series(list(scope.months))))):
        last = tables.quarter_months(quarter)[-1]
        if not set(tables.quarter_months(quarter)) <= set(scope.months) or (
                ts.latest is None or last > ts.latest):
            return None
        part = _quarter_cover(ts, family, scope.units, quarter, scope.departments)
        if part is None:
            return None
        rows += part
    return rows


def counts(ts: TableSet, family: str, scope: Scope) -> np.ndarray | None:
    """Respondents per answer of ``scope``'s employees (None: not a union of published
    groups). All zeros when the scope holds nobody."""
    rows = cover(ts, family, scope)
    if rows is None:
        return None
    k = len(ts.keys[family]) if family in ts.keys else 0
    if not rows:
        return np.zeros(k)
    g = ts.groups[family]
    return g.loc[rows, _count_columns(k)].to_numpy(dtype=float).sum(axis=0)


def figures(ts: TableSet, family: str, c: np.ndarray | None) -> dict[str, float | None]:
    """A family's figures from answer counts (None where not shown)."""
    kind = tables.kind(family)
    names = {"esat": ("n_employee", "esat_index", "esat_sd", "esat_sat_n",
                      "esat_pct_satisfied"),
             "enps": ("n_enps", "enps_promoters", "enps_detractors", "enps"),
             "item": ("n", "mean", "sd")}[kind]
    out: dict[str, float | None] = dict.fromkeys(names)
    if c is None:
        return out
    n = float(c.sum())
    out[names[0]] = n
    if n == 0:
        return out
    keys = ts.keys[family]
    v = keys["value"].to_numpy(dtype=float)
    if kind == "enps":  # category codes (analytics.access.tables.ENPS_CATEGORIES)
        p, d = float(c[v == 2].sum()), float(c[v == 0].sum())
        out.update(enps_promoters=p, enps_detractors=d, enps=(p - d) * 100.0 / n)
        return out
    mean = float(c @ v) / n
    sd = float(np.sqrt(max(float(c @ (v - mean) ** 2), 0.0) / (n - 1))) if n > 1 else None
    if kind == "item":
        out.update(mean=mean, sd=sd)
        return out
    sat = float(c[keys["flag"].to_numpy(dtype=bool)].sum())
    out.update(esat_index=mean, esat_sd=sd, esat_sat_n=sat,
               esat_pct_satisfied=sat * 100.0 / n)
    return out


def _response_rows(ts: TableSet, scope: Scope) -> pd.DataFrame | None:
    if scope.departments:
        return None
    g = ts.groups.get("esat")
    if g is None:
        return ts.responses.iloc[:0]
    um = g[(g["table"] == "unit_month") & g["unit_id"].astype(str).isin(scope.units)
           & g["period"].isin(scope.months)]
    if um["hidden"].any():
        return None
    r = ts.responses
    return r[r["unit_id"].astype(str).isin(scope.units) & r["period"].isin(scope.months)]


def n_responses(ts: TableSet, scope: Scope) -> int | None:
    """Every response of a month-grain scope whose unit-months are all published."""
    part = _response_rows(ts, scope)
    return None if part is None else int(part["n_responses"].sum())


def response_rate(ts: TableSet, scope: Scope) -> tuple[float | None, float | None]:
    """(response rate %, headcount) of a month-grain scope whose unit-months are all
    published: its responses per 100 heads, over the unit-months with a headcount (so
    over several months, the average monthly rate). (None, None) otherwise."""
    part = _response_rows(ts, scope)
    if part is None:
        return None, None
    with_heads = part[pd.to_numeric(part["headcount"], errors="coerce") > 0]
    heads = float(with_heads["headcount"].sum())
    if heads <= 0:
        return None, None
    return float(with_heads["n_responses"].sum()) * 100.0 / heads, heads


def clear() -> None:
    """Forget the table set held in this process (benchmarks of a cold start)."""
    with _LOCK:
        _MEMO.clear()


def pair_sums(ts: TableSet, item: str, rows_of: list[tuple[str, tuple]]) -> np.ndarray:
    """The pair sums (:data:`PAIR_SUMS`) added over groups given as (table, keys)."""
    p = ts.pairs[ts.pairs["item"] == item]
    total = np.zeros(len(PAIR_SUMS))
    for table, keys in rows_of:
        sel = p["table"] == table
        for col, val in zip(tables.TABLES[table], keys, strict=True):
            sel &= p[col].astype(str) == str(val)
        total += p.loc[sel, list(PAIR_SUMS)].to_numpy(dtype=float).sum(axis=0)
    return total


def group_keys(ts: TableSet, family: str, rows: list[int]) -> list[tuple[str, tuple]]:
    """(table, keys) of groups given by their rows."""
    g = ts.groups[family]
    return [(str(g.at[r, "table"]), tuple(str(g.at[r, k]) for k in
                                          tables.TABLES[str(g.at[r, "table"])]))
            for r in rows]


def quarters_for(ts: TableSet, months: Sequence[str]) -> list[str]:
    """The complete quarters department figures can use for a range of months: those
    wholly inside it, else the latest complete quarter ending within it or before."""
    if not months or ts.latest is None:
        return []
    quarters = sorted(set(tables.quarter_of(pd.Series(list(months)))))
    complete = [q for q in quarters if tables.quarter_months(q)[-1] <= ts.latest]
    inside = [q for q in complete if set(tables.quarter_months(q)) <= set(months)]
    if inside:
        return inside
    end = min(max(months), ts.latest)
    q = str(tables.quarter_of(pd.Series([end])).iloc[0])
    while tables.quarter_months(q)[-1] > end:
        year, n = int(q[:4]), int(q[-1])
        q = f"{year - 1}-Q4" if n == 1 else f"{year}-Q{n - 1}"
    return [q]


# -- frames the read API hands on ----------------------------------------------------

#: employee columns of the panel, per family
PANEL_COLUMNS: dict[str, tuple[str, ...]] = {
    "esat": ("n_employee", "esat_index", "esat_sd", "esat_sat_n", "esat_pct_satisfied"),
    "enps": ("n_enps", "enps_promoters", "enps_detractors", "enps"),
}
#: the flag column saying a family's figures of a row are hidden
FLAGS = {"esat": "suppressed", "enps": "enps_suppressed"}


def months_of(ts: TableSet, period_from: str | None, period_to: str | None) -> tuple[str, ...]:
    """The months with employee answers in a range."""
    g = ts.groups.get("esat")
    if g is None:
        g = next(iter(ts.groups.values()), pd.DataFrame({"table": [], "period": []}))
    months = sorted(set(g.loc[g["table"] == "unit_month", "period"].astype(str)))
    return tuple(m for m in months if (not period_from or m >= period_from)
                 and (not period_to or m <= period_to))


def month_sd(ts: TableSet) -> dict[str, float]:
    """Each month's pooled within-unit ESAT standard deviation over its published
    unit-months: ``sqrt(sum of squares about each unit's mean / sum(n - 1))``.

    A unit-month's change tests and the chain's noise correction need the sampling
    spread of answers *within* a unit; a unit's own second moment is never published, so
    every unit of a month carries this one number (the company-wide sd would add the
    spread between units and overstate the noise)."""
    g = ts.groups.get("esat")
    if g is None:
        return {}
    part = g[(g["table"] == "unit_month") & ~g["hidden"]]
    if part.empty:
        return {}
    c = part[_count_columns(len(ts.keys["esat"]))].to_numpy(dtype=float)
    v = ts.keys["esat"]["value"].to_numpy(dtype=float)
    n = c.sum(axis=1)
    mean = (c @ v) / np.where(n > 0, n, 1)
    ss = (c * (v[None, :] - mean[:, None]) ** 2).sum(axis=1)
    frame = pd.DataFrame({"period": part["period"].astype(str).to_numpy(), "ss": ss,
                          "df": np.maximum(n - 1, 0)})
    per = frame.groupby("period")[["ss", "df"]].sum()
    per = per[per["df"] > 0]
    return {str(p): float(np.sqrt(r.ss / r.df)) for p, r in per.iterrows()}


def unit_months(ts: TableSet) -> pd.DataFrame:
    """Employee figures of every published unit-month (a hidden one has no row).

    Columns: unit_id, period, the :data:`PANEL_COLUMNS` of each family (NaN where that
    family is hidden or has no answers), ``esat_sd`` the month's pooled within-unit sd
    (:func:`month_sd`).
    """
    out = None
    sd = month_sd(ts)
    for family, cols in PANEL_COLUMNS.items():
        g = ts.groups.get(family)
        if g is None:
            continue
        part = g[(g["table"] == "unit_month") & ~g["hidden"]]
        k = _count_columns(len(ts.keys[family]))
        rows = [figures(ts, family, c) for c in part[k].to_numpy(dtype=float)]
        frame = pd.DataFrame(rows, columns=list(cols), index=part.index)
        frame.insert(0, "unit_id", part["unit_id"].astype(str))
        frame.insert(1, "period", part["period"].astype(str))
        if family == "esat":
            frame["esat_sd"] = frame["period"].map(sd)
        out = frame if out is None else out.merge(frame, on=["unit_id", "period"],
                                                  how="outer")
    every = ["unit_id", "period", *[c for cols in PANEL_COLUMNS.values() for c in cols]]
    if out is None:
        return pd.DataFrame(columns=every)
    for col in every:
        if col not in out:
            out[col] = np.nan
    return out[every].reset_index(drop=True)


def selection(ts: TableSet, scope: Scope) -> dict[str, Any]:
    """The employee figures of a scope: each family's (None where the scope is not a
    union of published groups), ``n_responses`` and which families are shown."""
    out: dict[str, Any] = {}
    for family, cols in PANEL_COLUMNS.items():
        c = counts(ts, family, scope)
        fig = figures(ts, family, c)
        out.update({k: fig.get(k) for k in cols})
        out[FLAGS[family]] = c is None
    # the second moment is published for whole regions, divisions and the company only
    rows = cover(ts, "esat", scope) if "esat" in ts.groups else None
    tables_of = set(ts.groups["esat"].loc[rows, "table"]) if rows else set()
    if not rows or not tables_of <= set(tables.MOMENT_TABLES):
        out["esat_sd"] = None
    out["n_responses"] = n_responses(ts, scope)
    return out
