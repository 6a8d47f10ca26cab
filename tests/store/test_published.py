"""The published table set as the reads use it (analytics.read.published) on the demo
company: figures added up from published groups equal the stored rows, a selection that
is no union of published groups gets none, comment lists partition the comments, and the
decision the warm-up keeps is the one a fresh build makes."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.read import data, published, warmup
from analytics.store import kept


@pytest.fixture
def ts(demo_db):
    published.clear()
    return published.build(demo_db, data.settings(demo_db))


def _raw(con, where: str, params: dict) -> tuple[int, float, float]:
    """Respondents, ESAT index and % satisfied from the stored rows."""
    return con.execute(
        f"""SELECT count(*), avg((esat - esat_lo) / (esat_hi - esat_lo) * 100),
                   avg((esat >= esat_hi - 1)::INT) * 100
            FROM employee_responses r JOIN units_current u USING (unit_id) WHERE {where}""",
        params).fetchone()


def test_a_region_quarter_added_up_from_published_groups_equals_the_rows(demo_db, ts):
    months = ("2026-07", "2026-08", "2026-09")
    north = frozenset(ts.units.loc[ts.units.region == "North", "unit_id"])
    got = published.selection(ts, published.Scope(north, months))
    n, index, sat = _raw(demo_db, "u.region = 'North' AND period BETWEEN $a AND $b",
                         {"a": months[0], "b": months[-1]})
    assert got["n_employee"] == n
    assert got["esat_index"] == pytest.approx(index)
    assert got["esat_pct_satisfied"] == pytest.approx(sat)
    rows = published.cover(ts, "esat", published.Scope(north, months))
    assert set(ts.groups["esat"].loc[rows, "table"]) == {"region_month"}
    assert got["esat_sd"] is not None  # a region's second moment is published


def test_a_department_over_a_quarter_equals_the_rows(demo_db, ts):
    months = ("2026-04", "2026-05", "2026-06")
    everyone = frozenset(ts.units.unit_id)
    got = published.selection(ts, published.Scope(everyone, months, ("Warehouse",)))
    n, index, _ = _raw(demo_db, "department = 'Warehouse' AND period BETWEEN $a AND $b",
                       {"a": months[0], "b": months[-1]})
    assert (got["n_employee"], got["esat_index"]) == (n, pytest.approx(index))
    assert got["esat_sd"] is None  # no department's second moment is published


def test_what_is_no_union_of_published_groups_gets_nothing(ts):
    everyone = frozenset(ts.units.unit_id)
    # departments need whole complete quarters; the latest quarter is not complete
    assert published.counts(ts, "esat", published.Scope(everyone, ("2026-08",),
                                                        ("Warehouse",))) is None
    assert published.counts(ts, "esat", published.Scope(everyone, ("2026-10",),
                                                        ("Warehouse",))) is None
    # a unit's pooled department is no group of its own
    pools = ts.pools
    row = pools.iloc[0]
    q = row["quarter"]
    months = tuple(f"{q[:4]}-{m:02d}" for m in range(3 * int(q[-1]) - 2, 3 * int(q[-1]) + 1))
    assert published.counts(ts, "esat", published.Scope(
        frozenset({row["unit_id"]}), months, (row["department"],))) is None


def test_quarters_for_a_range_or_a_month(ts):
    assert ts.latest == "2026-10"
    assert published.quarters_for(ts, ("2026-10",)) == ["2026-Q3"]
    assert published.quarters_for(ts, ("2026-05", "2026-06", "2026-07", "2026-08",
                                       "2026-09")) == ["2026-Q3"]
    assert published.quarters_for(ts, ("2026-01", "2026-02")) == ["2025-Q4"]


def test_comment_lists_partition_the_comments(demo_db, ts):
    lists = ts.comment_lists
    assert not lists.duplicated(["unit_id", "period"]).any()  # one list per unit-month
    sizes = lists.drop_duplicates("list").set_index("list")["n"]
    assert (sizes >= 10).all()
    raw = demo_db.execute(
        """SELECT unit_id, period, count(*) AS n FROM employee_responses
           WHERE trim(comment) <> '' GROUP BY ALL""").df()
    per_list = lists.merge(raw, on=["unit_id", "period"], suffixes=("", "_raw"))
    assert (per_list.groupby("list")["n_raw"].sum() == sizes).all()
    assert set(lists["kind"]) <= {"unit", "region", "company"}


def test_the_warm_up_keeps_the_decision_a_fresh_build_makes(demo_db, ts):
    warmup.warm_up(demo_db)
    published.clear()
    again = published._read_kept(demo_db, kept.content_key(demo_db), data.settings(demo_db))
    assert again is not None
    for family, frame in ts.groups.items():
        pd.testing.assert_frame_equal(frame.reset_index(drop=True),
                                      again.groups[family].reset_index(drop=True),
                                      check_dtype=False)
    pd.testing.assert_frame_equal(ts.comment_lists.reset_index(drop=True),
                                  again.comment_lists.reset_index(drop=True),
                                  check_dtype=False)
