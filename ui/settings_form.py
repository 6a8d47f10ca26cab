"""The settings form: targets per leg, alert thresholds, confidentiality thresholds."""

from __future__ import annotations

import streamlit as st

from analytics.access import auth
from analytics.metrics.alert_rates import MEASURED, expected_rate
from analytics.settings import Settings
from analytics.store import queries
from ui.reads import writing


def render(ctx) -> None:
    """Show the stored settings and save changes (admins only)."""
    s = ctx.settings
    if not auth.can(ctx.user, "change_settings"):
        st.info("Only an administrator can change the settings.")
        return
    with st.form("settings"):
        st.markdown("**Targets** (the height each leg should reach)")
        c1, c2, c3 = st.columns(3)
        t_esat = c1.number_input("ESAT index target", 0.0, 100.0, s.targets["esat"])
        t_csat = c2.number_input("CSAT % target", 0.0, 100.0, s.targets["csat"])
        t_profit = c3.number_input("Margin % target", -100.0, 100.0, s.targets["profit"])
        profit = st.radio("Profit leg", ["gross_margin_pct", "operating_margin_pct"],
                          index=0 if s.profit_metric == "gross_margin_pct" else 1,
                          format_func=lambda m: m.replace("_pct", " %").replace("_", " "),
                          horizontal=True)
        st.markdown("**Alerts** (each a false-alarm budget per unit-month; docs/alerts.md)")
        a1, a2, a3 = st.columns(3)
        alphas = {}
        for col, kind, label in ((a1, "imbalance", "Imbalance alert: alpha"),
                                 (a2, "divergence", "Divergence alert: alpha"),
                                 (a3, "control", "Control alert: alpha")):
            current = getattr(s, f"{kind}_alpha")
            alphas[kind] = col.number_input(label, 0.0001, 0.05, current, 0.001,
                                            format="%.4f", key=f"settings_{kind}_alpha")
            col.caption(f"expected false alarms: {100 * expected_rate(kind, current):.2f}% "
                        f"of unit-months at {current:g} (simulated, measured {MEASURED})")
        imbalance = st.number_input("Imbalance ranking: out-of-balance threshold (z range; "
                                    "a ranking, raises no alert)", 0.5, 6.0,
                                    s.imbalance_threshold, 0.1)
        st.markdown("**Confidentiality**")
        p1, p2 = st.columns(2)
        min_group = p1.number_input("Minimum group size for employee figures", 3, 50,
                                    s.min_group_size, help="Never below 3 (metrics.md §7).")
        min_comment = p2.number_input("Minimum group size for comments", 3, 100,
                                      s.min_comment_group_size)
        if st.form_submit_button("Save settings", type="primary"):
            values = {**s.to_dict(), "targets": {"esat": t_esat, "csat": t_csat,
                                                 "profit": t_profit},
                      "profit_metric": profit, "imbalance_threshold": imbalance,
                      **{f"{kind}_alpha": float(a) for kind, a in alphas.items()},
                      "min_group_size": int(min_group),
                      "min_comment_group_size": int(min_comment)}
            try:
                Settings.from_dict(values)
            except ValueError as exc:
                st.error(f"Not saved: {exc}")
                return
            auth.require(ctx.user, "change_settings")
            with writing() as con:
                queries.write_settings(con, values)
            st.cache_data.clear()
            from ui.components import warm_up_after_change

            warm_up_after_change()
            st.success("Settings saved.")
            st.rerun()
