"""The upload engine shared by the Upload page, the command line and the demo.

stage → (map) → check → commit: the file is read into DuckDB temp tables on a cursor
of its own, validated there with set-based SQL, and written in one transaction.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import threading
from collections.abc import Callable, Collection
from concurrent.futures import CancelledError, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analytics.ingest import likert, read
from analytics.ingest import saved as saved_mappings
from analytics.ingest.mapping import Mapping, missing_required, suggest_mapping
from analytics.store import staging
from analytics.store.connection import db_path, files_folder
from analytics.store.load import (
    BatchMeta,
    StaleCheck,
    find_identical,
    last_batch_id,
    overlapping_batches,
    write_batch,
)
from analytics.store.queries import unit_ids
from analytics.store.validate import (
    NOT_A_SCORE,
    SCORE,
    Plan,
    column_type,
    problem_counts,
    stored_duplicates,
    validate,
)

DATASETS = ("units", "employee", "customer", "financials")
SAMPLE_ROWS = 200


class IngestError(Exception):
    """A file that cannot be read or a mapping that cannot be used: the user's message."""


def sha256_of(path: str | Path, stop: threading.Event | None = None) -> str:
    """The sha256 of a file, read in chunks; ``stop`` set ends it early (CancelledError)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            if stop is not None and stop.is_set():
                raise CancelledError(f"hashing of {path} stopped")
            h.update(chunk)
    return h.hexdigest()


class _Hashing:
    """A file's sha256 computed in a thread while DuckDB reads the file.

    Hashing releases the GIL, so it costs no time beside the read. It is stopped when
    the upload is given up: a refused file (over the size limit, say a sparse 5 TB
    one) must not keep a thread hashing it, which would also hold the interpreter's
    exit (``concurrent.futures`` joins its threads at exit).
    """

    def __init__(self, path: Path) -> None:
        self._stop = threading.Event()
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stool-hash")
        self._future = pool.submit(sha256_of, path, self._stop)
        pool.shutdown(wait=False)

    def result(self) -> str:
        return self._future.result()

    def stop(self) -> None:
        self._stop.set()


@dataclass
class Staged:
    """One upload in progress: the file staged in DuckDB on its own cursor."""

    cur: Any
    con: Any
    dataset: str
    path: Path
    file_name: str
    sha256: str
    prepared: read.Prepared
    columns: list[str]
    n_rows: int
    sample: pd.DataFrame
    mapping: Mapping
    mapping_source: str  # 'given' | 'saved:<name>' | 'suggested'
    workdir: tempfile.TemporaryDirectory = field(repr=False, default=None)
    #: the units this upload may hold (a manager's own); None: no restriction
    allowed_units: frozenset[str] | None = None
    #: a file not read yet (its mapping was given): :func:`check` reads and types it in
    #: one pass; ``sha256`` is then known after the check (hashed meanwhile in ``digest``)
    file: staging.RawFile | None = None
    digest: Any = field(repr=False, default=None)

    def close(self) -> None:
        if self.digest is not None:
            self.digest.stop()
        self.cur.close()
        if self.workdir is not None:
            self.workdir.cleanup()


@dataclass
class Report:
    """What validation found, before anything is written."""

    plan: Plan
    missing: list[str]
    counts: dict[str, int]
    problems: pd.DataFrame
    n_rows: int
    rows_ok: int
    rows_bad: int
    preview: pd.DataFrame
    scope: pd.DataFrame
    replaces: pd.DataFrame
    new_units: list[str]
    identical_batch: int | None
    notes: list[str]
    #: the mapping checked, and the unit restriction it was checked under
    mapping: Mapping | None = None
    allowed_units: frozenset[str] | None = None
    #: the newest batch when stored response ids were compared (the commit compares
    #: those of later batches)
    checked_through: int | None = None

    @property
    def ok(self) -> bool:
        return not self.missing and self.rows_bad == 0


@dataclass
class Result:
    """What a load did: the JSON the command line prints."""

    status: str  # loaded | unchanged | rejected | dry_run
    batch_id: int | None
    rows_loaded: int
    rows_rejected: int
    errors: list[dict]
    replaced: list[int] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "status": self.status, "batch_id": self.batch_id,
            "rows_loaded": self.rows_loaded, "rows_rejected": self.rows_rejected,
            "errors": self.errors, "replaced": self.replaced,
        }


def _units(allowed_units: Collection[str] | None) -> frozenset[str] | None:
    if allowed_units is None:
        return None
    if isinstance(allowed_units, str):  # one unit, not its characters
        return frozenset([allowed_units])
    return frozenset(str(u) for u in allowed_units)


def stage(con: Any, path: str | Path, dataset: str,
          mapping: Mapping | None = None, file_name: str | None = None, *,
          allowed_units: Collection[str] | None = None, defer: bool = False) -> Staged:
    """Read a file into DuckDB temp tables and choose a mapping for it.

    ``allowed_units`` (None: any) are the units the uploader may load: :func:`check`
    reports every row of another unit as a problem of its ``unit_id``. With ``defer``
    and a ``mapping``, the file is only prepared here: :func:`check` reads it, typing
    the mapped columns as it reads (no copy of every cell as text first), so the
    staged file has no sample and its row count is known after the check.
    """
    if dataset not in DATASETS:
        raise IngestError(f"unknown dataset {dataset!r}: choose one of {', '.join(DATASETS)}")
    path = Path(path)
    digest = _Hashing(path)
    staged = None
    try:
        staged = _stage(con, path, dataset, mapping, file_name, digest, _units(allowed_units),
                        defer and mapping is not None)
        return staged
    finally:
        if staged is None:
            digest.stop()


def _stage(con: Any, path: Path, dataset: str, mapping: Mapping | None,
           file_name: str | None, digest: _Hashing, allowed: frozenset[str] | None,
           defer: bool) -> Staged:
    workdir = tempfile.TemporaryDirectory(prefix="stool-ingest-")
    try:
        prepared = read.prepare(path, workdir.name)
    except read.ReadError as exc:
        workdir.cleanup()
        raise IngestError(str(exc)) from exc
    cur = con.cursor()
    if defer:
        return Staged(cur, con, dataset, path, file_name or path.name, "", prepared,
                      list(prepared.columns), 0, pd.DataFrame(columns=prepared.columns),
                      mapping, "given", workdir, allowed,
                      staging.RawFile(str(prepared.path), prepared.delimiter,
                                      tuple(prepared.columns), prepared.source_row_offset),
                      digest)
    try:
        n_rows = _data_rows(cur, lambda: staging.load_raw(
            cur, str(prepared.path), prepared.delimiter, prepared.columns,
            prepared.source_row_offset))
        columns = staging.raw_columns(cur)
    except IngestError:
        cur.close()
        workdir.cleanup()
        raise
    sample = staging.raw_sample(cur, SAMPLE_ROWS)
    source = "given"
    if mapping is None:
        found = saved_mappings.find(con, dataset, columns)
        if found is not None:
            mapping, source = found[1], f"saved:{found[0]}"
        else:
            mapping = suggest_mapping(dataset, columns, prepared.question_texts, sample)
            source = "suggested"
    try:
        sha256 = _hashed(digest, path)
    except IngestError:
        cur.close()
        workdir.cleanup()
        raise
    return Staged(cur, con, dataset, path, file_name or path.name, sha256, prepared,
                  columns, n_rows, sample, mapping, source, workdir, allowed)


def _hashed(digest: _Hashing, path: Path) -> str:
    try:
        return digest.result()
    except OSError as exc:
        raise IngestError(f"The file '{path.name}' could not be read ({exc}).") from exc


def _data_rows(cur: Any, reading: Callable[[], object]) -> int:
    """Run ``reading`` (the read of the file) and count the staged data rows; DuckDB's
    refusal or a file without data rows as the user's message."""
    try:
        reading()
        n_rows = staging.raw_count(cur)
    except staging.StagingError as exc:
        raise IngestError(str(exc) if exc.plain or str(exc).startswith("Row ") else
                          f"The file could not be read as a table: {exc}") from exc
    if n_rows == 0:
        raise IngestError("The file has a header but no data rows.")
    return n_rows


