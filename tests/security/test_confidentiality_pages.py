"""Confidentiality on every page and download: AppTest over pages/*.py on the small company.

Each page runs with filter sets that aim at the small groups (the department of 3, the
unit of 4, the pilot month of 2, "all units but the small one", a region that holds it),
set through the URL as a shared link would, and once through the sidebar widgets. Every
metric card, table and download (the CSV and XLSX bytes, read back) is turned into figures
with the responses behind them (from the row's unit, month, department and the page's
filters) and handed to the same checker as the reads: no small group, no wrong count, no
two figures that differ by a small group, no breakdown with a small remainder.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics.filters import Filters
from tests.security.checker import Figure, Notebook, Truth, violations
from tests.security.conftest import MIN_COMMENTS, MIN_N, MONTHS, UNITS, employee_frame, save_counts

ROOT = Path(__file__).resolve().parents[2]
COUNTS_FILE = Path(__file__).with_name("counts") / "confidentiality_pages.json"
COUNTS: dict[str, int] = {}
PAGES = ("overview", "balance", "unit", "links", "people", "customers")
#: query parameters of the views tried on every page
VIEWS: tuple[dict, ...] = (
    {},
    {"department": ["Admin"]},
    {"department": ["Sales", "Warehouse"]},
    {"unit": ["U6"]},
    {"unit": ["U4", "U5"]},
    {"unit": ["U1", "U2", "U3", "U4", "U5"]},
    {"region": ["South"]},
    {"division": ["Service"]},
    {"from": "2026-06", "to": "2026-06"},
    {"from": "2026-06", "to": "2026-07"},
    {"from": "2026-08", "to": "2026-09", "department": ["Admin"]},
)
#: employee figures as the pages label them, and the columns that carry their count
EMPLOYEE = {"esat_index", "ESAT index", "esat", "ESAT", "ESAT now", "ESAT raised",
            "esat_pct_satisfied", "% satisfied", "enps", "eNPS", "n_employee", "Responses",
            "Employee responses"}
COUNT = ("n_employee", "Responses", "Employee responses")
KEYS = {"unit_id": ("unit_id", "Unit"), "period": ("period", "Month"),
        "department": ("department", "Department"), "region": ("region", "Region"),
        "division": ("division", "Division")}


@pytest.fixture(scope="module", autouse=True)
def write_counts():
    yield
    save_counts(COUNTS, COUNTS_FILE)


@pytest.fixture(autouse=True)
def clear_caches():
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def downloads(monkeypatch) -> list[tuple[str, pd.DataFrame]]:
    """Every download a page offers, as the CSV and the XLSX a user would get, read back."""
    import ui.cache_people
    import ui.components
    from ui.components import to_csv_bytes, to_xlsx_bytes

    got: list[tuple[str, pd.DataFrame]] = []

    def record(frame: pd.DataFrame, name: str, key: str) -> None:
        csv = pd.read_csv(io.BytesIO(to_csv_bytes(frame)), encoding="utf-8-sig")
        xlsx = pd.read_excel(io.BytesIO(to_xlsx_bytes(frame)), engine="openpyxl")
        got.extend([(f"{name}.csv", csv), (f"{name}.xlsx", xlsx)])

    monkeypatch.setattr(ui.components, "downloads", record)
    monkeypatch.setattr(ui.cache_people, "downloads", record)
    return got


def _filters(view: dict) -> Filters:
    return Filters(view.get("from", MONTHS[0]), view.get("to", MONTHS[-1]),
                   tuple(view.get("region", ())), tuple(view.get("division", ())),
                   tuple(view.get("unit", ())), tuple(view.get("department", ())))


def _run(page: str, view: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=120)
    at.query_params.update(view)
    return at.run()


def _number(text) -> float | None:
    try:
        return float(str(text).replace(",", "").replace("+", ""))
    except ValueError:
        return None


def _quarter(month: str) -> list[str]:
    """The months People's department figures describe for a selection ending in
    ``month``: its calendar quarter when complete in the fixture, else the one before."""
    year, m = int(month[:4]), int(month[5:7])
    q = (m - 1) // 3
    if f"{year}-{3 * q + 3:02d}" > MONTHS[-1]:
        year, q = (year - 1, 3) if q == 0 else (year, q - 1)
    return [f"{year}-{3 * q + k:02d}" for k in (1, 2, 3)]


def _row_figures(frame: pd.DataFrame, page: str, f: Filters, truth: Truth,
                 source: str) -> list[Figure]:
    """One figure per row of ``frame`` that shows an employee figure."""
    if "Quadrant" in frame or "comment" in frame:  # drivers and comments: checked by reads
        return []
    if "leg" in frame:  # Unit detail's history: one row per leg and month
        frame = frame[frame["leg"] == "esat"].rename(columns={"value": "esat", "n": COUNT[0]})
    cols = [c for c in frame.columns if c in EMPLOYEE]
    if not cols:
        return []
    keys = {k: next(c for c in names if c in frame) for k, names in KEYS.items()
            if any(c in frame for c in names)}
    latest = f.period_to
    out = []
    quarter = page == "people" and ("department" in keys or f.departments)
    for i, row in frame.reset_index(drop=True).iterrows():
        if all(pd.isna(row[c]) for c in cols):
            continue
        where = {k: str(row[c]) for k, c in keys.items()}
        if where.get("department") == "Other departments":
            continue  # a unit's pooled departments: checked by the table set's audit
        months = None
        if quarter:  # department figures describe a complete quarter
            where.pop("period", None)
            months = _quarter(latest)
        elif "period" not in where:
            where["period"] = latest
        people_page = page == "people"
        mask = truth.mask(f, departments=people_page, months=months, **where)
        n_col = next((c for c in COUNT if c in frame), None)
        n = None if n_col is None or pd.isna(row[n_col]) else int(row[n_col])
        out.append(Figure("esat", mask, n, f"{source} row {i} {where}"))
    return out


def _page_book(at: AppTest, page: str, view: dict, truth: Truth,
               files: list[tuple[str, pd.DataFrame]]) -> Notebook:
    f = _filters(view)
    latest = f.period_to
    book = Notebook()
    name = f"{page}?{view}"
    for m in at.metric:
        value = _number(m.value)
        employee = any(w in m.label for w in ("ESAT", "eNPS", "% satisfied", "Responses"))
        if value is None or not employee:
            continue
        if page == "people":
            mask = truth.mask(Filters(latest, latest, f.regions, f.divisions, f.units,
                                      f.departments),
                              months=_quarter(latest) if f.departments else None)
        elif page == "unit":
            unit = at.selectbox(key="unit_id").value
            mask = truth.mask(Filters(latest, latest), unit_id=unit)
        else:
            mask = truth.mask(Filters(latest, latest, f.regions, f.divisions, f.units),
                              departments=False)
        n = int(value) if m.label == "Responses" else None
        book.add(Figure("esat", mask, n, f"{name} card {m.label}"))
    for k, table in enumerate(at.dataframe):
        book.add_family(_row_figures(table.value, page, f, truth, f"{name} table {k}"))
    for file, frame in files:
        book.add_family(_row_figures(frame, page, f, truth, f"{name} {file}"))
    return book


@pytest.mark.parametrize("page", PAGES)
def test_no_page_shows_a_small_group(page, small_db, downloads):
    truth = Truth(employee_frame(), UNITS)
    book = Notebook()
    for view in VIEWS:
        downloads.clear()
        at = _run(page, view)
        assert not at.exception, (page, view, at.exception)
        page_book = _page_book(at, page, view, truth, downloads)
        book.figures += page_book.figures
        book.families += page_book.families
        COUNTS[f"downloads_{page}"] = COUNTS.get(f"downloads_{page}", 0) + len(downloads)
        COUNTS[f"tables_{page}"] = COUNTS.get(f"tables_{page}", 0) + len(at.dataframe)
    found = violations(book, MIN_N, MIN_COMMENTS)
    assert not found, "\n".join(found)
    COUNTS[f"views_{page}"] = len(VIEWS)
    COUNTS[f"figures_{page}"] = len(book.figures)


def test_the_small_department_through_the_sidebar_widgets(small_db, downloads):
    at = AppTest.from_file(str(ROOT / "pages" / "people.py"), default_timeout=120).run()
    at.sidebar.multiselect(key="f_department").select("Admin").run()
    assert not at.exception
    assert not [m for m in at.metric if _number(m.value) is not None]
    assert any("fewer than 5 responses" in i.value for i in at.info)
    at.sidebar.select_slider(key="f_months").set_value(("2026-07", "2026-09")).run()
    assert not at.exception  # 9 answers over three months, but 3 in each: still refused
    assert not [m for m in at.metric if _number(m.value) is not None]


def test_pages_checked_cover_every_page_but_uploads_and_admin():
    pages = {p.stem for p in (ROOT / "pages").glob("*.py")}
    assert pages - set(PAGES) == {"upload", "data"}


def test_the_page_check_catches_an_unprotected_read(small_db, downloads, monkeypatch):
    """With the panel read unprotected, the Overview's unit table gives U6 (4) away."""
    from analytics.read import data
    from analytics.store import queries

    monkeypatch.setattr(data, "panel", lambda con, f, s: queries.panel(
        con, data.unit_filters(f)).assign(suppressed=False))
    truth = Truth(employee_frame(), UNITS)
    at = _run("overview", {})
    assert not at.exception
    found = violations(_page_book(at, "overview", {}, truth, downloads), MIN_N,
                       MIN_COMMENTS)
    assert any(v.startswith("small: esat of 4 responses") and "U6" in v for v in found)
