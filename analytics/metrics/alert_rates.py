"""Expected false-alarm rates of the alert thresholds, as measured by the harness.

``python -m bench calibration`` measures, on simulated null companies (40 units x 24
months, phi 0.3, realistic response counts; docs/alerts.md), the share of scored
unit-months in which each kind of alert fires at a given family-wise alpha. The table is
data, so the Settings tab can show the rate next to each threshold without simulating.
"""

from __future__ import annotations

import numpy as np

#: when the table below was measured (bench/calibration.py, 8 seeds, 5,120 unit-months)
MEASURED = "2026-12-03"
#: alpha -> share of unit-months with an alert of that kind (0-1)
RATES: dict[str, dict[float, float]] = {
    "imbalance": {0.001: 0.00117, 0.002: 0.00234, 0.005: 0.00684, 0.01: 0.01406, 0.02: 0.0248},
    "divergence": {0.001: 0.00117, 0.002: 0.00176, 0.005: 0.0041, 0.01: 0.00723,
                   0.02: 0.01035},
    "control": {0.001: 0.00293, 0.002: 0.00527, 0.005: 0.00996, 0.01: 0.01582, 0.02: 0.0291},
}


def expected_rate(kind: str, alpha: float) -> float:
    """The measured false-alarm rate of ``kind`` at ``alpha``, interpolated on log alpha.

    Parameters
    ----------
    kind : {"imbalance", "divergence", "control"}
    alpha : float
        The kind's family-wise alpha per unit-month (a setting).

    Returns
    -------
    float
        Share of unit-months (0-1); outside the measured range, the nearest end.

    Example
    -------
    >>> 0 <= expected_rate("control", 0.002) <= 0.01
    True
    """
    table = RATES[kind]
    alphas = np.array(sorted(table))
    rates = np.array([table[a] for a in alphas])
    return float(np.interp(np.log(alpha), np.log(alphas), rates))
