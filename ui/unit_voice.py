"""Unit detail's drivers and comments: the People and Customers reads for one unit."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st

from ui import cache_people as cp


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
        cp.drivers_block(cp.people_drivers(ctx.version, f, ctx.settings_key), "ESAT",
                         "unit_emp", f"unit_{unit_id}_employee_drivers")
    with cus:
        cp.drivers_block(cp.customer_drivers(ctx.version, f, ctx.settings_key), "CSAT",
                         "unit_cus", f"unit_{unit_id}_customer_drivers")
    with emp_text:
        cp.comments_block(cp.people_comments(ctx.version, f, ctx.settings_key),
                          "unit_emp_comments", download=False)
    with cus_text:
        cp.comments_block(cp.customer_comments(ctx.version, f), "unit_cus_comments",
                          download=True)
