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
    >>> from analytics.privacy import suppress
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
    >>> from analytics.privacy import complementary_suppress
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
