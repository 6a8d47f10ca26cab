"""Reading uploads (analytics.ingest.read): formats, encodings, survey layouts, refusals."""

from __future__ import annotations

import csv
import shutil
import struct
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from analytics.ingest import _xlsx, read
from analytics.ingest.read import ReadError, prepare, read_sample

DATA = Path(__file__).parents[1] / "data"
FORMATS, SAMPLES = DATA / "formats", DATA / "samples"


def records(prepared: read.Prepared) -> list[list[str]]:
    """All records of a prepared file, parsed independently of read_sample."""
    with open(prepared.path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh, delimiter=prepared.delimiter))


@pytest.mark.parametrize(
    "name, tool, encoding, delimiter, n_rows, offset, n_header",
    [
        ("qualtrics_3header.csv", "qualtrics", "utf-8", ",", 5, 3, 3),
        ("surveymonkey_2header.csv", "surveymonkey", "utf-8", ",", 5, 2, 2),
        ("google_forms.csv", "google_forms", "utf-8", ",", 5, 1, 1),
        ("ms_forms.xlsx", "ms_forms", "utf-8", ",", 5, 1, 1),
        ("finance_transactions.csv", "plain", "utf-8", ",", 5, 1, 1),
        ("utf8_bom.csv", "plain", "utf-8-sig", ",", 2, 1, 1),
        ("utf16.csv", "plain", "utf-16", "\t", 2, 1, 1),
        ("utf16_nobom.csv", "plain", "utf-16-le", ",", 2, 1, 1),
        ("latin1.csv", "plain", "cp1252", ",", 2, 1, 1),
        ("semicolon_decimal_comma.csv", "plain", "utf-8", ";", 3, 1, 1),
        ("tab.tsv", "plain", "utf-8", "\t", 3, 1, 1),
        ("pipe.csv", "plain", "utf-8", "|", 2, 1, 1),
        ("quoted_newlines.csv", "plain", "utf-8", ",", 4, 1, 1),
        ("blank_trailing_rows.csv", "plain", "utf-8", ",", 3, 1, 1),
        ("employee.xlsx", "xlsx", "utf-8", ",", 6, 3, 1),
    ],
)
def test_hand_made_exports(tmp_path, name, tool, encoding, delimiter, n_rows, offset, n_header):
    prepared = prepare(FORMATS / name, tmp_path)
    detected = (prepared.tool, prepared.encoding, prepared.delimiter, prepared.source_row_offset,
                prepared.n_header_rows)
    assert detected == (tool, encoding, delimiter, offset, n_header)
    rows = records(prepared)
    assert rows[0] == prepared.columns  # exactly one header row
    assert len(rows) - 1 == n_rows
    sample = read_sample(prepared)
    assert list(sample.columns) == prepared.columns
    assert len(sample) == n_rows
    assert not sample.isna().any().any()
    assert all(pd.api.types.is_string_dtype(t) for t in sample.dtypes)


@pytest.mark.parametrize(
    "name, tool, encoding, n_columns, n_rows, offset",
    [
        ("qualtrics_current_3header.csv", "qualtrics", "utf-8", 20, 1, 3),
        ("qualtrics_legacy_2header_bom.csv", "qualtrics_legacy", "utf-8-sig", 16, 1, 2),
        ("qualtrics_matrix_likert.csv", "qualtrics", "utf-8", 30, 5, 3),
        ("qualtrics_no_basis_codes.csv", "qualtrics", "utf-8", 49, 15, 3),
        ("surveymonkey_2020_responses.csv", "surveymonkey", "utf-8", 216, 150, 1),
        ("google_forms_2016_responses.csv", "google_forms", "utf-8", 25, 125, 1),
        ("training_feedback_text_likert_nps.csv", "plain", "utf-8", 41, 200, 1),
        ("ibm_hr_employee_satisfaction.csv", "plain", "utf-8", 35, 200, 1),
        ("ibm_hr_employee_satisfaction.xlsx", "xlsx", "utf-8", 35, 1470, 1),
        ("superstore_orders_profit.csv", "plain", "utf-8-sig", 21, 221, 1),
        ("supermarket_branch_sales.csv", "plain", "utf-8", 17, 200, 1),
    ],
)
def test_real_samples(tmp_path, name, tool, encoding, n_columns, n_rows, offset):
    prepared = prepare(SAMPLES / name, tmp_path)
    assert (prepared.tool, prepared.encoding, prepared.source_row_offset) == (tool, encoding,
                                                                              offset)
    assert len(prepared.columns) == n_columns == len(set(c.casefold() for c in prepared.columns))
    assert len(records(prepared)) - 1 == n_rows
    assert len(read_sample(prepared, n=5000)) == n_rows


