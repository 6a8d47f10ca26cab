"""Mapping uploads to canonical columns (analytics.ingest.mapping) and coding ratings (likert)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from analytics.ingest import likert
from analytics.ingest.mapping import (
    DATASETS,
    Mapping,
    detect_date_format,
    header_signature,
    missing_required,
    suggest_mapping,
)
from analytics.ingest.read import prepare, read_sample

DATA = Path(__file__).parents[1] / "data"


def suggest(tmp_path: Path, relative: str, dataset: str) -> Mapping:
    prepared = prepare(DATA / relative, tmp_path)
    return suggest_mapping(dataset, prepared.columns, prepared.question_texts,
                           read_sample(prepared), tool=prepared.tool)


GF_ESAT = "How satisfied are you with your job overall?"
SM_RATE = "Please rate the following: - "

CASES = [
    ("formats/qualtrics_3header.csv", "employee", {
        "Q1": "esat", "Q2": "enps", "EndDate": "response_date", "ResponseId": "respondent_id",
        "Q3_1": "item:my_manager_supports_me", "Q4": "unit_id", "Q5": "comment",
        "StartDate": "ignore", "IPAddress": "ignore", "RecipientEmail": "ignore",
        "LocationLatitude": "ignore", "DistributionChannel": "ignore", "RecordedDate": "ignore",
    }, {"esat": [1, 5], "enps": [0, 10], "item:i_feel_recognised_for_my_work": [1, 5]}, None),
    ("formats/surveymonkey_2header.csv", "customer", {
        "Overall, how satisfied were you with your visit?": "csat",
        "How likely is it that you would recommend this store to a friend or colleague?": "nps",
        SM_RATE + "Courtesy of staff": "item:courtesy", SM_RATE + "Speed of service": "item:speed",
        SM_RATE + "Value for money": "item:value", "Which store did you visit?": "unit_id",
        "Respondent ID": "response_id", "End Date": "response_date", "Email Address": "ignore",
        "First Name": "ignore", "Which store did you visit? - Other (please specify)": "ignore",
        "Is there anything else you would like to tell us? - Open-Ended Response": "comment",
    }, {"csat": [1, 5], "nps": [0, 10], "item:quality": [1, 5]}, "%m/%d/%Y %I:%M:%S %p"),
    ("formats/google_forms.csv", "employee", {
        "Timestamp": "response_date", GF_ESAT: "esat", "Email Address": "ignore",
        "How likely are you to recommend us as a place to work?": "enps",
        "I have the tools I need to do my job well": "item:i_have_the_tools_i_need",
        "Which branch do you work at?": "unit_id", "Department": "department",
        "Any other feedback?": "comment",
    }, {"item:my_manager_treats_me_with_respect": [1, 5]}, "%m/%d/%Y %H:%M:%S"),
    ("formats/ms_forms.xlsx", "customer", {
        "ID": "response_id", "Completion time": "response_date", "Start time": "ignore",
        "Email": "ignore", "Name": "ignore", "Which location did you visit?": "unit_id",
        "How satisfied were you with your visit overall?": "csat",
        "How likely are you to recommend us to a friend?": "nps",
        "How would you rate the knowledge of our staff?": "item:knowledge",
        "What could we do better?": "comment",
    }, {"item:knowledge": [1, 5]}, None),
    ("formats/employee.xlsx", "employee", {
        "Submitted": "response_date", "Team": "unit_id", "Overall job satisfaction": "esat",
        "Recommend as employer (0-10)": "enps", "Comments": "comment",
    }, {"esat": [1, 5]}, None),
    ("formats/finance_transactions.csv", "financials", {
        "Invoice date": "period", "Store": "unit_id", "Net sales": "revenue",
        "Cost of sales": "cost_of_sales", "Gross profit": "gross_profit",
        "Staff cost": "labour_cost", "Invoice no": "ignore",
    }, {}, "%d/%m/%Y"),
    ("formats/tab.tsv", "units", {
        "unit_id": "unit_id", "unit_name": "unit_name", "region": "region",
        "manager_email": "manager_email", "headcount": "headcount",
    }, {}, None),
    ("formats/pipe.csv", "financials", {
        "Store": "unit_id", "Period": "period", "Revenue": "revenue",
        "Cost of sales": "cost_of_sales",
    }, {}, None),
    ("samples/qualtrics_current_3header.csv", "employee", {
        "EndDate": "response_date", "ResponseId": "respondent_id", "StartDate": "ignore",
        "IPAddress": "ignore", "LocationLongitude": "ignore", "UserLanguage": "ignore",
    }, {}, None),
    ("samples/qualtrics_legacy_2header_bom.csv", "customer", {
        "ResponseID": "response_id", "EndDate": "response_date", "EmailAddress": "ignore",
        "Name": "ignore",
    }, {}, None),
    ("samples/qualtrics_no_basis_codes.csv", "employee", {
        "Q3_1": "item:q3_1", "Q4_4": "item:q4_4", "Q2_1": "ignore",
    }, {"item:q3_1": [1, 4]}, None),
    ("samples/surveymonkey_2020_responses.csv", "employee", {
        "Respondent ID": "respondent_id",
        "10a. Data is too big to fit into memory on my machine/ server.":
            "item:data_is_too_big_to_fit",
        "1. How frequently do you use Jupyter?": "ignore", "3. Python.": "ignore",
    }, {"item:data_is_too_big_to_fit": [0, 4]}, None),
    ("samples/google_forms_2016_responses.csv", "employee", {
        "Timestamp": "response_date",
    }, {}, "%m/%d/%Y %H:%M:%S"),
    ("samples/training_feedback_text_likert_nps.csv", "customer", {
        "Date": "response_date", "LikelyToRecommend": "nps", "MemberSite": "unit_id",
        "AtmosphereWelcoming": "item:atmosphere_welcoming", "Worth": "item:value",
        "Pace": "ignore",
    }, {"item:atmosphere_welcoming": [1, 5], "nps": [0, 10]}, "%m/%d/%y %H:%M"),
    ("samples/ibm_hr_employee_satisfaction.csv", "employee", {
        "JobSatisfaction": "esat", "Department": "department", "JobRole": "role",
        "EnvironmentSatisfaction": "item:environment_satisfaction",
        "WorkLifeBalance": "item:work_life_balance", "EmployeeNumber": "ignore",
        "Gender": "ignore", "HourlyRate": "ignore", "Education": "ignore", "JobLevel": "ignore",
    }, {"esat": [1, 4], "item:work_life_balance": [1, 4]}, None),
    ("samples/ibm_hr_employee_satisfaction.xlsx", "employee", {
        "JobSatisfaction": "esat", "RelationshipSatisfaction": "item:relationship_satisfaction",
    }, {"esat": [1, 4]}, None),
    ("samples/superstore_orders_profit.csv", "financials", {
        "Order Date": "period", "Sales": "revenue", "Profit": "gross_profit",
        "Region": "unit_id", "Ship Date": "ignore", "Customer Name": "ignore",
    }, {}, "%d/%m/%y"),
    ("samples/supermarket_branch_sales.csv", "financials", {
        "Branch": "unit_id", "Date": "period", "Total": "revenue", "cogs": "cost_of_sales",
        "gross income": "gross_profit", "gross margin percentage": "ignore",
        "Rating": "ignore", "Unit price": "ignore",
    }, {}, "%m/%d/%Y"),
]


@pytest.mark.parametrize("relative, dataset, pairs, scales, date_format", CASES,
                         ids=[c[0].split("/")[1] for c in CASES])
def test_suggested_mapping(tmp_path, relative, dataset, pairs, scales, date_format):
    mapping = suggest(tmp_path, relative, dataset)
    assert {c: mapping.columns[c] for c in pairs} == pairs
    assert {t: mapping.scales[t] for t in scales} == scales
    assert mapping.date_format == date_format
    mapping.check(dataset)


@pytest.mark.parametrize(
    "relative, dataset, missing",
    [
        ("formats/qualtrics_3header.csv", "employee", []),
        ("formats/surveymonkey_2header.csv", "customer", []),
        ("samples/ibm_hr_employee_satisfaction.csv", "employee",
         ["unit_id", "response_date or period"]),
        ("samples/superstore_orders_profit.csv", "financials", []),
        ("formats/utf8_bom.csv", "financials", ["cost_of_sales or gross_profit"]),
    ],
)
def test_missing_required_after_suggestion(tmp_path, relative, dataset, missing):
    assert missing_required(dataset, suggest(tmp_path, relative, dataset)) == missing


def test_notes_for_transactions_and_profit(tmp_path):
    mapping = suggest(tmp_path, "samples/superstore_orders_profit.csv", "financials")
    assert mapping.transaction_level is True
    text = " ".join(mapping.warnings)
    assert "'Profit' is mapped to gross_profit" in text
    assert "calendar month of 'Order Date'" in text
    assert "'Region' is used as the unit" in text
    assert suggest(tmp_path, "formats/pipe.csv", "financials").transaction_level is False


def test_employee_identifier_is_not_mapped_but_flagged(tmp_path):
    mapping = suggest(tmp_path, "samples/ibm_hr_employee_satisfaction.csv", "employee")
    assert mapping.columns["EmployeeNumber"] == "ignore"
    assert any("EmployeeNumber" in w for w in mapping.warnings)


def test_ambiguous_dates_are_flagged_not_guessed_silently():
    sample = pd.DataFrame({"Store": ["A", "B"], "Date": ["03/04/2026", "05/06/2026"],
                           "CSAT": ["4", "5"]})
    mapping = suggest_mapping("customer", list(sample), {}, sample)
    assert mapping.date_format is None  # validation then refuses the rows until chosen
    assert any("%d/%m/%Y" in w and "%m/%d/%Y" in w and "'Date'" in w
               for w in mapping.warnings)


@pytest.mark.parametrize(("answers", "scale"), [
    (["4", "5", "3"] * 10 + ["9"], [1, 5]),  # one typo is reported, not a new scale
    (["7", "8", "9", "10", "6", "3"] * 5, [1, 10]),
    (["1", "2", "3", "4"] * 5, [1, 4]),
])
def test_outcome_scale_is_robust_to_a_few_typos(answers, scale):
    sample = pd.DataFrame({"Store": ["A"] * len(answers), "CSAT": answers})
    assert suggest_mapping("customer", list(sample), {}, sample).scales["csat"] == scale


def test_exact_canonical_names_map_whatever_the_values():
    sample = pd.DataFrame({"unit_id": ["A"], "period": ["Q3"], "revenue": ["12k"],
                           "cost_of_sales": ["1"]})
    mapping = suggest_mapping("financials", list(sample), {}, sample)
    assert mapping.columns == {c: c for c in sample}


def test_sample_from_duckdb_with_nulls():
    sample = pd.DataFrame({"Store": ["A", None], "CSAT": [None, "4"], "Comments": [None, None]})
    mapping = suggest_mapping("customer", list(sample), {}, sample)
    assert mapping.columns == {"Store": "unit_id", "CSAT": "csat", "Comments": "comment"}


@pytest.mark.parametrize(
    "values, expected, alternative",
    [
        (["2026-10-03", "2026-10-21"], None, None),
        (["2026-10-03 09:15:22", "2026-10-03T10:00:00Z"], None, None),
        (["2026-10", "2026-11"], None, None),
        (["4/22/2016 19:57:50", "10/3/2016 8:05:00"], "%m/%d/%Y %H:%M:%S", None),
        (["22/04/2016", "3/5/2016"], "%d/%m/%Y", None),
        (["03/04/2026", "11/12/2026"], "%m/%d/%Y", "%d/%m/%Y"),
        (["9/8/18 15:29", "9/9/18 3:42"], "%m/%d/%y %H:%M", "%d/%m/%y %H:%M"),
        (["9/28/18 15:29"], "%m/%d/%y %H:%M", None),
        (["03/01/19", "29/12/22"], "%d/%m/%y", None),
        (["22.10.2026", "01.11.2026"], "%d.%m.%Y", None),
        (["10/21/2026 09:12:45 AM", "10/21/2026 01:22:31 PM"], "%m/%d/%Y %I:%M:%S %p", None),
        (["03-Oct-2026", "21-Nov-2026"], "%d-%b-%Y", None),
        (["Oct 2026", "Nov 2026"], "%b %Y", None),
        (["2026-10-3", "2026-10-21"], "%Y-%m-%d", None),
    ],
)
def test_detect_date_format(values, expected, alternative):
    guess = detect_date_format(pd.Series(values + [""]))
    assert (guess.format, guess.ok, guess.alternative) == (expected, True, alternative)


@pytest.mark.parametrize("values", [["soon", "later"], ["2026-10-03", "13/13/2026"], []])
def test_detect_date_format_failures(values):
    assert detect_date_format(pd.Series(values, dtype=str)).ok is False


# --- Mapping JSON ----------------------------------------------------------------------


def test_json_round_trip_exact_format():
    mapping = Mapping(columns={"Q1": "csat", "Store": "unit_id", "IP": "ignore"},
                      constants={"period": "2026-10"}, scales={"csat": [1, 5]},
                      date_format="%d/%m/%Y")
    data = json.loads(mapping.to_json())
    assert data == {"columns": {"Q1": "csat", "Store": "unit_id", "IP": "ignore"},
                    "constants": {"period": "2026-10"}, "scales": {"csat": [1, 5]},
                    "date_format": "%d/%m/%Y", "transaction_level": False}
    again = Mapping.from_json(mapping.to_json(), dataset="customer")
    assert again.to_dict() == mapping.to_dict()
    assert Mapping.from_json("{}").to_dict()["columns"] == {}
    assert json.loads(Mapping(name="Store survey").to_json())["name"] == "Store survey"


@pytest.mark.parametrize(
    "text, dataset, message",
    [
        ('{"columns": {"Q1": "esta"}}', None, "Did you mean 'esat'"),
        ('{"columns": {"Q1": "item:Courtesy"}}', None, "Unknown canonical column"),
        ('{"columns": {"Q1": "esat"}}', "financials", "dataset 'financials'"),
        ('{"constants": {"unit": "S17"}}', None, "Unknown canonical column 'unit'"),
        ('{"columns": {"A": "csat", "B": "csat"}}', None, "both mapped to 'csat'"),
        ('{"columns": {"A": "unit_id"}, "constants": {"unit_id": "S1"}}', None, "constant"),
        ('{"scales": {"nps": [1, 5]}}', None, "always on 0-10"),
        ('{"scales": {"csat": [5, 1]}}', None, "lo < hi"),
        ('{"scales": {"unit_id": [1, 5]}}', None, "not a rating"),
        ('{"date_format": "dd/mm/yyyy"}', None, "strptime"),
        ('{"colums": {}}', None, "Unknown mapping key"),
        ('{"columns": [1]}', None, "must be a JSON object"),
        ("not json", None, "not valid JSON"),
    ],
)
def test_invalid_mappings(text, dataset, message):
    with pytest.raises(ValueError, match=message):
        Mapping.from_json(text, dataset=dataset)


def test_items_only_where_the_dataset_has_them():
    Mapping.from_json('{"columns": {"Q9": "item:speed"}}', dataset="customer")
    with pytest.raises(ValueError):
        Mapping.from_json('{"columns": {"Q9": "item:speed"}}', dataset="financials")


@pytest.mark.parametrize(
    "dataset, columns, constants, missing",
    [
        ("units", {"Store": "unit_id"}, {}, ["unit_name"]),
        ("employee", {"Q1": "esat"}, {"unit_id": "S1", "period": "2026-10"}, []),
        ("employee", {"Q1": "esat", "Date": "response_date"}, {}, ["unit_id"]),
        ("customer", {}, {}, ["unit_id", "response_date or period", "csat"]),
        ("financials", {"S": "unit_id", "M": "period", "R": "revenue"}, {},
         ["cost_of_sales or gross_profit"]),
        ("financials", {"S": "unit_id", "M": "period", "R": "revenue", "P": "gross_profit"}, {},
         []),
    ],
)
def test_missing_required(dataset, columns, constants, missing):
    assert missing_required(dataset, Mapping(columns=columns, constants=constants)) == missing


def test_dataset_specs_follow_metrics_md():
    assert DATASETS["financials"].required == (("unit_id",), ("period",), ("revenue",),
                                               ("cost_of_sales", "gross_profit"))
    assert "nps" in DATASETS["customer"].optional and "enps" in DATASETS["employee"].optional


def test_header_signature():
    base = header_signature(["Store", "Q1", "Order\u00a0Date"])
    assert base == header_signature([" q1", "order  date", "STORE"])
    assert base != header_signature(["Store", "Q1", "Order Date", "Q2"])
    assert len(base) == 64


# --- likert ------------------------------------------------------------------------------

NAN = math.nan


@pytest.mark.parametrize(
    "values, codes, scale",
    [
        (["Strongly agree", "Agree", "Neither agree nor disagree", "Disagree",
          "Strongly disagree"], [5, 4, 3, 2, 1], (1, 5)),
        (["Strongly agree", "Somewhat agree", "Agree", "Somewhat disagree"], [7, 5, 6, 3],
         (1, 7)),
        (["Strongly agree", "Somewhat agree", "Somewhat disagree"], [5, 4, 2], (1, 5)),
        (["STRONGLY\u00a0AGREE ", " strongly disagree.", "Neutral"], [5, 1, 3], (1, 5)),
        (["Very satisfied", "Dissatisfied", "Neither satisfied nor dissatisfied"], [5, 2, 3],
         (1, 5)),
        (["Extremely likely", "Extremely unlikely", "Likely"], [5, 1, 4], (1, 5)),
        (["Excellent", "Very good", "Poor"], [5, 4, 1], (1, 5)),
        (["(4) Critical.", "(0) Not a problem for me.", "(2)\u00a0Minor."], [4, 0, 2], (0, 4)),
        (["Agree", "N/A", "Don't know", "Don\u2019t know", "No basis for evaluation", "",
          "Not applicable", "-", "n/a"], [4] + [NAN] * 8, (1, 5)),
    ],
)
def test_code_text_scale(values, codes, scale):
    got, found, unmatched = likert.code_text_scale(pd.Series(values))
    assert got.tolist() == pytest.approx(codes, nan_ok=True)
    assert (found, unmatched) == (scale, set())


def test_code_text_scale_unmatched_declared_and_not_likert():
    codes, scale, unmatched = likert.code_text_scale(pd.Series(["Agree", "Banana"]))
    assert (codes.tolist()[0], scale, unmatched) == (4.0, (1, 5), {"Banana"})
    assert likert.code_text_scale(pd.Series(["Agree"]), (1, 7))[0].tolist() == [6.0]
    assert likert.code_text_scale(pd.Series(["Leeds", "York"]))[1] is None


@pytest.mark.parametrize(
    "values, scale",
    [
        (["1", "2", "4"], (1, 4)), (["1", "5"], (1, 5)), (["2", "7"], (1, 7)),
        (["1", "10"], (1, 10)), (["0", "10"], (0, 10)), (["0", "6"], (0, 10)),
        (["3", "-1", "-2", "-99", "4", "N/A", ""], (1, 4)),
        (["4.5", "9.1"], None), (["12", "3"], None), (["a", "b"], None), (["", "N/A"], None),
    ],
)
def test_detect_scale(values, scale):
    assert likert.detect_scale(pd.Series(values)) == scale


@pytest.mark.parametrize(
    "value, scale, missing",
    [("N/A", None, True), ("No basis for evaluation", (1, 5), True), ("-1", (1, 5), True),
     ("-2", (1, 5), True), (-99, (0, 10), True), ("3", (1, 5), False), ("-1", (-3, 3), False),
     (None, None, True), (NAN, None, True), ("Agree", (1, 5), False)],
)
def test_is_missing_code(value, scale, missing):
    assert likert.is_missing_code(value, scale) is missing


def test_qualtrics_no_basis_codes_never_become_scores(tmp_path):
    prepared = prepare(DATA / "samples/qualtrics_no_basis_codes.csv", tmp_path)
    sample = read_sample(prepared)
    raw = sample["Q3_1"]
    assert {"-1", "-2"} & set(sample[["Q3_1", "Q3_2", "Q4_4"]].stack())
    codes, scale, unmatched = likert.code_ratings(raw, (1, 4))
    assert codes.min() >= 1 and not unmatched
    assert codes.isna().sum() == (raw.isin(["-1", "-2", ""])).sum()
    assert codes.mean() == pytest.approx(pd.to_numeric(raw[~raw.isin(["-1", "-2", ""])]).mean())


def test_code_ratings_numbers_and_text():
    codes, scale, bad = likert.code_ratings(pd.Series(["5", "-1", "", "7", "x", "-99"]), (1, 5))
    assert codes.tolist() == pytest.approx([5, NAN, NAN, NAN, NAN, NAN], nan_ok=True)
    assert (scale, bad) == ((1, 5), {"7", "x"})
    codes, scale, _ = likert.code_ratings(pd.Series(["Strongly agree", "Agree", "N/A"]))
    assert (codes.tolist()[:2], scale) == ([5.0, 4.0], (1, 5))
