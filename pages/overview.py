"""Overview for executives: the three legs this month, the stool, alerts, trends, units."""

import streamlit as st

from analytics.read import views
from ui import charts, charts_exec
from ui.cache_charts import figure
from ui.cache_exec import cached_alerts, cached_period_rows, cached_summary
from ui.components import alert_list, downloads, empty_state, kpi_row, table_config
from ui.reads import cached_company, cached_kpis, cached_periods
from ui.session import guard

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
           f"{now['n_units']:,} units · {now['n_customer'] or 0:,} customer and "
           f"{now['n_employee'] or 0:,} employee responses")
kpi_row(now, before, ctx.settings)

alerts = cached_alerts(ctx.version, ctx.filters, ctx.settings_key, period)
# unit names come from uploads: plain text, not markdown
st.text(cached_summary(ctx.version, ctx.filters, ctx.settings_key, period))

trend = cached_kpis(ctx.version, ctx.filters, ctx.settings_key, ("period",))
left, right = st.columns([2, 3])
left.plotly_chart(figure(charts_exec.stool_figure,
                         views.stool_picture(trend, ctx.settings, period),
                         ctx.settings.profit_metric),
                  key="stool", width="stretch")
with right:
    # the month's rows name every unit that can have an alert this month: 2,000 rows
    # instead of the whole panel to look names up in
    table = cached_period_rows(ctx.version, ctx.filters, ctx.settings_key, period)
    alert_list(alerts, table, limit=8)
st.plotly_chart(figure(charts.legs_trend, trend, ctx.settings.profit_metric), key="legs_trend",
                width="stretch")

st.subheader(f"Units in {period}")
view = table[["unit_id", "unit_name", "region", "division", "esat_index", "csat_pct",
              ctx.settings.profit_metric, "n_employee", "n_customer"]]
st.dataframe(view, hide_index=True, width="stretch", column_config=table_config(view))
downloads(view, f"units_{period}", "units_table")
