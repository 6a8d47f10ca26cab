"""analytics.read.summary on hand-made panels: the counts, tests and sentences it writes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analytics.read.summary import plain_summary, previous_month, region_changes, unit_changes
from analytics.settings import DEFAULT, Settings

JAN, FEB = "2024-01", "2024-02"


def _row(unit, period, csat=(50, 100), esat=(70.0, 20.0, 50), margin=30.0, revenue=100.0,
         region="North", name=None) -> dict:  # fmt: skip
    return {
        "unit_id": unit, "unit_name": name or f"{unit} Store", "region": region,
        "period": period, "csat_sat_n": csat[0], "n_customer": csat[1],
        "csat_pct": 100 * csat[0] / csat[1], "esat_index": esat[0], "esat_sd": esat[1],
        "n_employee": esat[2], "gross_margin_pct": margin, "revenue": revenue,
    }  # fmt: skip


def _panel(rows) -> pd.DataFrame:
    return pd.DataFrame(rows)


# A: CSAT 45% -> 60% of 100 (z-test p = 0.0337) and ESAT 70 (sd 20, n 50) -> 78 (18, 60)
# (Welch p = 0.0312): both significant rises. B: CSAT 50% -> 52% (p = 0.78), ESAT from 4
# responses (below min_group_size): not tested.
PANEL = _panel([
    _row("A", JAN, csat=(45, 100), esat=(70.0, 20.0, 50), margin=30.0, region="North"),
    _row("A", FEB, csat=(60, 100), esat=(78.0, 18.0, 60), margin=28.0, region="North"),
    _row("B", JAN, csat=(50, 100), esat=(60.0, 15.0, 4), margin=25.0, region="South"),
    _row("B", FEB, csat=(52, 100), esat=(62.0, 15.0, 4), margin=25.5, region="South"),
])  # fmt: skip
NO_ALERTS = pd.DataFrame(columns=["kind", "unit_id", "period", "leg", "pattern", "severity"])


def test_previous_month_crosses_the_year():
    assert previous_month("2024-01") == "2023-12"
    assert previous_month("2026-10") == "2026-09"


def test_unit_changes_test_each_leg_with_its_counts():
    out = unit_changes(PANEL, FEB, JAN)
    assert out[["unit_id", "leg"]].values.tolist() == [["A", "csat"], ["A", "esat"],
                                                       ["B", "csat"]]
    a_csat, a_esat, b_csat = out.to_dict("records")
    assert a_csat["diff"] == pytest.approx(15.0) and a_csat["p"] == pytest.approx(0.0337, abs=1e-4)
    assert a_csat["significant"] is True
    welch = stats.ttest_ind_from_stats(78.0, 18.0, 60, 70.0, 20.0, 50, equal_var=False).pvalue
    assert a_esat["p"] == pytest.approx(welch) and a_esat["significant"] is True
    assert b_csat["significant"] is False


def test_region_changes_pool_responses_not_unit_means():
    # two units of one region: 10 answers each, means 60 and 80, sd 10 each. Pooled mean
    # 70; pooled SS = 9*100 + 9*100 + 10*10^2 + 10*10^2 = 3800, sd = sqrt(3800/19).
    rows = [
        _row("A", JAN, esat=(60.0, 10.0, 10), csat=(30, 60), revenue=100.0, margin=20.0),
        _row("B", JAN, esat=(80.0, 10.0, 10), csat=(50, 40), revenue=300.0, margin=40.0),
        _row("A", FEB, esat=(60.0, 10.0, 10), csat=(30, 60), revenue=100.0, margin=20.0),
        _row("B", FEB, esat=(90.0, 10.0, 10), csat=(50, 40), revenue=100.0, margin=40.0),
    ]
    out = region_changes(_panel(rows), FEB, JAN).set_index("leg")
    assert out.loc["esat", "before"] == pytest.approx(70.0)
    assert out.loc["esat", "after"] == pytest.approx(75.0)
    sd_before = math.sqrt(3800 / 19)
    sd_after = math.sqrt((9 * 100 * 2 + 10 * 15**2 * 2) / 19)
    welch = stats.ttest_ind_from_stats(75.0, sd_after, 20, 70.0, sd_before, 20, equal_var=False)
    assert out.loc["esat", "p"] == pytest.approx(welch.pvalue)
    assert out.loc["csat", "before"] == pytest.approx(80.0)  # 80 of 100 answers, pooled
    # margin weighted by revenue: (20*100 + 40*300) / 400 = 35 -> (20*100 + 40*100) / 200 = 30
    assert out.loc["profit", "before"] == pytest.approx(35.0)
    assert out.loc["profit", "diff"] == pytest.approx(-5.0)
    assert out.loc["profit", "significant"] is None and np.isnan(out.loc["profit", "p"])


def test_summary_counts_only_significant_changes_and_names_the_divergent_region():
    text = plain_summary(PANEL, NO_ALERTS, DEFAULT, FEB)
    assert text.startswith(
        "Between 2024-01 and 2024-02, CSAT rose significantly in 1 of 2 units and fell in "
        "none; ESAT rose significantly in 1 of 1 unit and fell in none (two-proportion and "
        "Welch tests at the 5% level; chance alone would give fewer than one such change "
        "per leg)."
    )
    assert ("The North region's gross margin fell 2.0 points while its CSAT rose "
            "significantly (+15.0 points) and its ESAT rose significantly (+8.0 points). "
            "Changes in gross margin are not tested for significance.") in text
    assert "South" not in text  # nothing significant there
    assert text.endswith("No unit is out of balance, no unit's legs are pulling apart and "
                         "no reading is outside its control limits.")


def test_summary_says_how_many_chance_alone_would_give():
    text = plain_summary(PANEL, NO_ALERTS, Settings(alpha=0.5), FEB)
    assert "at the 50% level; chance alone would give about 1 such change per leg" in text


def test_summary_without_an_earlier_month():
    text = plain_summary(PANEL[PANEL["period"] == FEB], NO_ALERTS, DEFAULT)
    assert text.startswith("There is no month before 2024-02 to compare with.")


def test_summary_without_a_significant_change():
    flat = _panel([_row("A", JAN), _row("A", FEB), _row("B", JAN, region="South"),
                   _row("B", FEB, region="South")])
    text = plain_summary(flat, NO_ALERTS, DEFAULT)
    assert "CSAT changed significantly in none of 2 units" in text
    assert "region" not in text


def test_summary_of_alerts_names_the_leaders_verbatim():
    alerts = pd.DataFrame([
        {"kind": "imbalance", "unit_id": "A", "period": FEB, "leg": "csat", "pattern": None,
         "severity": 2.1},
        {"kind": "imbalance", "unit_id": "B", "period": FEB, "leg": "esat", "pattern": None,
         "severity": 1.5},
        {"kind": "divergence", "unit_id": "B", "period": FEB, "leg": None,
         "pattern": "profit_up_esat_down", "severity": 1.2},
        {"kind": "control", "unit_id": "A", "period": FEB, "leg": "csat", "pattern": None,
         "severity": 1.4},
        {"kind": "control", "unit_id": "A", "period": FEB, "leg": "esat", "pattern": None,
         "severity": 1.1},
        {"kind": "control", "unit_id": "B", "period": FEB, "leg": "profit", "pattern": None,
         "severity": 1.0},
        {"kind": "imbalance", "unit_id": "B", "period": JAN, "leg": "esat", "pattern": None,
         "severity": 9.0},  # another month: ignored
    ])
    panel = PANEL.assign(unit_name=PANEL["unit_id"].map({"A": "*Bold* & Co", "B": "Beta"}))
    text = plain_summary(panel, alerts, DEFAULT, FEB)
    assert text.endswith(
        "2 units are out of balance, led by *Bold* & Co (weakest leg: CSAT); 1 unit's legs "
        "are pulling apart, led by Beta (margin rising while ESAT and CSAT fall); 3 readings "
        "in 2 units fall outside control limits."
    )
    assert plain_summary(panel, alerts, DEFAULT, FEB) == text  # deterministic


def test_summary_of_an_empty_panel():
    assert plain_summary(PANEL.iloc[:0], NO_ALERTS) == "There is no data for this selection."