def test_qualtrics_header_rows_become_one(tmp_path):
    prepared = prepare(FORMATS / "qualtrics_3header.csv", tmp_path)
    assert prepared.question_texts["Q1"] == "How satisfied are you with your job overall?"
    assert prepared.question_texts["Q3_2"].endswith("- I have the tools I need")
    assert "ImportId" not in prepared.path.read_text(encoding="utf-8")
    assert any("ImportId" in note for note in prepared.notes)
    first = read_sample(prepared).iloc[0]
    assert (first["ResponseId"], first["Q5"]) == ("R_1a2b3c4d5e6f7g8", "Good team, busy weekends")
    # data row 1 is record 4 of the original file
    with open(FORMATS / "qualtrics_3header.csv", encoding="utf-8", newline="") as fh:
        original = list(csv.reader(fh))
    assert original[prepared.source_row_offset + 1 - 1][8] == "R_1a2b3c4d5e6f7g8"


def test_qualtrics_2016_dict_import_row_and_legacy_layout(tmp_path):
    matrix = prepare(SAMPLES / "qualtrics_matrix_likert.csv", tmp_path)
    assert matrix.n_header_rows == 3
    assert read_sample(matrix)["ResponseID"].iloc[0] == "R_9H2nlL82R9Yq21v"
    legacy = prepare(SAMPLES / "qualtrics_legacy_2header_bom.csv", tmp_path)
    assert legacy.columns[:3] == ["ResponseID", "ResponseSet", "Name"]
    assert legacy.columns[-1] == "column_16"  # the header's trailing comma
    assert legacy.question_texts["Q1"] == "This is a multiple choice question."


def test_surveymonkey_rows_combined(tmp_path):
    prepared = prepare(FORMATS / "surveymonkey_2header.csv", tmp_path)
    name = "Please rate the following: - Courtesy of staff"
    assert name in prepared.columns
    assert prepared.question_texts[name] == name
    assert "Which store did you visit? - Other (please specify)" in prepared.columns
    assert read_sample(prepared)[name].tolist()[:2] == ["Excellent", "Good"]


@pytest.mark.parametrize(
    "name, column, expected",
    [
        ("latin1.csv", "Comment", "Très bien — 5 € over plan"),
        ("latin1.csv", "Store", "Café Crème"),
        ("utf16.csv", "Store", "Zoë’s Bäckerei"),
        ("utf16_nobom.csv", "Comment", "€ 5 more than plan"),
        ("utf8_bom.csv", "Store", "Zoë’s Bäckerei"),
        ("semicolon_decimal_comma.csv", "Filiale", "München Süd"),
        ("tab.tsv", "unit_name", 'Store 9 "Harbour"'),
        ("quoted_newlines.csv", "Comment", "Slow.\r\nVery slow.\r\nNobody at the till."),
    ],
)
def test_text_survives(tmp_path, name, column, expected):
    assert expected in read_sample(prepare(FORMATS / name, tmp_path))[column].tolist()


@pytest.mark.parametrize(
    "encoding, text",
    [
        ("cp1252", "Magasin,Chiffre\nCafé Crème,1200 €\nNaïve Straße,5 – 6 “bien”\n"),
        ("cp1252", "Ciudad;Ventas\nMálaga;12\nLa Coruña;5\n"),
        ("cp1250", "Miasto;Komentarz\nŁódź;Świetna obsługa\nKraków;Zażółć gęślą jaźń\n"),
        ("cp1251", "Город;Продажи\nМосква;12\nСанкт-Петербург;5\n"),
    ],
)
def test_legacy_code_pages(tmp_path, encoding, text):
    (tmp_path / "legacy.csv").write_bytes(text.encode(encoding))
    prepared = prepare(tmp_path / "legacy.csv", tmp_path / "w")
    assert prepared.encoding == encoding
    assert prepared.path.read_bytes().decode("utf-8").replace("\r\n", "\n") == text


def test_utf16_big_endian(tmp_path):
    text = "Store,Revenue\r\nCafé,12.5\r\n"
    for name, data in [("be_bom.csv", b"\xfe\xff" + text.encode("utf-16-be")),
                       ("be.csv", text.encode("utf-16-be"))]:
        (tmp_path / name).write_bytes(data)
        prepared = prepare(tmp_path / name, tmp_path / "w")
        assert read_sample(prepared)["Store"].tolist() == ["Café"]


