"""Widgets shared by pages; each owns its session-state keys."""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from analytics.access import auth
from analytics.filters import Filters
from analytics.read import warmup
from analytics.read.exports import neutralise_formulas
from ui.reads import (
    cached_demo_batches,
    cached_departments,
    cached_periods,
    cached_units,
    reading,
    writing,
)

_KEYS = {"from": "f_from", "to": "f_to", "region": "f_region", "division": "f_division",
         "unit": "f_unit", "department": "f_department"}


def _init_from_url(periods: list[str]) -> None:
    """Seed the filter widgets from the URL once per session, so a shared link restores them."""
    if st.session_state.get("_filters_seeded"):
        return
    qp = st.query_params
    if periods:
        # the selection the warm-up prepares after every load (analytics.read.warmup)
        default = warmup.default_filters(periods)
        st.session_state[_KEYS["from"]] = qp.get("from") if qp.get("from") in periods \
            else default.period_from
        st.session_state[_KEYS["to"]] = qp.get("to") if qp.get("to") in periods \
            else default.period_to
    for name in ("region", "division", "unit", "department"):
        st.session_state[_KEYS[name]] = qp.get_all(name)
    st.session_state["_filters_seeded"] = True


def sidebar_filters(version: int, user: auth.User = auth.LOCAL) -> Filters:
    """Month range, region, division, unit and department; kept in the URL.

    Only the units ``user`` may read are offered (and their regions and divisions); the
    guard narrows the returned selection to them as well.
    """
    periods = cached_periods(version)
    units = cached_units(version)
    if (scope := auth.allowed_units(user)) is not None:
        units = units[units.unit_id.isin(scope)]
    _init_from_url(periods)
    with st.sidebar:
        st.subheader("Filters")
        if not periods:
            st.caption("No data yet: filters appear once data is loaded.")
            return Filters()
        for key in (_KEYS["from"], _KEYS["to"]):
            if st.session_state.get(key) not in periods:
                st.session_state[key] = periods[0] if key == _KEYS["from"] else periods[-1]
        start, end = st.select_slider("Months", options=periods,
                                      value=(st.session_state[_KEYS["from"]],
                                             st.session_state[_KEYS["to"]]),
                                      key="f_months")
        st.session_state[_KEYS["from"]], st.session_state[_KEYS["to"]] = start, end
        options = {
            "region": sorted(units.region.dropna().unique()),
            "division": sorted(units.division.dropna().unique()),
            "unit": units.unit_id.tolist(),
            "department": cached_departments(
                version, None if scope is None else tuple(sorted(scope))),
        }
        names = dict(zip(units.unit_id, units.unit_name, strict=True))
        chosen = {}
        for name, label in (("region", "Region"), ("division", "Division"),
                            ("unit", "Units"), ("department", "Department")):
            key = _KEYS[name]
            st.session_state[key] = [v for v in st.session_state.get(key, [])
                                     if v in options[name]]
            chosen[name] = st.multiselect(
                label, options[name], key=key, placeholder="All",
                format_func=(lambda u: f"{u} · {names.get(u, u)}") if name == "unit"
                else str)
        if chosen["department"]:
            st.caption("Department narrows employee figures on the People page; the "
                       "other pages show whole units.")
    filters = Filters(start, end, tuple(chosen["region"]), tuple(chosen["division"]),
                      tuple(chosen["unit"]), tuple(chosen["department"]))
    _write_url(filters, periods)
    return filters


def _write_url(f: Filters, periods: list[str]) -> None:
    wanted = {"from": f.period_from, "to": f.period_to, "region": list(f.regions),
              "division": list(f.divisions), "unit": list(f.units),
              "department": list(f.departments)}
    for key, value in wanted.items():
        if not value:
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get_all(key) != (value if isinstance(value, list) else [value]):
            st.query_params[key] = value


