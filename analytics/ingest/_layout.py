"""Header layouts of survey-tool exports, found in the first records of a CSV or sheet.

Pure functions on lists of records (lists of strings), shared by the CSV and XLSX readers:

- Qualtrics (current): row 1 question IDs, row 2 question texts, row 3 ``{"ImportId": ...}``
  (JSON, or a Python dict with single quotes in 2016-17 exports);
- Qualtrics (legacy): row 1 ``V1..Vn`` then question IDs, row 2 labels and question texts;
- SurveyMonkey: row 1 questions (blank over the later columns of a multi-column question),
  row 2 sub-questions, answer options or ``Response``; or already combined in one row;
- Google Forms (``Timestamp`` first, questions as headers) and Microsoft Forms (``ID``,
  ``Start time``, ``Completion time``, ``Email``, ``Name``): one header row.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from itertools import zip_longest


class ReadError(Exception):
    """An upload that cannot be read; the message says what is wrong and what to do."""


NO_DATA = ("The file has a header row but no data rows. Check that you exported the "
           "responses, not only the questions.")
EMPTY = ("The file is empty. Export the data again and check that it has a header row and "
         "at least one data row.")
_IMPORT_ID = re.compile(r"""^\{\s*["']ImportId["']\s*:""")
_V_COLUMN = re.compile(r"^V\d+$")
_DIGIT = re.compile(r"\d")
_EXCEL_SEP = re.compile(r"^sep=.?,?$")
_QUALTRICS = {"startdate", "enddate", "status", "ipaddress", "progress", "finished",
              "recordeddate", "responseid", "responseset", "distributionchannel",
              "userlanguage", "externalreference", "externaldatareference"}
_GOOGLE = {"timestamp", "marca temporal", "horodateur", "zeitstempel", "tijdstempel",
           "informazioni cronologiche", "carimbo de data/hora", "sygnatura czasowa"}
_MS_FORMS = {"start time", "completion time"}


@dataclass
class Layout:
    """Where the header is, what the columns are called and which tool wrote them."""

    tool: str
    data_start: int  # index of the first data record (= records before the data)
    n_header: int
    columns: list[str]
    texts: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _filled(record: list[str]) -> int:
    return sum(1 for cell in record if cell.strip())


def analyse(records: list[list[str]], whole: bool, max_columns: int) -> Layout:
    """Find title rows, the header rows and the tool; clean the column names.

    ``whole`` says that ``records`` are all the records of the file, so that "no data
    rows" can be told. Raises ReadError for an empty file, a header without data rows and
    too many columns.
    """
    widths = [_filled(r) for r in records]
    if not any(widths):
        raise ReadError(EMPTY)
    peak = max(widths[:12])
    start = 0
    while start < len(records) - 1 and (
            widths[start] == 0 or (widths[start] <= 1 and peak >= 3)
            or _EXCEL_SEP.match(",".join(records[start]))):  # Excel's "sep=;" line
        start += 1
    tool, n_header, names, texts = _detect(records[start:start + 3])
    data = [len(r) for r in records[start + n_header:] if any(r)]
    wide = max(set(data), key=data.count) if data else 0
    if wide > len(names):  # data rows wider than the header: name the extra columns
        names, texts = names + [""] * (wide - len(names)), texts + [""] * (wide - len(names))
    notes = []
    if start:
        notes.append(f"Skipped {start} title or blank row(s) above the header.")
    notes.append(_TOOL_NOTES[tool].format(n=n_header))
    if len(names) > max_columns:
        raise ReadError(f"The file has {len(names)} columns; at most {max_columns} are "
                        "accepted. Is this the right file? Remove unused columns and try again.")
    columns = clean_names(names, notes)
    tool = {"qualtrics2": "qualtrics", "surveymonkey1": "surveymonkey"}.get(tool, tool)
    layout = Layout(tool, start + n_header, n_header, columns, notes=notes)
    layout.texts = {c: " ".join(t.split()) for c, t in zip(columns, texts, strict=True) if t}
    if whole and not any(widths[layout.data_start:]):
        raise ReadError(NO_DATA)
    return layout


_TOOL_NOTES = {
    "qualtrics": "Qualtrics export: {n} header rows; row 2 kept as question texts, "
                 "row 3 (ImportId) skipped.",
    "qualtrics2": "Qualtrics export: {n} header rows; row 2 kept as question texts.",
    "qualtrics_legacy": "Qualtrics legacy export: V1..Vn columns named from row 2, which also "
                        "gives the question texts.",
    "surveymonkey": "SurveyMonkey export: 2 header rows; sub-questions combined with their "
                    "question.",
    "surveymonkey1": "SurveyMonkey export with its header rows already combined.",
    "google_forms": "Google Forms export: questions are the column names.",
    "ms_forms": "Microsoft Forms export: questions are the column names.",
    "plain": "One header row.",
}


def _detect(rows: list[list[str]]) -> tuple[str, int, list[str], list[str]]:
    """(tool, header rows, raw names, question texts aligned with the names)."""
    first = [c.strip() for c in rows[0]]
    second = rows[1] if len(rows) > 1 else None
    low = [c.lower() for c in first]
    if len(rows) > 2 and _share(rows[2], _IMPORT_ID.match) >= 0.5:
        return "qualtrics", 3, first, _pad(second, len(first))
    if second is not None and sum(bool(_V_COLUMN.match(c)) for c in first[:6]) >= 3:
        labels = _pad(second, len(first))
        names = [lab if _V_COLUMN.match(c) and lab else c for c, lab in zip(first, labels,
                                                                                strict=True)]
        texts = [lab if not _V_COLUMN.match(c) else "" for c, lab in zip(first, labels,
                                                                          strict=True)]
        return "qualtrics_legacy", 2, names, texts
    if second is not None and len(_QUALTRICS.intersection(low)) >= 3:
        when = [second[i] for i, c in enumerate(low) if c in ("startdate", "enddate")
                and i < len(second)]
        if when and not any(_DIGIT.search(w) for w in when):
            return "qualtrics2", 2, first, _pad(second, len(first))
    if "respondent id" in low:
        i = low.index("respondent id")
        if second is not None and i < len(second) and not second[i].strip():
            names = _combine(first, _pad(second, len(first)))
            return "surveymonkey", 2, names, names
        return "surveymonkey1", 1, first, first
    if low and low[0] in _GOOGLE:
        return "google_forms", 1, first, first
    if _MS_FORMS.issubset(low):
        return "ms_forms", 1, first, first
    return "plain", 1, first, [""] * len(first)


def _share(record: list[str], test) -> float:
    cells = [c for c in record if c.strip()]
    return sum(bool(test(c.strip())) for c in cells) / len(cells) if cells else 0.0


def _pad(record: list[str] | None, n: int) -> list[str]:
    record = [c.strip() for c in (record or [])][:n]
    return record + [""] * (n - len(record))


def _combine(questions: list[str], subs: list[str]) -> list[str]:
    """SurveyMonkey: carry each question over its blank cells and add the sub-question."""
    names, question = [], ""
    for top, sub in zip_longest(questions, subs, fillvalue=""):
        question = top or question
        if not top and not sub:
            names.append("")
        elif not sub or sub.lower() == "response":
            names.append(question)
        elif question and sub != question:
            names.append(f"{question} - {sub}")
        else:
            names.append(sub)
    return names


def clean_names(names: list[str], notes: list[str]) -> list[str]:
    """Single-line, unique (case-insensitively, as DuckDB needs) and non-empty names.

    ``'Q1', 'Q1'`` becomes ``'Q1', 'Q1 (2)'``; a blank name in column 7 becomes
    ``'column_7'``.
    """
    out: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(names, 1):
        # control characters (a NUL, an escape) cannot be part of a column name
        kept = "".join(c for c in raw if c.isspace() or unicodedata.category(c) != "Cc")
        name = " ".join(kept.replace("\ufeff", "").replace("\u200b", "").split())
        if kept != raw:
            notes.append(f"Column {i}'s name held control characters; they were removed.")
        if not name:
            name = f"column_{i}"
            notes.append(f"Column {i} has no name; called it '{name}'.")
        base, k = name, 2
        while name.casefold() in seen:
            name, k = f"{base} ({k})", k + 1
        if name != base:
            notes.append(f"Column {i} repeats the name '{base}'; called it '{name}'.")
        seen.add(name.casefold())
        out.append(name)
    return out
