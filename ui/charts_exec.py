"""Charts of the executive pages: DataFrame in, plotly Figure out (no Streamlit here).

The frames are those of :mod:`analytics.read.views`, :mod:`analytics.metrics.balance` and
:mod:`analytics.metrics.relationships`; every chart of a statistic shows its n.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.theme import ALERT, FONT, LEG_COLOURS, LEG_SHORT, NEUTRAL, leg_name

INK = "#333333"
#: units the balance scatter shows at full bubble size; more shrink them
CROWD = 60
#: alerted units the balance scatter names (all are ringed)
MAX_NAMED = 12
#: Shown columns of :func:`analytics.read.views.imbalance_ranking`: (label, format or None).
RANKING_LABELS: dict[str, tuple[str, str | None]] = {
    "rank": ("Rank", "%d"), "unit_id": ("Unit", None), "unit_name": ("Name", None),
    "imbalance": ("Imbalance", "%.2f"), "weakest_leg_label": ("Weakest leg", None),
    "alert": ("Alert (2+ months)", "checkbox"),
    "z_esat": ("z ESAT", "%+.2f"), "z_csat": ("z CSAT", "%+.2f"), "z_profit": ("z margin", "%+.2f"),
    "esat": ("ESAT index", "%.1f"), "csat": ("CSAT %", "%.1f"), "profit": ("Margin %", "%.1f"),
    "n_employee": ("Employee responses", "%d"), "n_customer": ("Customer responses", "%d"),
}  # fmt: skip
#: Shown columns of :func:`analytics.read.views.what_if_units`: (label, number format or None).
WHAT_IF_LABELS: dict[str, tuple[str, str | None]] = {
    # the column the table is ranked by comes first, so no one scrolls to find it
    "unit_id": ("Unit", None), "unit_name": ("Name", None),
    "gross_profit_change": ("Gross profit change / month", "%,.0f"),
    "gross_profit_low": ("… 95% low", "%,.0f"), "gross_profit_high": ("… 95% high", "%,.0f"),
    "esat": ("ESAT now", "%.1f"), "esat_raised": ("ESAT raised", "%.1f"),
    "csat": ("CSAT % now", "%.1f"), "csat_expected": ("CSAT % expected", "%.1f"),
    "csat_low": ("CSAT 95% low", "%.1f"), "csat_high": ("CSAT 95% high", "%.1f"),
    "profit": ("Margin % now", "%.1f"), "profit_expected": ("Margin % expected", "%.2f"),
    "profit_low": ("Margin 95% low", "%.2f"), "profit_high": ("Margin 95% high", "%.2f"),
}  # fmt: skip


def _layout(fig: go.Figure, title: str, height: int = 380, legend: bool = True,
            subtitle: str | None = None) -> go.Figure:
    head: dict[str, Any] = {"text": title, "x": 0, "font": {"size": 16}}
    if subtitle:
        head["subtitle"] = {"text": subtitle, "font": {"size": 12, "color": NEUTRAL}}
    fig.update_layout(
        title=head,
        height=height, margin={"l": 10, "r": 10, "t": 85 if subtitle else 60, "b": 10},
        font={"family": FONT, "color": INK}, plot_bgcolor="white", showlegend=legend,
        legend={"orientation": "h", "y": -0.18, "x": 0},
    )  # fmt: skip
    fig.update_xaxes(showgrid=False, linecolor="#CCCCCC")
    fig.update_yaxes(gridcolor="#EEEEEE", zeroline=False)
    return fig


def _escaped(frame: pd.DataFrame) -> pd.DataFrame:
    """Unit names from uploads as text: Plotly renders a few HTML tags in labels."""
    if "unit_name" not in frame.columns:
        return frame
    return frame.assign(unit_name=frame["unit_name"].astype(str).map(html.escape))


def _label(leg: str, profit_metric: str) -> str:
    return leg_name(leg, profit_metric)


def _fmt_n(n: Any) -> str:
    return "—" if n is None or pd.isna(n) else f"{int(n):,}"


def _month(period: pd.Series) -> pd.Series:
    """'YYYY-MM' as the first day of the month, so that axes tick by month names."""
    return pd.to_datetime(period.astype(str), format="%Y-%m")


def _stool_title(stool: pd.DataFrame, profit_metric: str) -> tuple[str, str]:
    """Title naming the short leg, and a subtitle with every leg's % of target."""
    short_names = {**LEG_SHORT, "profit": "margin"}
    parts = [f"{short_names[r['leg']]} {r['pct_of_target']:.0f}%" if pd.notna(r["value"])
             else f"{short_names[r['leg']]} not shown" for r in stool.to_dict("records")]
    subtitle = "% of target: " + " · ".join(parts)
    if stool["value"].isna().any():
        return "A leg cannot be shown (too few responses)", subtitle
    short = stool[stool["short"]].sort_values("pct_of_target")
    if short.empty:
        return "The stool stands level: every leg reaches its target", subtitle
    return f"The stool tilts: {LEG_SHORT[short.iloc[0]['leg']]} is the short leg", subtitle