def demo_notice(version: int, user: auth.User = auth.LOCAL) -> None:
    """Say clearly that the dashboard shows demo data, and offer (admins) to remove it."""
    if not cached_demo_batches(version):
        return
    with st.sidebar:
        st.info("You are looking at **demo data**: a made-up company, no real people, "
                "customers or figures.",
                icon=":material/info:")
        if not auth.can(user, "remove_demo"):
            return
        if st.button("Remove demo data", key="remove_demo", type="secondary"):
            from analytics.demo import company as demo

            auth.require(user, "remove_demo")
            with st.spinner("Removing demo data…"), writing() as con:
                demo.remove(con)
            st.cache_data.clear()
            warm_up_after_change()
            st.rerun()


def empty_state() -> None:
    """No data yet: what to upload and where."""
    st.info("No data yet. Upload this month's employee survey, customer survey and margin "
            "files, or build the demo company with `python -m analytics demo`.",
            icon=":material/upload_file:")
    link_to("pages/upload.py", "Go to Upload", ":material/upload:")


def link_to(page: str, label: str, icon: str | None = None) -> None:
    """A link to another page; plain text when the page runs outside the navigation."""
    from streamlit.errors import StreamlitAPIException

    try:
        st.page_link(page, label=label, icon=icon)
    except StreamlitAPIException:
        st.caption(f"Open **{label.removeprefix('Go to ')}** from the navigation menu.")


#: rows a long table shows on its page; its downloads hold every row
TABLE_ROWS = 50


def long_table(frame: pd.DataFrame, columns: list[str], column_config: dict, name: str,
               key: str, order: str, sort_by: str | None = None) -> None:
    """The first :data:`TABLE_ROWS` rows of ``frame[columns]``, a caption saying how many
    of how many and in what order, and downloads of the whole ``frame``.

    Sending a 2,000-row table to the browser on every rerun cost more than the page's
    reads; the download still holds all rows. ``sort_by`` (descending) orders the rows
    shown, cut or not, so a small company reads in the same order as a large one;
    ``order`` says in words which rows those are.
    """
    shown = frame
    if sort_by is not None:
        shown = frame.sort_values(sort_by, ascending=False, kind="stable", na_position="last")
    shown = shown.head(TABLE_ROWS)
    st.dataframe(shown[columns], hide_index=True, width="stretch", column_config=column_config)
    if len(shown) < len(frame):
        st.caption(f"Showing {len(shown):,} of {len(frame):,} units, {order}. "
                   f"Download all {len(frame):,} below.")
    downloads(frame, name, key)