@pytest.mark.parametrize(
    "name, decimal_comma",
    [("semicolon_decimal_comma.csv", True), ("pipe.csv", False), ("latin1.csv", False),
     ("finance_transactions.csv", False)],
)
def test_decimal_comma(tmp_path, name, decimal_comma):
    assert prepare(FORMATS / name, tmp_path).decimal_comma is decimal_comma


def test_plain_utf8_is_passed_through_unparsed(tmp_path):
    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8", newline="") as fh:
        fh.write("Store,Period,Revenue\n")
        fh.writelines(f"Store {i % 50},2026-{i % 12 + 1:02d},{i}.5\n" for i in range(60_000))
    prepared = prepare(big, tmp_path / "w")
    assert prepared.path == big  # nothing rewritten, nothing parsed beyond a sample
    assert prepared.source_row_offset == 1
    assert len(read_sample(prepared, n=10)) == 10


def test_cp1252_byte_after_the_sample_is_found(tmp_path):
    path = tmp_path / "late.csv"
    path.write_bytes(b"Store,Comment\n" + b"Store 1,ok\n" * 120_000 + "Café,5 €\n".encode("cp1252"))
    prepared = prepare(path, tmp_path / "w")
    assert prepared.encoding == "cp1252"
    assert prepared.path.read_bytes().endswith("Café,5 €\n".encode())


def test_blank_trailing_rows_dropped(tmp_path):
    prepared = prepare(FORMATS / "blank_trailing_rows.csv", tmp_path)
    assert prepared.path.read_bytes().endswith(b"\r\nC,2026-10,3\r\n")
    assert any("Blank rows at the end" in note for note in prepared.notes)


def test_title_rows_and_names_cleaned(tmp_path):
    path = tmp_path / "report.csv"
    path.write_text("Sales report October 2026\n\nQ1,Q1,,q1, Store \n1,2,3,4,A\n5,6,7,8,B\n")
    prepared = prepare(path, tmp_path / "w")
    assert prepared.columns == ["Q1", "Q1 (2)", "column_3", "q1 (3)", "Store"]
    assert prepared.source_row_offset == 3
    assert read_sample(prepared)["Store"].tolist() == ["A", "B"]


@pytest.mark.parametrize(
    "data, columns, rows, offset",
    [
        (b"sep=;\r\nStore;CSAT\r\nA;4\r\n", ["Store", "CSAT"], [["A", "4"]], 2),
        (b"Store,CSAT\rA,4\rB,5\r", ["Store", "CSAT"], [["A", "4"], ["B", "5"]], 1),
        (b"Store , CSAT\rA,4\r", ["Store", "CSAT"], [["A", "4"]], 1),
        (b"Store\nA\n\nB\n", ["Store"], [["A"], [""], ["B"]], 1),
    ],
)
def test_excel_sep_line_old_mac_line_ends_single_column(tmp_path, data, columns, rows, offset):
    (tmp_path / "odd.csv").write_bytes(data)
    prepared = prepare(tmp_path / "odd.csv", tmp_path / "w")
    assert (prepared.columns, prepared.source_row_offset) == (columns, offset)
    assert read_sample(prepared).values.tolist() == rows


def test_xlsx_title_rows_hidden_sheet_and_blank_rows(tmp_path):
    prepared = prepare(FORMATS / "employee.xlsx", tmp_path)
    assert prepared.sheet == "Pulse October"  # the hidden sheet before it is skipped
    sample = read_sample(prepared)
    assert sample["Submitted"].tolist()[:3] == ["2026-10-05 09:30:00", "2026-10-05 11:02:15",
                                                "2026-10-06 16:45:00"]
    assert sample["Submitted"].iloc[4] == "2026-10-07"
    assert sample["Response ID"].tolist() == ["101", "102", "103", "", "104", "105"]
    # data row 5 (Response ID 104) is row 8 of the sheet
    assert prepared.source_row_offset + 5 == 8


def test_xlsx_named_csv_is_read_as_xlsx(tmp_path):
    shutil.copy(FORMATS / "ms_forms.xlsx", tmp_path / "responses.csv")
    prepared = prepare(tmp_path / "responses.csv", tmp_path / "w")
    assert (prepared.tool, prepared.sheet) == ("ms_forms", "Sheet1")