def stool_figure(stool: pd.DataFrame, profit_metric: str = "gross_margin_pct") -> go.Figure:
    """Three legs whose heights are % of target under a seat that tilts toward a short leg.

    ``stool`` is :func:`analytics.read.views.stool_picture`. The seat is the least-squares
    line through the three leg tops, so it is level when the legs are equal; the part
    of a leg missing below its target is drawn as a dashed outline in the alert colour.
    """
    fig = go.Figure()
    x = np.arange(len(stool), dtype=float)
    heights = stool["pct_of_target"].astype(float)
    for i, row in enumerate(stool.to_dict("records")):
        fig.add_trace(go.Bar(
            x=[i], y=[row["pct_of_target"]], width=0.22, name=LEG_SHORT[row["leg"]],
            marker={"color": LEG_COLOURS[row["leg"]]},
            customdata=[[row["value"], row["target"], row["n"], row["n_kind"]]],
            hovertemplate=("%{y:.0f}% of target<br>value %{customdata[0]:.1f}, target "
                           "%{customdata[1]:.1f}<br>n = %{customdata[2]:,} %{customdata[3]}"
                           "<extra></extra>"),
        ))  # fmt: skip
        if row["short"]:
            fig.add_shape(type="rect", x0=i - 0.11, x1=i + 0.11, y0=row["pct_of_target"],
                          y1=100, line={"color": ALERT, "dash": "dash", "width": 2},
                          fillcolor="rgba(213,94,0,0.08)")
    known = heights.notna().to_numpy()
    if known.sum() >= 2:
        # a seat on uneven legs rests on the two tallest: a short leg hangs below it
        rest = np.sort(np.argsort(np.where(known, heights.fillna(-np.inf), -np.inf))[-2:])
        slope = (heights.iloc[rest[1]] - heights.iloc[rest[0]]) / (rest[1] - rest[0])
        xs = np.array([-0.3, len(x) - 0.7])
        seat = heights.iloc[rest[0]] + slope * (xs - rest[0]) + 3
        fig.add_trace(go.Scatter(x=xs, y=seat, mode="lines", line={"color": INK, "width": 14},
                                 hoverinfo="skip", name="seat"))
    fig.add_hline(y=100, line={"color": NEUTRAL, "dash": "dot", "width": 1})
    for i, row in enumerate(stool.to_dict("records")):
        pts = " pts"
        name = f"<b>{_label(row['leg'], profit_metric)}</b><br>"
        if pd.isna(row["value"]):
            text, colour = name + "no figure:<br>too few responses", NEUTRAL
        else:
            norm = "target" if row["target_source"] == "target" else "norm"
            where = ("on target" if abs(row["gap"]) < 0.05 else
                     f"{abs(row['gap']):.1f}{pts} {'short' if row['short'] else 'above'}")
            text = (f"{name}<b>{row['value']:.1f}</b> ({norm} {row['target']:g})<br>{where}"
                    f"<br>n = {_fmt_n(row['n'])}")
            colour = ALERT if row["short"] else INK
        fig.add_annotation(x=i, y=0, yshift=-8, text=text, showarrow=False, yanchor="top",
                           font={"size": 12, "color": colour})
    top = float(np.nanmax(heights)) if known.any() else 100.0
    fig.update_xaxes(showticklabels=False, showline=False, range=[-0.5, len(x) - 0.5])
    fig.update_yaxes(title_text="% of target", range=[-62, max(125.0, top + 15)],
                     tickvals=[0, 50, 100], ticktext=["0%", "50%", "target"])
    title, subtitle = _stool_title(stool, profit_metric)
    return _layout(fig, title, height=430, legend=False, subtitle=subtitle)


