"""Charts and display tables of the People and Customers pages: DataFrame in, Figure out.

No Streamlit here. Employee figures arrive already protected (analytics.read.people): a hidden
figure is NaN with ``suppressed`` True, and is drawn grey with its reason, never a number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics.metrics.drivers import FIX_FIRST, KEEP_UP, LOW_PRIORITY, MAINTAIN
from ui.charts import _layout
from ui.theme import ALERT, LEG_COLOURS, NEUTRAL, SUPPRESSED

#: red below, blue above; light enough at both ends for dark cell text to stay readable
DIVERGING = [[0.0, "#D6604D"], [0.25, "#F4A582"], [0.5, "#F7F7F7"], [0.75, "#92C5DE"],
             [1.0, "#4393C3"]]
NPS_COLOUR = "#CC79A7"  # Okabe-Ito reddish purple: NPS beside CSAT's green
PROMOTER, PASSIVE, DETRACTOR = LEG_COLOURS["esat"], "#BBBBBB", ALERT
QUADRANT_COLOURS = {FIX_FIRST: ALERT, KEEP_UP: LEG_COLOURS["csat"],
                    MAINTAIN: "#56B4E9", LOW_PRIORITY: NEUTRAL}
GROUP_LABELS = {"department": "Department", "region": "Region", "division": "Division",
                "unit_id": "Unit", "period": "Month", "item": "Item"}
COMPLEMENTARY_NOTE = "hidden to protect a smaller group"
DRIVERS_NOTE = ("Importance is each item's correlation with {outcome} across responses; the "
                "dotted lines are the medians of all items. *Fix first*: matters more than "
                "most, scores lower than most. Correlation is not proof of cause.")
DIFFERENCE_NOTE = "hidden: another view would reveal a small group by subtraction"
UNPUBLISHED_NOTE = "not published at this grain (a unit's small departments are pooled)"


def plain(values) -> pd.Series:
    """Uploaded names as literal chart text: plotly reads <b>, <a> and & in labels as markup."""
    text = pd.Series(values).astype(str)
    return text.str.replace("&", "&amp;").str.replace("<", "&lt;").str.replace(">", "&gt;")


def hidden_note(suppression: pd.Series, min_n: int) -> pd.Series:
    """Why each figure is hidden, in words ('' when shown)."""
    notes = {"primary": f"fewer than {min_n} responses", "complementary": COMPLEMENTARY_NOTE,
             "difference": DIFFERENCE_NOTE, "unpublished": UNPUBLISHED_NOTE}
    return suppression.map(notes).fillna("")


def _cell_note(suppression: pd.Series, min_n: int) -> pd.Series:
    """Short reason for a heatmap cell or a bar."""
    return suppression.map({"primary": f"fewer than {min_n}"}).fillna("hidden")


def _group_names(frame: pd.DataFrame, by: str) -> pd.Series:
    """Hover names: the unit's name beside its id (the axis shows the short id)."""
    if by == "unit_id" and "unit_name" in frame:
        return plain(frame["unit_id"] + " · " + frame["unit_name"].fillna(""))
    return plain(frame[by])


def esat_csat_bars(frame: pd.DataFrame, by: str, min_n: int) -> go.Figure:
    """ESAT index beside CSAT % per group; a hidden ESAT is a hatched grey bar with its reason."""
    x, names = plain(frame[by]), _group_names(frame, by)
    fig = go.Figure(go.Bar(x=x, y=frame["esat_index"], name="ESAT index (employees)",
                           marker_color=LEG_COLOURS["esat"], offsetgroup="esat",
                           customdata=names,
                           hovertemplate="%{customdata}<br>ESAT index %{y:.1f}<extra></extra>"))
    hidden = frame["suppressed"].fillna(False).astype(bool).to_numpy()
    if hidden.any():
        why = hidden_note(frame.loc[hidden, "suppression"], min_n)
        fig.add_trace(go.Bar(
            x=x[hidden], y=np.full(hidden.sum(), 100.0), name="ESAT hidden",
            offsetgroup="esat", text=_cell_note(frame.loc[hidden, "suppression"], min_n),
            textposition="inside", insidetextanchor="start", textangle=-90,
            textfont={"color": "#555555"}, customdata=np.c_[names[hidden], why],
            marker={"color": "rgba(217,217,217,0.5)", "pattern": {"shape": "/",
                                                                  "fgcolor": SUPPRESSED}},
            hovertemplate="%{customdata[0]}<br>ESAT hidden: %{customdata[1]}<extra></extra>"))
    if frame["csat_pct"].notna().any():
        fig.add_trace(go.Bar(x=x, y=frame["csat_pct"], name="CSAT % (customers)",
                             marker_color=LEG_COLOURS["csat"], offsetgroup="csat",
                             customdata=names,
                             hovertemplate="%{customdata}<br>CSAT %{y:.1f}%<extra></extra>"))
    fig.update_layout(barmode="group", hovermode="closest")
    fig.update_xaxes(type="category", tickangle=0 if len(x) <= 12 else -90)
    fig.update_yaxes(title_text="points (0-100)", range=[0, 100])
    title = (f"ESAT by {GROUP_LABELS[by].lower()}" if by == "department" else
             f"Employees and customers by {GROUP_LABELS[by].lower()}")
    return _layout(fig, title, height=380)


