"""Unit detail's drivers and comments: the People and Customers reads for one unit."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st

from ui import cache_people as cp
from ui import charts_people as charts


def render(ctx: Any, unit_id: str) -> None:
    """Drivers of ESAT and CSAT and the comments of one unit, confidentiality applied."""
    f = replace(ctx.filters, units=(unit_id,), regions=(), divisions=(), departments=())
    s = ctx.settings
    st.subheader("What drives its legs, and what people say")
    st.caption(f"This unit over {f.period_from} to {f.period_to}. Employee figures need "
               f"{s.min_group_size}+ responses and comments {s.min_comment_group_size}+.")
    emp, cus, emp_text, cus_text = st.tabs(["Employee drivers", "Customer drivers",
                                            "Employee comments", "Customer comments"])
    with emp:
        _drivers(cp.people_drivers(ctx.version, f, ctx.settings_key), "ESAT", "unit_emp")
    with cus:
        _drivers(cp.customer_drivers(ctx.version, f, ctx.settings_key), "CSAT", "unit_cus")
    with emp_text:
        said = cp.people_comments(ctx.version, f, ctx.settings_key)
        if said["shown"]:
            cp.comment_tables(said, "unit_emp_comments", download=False)
        else:
            st.info(said["message"], icon=":material/lock:")
    with cus_text:
        said = cp.customer_comments(ctx.version, f)
        if said["shown"]:
            cp.comment_tables(said, "unit_cus_comments", download=True)
        else:
            st.info(said["message"])


def _drivers(drv, outcome: str, key: str) -> None:
    if drv.empty or drv["r"].isna().all():
        st.info(f"Not enough data for {outcome} drivers in this unit: each item needs "
                "8 or more paired answers, and employee answers a group of 5 or more.")
        return
    st.plotly_chart(charts.importance_performance(drv, outcome), key=f"{key}_chart",
                    width="stretch")
    st.dataframe(charts.drivers_table(drv), hide_index=True, width="stretch",
                 placeholder="not enough data")
