"""Unit detail: one unit's legs over time, its alerts, its drivers and its comments."""

from dataclasses import replace

import pandas as pd
import streamlit as st

from analytics.read import views
from ui import charts_exec as charts
from ui import unit_voice
from ui.cache_charts import figure
from ui.cache_exec import cached_alerts, cached_balance, cached_unit_history
from ui.components import downloads, empty_state
from ui.session import guard
from ui.theme import leg_name

ctx = guard("Unit detail")
KIND_LABELS = {"imbalance": "Out of balance", "divergence": "Legs pulling apart",
               "control": "Outside control limits"}
st.title("Unit detail")
if not ctx.has_data:
    empty_state()
    st.stop()

# The unit filter narrows the choice; the unit is compared with its peers in the
# selected regions and divisions (a filter to one unit would leave nobody to compare with).
peers = replace(ctx.filters, units=())
full = views.imbalance_ranking(cached_balance(ctx.version, peers, ctx.settings_key),
                               ctx.settings)
n_peers = int(full["imbalance"].notna().sum())
ranking = full[full["unit_id"].isin(ctx.filters.units)] if ctx.filters.units else full
options = sorted(ranking["unit_id"].tolist())
if not options:
    st.info("No unit has data in the selected month and filters.")
    st.stop()
wanted = [st.session_state.get("unit_id"), st.query_params.get("unit_id"),
          *st.query_params.get_all("unit")[:1], ranking["unit_id"].iloc[0]]
st.session_state["unit_id"] = next(u for u in wanted if u in options)
names = dict(zip(ranking["unit_id"], ranking["unit_name"], strict=True))
unit_id = st.selectbox("Unit", options, key="unit_id", format_func=lambda u: f"{names[u]} ({u})")
st.query_params["unit_id"] = unit_id
row = ranking.set_index("unit_id").loc[unit_id]
period = row["period"]

st.subheader(f"Where it stands in {period}")
cards = st.columns(4)
counts = {"esat": ("n_employee", "employee"), "csat": ("n_customer", "customer"),
          "profit": (None, None)}
for col, leg in zip(cards[:3], ("esat", "csat", "profit"), strict=True):
    n_col, who = counts[leg]
    value, z = row[leg], row[f"z_{leg}"]
    col.metric(leg_name(leg, ctx.settings.profit_metric),
               "—" if pd.isna(value) else f"{value:.1f}", border=True)
    col.caption(("z not available" if pd.isna(z) else f"z = {z:+.2f} against {n_peers:,} units")
                + (f" · {row[n_col]:,.0f} {who} responses" if n_col and pd.notna(row[n_col])
                   else ""))
if pd.isna(row["imbalance"]):
    cards[3].metric("Imbalance", "—", border=True)
    cards[3].caption("Not enough data: needs all three legs and 3+ comparable units.")
else:
    cards[3].metric("Imbalance", f"{row['imbalance']:.2f}", border=True)
    cards[3].caption(f"weakest leg: {row['weakest_leg_label']} · alert at "
                     f"{ctx.settings.imbalance_threshold:g} or more")

history = cached_unit_history(ctx.version, peers, ctx.settings_key, unit_id)
st.plotly_chart(figure(charts.unit_control_chart, history, ctx.settings.profit_metric),
                key="unit_history", width="stretch")
st.caption("ESAT and CSAT are charted as % satisfied so that each month's limits can "
           "follow its number of responses; the cards above show the ESAT index.")
if history["lcl"].isna().all():
    st.caption(f"No control limits yet: they need {ctx.settings.control_min_baseline} "
               "earlier months of this unit.")
downloads(history, f"unit_{unit_id}_history", "unit_history_table")

st.subheader("Its alerts")
alerts = cached_alerts(ctx.version, peers, ctx.settings_key)
mine = alerts[alerts["unit_id"] == unit_id]
if mine.empty:
    st.success(f"No alerts in {period}.", icon=":material/check_circle:")
for kind, message in zip(mine["kind"], mine["message"], strict=True):
    st.text(f"{KIND_LABELS[kind]}: {message}")
if not mine.empty:
    downloads(mine.drop(columns=["values"]), f"unit_{unit_id}_alerts", "unit_alerts_table")

unit_voice.render(ctx, unit_id)
