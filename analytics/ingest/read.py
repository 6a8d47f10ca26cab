"""Read an upload (CSV in any common encoding and delimiter, or XLSX) into one UTF-8 CSV.

:func:`prepare` returns a :class:`Prepared` whose ``path`` has exactly one header row and
whose data rows are the original rows, in order. Read it with DuckDB as::

    read_csv($path, delim = $delimiter, header = true, all_varchar = true,
             quote = '"', escape = '"', skip = 0, comment = '')

``skip = 0`` and ``comment = ''`` matter: otherwise DuckDB's sniffer may skip leading rows
or take ``#`` as a comment marker and silently drop rows that start with it (DuckDB 1.5.5).
With ``null_padding = true``, DuckDB's parallel reader refuses line breaks inside quoted
cells (Google Forms, SurveyMonkey): ``analytics.store.staging`` reads in parallel and
retries serially on exactly that error.

A plain UTF-8 CSV whose header needs no change is passed through (``path`` is the
upload itself) and is never parsed whole in Python: only a sample is sniffed, and the file
is streamed once in C to check that it is valid UTF-8. Other CSVs are streamed in chunks
into ``workdir``: transcoded, extra header rows replaced by one, blank rows at the end
dropped. Blank rows in the middle are kept (so ``source_row_offset`` stays exact), but
DuckDB and pandas skip *completely empty* lines of a multi-column CSV, so row numbers after
one are one lower; :func:`prepare` notes such lines when it sees them in the sample.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from charset_normalizer import from_bytes

from analytics.ingest import _xlsx
from analytics.ingest._layout import EMPTY, NO_DATA, ReadError, analyse

__all__ = ["DELIMITERS", "TOOLS", "Prepared", "ReadError", "prepare", "read_sample"]

DEFAULT_MAX_BYTES = 128 * 2**20
DEFAULT_MAX_UNZIPPED_BYTES = 2**30
DELIMITERS = (",", ";", "\t", "|")
TOOLS = ("qualtrics", "qualtrics_legacy", "surveymonkey", "google_forms", "ms_forms", "xlsx",
         "plain")
_HEAD = 2**20
_CHUNK = 2**20
_RECORDS = 60
_BINARY = {
    b"\xd0\xcf\x11\xe0": "an old Excel .xls file or a password-protected workbook: save it "
    "as .xlsx (without a password) or as CSV UTF-8",
    b"%PDF": "a PDF document", b"\x1f\x8b": "a gzip archive: unpack it first",
    b"\x89PNG": "an image", b"\xff\xd8\xff": "an image", b"GIF8": "an image",
    b"Rar!": "a RAR archive", b"7z\xbc\xaf": "a 7-Zip archive",
}
_NOT_TABLE = "This is not a CSV or XLSX file"


@dataclass
class Prepared:
    """A readable upload: a UTF-8 CSV with one header row, and what was detected.

    ``source_row_offset`` + a 1-based data row index = the row number in the original
    file as a spreadsheet shows it (a record with line breaks inside quotes is one row).
    """

    path: Path
    delimiter: str
    encoding: str
    tool: str
    columns: list[str]
    question_texts: dict[str, str] = field(default_factory=dict)
    decimal_comma: bool = False
    source_row_offset: int = 1
    n_header_rows: int = 1
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)


def prepare(
    path: str | Path,
    workdir: str | Path,
    *,
    max_columns: int = 2000,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_unzipped_bytes: int = DEFAULT_MAX_UNZIPPED_BYTES,
    sheet: str | None = None,
) -> Prepared:
    """Detect format, encoding, delimiter and survey-tool layout; write a clean UTF-8 CSV.

    Parameters
    ----------
    path : str or Path
        The uploaded file (CSV/TSV/TXT or XLSX, whatever its name says).
    workdir : str or Path
        A folder for the prepared file; the caller owns and deletes it.
    max_columns : int
        More columns than this is refused.
    max_bytes : int
        Larger files are refused.
    max_unzipped_bytes : int
        An XLSX whose parts would expand beyond this is refused (zip bomb).
    sheet : str, optional
        XLSX sheet to read; by default the first visible sheet with data.

    Returns
    -------
    Prepared
        ``path``, ``delimiter``, ``encoding``, ``tool``, ``columns``, ``question_texts``,
        ``decimal_comma``, ``source_row_offset``, ``n_header_rows``, ``sheet``, ``notes``.

    Raises
    ------
    ReadError
        Empty file, header only, binary or unsupported file, too large, too many columns.

    Examples
    --------
    >>> prepared = prepare("uploads/october.csv", workdir)  # doctest: +SKIP
    >>> prepared.tool, prepared.columns[:2]  # doctest: +SKIP
    ('qualtrics', ['StartDate', 'EndDate'])
    """
    path, workdir = Path(path), Path(workdir)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(_HEAD)
    except OSError as exc:
        raise ReadError(f"The file '{path.name}' could not be opened ({exc.strerror}).") from exc
    if size > max_bytes:
        raise ReadError(f"The file is {size / 2**20:.1f} MB; at most {max_bytes / 2**20:.0f} MB "
                        "is accepted. Upload one month at a time or remove unused columns.")
    if not head.strip(b" \t\r\n,;|\x00\xef\xbb\xbf\xfe\xff"):
        raise ReadError(EMPTY)
    if head.startswith(b"PK\x03\x04"):
        _xlsx.check_zip(path, max_unzipped_bytes)
        out = _output(workdir, path)
        layout, name, data = _xlsx.write_csv(path, out, max_columns, sheet)
        notes = [f"Excel workbook: read sheet '{name}'.", *layout.notes]
        tool = "xlsx" if layout.tool == "plain" else layout.tool
        return Prepared(out, ",", "utf-8", tool, layout.columns, layout.texts,
                        _decimal_comma(data, ","), layout.data_start, layout.n_header, name,
                        notes)
    for magic, what in _BINARY.items():
        if head.startswith(magic):
            raise ReadError(f"{_NOT_TABLE}: it looks like {what}.")
    encoding, notes = _detect_encoding(path, head, size)
    return _prepare_csv(path, workdir, size, encoding, notes, max_columns)


def read_sample(prepared: Prepared, n: int = 200) -> pd.DataFrame:
    """The first ``n`` data rows as strings, for mapping suggestions and the preview.

    Parameters
    ----------
    prepared : Prepared
        The result of :func:`prepare`.
    n : int
        Number of data rows to read.

    Returns
    -------
    pandas.DataFrame
        One column per ``prepared.columns``, all strings, empty cells as ``""`` (no type
        inference, no NaN). Rows are the ones DuckDB's ``read_csv`` returns: an empty line
        is skipped in a multi-column file and is an empty row in a one-column file.
    """
    try:
        return pd.read_csv(
            prepared.path, sep=prepared.delimiter, header=0, names=prepared.columns,
            dtype=str, keep_default_na=False, na_filter=False, nrows=n, encoding="utf-8-sig",
            quotechar='"', doublequote=True, index_col=False, engine="c",
            skip_blank_lines=len(prepared.columns) > 1,  # as DuckDB does
        )
    except (pd.errors.ParserError, ValueError) as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        row = int(found[2]) - 1 + prepared.source_row_offset if found else 0
        what = (f"row {row} has {found[3]} cells but the header has {found[1]}" if found
                else str(exc).strip())
        raise ReadError(f"The file could not be read as a table: {what}. Check that every "
                        "row has as many columns as the header.") from exc


# --- encoding ------------------------------------------------------------------------


def _detect_encoding(path: Path, head: bytes, size: int) -> tuple[str, list[str]]:
    """The codec that decodes the file, and a note on how it was found."""
    if head.startswith(codecs.BOM_UTF8):
        encoding, note = "utf-8-sig", "UTF-8 with BOM"
    elif head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32", ["Encoding: UTF-32 with BOM, converted to UTF-8."]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", ["Encoding: UTF-16 with BOM, converted to UTF-8."]
    else:
        encoding, note = "utf-8", "UTF-8"
        sample = head[:65536]
        if b"\x00" in sample:
            even, odd = sample[0::2].count(0), sample[1::2].count(0)
            if odd > 0.3 * len(sample) / 2 and even < 0.05 * len(sample) / 2:
                return "utf-16-le", ["Encoding: UTF-16 LE without BOM, converted to UTF-8."]
            if even > 0.3 * len(sample) / 2 and odd < 0.05 * len(sample) / 2:
                return "utf-16-be", ["Encoding: UTF-16 BE without BOM, converted to UTF-8."]
            raise ReadError(f"{_NOT_TABLE}: it contains binary data.")
        controls = sum(sample.count(bytes([b])) for b in (*range(1, 9), *range(14, 27)))
        if controls > 0.01 * len(sample):
            raise ReadError(f"{_NOT_TABLE}: it contains binary data.")
        if re.match(rb"\s*<(!doctype html|html|\?xml|table)", sample, re.I):
            raise ReadError(f"{_NOT_TABLE}: it is a web page or XML. Export the data as CSV "
                            "or XLSX instead.")
    bad = _first_invalid_utf8(path, 3 if encoding == "utf-8-sig" else 0)
    if bad is None:
        return encoding, [f"Encoding: {note}."]
    offset, line, seen_non_ascii = bad
    if seen_non_ascii or encoding == "utf-8-sig":
        raise ReadError(
            f"The file mixes text encodings: line {line} is not UTF-8 although earlier lines "
            "are. Open it in a spreadsheet program and save it as 'CSV UTF-8'."
        )
    with path.open("rb") as fh:
        fh.seek(max(0, offset - 4096))
        window = fh.read(65536)
    legacy = _legacy_encoding(window)
    return legacy, [f"Encoding: {legacy} (not UTF-8), converted to UTF-8."]


def _first_invalid_utf8(path: Path, start: int) -> tuple[int, int, bool] | None:
    """Offset, line and whether non-ASCII text came before the first invalid UTF-8 byte."""
    pos, lines, non_ascii, carry = start, 1, False, b""
    with path.open("rb") as fh:
        fh.seek(start)
        while True:
            chunk = fh.read(_CHUNK)
            buf = carry + chunk
            if not buf:
                return None
            try:
                buf.decode("utf-8")
                good, carry = len(buf), b""
            except UnicodeDecodeError as exc:
                good = exc.start
                if not (chunk and exc.reason == "unexpected end of data"):
                    lines += buf[:good].count(b"\n")
                    return pos + good, lines, non_ascii or not buf[:good].isascii()
                carry = buf[good:]
            non_ascii = non_ascii or not buf[:good].isascii()
            lines += buf[:good].count(b"\n")
            pos += good


# Code pages that spreadsheet programs write; DOS code pages (cp437, cp775...) fit short
# samples as well as any but are not what anyone exports today.
_CODE_PAGES = ("cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257",
               "cp1258", "iso8859_15", "mac_roman", "koi8_r", "cp932", "gb18030", "big5",
               "euc_kr", "euc_jp")


def _legacy_encoding(window: bytes) -> str:
    """Windows-1252 if the text reads as Western European, else charset-normalizer's guess.

    charset-normalizer alone is unreliable on this job: on short or repetitive Western text
    it often ranks mac_roman, a Baltic or a Central European code page first ("Crème" read
    as cp1257 "Crčme"). Windows-1252 is what Excel writes on Western systems, so it is
    taken when decoding with it gives ordinary text: no symbol glued inside a word (Polish
    cp1250 read as cp1252 gives "Za¿ó³æ") and mostly unaccented letters (Russian cp1251
    read as cp1252 is all accented letters).
    """
    lines = b"\n".join(line for line in window.split(b"\n") if not line.isascii()) or window
    try:
        text = lines.decode("cp1252")
    except UnicodeDecodeError:
        text = ""
    letters = re.findall(r"[^\W\d_]", text)
    accented = sum(not c.isascii() for c in letters)
    if text and accented < 0.3 * len(letters) and not _GLUED.search(text):
        return "cp1252"
    best = from_bytes(lines, cp_isolation=list(_CODE_PAGES)).best()
    return best.encoding if best is not None else "cp1252"


_GLUED = re.compile(r"[^\W\d_][^\x00-\x7f\w\s\u00a0][^\W\d_]")


# --- CSV -----------------------------------------------------------------------------


def _parse(text: str, delimiter: str, limit: int = _RECORDS) -> tuple[list[list[str]], list[int]]:
    """The first records of ``text`` and the character offset where each one ends."""
    consumed = [0]

    def lines():
        for line in io.StringIO(text, newline=""):
            consumed[0] += len(line)
            yield line

    records, ends = [], []
    try:
        for record in csv.reader(lines(), delimiter=delimiter, quotechar='"', strict=False):
            records.append(record)
            ends.append(consumed[0])
            if len(records) >= limit:
                break
    except csv.Error:
        pass
    return records, ends


_LINE_END = re.compile(r"\r\n?|\n")


def _sniff_delimiter(text: str, whole: bool) -> str:
    """The delimiter that splits the first records into the most consistent widths."""
    best, best_key = ",", (False, 0.0, 0)
    end, complete = 65536, whole and len(text) <= 65536
    first = _LINE_END.search(text)
    if first and first.start() >= end:
        # a first line longer than 64 kB (a very wide header): sniff from that line whole,
        # which is complete, rather than from a cut of it
        end, complete = first.end(), True
    for delimiter in DELIMITERS:
        records, _ = _parse(text[:end], delimiter, 30)
        widths = [len(r) for r in records[: None if complete else -1] if any(r)]
        if not widths:
            continue
        mode = max(set(widths), key=widths.count)
        key = (mode > 1, round(widths.count(mode) / len(widths), 2), mode)
        if key > best_key:
            best, best_key = delimiter, key
    return best


def _decimal_comma(rows: list[list[str]], delimiter: str) -> bool:
    comma = re.compile(r"^[-+]?(\d{1,3}(\.\d{3})+|\d+),\d+$")
    point = re.compile(r"^[-+]?(\d{1,3}(,\d{3})+|\d+)\.\d+$")
    cells = [c.strip() for r in rows for c in r]
    if delimiter == ",":  # unquoted decimal commas cannot occur; 1,234 is a thousand
        cells = [c for c in cells if not re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+", c)]
    n_comma = sum(bool(comma.match(c)) for c in cells)
    return n_comma > 0 and n_comma > sum(bool(point.match(c)) for c in cells)


def _prepare_csv(path: Path, workdir: Path, size: int, encoding: str, notes: list[str],
                 max_columns: int) -> Prepared:
    limit = _HEAD
    while True:
        with path.open("rb") as fh:
            head = fh.read(limit)
        whole = len(head) >= size
        errors = "strict" if encoding.startswith("utf") else "replace"
        try:
            text = codecs.getincrementaldecoder(encoding)(errors).decode(head, final=whole)
        except UnicodeDecodeError as exc:
            raise ReadError(f"The file is not valid {encoding.upper()}: {exc.reason} at byte "
                            f"{exc.start}. Save it again as 'CSV UTF-8'.") from exc
        delimiter = _sniff_delimiter(text, whole)
        records, ends = _parse(text, delimiter)
        if not whole:  # the last record may be cut by the sample's end
            records, ends = records[:-1], ends[:-1]
        if whole or len(records) >= 8 or limit >= 64 * _HEAD:
            break
        limit *= 8
    layout = analyse(records, whole, max_columns)
    header_end = ends[layout.data_start - 1]
    ending = text[max(0, header_end - 2):header_end]
    newline = "\r\n" if ending == "\r\n" else "\r" if ending.endswith("\r") else "\n"
    drop = _trailing_blank_chars(path, encoding, size, delimiter)
    data = records[layout.data_start:]
    notes += layout.notes
    notes.append("Delimiter: " + {"\t": "tab", ",": "comma", ";": "semicolon"}.get(
        delimiter, repr(delimiter)) + ".")
    decimal_comma = _decimal_comma(data, delimiter)
    if decimal_comma:
        notes.append("Numbers use a decimal comma (e.g. 12,5).")
    for i, record in enumerate(data[:-1]):
        if not record:
            notes.append(f"Row {layout.data_start + i + 1} is an empty line: readers skip it, "
                         "so row numbers reported after it may be one too low.")
            break
    out = path
    if (encoding in ("utf-8", "utf-8-sig") and layout.data_start == 1 and not drop
            and layout.columns == records[0]):
        notes.append("The file is read as it is (no conversion needed).")
    else:
        out = _output(workdir, path)
        header = io.StringIO()
        csv.writer(header, delimiter=delimiter, lineterminator=newline).writerow(layout.columns)
        written = _copy(path, encoding, header_end, header.getvalue(), drop, out, notes)
        if written == 0 or not data and whole:
            raise ReadError(NO_DATA)
        if drop:
            notes.append("Blank rows at the end of the file were dropped.")
    return Prepared(out, delimiter, encoding, layout.tool, layout.columns, layout.texts,
                    decimal_comma, layout.data_start, layout.n_header, None, notes)


def _trailing_blank_chars(path: Path, encoding: str, size: int, delimiter: str) -> int:
    """How many characters at the end are rows with nothing but delimiters and spaces."""
    n = 65536
    step = 4 if encoding.startswith("utf-32") else 2 if encoding.startswith("utf-16") else 1
    codec = encoding
    if encoding in ("utf-16", "utf-32"):
        with path.open("rb") as fh:
            le = fh.read(2) == codecs.BOM_UTF16_LE
        codec = f"{encoding}-{'le' if le else 'be'}"
    while True:
        start = max(0, size - n) // step * step
        with path.open("rb") as fh:
            fh.seek(start)
            tail = fh.read().decode(codec.replace("-sig", ""), errors="replace")
        drop = 0
        for line in reversed(list(io.StringIO(tail, newline=""))):
            if line.strip(" \t\r\n" + delimiter):
                return drop
            drop += len(line)
        if start == 0:
            return drop
        n *= 8


def _copy(path: Path, encoding: str, skip: int, header: str, drop: int, out: Path,
          notes: list[str]) -> int:
    """Stream the data part of the file, transcoded, after ``header``; return chars written."""
    errors = "strict" if encoding.startswith("utf") else "replace"
    written = replaced = 0
    try:
        with path.open(encoding=encoding, errors=errors, newline="") as src, \
                out.open("w", encoding="utf-8", newline="") as dst:
            src.read(skip)
            dst.write(header)
            buf = ""
            while chunk := src.read(_CHUNK):
                replaced += chunk.count("\ufffd")
                buf += chunk
                cut = len(buf) - drop
                if cut > 0:
                    dst.write(buf[:cut])
                    written, buf = written + cut, buf[cut:]
    except UnicodeDecodeError as exc:
        raise ReadError(f"The file is not valid {encoding.upper()} ({exc.reason}). Save it "
                        "again as 'CSV UTF-8'.") from exc
    if replaced and errors == "replace":
        notes.append(f"{replaced} characters could not be decoded and were replaced by '\ufffd'.")
    return written


def _output(workdir: Path, source: Path) -> Path:
    """A new private file in ``workdir`` named after the upload."""
    workdir.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", source.stem)[:40] or "upload"
    handle, name = tempfile.mkstemp(prefix=f"{stem}.", suffix=".csv", dir=workdir)
    os.close(handle)
    return Path(name)
