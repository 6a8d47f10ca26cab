"""The inquisitive user's notebook: every employee figure shown, and what it gives away.

A *figure* is something a reader returned with a number in it (an ESAT index, an eNPS, an
item mean, a response count, a set of comments), tagged with the exact set of employee
responses behind it (a boolean mask over the fixture's rows, computed here from the raw
fixture, independently of the code under test) and the count the code said it used.

:func:`violations` then plays the subtracting reader:

1. **small**: a figure whose group has 1 to ``min_n - 1`` responses;
2. **count**: a figure whose shown n is not the size of the group it claims (the reader
   does not compute what it says, so the other checks would be checking the wrong set);
3. **pair**: two figures of the same measure whose groups are nested (A inside B) and
   differ by 1 to ``min_n - 1`` responses: B - A is a small group's figure;
4. **family**: the shown rows of one breakdown (disjoint groups) inside a shown figure T
   that leave 1 to ``min_n - 1`` responses of T uncovered: T - sum(rows) is a small
   group's figure (complementary suppression failed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.filters import Filters


@dataclass
class Figure:
    measure: str          # 'esat', 'enps', 'responses', 'comments', 'item:tools', ...
    mask: np.ndarray      # bool over the fixture's employee rows
    n: int | None         # the count the reader reported (None when it shows none)
    source: str           # reader, filters and row, for the failure message


@dataclass
class Notebook:
    """Figures and breakdown families collected while browsing."""

    figures: list[Figure] = field(default_factory=list)
    families: list[list[Figure]] = field(default_factory=list)

    def add(self, fig: Figure) -> None:
        self.figures.append(fig)

    def add_family(self, rows: list[Figure]) -> None:
        self.figures.extend(rows)
        if len(rows) > 1:
            self.families.append(rows)


class Truth:
    """The fixture's raw employee rows, and the mask of any selection over them."""

    def __init__(self, employee: pd.DataFrame, units: pd.DataFrame):
        rows = employee.copy()
        rows["period"] = rows["response_date"].str[:7]
        rows = rows.merge(units[["unit_id", "region", "division"]], on="unit_id", how="left")
        rows["has_comment"] = rows["comment"].fillna("").str.strip() != ""
        self.rows = rows.reset_index(drop=True)
        self.units = units

    def mask(self, f: Filters, departments: bool = True, months: list[str] | None = None,
             **keys) -> np.ndarray:
        """Rows in the selection (``departments=False``: the department filter ignored),
        narrowed by ``keys`` (e.g. ``department='Sales'``, ``period='2026-07'``);
        ``months``: the months a figure describes when not the selection's (department
        figures describe complete quarters)."""
        r = self.rows
        m = np.ones(len(r), dtype=bool)
        if months is not None:
            m &= r["period"].isin(months).to_numpy()
        if f.period_from and months is None:
            m &= (r["period"] >= f.period_from).to_numpy()
        if f.period_to and months is None:
            m &= (r["period"] <= f.period_to).to_numpy()
        for col, values in (("region", f.regions), ("division", f.divisions),
                            ("unit_id", f.units)):
            if values:
                m &= r[col].isin(values).to_numpy()
        if departments and f.departments:
            m &= r["department"].isin(f.departments).to_numpy()
        for col, value in keys.items():
            m &= (r[col] == value).to_numpy()
        return m

    def commenters(self) -> np.ndarray:
        return self.rows["has_comment"].to_numpy()


def _threshold(measure: str, min_n: int, min_comments: int) -> int:
    return min_comments if measure == "comments" else min_n


def violations(book: Notebook, min_n: int, min_comments: int,
               limit: int = 20) -> list[str]:
    """Every way the notebook's figures give a small group away (at most ``limit``)."""
    found: list[str] = []
    for fig in book.figures:
        size = int(fig.mask.sum())
        t = _threshold(fig.measure, min_n, min_comments)
        if 0 < size < t:
            found.append(f"small: {fig.measure} of {size} responses shown by {fig.source}")
        if fig.n is not None and int(fig.n) != size:
            found.append(f"count: {fig.source} says n={fig.n}, the group holds {size}")
    by_measure: dict[str, list[Figure]] = {}
    for fig in book.figures:
        by_measure.setdefault(fig.measure, []).append(fig)
    for measure, figs in by_measure.items():
        found += _pairs(figs, _threshold(measure, min_n, min_comments))
        families = [fam for fam in book.families if fam[0].measure == measure]
        found += _families(figs, families, _threshold(measure, min_n, min_comments))
        if len(found) >= limit:
            break
    return found[:limit]


def _unique(figs: list[Figure]) -> tuple[np.ndarray, list[Figure]]:
    """Distinct masks (as an int matrix) and one figure naming each."""
    seen: dict[bytes, Figure] = {}
    for fig in figs:
        seen.setdefault(np.packbits(fig.mask).tobytes(), fig)
    named = list(seen.values())
    return np.array([f.mask for f in named], dtype=np.int32), named


def _pairs(figs: list[Figure], t: int) -> list[str]:
    masks, named = _unique(figs)
    if len(named) < 2:
        return []
    size = masks.sum(axis=1)
    inter = masks @ masks.T
    nested = inter == size[:, None]            # row a inside column b
    gap = size[None, :] - size[:, None]
    bad = nested & (gap > 0) & (gap < t)
    out = []
    for a, b in zip(*np.nonzero(bad), strict=True):
        out.append(f"pair: {named[b].source} minus {named[a].source} leaves "
                   f"{int(gap[a, b])} responses ({named[a].measure})")
    return out


def _families(figs: list[Figure], families: list[list[Figure]], t: int) -> list[str]:
    if not families:
        return []
    totals, named = _unique(figs)
    t_size = totals.sum(axis=1)
    out = []
    for fam in families:
        rows = np.array([f.mask for f in fam], dtype=np.int32)
        if (rows.sum(axis=0) > 1).any():
            raise AssertionError(f"family rows overlap: {fam[0].source}")
        r_size = rows.sum(axis=1)
        inside = (rows @ totals.T) == r_size[:, None]  # row i inside total j
        covered = r_size @ inside
        rest = t_size - covered
        bad = (inside.any(axis=0)) & (rest > 0) & (rest < t)
        for j in np.nonzero(bad)[0]:
            out.append(f"family: {named[j].source} minus the shown rows of "
                       f"{fam[0].source} leaves {int(rest[j])} responses")
    return out
