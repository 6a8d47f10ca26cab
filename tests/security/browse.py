"""Browse the small company as an inquisitive user: every filter combination, every read.

:func:`selections` enumerates the filter combinations; the ``read_*`` functions call the
protected analytics reads (the same ones the pages, downloads and report use) and note
each employee figure they return in a :class:`checker.Notebook`.
"""

from __future__ import annotations

from itertools import combinations

import pandas as pd

from analytics.filters import Filters
from analytics.read import data, people
from tests.security.checker import Figure, Notebook, Truth
from tests.security.conftest import DEPARTMENTS, MONTHS, UNITS

RANGES = [(a, b) for i, a in enumerate(MONTHS) for b in MONTHS[i:]]


def org_choices() -> list[dict]:
    """Region, division and unit filters: none, each value, each region x division, each
    unit, pairs of units around the small one and each 'all units but one'."""
    ids = tuple(UNITS.unit_id)
    out: list[dict] = [{}]
    out += [{"regions": (r,)} for r in ("North", "South")]
    out += [{"divisions": (d,)} for d in ("Retail", "Service")]
    out += [{"regions": (r,), "divisions": (d,)} for r in ("North", "South")
            for d in ("Retail", "Service")]
    out += [{"units": (u,)} for u in ids]
    # pairs of units: the small one with each of its region, and one ordinary pair
    out += [{"units": pair} for pair in (("U4", "U5"), ("U4", "U6"), ("U5", "U6"),
                                         ("U1", "U2"))]
    out += [{"units": tuple(u for u in ids if u != drop)} for drop in ids]
    return out


def department_choices() -> list[tuple[str, ...]]:
    """No department filter, each department, every pair and all three."""
    return [(), *[c for k in (1, 2, 3) for c in combinations(DEPARTMENTS, k)]]


def selections(ranges=RANGES, orgs=None, departments=None) -> list[Filters]:
    orgs = org_choices() if orgs is None else orgs
    departments = department_choices() if departments is None else departments
    return [Filters(a, b, departments=d, **o) for a, b in ranges for o in orgs
            for d in departments]


def quarter_months(label: str | None) -> list[str] | None:
    """The months of the complete quarters a People read names ('2026-Q3 (Jul-Sep)')."""
    if not label:
        return None
    out = []
    for part in label.split(", "):
        q = part.split(" ")[0]
        out += [f"{q[:4]}-{m:02d}" for m in range(3 * int(q[-1]) - 2, 3 * int(q[-1]) + 1)]
    return out


