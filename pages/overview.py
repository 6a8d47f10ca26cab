"""Overview for executives: the three legs this month, their trend, and every unit."""

import streamlit as st

from ui import charts
from ui.components import downloads, empty_state, kpi_row, table_config
from ui.session import cached_company, cached_kpis, cached_panel, cached_periods, guard

ctx = guard("Overview")
st.title("The stool at a glance")
if not ctx.has_data:
    empty_state()
    st.stop()

periods = [p for p in cached_periods(ctx.version) if p <= ctx.filters.period_to]
period = periods[-1]
previous = periods[-2] if len(periods) > 1 else None
now = cached_company(ctx.version, ctx.filters.with_period(period), ctx.settings_key)
before = (cached_company(ctx.version, ctx.filters.with_period(previous), ctx.settings_key)
          if previous else None)
st.caption(f"{period} compared with {previous or 'no earlier month'} · "
           f"{now['n_units']} units · {now['n_customer'] or 0:,} customer and "
           f"{now['n_employee'] or 0:,} employee responses")
kpi_row(now, before, ctx.settings)

trend = cached_kpis(ctx.version, ctx.filters, ctx.settings_key, ("period",))
st.plotly_chart(charts.legs_trend(trend, ctx.settings.profit_metric), key="legs_trend",
                width="stretch")

st.subheader(f"Units in {period}")
table = cached_panel(ctx.version, ctx.filters.with_period(period), ctx.settings_key)
view = table[["unit_id", "unit_name", "region", "division", "esat_index", "csat_pct",
              ctx.settings.profit_metric, "n_employee", "n_customer"]]
st.dataframe(view, hide_index=True, width="stretch", column_config=table_config(view))
downloads(view, f"units_{period}", "units_table")
