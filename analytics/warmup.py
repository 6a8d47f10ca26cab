"""Warm-up after a load: the default selection's expensive results, kept per data version.

A page's first run after a load used to recompute the panel with its privacy rules, the
alerts, the imbalance history, the chain estimate, the relationships, the People
page's privacy-guarded groups and more (2-5 s a page on 2,000 units x 60 months).
:func:`warm_up` computes them once, right after a successful load, replace or rollback,
for the selection every page opens with (:func:`default_filters`, the stored settings),
and keeps them with :mod:`analytics.store.kept`; the app's cached readers call
:func:`lookup` first and compute as before when nothing is kept (another selection or
setting, a failed warm-up).

Each result is keyed by its name and the same arguments the app's reader takes
(``filters``, ``settings_key``, ...), and read only under the data version it was
computed for. A warm-up whose data changed while it ran keeps nothing. Kept results are
the computed ones bit for bit; recomputing gives the same bits except for the item
drivers, whose correlations DuckDB sums on parallel threads (they vary in the last bits
from one computation to the next, kept or not).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from analytics import alerts, balance, chain, customers, data, people, relationships, summary, views
from analytics.filters import Filters
from analytics.settings import Settings
from analytics.store import kept, queries

log = logging.getLogger(__name__)

#: months the sidebar selects when a session opens (the last two years)
DEFAULT_MONTHS = 24
#: the links page's what-if step when it opens (points of ESAT)
DEFAULT_WHAT_IF_DELTA = 5.0
#: the two links of the chain, as the links page shows them
LINKS = (("esat", "csat"), ("csat", "profit"))
#: the People page's breakdown when it opens
DEFAULT_BREAKDOWN = "department"
#: results kept in another form than they are used: name -> (to kept, from kept)
_FORMS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "people_selection": (asdict, lambda kept_dict: people.Selection(**kept_dict)),
}


def default_filters(periods: list[str]) -> Filters:
    """The selection a session opens with: the last :data:`DEFAULT_MONTHS` months."""
    if not periods:
        return Filters()
    return Filters(periods[max(0, len(periods) - DEFAULT_MONTHS)], periods[-1])


def settings_key(settings: Settings) -> str:
    """The settings as the hashable text the app's cached readers take."""
    return json.dumps(settings.to_dict(), sort_keys=True)


