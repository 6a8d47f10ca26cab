"""The People page through AppTest on the demo company: its numbers, filters and privacy."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics.access.privacy import suppressed_label
from analytics.filters import Filters
from analytics.read import people

ROOT = Path(__file__).resolve().parents[2]
LATEST = "2026-10"
#: department figures describe complete calendar quarters: the latest month's is Q3
QUARTER = ("2026-07", "2026-09")


def _page() -> AppTest:
    return AppTest.from_file(str(ROOT / "pages" / "people.py"), default_timeout=90)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _raw_esat(con, where: str = "TRUE", params: dict | None = None,
              months: tuple[str, str] = (LATEST, LATEST)) -> tuple[int, float]:
    """Responses and ESAT index straight from the stored rows (independent of the code)."""
    return con.execute(
        f"""SELECT count(*), avg((esat - esat_lo) / (esat_hi - esat_lo) * 100)
            FROM employee_responses r JOIN units_current u USING (unit_id)
            WHERE period BETWEEN $a AND $b AND {where}""",
        {"a": months[0], "b": months[1], **(params or {})}).fetchone()


def _is_number(text: str) -> bool:
    try:
        float(str(text).replace(",", "").replace("+", ""))
    except ValueError:
        return False
    return True


def test_cards_show_the_analytics_numbers(demo_db):
    at = _page().run()
    assert not at.exception, at.exception
    shown = _metrics(at)
    expected = people.summary(demo_db, Filters().with_period(LATEST))
    n, esat = _raw_esat(demo_db)
    assert shown["ESAT index"] == f"{expected['esat_index']:.1f}" == f"{esat:.1f}"
    assert shown["Responses"] == f"{n:,d}"
    assert shown["eNPS"] == f"{expected['enps']:+.0f}"
    assert shown["Response rate %"] == f"{expected['response_rate']:.0f}"


def test_group_table_equals_the_analytics(demo_db):
    at = _page().run()
    table = at.dataframe[0].value.set_index("Department")
    expected = people.by_group(demo_db, Filters().with_period(LATEST), by="department")
    for dept, value in zip(expected.department, expected.esat_index, strict=True):
        assert table.loc[dept, "ESAT index"] == pytest.approx(round(value, 1))
    n, esat = _raw_esat(demo_db, "department = $d", {"d": "Warehouse"}, QUARTER)
    assert table.loc["Warehouse", "Responses"] == n
    assert table.loc["Warehouse", "ESAT index"] == pytest.approx(round(esat, 1))
    captions = " ".join(c.value for c in at.caption)
    assert "Departments: 2026-Q3 (Jul-Sep)" in captions


def test_department_filter_changes_the_numbers(demo_db):
    at = _page().run()
    before = _metrics(at)
    at.sidebar.multiselect(key="f_department").select("Sales floor").run()
    assert not at.exception
    after = _metrics(at)
    assert after["ESAT index"] != before["ESAT index"]
    sales = people.summary(demo_db, Filters(departments=("Sales floor",)).with_period(LATEST))
    n, esat = _raw_esat(demo_db, "department = $d", {"d": "Sales floor"}, QUARTER)
    assert after["ESAT index"] == f"{sales['esat_index']:.1f}" == f"{esat:.1f}"
    assert after["Responses"] == f"{n:,d}"
    assert after["Response rate %"] == "—"  # no headcount per department
    assert any("these describe 2026-Q3 (Jul-Sep)" in c.value for c in at.caption)
    assert at.query_params["department"] in ("Sales floor", ["Sales floor"])


def _small_admin_unit(con) -> tuple[str, int]:
    """A unit whose Admin department gave 1-4 answers over the quarter (so it is pooled)."""
    unit, n = con.execute(
        """SELECT unit_id, count(*) AS n FROM employee_responses
           WHERE department = 'Admin' AND period BETWEEN $a AND $b GROUP BY unit_id
           HAVING n BETWEEN 1 AND 4 ORDER BY n DESC, unit_id LIMIT 1""",
        {"a": QUARTER[0], "b": QUARTER[1]}).fetchone()
    return unit, n


def _refused(at: AppTest) -> bool:
    return any("published" in i.value or suppressed_label(5) in i.value for i in at.info)


def test_a_small_group_is_refused_and_never_a_number(demo_db):
    unit, n = _small_admin_unit(demo_db)
    at = _page()
    at.query_params.update({"unit": unit, "department": "Admin", "from": LATEST,
                            "to": LATEST})
    at.run()
    assert not at.exception
    assert at.sidebar.multiselect(key="f_unit").value == [unit]
    assert at.sidebar.select_slider(key="f_months").value == (LATEST, LATEST)
    assert _refused(at)
    assert not [m for m in at.metric if _is_number(m.value)]
    assert not at.dataframe and not at.get("plotly_chart")
    _, secret = _raw_esat(demo_db, "department = 'Admin' AND unit_id = $u", {"u": unit},
                          QUARTER)
    page_text = " ".join(str(e.value) for e in [*at.caption, *at.info, *at.markdown])
    assert f"{secret:.1f}" not in page_text and f"{n} response" not in page_text


def test_the_same_small_group_set_through_the_widgets(demo_db):
    unit, _ = _small_admin_unit(demo_db)
    at = _page().run()
    at.sidebar.select_slider(key="f_months").set_value((LATEST, LATEST))
    at.sidebar.multiselect(key="f_unit").select(unit)
    at.sidebar.multiselect(key="f_department").select("Admin").run()
    assert not at.exception
    assert _refused(at)
    assert not [m for m in at.metric if _is_number(m.value)]


def test_a_units_small_departments_are_one_row_other_departments(demo_db):
    """U01 by department: each department with 5 or more answers in the quarter is a
    row with the stored figures; the others together are "Other departments"."""
    unit, _ = _small_admin_unit(demo_db)
    at = _page()
    at.query_params["unit"] = unit
    at.run()
    table = at.dataframe[0].value.set_index("Department")
    sizes = dict(demo_db.execute(
        """SELECT department, count(*) FROM employee_responses
           WHERE unit_id = $u AND period BETWEEN $a AND $b GROUP BY 1""",
        {"u": unit, "a": QUARTER[0], "b": QUARTER[1]}).fetchall())
    small = [d for d, n in sizes.items() if n < 5]
    assert small and "Admin" not in table.index and "Other departments" in table.index
    for dept, n in sizes.items():
        if dept in table.index:
            got, esat = _raw_esat(demo_db, "department = $d AND unit_id = $u",
                                  {"d": dept, "u": unit}, QUARTER)
            assert table.loc[dept, "Responses"] == got == n >= 5
            assert table.loc[dept, "ESAT index"] == pytest.approx(round(esat, 1))
    shown = sum(table.loc[d, "Responses"] for d in sizes if d in table.index)
    assert table.loc["Other departments", "Responses"] == sum(sizes.values()) - shown >= 5


def test_a_hidden_row_says_why():
    from ui import charts_people

    frame = pd.DataFrame({"department": ["Sales", "Admin", "Stock"],
                          "n_employee": [12.0, None, None], "esat_index": [70.0, None, None],
                          "esat_pct_satisfied": [60.0, None, None], "enps": [10.0, None, None],
                          "suppressed": [False, True, True],
                          "suppression": [None, "unpublished", "complementary"]})
    table = charts_people.people_table(frame, "department", 5)
    assert table["Note"].tolist() == ["", charts_people.UNPUBLISHED_NOTE,
                                      charts_people.COMPLEMENTARY_NOTE]
    assert table.loc[1:, "ESAT index"].isna().all()


def test_breakdown_by_unit_matches_the_analytics(demo_db):
    at = _page().run()
    at.segmented_control(key="people_by").set_value("unit_id").run()
    assert not at.exception
    table = at.dataframe[0].value
    expected = people.by_group(demo_db, Filters().with_period(LATEST), by="unit_id")
    assert table["Unit"].tolist() == expected.unit_id.tolist()
    pd.testing.assert_series_equal(table["ESAT index"], expected.esat_index.round(1),
                                   check_names=False)
    assert table["Response rate %"].notna().any()


def test_all_selected_months(demo_db):
    at = _page().run()
    at.radio(key="people_span").set_value("range").run()
    whole = people.summary(demo_db, Filters(period_from="2024-11", period_to=LATEST))
    assert _metrics(at)["ESAT index"] == f"{whole['esat_index']:.1f}"


def test_comments_come_in_fixed_lists_of_ten(demo_db):
    at = _page()
    at.query_params["unit"] = "U01"  # about three comments a month: under ten a quarter
    at.run()
    assert any("No comment list is published" in i.value for i in at.info)
    company = _page().run()
    captions = " ".join(c.value for c in company.caption)
    assert "comments ·" in captions and "fixed lists per unit and complete quarter" in captions
    said = people.comments(demo_db, Filters().with_period(LATEST))
    assert said["shown"] and said["months"] == "2026-Q3 (Jul-Sep)"
    raw = demo_db.execute(
        """SELECT count(*) FROM employee_responses WHERE trim(comment) <> ''
           AND period BETWEEN $a AND $b""", {"a": QUARTER[0], "b": QUARTER[1]}).fetchone()[0]
    # every comment of the quarter is in some list of the whole company, or withheld
    assert 0 < int(said["summary"]["n_comments"].iloc[0]) <= raw


def test_empty_database_says_what_to_upload(tiny_duck):
    at = _page().run()
    assert not at.exception
    assert any("No data yet" in i.value for i in at.info)


def test_charts_module_has_no_streamlit_and_escapes_uploaded_names():
    import ast

    from ui import charts_people

    tree = ast.parse((ROOT / "ui" / "charts_people.py").read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(m and m.startswith("streamlit") for m in imported)
    heat = pd.DataFrame({"department": ["<b>Ops</b>", "<b>Ops</b>", "Sales", "Sales"],
                         "item": ["tools", "pay", "tools", "pay"], "n": [None, None, 9, 9],
                         "mean": [None, None, 60.0, 70.0], "company_mean": [55.0, 65.0] * 2,
                         "diff": [None, None, 5.0, 5.0], "suppressed": [True, True, False, False],
                         "suppression": ["primary", "primary", None, None]})
    fig = charts_people.item_heatmap(heat, "department", 5)
    grey = fig.data[1]
    assert list(grey.y) == ["&lt;b&gt;Ops&lt;/b&gt;", "Sales"]
    assert grey.text[0].tolist() == ["fewer than 5", "fewer than 5"]  # hidden row: label
    assert list(fig.data[0].text[1]) == ["+5.0", "+5.0"]  # shown row: the difference
    assert list(fig.data[0].text[0]) == ["", ""] and list(grey.text[1]) == ["", ""]