@pytest.mark.skipif(_xlsx.python_calamine is None, reason="python-calamine not installed")
@pytest.mark.parametrize("name", ["employee.xlsx", "ms_forms.xlsx"])
def test_openpyxl_and_calamine_agree(tmp_path, name):
    texts = []
    for engine in ("calamine", "openpyxl"):
        out = tmp_path / f"{engine}.csv"
        _xlsx.write_csv(FORMATS / name, out, 2000, None, engine)
        texts.append(out.read_text(encoding="utf-8"))
    assert texts[0] == texts[1]


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _lying_zip(path: Path) -> Path:
    """A workbook whose directory claims a 4 GB part: refused before anything is read."""
    _zip(path, {"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"<x/>"})
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, at + 24, 0xFFFFFFF0)
    path.write_bytes(bytes(data))
    return path


def _wide_xlsx(path: Path) -> Path:
    book = openpyxl.Workbook()
    book.active.append([f"c{i}" for i in range(30)])
    book.active.append(list(range(30)))
    book.save(path)
    return path


def _stray_cell_xlsx(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [["Store", "CSAT"], ["A", 4], ["B", 5]] + [["C", 3]] * 70:
        sheet.append(row)
    sheet["D72"] = "total"
    book.save(path)
    return path


@pytest.mark.parametrize(
    "name, make, message",
    [
        ("empty.csv", lambda p: p.write_bytes(b""), "The file is empty"),
        ("blank.csv", lambda p: p.write_bytes(b"\r\n \r\n,,\n"), "The file is empty"),
        ("header.csv", lambda p: p.write_bytes(b"Store,CSAT\r\n"), "no data rows"),
        ("sep.csv", lambda p: p.write_bytes(b"sep=;\r\n"), "no data rows"),
        ("header_blank.csv", lambda p: p.write_bytes(b"Store,CSAT\r\n,\r\n\r\n"), "no data rows"),
        ("qualtrics.csv", lambda p: shutil.copy(FORMATS / "qualtrics_3header.csv", p) and
         p.write_text("".join(p.read_text(encoding="utf-8").splitlines(True)[:3])),
         "no data rows"),
        ("random.csv", lambda p: p.write_bytes(bytes(range(256)) * 40), "not a CSV or XLSX"),
        ("old.xls", lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512),
         "old Excel .xls"),
        ("doc.csv", lambda p: p.write_bytes(b"%PDF-1.7\n%\xe2\xe3\n1 0 obj\n"), "PDF"),
        ("page.csv", lambda p: p.write_bytes(b"<!DOCTYPE html><html><table>"), "web page"),
        ("data.zip", lambda p: _zip(p, {"a.csv": b"x,y\n1,2\n"}), "ZIP archive"),
        ("sheet.xlsx", lambda p: _zip(p, {"mimetype": b"x", "content.xml": b"<x/>"}), ".ods"),
        ("bomb.xlsx", _lying_zip, "would expand"),
        ("broken.xlsx", lambda p: p.write_bytes(b"PK\x03\x04" + b"\0" * 100), "damaged"),
        ("wide.csv", lambda p: p.write_text(",".join(f"c{i}" for i in range(30)) + "\n"
                                            + ",".join("1" * 30) + "\n"), "30 columns"),
        ("wide.xlsx", _wide_xlsx, "30 columns"),
        ("stray.xlsx", _stray_cell_xlsx, "Row 72 of sheet 'Sheet' has a value in column D"),
        ("mixed.csv", lambda p: p.write_bytes("Store,Comment\nMünchen,ok\n".encode()
                                              + "Köln,ok\n".encode("cp1252")), "line 3"),
    ],
)
def test_refused_with_a_clear_message(tmp_path, name, make, message):
    path = tmp_path / name
    make(path)
    with pytest.raises(ReadError, match=message):
        prepare(path, tmp_path / "w", max_columns=25)


def test_size_limits(tmp_path):
    with pytest.raises(ReadError, match="at most"):
        prepare(FORMATS / "google_forms.csv", tmp_path, max_bytes=100)
    with pytest.raises(ReadError, match="would expand"):
        prepare(FORMATS / "employee.xlsx", tmp_path, max_unzipped_bytes=1000)
    with pytest.raises(ReadError, match="no sheet named 'Nope'"):
        prepare(FORMATS / "employee.xlsx", tmp_path, sheet="Nope")


def test_ragged_row_named_in_the_sample_error(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("Title\nStore,CSAT\nA,4\nB,5,extra\n")
    with pytest.raises(ReadError, match="row 4 has 3 cells but the header has 2"):
        read_sample(prepare(path, tmp_path / "w"))


def test_interior_empty_line_is_noted(tmp_path):
    path = tmp_path / "gap.csv"
    path.write_text("Store,CSAT\nA,4\n\nB,5\n")
    notes = prepare(path, tmp_path / "w").notes
    assert any("Row 3 is an empty line" in note for note in notes)