def lookup(con: Any, version: int, name: str, *args: Any) -> Any:
    """The result kept for ``name(*args)`` at data version ``version``, else None.

    Never raises: a missing, unreadable or foreign file means "compute as usual".
    """
    try:
        at = kept.stamp(con)
        if not at.startswith(f"{version}-"):
            return None  # the data moved on since the caller read its version
        value = kept.read(con, at, name, kept.key_of(*args))
        if value is not None and name in _FORMS:
            value = _FORMS[name][1](value)
        return value
    except Exception:  # noqa: BLE001 - a kept result is only ever a shortcut
        log.warning("kept result %s could not be read; computing it", name, exc_info=True)
        return None


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
    """(name, key arguments, compute) of every kept result, in dependency order."""
    sk = settings_key(s)
    period = periods[-1]
    before = periods[-2] if len(periods) > 1 else None
    memo: dict[str, Any] = {}

    def once(name: str, fn: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            if name not in memo:
                memo[name] = fn()
            return memo[name]
        return run

    panel = once("panel", lambda: data.panel(con, f, s))
    legs = once("legs", lambda: balance.legs_frame(panel(), s))
    bal = once("balance", lambda: balance.balance(legs()))
    fit = once("chain", lambda: chain.chain_estimate(legs(), settings=s))
    rel = once("relationships", lambda: relationships.relationships(legs(), settings=s))
    latest = once("alerts", lambda: alerts.all_alerts(panel(), s, None))
    of_period = once("alerts_period", lambda: alerts.all_alerts(panel(), s, period))
    out: list[tuple[str, tuple, Callable[[], Any]]] = [
        ("panel", (f, sk), panel),
        ("legs", (f, sk), legs),
        ("balance", (f, sk), bal),
        ("imbalance_history", (f, sk), lambda: alerts.imbalance_history(bal(), s)),
        ("alerts", (f, sk, None), latest),
        ("alerts", (f, sk, period), of_period),
        ("summary", (f, sk, period),
         lambda: summary.plain_summary(panel(), of_period(), s, period)),
        ("period_rows", (f, sk, period), lambda: panel()[panel().period == period]),
        ("kpis", (f, sk, ("period",)), lambda: data.kpis(con, f, s, ("period",))),
        ("company", (f.with_period(period), sk),
         lambda: data.company(con, f.with_period(period), s)),
        ("chain", (f, sk), fit),
        ("relationships", (f, sk), rel),
        ("evidence", (f, sk), lambda: views.evidence_table(rel())),
        ("what_if", (f, sk, DEFAULT_WHAT_IF_DELTA),
         lambda: chain.what_if(fit(), DEFAULT_WHAT_IF_DELTA, s)),
        ("what_if_units", (f, sk, DEFAULT_WHAT_IF_DELTA, ()),
         lambda: views.what_if_units(fit(), DEFAULT_WHAT_IF_DELTA, legs(), [], s)),
    ]
    if before is not None:
        out.append(("company", (f.with_period(before), sk),
                    lambda: data.company(con, f.with_period(before), s)))
    out += _people_results(con, f, s, period)
    out += _unit_results(con, f, s, panel, bal)
    for a, b in LINKS:
        out.append(("lag_profile", (f, sk, a, b),
                    lambda a=a, b=b: relationships.lag_profile(legs(), a, b, settings=s)))
        out.append(("pair_view", (f, sk, a, b, "cross_sectional", 0),
                    lambda a=a, b=b: views.pair_view(legs(), a, b, "cross_sectional", 0,
                                                     settings=s)))
    return out


def _people_results(con: Any, f: Filters, s: Settings, period: str
                    ) -> list[tuple[str, tuple, Callable[[], Any]]]:
    """The People and Customers pages open on the latest month (their "Months" choice)."""
    sk, latest, by = settings_key(s), f.with_period(period), DEFAULT_BREAKDOWN
    cf, cf_range = customers.customer_filters(latest), customers.customer_filters(f)
    return [
        ("people_selection", (latest, sk), lambda: people.selection(con, latest, s)),
        ("people_summary", (latest, sk), lambda: people.summary(con, latest, s)),
        ("people_groups", (latest, sk, by), lambda: people.by_group(con, latest, s, by)),
        ("people_groups", (f, sk, "period"), lambda: people.by_group(con, f, s, "period")),
        ("people_esat_csat", (latest, sk, by), lambda: people.esat_vs_csat(con, latest, s, by)),
        ("people_heatmap", (latest, sk, by), lambda: people.item_heatmap(con, latest, s, by)),
        ("people_enps", (latest, sk, None), lambda: people.enps_distribution(con, latest, s)),
        ("people_drivers", (latest, sk), lambda: people.drivers(con, latest, s)),
        ("people_comments", (latest, sk, 500), lambda: people.comments(con, latest, s, 500)),
        ("customer_summary", (cf,), lambda: customers.summary(con, cf)),
        ("customer_trend", (cf_range,), lambda: customers.trend(con, cf_range)),
        ("customer_drivers", (cf, sk), lambda: customers.drivers(con, cf, s)),
        ("customer_complaints", (cf,), lambda: customers.complaints(con, cf)),
        ("customer_comments", (cf, 1000), lambda: customers.comments(con, cf, 1000)),
    ]


def _unit_results(con: Any, f: Filters, s: Settings, panel: Callable[[], Any],
                  bal: Callable[[], Any]) -> list[tuple[str, tuple, Callable[[], Any]]]:
    """Unit detail opens on the unit most out of balance: its history, drivers, comments."""
    ranking = views.imbalance_ranking(bal(), s)
    if ranking.empty:
        return []
    sk, unit = settings_key(s), str(ranking["unit_id"].iloc[0])
    fu = replace(f, units=(unit,), regions=(), divisions=(), departments=())
    cu = customers.customer_filters(fu)
    return [
        ("unit_history", (f, sk, unit), lambda: views.unit_history(panel(), unit, s)),
        ("people_drivers", (fu, sk), lambda: people.drivers(con, fu, s)),
        ("customer_drivers", (cu, sk), lambda: customers.drivers(con, cu, s)),
        ("people_comments", (fu, sk, 500), lambda: people.comments(con, fu, s, 500)),
        ("customer_comments", (cu, 1000), lambda: customers.comments(con, cu, 1000)),
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
        kept.drop_others(con, at)
    report.seconds = time.perf_counter() - start
    return report