def balance_scatter(
    ranking: pd.DataFrame,
    targets: dict[str, float | None] | None = None,
    profit_metric: str = "gross_margin_pct",
) -> go.Figure:
    """ESAT x CSAT bubbles: size = revenue, colour = margin; units with an imbalance alert
    are ringed, the ``MAX_NAMED`` most imbalanced of them named. Beyond ``CROWD`` units
    the bubbles shrink (to 35% at most), so thousands of units stay readable.

    ``ranking`` is :func:`analytics.read.views.imbalance_ranking`. Each point carries
    ``customdata[0]`` = unit_id, so a click (``on_select``) names the unit.
    """
    shown = _escaped(ranking[ranking["esat"].notna() & ranking["csat"].notna()])
    revenue = shown["revenue"].astype(float).fillna(shown["revenue"].median())
    # bubbles shrink as units multiply, so a company of thousands stays a cloud of points
    scale = max(0.35, min(1.0, float(np.sqrt(CROWD / max(len(shown), 1)))))
    size = scale * (12 + 30 * np.sqrt(revenue / revenue.max())) \
        if len(shown) and revenue.max() > 0 else 18 * scale
    margin_label = _label("profit", profit_metric)
    target_margin = (targets or {}).get("profit")
    out = shown["alert"].fillna(False).astype(bool)
    # every alert is ringed; only the most imbalanced are named, so names stay legible
    named = shown["imbalance"].astype(float).where(out).rank(
        ascending=False, method="first").le(MAX_NAMED)
    name_note = (f"red ring = alert ({MAX_NAMED} worst of {int(out.sum())} named)"
                 if out.sum() > MAX_NAMED else "red ring = imbalance alert")
    # names point inwards, so those of units at the edges are not cut off
    middle = (shown["esat"].min() + shown["esat"].max()) / 2 if len(shown) else 0.0
    text_side = np.where(shown["esat"] < middle, "top right", "top left")
    custom = np.column_stack([
        shown["unit_id"].astype(str), shown["unit_name"].astype(str), shown["profit"],
        shown["revenue"], shown["n_employee"], shown["n_customer"], shown["imbalance"],
        shown["weakest_leg_label"].fillna("—"),
    ]) if len(shown) else None  # fmt: skip
    fig = go.Figure(go.Scatter(
        x=shown["esat"], y=shown["csat"], mode="markers+text",
        text=shown["unit_name"].where(named, ""), textposition=text_side,
        textfont={"size": 11, "color": ALERT},
        marker={
            "size": size, "color": shown["profit"], "colorscale": "BrBG",
            "cmid": target_margin if target_margin is not None else None,
            "colorbar": {"title": {"text": margin_label}, "ticksuffix": "%"},
            "line": {"color": np.where(out, ALERT, "white"), "width": np.where(out, 3, 1)},
            "opacity": 0.9 if scale == 1.0 else 0.75,
        },
        customdata=custom, name="units",
        hovertemplate=(
            "<b>%{customdata[1]}</b> (%{customdata[0]})<br>ESAT index %{x:.1f} "
            "(n = %{customdata[4]})<br>CSAT % %{y:.1f} (n = %{customdata[5]})<br>"
            f"{margin_label} " "%{customdata[2]:.1f}<br>revenue %{customdata[3]:,.0f}<br>"
            "imbalance %{customdata[6]:.2f}, weakest leg %{customdata[7]}<extra></extra>"
        ),
    ))  # fmt: skip
    for leg, axis in (("esat", "x"), ("csat", "y")):
        target = (targets or {}).get(leg)
        if target is None:
            continue
        line = {"color": NEUTRAL, "dash": "dot", "width": 1}
        label = f"{LEG_SHORT[leg]} target {target:g}"
        if axis == "x":
            fig.add_vline(x=target, line=line, annotation_text=label,
                          annotation_position="bottom right")
        else:
            fig.add_hline(y=target, line=line, annotation_text=label,
                          annotation_position="bottom left")
    fig.update_xaxes(title_text="ESAT index (0-100)")
    fig.update_yaxes(title_text="CSAT % (share satisfied)")
    fig.update_layout(clickmode="event+select", dragmode=False)
    return _layout(fig, "Units by ESAT and CSAT", height=480, legend=False,
                   subtitle=f"size = revenue · colour = margin % · {name_note} · click a "
                            "bubble to open the unit")