def _read_deferred(staged: Staged, plan: Plan | None, transaction_level: bool) -> None:
    """Read the file of a deferred stage: typed under ``plan`` (one pass), or as text."""
    file, staged.file = staged.file, None
    if plan is None:
        staged.n_rows = _data_rows(staged.cur, lambda: staging.load_raw(
            staged.cur, file.path, file.delimiter, list(file.columns), file.row_offset))
    else:
        staged.n_rows = _data_rows(staged.cur, lambda: validate(
            staged.cur, plan, transaction_level=transaction_level, file=file))
    staged.sha256 = _hashed(staged.digest, staged.path)


def plan_for(staged: Staged, mapping: Mapping, coded: Collection[str] | None = None) -> Plan:
    """Resolve a mapping against the staged file: sources, constants, scales, text codes.

    Text answers are looked for in the rating columns named in ``coded`` (default: all):
    :func:`check` names only those where typing found text, so a file of numbers costs no
    scan for them.
    """
    unknown = sorted(set(mapping.columns) - set(staged.columns))
    if unknown:
        raise IngestError(f"The mapping names columns the file does not have: {unknown}")
    sources: dict[str, str] = {}
    for src, target in mapping.columns.items():
        if target and target != "ignore":
            if target in sources:
                raise IngestError(
                    f"Columns {sources[target]!r} and {src!r} are both mapped to {target!r}; "
                    "map one of them to 'ignore'.")
            sources[target] = src
    plan = Plan(staged.dataset, sources,
                {k: str(v) for k, v in mapping.constants.items() if k not in sources},
                {k: tuple(v) for k, v in mapping.scales.items()},
                mapping.date_format, staged.prepared.decimal_comma)
    for target, src in sources.items():
        if column_type(staged.dataset, target) != SCORE or (
                coded is not None and src not in coded):
            continue
        values = staging.distinct_values(staged.cur, src)
        texts = [v for v in values if _not_number(v)]
        if texts:
            codes, scale, _unmatched = likert.code_text_scale(pd.Series(texts))
            plan.codes[target] = {t.strip().lower(): float(c)
                                  for t, c in zip(texts, codes, strict=True) if pd.notna(c)}
            if scale and target not in plan.scales and target not in ("enps", "nps"):
                plan.scales[target] = tuple(float(x) for x in scale)
    return plan


