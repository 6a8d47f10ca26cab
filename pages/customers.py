"""Customers (CX): how satisfied they are, what drives it, complaints and their words."""

import streamlit as st

from ui import cache_people as cp
from ui import charts_people as charts
from ui.cache_charts import figure
from ui.components import downloads, empty_state
from ui.session import guard

ctx = guard("Customers")
st.title("Customers: what they tell us")
if not ctx.has_data:
    empty_state()
    st.stop()

f = cp.span_filters(ctx, "customers_span")
if ctx.filters.departments:
    st.caption("The department filter applies to employee data only: these figures cover "
               "all customers of the selected units.")
now = cp.customer_summary(ctx.version, f)
if not now["n_customer_responses"]:
    st.info("No customer responses in this selection.")
    st.stop()
cards = [("CSAT %", now["csat_pct"], ".1f"), ("CSAT mean (0-100)", now["csat_mean"], ".1f"),
         ("NPS", now["nps"], "+.0f"), ("Complaints per 100", now["complaint_rate"], ".1f"),
         ("Median hours to resolve", now["median_resolution_hours"], ".0f")]
for col, (name, value, fmt) in zip(st.columns(len(cards)), cards, strict=True):
    col.metric(name, "—" if value is None else format(value, fmt), border=True)
st.caption(f"{now['n_customer_responses']:,} customer responses · "
           f"{now['n_complaints']:,} complaints")

trend, drivers, complaints, words = st.tabs(["Trend", "Drivers", "Complaints", "Comments"])
with trend:
    months = cp.customer_trend(ctx.version, ctx.filters)
    st.caption(f"Every month from {ctx.filters.period_from} to {ctx.filters.period_to}.")
    st.plotly_chart(figure(charts.csat_nps_trend, months), key="customers_trend",
                    width="stretch")
    downloads(months, "customers_by_month", "customers_trend")
with drivers:
    cp.drivers_block(cp.customer_drivers(ctx.version, f, ctx.settings_key), "CSAT",
                     "customers_drivers", "customer_drivers")
with complaints:
    ranked = cp.customer_complaints(ctx.version, f)
    if ranked.empty:
        st.info("No complaints in this selection.")
    else:
        st.plotly_chart(figure(charts.complaints_bars, ranked), key="customers_complaints",
                        width="stretch")
        table = charts.complaints_table(ranked)
        st.dataframe(table, hide_index=True, width="stretch", placeholder="none resolved")
        downloads(table, "complaints_by_unit", "customers_complaints_table")
with words:
    cp.comments_block(cp.customer_comments(ctx.version, f), "customer_comments", download=True)
