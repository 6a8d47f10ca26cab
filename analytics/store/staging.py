"""Staging an upload in DuckDB temp tables: raw file, distinct values, stage rows.

All of it runs on one cursor that the ingest code owns for the whole upload, since
temp tables belong to the connection that made them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import pandas as pd

from analytics.store.validate import Plan, bind, drop_relation, quote_ident

# The prepared file's dialect is known, so DuckDB's sniffer is off: every column is text,
# short rows are padded, and a row with more cells than the header is an error with its
# line (strict mode). comment = '': '#' at the start of a row is data, not a comment.
_READ_OPTIONS = "header = true, auto_detect = false, columns = $columns, quote = '\"', " \
    "escape = '\"', null_padding = true, strict_mode = true, comment = '', skip = 0"
# First the parallel scanner with DuckDB's default line limit (2 MB; a larger limit makes
# buffers so big that a file is read by one thread). Two refusals of that reader are
# retried serially with a 20 MB line limit: a line over 2 MB, and quoted line breaks in a
# file with short rows (null_padding).
_ATTEMPTS = ("parallel = true", "parallel = false, max_line_size = 20000000")
_RETRY_SERIAL = ("Maximum line size of",
                 "does not support null_padding in conjunction with quoted new lines")
_LINE = re.compile(r"CSV Error on Line: (\d+).*?Expected Number of Columns: (\d+) Found: (\d+)",
                   re.S)


_LONG_LINE = "Maximum line size of 2000000 bytes exceeded"
_ROW = re.compile(r"CSV Error on Line: (\d+)")
#: DuckDB's own words for a file it cannot read, and what they mean for a person
_PLAIN = (
    ("Maximum line size", "Row {row} is longer than 20 MB. Check that the file is a table "
                          "of one record per line, with its quotes closed."),
    ("state machine reached an invalid state",
     "The file mixes line endings in a way that cannot be read (a line feed followed by "
     "a carriage return). Open it in Excel or a text editor and save it again as CSV."),
)


def _plain(message: str, row_offset: int) -> tuple[str, bool]:
    """DuckDB's refusal in words a person can act on, and whether it is a whole sentence
    (else it is DuckDB's first line, without the error's class name)."""
    found = _ROW.search(message)
    row = str(int(found.group(1)) - 1 + row_offset) if found else "A"
    for words, plain in _PLAIN:
        if words in message:
            text = plain.format(row=row)
            return (text if found else text.replace("Row A is", "A line is")), True
    first = message.split("\n")[0]
    # "Invalid Input Error: ..." and the like: keep what follows the class name
    return re.sub(r"^[A-Za-z ]*Error: ", "", first) or "the file is not a table", False


class StagingError(ValueError):
    """DuckDB could not read the prepared file as a table.

    ``plain``: the message is a whole sentence for a person, to show as it is.
    """

    def __init__(self, message: str, plain: bool = False) -> None:
        super().__init__(message)
        self.plain = plain


BLANKS = " \t\u00a0"


def _cleaned(column: str) -> str:
    """SQL for a cell's text trimmed of ``BLANKS``, NULL when empty.

    Most cells need no trim, and a test of their ends is far cheaper than DuckDB's
    ``trim`` with a character set, which dominated validation of big files.
    """
    return f"{_clean(column)} AS {quote_ident(column)}"


def _clean(column: str) -> str:
    # a cell needs a trim when it starts or ends with one of BLANKS: the first character's
    # code and three suffix tests (searching the whole cell for a tab or a no-break space
    # cost a tenth of a big upload)
    c = quote_ident(column)
    ends = " OR ".join(f"ends_with({c}, {ch})" for ch in ("' '", "chr(9)", "chr(160)"))
    return (f"nullif(CASE WHEN ascii({c}) IN ({', '.join(str(ord(b)) for b in BLANKS)}) "
            f"OR {ends} THEN trim({c}, $blanks) ELSE {c} END, '')")


def load_raw(cur: duckdb.DuckDBPyConnection, path: str, delimiter: str, columns: list[str],
             row_offset: int = 1) -> list[str]:
    """Read a prepared UTF-8 CSV into ``_raw`` (trimmed VARCHAR, NULL when blank; ``_row``).

    ``columns`` are the (unique) names of the prepared header; ``row_offset`` turns a data
    row index into the row the user sees, for the error message of a ragged row. Rows
    where every cell is blank (trailing rows of spreadsheets) are left out; ``_row`` keeps
    counting them, so row numbers stay those of the file.
    """
    cleaned = ", ".join(_cleaned(c) for c in columns)
    _read(cur, lambda file: f"CREATE OR REPLACE TEMP TABLE _cells AS SELECT {cleaned} FROM {file}",
          _file_params(path, delimiter, columns), row_offset)
    cur.execute(f"DELETE FROM _cells WHERE coalesce({', '.join(map(quote_ident, columns))}) "
                "IS NULL")
    return _number_rows(cur)


def _file_params(path: str, delimiter: str, columns: list[str]) -> dict:
    return {"path": path, "delim": delimiter, "columns": {c: "VARCHAR" for c in columns},
            "blanks": BLANKS}


def _read(cur: duckdb.DuckDBPyConnection, statement, params: dict, row_offset: int) -> None:
    """Run ``statement(file)`` (SQL reading the prepared CSV as ``file``), retrying the
    parallel reader's two refusals serially; DuckDB's refusal as a :class:`StagingError`."""
    for attempt in _ATTEMPTS:
        sql = statement(f"read_csv($path, delim = $delim, {attempt}, {_READ_OPTIONS})")
        try:
            cur.execute(sql, bind(sql, params))
            return
        except (duckdb.Error, UnicodeDecodeError) as exc:
            # DuckDB's message about a long line of multi-byte text can be cut inside a
            # character, so the binding fails to decode it: that is a line too long
            text = (_LONG_LINE if isinstance(exc, UnicodeDecodeError) else str(exc))
            if attempt == _ATTEMPTS[0] and any(m in text for m in _RETRY_SERIAL):
                continue
            found = _LINE.search(text)
            if found:
                line, expected, got = (int(g) for g in found.groups())
                raise StagingError(
                    f"Row {line - 1 + row_offset} has {got} cells but the header has "
                    f"{expected} columns. Check the delimiter, or quotes around text with "
                    "commas, on that row.") from exc
            raise StagingError(*_plain(text, row_offset)) from exc


@dataclass(frozen=True)
class RawFile:
    """A prepared CSV not read yet: :func:`analytics.store.validate.validate` reads it
    and types its cells in one statement (the mapping is known), instead of keeping
    every cell as text first."""

    path: str
    delimiter: str
    columns: tuple[str, ...]
    row_offset: int = 1

    def read_typed(self, cur: duckdb.DuckDBPyConnection, statement, params: dict,
                   sources: dict[str, str]) -> int:
        """Create ``_fused`` with ``statement(cells)`` and expose it as ``_typed`` and
        ``_raw``; return the number of data rows.

        ``cells`` is a subquery of the file's trimmed text, by source column name, with
        ``_blank_rest`` (every unmapped cell blank); ``sources`` maps each staged text
        column of ``_fused`` to the file column it came from. Blank rows are dropped as
        :func:`load_raw` drops them, keeping the row numbers of the file.
        """
        used = list(dict.fromkeys(sources.values()))
        rest = [c for c in self.columns if c not in used]
        blank_rest = (f"coalesce({', '.join(map(_clean, rest))}) IS NULL" if rest else "TRUE")
        kept = ", ".join(_cleaned(c) for c in used) or "NULL AS _none"
        _read(cur, lambda file: statement(f"(SELECT {kept}, {blank_rest} AS _blank_rest "
                                          f"FROM {file})"),
              {**_file_params(self.path, self.delimiter, list(self.columns)), **params},
              self.row_offset)
        blank = "".join(f"{c} IS NULL AND " for c in sources)
        cur.execute(f"DELETE FROM _fused WHERE {blank}_blank_rest")
        drop_relation(cur, "_typed")
        cur.execute("CREATE TEMP VIEW _typed AS "
                    "SELECT rowid + 1 AS _row, * EXCLUDE (_blank_rest) FROM _fused")
        first: dict[str, str] = {}  # file column -> the first staged column of its text
        for col, src in sources.items():
            first.setdefault(src, col)
        picked = "".join(f", {col} AS {quote_ident(src)}" for src, col in first.items())
        cur.execute(f"CREATE OR REPLACE TEMP VIEW _raw AS SELECT rowid + 1 AS _row{picked} "
                    "FROM _fused")
        return cur.execute("SELECT count(*) FROM _fused").fetchall()[0][0]


def _number_rows(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """Expose ``_cells`` as ``_raw`` with ``_row``, the data row's position in the file.

    CREATE TABLE AS keeps the order of its source (DuckDB preserves insertion order by
    default), so rowid + 1 is the row's position, and a deleted blank row leaves its gap.
    This replaces ``row_number() OVER ()``, whose streaming window made the whole read
    single-threaded.
    """
    cur.execute("CREATE OR REPLACE TEMP VIEW _raw AS SELECT rowid + 1 AS _row, * FROM _cells")
    return raw_columns(cur)


def raw_columns(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """Source columns of the staged file, in file order."""
    return [r[0] for r in cur.execute("DESCRIBE _raw").fetchall() if r[0] != "_row"]


def raw_count(cur: duckdb.DuckDBPyConnection) -> int:
    """Data rows in the staged file."""
    return cur.execute("SELECT count(*) FROM _raw").fetchall()[0][0]


def raw_sample(cur: duckdb.DuckDBPyConnection, n: int = 200) -> pd.DataFrame:
    """The first ``n`` data rows as text, for mapping suggestions."""
    return _head(cur, "_raw", "_row", n).drop(columns="_row")


def _head(cur: duckdb.DuckDBPyConnection, source: str, row: str, n: int) -> pd.DataFrame:
    """The ``n`` rows of ``source`` with the lowest ``row`` (ingest-chosen names).

    Row numbers only grow along the staged tables, so a filter on them reads the first
    row groups only; a top-n of all rows would copy every cell of a big file.
    """
    last = cur.execute(f"SELECT max({row}) FROM {source}").fetchall()[0][0] or 0
    k = 4 * n
    while True:
        head = cur.execute(f"SELECT * FROM {source} WHERE {row} <= $k ORDER BY {row} LIMIT $n",
                           {"k": k, "n": n}).df()
        if len(head) >= n or k >= last:
            return head
        k *= 16


def problem_columns(cur: duckdb.DuckDBPyConnection, reason: str) -> set[str]:
    """The columns (as the file names them) with a problem of this reason."""
    return {r[0] for r in cur.execute(
        "SELECT DISTINCT column_name FROM _problems WHERE reason = $r", {"r": reason}
    ).fetchall()}


def distinct_values(cur: duckdb.DuckDBPyConnection, column: str, limit: int = 50) -> list[str]:
    """Up to ``limit`` distinct non-empty, non-numeric values of a column (answer coding)."""
    # only answers that are not plain numbers need coding: skip those cheaply
    rows = cur.execute(
        f"""SELECT DISTINCT trim(replace({quote_ident(column)}, chr(160), ' ')) AS v
            FROM _raw WHERE TRY_CAST({quote_ident(column)} AS DOUBLE) IS NULL
              AND nullif(trim({quote_ident(column)}), '') IS NOT NULL
            ORDER BY v LIMIT $n""",
        {"n": limit + 1},
    ).fetchall()
    return [r[0] for r in rows]


#: a problem's cell value is shown (and kept) up to this many characters, then "…"
VALUE_CHARS = 200


def problems(cur: duckdb.DuckDBPyConnection, offset: int = 0) -> pd.DataFrame:
    """problems_df: row (as the user sees it in the file), column, value, reason.

    A value longer than ``VALUE_CHARS`` is cut there and ends with "…": a cell of a
    million characters is not echoed back whole.
    """
    return cur.execute(
        "SELECT row_no + $o AS row, column_name AS column, CASE WHEN length(value) > $n "
        "THEN left(value, $n) || '…' ELSE value END AS value, reason FROM _problems "
        "ORDER BY row_no, column_name",
        {"o": offset, "n": VALUE_CHARS},
    ).df()


def build_stage(cur: duckdb.DuckDBPyConnection, plan: Plan,
                transaction_level: bool = False) -> None:
    """Create ``_stage`` (and ``_stage_items``) from the rows of ``_typed`` without problems.

    Whether a file with problems may load its valid rows is the caller's decision. Call
    it again when problems are added (the views leave out the rows that had problems
    when they were made).
    """
    targets = [t for t in plan.targets() if not t.startswith("item:")]
    if "period" not in targets and plan.dataset != "units":
        targets.append("period")  # derived from response_date during validation
    cols = [quote_ident(t) for t in targets]
    for name in ("esat", "csat"):
        if plan.dataset in ("employee", "customer") and name in targets:
            lo, hi = plan.scale(name)
            cols += [f"{lo}::DOUBLE AS {name}_lo", f"{hi}::DOUBLE AS {name}_hi"]
    clean = not cur.execute("SELECT count(*) FROM _problems").fetchall()[0][0]
    keep = "" if clean else "WHERE _row NOT IN (SELECT row_no FROM _problems)"
    if plan.dataset == "financials":
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE _clean AS SELECT _row AS row_no, {', '.join(cols)} "
            f"FROM _typed {keep}"
        )
        _financial_stage(cur, targets, transaction_level)
    else:
        # a view: the insert reads _typed once instead of a copy of it
        cur.execute(
            f"CREATE OR REPLACE TEMP VIEW _stage AS SELECT _row AS row_no, {', '.join(cols)} "
            f"FROM _typed {keep}"
        )
        cur.execute("CREATE OR REPLACE TEMP VIEW _clean AS SELECT * FROM _stage")
    items = [t for t in plan.targets() if t.startswith("item:")]
    if items and plan.dataset in ("employee", "customer"):
        cur.register("_scale_frame", pd.DataFrame({
            "item": [t[5:] for t in items],
            "lo": [plan.scale(t)[0] for t in items], "hi": [plan.scale(t)[1] for t in items],
        }))
        cur.execute("CREATE OR REPLACE TEMP TABLE _stage_item_scales AS "
                    "SELECT item, lo::DOUBLE AS lo, hi::DOUBLE AS hi FROM _scale_frame")
        picked = ", ".join(quote_ident(t) for t in items)
        # a view: read once, by the insert; UNPIVOT drops unanswered items, and the item
        # is its column's name after 'item:'
        cur.execute(
            f"""CREATE OR REPLACE TEMP VIEW _stage_items AS
                SELECT row_no, substr(k, 6) AS item, value
                FROM (UNPIVOT (SELECT _row AS row_no, {picked} FROM _typed {keep})
                      ON {picked} INTO NAME k VALUE value)""")
    else:
        cur.execute("DROP VIEW IF EXISTS _stage_items")


def stage_counts(cur: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(rows kept, rows rejected) of the staged upload (after :func:`build_scope`)."""
    kept = cur.execute("SELECT count(*) FROM _clean").fetchall()[0][0]
    rejected = cur.execute("SELECT count(DISTINCT row_no) FROM _problems").fetchall()[0][0]
    return kept, rejected


