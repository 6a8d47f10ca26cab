"""Upload: one monthly file → map its columns → check every row → load in one transaction."""

import streamlit as st

from analytics.ingest.pipeline import IngestError
from ui import upload
from ui.components import table_config, warm_up_after_change
from ui.session import guard

ctx = guard("Upload")
st.title("Upload a monthly file")
st.caption("Employee or customer survey exports (Qualtrics, SurveyMonkey, Google Forms, "
           "Microsoft Forms), financial exports and unit lists, as CSV or XLSX up to 200 MB. "
           "Nothing is written until you press Load.")

dataset = st.radio("Dataset", list(upload.DATASET_LABELS), horizontal=True, key="up_dataset",
                   format_func=upload.DATASET_LABELS.get)
nonce = st.session_state.setdefault("upload_nonce", 0)
file = st.file_uploader("File", type=["csv", "tsv", "txt", "xlsx"], key=f"upload_{nonce}",
                        max_upload_size=200)
if (done := st.session_state.get("last_load")) is not None:
    st.success(done["message"])
    if not done["legs"].empty:
        st.markdown("**How the three legs changed for the months loaded**")
        st.dataframe(done["legs"], hide_index=True, width="stretch",
                     column_config=table_config(done["legs"]))
        st.caption("Empty ESAT cells: fewer than "
                   f"{ctx.settings.min_group_size} employee responses in that unit-month, "
                   "so the figure is not shown (confidentiality).")
    if st.session_state.pop("warm_up_pending", False):
        warm_up_after_change()
if file is None:
    st.info("Choose the dataset, then drop a file. Canonical templates are in "
            "`data/samples/`; survey-tool exports are recognised as they are.",
            icon=":material/upload_file:")
    st.stop()

try:
    staged = upload.staged_for(file, dataset, ctx.user)
except IngestError as exc:
    st.error(f"**{file.name}** cannot be read: {exc}")
    st.stop()
st.subheader("1 · Map the columns")
mapping = upload.mapping_editor(staged)
try:
    report = upload.check(staged, mapping, ctx.user)
except (IngestError, ValueError) as exc:
    st.error(str(exc))
    st.stop()
upload.save_mapping(staged, mapping)

st.subheader("2 · Check")
upload.show_report(staged, report, ctx.user)
if report.missing:
    st.stop()
if outside := upload.outside_scope(report, ctx.user):
    st.error("You can load files for your own units only; this file has rows for "
             + ", ".join(outside[:20]) + (" …" if len(outside) > 20 else "") + ".")
    st.stop()

st.subheader("3 · Load")
skip = False
if report.rows_bad:
    skip = st.checkbox(f"Load only the {report.rows_ok:,} valid rows (the {report.rows_bad:,} "
                       "rejected rows are kept with the batch and can be downloaded)",
                       key="up_skip")
confirm = True
if len(report.replaces):
    st.warning("This file covers unit-months already loaded by batch(es) "
               + ", ".join(f"#{b}" for b in report.replaces.batch_id)
               + ". Loading it replaces them.")
    st.dataframe(report.replaces, hide_index=True)
    confirm = st.checkbox("Replace those batches", key="up_confirm")
blocked = (report.rows_bad and not skip) or not confirm or report.rows_ok == 0
if st.button("Load", type="primary", disabled=bool(blocked), key="up_load"):
    bar = st.progress(0.0, text="Loading…")
    before = upload.legs_for(report.scope, ctx.settings, ctx.user)
    result = upload.commit(staged, report, ctx.user, on_error="skip" if skip else "reject",
                           replace=confirm, progress=lambda f, t: bar.progress(f, text=t))
    after = upload.legs_for(report.scope, ctx.settings, ctx.user)
    st.session_state["last_load"] = upload.summary(result, report, before, after)
    st.session_state["warm_up_pending"] = result.status == "loaded"
    upload.discard()
    st.session_state["upload_nonce"] = nonce + 1
    st.cache_data.clear()
    st.rerun()