def _not_number(value: str) -> bool:
    try:
        float(value.replace(",", "."))
    except ValueError:
        return True
    return False


def check(staged: Staged, mapping: Mapping | None = None, *,
          allowed_units: Collection[str] | None = None) -> Report:
    """Validate the staged file under ``mapping``; nothing is written.

    ``allowed_units`` (default: those given to :func:`stage`; None: any) are the units
    the uploader may load; a row of any other unit is a problem of its ``unit_id``.
    """
    mapping = mapping or staged.mapping
    allowed = _units(allowed_units) if allowed_units is not None else staged.allowed_units
    plan = plan_for(staged, mapping, coded=())
    plan.allowed_units = None if allowed is None else tuple(sorted(allowed))
    missing = missing_required(staged.dataset, mapping)
    deferred = staged.file is not None
    if deferred:
        _read_deferred(staged, None if missing else plan, mapping.transaction_level)
    empty = pd.DataFrame(columns=["row", "column", "value", "reason"])
    if missing:
        return Report(plan, missing, {}, empty, staged.n_rows, 0, staged.n_rows,
                      pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), [], None,
                      list(staged.prepared.notes), mapping, allowed)
    identical = find_identical(staged.con, staged.dataset, staged.sha256)
    if not deferred:
        validate(staged.cur, plan, transaction_level=mapping.transaction_level)
    # rating columns with text in them: code their answers and check again
    texts = staging.problem_columns(staged.cur, NOT_A_SCORE)
    if texts:
        coded = plan_for(staged, mapping, coded=texts)
        if any(coded.codes.values()):
            coded.allowed_units, plan = plan.allowed_units, coded
            validate(staged.cur, plan, transaction_level=mapping.transaction_level)
    staging.build_stage(staged.cur, plan, transaction_level=mapping.transaction_level)
    staging.build_scope(staged.cur)
    replaces = overlapping_batches(staged.cur, staged.dataset, "_stage", scope="_stage_scope")
    checked_through = last_batch_id(staged.cur)
    if stored_duplicates(staged.cur, plan, replaces.batch_id.astype(int).tolist()):
        staging.build_stage(staged.cur, plan, transaction_level=mapping.transaction_level)
        staging.build_scope(staged.cur)
    kept, bad = staging.stage_counts(staged.cur)
    counts = problem_counts(staged.cur)
    problems = staging.problems(staged.cur, staged.prepared.source_row_offset)
    known = set(unit_ids(staged.con))
    scope = staging.stage_scope(staged.cur)
    new_units = sorted(set(scope.unit_id.dropna()) - known) if len(scope) else []
    return Report(plan, [], counts, problems, staged.n_rows, kept, bad,
                  staging.stage_preview(staged.cur), scope, replaces, new_units, identical,
                  list(staged.prepared.notes), mapping, allowed, checked_through)


