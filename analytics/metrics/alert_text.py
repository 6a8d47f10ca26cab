"""The alerts' vocabulary (metrics.md §4): divergence patterns and one sentence per alert."""

from __future__ import annotations

from analytics.settings import LEGS

PATTERNS: dict[tuple[str, str], tuple[str, str | None]] = {
    ("profit", "up"): ("profit_up_esat_down", "margin may be bought at the cost of staff"),
    ("esat", "up"): ("esat_up_csat_down", "service is not reaching customers"),
    ("csat", "up"): ("csat_up_profit_down", "service may be given away below cost"),
    ("esat", "down"): ("esat_down_csat_profit_up", None),
    ("csat", "down"): ("csat_down_esat_profit_up", None),
    ("profit", "down"): ("profit_down_esat_csat_up", None),
}
LABEL = {"esat": "ESAT", "csat": "CSAT", "profit": "profit"}
_MEASURE = {"esat": "ESAT index", "csat": "CSAT %", "profit": "margin %"}
OTHERS = {leg: tuple(o for o in LEGS if o != leg) for leg in LEGS}


def _imbalance(row: dict) -> str:
    leg = row["leg"]
    first, second = OTHERS[leg]
    months = int(row["months"])
    span = "this month" if months == 1 else f"over the last {months} months"
    shrunk = "" if leg == "profit" else (
        f"; raw {row['window_raw']:.1f}, shrunk toward the company {row['window_shrunk']:.1f}")
    return (
        f"Unit {row['name']}'s {LABEL[leg]} dropped below its own baseline while "
        f"{LABEL[first]} and {LABEL[second]} held: {_MEASURE[leg]} {row['window_shrunk']:.1f} "
        f"{span} against {row['baseline']:.1f} before (change {row['change']:+.1f} "
        f"± {1.96 * row['se']:.1f}, z = {row['z']:+.1f}{shrunk})."
    )


def _divergence(row: dict) -> str:
    odd, up = row["odd_leg"], row["direction"] == "up"
    first, second = OTHERS[odd]
    scores = ", ".join(f"{LABEL[leg]} {row['z_' + leg]:+.1f}" for leg in LEGS)
    meaning = PATTERNS[(odd, row["direction"])][1]
    return (
        f"Unit {row['name']}'s legs are pulling apart: {LABEL[odd]} is "
        f"{'rising' if up else 'falling'} while {LABEL[first]} and {LABEL[second]} "
        f"{'fall' if up else 'rise'} (change against its baseline over the last "
        f"{int(row['months'])} months, in standard errors: {scores})"
        + (f", so {meaning}." if meaning else ".")
    )


def _control(row: dict) -> str:
    leg = row["leg"]
    responses = "" if leg == "profit" else (
        f"; raw {row['observed']:.1f} from {row['n']:.0f} responses")
    return (
        f"Unit {row['name']}'s {_MEASURE[leg]} in {row['period']} was {row['value']:.1f}, "
        f"{row['direction']} its control limits of {row['lcl']:.1f} to {row['ucl']:.1f} "
        f"around its usual {row['centre']:.1f} (limits allow for month-to-month carry-over"
        f"{responses})."
    )


def message(kind: str, row: dict) -> str:
    """One plain-English sentence for an alert row of ``kind``."""
    return {"imbalance": _imbalance, "divergence": _divergence, "control": _control}[kind](row)
