"""The Customers page through AppTest on the demo company."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from analytics.filters import Filters
from analytics.read import customers

ROOT = Path(__file__).resolve().parents[2]
LATEST = "2026-10"


def _page() -> AppTest:
    return AppTest.from_file(str(ROOT / "pages" / "customers.py"), default_timeout=90)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _raw(con, where: str = "TRUE", params: dict | None = None) -> tuple:
    """CSAT %, NPS and complaints per 100 straight from the stored rows."""
    return con.execute(
        f"""SELECT count(*) FILTER (WHERE csat >= 4) * 100.0 / count(csat),
                   (count(*) FILTER (WHERE nps >= 9) - count(*) FILTER (WHERE nps <= 6))
                       * 100.0 / count(nps),
                   count(*) FILTER (WHERE complaint) * 100.0 / count(*)
            FROM customer_responses r JOIN units_current u USING (unit_id)
            WHERE period = $p AND {where}""", {"p": LATEST, **(params or {})}).fetchone()


def _array(value) -> list[float]:
    """A plotly array from a chart spec (plotly 6+ sends numbers as typed binary)."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), value["dtype"]).tolist()
    return list(value)


def test_cards_show_the_analytics_numbers(demo_db):
    at = _page().run()
    assert not at.exception, at.exception
    shown = _metrics(at)
    expected = customers.summary(demo_db, Filters().with_period(LATEST))
    csat, nps, rate = _raw(demo_db)
    assert shown["CSAT %"] == f"{expected['csat_pct']:.1f}" == f"{csat:.1f}"
    assert shown["NPS"] == f"{expected['nps']:+.0f}" == f"{nps:+.0f}"
    assert shown["Complaints per 100"] == f"{rate:.1f}"


def test_region_filter_changes_the_numbers(demo_db):
    at = _page().run()
    before = _metrics(at)
    at.sidebar.multiselect(key="f_region").select("North").run()
    after = _metrics(at)
    csat, _, _ = _raw(demo_db, "u.region = 'North'")
    assert after["CSAT %"] != before["CSAT %"] and after["CSAT %"] == f"{csat:.1f}"


def test_department_filter_leaves_customers_alone_and_says_so(demo_db):
    at = _page().run()
    before = _metrics(at)
    at.sidebar.multiselect(key="f_department").select("Admin").run()
    assert not at.exception
    assert _metrics(at) == before
    assert any("employee data only" in c.value for c in at.caption)


def test_complaints_rank_the_fastest_first(demo_db):
    at = _page().run()
    tables = [d.value for d in at.dataframe if "Median hours" in d.value.columns]
    table = tables[0]
    fastest = demo_db.execute(
        """SELECT unit_id, median(resolution_hours) AS h FROM customer_responses
           WHERE period = $p AND complaint AND resolved GROUP BY unit_id
           ORDER BY h, unit_id LIMIT 1""", {"p": LATEST}).fetchone()
    assert table["Unit"].iloc[0] == fastest[0]
    assert table["Median hours"].iloc[0] == pytest.approx(round(fastest[1], 1))
    assert table["Median hours"].dropna().is_monotonic_increasing
    expected = customers.complaints(demo_db, Filters().with_period(LATEST))
    assert table["Unit"].tolist() == expected.unit_id.tolist()


def test_trend_chart_draws_csat_in_its_leg_colour(demo_db):
    from ui.theme import LEG_COLOURS

    at = _page().run()
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    csat = [t for t in spec["data"] if t["name"].startswith("CSAT %")][0]
    assert csat["line"]["color"] == LEG_COLOURS["csat"]
    trend = customers.trend(demo_db, Filters(period_from="2024-11", period_to=LATEST))
    assert _array(csat["y"]) == pytest.approx(trend.csat_pct.tolist())


def test_drivers_table_matches_the_analytics(demo_db):
    at = _page().run()
    table = [d.value for d in at.dataframe if "Quadrant" in d.value.columns][0]
    expected = customers.drivers(demo_db, Filters().with_period(LATEST))
    assert table["Item"].tolist() == expected.item.tolist()
    assert table["Quadrant"].tolist() == expected.quadrant.tolist()
    assert table["Correlation r"].tolist() == pytest.approx(expected.r.round(2).tolist())


def test_comments_are_text_in_a_table(demo_db):
    at = _page().run()
    table = [d.value for d in at.dataframe if "comment" in d.value.columns][0]
    assert set(table.columns) == {"comment", "label", "theme"}
    themes = [d.value for d in at.dataframe if "example_1" in d.value.columns][0]
    expected = customers.comments(demo_db, Filters().with_period(LATEST))["themes"]
    assert themes["theme"].tolist() == expected["theme"].tolist()
    assert themes["n_comments"].tolist() == expected["n_comments"].tolist()
    assert set(themes.columns) == {"theme", "n_comments", "sentiment", "example_1",
                                   "example_2"}
    assert not at.markdown or all("Rude staff" not in m.value for m in at.markdown)


def test_empty_database_says_what_to_upload(tiny_duck):
    at = _page().run()
    assert not at.exception
    assert any("No data yet" in i.value for i in at.info)
