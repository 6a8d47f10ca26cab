"""The Upload and Data pages through AppTest: map, check, load, see, roll back."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from analytics.ingest.pipeline import ingest_file
from analytics.store import queries

ROOT = Path(__file__).resolve().parents[2]
FORMATS = ROOT / "tests" / "data" / "formats"
SAMPLES = ROOT / "tests" / "data" / "samples"
BAD = ROOT / "tests" / "data" / "bad"


def _upload(at: AppTest, path: Path, dataset: str) -> AppTest:
    at.radio(key="up_dataset").set_value(dataset).run()
    at.file_uploader(key=f"upload_{at.session_state['upload_nonce']}").set_value(
        (path.name, path.read_bytes(), "text/csv")).run()
    return at


def test_upload_maps_checks_and_loads_a_qualtrics_export(tiny_duck):
    at = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=60).run()
    assert any("drop a file" in i.value for i in at.info)
    _upload(at, FORMATS / "qualtrics_3header.csv", "employee")
    assert not at.exception, at.exception
    mapping = at.dataframe[0].value.set_index("source column")["maps to"]
    assert (mapping["Q1"], mapping["Q2"], mapping["EndDate"]) == ("esat", "enps",
                                                                  "response_date")
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Rows in file"], metrics["Rows with problems"]) == ("5", "0")
    at.button(key="up_load").click().run()
    assert not at.exception, at.exception
    assert any("Loaded batch #1: 5 rows loaded" in s.value for s in at.success)
    assert queries.batches(tiny_duck).status.tolist() == ["loaded"]
    # the summary shows the legs of the unit-months just loaded
    legs = at.dataframe[0].value
    assert set(legs.columns) >= {"unit_id", "period", "esat_index"}


def test_constant_unit_and_required_column_picker(tiny_duck):
    at = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=60).run()
    _upload(at, SAMPLES / "qualtrics_current_3header.csv", "employee")
    assert any("not mapped: unit_id, esat" in e.value for e in at.error)
    at.selectbox(key="req_esat").set_value("Q1").run()
    at.text_input(key="up_unit").set_value("Store 17").run()
    assert not at.exception
    assert not any("not mapped" in e.value for e in at.error)
    assert {m.label: m.value for m in at.metric}["Rows in file"] == "1"


def test_bad_file_is_reported_with_row_and_column_and_not_loaded(tiny_duck):
    at = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=60).run()
    _upload(at, BAD / "score_out_of_scale.csv", "customer")
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Rows with problems"] == "1"
    problems = at.dataframe[1].value  # [0] is the mapping table
    assert problems.iloc[0][["row", "column", "value"]].tolist() == [3, "csat", "7"]
    assert at.button(key="up_load").disabled
    assert not queries.has_data(tiny_duck)


def test_unreadable_file_says_why(tiny_duck):
    at = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=60).run()
    _upload(at, BAD / "binary.csv", "customer")
    assert any("cannot be read" in e.value and "not a CSV or XLSX" in e.value
               for e in at.error)


def test_data_page_lists_batches_and_rolls_back(demo_db):
    at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=60).run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 4
    at.selectbox(key="rb_choice").set_value(4).run()
    at.button(key="rb_go").click().run()
    assert not at.exception
    status = queries.batches(demo_db).set_index("batch_id").status
    assert status[4] == "rolled_back"


def test_rolling_back_a_correction_says_what_comes_back(tiny_duck, tmp_path):
    def load(name: str, scores: list[int]) -> int:
        path = tmp_path / name
        path.write_text("unit_id,response_date,response_id,csat\n" + "".join(
            f"U01,2026-09-{i + 1:02d},{name}{i},{s}\n" for i, s in enumerate(scores)))
        result, _ = ingest_file(tiny_duck, path, "customer")
        assert result.status == "loaded", result.errors
        return result.batch_id

    first = load("sep.csv", [5, 5, 4, 4, 3])
    fixed = load("sep_fixed.csv", [1, 2])
    at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=60).run()
    at.selectbox(key="rb_choice").set_value(fixed).run()
    assert [w.value for w in at.warning if w.value.startswith("Rolling")] == [
        f"Rolling back batch #{fixed} removes its rows from every page. The rows it "
        f"replaced in batch #{first} come back."]
    at.button(key="rb_go").click().run()
    assert not at.exception
    assert queries.panel(tiny_duck).n_customer.tolist() == [5]
    assert queries.batches(tiny_duck).set_index("batch_id").status[first] == "loaded"
