"""Map an upload's columns onto the canonical columns of metrics.md §2.

A :class:`Mapping` says, for each source column, which canonical column it fills (or
``"ignore"``), which values are constant for the whole file (``unit_id``, ``period``),
the declared scale of every rating and how dates are written. It is saved as JSON and
offered again when next month's file has the same :func:`header_signature`.

Dates: ``response_date`` keeps the day; for ``financials`` a date column may be mapped to
``period`` and is truncated to its calendar month (``YYYY-MM``). ``date_format`` is a
``strptime`` format (the same codes work in DuckDB's ``strptime``), or None for ISO dates.
Rating items are targets named ``item:<slug>`` with ``slug`` in lower_snake_case.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analytics.ingest import likert
from analytics.ingest._rules import (
    ID_LIKE,
    IGNORE_ANY,
    IGNORE_PERSONAL,
    ITEM_ALIASES,
    NOT_ITEM,
    RATING_WORDS,
    RULES,
    TRANSACTION_ID,
    DateFormatGuess,
    detect_date_format,
    words,
)

__all__ = ["CANONICAL", "DATASETS", "FIXED_SCALES", "IGNORE", "DatasetSpec", "DateFormatGuess",
           "Mapping", "detect_date_format", "header_signature", "missing_required",
           "suggest_mapping"]

IGNORE = "ignore"
SURVEY_TOOLS = frozenset({"qualtrics", "qualtrics_legacy", "surveymonkey", "google_forms",
                          "ms_forms"})
_ITEM = re.compile(r"^item:[a-z][a-z0-9_]*$")
_KEYS = ("columns", "constants", "scales", "date_format", "transaction_level", "name")


@dataclass(frozen=True)
class DatasetSpec:
    """Canonical columns of one dataset: required groups (any one of each) and optional."""

    name: str
    required: tuple[tuple[str, ...], ...]
    optional: tuple[str, ...]
    items: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        """Every canonical column name of the dataset (rating items aside)."""
        return tuple(c for group in self.required for c in group) + self.optional


DATASETS: dict[str, DatasetSpec] = {
    "units": DatasetSpec(
        "units", (("unit_id",), ("unit_name",)),
        ("region", "division", "manager_email", "headcount"),
    ),
    "employee": DatasetSpec(
        "employee", (("unit_id",), ("response_date", "period"), ("esat",)),
        ("respondent_id", "department", "role", "tenure_band", "enps", "comment"), items=True,
    ),
    "customer": DatasetSpec(
        "customer", (("unit_id",), ("response_date", "period"), ("csat",)),
        ("response_id", "channel", "nps", "complaint", "resolved", "resolution_hours",
         "comment"), items=True,
    ),
    "financials": DatasetSpec(
        "financials", (("unit_id",), ("period",), ("revenue",), ("cost_of_sales", "gross_profit")),
        ("operating_costs", "labour_cost", "headcount", "transactions", "target_margin_pct"),
    ),
}
CANONICAL: frozenset[str] = frozenset(c for s in DATASETS.values() for c in s.columns)
#: Scales that are not declared per upload (metrics.md §2).
FIXED_SCALES: dict[str, tuple[int, int]] = {"enps": (0, 10), "nps": (0, 10)}
_RATINGS = ("esat", "csat", "enps", "nps")


def _check_target(target: str, source: str, dataset: str | None) -> None:
    known = DATASETS[dataset].columns if dataset else tuple(sorted(CANONICAL))
    items = dataset is None or DATASETS[dataset].items
    if target in known or (items and _ITEM.match(target)):
        return
    close = difflib.get_close_matches(target, known, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    where = f" (dataset '{dataset}')" if dataset else ""
    raise ValueError(
        f"Unknown canonical column '{target}' for {source}{where}.{hint} Use one of "
        f"{', '.join(known)}{', item:<name>' if items else ''} or 'ignore'."
    )


@dataclass
class Mapping:
    """How the columns of an upload become canonical columns.

    ``columns`` maps each source column to a canonical column, ``item:<slug>`` or
    ``"ignore"``; ``constants`` gives canonical values for the whole file; ``scales``
    gives ``[lo, hi]`` per rating target; ``date_format`` is a strptime format or None for
    ISO; ``transaction_level`` (financials) means rows are summed to unit × month.
    ``warnings`` are for the user to check and are not saved.
    """

    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    scales: dict[str, list[float]] = field(default_factory=dict)
    date_format: str | None = None
    transaction_level: bool = False
    name: str | None = None
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.check()

    def check(self, dataset: str | None = None) -> None:
        """Raise ValueError for unknown targets, duplicates or bad scales.

        Parameters
        ----------
        dataset : str, optional
            When given, targets must belong to that dataset (see :data:`DATASETS`).
        """
        if dataset is not None and dataset not in DATASETS:
            raise ValueError(f"Unknown dataset '{dataset}'; use one of {', '.join(DATASETS)}.")
        seen: dict[str, str] = {}
        for source, target in self.columns.items():
            if target == IGNORE:
                continue
            _check_target(target, f"column '{source}'", dataset)
            if target in seen:
                raise ValueError(
                    f"Columns '{seen[target]}' and '{source}' are both mapped to '{target}'; "
                    "map one of them to 'ignore'."
                )
            seen[target] = source
        for target in self.constants:
            _check_target(target, "a constant", dataset)
            if target in seen:
                raise ValueError(f"'{target}' is both a constant and column '{seen[target]}'.")
        for target, scale in self.scales.items():
            if target not in _RATINGS and not _ITEM.match(target):
                raise ValueError(f"'{target}' is not a rating; only {_RATINGS} and items "
                                 "have scales.")
            if len(scale) != 2 or not scale[0] < scale[1]:
                raise ValueError(f"Scale of '{target}' must be [lo, hi] with lo < hi, "
                                 f"not {scale}.")
            if target in FIXED_SCALES and tuple(scale) != FIXED_SCALES[target]:
                raise ValueError(f"'{target}' is always on 0-10 (metrics.md §2), not {scale}.")
        if self.date_format is not None and "%" not in self.date_format:
            raise ValueError(f"date_format '{self.date_format}' is not a strptime format "
                             "such as '%d/%m/%Y'.")

    def to_dict(self) -> dict[str, Any]:
        """The saved form (see :meth:`to_json`)."""
        out: dict[str, Any] = {
            "columns": dict(self.columns),
            "constants": dict(self.constants),
            "scales": {k: [_num(v) for v in s] for k, s in self.scales.items()},
            "date_format": self.date_format,
            "transaction_level": self.transaction_level,
        }
        if self.name is not None:
            out["name"] = self.name
        return out

    def to_json(self) -> str:
        """JSON: ``{"columns": {...}, "constants": {...}, "scales": {"csat": [1, 5]},
        "date_format": "%d/%m/%Y", "transaction_level": false}`` (plus ``"name"`` if set)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any], dataset: str | None = None) -> Mapping:
        """Build and check a mapping from its saved form; every key is optional."""
        if not isinstance(data, dict):
            raise ValueError("A mapping must be a JSON object.")
        unknown = sorted(set(data) - set(_KEYS))
        if unknown:
            raise ValueError(f"Unknown mapping key(s) {unknown}; allowed: {', '.join(_KEYS)}.")
        for key in ("columns", "constants", "scales"):
            if not isinstance(data.get(key, {}), dict):
                raise ValueError(f"'{key}' must be a JSON object.")
        mapping = cls(
            columns={str(k): str(v) for k, v in data.get("columns", {}).items()},
            constants=dict(data.get("constants", {})),
            scales={str(k): list(v) for k, v in data.get("scales", {}).items()},
            date_format=data.get("date_format"),
            transaction_level=bool(data.get("transaction_level", False)),
            name=data.get("name"),
        )
        mapping.check(dataset)
        return mapping

    @classmethod
    def from_json(cls, text: str, dataset: str | None = None) -> Mapping:
        """Parse :meth:`to_json` output; ValueError with a clear message if invalid."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"The mapping is not valid JSON: {exc}") from exc
        return cls.from_dict(data, dataset)


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


def missing_required(dataset: str, mapping: Mapping) -> list[str]:
    """Required canonical columns neither mapped nor given as a constant.

    Parameters
    ----------
    dataset : str
        ``units``, ``employee``, ``customer`` or ``financials``.
    mapping : Mapping
        The mapping to check.

    Returns
    -------
    list of str
        One entry per unmet requirement; alternatives are joined with " or ", e.g.
        ``["unit_id", "response_date or period"]``.

    Examples
    --------
    >>> missing_required("financials", Mapping(columns={"Sales": "revenue"}))
    ['unit_id', 'period', 'cost_of_sales or gross_profit']
    """
    have = set(mapping.columns.values()) | set(mapping.constants)
    return [" or ".join(g) for g in DATASETS[dataset].required if not have.intersection(g)]


def header_signature(columns: list[str]) -> str:
    """SHA-256 of the normalised, sorted header names, to recognise next month's file.

    Parameters
    ----------
    columns : list of str
        Header names (``Prepared.columns``).

    Returns
    -------
    str
        64 hex digits. Case, surrounding and repeated whitespace (no-break spaces too) and
        column order do not change it.

    Examples
    --------
    >>> header_signature(["Store", "Sales"]) == header_signature([" sales", "STORE"])
    True
    """
    names = sorted(" ".join(str(c).split()).casefold() for c in columns)
    return hashlib.sha256("\x1f".join(names).encode("utf-8")).hexdigest()


def _slug(text: str) -> str:
    """An ASCII lower_snake_case item name: accents dropped ("Qualité" → "qualite"),
    "item" when no ASCII letter or digit is left."""
    text = re.sub(r"^\s*q?\d+[a-z]?[.):]\s+", "", text, flags=re.I)
    ascii_words = [w for w in (unicodedata.normalize("NFKD", w).encode("ascii", "ignore")
                               .decode() for w in words(text).split()) if w]
    slug = "_".join(ascii_words[:6]) or "item"
    if len(slug) > 40:
        slug = slug[:41].rsplit("_", 1)[0]
    return "q" + slug if slug[0].isdigit() else slug


def _item_target(col: str, text: str, dataset: str, used: set[str]) -> str:
    source = next((t.rsplit(" - ", 1)[1] for t in (text, col) if " - " in t), col)
    slug = _slug(source)
    if dataset == "customer":
        slug = next((alias for alias, pat in ITEM_ALIASES if pat.search(words(source))), slug)
    base, k = slug, 2
    while f"item:{slug}" in used:
        slug, k = f"{base}_{k}", k + 1
    return f"item:{slug}"


def _rating(values: pd.Series, levels: int = 2) -> tuple[tuple[float, float] | None, str]:
    """Scale of a rating-like column and its kind ('number', 'text' or '').

    Numbers count as ratings only with at least ``levels`` different scores (a column of
    1s is a checkbox, not a rating).
    """
    distinct = pd.Series(values.unique(), dtype=object)
    answered = distinct[~distinct.map(likert.is_missing_code)]
    if answered.empty or len(answered) > 25:  # ratings have a handful of distinct answers
        return None, ""
    scale = likert.detect_scale(distinct)
    if scale is not None:
        codes, _, _ = likert.code_ratings(distinct, scale)
        return (scale, "number") if codes.nunique() >= levels else (None, "")
    _, scale, unmatched = likert.code_text_scale(distinct)
    if scale is not None and len(unmatched) <= 0.2 * len(answered):
        return scale, "text"
    return None, ""


_ITEM_NAME = re.compile(r"^item:[a-z0-9_]+$")


def _outcome_scale(col: str, target: str, values: pd.Series, warnings: list) -> tuple:
    """The scale of esat/csat: 1-5 (the default, metrics.md §2) unless the values say so.

    A few answers above 5 are typos to report row by row, not a reason to read the whole
    survey on 1-10: only when more than 5% of the answers lie outside 1-5 is a wider
    standard scale suggested (and still shown for the user to confirm).
    """
    scale, _ = _rating(values, levels=1)
    numbers = pd.to_numeric(values.str.replace(",", ".", regex=False), errors="coerce")
    numbers = numbers[numbers.notna() & ~numbers.isin(likert.MISSING_CODES)]
    outside = ((numbers < 1) | (numbers > 5)).mean() if len(numbers) else 0.0
    wider = scale is not None and (scale[0] < 1 or scale[1] > 5)
    if scale is None or (wider and len(numbers) and outside <= 0.05):
        if scale is not None:
            warnings.append(f"'{col}' ({target}) is read on 1-5; {int(outside * len(numbers))}"
                            " sample answers outside it will be reported as errors.")
        elif len(numbers) == 0 or outside > 0:
            warnings.append(f"Could not tell the scale of '{col}' ({target}); assumed 1-5.")
        return (1, 5)
    return scale


def _fits(target: str, values: pd.Series, dataset: str) -> bool:
    """Whether sample values are plausible for ``target`` (empty samples always fit)."""
    values = values[values.str.strip() != ""]
    if values.empty:
        return True
    if target in ("response_date", "period"):
        return detect_date_format(values).ok
    if target in ("esat", "csat"):
        return _rating(values, levels=1)[0] is not None
    if target in FIXED_SCALES:
        return likert.detect_scale(values) in ((0, 10), (1, 10), (1, 5), (1, 7), (1, 4))
    if dataset == "financials" and target not in ("unit_id",):
        money = values.str.replace(r"[\s$€£,.()'+-]", "", regex=True)
        return bool(money.str.fullmatch(r"\d+").mean() >= 0.9)
    return True


def suggest_mapping(
    dataset: str,
    columns: list[str],
    question_texts: dict[str, str],
    sample: pd.DataFrame,
    *,
    tool: str | None = None,
) -> Mapping:
    """Suggest a mapping from column names, question texts and sample values.

    Parameters
    ----------
    dataset : str
        ``units``, ``employee``, ``customer`` or ``financials``.
    columns : list of str
        Source column names (``Prepared.columns``).
    question_texts : dict
        Column → question text from extra header rows (``Prepared.question_texts``).
    sample : pandas.DataFrame
        First rows as strings (:func:`analytics.ingest.read.read_sample`).
    tool : str, optional
        ``Prepared.tool``; in survey-tool exports unnamed numeric ratings (``Q3_1``) become
        items. When omitted, a file with question texts counts as a survey-tool export.

    Returns
    -------
    Mapping
        Every column mapped to a canonical target, ``item:<slug>`` or ``"ignore"``, with
        detected scales and date format; ``warnings`` lists what the user should check.

    Examples
    --------
    >>> sample = pd.DataFrame({"Store": ["A", "B"], "Sales": ["10", "12"]})
    >>> suggest_mapping("financials", ["Store", "Sales"], {}, sample).columns
    {'Store': 'unit_id', 'Sales': 'revenue'}
    """
    spec = DATASETS[dataset]
    survey = dataset in ("employee", "customer")
    # a survey tool's export: unnamed numeric questions (Q3_1) may be rating items
    from_tool = tool in SURVEY_TOOLS or (tool is None and bool(question_texts))
    result = {c: "" for c in columns}
    warnings: list[str] = []
    info = {c: (words(c), words(question_texts.get(c, ""))) for c in columns}
    values = {c: sample[c].fillna("").astype(str) if c in sample else pd.Series([], dtype=str)
              for c in columns}
    for c, (name, _text) in info.items():
        exact = c.strip().lower()
        if exact in spec.columns and exact not in result.values():
            # a column named exactly like a canonical column is that column, whatever its
            # values: a bad value is then reported by validation, row by row
            result[c] = exact
        elif spec.items and _ITEM_NAME.match(exact):
            result[c] = exact
        elif IGNORE_ANY.match(name) or (survey and IGNORE_PERSONAL.search(name)):
            result[c] = IGNORE
    for target, sets, pattern in RULES:
        if target not in spec.columns or dataset not in sets or target in result.values():
            continue
        for c, (name, text) in info.items():
            if result[c] or not (pattern.search(name) or (text and pattern.search(text))):
                continue
            if _fits(target, values[c], dataset):
                result[c] = target
                break
    scales: dict[str, list[float]] = {}
    for c, (name, text) in info.items():
        target = result[c]
        if target in FIXED_SCALES:
            scales[target] = list(FIXED_SCALES[target])
        elif target in ("esat", "csat"):
            scale = _outcome_scale(c, target, values[c], warnings)
            scales[target] = list(scale)
        elif target.startswith("item:"):
            scale, _ = _rating(values[c])
            scales[target] = list(scale or (1, 5))
        elif not target and spec.items and not (len(name.split()) <= 5 and NOT_ITEM.search(name)):
            scale, kind = _rating(values[c])
            named = RATING_WORDS.search(f"{name} {text}") is not None
            if scale is not None and (kind == "text" or named or from_tool):
                target = _item_target(c, question_texts.get(c, ""), dataset, set(result.values()))
                result[c] = target
                scales[target] = list(scale)
        if survey and not result[c] and ID_LIKE.search(name):
            warnings.append(f"'{c}' looks like an employee or customer identifier and was "
                            "not mapped; map it to respondent_id/response_id only if you must.")
    _share_scales(result, question_texts, scales)
    mapping = Mapping({c: t or IGNORE for c, t in result.items()}, scales=scales,
                      warnings=warnings)
    _explain(dataset, mapping, info, values, warnings)
    return mapping


def _share_scales(result: dict, texts: dict, scales: dict) -> None:
    """Items of one matrix question share the widest scale seen in any of them.

    A small sample may miss the top answer of one statement (1-4 seen on a 1-5 grid).
    """
    groups: dict[str, list[str]] = {}
    for c, target in result.items():
        if target.startswith("item:"):
            text = texts.get(c) or c
            stem = text.rsplit(" - ", 1)[0] if " - " in text else re.sub(r"_[^_]*$", "", c)
            groups.setdefault(stem, []).append(target)
    for targets in groups.values():
        widest = max((scales[t] for t in targets), key=lambda s: (s[1] - s[0], -s[0]))
        for t in targets:
            if scales[t][0] == widest[0]:
                scales[t] = list(widest)


def _explain(dataset: str, mapping: Mapping, info: dict, values: dict, warnings: list) -> None:
    """Date format, transaction level and the notes a reviewer needs."""
    by_target = {t: c for c, t in mapping.columns.items() if t != IGNORE}
    date_col = by_target.get("response_date") or by_target.get("period")
    if date_col is not None:
        guess = detect_date_format(values[date_col])
        mapping.date_format = guess.format
        if guess.alternative:
            # never guess the order of day and month: a wrong guess moves responses to
            # another month without any error
            mapping.date_format = None
            warnings.append(
                f"Dates in '{date_col}' fit both {guess.format} and {guess.alternative}: "
                "choose the date format before loading."
            )
    fmt = mapping.date_format
    daily = date_col is not None and (
        "%d" in fmt if fmt else bool(values[date_col].str.match(r"\d{4}-\d{2}-\d{2}").any()))
    if dataset == "financials" and daily:
        warnings.append(f"period is the calendar month of '{date_col}' (dates are "
                        "truncated to the month).")
        ids = [c for c, (name, _) in info.items() if TRANSACTION_ID.search(name)]
        mapping.transaction_level = bool(ids) or _repeats(mapping, values, by_target)
        if mapping.transaction_level:
            warnings.append("Rows look like transactions: they will be summed per unit and "
                            "month.")
    profit = by_target.get("gross_profit")
    if profit and words(profit) == "profit":
        warnings.append(f"'{profit}' is mapped to gross_profit; if it is net of operating "
                        "costs, map it to 'ignore' and give cost_of_sales instead.")
    unit = by_target.get("unit_id")
    if unit and words(unit).startswith("region"):
        warnings.append(f"No store/branch column found; '{unit}' is used as the unit.")


def _repeats(mapping: Mapping, values: dict, by_target: dict) -> bool:
    unit, date = by_target.get("unit_id"), by_target.get("period")
    if not unit or not date:
        return False
    when = pd.to_datetime(values[date], format=mapping.date_format or "ISO8601", errors="coerce")
    frame = pd.DataFrame({"u": values[unit], "m": when.dt.to_period("M")}).dropna()
    return bool(frame.duplicated().any())
