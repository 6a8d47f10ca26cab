"""Charts: DataFrame in, plotly Figure out. No Streamlit here, so each is testable alone."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ui.theme import FONT, LEG_COLOURS, leg_name

LEG_TO_COLUMN = {"esat": "esat_index", "csat": "csat_pct", "profit": "gross_margin_pct"}


def _layout(fig: go.Figure, title: str, height: int = 360) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "font": {"size": 16}},
        height=height, margin={"l": 10, "r": 10, "t": 50, "b": 10},
        font={"family": FONT}, plot_bgcolor="white", hovermode="x unified",
        legend={"orientation": "h", "y": -0.15, "x": 0},
    )
    fig.update_xaxes(showgrid=False)
    fig.update_yaxes(gridcolor="#EEEEEE", zeroline=False)
    return fig


def legs_trend(trend: pd.DataFrame, profit_column: str = "gross_margin_pct") -> go.Figure:
    """Monthly lines of the three legs (columns period, esat_index, csat_pct, margin)."""
    fig = go.Figure()
    columns = {**LEG_TO_COLUMN, "profit": profit_column}
    for leg, col in columns.items():
        fig.add_trace(go.Scatter(
            x=trend["period"], y=trend[col], name=leg_name(leg, profit_column),
            mode="lines+markers", line={"color": LEG_COLOURS[leg], "width": 3},
            marker={"size": 5}, hovertemplate="%{y:.1f}",
        ))
    fig.update_yaxes(title_text="points (0-100) / margin %")
    return _layout(fig, "The three legs, month by month")


def _column_formats() -> dict:
    """Column labels and number formats for unit tables (plain dict, no Streamlit)."""
    return {
        "unit_id": {"label": "Unit"}, "unit_name": {"label": "Name"},
        "region": {"label": "Region"}, "division": {"label": "Division"},
        "esat_index": {"label": "ESAT index", "format": "%.1f"},
        "csat_pct": {"label": "CSAT %", "format": "%.1f"},
        "gross_margin_pct": {"label": "Gross margin %", "format": "%.1f"},
        "operating_margin_pct": {"label": "Operating margin %", "format": "%.1f"},
        "n_employee": {"label": "Employee responses", "format": "%d"},
        "n_customer": {"label": "Customer responses", "format": "%d"},
        "imbalance": {"label": "Imbalance", "format": "%.2f"},
    }


TABLE_FORMAT_SPEC = _column_formats()
