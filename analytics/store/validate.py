"""Set-based validation of an upload in DuckDB: typed staging rows and a problem table.

The raw file sits in a temp table of VARCHAR columns (``_raw``, with its data row
number ``_row``). ``validate`` builds ``_typed`` (canonical, typed columns) and
``_problems`` (row_no, column_name, value, reason) with one SQL statement per kind of
check, never a Python loop over rows. Source column names come from the user's file:
they are only ever used quoted by ``quote_ident``; every value is a bound parameter.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import duckdb
import pandas as pd

TEXT, SCORE, NUMBER, BOOL, DATE, PERIOD = "text", "score", "number", "bool", "date", "period"

#: Canonical columns of metrics.md §2 with their types; ``item:<name>`` are scores.
COLUMN_TYPES: dict[str, dict[str, str]] = {
    "units": {
        "unit_id": TEXT, "unit_name": TEXT, "region": TEXT, "division": TEXT,
        "manager_email": TEXT, "headcount": NUMBER,
    },
    "employee": {
        "unit_id": TEXT, "response_date": DATE, "period": PERIOD, "respondent_id": TEXT,
        "department": TEXT, "role": TEXT, "tenure_band": TEXT, "esat": SCORE,
        "enps": SCORE, "comment": TEXT,
    },
    "customer": {
        "unit_id": TEXT, "response_date": DATE, "period": PERIOD, "response_id": TEXT,
        "channel": TEXT, "csat": SCORE, "nps": SCORE, "complaint": BOOL, "resolved": BOOL,
        "resolution_hours": NUMBER, "comment": TEXT,
    },
    "financials": {
        "unit_id": TEXT, "period": PERIOD, "revenue": NUMBER, "cost_of_sales": NUMBER,
        "gross_profit": NUMBER, "operating_costs": NUMBER, "labour_cost": NUMBER,
        "headcount": NUMBER, "transactions": NUMBER, "target_margin_pct": NUMBER,
    },
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "units": ("unit_id", "unit_name"),
    "employee": ("unit_id", "period", "esat"),
    "customer": ("unit_id", "period", "csat"),
    "financials": ("unit_id", "period", "revenue"),
}
ID_COLUMN = {"employee": "respondent_id", "customer": "response_id"}
MISSING_TOKENS = ("", "na", "n/a", "nan", "null", "none", "-", "--", "not applicable",
                  "don't know", "dont know", "no basis for evaluation", "#n/a")
#: Qualtrics and other tools code "no basis for evaluation" / "not asked" so
NUMERIC_MISSING_CODES = (-1.0, -2.0, -99.0)
DEFAULT_SCALES = {"esat": (1.0, 5.0), "csat": (1.0, 5.0), "enps": (0.0, 10.0),
                  "nps": (0.0, 10.0)}
MAX_TEXT = 5000
NOT_A_SCORE = "not a number: not a score or a recognised answer"
FORMULA_PATTERN = r"^[=@]|^[+\-][^0-9\s.,]"


def bind(sql: str, params: dict) -> dict:
    """The parameters that ``sql`` uses (DuckDB refuses unused named parameters)."""
    return {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}


def drop_relation(cur: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop the temp table or view ``name`` (an ingest-chosen name) if there is one."""
    kind = cur.execute(
        "SELECT 'VIEW' FROM duckdb_views() WHERE temporary AND view_name = $n UNION ALL "
        "SELECT 'TABLE' FROM duckdb_tables() WHERE temporary AND table_name = $n",
        {"n": name}).fetchall()
    if kind:
        cur.execute(f"DROP {kind[0][0]} {name}")