def downloads(frame: pd.DataFrame, name: str, key: str) -> None:
    """CSV and XLSX downloads of a table, with formula-like cells neutralised.

    The files are made only when a button is pressed (deferred data): writing an XLSX of
    a 2,000-row table on every rerun cost more than the page's queries.
    """
    left, right, _ = st.columns([1, 1, 4])
    left.download_button("Download CSV", lambda: to_csv_bytes(frame), f"{name}.csv",
                         "text/csv", key=f"{key}_csv")
    right.download_button("Download XLSX", lambda: to_xlsx_bytes(frame), f"{name}.xlsx",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key=f"{key}_xlsx")


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV (with BOM, for spreadsheets), formulas neutralised."""
    return neutralise_formulas(frame).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame) -> bytes:
    """A table as XLSX, formulas neutralised."""
    buffer = io.BytesIO()
    neutralise_formulas(frame).to_excel(buffer, index=False, engine="openpyxl")
    return buffer.getvalue()


def table_config(frame: pd.DataFrame) -> dict:
    """st.dataframe column_config for the known columns of ``frame``."""
    from ui.charts import TABLE_FORMAT_SPEC

    config = {}
    for col in frame.columns:
        spec = TABLE_FORMAT_SPEC.get(col)
        if spec is None:
            continue
        if "format" in spec:
            config[col] = st.column_config.NumberColumn(spec["label"], format=spec["format"])
        else:
            config[col] = st.column_config.TextColumn(spec["label"])
    return config


def _fmt(value, unit: str = "") -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{value:.1f}{unit}"


def kpi_row(now: dict, before: dict | None, settings) -> None:
    """The three legs (and eNPS, NPS, complaint rate) as cards with the monthly change."""
    from analytics.access.privacy import suppressed_label
    from analytics.metrics.change import kpi_changes
    from ui.theme import leg_name

    changes = {}
    if before is not None:
        table = kpi_changes(pd.Series(before), pd.Series(now), settings.alpha)
        changes = {r.metric: r for r in table.itertuples()}
    cards = [
        ("esat_index", leg_name("esat"), True),
        ("csat_pct", leg_name("csat"), False),
        (settings.profit_metric, leg_name("profit", settings.profit_metric), False),
        ("enps", "eNPS", True),
        ("nps", "NPS", False),
        ("complaint_rate", "Complaint rate %", False),
    ]
    cols = st.columns(len(cards))
    for col, (metric, label, employee) in zip(cols, cards, strict=True):
        value = now.get(metric)
        if employee and (value is None or pd.isna(value)):
            col.metric(label, "—", help=suppressed_label(settings.min_group_size))
            col.caption(suppressed_label(settings.min_group_size))
            continue
        change = changes.get(metric)
        delta = None
        if change is not None and change.diff is not None and not pd.isna(change.diff):
            delta = f"{change.diff:+.1f} pts"
        col.metric(label, _fmt(value), delta=delta,
                   delta_color="inverse" if metric == "complaint_rate" else "normal",
                   border=True)
        if change is not None:
            col.caption(change.label)


def open_unit(unit_id: str) -> None:
    """Remember the unit and go to Unit detail (a hint where that page is unreachable)."""
    from pathlib import Path

    from streamlit.errors import StreamlitAPIException

    st.session_state["unit_id"] = unit_id
    page = Path(__file__).resolve().parents[1] / "pages" / "unit.py"
    try:
        st.switch_page(page, query_params={"unit_id": unit_id})
    except StreamlitAPIException:
        st.query_params["unit_id"] = unit_id
        st.info("Unit selected: open **Unit detail** from the navigation menu.")


def alert_list(alerts: pd.DataFrame, panel: pd.DataFrame, limit: int = 8) -> None:
    """The alerts, most serious first, each with a button to its unit."""
    st.markdown(f"**Alerts** · {len(alerts)} this month")
    if alerts.empty:
        st.success("No alerts: every unit's legs are within their usual range and in "
                   "balance with each other.")
        return
    names = dict(zip(panel.unit_id, panel.unit_name, strict=False))
    kinds = {"imbalance": ":material/balance:", "divergence": ":material/call_split:",
             "control": ":material/monitoring:"}
    for i, row in enumerate(alerts.head(limit).itertuples()):
        text, button = st.columns([5, 1], vertical_alignment="center")
        text.text(row.message)  # messages carry unit names from uploads: plain text
        if button.button(str(row.unit_id)[:10], key=f"alert_{i}", icon=kinds.get(row.kind),
                         help=f"Open {names.get(row.unit_id, row.unit_id)}",
                         width="stretch"):
            open_unit(row.unit_id)
    if len(alerts) > limit:
        st.caption(f"… and {len(alerts) - limit} more on the Balance and Unit pages.")


def warm_up_after_change() -> None:
    """After a load, rollback or settings change: keep the default selection's results
    for the new data version (progress shown), so the next page run reads them.

    A failure is logged and shown as a note: the change itself is already committed and
    the pages then compute as before.
    """
    bar = st.progress(0.0, text="Preparing the pages for the new data…")
    try:
        with reading() as con:
            done = warmup.warm_up(con, progress=lambda f, t: bar.progress(f, text=t))
    except Exception:  # noqa: BLE001 - never undo or fail the change over a shortcut
        warmup.log.warning("warm-up failed", exc_info=True)
        bar.empty()
        st.caption("The pages will compute their figures on first view (preparing them "
                   "failed; see the log).")
        return
    bar.empty()
    warmup.log.info(done.line())