def imbalance_bar(ranking: pd.DataFrame, threshold: float, top: int = 12) -> go.Figure:
    """The most out-of-balance units, bars coloured by their weakest leg."""
    known = _escaped(ranking[ranking["imbalance"].notna()].head(top).iloc[::-1])
    fig = go.Figure()
    for leg in ("esat", "csat", "profit"):
        part = known[known["weakest_leg"] == leg]
        fig.add_trace(go.Bar(
            y=part["unit_name"].astype(str) + " (" + part["unit_id"].astype(str) + ")",
            x=part["imbalance"], orientation="h", name=f"weakest leg: {LEG_SHORT[leg]}",
            marker={"color": LEG_COLOURS[leg]},
            text=[f"{v:.1f}" + (" · alert" if a else "")
                  for v, a in zip(part["imbalance"], part["alert"], strict=True)],
            textposition="outside", customdata=part[["unit_id"]].to_numpy(),
            hovertemplate="%{y}: imbalance %{x:.2f}<extra>weakest leg: "
                          f"{LEG_SHORT[leg]}</extra>",
        ))  # fmt: skip
    fig.add_vline(x=threshold, line={"color": ALERT, "dash": "dash"},
                  annotation_text=f"alert threshold {threshold:g}",
                  annotation_position="bottom right")
    order = (known["unit_name"].astype(str) + " (" + known["unit_id"].astype(str) + ")").tolist()
    fig.update_yaxes(categoryorder="array", categoryarray=order)
    xmax = float(known["imbalance"].max()) if len(known) else threshold
    fig.update_xaxes(title_text="imbalance (largest minus smallest z-score of the three legs)",
                     range=[0, max(xmax, threshold) * 1.15])
    fig.update_layout(barmode="overlay")
    return _layout(fig, f"The {len(known)} units with the largest imbalance",
                   height=max(320, 80 + 28 * len(known)),
                   subtitle="colour = weakest leg · 'alert' = out of balance 2+ months running")


def imbalance_over_time(history: pd.DataFrame, threshold: float) -> go.Figure:
    """Units out of balance per month: alerts (2+ months running) and one-month readings.

    ``history`` is :func:`analytics.metrics.alerts.imbalance_history`.
    """
    known = history[history["n_units"] > 0]
    months = _month(known["period"])
    custom = known[["n_units", "mean_imbalance", "n_over", "n_alerts"]].to_numpy()
    hover = ("%{x|%b %Y}: %{customdata[3]} units with an alert, %{customdata[2]} over the "
             "threshold this month<br>of %{customdata[0]} units · mean imbalance "
             "%{customdata[1]:.2f}<extra></extra>")
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=months, y=known["n_over"], name=f"imbalance ≥ {threshold:g} this month",
        marker={"color": "#D9D9D9"}, customdata=custom, hovertemplate=hover,
    ))  # fmt: skip
    fig.add_trace(go.Bar(
        x=months, y=known["n_alerts"], name="of which 2+ months running (alert)",
        marker={"color": ALERT}, customdata=custom, hovertemplate=hover,
    ))  # fmt: skip
    fig.update_layout(barmode="overlay", bargap=0.25)
    fig.update_yaxes(title_text="units", rangemode="tozero")
    fig.update_xaxes(dtick="M2", tickformat="%b %Y")
    return _layout(fig, "Units out of balance, month by month", height=340)