def _financial_stage(cur: duckdb.DuckDBPyConnection, targets: list[str],
                     transaction_level: bool) -> None:
    money = [t for t in ("revenue", "cost_of_sales", "gross_profit", "operating_costs",
                         "labour_cost", "transactions") if t in targets]
    if transaction_level:
        agg = ", ".join(f"sum({t}) AS {t}" for t in money)
        other = [t for t in ("headcount", "target_margin_pct") if t in targets]
        agg += "".join(f", max({t}) AS {t}" for t in other)
        extra = ", count(*) AS transactions" if "transactions" not in targets else ""
        source = (f"(SELECT unit_id, period, {agg}{extra} FROM _clean "
                  "GROUP BY unit_id, period)")
    else:
        source = "_clean"
    has_gp, has_cos = "gross_profit" in targets, "cost_of_sales" in targets
    gp = "gross_profit" if has_gp else "revenue - cost_of_sales"
    cos = "cost_of_sales" if has_cos else "revenue - gross_profit"
    if has_gp and has_cos:
        gp, cos = "coalesce(gross_profit, revenue - cost_of_sales)", \
            "coalesce(cost_of_sales, revenue - gross_profit)"
    rest = [t for t in ("operating_costs", "labour_cost", "headcount", "transactions",
                        "target_margin_pct") if t in targets or (
                            t == "transactions" and transaction_level)]
    cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE _stage AS
            SELECT unit_id, period, revenue, {cos} AS cost_of_sales, {gp} AS gross_profit
                   {"".join(", " + t for t in rest)}
            FROM {source}"""
    )


def stage_preview(cur: duckdb.DuckDBPyConnection, n: int = 20) -> pd.DataFrame:
    """The first mapped rows as they will be stored."""
    if any(r[0] == "row_no" for r in cur.execute("DESCRIBE _stage").fetchall()):
        return _head(cur, "_stage", "row_no", n)
    return cur.execute("SELECT * FROM _stage ORDER BY ALL LIMIT $n", {"n": n}).df()


def build_scope(cur: duckdb.DuckDBPyConnection) -> None:
    """``_stage_scope``: the unit_id, period pairs of ``_stage`` with row counts, once.

    The overlap check, the report and the batch's scope all read it, instead of each
    grouping the staged rows again.
    """
    has_period = any(r[0] == "period" for r in cur.execute("DESCRIBE _stage").fetchall())
    period = "period" if has_period else "NULL::VARCHAR AS period"  # units: no months
    cur.execute(f"CREATE OR REPLACE TEMP TABLE _stage_scope AS SELECT unit_id, {period}, "
                "count(*) AS rows FROM _stage GROUP BY ALL")


def stage_scope(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """scope_df: the unit_id, period pairs the staged rows cover, with row counts."""
    return cur.execute("SELECT * FROM _stage_scope ORDER BY ALL").df()

def has_items(cur: duckdb.DuckDBPyConnection) -> bool:
    """Whether the staged upload has rating items."""
    return bool(cur.execute(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = '_stage_items' AND temporary"
    ).fetchall()[0][0])
