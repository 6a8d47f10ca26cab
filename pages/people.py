"""People (HR): how employees feel, where, about what, and in their own words."""

import streamlit as st

from analytics.access.privacy import suppressed_label
from analytics.read.people import BREAKDOWNS
from ui import cache_people as cp
from ui import charts_people as charts
from ui.cache_charts import figure
from ui.components import downloads, empty_state
from ui.session import guard

ctx = guard("People")
st.title("People: how employees feel")
if not ctx.has_data:
    empty_state()
    st.stop()

min_n, min_c = ctx.settings.min_group_size, ctx.settings.min_comment_group_size
f = cp.span_filters(ctx, "people_span")
key = (ctx.version, f, ctx.settings_key)
st.caption(f"To protect confidentiality, employee figures are published for fixed groups "
           f"(units, regions and the company per month; departments per complete quarter), "
           f"never for a group of {suppressed_label(min_n)}, and comments in fixed lists "
           f"of at least {min_c}.")
check = cp.people_selection(*key)
if not check.shown:
    st.info(check.message, icon=":material/lock:")
    st.stop()
if check.months:
    st.caption(f"Department figures are published per complete calendar quarter: "
               f"these describe {check.months}.")

s = cp.people_summary(*key)
cards = [("ESAT index", s["esat_index"], ".1f"), ("% satisfied", s["esat_pct_satisfied"], ".0f"),
         ("eNPS", s["enps"], "+.0f"), ("Responses", s["n_responses"], ",d"),
         ("Response rate %", s["response_rate"], ".0f")]
for col, (name, value, fmt) in zip(st.columns(len(cards)), cards, strict=True):
    col.metric(name, "—" if value is None else format(value, fmt), border=True)
    if value is None:
        col.caption("needs headcount, known per unit only" if name.startswith("Response")
                    else suppressed_label(min_n))

options = [b for b in BREAKDOWNS if b != "period"]
groups, items, enps, drivers, words, trend = st.tabs(
    ["Groups", "Item heatmap", "eNPS", "Drivers", "Comments", "Trend"])
with groups:
    by = st.segmented_control("Break down by", options, format_func=BREAKDOWNS.get,
                              default="department", required=True, key="people_by")
    if by == "department":
        quarter = cp.people_quarters(*key)
        st.caption(f"**Departments: {quarter}**, the complete quarter(s) of this selection "
                   "(department figures are published per quarter; a unit's departments "
                   "under the minimum together as 'Other departments'). CSAT is measured "
                   "per unit, not per department.")
    elif f.departments:
        st.caption("CSAT covers all customers of each group: departments are employee-only.")
    st.plotly_chart(figure(charts.esat_csat_bars, cp.people_esat_csat(*key, by), by, min_n),
                    key="people_bars", width="stretch")
    table = cp.people_groups(*key, by)
    if table["suppressed"].all():
        st.info(f"Every {BREAKDOWNS[by].lower()} is hidden here to protect confidentiality "
                "(see Note). Choose more months or a coarser breakdown.", icon=":material/lock:")
    shown = charts.people_table(table, by, min_n)
    st.dataframe(shown, hide_index=True, width="stretch", placeholder="hidden")
    downloads(shown, f"people_by_{by}", "people_groups")
with items:
    heat_by = st.segmented_control("Rows", options, format_func=BREAKDOWNS.get,
                                   default="department", required=True, key="people_heat_by")
    heat = cp.people_heatmap(*key, heat_by)
    if heat.empty:
        st.info("No rating items in this selection.")
    else:
        st.plotly_chart(figure(charts.item_heatmap, heat, heat_by, min_n), key="people_heatmap",
                        width="stretch")
with enps:
    dist = cp.people_enps(*key)
    if dist.empty:
        st.info("eNPS is not published for this selection, or was not asked.")
    else:
        st.plotly_chart(figure(charts.enps_histogram, dist, s["enps"]), key="people_enps",
                        width="stretch")
with drivers:
    cp.drivers_block(cp.people_drivers(*key), "ESAT", "people_drivers", "employee_drivers")
with words:  # employee comments are never downloadable: each is part of one response
    cp.comments_block(cp.people_comments(*key), "people_comments", download=False)
with trend:
    months = cp.people_groups(ctx.version, ctx.filters, ctx.settings_key, "period")
    st.caption(f"Every month from {ctx.filters.period_from} to {ctx.filters.period_to}.")
    st.plotly_chart(figure(charts.esat_trend, months), key="people_trend", width="stretch")
    if months["suppressed"].any():
        st.caption("Gaps are months whose figures are hidden to protect confidentiality.")