def unit_control_chart(history: pd.DataFrame, profit_metric: str = "gross_margin_pct") -> go.Figure:
    """One panel per leg: the unit's monthly values, centre line and 3-sigma limits.

    ``history`` is :func:`analytics.read.views.unit_history`. Points outside the limits are
    drawn large in the alert colour.
    """
    legs = ("esat", "csat", "profit")
    titles = [
        "ESAT % satisfied · p-chart (limits widen in months with fewer responses)",
        "CSAT % · p-chart (limits from each month's responses)",
        f"{_label('profit', profit_metric)} · individuals chart",
    ]
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, subplot_titles=titles,
                        vertical_spacing=0.08)
    history = history.assign(period=_month(history["period"]))
    has_limits = bool(history["ucl"].notna().any())
    flagged = [leg for leg in legs if history.loc[history["leg"] == leg, "outside"].any()]
    for i, leg in enumerate(legs, start=1):
        part = history[history["leg"] == leg]
        colour = LEG_COLOURS[leg]
        first = i == 1
        fig.add_trace(go.Scatter(
            x=part["period"], y=part["ucl"], mode="lines", line={"color": NEUTRAL, "width": 1,
                                                                 "shape": "hvh"},
            name="control limits (3 sigma)", legendgroup="limits",
            showlegend=first and has_limits,
            hovertemplate="upper limit %{y:.1f}<extra></extra>",
        ), row=i, col=1)  # fmt: skip
        fig.add_trace(go.Scatter(
            x=part["period"], y=part["lcl"], mode="lines", line={"color": NEUTRAL, "width": 1,
                                                                 "shape": "hvh"},
            fill="tonexty", fillcolor="rgba(127,127,127,0.10)", legendgroup="limits",
            showlegend=False, hovertemplate="lower limit %{y:.1f}<extra></extra>",
        ), row=i, col=1)  # fmt: skip
        fig.add_trace(go.Scatter(
            x=part["period"], y=part["centre"], mode="lines",
            line={"color": NEUTRAL, "dash": "dash", "width": 1}, name="unit's usual level",
            legendgroup="centre", showlegend=first and has_limits,
            hovertemplate="usual level %{y:.1f}<extra></extra>",
        ), row=i, col=1)  # fmt: skip
        n_text = part["n"].map(lambda v: "" if pd.isna(v) else f" (n = {int(v)})")
        fig.add_trace(go.Scatter(
            x=part["period"], y=part["value"], mode="lines+markers",
            line={"color": colour, "width": 2}, marker={"size": 6}, name=LEG_SHORT[leg],
            showlegend=False, customdata=np.column_stack([n_text]),
            hovertemplate="%{x|%b %Y}: %{y:.1f}%{customdata[0]}<extra></extra>",
        ), row=i, col=1)  # fmt: skip
        out = part[part["outside"]]
        fig.add_trace(go.Scatter(
            x=out["period"], y=out["value"], mode="markers",
            marker={"color": ALERT, "size": 12, "symbol": "circle-open", "line": {"width": 3}},
            name="outside its limits", legendgroup="outside",
            showlegend=bool(flagged) and leg == flagged[0],
            hoverinfo="skip",
        ), row=i, col=1)  # fmt: skip
        fig.update_yaxes(ticksuffix="%", row=i, col=1)
    fig.update_xaxes(dtick="M2", tickformat="%b %Y")
    fig.update_annotations(font={"size": 13}, x=0, xanchor="left")
    return _layout(fig, "Its three legs, month by month, against its own usual range",
                   height=720)


