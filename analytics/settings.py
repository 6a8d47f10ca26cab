"""Settings: every threshold the analytics use, in one place, never a literal in code."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

LEGS: tuple[str, ...] = ("esat", "csat", "profit")
LEG_LABELS: dict[str, str] = {"esat": "ESAT", "csat": "CSAT", "profit": "Profit"}
#: Which panel column each leg reads (metrics.md §3 "The three legs").
LEG_COLUMNS: dict[str, str] = {
    "esat": "esat_index",
    "csat": "csat_pct",
    "profit": "gross_margin_pct",
}
PROFIT_COLUMNS: tuple[str, ...] = ("gross_margin_pct", "operating_margin_pct")


@dataclass(frozen=True)
class Settings:
    """Thresholds of metrics.md §4, §5 and §7, with their documented defaults."""

    # §3 the profit leg: gross margin by default, operating margin on request
    profit_metric: str = "gross_margin_pct"
    # §4 imbalance *ranking* (Balance page; raises no alert since issue 14): a unit is
    # "out of balance" at imbalance_threshold; persistence and same_leg describe its run
    imbalance_threshold: float = 2.0
    imbalance_persistence: int = 2
    imbalance_same_leg: bool = True
    # §4 imbalance *alerts* (docs/alerts.md; the three settings above are the ranking's):
    # one leg's mean over imbalance_window months is below its baseline with one-sided
    # p (Bonferroni over the three legs) below imbalance_alpha, the others not.
    imbalance_window: int = 2
    imbalance_alpha: float = 0.005
    # §4 divergence (docs/alerts.md): over the last divergence_periods months against the
    # unit's baseline, one leg's change has the opposite sign to both others, each
    # |z| >= divergence_min_z, and the Stouffer combination of the three, Bonferroni over
    # the six patterns, is below divergence_alpha (per unit-month).
    divergence_periods: int = 3
    divergence_min_slope: float = 0.5  # before issue 14; kept for stored settings, unused
    divergence_min_z: float = 1.0
    divergence_alpha: float = 0.002
    # §4 the Unit page's descriptive control chart (analytics.read.views.unit_history)
    control_sigma: float = 3.0
    ewma_lambda: float = 0.3
    ewma_sigma: float = 3.0
    control_min_baseline: int = 6
    # §4 control alert: the month's own change, two-sided, Bonferroni over three legs
    control_alpha: float = 0.002
    # every alert's baseline: at most this many months before the window; the company's
    # month-to-month variance and carry-over are estimated on at most alert_estimation_months
    alert_baseline_months: int = 12
    alert_estimation_months: int = 24
    # Laney p'-chart: widen the p-chart limits by sigma_z (the moving-range spread of the
    # baseline months' z-scores, floored at 1) when a unit's % moves more from month to
    # month than sampling alone explains. Without it, on the demo company about half of
    # all units raise a CSAT p-chart alert every month.
    p_chart_laney: bool = True
    # §4 the fewest customer responses behind a CSAT month an alert uses (ESAT uses
    # min_group_size); above it the binomial standard error carries the thinness
    min_customer_n: int = 10
    # §5 honesty
    min_corr_n: int = 8
    max_lag: int = 6
    alpha: float = 0.05
    # §5 honest links (docs/links.md): the chain estimate is refused below this many units
    # (with fewer, an estimate whose lag and interval can be trusted is out of reach);
    # permutations of whole units' series behind the chain's lag-search p-value; cluster
    # bootstrap draws behind its noise-corrected interval; and the correction for the
    # relationship grid's many tests (any statsmodels multipletests method).
    min_chain_units: int = 20
    chain_permutations: int = 199
    chain_bootstrap: int = 999
    multiplicity_method: str = "holm"
    # §7 confidentiality
    min_group_size: int = 5
    min_comment_group_size: int = 10
    # points (0-100) a hidden small group's figures stay uncertain by, either side, under
    # every combination of published figures (analytics.access.tables); never below 10
    confidentiality_protection: float = 10.0
    # targets per leg (0-100 points for ESAT/CSAT, % for margin); None = company norm
    targets: dict[str, float] = field(
        default_factory=lambda: {"esat": 70.0, "csat": 80.0, "profit": 30.0}
    )

    def __post_init__(self) -> None:
        if self.min_group_size < 3:
            raise ValueError("min_group_size may never be below 3 (metrics.md §7)")
        if self.min_comment_group_size < self.min_group_size:
            raise ValueError("min_comment_group_size must be at least min_group_size")
        if not self.confidentiality_protection >= 10:
            raise ValueError("confidentiality_protection may never be below 10 points")
        if self.profit_metric not in PROFIT_COLUMNS:
            raise ValueError(f"profit_metric must be one of {PROFIT_COLUMNS}")

    def leg_column(self, leg: str) -> str:
        """The panel column that holds ``leg``."""
        return self.profit_metric if leg == "profit" else LEG_COLUMNS[leg]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Settings:
        """Build settings from stored values, ignoring unknown keys from newer versions."""
        known = {f.name for f in fields(cls)}
        return replace(cls(), **{k: v for k, v in values.items() if k in known})


DEFAULT = Settings()
