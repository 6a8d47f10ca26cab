"""Balance: is each unit's stool level, and which leg is short?"""

from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitAPIException

from analytics.read import views
from ui import charts_exec as charts
from ui.cache_charts import keyed_figure
from ui.cache_exec import cached_alerts, cached_balance, cached_imbalance_history, column_config
from ui.components import empty_state, long_table
from ui.reads import cached_kpis
from ui.session import guard

ctx = guard("Balance")
st.title("Balance of the three legs")
if not ctx.has_data:
    empty_state()
    st.stop()

UNIT_PAGE = Path(__file__).with_name("unit.py")


def open_unit(unit_id: str) -> None:
    """Remember the unit and go to Unit detail (a message where the page is unreachable)."""
    st.session_state["unit_id"] = unit_id
    try:
        st.switch_page(UNIT_PAGE, query_params={"unit_id": unit_id})
    except StreamlitAPIException:
        st.query_params["unit_id"] = unit_id
        st.info("Unit selected: open **Unit detail** from the navigation menu.",
                icon=":material/arrow_forward:")


bal = cached_balance(ctx.version, ctx.filters, ctx.settings_key)
alerts = cached_alerts(ctx.version, ctx.filters, ctx.settings_key)
ranking = views.imbalance_ranking(bal, ctx.settings, alerts=alerts)
known = ranking[ranking["imbalance"].notna()]
period = ranking["period"].iloc[0] if len(ranking) else ctx.filters.period_to
threshold = ctx.settings.imbalance_threshold
complete = int(ranking[["esat", "csat", "profit"]].notna().all(axis=1).sum())
st.caption(f"{period} · {complete:,} of {len(ranking):,} units have all three legs "
           f"(ESAT needs {ctx.settings.min_group_size}+ responses) · a unit is out of balance "
           f"when its imbalance is {threshold:g} or more")

trend = cached_kpis(ctx.version, ctx.filters, ctx.settings_key, ("period",))
stool = views.stool_picture(trend, ctx.settings, period)
left, right = st.columns([2, 3])
left.plotly_chart(keyed_figure(ctx.key, charts.stool_figure, stool, ctx.settings.profit_metric),
                  key="stool", width="stretch")
event = right.plotly_chart(
    keyed_figure(ctx.key, charts.balance_scatter, ranking, ctx.settings.targets,
                 ctx.settings.profit_metric),
    key="balance_scatter", on_select="rerun", selection_mode="points", width="stretch")
hidden = len(ranking) - int((ranking["esat"].notna() & ranking["csat"].notna()).sum())
if hidden:
    right.caption(f"{hidden:,} unit(s) not shown: ESAT needs {ctx.settings.min_group_size}+ "
                  "responses.")
points = event["selection"]["points"] if event else []
if points:
    custom = points[0].get("customdata")
    open_unit(custom[0] if isinstance(custom, list | tuple) else custom)

if len(known) == 0:
    st.info(f"Not enough data to rank units in {period}: balance compares each unit with "
            "the others and needs at least 3 units with all three legs.")
    st.stop()

st.subheader("Which units are out of balance")
st.plotly_chart(keyed_figure(ctx.key, charts.imbalance_bar, ranking, threshold),
                key="imbalance_bar", width="stretch")
names = dict(zip(ranking["unit_id"], ranking["unit_name"], strict=True))
chosen = st.selectbox("Open a unit's detail", ranking["unit_id"].tolist(), index=None,
                      key="balance_unit", placeholder="Choose a unit…",
                      format_func=lambda u: f"{names[u]} ({u})")
if chosen:
    open_unit(chosen)
long_table(ranking[list(charts.RANKING_LABELS)], list(charts.RANKING_LABELS),
           column_config(charts.RANKING_LABELS), f"imbalance_{period}", "imbalance_table",
           "most out of balance first")

st.subheader("Balance over time")
history = cached_imbalance_history(ctx.version, ctx.filters, ctx.settings_key)
st.plotly_chart(keyed_figure(ctx.key, charts.imbalance_over_time, history, threshold),
                key="imbalance_time", width="stretch")
st.caption("Imbalance = a unit's largest minus smallest z-score of its three legs, each leg "
           "standardised across the units of the month. One month over the threshold is "
           "common by chance (with unrelated legs about 1 unit in 3), so an alert needs "
           f"{ctx.settings.imbalance_persistence} months running with the same weakest leg.")