def lag_profile_chart(
    profile: pd.DataFrame, best_lag: int | None = None, profit_metric: str = "gross_margin_pct"
) -> go.Figure:
    """Within-unit r of leg a at t - k with leg b at t, k = 0..6, with 95% CIs.

    ``profile`` is :func:`analytics.metrics.relationships.lag_profile`; lags without enough data
    are left out (and named in the title).
    """
    a, b = profile["a"].iloc[0], profile["b"].iloc[0]
    ok = profile[profile["enough_data"]]
    missing = profile.loc[~profile["enough_data"], "lag"].tolist()
    colour = [INK if k == best_lag else LEG_COLOURS[b] for k in ok["lag"]]
    # lags significant after the adjustment for the lags compared get an outline
    sig = ok["significant"] if "significant" in ok.columns else pd.Series(False, ok.index)
    fig = go.Figure(go.Bar(
        x=ok["lag"], y=ok["r"],
        marker={"color": colour, "line": {"color": INK, "width": [2 if v else 0 for v in sig]}},
        error_y={"type": "data", "symmetric": False, "array": ok["ci_high"] - ok["r"],
                 "arrayminus": ok["r"] - ok["ci_low"], "color": INK},
        customdata=np.column_stack([ok[["ci_low", "ci_high", "n", "n_units"]].to_numpy(),
                                    ok.get("p_adjusted", pd.Series(np.nan, ok.index))]),
        hovertemplate=("lag %{x} months: r = %{y:.2f} (95% CI %{customdata[0]:.2f} to "
                       "%{customdata[1]:.2f})<br>n = %{customdata[2]:,} unit-months, "
                       "%{customdata[3]} units<br>p = %{customdata[4]:.3f} allowing for "
                       "the lags compared<extra></extra>"),
    ))  # fmt: skip
    fig.add_hline(y=0, line={"color": NEUTRAL, "width": 1})
    la, lb = _label(a, profit_metric), _label(b, profit_metric)
    lb = lb[0].lower() + lb[1:] if b == "profit" else lb
    title = f"{LEG_SHORT[a]} → {LEG_SHORT[b]}: does {la} lead {lb}?"
    if missing:
        title += f" (not enough data at lag {', '.join(map(str, missing))})"
    if best_lag is not None and best_lag in ok["lag"].tolist():
        fig.add_annotation(x=best_lag, y=float(ok.set_index("lag").loc[best_lag, "ci_high"]),
                           text="chain estimate's lag", showarrow=True, arrowhead=2, ay=-30)
    fig.update_xaxes(title_text=f"months by which {LEG_SHORT[a]} leads {LEG_SHORT[b]}",
                     tickvals=profile["lag"].tolist())
    fig.update_yaxes(title_text="within-unit correlation r", range=[-1, 1])
    n = f"{ok['n'].min():,}" if ok["n"].min() == ok["n"].max() else \
        f"{ok['n'].min():,}-{ok['n'].max():,}"
    units = int(ok["n_units"].max()) if len(ok) else 0
    subtitle = f"r with 95% CI · n = {n} unit-months in {units:,} units"
    return _layout(fig, title, height=340, legend=False, subtitle=subtitle)


def pair_scatter(
    points: pd.DataFrame, stats: dict[str, Any], a: str, b: str,
    profit_metric: str = "gross_margin_pct",
) -> go.Figure:  # fmt: skip
    """A pair of legs with its least-squares line; r, CI and n in the title.

    ``points``, ``stats`` are :func:`analytics.read.views.pair_view`.
    """
    la, lb = _label(a, profit_metric), _label(b, profit_metric)
    within = stats.get("view") != "cross_sectional"
    lag = int(stats.get("lag") or 0)
    fig = go.Figure(go.Scatter(
        x=points["x"], y=points["y"], mode="markers",
        marker={"color": LEG_COLOURS[b], "size": 6 if within else 10,
                "opacity": 0.35 if within else 0.8},
        customdata=points[["unit_name", "unit_id", "period"]].to_numpy(),
        hovertemplate="%{customdata[0]} (%{customdata[1]}), %{customdata[2]}<br>"
                      "x %{x:.1f}, y %{y:.1f}<extra></extra>",
    ))  # fmt: skip
    if stats.get("slope") is not None and len(points):
        xs = np.array([points["x"].min(), points["x"].max()])
        fig.add_trace(go.Scatter(x=xs, y=stats["intercept"] + stats["slope"] * xs, mode="lines",
                                 line={"color": INK, "width": 2}, hoverinfo="skip"))
    if stats.get("enough_data"):
        unit = "unit-months" if within else "units"
        title = (f"r = {stats['r']:.2f} (95% CI {stats['ci_low']:.2f} to {stats['ci_high']:.2f}), "
                 f"n = {stats['n']:,} {unit}")
        rho = f" · Spearman ρ = {stats['rho']:.2f}"
    else:
        title, rho = f"Not enough data (n = {stats.get('n', 0)})", ""
    if within:
        when = f"{lag} month{'s' if lag != 1 else ''} earlier" if lag else "same month"
        fig.update_xaxes(title_text=f"{la}, {when} (vs the unit's own average)")
        fig.update_yaxes(title_text=f"{lb} (vs the unit's own average)")
        subtitle = (f"{LEG_SHORT[a]} → {LEG_SHORT[b]} within units: every unit-month, "
                    f"{LEG_SHORT[a]} {when}")
    else:
        fig.update_xaxes(title_text=f"{la}, {stats.get('period')}")
        fig.update_yaxes(title_text=f"{lb}, {stats.get('period')}")
        subtitle = f"{LEG_SHORT[a]} → {LEG_SHORT[b]} across units: one dot per unit"
    return _layout(fig, title, height=400, legend=False, subtitle=subtitle + rho)


