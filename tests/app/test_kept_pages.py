"""Pages read the results the warm-up kept; long tables show their top rows and download all."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pandas.testing import assert_frame_equal
from streamlit.testing.v1 import AppTest

from analytics.metrics import alerts, balance, chain, relationships
from analytics.read import customers, data, people, views, warmup
from analytics.store import kept, queries
from ui import components

ROOT = Path(__file__).resolve().parents[2]
#: every expensive computation behind the Balance and Links pages' default view
EXPENSIVE = [(data, "panel"), (data, "kpis"), (balance, "balance"), (balance, "legs_frame"),
             (alerts, "all_alerts"), (alerts, "imbalance_history"), (chain, "chain_estimate"),
             (relationships, "relationships"), (relationships, "lag_profile"),
             (views, "pair_view"), (views, "what_if_units"), (views, "unit_history"),
             (chain, "what_if"),
             *[(people, n) for n in ("selection", "summary", "by_group", "esat_vs_csat",
                                     "item_heatmap", "enps_distribution", "drivers",
                                     "comments")],
             *[(customers, n) for n in ("summary", "trend", "drivers", "complaints",
                                        "comments")]]


def _page(name: str) -> AppTest:
    return AppTest.from_file(str(ROOT / "pages" / name), default_timeout=60)


def _forbid_computing(monkeypatch) -> None:
    def refuse(*_a, **_k):
        raise AssertionError("computed although the warm-up kept it")

    for module, name in EXPENSIVE:
        monkeypatch.setattr(module, name, refuse)


@pytest.mark.parametrize("page", ["overview.py", "balance.py", "unit.py", "links.py",
                                  "people.py", "customers.py"])
def test_first_run_after_a_load_reads_kept_results(demo_db, monkeypatch, page):
    expected = _page(page).run()  # computed as before: nothing kept yet
    assert not expected.exception
    done = warmup.warm_up(demo_db)
    assert done.kept and not done.failed
    import streamlit as st

    st.cache_data.clear()  # a new process: only the kept results remain
    st.cache_resource.clear()
    _forbid_computing(monkeypatch)
    at = _page(page).run()
    assert not at.exception, at.exception
    assert [m.value for m in at.markdown] == [m.value for m in expected.markdown]
    assert [m.value for m in at.metric] == [m.value for m in expected.metric]
    for shown, before in zip(at.dataframe, expected.dataframe, strict=True):
        # item drivers (DuckDB's corr() on parallel threads) vary in their last bits
        # between two computations, so tables are compared to float rounding
        assert_frame_equal(shown.value, before.value, rtol=1e-9)


def test_without_kept_results_the_page_computes(demo_db, monkeypatch):
    """The control of the test above: with nothing kept, forbidding computation fails."""
    _forbid_computing(monkeypatch)
    at = _page("balance.py").run()
    assert at.exception and "computed although" in at.exception[0].message


def test_another_selection_is_computed_not_read(demo_db):
    warmup.warm_up(demo_db)
    at = _page("balance.py").run()
    at.sidebar.multiselect(key="f_region").select("North").run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 8  # the North units, not the kept whole company


@pytest.fixture
def few_rows(monkeypatch):
    """Tables cut at 10 rows (the demo has 40 units), and what their downloads hold."""
    monkeypatch.setattr(components, "TABLE_ROWS", 10)
    downloaded = {}
    monkeypatch.setattr(components, "downloads",
                        lambda frame, name, key: downloaded.__setitem__(key, frame))
    return downloaded


def test_balance_shows_top_units_and_downloads_all(demo_db, few_rows):
    at = _page("balance.py").run()
    assert not at.exception
    shown, full = at.dataframe[0].value, few_rows["imbalance_table"]
    assert len(shown) == 10 and len(full) == 40
    assert shown["unit_id"].tolist() == full["unit_id"].head(10).tolist()
    assert full["imbalance"].dropna().is_monotonic_decreasing
    captions = [c.value for c in at.caption]
    assert ("Showing 10 of 40 units, most out of balance first. Download all 40 below."
            in captions)


def test_links_what_if_shows_largest_changes_and_downloads_all(demo_db, few_rows):
    at = _page("links.py").run()
    assert not at.exception
    shown, full = at.dataframe[0].value, few_rows["what_if_table"]
    assert len(shown) == 10 and len(full) == 40
    top = full.sort_values("gross_profit_change", ascending=False, kind="stable").head(10)
    assert shown["unit_id"].tolist() == top["unit_id"].tolist()
    np.testing.assert_array_equal(shown["gross_profit_change"], top["gross_profit_change"])
    assert full["unit_id"].tolist() == sorted(full["unit_id"])  # the download: every unit
    assert any(c.value == "Showing 10 of 40 units, largest expected gross-profit change "
               "first. Download all 40 below." for c in at.caption)


def test_short_tables_are_shown_whole_without_a_note(demo_db, few_rows):
    at = _page("balance.py").run()
    at.sidebar.multiselect(key="f_region").select("North").run()
    assert len(at.dataframe[0].value) == 8 == len(few_rows["imbalance_table"])
    assert not any(c.value.startswith("Showing ") for c in at.caption)


def _load_on_the_upload_page() -> AppTest:
    at = _page("upload.py").run()
    at.radio(key="up_dataset").set_value("customer").run()
    sample = ROOT / "data" / "samples" / "customer.csv"
    at.file_uploader(key=f"upload_{at.session_state['upload_nonce']}").set_value(
        (sample.name, sample.read_bytes(), "text/csv")).run()
    at.checkbox(key="up_confirm").check().run()  # the sample's months are in the demo
    at.button(key="up_load").click().run()
    return at


def test_upload_page_warms_up_after_the_load(demo_db):
    before = kept.stamp(demo_db)
    at = _load_on_the_upload_page()
    assert not at.exception, at.exception
    assert any(s.value.startswith("Loaded batch #5") for s in at.success)
    after = kept.stamp(demo_db)
    assert after != before
    assert [p.name for p in kept.folder(demo_db).iterdir()] == [after]


def test_a_failed_warm_up_leaves_the_load_in_place(demo_db, monkeypatch):
    def broken(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(warmup, "warm_up", broken)
    at = _load_on_the_upload_page()
    assert not at.exception, at.exception
    assert any(s.value.startswith("Loaded batch #5") for s in at.success)
    assert any("compute their figures on first view" in c.value for c in at.caption)
    assert queries.batches(demo_db).status.tolist()[-1] == "loaded"


def test_data_page_rollback_warms_up(demo_db):
    at = _page("data.py").run()
    at.selectbox(key="rb_choice").set_value(4).run()
    at.button(key="rb_go").click().run()
    assert not at.exception
    assert [p.name for p in kept.folder(demo_db).iterdir()] == [kept.stamp(demo_db)]
