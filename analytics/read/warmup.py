"""Warm-up after a load: the default selection's expensive results, kept per data version.

A page's first run after a load used to recompute the panel with its privacy rules, the
alerts, the imbalance history, the chain estimate, the relationships, the People
page's privacy-guarded groups and more (2-5 s a page on 2,000 units x 60 months).
:func:`warm_up` computes them once, right after a successful load, replace or rollback,
for the selection every page opens with (:func:`default_filters`, the stored settings),
and keeps them with :mod:`analytics.store.kept`; :func:`analytics.read.results.get`, which
every page's reader calls, finds them there and computes as before when nothing is kept
(another selection or setting, a failed warm-up).

Each result is keyed by its name and the same arguments the app's reader takes
(``filters``, ``settings_key``, ...), and read only under the data version it was
computed for. A warm-up whose data changed while it ran keeps nothing. Kept results are
the computed ones bit for bit; recomputing gives the same bits except for the item
drivers, whose correlations DuckDB sums on parallel threads (they vary in the last bits
from one computation to the next, kept or not).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from analytics.filters import Filters
from analytics.read import customers, data, published, results, views
from analytics.read.results import FORMS as _FORMS
from analytics.read.results import lookup, settings_key
from analytics.settings import Settings
from analytics.store import kept, queries

__all__ = ["DEFAULT_MONTHS", "WarmUp", "default_filters", "lookup", "settings_key", "warm_up"]

log = logging.getLogger(__name__)

#: months the sidebar selects when a session opens (the last two years)
DEFAULT_MONTHS = 24
#: the links page's what-if step when it opens (points of ESAT)
DEFAULT_WHAT_IF_DELTA = 5.0
#: the two links of the chain, as the links page shows them
LINKS = (("esat", "csat"), ("csat", "profit"))
#: the People page's breakdown when it opens
DEFAULT_BREAKDOWN = "department"


def default_filters(periods: list[str]) -> Filters:
    """The selection a session opens with: the last :data:`DEFAULT_MONTHS` months."""
    if not periods:
        return Filters()
    return Filters(periods[max(0, len(periods) - DEFAULT_MONTHS)], periods[-1])


@dataclass
class WarmUp:
    """What a warm-up did: the stamp, the results kept, the time, what failed."""

    stamp: str | None = None
    kept: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    discarded: bool = False

    def line(self) -> str:
        """One line for a log or stderr."""
        if self.stamp is None:
            return "warm-up: no data, nothing kept"
        if self.discarded:
            return "warm-up: the data changed meanwhile; nothing kept"
        fails = f", {len(self.failed)} failed ({', '.join(self.failed)})" if self.failed else ""
        return (f"warm-up: {len(self.kept)} results kept for data version "
                f"{self.stamp.split('-')[0]} in {self.seconds:.1f} s{fails}")


def _results(con: Any, f: Filters, s: Settings, periods: list[str]
             ) -> list[tuple[str, tuple, Callable[[], Any]]]:
    """(name, key arguments, compute) of every kept result, in dependency order.

    Each result is computed once (:func:`analytics.read.results.compute`), the ones it
    is built on taken from those computed before it, never from kept files.
    """
    sk = settings_key(s)
    period = periods[-1]
    before = periods[-2] if len(periods) > 1 else None
    version = queries.data_version(con)
    memo: dict[tuple[str, str], Any] = {}

    def via(name: str, *args: Any) -> Any:
        key = (name, kept.key_of(*args))
        if key not in memo:
            memo[key] = results.compute(con, version, name, *args, via=via)
        return memo[key]

    wanted: list[tuple[str, tuple]] = [
        ("panel", (f, sk)),
        ("legs", (f, sk)),
        ("balance", (f, sk)),
        ("imbalance_history", (f, sk)),
        ("alerts", (f, sk, None)),
        ("alerts", (f, sk, period)),
        ("summary", (f, sk, period)),
        ("period_rows", (f, sk, period)),
        ("kpis", (f, sk, ("period",))),
        ("company", (f.with_period(period), sk)),
        ("chain", (f, sk)),
        ("relationships", (f, sk)),
        ("evidence", (f, sk)),
        ("what_if", (f, sk, DEFAULT_WHAT_IF_DELTA)),
        ("what_if_units", (f, sk, DEFAULT_WHAT_IF_DELTA, ())),
    ]
    if before is not None:
        wanted.append(("company", (f.with_period(before), sk)))
    wanted += _people_results(f, s, period)
    wanted += _unit_results(f, s, via("balance", f, sk))
    for a, b in LINKS:
        wanted.append(("lag_profile", (f, sk, a, b)))
        wanted.append(("pair_view", (f, sk, a, b, "cross_sectional", 0)))
    return [(name, args, lambda name=name, args=args: via(name, *args))
            for name, args in wanted]


def _people_results(f: Filters, s: Settings, period: str) -> list[tuple[str, tuple]]:
    """The People and Customers pages open on the latest month (their "Months" choice)."""
    sk, latest, by = settings_key(s), f.with_period(period), DEFAULT_BREAKDOWN
    cf, cf_range = customers.customer_filters(latest), customers.customer_filters(f)
    return [
        ("people_selection", (latest, sk)),
        ("people_summary", (latest, sk)),
        ("people_groups", (latest, sk, by)),
        ("people_groups", (f, sk, "period")),
        ("people_esat_csat", (latest, sk, by)),
        ("people_heatmap", (latest, sk, by)),
        ("people_enps", (latest, sk, None)),
        ("people_drivers", (latest, sk)),
        ("people_comments", (latest, sk, 500)),
        ("customer_summary", (cf,)),
        ("customer_trend", (cf_range,)),
        ("customer_drivers", (cf, sk)),
        ("customer_complaints", (cf,)),
        ("customer_comments", (cf, 1000)),
    ]


def _unit_results(f: Filters, s: Settings, bal: Any) -> list[tuple[str, tuple]]:
    """Unit detail opens on the unit most out of balance: its history, drivers, comments."""
    ranking = views.imbalance_ranking(bal, s)
    if ranking.empty:
        return []
    sk, unit = settings_key(s), str(ranking["unit_id"].iloc[0])
    fu = replace(f, units=(unit,), regions=(), divisions=(), departments=())
    cu = customers.customer_filters(fu)
    return [
        ("unit_history", (f, sk, unit)),
        ("people_drivers", (fu, sk)),
        ("customer_drivers", (cu, sk)),
        ("people_comments", (fu, sk, 500)),
        ("customer_comments", (cu, 1000)),
    ]


def warm_up(con: Any, progress: Callable[[float, str], None] | None = None) -> WarmUp:
    """Compute and keep the default selection's expensive results for the current data.

    Call after every successful load, replace or rollback. Results of older data
    versions are deleted. A result that fails is logged and left to be computed by the
    page as before; an exception escapes only from reading the data version.

    Parameters
    ----------
    con : duckdb connection
        The database (an in-memory one keeps nothing).
    progress : callable, optional
        Called as ``progress(fraction, text)`` before each result.

    Returns
    -------
    WarmUp
        ``stamp`` (data version and batch digest; None without data), ``kept`` (names
        written), ``failed`` (names that raised), ``seconds``, ``discarded`` (the data
        changed during the warm-up, so nothing was written).

    Example
    -------
    >>> print(warm_up(con).line())  # doctest: +SKIP
    warm-up: 17 results kept for data version 23 in 9.8 s
    """
    start = time.perf_counter()
    at = kept.stamp(con)
    report = WarmUp(stamp=at)
    if kept.folder(con) is None:
        return report
    periods = queries.periods(con)
    if not periods:
        kept.drop_others(con, at)
        report.stamp = None
        return report
    s = data.settings(con)
    results = _results(con, default_filters(periods), s, periods)
    values = []
    for i, (name, args, compute) in enumerate(results):
        if progress is not None:
            progress(i / len(results), f"Preparing the pages: {name.replace('_', ' ')}")
        try:
            values.append((name, args, compute()))
        except Exception:  # noqa: BLE001 - the page computes it then, as before
            log.warning("warm-up: %s failed", name, exc_info=True)
            report.failed.append(name)
    if kept.stamp(con) != at:
        report.discarded = True
    else:
        for name, args, value in values:
            try:
                if name in _FORMS:
                    value = _FORMS[name][0](value)
                kept.write(con, at, name, kept.key_of(*args), value)
                report.kept.append(name)
            except Exception:  # noqa: BLE001 - e.g. a type JSON cannot hold exactly
                log.warning("warm-up: %s could not be kept", name, exc_info=True)
                report.failed.append(name)
        try:
            published.keep(con, at, s)
        except Exception:  # noqa: BLE001 - the app decides it again on its first page
            log.warning("warm-up: the published table set could not be kept", exc_info=True)
        kept.drop_others(con, at)
    report.seconds = time.perf_counter() - start
    return report
