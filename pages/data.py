"""Data: every upload batch, rollback, rejected rows, data quality and settings."""

import streamlit as st

from analytics.store.queries import replaced_batches
from ui import settings_form
from ui.components import downloads, empty_state, warm_up_after_change
from ui.reads import cached_batches, cached_quality, reading, writing
from ui.session import guard

ctx = guard("Data")
st.title("Data and settings")
tab_batches, tab_quality, tab_settings = st.tabs(["Batches", "Data quality", "Settings"])

with tab_batches:
    batches = cached_batches(ctx.version)
    if batches.empty:
        empty_state()
    else:
        st.dataframe(batches, hide_index=True, width="stretch",
                     column_config={"sha256": st.column_config.TextColumn("sha256",
                                                                          width="small")})
        downloads(batches, "batches", "batches")
        loaded = batches[batches.status == "loaded"]
        left, right = st.columns(2)
        with left:
            choice = st.selectbox("Roll back a batch", loaded.batch_id.tolist(), index=None,
                                  placeholder="Choose a loaded batch", key="rb_choice",
                                  format_func=lambda b: f"#{b} · " + str(
                                      loaded.set_index("batch_id").loc[b, "file_name"]))
            if choice is not None:
                with reading() as con:
                    back = replaced_batches(con, int(choice))
                st.warning(f"Rolling back batch #{choice} removes its rows from every page."
                           + (f" The rows it replaced in batch "
                              f"{', '.join(f'#{b}' for b in back)} come back." if back
                              else ""))
                if st.button("Roll back", key="rb_go", type="primary"):
                    from analytics.access.auth import require
                    from analytics.store.load import rollback_batch

                    require(ctx.user, "rollback")
                    with writing() as con:
                        rollback_batch(con, int(choice), by="dashboard")
                    st.cache_data.clear()
                    warm_up_after_change()
                    st.toast(f"Batch #{choice} rolled back.")
                    st.rerun()
        with right:
            rejected_from = batches[batches.rows_rejected > 0].batch_id.tolist()
            pick = st.selectbox("Rejected rows of a batch", rejected_from, index=None,
                                placeholder="Choose a batch with rejected rows",
                                key="rej_choice")
            if pick is not None:
                from ui.reads import cached_rejected

                rows = cached_rejected(ctx.version, int(pick))
                st.dataframe(rows, hide_index=True, width="stretch")
                downloads(rows, f"rejected_rows_batch_{pick}", "rejected")

with tab_quality:
    quality = cached_quality(ctx.version)
    if quality.empty:
        st.info("Nothing loaded yet.")
    else:
        st.caption("Rows stored per dataset and month, and units missing a leg that month.")
        st.dataframe(quality, hide_index=True, width="stretch")

with tab_settings:
    settings_form.render(ctx)