def item_heatmap(frame: pd.DataFrame, by: str, min_n: int) -> go.Figure:
    """Groups × items, coloured by the difference from the company's item mean."""
    wide = frame.pivot(index=by, columns="item", values="diff")
    hidden = frame.pivot(index=by, columns="item", values="suppressed").astype(bool)
    note = frame.assign(_note=_cell_note(frame["suppression"], min_n)).pivot(
        index=by, columns="item", values="_note")
    company = frame.groupby("item")["company_mean"].first().reindex(wide.columns)
    x = (plain(company.index) + "<br>(all: " + company.round(0).astype(int).astype(str).to_numpy()
         + ")").tolist()
    y = plain(wide.index).tolist()
    shown = wide.round(1).map(lambda v: "" if pd.isna(v) else "0.0" if v == 0 else f"{v:+.1f}")
    shown_text, hidden_text = np.where(hidden, "", shown), np.where(hidden, note, "")
    span = max(5.0, float(np.nanmax(np.abs(wide.to_numpy(float)), initial=0.0)))
    fig = go.Figure(go.Heatmap(
        z=wide.to_numpy(float), x=x, y=y, zmid=0, zmin=-span, zmax=span,
        colorscale=DIVERGING, text=shown_text, texttemplate="%{text}", xgap=2, ygap=2,
        colorbar={"title": {"text": "points vs all"}},
        hovertemplate="%{y} · %{x}<br>%{z:+.1f} points<extra></extra>"))
    fig.add_trace(go.Heatmap(
        z=np.where(hidden, 1.0, np.nan), x=x, y=y, showscale=False, xgap=2, ygap=2,
        colorscale=[[0, SUPPRESSED], [1, SUPPRESSED]], text=hidden_text, texttemplate="%{text}",
        textfont={"color": "#555555"}, hovertemplate="%{y} · %{x}<br>%{text}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", title_text=GROUP_LABELS.get(by, by))
    fig.update_layout(hovermode="closest")
    return _layout(fig, "Item scores: points above (blue) or below (red) the selection",
                   height=max(260, 60 + 38 * len(y)))


def enps_histogram(frame: pd.DataFrame, enps: float | None = None) -> go.Figure:
    """Share of eNPS answers per category: detractors (0-6), passives (7-8), promoters
    (9-10). A group's eNPS is published in these three only, never as a 0-10 histogram."""
    colours = {"detractor": DETRACTOR, "passive": PASSIVE, "promoter": PROMOTER}
    ranges = {"detractor": "0-6", "passive": "7-8", "promoter": "9-10"}
    fig = go.Figure()
    for category, colour in colours.items():
        part = frame[frame["category"] == category]
        fig.add_trace(go.Bar(x=[f"{category}s ({ranges[category]})"] * len(part),
                             y=part["pct"], name=f"{category}s", marker_color=colour,
                             text=[f"{v:.0f}%" for v in part["pct"]], textposition="outside",
                             hovertemplate="%{x}: %{y:.1f}% of answers<extra></extra>"))
    shares = frame.groupby("category")["pct"].sum()
    title = "How likely are employees to recommend working here?"
    if enps is not None:
        title += (f"<br><sup>eNPS {enps:+.0f} = {shares.get('promoter', 0):.0f}% promoters "
                  f"− {shares.get('detractor', 0):.0f}% detractors</sup>")
    fig.update_xaxes(title_text="answer (0-10)")
    fig.update_yaxes(title_text="% of answers", range=[0, max(100.0, 0)])
    fig.update_layout(hovermode="closest", bargap=0.35, showlegend=False)
    return _layout(fig, title, height=360)


def importance_performance(frame: pd.DataFrame, outcome: str) -> go.Figure:
    """Items by score (x) and correlation with the outcome (y), split at the medians."""
    rated = frame[frame["quadrant"].isin(QUADRANT_COLOURS)]
    fig = go.Figure()
    for quadrant, colour in QUADRANT_COLOURS.items():
        part = rated[rated["quadrant"] == quadrant]
        fig.add_trace(go.Scatter(
            x=part["performance"], y=part["importance"], mode="markers+text",
            name=quadrant, text=plain(part["item"]), textposition="top center",
            textfont={"size": 13, "color": "#333333"},
            marker={"color": colour, "size": 13},
            error_y={"type": "data", "symmetric": False, "color": colour, "thickness": 1,
                     "array": part["ci_high"] - part["importance"],
                     "arrayminus": part["importance"] - part["ci_low"]},
            customdata=np.c_[part["n"], part["ci_low"], part["ci_high"]],
            hovertemplate=("%{text}<br>score %{x:.1f}<br>r %{y:.2f} "
                           "(95% CI %{customdata[1]:.2f} to %{customdata[2]:.2f})"
                           "<br>n %{customdata[0]:,}<extra></extra>")))
    if len(rated):
        imp, perf = rated["importance_median"].iloc[0], rated["performance_median"].iloc[0]
        fig.add_hline(y=imp, line_dash="dot", line_color=NEUTRAL)
        fig.add_vline(x=perf, line_dash="dot", line_color=NEUTRAL)
        corners = {FIX_FIRST: (0.01, 0.99, "left", "top"), KEEP_UP: (0.99, 0.99, "right", "top"),
                   MAINTAIN: (0.99, 0.01, "right", "bottom"),
                   LOW_PRIORITY: (0.01, 0.01, "left", "bottom")}
        for label, (xp, yp, xa, ya) in corners.items():
            fig.add_annotation(x=xp, y=yp, xref="paper", yref="paper", xanchor=xa,
                               yanchor=ya, text=f"<b>{label}</b>", showarrow=False,
                               font={"color": QUADRANT_COLOURS[label], "size": 13})
        xs, ys = rated["performance"], pd.concat([rated["ci_low"], rated["ci_high"]])
        fig.update_xaxes(range=[xs.min() - 6, xs.max() + 6])
        fig.update_yaxes(range=[min(0.0, ys.min() - 0.05), ys.max() + 0.08])
    fig.update_xaxes(title_text="score (0-100): how well we do")
    fig.update_yaxes(title_text=f"correlation with {outcome}: how much it matters")
    fig.update_layout(hovermode="closest", showlegend=False)
    return _layout(fig, f"What drives {outcome}: importance × performance", height=440)


def esat_trend(frame: pd.DataFrame) -> go.Figure:
    """ESAT index and eNPS by month; hidden months are gaps."""
    fig = go.Figure(go.Scatter(x=frame["period"], y=frame["esat_index"], name="ESAT index",
                               mode="lines+markers", line={"color": LEG_COLOURS["esat"],
                                                           "width": 3}))
    fig.add_trace(go.Scatter(x=frame["period"], y=frame["enps"], name="eNPS",
                             mode="lines+markers", line={"color": NPS_COLOUR, "dash": "dash"}))
    fig.update_yaxes(title_text="points", zeroline=True, zerolinecolor="#BBBBBB")
    return _layout(fig, "ESAT index and eNPS, month by month", height=320)


def csat_nps_trend(frame: pd.DataFrame) -> go.Figure:
    """CSAT %, CSAT mean and NPS by month."""
    fig = go.Figure()
    for col, name, style in (
        ("csat_pct", "CSAT % (satisfied)", {"color": LEG_COLOURS["csat"], "width": 3}),
        ("csat_mean", "CSAT mean (0-100)", {"color": LEG_COLOURS["csat"], "dash": "dot"}),
        ("nps", "NPS", {"color": NPS_COLOUR, "width": 2, "dash": "dash"}),
    ):
        fig.add_trace(go.Scatter(x=frame["period"], y=frame[col], name=name,
                                 mode="lines+markers", line=style, hovertemplate="%{y:.1f}"))
    fig.update_yaxes(title_text="points", zeroline=True, zerolinecolor="#BBBBBB")
    return _layout(fig, "Customers, month by month", height=360)


def complaints_bars(frame: pd.DataFrame, top: int = 40) -> go.Figure:
    """Median hours to resolve a complaint per unit, fastest first."""
    part = frame.dropna(subset=["median_resolution_hours"]).head(top)
    label = plain(part["unit_id"] + " · " + part["unit_name"].fillna(""))
    fig = go.Figure(go.Bar(
        y=label, x=part["median_resolution_hours"], orientation="h",
        marker={"color": part["pct_resolved"], "colorscale": "Blues", "cmin": 0, "cmax": 100,
                "colorbar": {"title": {"text": "% resolved"}}},
        customdata=np.c_[part["complaints"], part["complaint_rate"], part["pct_resolved"]],
        hovertemplate=("%{y}<br>median %{x:.1f} h to resolve<br>%{customdata[0]} "
                       "complaints (%{customdata[1]:.1f} per 100 responses)<br>"
                       "%{customdata[2]:.0f}% resolved<extra></extra>")))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="median hours to resolve (resolved complaints)")
    fig.update_layout(hovermode="closest")
    return _layout(fig, "Complaints are gifts: which units resolve them fastest",
                   height=max(300, 60 + 20 * len(part)))