def quote_ident(name: str) -> str:
    """Quote an identifier taken from a user's file for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def column_type(dataset: str, target: str) -> str:
    """The type of a canonical column (``item:`` columns are scores)."""
    if target.startswith("item:"):
        return SCORE
    return COLUMN_TYPES[dataset][target]


@dataclass
class Plan:
    """A resolved mapping: where each canonical column comes from and how to read it."""

    dataset: str
    sources: dict[str, str] = field(default_factory=dict)  # target -> source column
    constants: dict[str, str] = field(default_factory=dict)  # target -> constant text
    scales: dict[str, tuple[float, float]] = field(default_factory=dict)
    date_format: str | None = None
    decimal_comma: bool = False
    #: target -> {normalised text label: code} for text answers on rating scales
    codes: dict[str, dict[str, float]] = field(default_factory=dict)
    #: the units the uploader may load (a manager's own); None: no restriction
    allowed_units: tuple[str, ...] | None = None

    def targets(self) -> list[str]:
        return sorted(set(self.sources) | set(self.constants))

    def scale(self, target: str) -> tuple[float, float]:
        if target in self.scales:
            lo, hi = self.scales[target]
            return float(lo), float(hi)
        return DEFAULT_SCALES.get(target, (1.0, 5.0))


def _src(plan: Plan, target: str) -> str:
    """SQL for the raw text of a target (``_raw`` holds it trimmed, blanks as NULL; bound
    constants are $const_<i>)."""
    if target in plan.sources:
        return quote_ident(plan.sources[target])
    return f"$const_{plan.targets().index(target)}"


#: first characters of the missing tokens, both cases: a cell starting with anything else
#: is not one, and testing that first is far cheaper than lower() and a list search
_TOKEN_STARTS = ", ".join(sorted({str(ord(c)) for t in MISSING_TOKENS if t
                                  for c in (t[0].lower(), t[0].upper())}))
# Cheap test first, as CASE: DuckDB evaluates both sides of an AND inside an expression,
# but a CASE branch only for the rows that reach it.


def _missing(expr: str) -> str:
    return (f"(CASE WHEN {expr} IS NULL THEN TRUE "
            f"WHEN strlen({expr}) = 0 OR ascii({expr}) IN ({_TOKEN_STARTS}) "
            f"THEN list_contains($missing_tokens, lower({expr})) ELSE FALSE END)")


def _formula(expr: str) -> str:
    """A cell a spreadsheet would run as a formula."""
    return (f"(CASE WHEN ascii({expr}) IN ({', '.join(str(ord(c)) for c in '=@+-')}) "
            f"THEN regexp_matches({expr}, '{FORMULA_PATTERN}') ELSE FALSE END)")


def _number(plan: Plan, expr: str) -> str:
    cleaned = f"regexp_replace({expr}, '[\\s$£€%]', '', 'g')"
    if plan.decimal_comma:
        cleaned = f"replace(replace({cleaned}, '.', ''), ',', '.')"
    else:
        cleaned = f"replace({cleaned}, ',', '')"
    return f"TRY_CAST({cleaned} AS DOUBLE)"


def _typed_expr(plan: Plan, target: str, kind: str) -> str:
    raw = f"src__{_safe(target)}"
    if kind == TEXT:
        return f"CASE WHEN {_missing(raw)} THEN NULL ELSE {raw} END"
    # Fast path first: a plain number needs one cast (CASE evaluates the other branches
    # only for the rows that reach them); isfinite keeps 'nan'/'inf' out of the data.
    fast = f"TRY_CAST({raw} AS DOUBLE)"
    if kind == NUMBER:
        slow = f"CASE WHEN {_missing(raw)} THEN NULL ELSE {_number(plan, raw)} END"
        if plan.decimal_comma:  # 1.234 means a thousand: no fast path
            return slow
        return f"CASE WHEN isfinite({fast}) THEN {fast} ELSE {slow} END"
    if kind == SCORE:
        lo, _hi = plan.scale(target)
        coded = f"c__{_safe(target)}.code" if plan.codes.get(target) else "NULL"
        codes = ", ".join(repr(c) for c in NUMERIC_MISSING_CODES)  # our constants
        missing_code = f"{fast} IN ({codes})" if lo >= 0 else "FALSE"
        return (
            f"CASE WHEN isfinite({fast}) THEN CASE WHEN {missing_code} THEN NULL ELSE {fast} "
            f"END WHEN {_missing(raw)} THEN NULL "
            f"ELSE coalesce(TRY_CAST(replace({raw}, ',', '.') AS DOUBLE), {coded}) END"
        )
    if kind == BOOL:
        return (
            f"CASE WHEN {_missing(raw)} THEN NULL "
            f"WHEN lower({raw}) IN ('1', 'true', 'yes', 'y', 't') THEN TRUE "
            f"WHEN lower({raw}) IN ('0', 'false', 'no', 'n', 'f') THEN FALSE END"
        )
    if kind == DATE:
        return f"CASE WHEN {_missing(raw)} THEN NULL ELSE {_date(plan, raw)} END"
    if kind == PERIOD:
        return (
            f"CASE WHEN {_missing(raw)} THEN NULL "
            f"ELSE strftime(coalesce(TRY_CAST({raw} || '-01' AS DATE), {_date(plan, raw)}),"
            " '%Y-%m') END"
        )
    raise ValueError(kind)


def _date(plan: Plan, raw: str) -> str:
    if plan.date_format:
        return f"CAST(try_strptime({raw}, $date_format) AS DATE)"
    iso = "['%Y-%m-%d', '%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%dT%H:%M:%S']"
    return f"coalesce(TRY_CAST({raw} AS DATE), CAST(try_strptime({raw}, {iso}) AS DATE))"


def _safe(target: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in target)


def validate(cur: duckdb.DuckDBPyConnection, plan: Plan, today: dt.date | None = None,
             transaction_level: bool = False, file=None) -> dict[str, int]:
    """Build ``_typed`` and ``_problems`` from ``_raw``; return counts per reason.

    One statement types every cell into ``_typed`` (beside its text); one more scan of
    it finds every per-cell problem (:func:`_problem_rows`). With ``file`` (a
    :class:`analytics.store.staging.RawFile` not read yet) that statement reads the file
    itself: the mapped columns' text and typed values are kept, the others never are,
    and ``_raw`` becomes a view of the mapped columns' text.
    """
    dataset = plan.dataset
    kinds = {t: column_type(dataset, t) for t in plan.targets()}
    if "period" not in kinds and "response_date" in kinds:
        kinds["period"] = PERIOD
    params: dict[str, object] = {
        "missing_tokens": list(MISSING_TOKENS),
    }
    for i, t in enumerate(plan.targets()):
        if t in plan.constants:
            params[f"const_{i}"] = str(plan.constants[t])
    if plan.date_format:
        params["date_format"] = plan.date_format
    # raw text per target (column references: a subquery the optimiser inlines for free),
    # then the typed value per target
    src_cols = [f"{_src(plan, t)} AS src__{_safe(t)}" for t in plan.targets()]
    if "period" in kinds and "period" not in plan.targets():
        src_cols.append("src__response_date AS src__period")  # the month of the date
    joins, code_frames = [], []
    for t, mapping in plan.codes.items():
        if mapping and kinds.get(t) == SCORE:
            code_frames.append(pd.DataFrame(
                {"target": t, "label": list(mapping), "code": list(mapping.values())}))
            joins.append(
                f"LEFT JOIN (SELECT label, code FROM _codes WHERE target = '{_safe(t)}') "
                f"c__{_safe(t)} ON lower(src__{_safe(t)}) = c__{_safe(t)}.label"
            )
    codes = (pd.concat(code_frames) if code_frames
             else pd.DataFrame({"target": ["_"], "label": ["_"], "code": [0.0]}).head(0))
    codes["target"] = codes["target"].astype(str).map(_safe)
    codes["label"] = codes["label"].astype(str).str.lower()
    cur.register("_codes", codes)
    typed = [f"{_typed_expr(plan, t, k)} AS {quote_ident(t)}" for t, k in kinds.items()]

    def statement(table: str, cells: str | None = None) -> str:
        source = (f"(SELECT _row, {', '.join(src_cols)} FROM _raw)" if cells is None else
                  f"(SELECT {', '.join(src_cols)}, _blank_rest FROM {cells})")
        return (f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT _src.*, {', '.join(typed)} "
                f"FROM {source} AS _src {' '.join(joins)}")

    if file is None:
        drop_relation(cur, "_typed")  # a view after a file was read typed
        sql = statement("_typed")
        cur.execute(sql, bind(sql, params))
    else:
        # the text columns kept, and the file column each comes from
        staged = {f"src__{_safe(t)}": plan.sources[t] for t in plan.targets()
                  if t in plan.sources}
        if "src__response_date" in staged and "period" not in plan.targets():
            staged["src__period"] = staged["src__response_date"]
        file.read_typed(cur, lambda cells: statement("_fused", cells), params, staged)
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _problems (row_no INTEGER, column_name VARCHAR, "
        "value VARCHAR, reason VARCHAR)"
    )
    _problem_rows(cur, _checks(plan, kinds, today or dt.date.today()),
                  _suspects(plan, kinds), params)
    _duplicates(cur, plan, kinds, transaction_level)
    return problem_counts(cur)


class Sql(str):
    """A reason given as a SQL expression (it names the value) rather than as text."""


def _problem_rows(cur: duckdb.DuckDBPyConnection, checks: list[tuple], suspects: list[str],
                  params: dict[str, object]) -> None:
    """Insert every per-cell problem into ``_problems`` in one scan of ``_typed``.

    ``suspects`` (cheap tests, true at least wherever a check fails) drop nearly every
    row; each remaining row becomes a problem row per check it fails. (The checks read
    the materialised ``_typed``: over the query that types the cells, the optimiser
    would type a cell again for every check that names it.)
    """
    if not checks:
        return
    params = dict(params)
    for *_, extra in checks:
        params.update(extra)
    entries = []
    for i, (condition, column, value, reason, _extra) in enumerate(checks):
        params[f"col_{i}"] = column
        if isinstance(reason, Sql):
            reason_sql = str(reason)
        else:
            reason_sql, params[f"reason_{i}"] = f"$reason_{i}", reason
        entries.append(f"CASE WHEN {condition} THEN {{'column_name': "
                       f"$col_{i}, 'value': {value}::VARCHAR, 'reason': {reason_sql}}} END")
    sql = f"""INSERT INTO _problems
              SELECT _row, p.column_name, p.value, p.reason FROM (
                  SELECT _row, unnest(list_filter([{', '.join(entries)}],
                                                  x -> x IS NOT NULL)) AS p
                  FROM _typed WHERE {' OR '.join(f"({c})" for c in suspects)})"""
    cur.execute(sql, bind(sql, params))


def _suspects(plan: Plan, kinds: dict[str, str]) -> list[str]:
    """Cheap tests per column, true wherever one of :func:`_checks` can fail.

    Every check but these fails only where the typed value is NULL although the cell
    has text (unreadable, ambiguous, not a score), or the value is NULL (required).
    """
    out = []
    for t, kind in kinds.items():
        q, raw = quote_ident(t), f"src__{_safe(t)}"
        out.append(f"{q} IS NULL" if t in REQUIRED[plan.dataset]
                   else f"{q} IS NULL AND {raw} IS NOT NULL")
        if kind == SCORE:
            lo, hi = plan.scale(t)
            out.append(f"{q} < {lo} OR {q} > {hi}")
        elif kind == DATE:
            out.append(f"{q} > $today")
        elif kind == PERIOD:
            out.append(f"{q} > $month")
        elif kind == TEXT:  # bytes are at least characters; formulas start with these
            out.append(f"strlen({raw}) > {MAX_TEXT} "
                       f"OR ascii({raw}) IN ({', '.join(str(ord(c)) for c in '=@+-')})")
        if t in ("revenue", "cost_of_sales", "operating_costs", "headcount",
                 "resolution_hours"):
            out.append(f"{q} < 0")
    if plan.allowed_units is not None and "unit_id" in kinds:
        out.append("NOT list_contains($allowed_units::VARCHAR[], unit_id)")
    return out


def _checks(plan: Plan, kinds: dict[str, str], today: dt.date) -> list[tuple]:
    """(condition, column label, value expression, reason, extra parameters) per check."""
    out: list[tuple] = []
    label = {t: plan.sources.get(t, t) for t in kinds}

    def add(target: str, condition: str, reason: str, extra: dict | None = None) -> None:
        out.append((condition, label[target], f"src__{_safe(target)}", reason, extra or {}))

    for t in REQUIRED[plan.dataset]:
        if t in kinds:
            # an identifier is missing when empty or a marker such as NA (typed to NULL
            # like empty); a score or amount given as NA is an answer left out, kept
            raw = f"src__{_safe(t)}"
            gone = _missing(raw) if kinds[t] == TEXT else f"{raw} IS NULL"
            add(t, f"{quote_ident(t)} IS NULL AND {gone}", "missing required value")
    for t, kind in kinds.items():
        q, raw = quote_ident(t), f"src__{_safe(t)}"

        def unreadable(also: str = "TRUE", q: str = q, raw: str = raw) -> str:
            """Text that gave no value and is no missing marker (and ``also`` holds)."""
            return (f"CASE WHEN {q} IS NULL AND {raw} IS NOT NULL THEN "
                    f"NOT {_missing(raw)} AND ({also}) ELSE FALSE END")

        if kind == SCORE:
            lo, hi = plan.scale(t)
            add(t, unreadable(f"NOT coalesce(TRY_CAST({raw} AS DOUBLE) IN "
                              f"({', '.join(str(c) for c in NUMERIC_MISSING_CODES)}) "
                              f"AND {lo} >= 0, FALSE)"), NOT_A_SCORE)
            add(t, f"{q} < {lo} OR {q} > {hi}",
                f"outside its scale: expected {lo:g} to {hi:g}")
        elif kind == NUMBER:
            add(t, unreadable(), "not a number")
        elif kind == BOOL:
            add(t, unreadable(), "not yes/no: expected yes, no, true, false, 1 or 0")
        elif kind in (DATE, PERIOD):
            ambiguous = (f"CASE WHEN {q} IS NULL AND $date_format_missing THEN "
                         f"regexp_matches({raw}, '^\\d{{1,2}}[/.]\\d{{1,2}}[/.]\\d{{2,4}}') "
                         "ELSE FALSE END")
            add(t, ambiguous, "ambiguous day/month order: choose a date format",
                {"date_format_missing": plan.date_format is None})
            add(t, unreadable(f"NOT ({ambiguous})"),
                "unparseable date" if kind == DATE else "unparseable month: expected YYYY-MM",
                {"date_format_missing": plan.date_format is None})
            if kind == DATE:
                add(t, f"{q} > $today", "date in the future", {"today": today})
            else:
                add(t, f"{q} > $month", "month in the future",
                    {"month": today.strftime("%Y-%m")})
        elif kind == TEXT:
            add(t, f"length({raw}) > {MAX_TEXT}",
                f"text too long: over {MAX_TEXT:,} characters")
            add(t, _formula(raw), "looks like a spreadsheet formula (starts with = + - or @)")
    for t in ("revenue", "cost_of_sales", "operating_costs", "headcount",
              "resolution_hours"):
        if t in kinds:
            add(t, f"{quote_ident(t)} < 0", "negative value")
    if plan.allowed_units is not None and "unit_id" in kinds:
        # the loader's own refusal of another unit's rows (a manager uploads for theirs)
        out.append(("unit_id IS NOT NULL AND "
                    "NOT list_contains($allowed_units::VARCHAR[], unit_id)", "unit_id", "unit_id",
                    Sql("'unit ''' || unit_id || ''' is not one of your units'"),
                    {"allowed_units": list(plan.allowed_units)}))
    return out


def _duplicates(cur: duckdb.DuckDBPyConnection, plan: Plan, kinds: dict[str, str],
                transaction_level: bool) -> None:
    if plan.dataset == "financials" and not transaction_level:
        cur.execute(
            """INSERT INTO _problems
               SELECT _row, 'unit_id + period', unit_id || ' ' || period,
                      'two financial rows for the same unit and month (first at row '
                      || first_row || ')'
               FROM (SELECT _row, unit_id, period,
                            min(_row) OVER (PARTITION BY unit_id, period) AS first_row
                     FROM _typed WHERE unit_id IS NOT NULL AND period IS NOT NULL)
               WHERE _row > first_row"""
        )
    if plan.dataset == "units":
        cur.execute(
            """INSERT INTO _problems
               SELECT _row, 'unit_id', unit_id, 'duplicate unit id in the file (first at row '
                      || first_row || ')'
               FROM (SELECT _row, unit_id, min(_row) OVER (PARTITION BY unit_id) AS first_row
                     FROM _typed WHERE unit_id IS NOT NULL) WHERE _row > first_row"""
        )
    id_col = ID_COLUMN.get(plan.dataset)
    if id_col and id_col in kinds:
        col = plan.sources.get(id_col, id_col)
        # an aggregate, not a window: it keeps only the (few) repeated ids
        cur.execute(
            f"""INSERT INTO _problems
                SELECT t._row, $col, t.{id_col},
                       'duplicate response id in the file (first at row ' || d.first_row || ')'
                FROM _typed t JOIN (
                    SELECT {id_col}, min(_row) AS first_row FROM _typed
                    WHERE {id_col} IS NOT NULL GROUP BY {id_col} HAVING count(*) > 1
                ) d USING ({id_col})
                WHERE t._row > d.first_row""",
            {"col": col},
        )


def stored_duplicates(cur: duckdb.DuckDBPyConnection, plan: Plan, exclude: list[int]) -> int:
    """Flag response ids already stored, except in batches this upload replaces."""
    id_col = ID_COLUMN.get(plan.dataset)
    if not id_col or id_col not in plan.targets():
        return 0
    before = cur.execute("SELECT count(*) FROM _problems").fetchall()[0][0]
    cur.execute(
        f"""INSERT INTO _problems
            SELECT t._row, $col, t.{id_col}, 'duplicate response id: already stored'
            FROM _typed t SEMI JOIN (
                SELECT {id_col} FROM {plan.dataset}_responses
                WHERE NOT list_contains($exclude, batch_id)) s USING ({id_col})""",
        {"col": plan.sources.get(id_col, id_col), "exclude": exclude},
    )
    return cur.execute("SELECT count(*) FROM _problems").fetchall()[0][0] - before


def problem_counts(cur: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Problems per kind of reason."""
    rows = cur.execute(
        "SELECT split_part(reason, ':', 1), count(*) FROM _problems GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
    return dict(rows)