def commit(staged: Staged, report: Report, *, on_error: str = "reject",
           uploaded_by: str = "local", is_demo: bool = False, replace: bool = True,
           progress=None, allowed_units: Collection[str] | None = None) -> Result:
    """Write the checked rows in one transaction (or refuse, changing nothing).

    With ``allowed_units``, a report checked without that restriction (or with a wider
    one) is checked again under it first, so no row of another unit can load.
    """
    allowed = _units(allowed_units)
    if allowed is not None and (report.allowed_units is None
                                or not report.allowed_units <= allowed):
        report = check(staged, report.mapping, allowed_units=allowed)
    errors = _error_dicts(report.problems)
    if report.missing:
        return Result("rejected", None, 0, report.n_rows,
                      [{"row": None, "column": m, "value": None,
                        "reason": "required column is not mapped"} for m in report.missing])
    if report.identical_batch is not None:
        return Result("unchanged", report.identical_batch, 0, 0, [])
    if report.rows_bad and on_error != "skip":
        return Result("rejected", None, 0, report.rows_bad, errors)
    if report.rows_ok == 0:
        return Result("rejected", None, 0, report.rows_bad,
                      errors or [{"row": None, "column": None, "value": None,
                                  "reason": "no valid rows to load"}])
    replace_ids = report.replaces.batch_id.astype(int).tolist() if replace else []
    if len(report.replaces) and not replace:
        return Result("rejected", None, 0, 0, [{
            "row": None, "column": None, "value": None,
            "reason": "the file overlaps loaded batches "
                      f"{report.replaces.batch_id.tolist()}: confirm to replace them"}])
    archive(staged)
    rejected = None
    if report.rows_bad:
        rejected = report.problems.rename(columns={"row": "row_no", "column": "column_name"})
    items = staging.has_items(staged.cur)
    try:
        # the identical-file and overlap checks run again under the write lock: another
        # session may have loaded since this report was made
        batch_id = write_batch(
            staged.cur,
            BatchMeta(staged.dataset, staged.file_name, staged.sha256, uploaded_by,
                      report.rows_bad, is_demo),
            "_stage", "_stage_items" if items else None, rejected, replace_ids, progress,
            same_cursor=True, item_scales="_stage_item_scales" if items else None,
            scope="_stage_scope", recheck=True, checked_through=report.checked_through)
    except StaleCheck as stale:
        return _stale(stale, replace)
    return Result("loaded", batch_id, report.rows_ok, report.rows_bad, errors, replace_ids)


def _stale(stale: StaleCheck, replace: bool) -> Result:
    """The answer when another load changed things between check and commit."""
    if stale.identical is not None:
        return Result("unchanged", stale.identical, 0, 0, [])
    if stale.duplicates:
        named = ", ".join(f"#{b} ('{name}')" for b, name in stale.duplicates)
        return Result("rejected", None, 0, 0, [{
            "row": None, "column": None, "value": None,
            "reason": f"Since this file was checked, another upload (batch {named}) loaded "
                      "responses with the same ids as rows of this file. Nothing was "
                      "loaded: check the file again to see which rows."}])
    ids = [b for b, _ in stale.added]
    if not replace:
        reason = f"the file overlaps loaded batches {ids}: confirm to replace them"
    else:
        named = ", ".join(f"#{b} ('{name}')" for b, name in stale.added)
        reason = (f"Since this file was checked, another upload loaded data for the same "
                  f"units and months (batch {named}). Nothing was loaded: check the file "
                  "again to see what loading it would replace.")
    return Result("rejected", None, 0, 0,
                  [{"row": None, "column": None, "value": None, "reason": reason}])


def _error_dicts(problems: pd.DataFrame, limit: int = 1000) -> list[dict]:
    head = problems.head(limit)
    return [
        {"row": None if pd.isna(r) else int(r), "column": c,
         "value": None if v is None or (isinstance(v, float) and pd.isna(v)) else _short(v),
         "reason": why}
        for r, c, v, why in zip(head["row"], head["column"], head["value"], head["reason"],
                                strict=True)
    ]


def _short(value: Any) -> str:
    """A cell value as errors show it: at most ``staging.VALUE_CHARS`` characters + "…"."""
    text, n = str(value), staging.VALUE_CHARS
    return text if len(text) <= n else text[:n] + "…"


def archive(staged: Staged) -> Path:
    """Keep the original file under ``archive/<sha256><suffix>`` beside the database file
    (a DuckLake: in its data folder)."""
    folder = (files_folder(staged.con) or db_path().parent) / "archive"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{staged.sha256}{staged.path.suffix.lower()}"
    if not target.exists():
        shutil.copyfile(staged.path, target)
    return target


def ingest_file(con: Any, path: str | Path, dataset: str,
                mapping: Mapping | None = None, *, on_error: str = "reject",
                dry_run: bool = False, uploaded_by: str = "local", is_demo: bool = False,
                file_name: str | None = None,
                allowed_units: Collection[str] | None = None) -> tuple[Result, Report]:
    """Stage, check and (unless ``dry_run``) load one file: the command line's engine.

    ``allowed_units`` (None: any) refuses rows of other units, as :func:`check` does.
    """
    staged = stage(con, path, dataset, mapping, file_name, allowed_units=allowed_units,
                   defer=True)
    try:
        report = check(staged)
        if dry_run:
            status = "dry_run" if report.ok or on_error == "skip" else "rejected"
            return Result(status, None, report.rows_ok, report.rows_bad,
                          _error_dicts(report.problems)), report
        return commit(staged, report, on_error=on_error, uploaded_by=uploaded_by,
                      is_demo=is_demo), report
    finally:
        staged.close()