def published_context_chart(evidence: pd.DataFrame) -> go.Figure:
    """Published unit-level correlations beside ours, with our 95% CIs and n.

    ``evidence`` is :func:`analytics.read.views.evidence_table`; rows without enough data are
    drawn as a note, not a bar.
    """
    pair = (evidence["a"].map(LEG_SHORT) + " – "
            + evidence["b"].map(lambda leg: "profit" if leg == "profit" else LEG_SHORT[leg]))
    frame = evidence.assign(pair=pair)
    fig = go.Figure()
    styles = {"published": ("Harter, Schmidt & Hayes (2002)", NEUTRAL),
              "ours": ("this company, latest month", LEG_COLOURS["csat"])}
    for source, (name, colour) in styles.items():
        part = frame[(frame["source"] == source) & frame["enough_data"] & frame["r"].notna()]
        error = None
        if source == "ours":
            error = {"type": "data", "symmetric": False, "array": part["ci_high"] - part["r"],
                     "arrayminus": part["r"] - part["ci_low"], "color": INK}
        fig.add_trace(go.Bar(
            y=part["pair"], x=part["r"], orientation="h", name=name, error_x=error,
            marker={"color": colour}, offsetgroup=source,
            customdata=part[["n", "ci_low", "ci_high"]].to_numpy(),
            hovertemplate="%{y}: r = %{x:.2f}, n = %{customdata[0]:,} units<extra>"
                          + name + "</extra>",
        ))  # fmt: skip
        for label, r, n, low, high in zip(part["pair"], part["r"], part["n"], part["ci_low"],
                                          part["ci_high"], strict=True):
            interval = "" if pd.isna(low) else f" (95% CI {low:.2f} to {high:.2f})"
            fig.add_annotation(
                x=1.0, y=label, xref="x", yshift=10 if source == "published" else -10,
                text=f"{'published' if source == 'published' else 'ours'}: r = {r:.2f}"
                     f"{interval}, n = {int(n):,}",
                showarrow=False, xanchor="left", font={"size": 12, "color": INK},
            )  # fmt: skip
    thin = frame[(frame["source"] == "ours") & ~frame["enough_data"]]
    for label, n in zip(thin["pair"], thin["n"], strict=True):
        fig.add_annotation(x=1.0, y=label, yshift=-10, showarrow=False, xanchor="left",
                           text=f"ours: not enough data (n = {int(n)})",
                           font={"size": 12, "color": NEUTRAL})
    fig.add_vline(x=0, line={"color": NEUTRAL, "width": 1})
    fig.update_xaxes(title_text="correlation r across business units", range=[-1, 1],
                     domain=[0, 0.62])
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(barmode="group")
    return _layout(fig, "Evidence strength: published unit-level correlations and ours",
                   height=320, legend=False,
                   subtitle="grey = Harter, Schmidt & Hayes (2002) · green = this company, "
                            "units of the latest month, with 95% CI")
