"""The Upload page's pieces: staging the file, the mapping editor, the report, the load."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from analytics.access import auth
from analytics.filters import Filters
from analytics.ingest import pipeline, saved
from analytics.ingest.mapping import Mapping
from analytics.store.validate import COLUMN_TYPES, REQUIRED
from ui.reads import reading, writing

DATASET_LABELS = {"employee": "Employee survey", "customer": "Customer survey",
                  "financials": "Financials (margins)", "units": "Units (org list)"}
IGNORE = "ignore"


def outside_scope(report: pipeline.Report, user: auth.User) -> list[str]:
    """The units of a checked file that ``user`` may not load (a manager's other units)."""
    allowed = auth.allowed_units(user)
    if allowed is None or report.scope is None or report.scope.empty:
        return []
    return sorted(set(report.scope.unit_id) - set(allowed))


def commit(staged: pipeline.Staged, report: pipeline.Report, user: auth.User,
           **kwargs) -> pipeline.Result:
    """Load the checked file as ``user``: upload permission, their units only.

    Under a write lease: the staged file's temp tables live in this process's engine,
    the store is attached read-write only for the commit.
    """
    auth.require(user, "upload")
    if bad := outside_scope(report, user):
        raise auth.PermissionDenied(f"{user.name} may not load units {', '.join(bad)}")
    with writing():
        return pipeline.commit(staged, report, uploaded_by=user.name,
                               allowed_units=auth.allowed_units(user), **kwargs)


def staged_for(upload, dataset: str, user: auth.User = auth.LOCAL) -> pipeline.Staged:
    """Stage an uploaded file once per (file, dataset); kept in the session until loaded.

    The staged temp tables stay in this process's engine between runs; the store is
    attached (a read lease) only while the file is staged and checked.
    """
    key = (upload.file_id, dataset, auth.allowed_units(user))
    current = st.session_state.get("staged")
    if current is not None and current[0] == key:
        return current[1]
    discard()
    folder = Path(tempfile.mkdtemp(prefix="stool-upload-"))
    path = folder / Path(upload.name).name
    path.write_bytes(upload.getbuffer())
    with reading() as con:
        staged = pipeline.stage(con, path, dataset, file_name=upload.name,
                                allowed_units=auth.allowed_units(user))
    st.session_state["staged"] = (key, staged, folder)
    return staged


def discard() -> None:
    """Forget the staged upload and its temporary files."""
    current = st.session_state.pop("staged", None)
    st.session_state.pop("checked", None)
    if current is not None:
        current[1].close()
        for f in current[2].glob("*"):
            f.unlink(missing_ok=True)
        current[2].rmdir()


def targets(dataset: str, mapping: Mapping) -> list[str]:
    """Choices for a column: canonical columns, the items already suggested, ignore."""
    items = sorted({t for t in mapping.columns.values() if t.startswith("item:")})
    return [IGNORE, *COLUMN_TYPES[dataset], *items]


def mapping_editor(staged: pipeline.Staged) -> Mapping:
    """Let the user confirm or fix each column's target; constants and options below."""
    m = staged.mapping
    if staged.mapping_source.startswith("saved:"):
        st.success(f"Using your saved mapping **{staged.mapping_source[6:]}** "
                   "(same headers as before).")
    elif staged.mapping_source == "suggested":
        st.info("Columns were matched automatically; check the **Maps to** column.")
    for note in [*staged.prepared.notes, *m.warnings]:
        st.caption(f"• {note}")
    sample = staged.sample
    table = pd.DataFrame({
        "source column": staged.columns,
        "question text": [staged.prepared.question_texts.get(c, "") for c in staged.columns],
        "example values": [", ".join(sample[c].dropna().astype(str).unique()[:3])
                           if c in sample else "" for c in staged.columns],
        "maps to": [m.columns.get(c, IGNORE) for c in staged.columns],
    })
    options = targets(staged.dataset, m)
    edited = st.data_editor(
        table, hide_index=True, width="stretch", key=f"map_{staged.sha256[:12]}",
        disabled=["source column", "question text", "example values"],
        column_config={"maps to": st.column_config.SelectboxColumn(
            "maps to", options=options, required=True,
            help="The canonical column (metrics.md §2), a rating item, or ignore")},
    )
    columns = dict(zip(edited["source column"], edited["maps to"], strict=True))
    _pick_required(staged, columns)
    mapped = set(columns.values())
    c1, c2, c3 = st.columns(3)
    constants = dict(m.constants)
    if "unit_id" not in mapped:
        unit = c1.text_input("Whole file is for unit", constants.get("unit_id", ""),
                             key="up_unit",
                             help="No unit column: every row belongs to this unit.")
        constants["unit_id"] = unit.strip() or None
    if not mapped & {"period", "response_date"}:
        month = c2.text_input("Whole file is for month (YYYY-MM)",
                              constants.get("period", ""), key="up_month")
        constants["period"] = month.strip() or None
    date_format = c3.text_input("Date format (blank = ISO)", m.date_format or "",
                                key="up_datefmt",
                                help="e.g. %m/%d/%Y for 4/22/2016, %d/%m/%Y for 22/04/2016")
    transaction_level = m.transaction_level
    if staged.dataset == "financials":
        transaction_level = st.checkbox(
            "Rows are transactions (orders, invoices): sum them to unit × month",
            value=m.transaction_level, key="up_transactions")
    scales = {t: s for t, s in m.scales.items() if t in mapped}
    try:
        return Mapping(columns=columns,
                       constants={k: v for k, v in constants.items() if v},
                       scales=scales, date_format=date_format.strip() or None,
                       transaction_level=transaction_level)
    except ValueError as exc:
        st.error(f"The mapping cannot be used: {exc}")
        st.stop()


def _pick_required(staged: pipeline.Staged, columns: dict[str, str]) -> None:
    """A select box for each required column nobody mapped yet (easier than the table)."""
    for target in REQUIRED[staged.dataset]:
        wanted = {target, "response_date"} if target == "period" else {target}
        if wanted & set(columns.values()) or target in ("unit_id", "period"):
            continue  # unit and month may also be constants, asked for below
        choice = st.selectbox(f"Which column holds **{target}**? (required)",
                              staged.columns, index=None, key=f"req_{target}",
                              placeholder="Choose a column")
        if choice is not None:
            columns[choice] = target


def check(staged: pipeline.Staged, mapping: Mapping,
          user: auth.User = auth.LOCAL) -> pipeline.Report:
    """Validate once per mapping (a rerun with the same mapping reuses the report)."""
    key = (staged.sha256, mapping.to_json())
    cached = st.session_state.get("checked")
    if cached is not None and cached[0] == key:
        return cached[1]
    with st.spinner("Checking every row…"), reading():
        report = pipeline.check(staged, mapping, allowed_units=auth.allowed_units(user))
    st.session_state["checked"] = (key, report)
    return report


def show_report(staged: pipeline.Staged, report: pipeline.Report,
                user: auth.User = auth.LOCAL) -> None:
    """The validation report: counts per problem, the problems with row and column."""
    if report.missing:
        st.error("Required columns are not mapped: " + ", ".join(report.missing)
                 + f". {DATASET_LABELS[staged.dataset]} files need "
                 + ", ".join(REQUIRED[staged.dataset]) + ".")
        return
    if report.identical_batch is not None:
        st.info(f"This exact file is already loaded (batch #{report.identical_batch}); "
                "loading it again changes nothing.")
    c1, c2, c3 = st.columns(3)
    c1.metric("Rows in file", f"{report.n_rows:,}")
    c2.metric("Valid rows", f"{report.rows_ok:,}")
    c3.metric("Rows with problems", f"{report.rows_bad:,}")
    if report.rows_bad:
        st.warning("Problems found: " + "; ".join(f"{k} ({v})" for k, v in
                                                  report.counts.items()))
        st.dataframe(report.problems.head(1000), hide_index=True, width="stretch")
        if auth.can(user, "download_raw"):
            from ui.components import downloads

            downloads(report.problems, f"problems_{staged.file_name}", "problems")
    if report.new_units:
        st.caption(f"New units will be created: {', '.join(report.new_units[:20])}"
                   + (" …" if len(report.new_units) > 20 else ""))
    with st.expander("Preview of the rows as they will be stored"):
        st.dataframe(report.preview, hide_index=True, width="stretch")


def legs_for(scope: pd.DataFrame, settings,
             user: auth.User = auth.LOCAL) -> pd.DataFrame:
    """The three legs of the unit × months an upload covers (for before/after)."""
    from analytics.read import data

    if scope.empty:
        return pd.DataFrame()
    f = auth.scope_filters(user, Filters(scope.period.min(), scope.period.max(),
                                         units=tuple(scope.unit_id.unique())))
    with reading() as con:
        panel = data.panel(con, f, settings)
    keys = set(zip(scope.unit_id, scope.period, strict=True))
    keep = [k in keys for k in zip(panel.unit_id, panel.period, strict=True)]
    return panel.loc[keep, ["unit_id", "period", "esat_index", "csat_pct",
                            settings.profit_metric]]


def save_mapping(staged: pipeline.Staged, mapping: Mapping) -> None:
    """Save the mapping under a name for next month's file."""
    with st.form(f"save_mapping_{staged.sha256[:8]}"):
        name = st.text_input("Save this mapping as", placeholder="e.g. Qualtrics pulse survey")
        if st.form_submit_button("Save mapping") and name.strip():
            with writing() as con:
                saved.save(con, name.strip(), staged.dataset, staged.columns, mapping)
            st.toast(f"Mapping '{name.strip()}' saved; it will be offered for files with "
                     "the same headers.")


def summary(result: pipeline.Result, report: pipeline.Report, before: pd.DataFrame,
            after: pd.DataFrame) -> dict:
    """What the user sees after a load: counts, coverage and the legs before and after."""
    scope = report.scope
    if result.status == "unchanged":
        message = f"Nothing changed: this file is already loaded as batch #{result.batch_id}."
    elif result.status != "loaded":
        message = f"Not loaded: {result.errors[0]['reason'] if result.errors else 'rejected'}"
    else:
        message = (f"Loaded batch #{result.batch_id}: {result.rows_loaded:,} rows loaded, "
                   f"{result.rows_rejected:,} rejected; {scope.unit_id.nunique():,} units, "
                   f"months {scope.period.min()} to {scope.period.max()}"
                   + (f"; replaced batch(es) {result.replaced}" if result.replaced else "")
                   + ".")
    legs = after
    if not after.empty and not before.empty:
        legs = after.merge(before, on=["unit_id", "period"], how="left",
                           suffixes=("", " before"))
    return {"message": message, "legs": legs}
