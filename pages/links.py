"""Links & lags: does ESAT lead CSAT, and CSAT lead margin, and by how much?"""

import streamlit as st

from analytics.read import views
from ui import cache_exec as cache
from ui import charts_exec as charts
from ui.cache_charts import keyed_figure
from ui.components import empty_state, long_table
from ui.session import guard
from ui.theme import LEG_SHORT

ctx = guard("Links & lags")
st.title("Do the legs move together?")
if not ctx.has_data:
    empty_state()
    st.stop()

s, margin = ctx.settings, ctx.settings.profit_metric
LINKS = (("esat", "csat"), ("csat", "profit"))
chain = cache.cached_chain(ctx.version, ctx.filters, ctx.settings_key)

st.subheader("The chain estimate")
for a, b in LINKS:
    st.markdown(views.chain_sentence(chain[f"{a}_to_{b}"], a, b, s))
st.caption("Panel regressions with unit and month fixed effects at the lag that fits best. "
           f"The p-value allows for choosing the best of up to {s.max_lag + 1} lags and for "
           "months that carry over (whole units' series permuted); slopes and intervals are "
           "corrected for survey sampling noise (cluster bootstrap over units). Below "
           f"{s.min_chain_units} units no estimate is shown. An association over time, not "
           "proof of cause.")

st.subheader("How many months does each link take?")
columns = st.columns(2)
for col, (a, b) in zip(columns, LINKS, strict=True):
    profile = cache.cached_lag_profile(ctx.version, ctx.filters, ctx.settings_key, a, b)
    fit = chain[f"{a}_to_{b}"]
    best = fit["lag"] if fit and fit["enough_data"] else None
    if not profile["enough_data"].any():
        n, units = int(profile["n"].iloc[0]), int(profile["n_units"].iloc[0])
        col.info(f"{LEG_SHORT[a]} → {LEG_SHORT[b]}: not enough data ({n:,} unit-months in "
                 f"{units:,} units leave {max(n - units + 1, 0):,} once each unit's own average "
                 f"is taken out; a correlation needs {s.min_corr_n}).")
        continue
    col.plotly_chart(keyed_figure((*ctx.key, a, b), charts.lag_profile_chart, profile,
                                  best, margin),
                     key=f"lag_{a}_{b}", width="stretch")

st.caption("Each bar: how closely a unit's month-to-month swings in the first leg go with "
           "its swings in the second k months later (intervals allow for months that carry "
           "over; darker outline: significant after allowing for the lags compared). The "
           "tallest bar is the usual delay.")

st.subheader("The pairs, point by point")
within = st.toggle("Within units over time (each unit against its own average, at the "
                   "chain's lag)", value=False, key="links_within")
columns = st.columns(2)
for col, (a, b) in zip(columns, LINKS, strict=True):
    fit = chain[f"{a}_to_{b}"]
    lag = fit["lag"] if within and fit and fit["enough_data"] else 0
    points, stats = cache.cached_pair_view(ctx.version, ctx.filters, ctx.settings_key, a, b,
                                     "within_unit" if within else "cross_sectional", lag)
    if not stats["enough_data"]:
        col.info(f"{LEG_SHORT[a]} → {LEG_SHORT[b]}: not enough data (n = {stats['n']}; a "
                 f"correlation needs at least {s.min_corr_n}).")
        continue
    col.plotly_chart(keyed_figure((*ctx.key, a, b, within), charts.pair_scatter, points, stats,
                                  a, b, margin), key=f"pair_{a}_{b}", width="stretch")

st.subheader("What if ESAT rose?")
legs = cache.cached_legs(ctx.version, ctx.filters, ctx.settings_key)
left, right = st.columns([1, 2])
delta = left.number_input("Raise ESAT by (points, 0-100 scale)", min_value=-30.0,
                          max_value=30.0, value=5.0, step=1.0, format="%.1f",
                          key="whatif_delta")
last = legs.drop_duplicates("unit_id", keep="last")  # one row per unit, not per unit-month
names = dict(zip(last["unit_id"], last.get("unit_name", last["unit_id"]), strict=True))
units = right.multiselect("Units (all when empty)", sorted(names), key="whatif_units",
                          format_func=lambda u: f"{names[u]} ({u})", placeholder="All units")
st.markdown(views.what_if_sentence(
    cache.cached_what_if(ctx.version, ctx.filters, ctx.settings_key, delta), s))
if (chain["esat_to_csat"] or {}).get("coef") is not None:
    table = cache.cached_what_if_units(ctx.version, ctx.filters, ctx.settings_key, delta,
                                       tuple(units))
    long_table(table, list(charts.WHAT_IF_LABELS), cache.column_config(charts.WHAT_IF_LABELS),
               "what_if", "what_if_table", "largest expected gross-profit change first",
               sort_by="gross_profit_change")
    st.caption("Expected values at the unit's latest month, assuming the company-wide links "
               "hold for it; ESAT is capped at 100 and CSAT kept within 0-100.")

st.subheader("How strong is the evidence?")
evidence = cache.cached_evidence(ctx.version, ctx.filters, ctx.settings_key)
st.plotly_chart(keyed_figure(ctx.key, charts.published_context_chart, evidence),
                key="evidence", width="stretch")
st.caption("Published figures are for orientation only (Harter, Schmidt & Hayes, 2002, "
           "7,939 business units); ours are the units of the latest month.")
