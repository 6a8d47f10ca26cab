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
    # §4 imbalance
    imbalance_threshold: float = 2.0
    imbalance_persistence: int = 2
    # every month of the persistence run must have the same weakest leg: the alert says
    # "CSAT is its weakest leg for 2 months running". On pure noise (40 units, independent
    # legs) this cuts chance imbalance alerts from about 11% to 4% of units a month.
    imbalance_same_leg: bool = True
    # §4 divergence. metrics.md's example window is 3 months, configurable; over 3 points
    # a slope of pure-noise z-scores has sd 0.71, so "every |slope| >= 0.5 with one odd
    # sign" flags ~8% of units by chance. 4 months brings that to ~1.5% and still catches
    # the demo's planted divergence (tests/unit/test_alerts.py, rarity test).
    divergence_periods: int = 4
    divergence_min_slope: float = 0.5
    # §4 control charts
    control_sigma: float = 3.0
    ewma_lambda: float = 0.3
    ewma_sigma: float = 3.0
    control_min_baseline: int = 6
    # Laney p'-chart: widen the p-chart limits by sigma_z (the moving-range spread of the
    # baseline months' z-scores, floored at 1) when a unit's % moves more from month to
    # month than sampling alone explains. Without it, on the demo company about half of
    # all units raise a CSAT p-chart alert every month.
    p_chart_laney: bool = True
    # §4 "enough data" for imbalance and divergence alerts: customer responses behind a
    # unit-month's CSAT leg (ESAT uses min_group_size). At 30 responses the sampling sd
    # of a CSAT % of 80 is about 7 points.
    min_customer_n: int = 30
    # §5 honesty
    min_corr_n: int = 8
    max_lag: int = 6
    alpha: float = 0.05
    # §7 confidentiality
    min_group_size: int = 5
    min_comment_group_size: int = 10
    # targets per leg (0-100 points for ESAT/CSAT, % for margin); None = company norm
    targets: dict[str, float] = field(
        default_factory=lambda: {"esat": 70.0, "csat": 80.0, "profit": 30.0}
    )

    def __post_init__(self) -> None:
        if self.min_group_size < 3:
            raise ValueError("min_group_size may never be below 3 (metrics.md §7)")
        if self.min_comment_group_size < self.min_group_size:
            raise ValueError("min_comment_group_size must be at least min_group_size")
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