def people_table(frame: pd.DataFrame, by: str, min_n: int) -> pd.DataFrame:
    """The breakdown as shown and downloaded: labels, figures, and why a row is hidden."""
    cols = {by: GROUP_LABELS[by], "unit_name": "Name", "n_employee": "Responses",
            "esat_index": "ESAT index", "esat_pct_satisfied": "% satisfied", "enps": "eNPS",
            "response_rate": "Response rate %"}
    # response rates exist for org groups only (no headcount per department)
    keep = [c for c in cols if c in frame
            and not (c == "response_rate" and frame[c].isna().all())]
    out = frame[keep].round({"esat_index": 1, "esat_pct_satisfied": 1, "enps": 1,
                             "response_rate": 1}).rename(columns=cols)
    note = hidden_note(frame["suppression"], min_n)
    if "enps_suppressed" in frame:
        enps_only = ~frame["suppressed"] & frame["enps_suppressed"]
        note = note.where(~enps_only, "eNPS " + hidden_note(frame["enps_suppression"], min_n))
    if (note != "").any():
        out["Note"] = note
    return out


def drivers_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The drivers as shown and downloaded (r, CI and p as text, rounded)."""
    out = pd.DataFrame({
        "Item": frame["item"], "Quadrant": frame["quadrant"],
        "Score (0-100)": frame["performance"].round(1), "Correlation r": frame["r"].round(2),
        "95% CI": _interval(frame["ci_low"], frame["ci_high"]), "p": _p_text(frame["p"]),
        "Spearman rho": frame["rho"].round(2), "Responses": frame["n"]})
    return out.reset_index(drop=True)


def _interval(low: pd.Series, high: pd.Series) -> pd.Series:
    text = low.map("{:.2f}".format) + " to " + high.map("{:.2f}".format)
    return text.where(low.notna() & high.notna())


def _p_text(p: pd.Series) -> pd.Series:
    """p-values as an analyst writes them: '< 0.001' or three decimals."""
    text = p.map("{:.3f}".format).where(p >= 0.001, "< 0.001")
    return text.where(p.notna())


def complaints_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The complaints ranking as shown and downloaded."""
    cols = {"speed_rank": "Rank", "unit_id": "Unit", "unit_name": "Name", "region": "Region",
            "complaints": "Complaints", "complaint_rate": "Per 100 responses",
            "pct_resolved": "% resolved", "median_resolution_hours": "Median hours"}
    rounded = frame.round({"complaint_rate": 1, "pct_resolved": 0,
                           "median_resolution_hours": 1})
    return rounded[list(cols)].rename(columns=cols)
