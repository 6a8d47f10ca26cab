"""Property tests of metrics.md §7 through analytics.read.people, on random small companies.

For random head counts per unit × department (many of them below the threshold), no
employee figure returned belongs to a group below ``min_group_size``, and none can be
recovered by subtraction: not of shown siblings from a shown total, and not of one shown
view from another that differs from it by one filter value.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from analytics.filters import Filters
from analytics.read import people
from analytics.settings import Settings
from analytics.store import connect
from analytics.store.load import BatchMeta, write_batch

UNITS = ("U1", "U2", "U3")
DEPTS = ("A", "B", "C")
CELLS = [(u, d) for u in UNITS for d in DEPTS]
P = "2026-09"


def _company(counts: list[int], seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    rows = pd.DataFrame(CELLS, columns=["unit_id", "department"]).loc[
        np.repeat(np.arange(len(CELLS)), counts)].reset_index(drop=True)
    n = len(rows)
    rows = rows.assign(row_no=np.arange(1, n + 1), period=P, esat=rng.integers(1, 6, n),
                       esat_lo=1.0, esat_hi=5.0, enps=rng.integers(0, 11, n))
    items = pd.DataFrame({"row_no": rows.row_no, "item": "tools",
                          "value": rng.integers(1, 6, n).astype(float), "lo": 1.0, "hi": 5.0})
    return rows, items


def _load(counts: list[int], seed: int):
    con = connect(":memory:")
    rows, items = _company(counts, seed)
    write_batch(con, BatchMeta("employee", "e.csv", "h"), rows, items)
    return con, rows


companies = st.tuples(
    st.lists(st.integers(0, 8), min_size=len(CELLS), max_size=len(CELLS)).filter(
        lambda c: sum(c) > 0),
    st.integers(0, 2**16),
    st.sampled_from([3, 5]),
)
SETTINGS = settings(max_examples=20, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _true(rows: pd.DataFrame, units=UNITS, depts=DEPTS) -> int:
    return int((rows.unit_id.isin(units) & rows.department.isin(depts)).sum())


def _check_breakdown(table: pd.DataFrame, truth: pd.Series, total: int, min_n: int,
                     by: str) -> None:
    shown = table[~table.suppressed]
    for key, n in zip(shown[by], shown.n_employee, strict=True):
        assert truth[key] >= min_n and n == truth[key]  # a shown row is large and true
    assert table.loc[table.suppressed, "esat_index"].isna().all()
    assert table.loc[table.suppressed, "n_employee"].isna().all()
    rest = total - int(truth[shown[by]].sum())
    assert rest == 0 or rest >= min_n  # the hidden rows together are no small group


@SETTINGS
@given(companies)
# two small departments (1 + 1 answers) beside a large one: each is hidden, and together
# they are still fewer than 3, so the large one must go too
@example(([1, 1, 8] + [0] * 6, 1, 3))
def test_breakdowns_hide_small_groups_and_their_remainder(company):
    counts, seed, min_n = company
    con, rows = _load(counts, seed)
    s = Settings(min_group_size=min_n, min_comment_group_size=max(10, min_n))
    for by in ("department", "unit_id"):
        table = people.by_group(con, Filters(), s, by)
        if len(rows) < min_n:
            assert table.empty
            continue
        truth = rows.groupby(by).size()
        _check_breakdown(table, truth, len(rows), min_n, by)
        shown = table[~table.suppressed]
        for key, value in zip(shown[by], shown.esat_index, strict=True):
            expected = ((rows.esat[rows[by] == key] - 1) * 25).mean()  # 1-5 -> 0-100
            assert abs(value - expected) < 1e-9


@SETTINGS
@given(companies)
def test_no_filter_isolates_a_small_group(company):
    counts, seed, min_n = company
    con, rows = _load(counts, seed)
    s = Settings(min_group_size=min_n, min_comment_group_size=max(10, min_n))
    for u, d in CELLS:
        got = people.summary(con, Filters(units=(u,), departments=(d,)), s)
        n = _true(rows, (u,), (d,))
        if got["esat_index"] is not None:
            assert n >= min_n
            # and the view differs from each wider view by 0 or at least min_n
            for wider in (_true(rows, UNITS, (d,)), _true(rows, (u,), DEPTS)):
                assert wider - n == 0 or wider - n >= min_n
        if n < min_n:
            assert got["esat_index"] is None and got["n_responses"] is None


def _views():
    """Pairs of selections that differ by one filter value (the second inside the first)."""
    for units in [UNITS, *combinations(UNITS, 2)]:
        for drop in units:
            yield ((units, DEPTS), (tuple(u for u in units if u != drop), DEPTS))
    for depts in [DEPTS, *combinations(DEPTS, 2)]:
        for drop in depts:
            yield ((UNITS, depts), (UNITS, tuple(d for d in depts if d != drop)))


def _filters(units, depts) -> Filters:
    return Filters(units=() if units == UNITS else units,
                   departments=() if depts == DEPTS else depts)


@SETTINGS
@given(companies)
def test_two_views_never_differ_by_a_small_group(company):
    counts, seed, min_n = company
    con, rows = _load(counts, seed)
    s = Settings(min_group_size=min_n, min_comment_group_size=max(10, min_n))
    seen: dict[tuple, bool] = {}

    def shown(view) -> bool:
        if view not in seen:
            seen[view] = people.summary(con, _filters(*view), s)["esat_index"] is not None
        return seen[view]

    for big, small in _views():
        if shown(big) and shown(small):
            gap = _true(rows, *big) - _true(rows, *small)
            assert gap == 0 or gap >= min_n, (big, small, gap)


@SETTINGS
@given(companies)
def test_breakdown_rows_of_two_views_never_differ_by_a_small_group(company):
    counts, seed, min_n = company
    con, rows = _load(counts, seed)
    s = Settings(min_group_size=min_n, min_comment_group_size=max(10, min_n))
    tables: dict[tuple, pd.DataFrame] = {}

    def table(units) -> pd.DataFrame:
        if units not in tables:
            tables[units] = people.by_group(con, _filters(units, DEPTS), s, "department")
        return tables[units]

    for units in [UNITS, *combinations(UNITS, 2)]:
        big = table(units)
        for drop in units:
            rest = tuple(u for u in units if u != drop)
            small = table(rest)
            if big.empty or small.empty:
                continue
            both = big[~big.suppressed].merge(small[~small.suppressed], on="department")
            for d in both.department:
                gap = _true(rows, units, (d,)) - _true(rows, rest, (d,))
                assert gap == 0 or gap >= min_n, (units, rest, d, gap)


@SETTINGS
@given(companies)
def test_heatmap_and_enps_follow_the_same_rules(company):
    counts, seed, min_n = company
    con, rows = _load(counts, seed)
    s = Settings(min_group_size=min_n, min_comment_group_size=max(10, min_n))
    heat = people.item_heatmap(con, Filters(), s, "department")
    truth = rows.groupby("department").size()
    if len(heat):
        _check_breakdown(heat.rename(columns={"n": "n_employee", "mean": "esat_index"}),
                         truth, len(rows), min_n, "department")
    dist = people.enps_distribution(con, Filters(), s, "department")
    for d, part in dist.groupby("department"):
        assert truth[d] >= min_n and part.n.sum() == truth[d] and len(part) == 11
