"""The demo company is deterministic, realistic in size, and carries its planted chain."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.demo import company as demo


def test_same_seed_same_company():
    a, b = demo.generate(seed=3), demo.generate(seed=3)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert not a["customer"].equals(demo.generate(seed=4)["customer"])


def test_size_and_shape():
    d = demo.generate()
    assert len(d["units"]) == 40
    assert d["units"].region.nunique() == 5 and d["units"].division.nunique() == 2
    cells = 40 * 24
    assert len(d["financials"]) == cells
    assert 18 <= len(d["employee"]) / cells <= 22
    assert 140 <= len(d["customer"]) / cells <= 160
    assert d["employee"].esat.between(1, 5).all() and d["customer"].nps.between(0, 10).all()
    assert {"item:empowerment", "item:workload"} <= set(d["employee"].columns)
    assert {"item:courtesy", "item:value"} <= set(d["customer"].columns)


def test_planted_chain_is_visible_in_the_summary(demo_db):
    """Within units, ESAT leads CSAT by two months: the lag-2 correlation is the largest."""
    from analytics.metrics import balance, relationships
    from analytics.read import data

    legs = balance.legs_frame(data.panel(demo_db))
    profile = relationships.lag_profile(legs, "esat", "csat", max_lag=6)
    assert profile.set_index("lag").r.idxmax() == demo.ESAT_TO_CSAT_LAG
    profit = relationships.lag_profile(legs, "csat", "profit", max_lag=6)
    assert profit.set_index("lag").r.idxmax() == demo.CSAT_TO_PROFIT_LAG


@pytest.mark.parametrize("planted", demo.PLANTED, ids=lambda p: p.unit_id)
def test_planted_units_raise_their_alerts(demo_db, planted):
    from analytics.metrics import alerts
    from analytics.read import data

    found = alerts.all_alerts(data.panel(demo_db))
    mine = found[(found.unit_id == planted.unit_id) & (found.kind == planted.expected_alert)]
    column = "pattern" if planted.expected_alert == "divergence" else "leg"
    assert planted.leg in mine[column].tolist()
