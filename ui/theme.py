"""One colour per leg, used by every chart and card (Okabe-Ito, safe for colour blindness)."""

LEG_COLOURS = {"esat": "#0072B2", "csat": "#009E73", "profit": "#E69F00"}
ALERT = "#D55E00"
NEUTRAL = "#7F7F7F"
SUPPRESSED = "#D9D9D9"
LEG_NAMES = {"esat": "ESAT index", "csat": "CSAT %", "profit": "Gross margin %"}
LEG_SHORT = {"esat": "ESAT", "csat": "CSAT", "profit": "Profit"}
FONT = "Source Sans Pro, Arial, sans-serif"


def leg_name(leg: str, profit_metric: str = "gross_margin_pct") -> str:
    """The label of a leg, naming the profit measure in use."""
    if leg == "profit" and profit_metric == "operating_margin_pct":
        return "Operating margin %"
    return LEG_NAMES[leg]
