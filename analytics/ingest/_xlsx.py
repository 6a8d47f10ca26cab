"""XLSX uploads: refuse zip bombs, read the first visible sheet with data, write a CSV.

python-calamine (Rust) reads the sheet when it is installed; openpyxl in read-only mode
otherwise. Both give the same rows: cells become strings (whole numbers without ``.0``,
dates as ISO ``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM:SS``, booleans ``true``/``false``).
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from itertools import chain
from pathlib import Path
from typing import Any

from analytics.ingest._layout import NO_DATA, Layout, ReadError, analyse

try:
    import python_calamine
except ImportError:  # pragma: no cover - depends on the environment
    python_calamine = None

_PEEK = 60
_ODD = {
    "content.xml": "an OpenDocument file (.ods): save it as .xlsx or CSV",
    "word/document.xml": "a Word document",
    "ppt/presentation.xml": "a PowerPoint presentation",
    "xl/workbook.bin": "a binary Excel workbook (.xlsb): save it as .xlsx or CSV",
}


def check_zip(path: Path, max_unzipped: int) -> None:
    """Refuse ZIP files that are not workbooks, and workbooks that expand too far."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, NotImplementedError) as exc:
        # NotImplementedError: a directory entry claims a zip version Python cannot read
        raise ReadError("The file looks like an XLSX workbook but is damaged. Open it in "
                        "Excel and save it again, or export it as CSV.") from exc
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        what = next((w for part, w in _ODD.items() if part in names),
                    "a ZIP archive: unpack it and upload the CSV or XLSX inside")
        raise ReadError(f"This is not a CSV or XLSX file: it looks like {what}.")
    total = sum(i.file_size for i in infos)
    ratio = max((i.file_size / max(i.compress_size, 1) for i in infos), default=0)
    if total > max_unzipped or (ratio > 1000 and total > 2**24):
        raise ReadError(
            f"The workbook would expand to {total / 2**20:,.0f} MB when opened (the limit is "
            f"{max_unzipped / 2**20:,.0f} MB), so it was not opened: it may be damaged or "
            "built to exhaust memory. Save the data as CSV, or delete unused sheets."
        )


def cell_text(value: Any) -> str:
    """One cell as the text a CSV would hold."""
    kind = type(value)
    if kind is float:  # the commonest cell after text
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if value is None or kind is str:
        return value or ""
    if kind is datetime:
        if value.microsecond:  # Excel stores times as fractions of a day
            value = (value + timedelta(microseconds=500_000)).replace(microsecond=0)
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if kind is bool:
        return "true" if value else "false"
    if kind in (date, time):
        return value.isoformat()
    return str(value)


def _texts(rows) -> Iterator[list[str]]:
    for row in rows:
        yield [c if type(c) is str else cell_text(c) for c in row]


def sheets(path: Path, wanted: str | None, engine: str | None = None):
    """Yield (sheet name, rows as lists of strings from sheet row 1, first column index)."""
    engine = engine or ("calamine" if python_calamine is not None else "openpyxl")
    try:
        if engine == "calamine":
            book = python_calamine.CalamineWorkbook.from_path(str(path))
            try:
                for meta in book.sheets_metadata:
                    if wanted is not None:
                        if meta.name != wanted:
                            continue
                    elif (meta.visible != python_calamine.SheetVisibleEnum.Visible
                          or meta.typ != python_calamine.SheetTypeEnum.WorkSheet):
                        continue
                    sheet = book.get_sheet_by_name(meta.name)
                    if sheet.height:
                        yield meta.name, _texts(sheet.iter_rows()), (sheet.start or (0, 0))[1]
            finally:
                book.close()
            return
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            for ws in book.worksheets:
                if (wanted and ws.title != wanted) or (not wanted and ws.sheet_state != "visible"):
                    continue
                ws.reset_dimensions()
                yield ws.title, _texts(ws.iter_rows(values_only=True)), 0
        finally:
            book.close()
    except ReadError:
        raise
    except Exception as exc:  # both engines raise their own types for damaged files
        raise ReadError(f"The workbook could not be read ({exc}). Open it in Excel and save "
                        "it again, or export it as CSV.") from exc


def _letter(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def write_csv(path: Path, out: Path, max_columns: int, wanted: str | None,
              engine: str | None = None) -> tuple[Layout, str, list[list[str]]]:
    """Write the first sheet with data to ``out``; return its layout, name and first rows."""
    candidates = sheets(path, wanted, engine)
    try:
        return _write(candidates, wanted, out, max_columns)
    finally:
        candidates.close()


def _write(candidates, wanted: str | None, out: Path,
           max_columns: int) -> tuple[Layout, str, list[list[str]]]:
    for candidate in candidates:
        name, rows, first_col = candidate
        head: list[list[str]] = []
        for row in rows:
            head.append(row)
            if sum(1 for r in head if any(r)) >= _PEEK:
                break
        if any(any(r) for r in head):
            break
    else:
        if wanted:
            raise ReadError(f"The workbook has no sheet named '{wanted}' with data.")
        raise ReadError("The workbook has no visible sheet with data.")
    used = [i for r in head for i, c in enumerate(r) if c]
    lo, hi = min(used), max(used) + 1
    if hi - lo > max_columns:
        raise ReadError(f"The sheet has {hi - lo} columns; at most {max_columns} are "
                        "accepted. Is this the right file? Remove unused columns and try again.")
    layout = analyse([r[lo:hi] + [""] * (hi - lo - len(r[lo:hi])) for r in head], False,
                     max_columns)
    width = len(layout.columns)
    written = 0
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(layout.columns)
        blank = 0
        for number, row in enumerate(chain(head, rows), 1):
            if number <= layout.data_start:
                continue
            if any(row[:lo]) or any(row[lo + width:]):
                col = next(i for i, c in enumerate(row) if c and not lo <= i < lo + width)
                raise ReadError(
                    f"Row {number} of sheet '{name}' has a value in column "
                    f"{_letter(first_col + col)}, outside the table under the header. Add a "
                    "header for it or delete it, then upload again."
                )
            cells = row[lo:lo + width]
            if not any(cells):
                blank += 1
                continue
            writer.writerows([[""] * width] * blank)
            blank = 0
            writer.writerow(cells + [""] * (width - len(cells)))
            written += 1
    if not written:
        raise ReadError(NO_DATA)
    if blank:
        layout.notes.append(f"Dropped {blank} blank row(s) at the end of the sheet.")
    return layout, name, [r[lo:hi] for r in head[layout.data_start:]]