def _num(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _name(reader: str, f: Filters, row: str = "") -> str:
    parts = [f"{f.period_from}..{f.period_to}"]
    for label, values in (("region", f.regions), ("division", f.divisions),
                          ("unit", f.units), ("dept", f.departments)):
        if values:
            parts.append(f"{label}={'+'.join(values)}")
    return f"{reader}({', '.join(parts)}){' ' + row if row else ''}"


def read_company(con, truth: Truth, f: Filters, book: Notebook) -> None:
    """Overview cards: data.company (the department filter does not apply to it)."""
    got = data.company(con, f)
    mask = truth.mask(f, departments=False)
    if _num(got.get("esat_index")) is not None:
        book.add(Figure("esat", mask, got["n_employee"], _name("data.company", f)))
    if _num(got.get("enps")) is not None:
        book.add(Figure("enps", mask, got.get("n_enps"), _name("data.company", f)))


def read_people_summary(con, truth: Truth, f: Filters, book: Notebook) -> None:
    """People cards: people.summary."""
    got = people.summary(con, f)
    mask = truth.mask(f, months=quarter_months(got["months"]))
    name = _name("people.summary", f)
    if got["esat_index"] is not None:
        book.add(Figure("esat", mask, got["n_employee"], name))
    if got["enps"] is not None:
        book.add(Figure("enps", mask, got["n_enps"], name))
    if got["n_responses"] is not None:
        book.add(Figure("responses", mask, got["n_responses"], name))


def read_people_comments(con, truth: Truth, f: Filters, book: Notebook) -> None:
    """People and Unit detail comments: people.comments."""
    got = people.comments(con, f)
    if not got["shown"]:
        assert got["comments"].empty and got["themes"].empty
        return
    lists, _label = people.comment_lists(con, f)
    r = truth.rows
    inside = pd.MultiIndex.from_frame(r[["unit_id", "period"]]).isin(
        pd.MultiIndex.from_frame(lists[["unit_id", "period"]]))
    mask = inside & truth.commenters()
    book.add(Figure("comments", mask, int(got["summary"]["n_comments"].iloc[0]),
                    _name("people.comments", f)))


KEY_COLUMN = {"department": "department", "region": "region", "division": "division",
              "unit_id": "unit_id", "period": "period"}


def read_people_groups(con, truth: Truth, f: Filters, by: str, book: Notebook) -> None:
    """People breakdown table (and the ESAT bars, the eNPS histogram by group)."""
    table = people.by_group(con, f, by=by)
    months = quarter_months(people.quarters(con, f)) if (
        by == "department" or f.departments) else None
    table = table[table[by] != "Other departments"] if by == "department" else table
    for measure, flag, n_col in (("esat", "suppressed", "n_employee"),
                                 ("enps", "enps_suppressed", "n_enps"),
                                 ("responses", "suppressed", "n_responses")):
        if table.empty:
            return
        shown = table[~table[flag].astype(bool)] if flag in table else table
        book.add_family([Figure(measure, truth.mask(f, months=months, **{by: key}), n,
                                _name(f"people.by_group[{by}]", f, str(key)))
                         for key, n in zip(shown[by], shown[n_col], strict=True)
                         if pd.notna(n)])


def read_people_heatmap(con, truth: Truth, f: Filters, by: str, book: Notebook) -> None:
    """People item heatmap: people.item_heatmap (every respondent answers every item)."""
    heat = people.item_heatmap(con, f, by=by)
    if heat.empty:
        return
    months = quarter_months(people.quarters(con, f)) if (
        by == "department" or f.departments) else None
    heat = heat[heat[by] != "Other departments"] if by == "department" else heat
    for item, part in heat.groupby("item"):
        shown = part[~part["suppressed"].astype(bool)]
        book.add_family([Figure(f"item:{item}", truth.mask(f, months=months, **{by: key}), n,
                                _name(f"people.item_heatmap[{by}]", f, f"{item}/{key}"))
                         for key, n in zip(shown[by], shown["n"], strict=True)])
        # the selection's own item mean is shown as the reference line
        if part["company_mean"].notna().any():
            book.add(Figure(f"item:{item}", truth.mask(f, months=months), None,
                            _name("people.item_heatmap[total]", f, item)))


def read_kpis(con, truth: Truth, f: Filters, by: str, book: Notebook) -> None:
    """Trend and breakdown KPIs: data.kpis(by=(by,)) (the department filter ignored)."""
    table = data.kpis(con, f, by=(by,))
    shown = table[table["esat_index"].notna()]
    book.add_family([Figure("esat", truth.mask(f, departments=False, **{by: key}), n,
                            _name(f"data.kpis[{by}]", f, str(key)))
                     for key, n in zip(shown[by], shown["n_employee"], strict=True)])
    shown = table[table["enps"].notna()]
    book.add_family([Figure("enps", truth.mask(f, departments=False, **{by: key}), n,
                            _name(f"data.kpis[{by}]", f, str(key)))
                     for key, n in zip(shown[by], shown["n_enps"], strict=True)])


def read_panel(con, truth: Truth, f: Filters, book: Notebook) -> None:
    """Unit x month panel (Overview table, Balance, Unit detail, alerts, report)."""
    panel = data.panel(con, f)
    for period, month in panel.groupby("period"):
        shown = month[month["esat_index"].notna()]
        book.add_family([Figure("esat", truth.mask(f, departments=False, unit_id=u,
                                                   period=period), n,
                                _name("data.panel", f, f"{u}/{period}"))
                         for u, n in zip(shown["unit_id"], shown["n_employee"], strict=True)])
        shown = month[month["enps"].notna()]
        book.add_family([Figure("enps", truth.mask(f, departments=False, unit_id=u,
                                                   period=period), n,
                                _name("data.panel", f, f"{u}/{period}"))
                         for u, n in zip(shown["unit_id"], shown["n_enps"], strict=True)])
