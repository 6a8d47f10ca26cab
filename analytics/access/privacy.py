"""Confidentiality of employee data (metrics.md §7): minimum group sizes and suppression.

The rule is enforced where data is read: ``analytics.store`` passes every employee
aggregate through :func:`suppress` (or :func:`complementary_suppress` for a breakdown with
a shown parent) before anything reaches a page, a chart or an export.

What a suppressed row hides. Its figures (``value_cols``) *and its count* become NaN. The
exact size of a small group is itself information: "2 responses from the night shift"
tells a manager who answered, and a shown small count lets a reader difference counts
(parent n minus the other children's n) on the way to a figure. The page says
:func:`suppressed_label` instead, which is all a reader needs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: metrics.md §7: a minimum group size is configurable but never below this.
MIN_GROUP_SIZE_FLOOR = 3


def check_min_group_size(value: int) -> int:
    """Return ``value`` as an int if it is a whole number of at least 3; else raise ValueError."""
    if isinstance(value, bool) or not float(value).is_integer():
        raise ValueError(f"a minimum group size must be a whole number, got {value!r}")
    if value < MIN_GROUP_SIZE_FLOOR:
        raise ValueError(
            f"a minimum group size of {value} is below the floor of {MIN_GROUP_SIZE_FLOOR} "
            "(metrics.md §7)"
        )
    return int(value)


def suppressed_label(min_n: int) -> str:
    """What a page shows in place of a suppressed figure, e.g. ``'fewer than 5 responses'``."""
    return f"fewer than {check_min_group_size(min_n)} responses"


def _counts(n: pd.Series) -> pd.Series:
    """Group sizes as floats, NaN where missing or not a number (so they count as small)."""
    return pd.to_numeric(n, errors="coerce").astype("float64")


def _hide(frame: pd.DataFrame, hidden: np.ndarray, columns: Sequence[str]) -> None:
    """Blank ``columns`` of the ``hidden`` rows in place (ints become floats to hold NaN)."""
    for col in columns:
        frame[col] = frame[col].where(~hidden)


def suppress(
    frame: pd.DataFrame, n_col: str, value_cols: Sequence[str], min_n: int
) -> pd.DataFrame:
    """Hide the figures of groups with fewer than ``min_n`` respondents.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per group (a unit-month, a department, ...), not changed.
    n_col : str
        Column with the number of respondents behind the row. A missing n counts as
        too small: a figure whose group size cannot be checked is not shown.
    value_cols : sequence of str
        Columns holding figures computed from those respondents.
    min_n : int
        Minimum group size (``Settings.min_group_size``, or ``min_comment_group_size``
        for free text); at least 3.

    Returns
    -------
    pandas.DataFrame
        A copy with the same rows and order, where for rows with ``n < min_n`` the
        ``value_cols`` and ``n_col`` are NaN (see the module docstring for why the count
        goes too), plus

        - ``suppressed``: bool, True for those rows.

    Example
    -------
    >>> import pandas as pd
    >>> from analytics.access.privacy import suppress
    >>> df = pd.DataFrame({"team": ["a", "b"], "n": [12, 3], "esat": [71.0, 40.0]})
    >>> suppress(df, "n", ["esat"], 5)["esat"].tolist()
    [71.0, nan]
    """
    min_n = check_min_group_size(min_n)
    out = frame.copy()
    hidden = ~(_counts(out[n_col]) >= min_n).to_numpy()
    _hide(out, hidden, [*value_cols, n_col])
    out["suppressed"] = hidden
    return out


def close_remainders(n: pd.Series, hidden: np.ndarray, parent: pd.Series,
                     parent_n: pd.Series, min_n: int,
                     leaf: pd.Series | None = None) -> np.ndarray:
    """Hide the smallest shown sibling until each shown parent's hidden rows total 0 or
    at least ``min_n`` respondents.

    A shown parent minus its shown children is the figure of the hidden children taken
    together; it is safe only when those hold no one or at least ``min_n`` people. One
    small hidden child is the classic case; two small ones (1 and 2 beside a total) are
    the case a one-sibling rule misses. The hidden total counts listed children only, so
    respondents of the parent in no listed child never count as protection.
    """
    hidden = hidden.copy()
    # an unknown count may be as small as 1: count it so (the cautious reading)
    size = n.fillna(1)
    while True:
        hidden_sum = size.where(hidden, 0).groupby(parent).transform("sum")
        leak = ((hidden_sum > 0) & (hidden_sum < min_n) & (parent_n >= min_n)).to_numpy()
        leak = leak & ~hidden & (size > 0).to_numpy()  # an empty child protects no one
        if not leak.any():
            return hidden
        order = pd.DataFrame({"parent": parent[leak], "n": size[leak],
                              "leaf": (leaf if leaf is not None else n.index.to_series())[leak]})
        pick = order.sort_values(["parent", "n", "leaf"], kind="stable").groupby("parent").head(1)
        hidden[pick.index.to_numpy()] = True


def complementary_suppress(
    frame: pd.DataFrame,
    group_cols: Sequence[str],
    n_col: str,
    value_cols: Sequence[str],
    min_n: int,
    parent_total: str | None = None,
) -> pd.DataFrame:
    """Primary and complementary suppression, so no hidden group can be recovered.

    Rule (metrics.md §7). A row is *primary*-suppressed when its n is below ``min_n``
    (or missing). The parent of a row is the group of rows sharing all ``group_cols`` but
    the last (all rows when there is one column). When the parent's figure is shown
    (its n is at least ``min_n``) and its hidden children together hold 1 to ``min_n``-1
    respondents, their figure would be the parent minus the shown children; so shown
    siblings are suppressed too, smallest n first, until the hidden ones together hold at
    least ``min_n`` (*complementary*, see :func:`close_remainders`). A child with n = 0
    carries no respondents, so it neither needs protection nor gives any: hiding it
    next to one real small group would protect nothing. One level of a hierarchy is
    handled per call; a parent with no shown sibling left (possible only with
    ``parent_total``) must itself be hidden upstream.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per child group, not changed.
    group_cols : sequence of str
        Columns identifying a row, outermost first, e.g. ``["unit_id", "department"]``.
    n_col : str
        Respondents behind the row.
    value_cols : sequence of str
        Figures computed from those respondents (means, sums, % satisfied, ...).
    min_n : int
        Minimum group size; at least 3.
    parent_total : str, optional
        Column holding the parent's own n (same on every row of a parent), when the
        parent includes respondents in no listed child. Default: the sum of its
        children's n.

    Returns
    -------
    pandas.DataFrame
        A copy in the input order where hidden rows have NaN ``value_cols`` and
        ``n_col``, plus

        - ``suppressed``: bool
        - ``suppression``: ``'primary'``, ``'complementary'`` or None.

    Example
    -------
    >>> import pandas as pd
    >>> from analytics.access.privacy import complementary_suppress
    >>> df = pd.DataFrame({"unit": ["U1"] * 3, "dept": ["a", "b", "c"],
    ...                    "n": [2, 9, 20], "esat": [50.0, 60.0, 70.0]})
    >>> complementary_suppress(df, ["unit", "dept"], "n", ["esat"], 5)["suppression"].tolist()
    ['primary', 'complementary', None]
    """
    min_n = check_min_group_size(min_n)
    parents = list(group_cols[:-1])
    rows = frame.reset_index(drop=True)  # positional from here on: the index may repeat
    n = _counts(rows[n_col])
    primary = ~(n >= min_n)
    if parents:
        parent = rows.groupby(parents, dropna=False, sort=False).ngroup()
    else:
        parent = pd.Series(0, index=rows.index)
    parent_n = rows[parent_total] if parent_total else n.groupby(parent).transform("sum")
    primary_hidden = primary.to_numpy(dtype=bool)
    hidden = close_remainders(n, primary_hidden, parent, parent_n, min_n,
                              rows[group_cols[-1]].astype(str))
    secondary = hidden & ~primary_hidden
    out = frame.copy()
    _hide(out, hidden, [*value_cols, n_col])
    out["suppressed"] = hidden
    label = np.where(primary, "primary", np.where(secondary, "complementary", None))
    out["suppression"] = pd.Series(label, index=out.index, dtype=object)
    return out


# --- Minimum difference: no two selections may differ by a small group -------------------

#: columns of the cell counts :func:`difference_guard` reads; org keys describe units
CELL_KEYS = ("unit_id", "period", "department")
ORG_KEYS = ("unit_id", "region", "division")
NOT_GIVEN = "(not given)"


def effective_units(units: pd.DataFrame, regions: Sequence[str] = (),
                    divisions: Sequence[str] = (), unit_ids: Sequence[str] = ()
                    ) -> frozenset[str] | None:
    """The units a selection's region, division and unit filters leave (None: no filter).

    ``units`` has ``unit_id``, ``region`` and ``division`` (``queries.units``).
    """
    if not (regions or divisions or unit_ids):
        return None
    keep = pd.Series(True, index=units.index)
    for col, values in (("region", regions), ("division", divisions),
                        ("unit_id", unit_ids)):
        if values:
            keep &= units[col].isin(list(values))
    return frozenset(units.loc[keep, "unit_id"].astype(str))


def _small(counts: pd.DataFrame | pd.Series, min_n: int):
    return (counts > 0) & (counts < min_n)


def difference_guard(
    cells: pd.DataFrame,
    n_cols: Sequence[str],
    min_n: int,
    *,
    units: frozenset[str] | None = None,
    periods: Sequence[str] | None = None,
    departments: Sequence[str] | None = None,
    by: Sequence[str] = (),
    fixed: Sequence[str] = (),
) -> tuple[pd.DataFrame, tuple[str, str] | None]:
    """Which rows of a selection (or of its breakdown) a subtracting reader could undo.

    A selection is a product of an org part (units, from region, division and unit
    filters), a month range and a department set. Its figure is *unsafe* (metrics.md §7,
    "a filter combination that isolates a small group is refused") when

    - **atoms**: for a dimension it filters (months always; units when an org filter or
      an org breakdown is in use; departments when filtered or broken down by), one of
      its values holds 1 to ``min_n - 1`` respondents of the selection: the selection
      without that value is another view, and the two would differ by a small group; or
    - **difference**: dropping any set of its org and department filters gives a view
      that holds 1 to ``min_n - 1`` respondents more.

    If every shown figure passes both, two shown selections one inside the other always
    differ by 0 or at least ``min_n`` respondents: whatever dimensions they differ in,
    the difference is a union of the larger one's atoms, or one of the smaller one's
    dropped-filter differences (tests/security proves it on a fixture with small groups).

    Parameters
    ----------
    cells : pandas.DataFrame
        Respondent counts per ``unit_id``, ``period``, ``department`` (missing departments
        allowed) and the ``fixed`` keys, over at least the selection's months and *every*
        unit and department; plus ``region`` and ``division`` when ``by`` uses them.
    n_cols : sequence of str
        Count columns, each checked on its own (e.g. ``n_employee``, ``n_enps``).
    min_n : int
        Minimum group size.
    units, periods, departments
        The selection: effective unit ids (None: no org filter), months (None: all the
        cells' months), departments (None: no department filter).
    by : sequence of str
        Breakdown keys: each row is the selection narrowed to one value of them.
    fixed : sequence of str
        Keys that split the cells into independent tables (e.g. ``item``).

    Returns
    -------
    tuple
        A DataFrame with the ``by`` and ``fixed`` keys of every non-empty row and one bool
        column per count (True: unsafe); and the first problem found as (kind, what),
        kind ``'atom'`` or ``'difference'``, what ``'month'``, ``'unit'`` or
        ``'department'`` (None when every row is safe).

    Example
    -------
    >>> cells = pd.DataFrame({"unit_id": ["A", "A", "B"], "period": ["2026-01"] * 3,
    ...                       "department": ["x", "y", "x"], "n": [9, 2, 8]})
    >>> rows, problem = difference_guard(cells, ["n"], 5, departments=["x"])
    >>> bool(rows["n"].iloc[0]), problem
    (True, ('difference', 'department'))
    """
    min_n = check_min_group_size(min_n)
    n_cols = list(n_cols)
    keys, fixed = [*by, *fixed], list(fixed)
    c = cells.reset_index(drop=True)
    dept = c["department"].astype(object)
    dept = dept.where(dept.notna(), NOT_GIVEN)
    counts = np.column_stack([pd.to_numeric(c[col], errors="coerce").to_numpy(float)
                              for col in n_cols]) if len(c) else np.zeros((0, len(n_cols)))
    counts = np.nan_to_num(counts, nan=0.0)
    everywhere = np.ones(len(c), dtype=bool)
    in_org = c["unit_id"].isin(units).to_numpy() if units is not None else everywhere
    in_month = c["period"].isin(list(periods)).to_numpy() if periods is not None \
        else everywhere
    in_dept = dept.isin(list(departments)).to_numpy() if departments is not None \
        else everywhere
    org_on = units is not None or any(k in ORG_KEYS for k in by)
    dept_on = departments is not None or "department" in by
    sel = in_org & in_month & in_dept
    # every key as sorted integer codes over all the cells (a missing value sorts last,
    # as in groupby(dropna=False)), so a group of any key set is one integer
    column = {k: dept if k == "department" else c[k] for k in {*keys, *CELL_KEYS}}
    codes: dict[str, tuple[np.ndarray, int]] = {}
    missing: dict[str, np.ndarray] = {}
    for k, values in column.items():
        code, uniques = pd.factorize(values, sort=True, use_na_sentinel=False)
        codes[k] = (code.astype(np.int64), len(uniques) or 1)
        missing[k] = values.isna().to_numpy()

    def group(cols: list[str]) -> np.ndarray:
        out = np.zeros(len(c), dtype=np.int64)
        for k in cols:
            code, size = codes[k]
            out = out * size + code
        return out

    row_of_cell = group(keys)
    row_codes, first = np.unique(row_of_cell[sel], return_index=True)
    if keys:
        row_pos = np.flatnonzero(sel)[first]  # a cell of each row, rows in key order
        # as groupby's keys: an object column's values get their dtype inferred ('str')
        rows = pd.DataFrame({k: pd.Index(column[k].to_numpy()[row_pos])
                             if column[k].dtype == object else column[k].iloc[row_pos].array
                             for k in keys})
        # groupby(level=...) drops missing keys: such a row has no atom
        atom_ok = ~np.any([missing[k][row_pos] for k in keys], axis=0)
    else:
        rows = pd.DataFrame(index=[0])
        row_codes, row_pos = np.zeros(1, dtype=np.int64), None
        atom_ok = np.ones(1, dtype=bool)
    n_rows = len(rows)
    row_index = np.searchsorted(row_codes, row_of_cell)  # valid where sel

    def sums(mask: np.ndarray, slot: np.ndarray, size: int) -> np.ndarray:
        out = np.zeros((size, len(n_cols)))
        np.add.at(out, slot[mask], counts[mask])
        return out

    here = sums(sel, row_index, n_rows)
    unsafe = np.zeros((n_rows, len(n_cols)), dtype=bool)
    problem = None
    atoms = [("period", "month"), *([("unit_id", "unit")] if org_on else []),
             *([("department", "department")] if dept_on else [])]
    for dim, what in atoms:
        if dim in keys:
            hit = _small(here, min_n)
        else:
            code, size = codes[dim]
            part = sums(sel, row_index * size + code, n_rows * size)
            hit = _small(part, min_n).reshape(n_rows, size, len(n_cols)).any(axis=1)
        hit &= atom_ok[:, None]
        problem = problem or (("atom", what) if hit.any() else None)
        unsafe |= hit
    filtered = [d for d, on in (("org", org_on), ("dept", dept_on)) if on]
    for k in range(1, len(filtered) + 1):
        for drop in _subsets(filtered, k):
            mask = in_month.copy()
            if "org" not in drop:
                mask &= in_org
            if "dept" not in drop:
                mask &= in_dept
            kept = [g for g in keys if not (("org" in drop and g in ORG_KEYS)
                                            or ("dept" in drop and g == "department"))]
            cell_group = group(kept)
            uniq, slot = np.unique(cell_group, return_inverse=True)
            wide = sums(mask, slot.ravel(), len(uniq))
            if kept:
                wide = wide[np.searchsorted(uniq, cell_group[row_pos])]
            else:
                wide = np.repeat(counts[mask].sum(axis=0)[None, :], n_rows, axis=0)
            hit = _small(wide - here, min_n)
            what = "unit" if "org" in drop else "department"
            problem = problem or (("difference", what) if hit.any() else None)
            unsafe |= hit
    flags = pd.DataFrame(unsafe, columns=n_cols, index=rows.index)
    return pd.concat([rows, flags], axis=1), problem


def _subsets(items: list[str], k: int) -> list[tuple[str, ...]]:
    from itertools import combinations

    return list(combinations(items, k))


def shield_breakdown(base: pd.DataFrame, keys: list[str], parent_n: dict[str, pd.Series],
                     unsafe: pd.DataFrame, min_n: int,
                     figures: dict[str, tuple[str, ...]],
                     flags: dict[str, str] | None = None) -> pd.DataFrame:
    """Primary, minimum-difference and complementary suppression of a one-level breakdown.

    ``keys`` identify a row, outermost first; its parent is the rows sharing all keys but
    the last (all rows for one key). ``parent_n[n_col]`` is each row's parent's true count
    (0 where the parent itself is not shown: nothing to subtract from). ``unsafe`` (a bool
    per row and count) marks rows :func:`difference_guard` refused. ``figures`` maps each
    count to the figures computed from it; ``flags`` the prefix of each count's
    ``suppressed`` / ``suppression`` columns ('' by default).
    """
    flags = flags or {}
    out = base.copy()
    parent = (out.groupby(keys[:-1], dropna=False, sort=False).ngroup()
              if len(keys) > 1 else pd.Series(0, index=out.index))
    for n_col, cols in figures.items():
        cols = [c for c in cols if c in out]
        true_n = pd.to_numeric(out[n_col], errors="coerce").astype(float)
        work = out[keys].assign(_n=true_n.where(~unsafe[n_col]), _parent=parent_n[n_col],
                                **{c: out[c] for c in cols})
        res = complementary_suppress(work, keys, "_n", cols, min_n, parent_total="_parent")
        hidden = close_remainders(true_n, res["suppressed"].to_numpy(), parent,
                                  parent_n[n_col], min_n)
        why = np.where(true_n < min_n, "primary",
                       np.where(unsafe[n_col], "difference", "complementary"))
        for c in [*cols, n_col]:
            out[c] = out[c].where(~hidden)
        out[f"{flags.get(n_col, '')}suppressed"] = hidden
        out[f"{flags.get(n_col, '')}suppression"] = pd.Series(
            np.where(hidden, why, None), index=out.index, dtype=object)
    return out
