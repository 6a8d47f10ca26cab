"""The Unit detail page through AppTest: its numbers, limits and alerts are the analytics'."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from analytics.filters import Filters
from analytics.metrics.alerts import all_alerts, control_alerts
from analytics.metrics.balance import balance, legs_frame
from analytics.read import data
from tests.app.exec_fixtures import thin_db  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
ALL_MONTHS = Filters("2024-11", "2026-10")


def _array(values) -> np.ndarray:
    """A plotly JSON array: a list, or a typed array ``{"dtype", "bdata"}`` (plotly 6+)."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.asarray(values, dtype=float)


def _page() -> AppTest:
    return AppTest.from_file(str(ROOT / "pages" / "unit.py"), default_timeout=60)


def _latest(con, unit: str, filters: Filters = ALL_MONTHS):
    s = data.settings(con)
    bal = balance(legs_frame(data.panel(con, filters, s), s))
    return bal[(bal["period"] == bal["period"].max()) & (bal["unit_id"] == unit)].iloc[0]


def test_defaults_to_the_most_out_of_balance_unit(demo_db):
    at = _page().run()
    assert not at.exception
    assert at.selectbox(key="unit_id").value == "U19"
    row = _latest(demo_db, "U19")
    shown = {m.label: m.value for m in at.metric}
    assert shown["ESAT index"] == f"{row['esat']:.1f}"
    assert shown["CSAT %"] == f"{row['csat']:.1f}"
    assert shown["Gross margin %"] == f"{row['profit']:.1f}"
    assert shown["Imbalance"] == f"{row['imbalance']:.2f}"
    captions = " ".join(c.value for c in at.caption)
    assert f"z = {row['z_csat']:+.2f} against 40 units" in captions
    assert f"{row['n_customer']:.0f} customer responses" in captions


@pytest.mark.parametrize("how", ["session_state", "query_param"])
def test_the_unit_comes_from_the_session_or_the_url(demo_db, how):
    at = _page()
    if how == "session_state":
        at.session_state["unit_id"] = "U07"
    else:
        at.query_params["unit_id"] = "U07"
    at.run()
    assert not at.exception
    assert at.selectbox(key="unit_id").value == "U07"
    assert at.query_params["unit_id"] in ("U07", ["U07"])


def test_alerts_and_control_limits_are_the_analytics(demo_db):
    at = _page()
    at.session_state["unit_id"] = "U07"
    at.run()
    s = data.settings(demo_db)
    panel = data.panel(demo_db, ALL_MONTHS, s)
    expected = all_alerts(panel, s).query("unit_id == 'U07'")["message"].tolist()
    shown = [t.value.split(": ", 1)[1] for t in at.text]
    assert shown == expected and len(expected) >= 2
    # the control alert quotes its own limits (the change against U07's baseline, with
    # carry-over; docs/alerts.md), the raw and the shrunk CSAT; the page's chart keeps
    # the p-chart of analytics.read.views, whose limits are a different, descriptive rule
    quoted = control_alerts(panel, s).query("unit_id == 'U07' and leg == 'csat'")
    assert len(quoted) == 1
    row = quoted.iloc[0]
    assert row["lcl"] < row["centre"] < row["ucl"] and not row["lcl"] <= row["value"] <= row["ucl"]
    assert {"raw", "shrunk", "n"} <= set(row["values"])
    assert at.get("plotly_chart")


def test_region_filter_changes_the_comparison(demo_db):
    at = _page()
    at.session_state["unit_id"] = "U06"
    at.run()
    at.sidebar.multiselect(key="f_region").select("North").run()
    assert not at.exception
    row = _latest(demo_db, "U06", Filters("2024-11", "2026-10", regions=("North",)))
    captions = " ".join(c.value for c in at.caption)
    assert f"z = {row['z_esat']:+.2f} against 8 units" in captions
    assert {m.label: m.value for m in at.metric}["Imbalance"] == f"{row['imbalance']:.2f}"


def test_a_unit_filter_narrows_the_choice_but_not_the_peers(demo_db):
    at = _page()
    at.query_params["unit"] = "U33"
    at.run()
    assert not at.exception
    assert at.selectbox(key="unit_id").options == ["Derby Store (U33)"]
    row = _latest(demo_db, "U33")
    assert f"z = {row['z_esat']:+.2f} against 40 units" in " ".join(c.value for c in at.caption)


@pytest.mark.usefixtures("thin_db")
def test_thin_data_shows_no_z_scores_or_limits():
    at = _page().run()
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    assert shown["Imbalance"] == "—"
    captions = " ".join(c.value for c in at.caption)
    assert "z not available" in captions and "z = " not in captions
    assert "Not enough data" in captions
    assert "No control limits yet" in captions


def test_unit_drivers_and_comments_follow_the_analytics(demo_db):
    """The unit's own drivers and comments, with the confidentiality rules of People."""
    from dataclasses import replace

    from analytics.filters import Filters
    from analytics.read import people
    from analytics.settings import DEFAULT

    at = _page()
    at.session_state["unit_id"] = "U07"
    at.run()
    assert not at.exception
    f = replace(Filters("2024-11", "2026-10"), units=("U07",))
    drivers = people.drivers(demo_db, f, DEFAULT).set_index("item")
    tables = [t.value for t in at.dataframe if "Correlation r" in t.value.columns]
    employee = tables[0].set_index("Item")  # the first tab: employee drivers
    assert sorted(employee.index) == sorted(drivers.index) == sorted(
        ["empowerment", "training", "recognition", "tools", "workload"])
    for item in employee.index:
        assert employee.loc[item, "Correlation r"] == round(drivers.loc[item, "r"], 2)
    said = people.comments(demo_db, f, DEFAULT)
    lists, _label = people.comment_lists(demo_db, f, DEFAULT)
    # one unit alone: only its own lists (a quarter with ten or more comments), never a
    # region's or the company's, and the count is the stored comments of those quarters
    assert set(lists["unit_id"]) <= {"U07"} and set(lists["kind"]) <= {"unit"}
    quarters = sorted(set(lists["quarter"]))
    raw = {q: demo_db.execute(
        """SELECT count(*) FROM employee_responses WHERE unit_id = 'U07'
           AND trim(comment) <> '' AND period BETWEEN $a AND $b""",
        {"a": f"{q[:4]}-{3 * int(q[-1]) - 2:02d}", "b": f"{q[:4]}-{3 * int(q[-1]):02d}"}
    ).fetchone()[0] for q in quarters}
    assert all(n >= 10 for n in raw.values())
    if said["shown"]:
        assert int(said["summary"]["n_comments"].iloc[0]) == sum(raw.values())
        assert any("fixed lists" in c.value for c in at.caption)
    else:
        shown = " ".join(el.value for el in at.markdown) + " ".join(el.value for el in at.info)
        assert said["message"] in shown
