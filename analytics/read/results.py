"""How a page's result is found: kept by the warm-up for this data version, else computed.

Every result a page shows has a name and the arguments that decide it: the selection
(``Filters``), the settings as their JSON key, and per result a period, a pair of legs,
a unit... :func:`get` takes exactly those and returns the result: the one the warm-up
kept for this data version (:mod:`analytics.read.warmup`, :mod:`analytics.store.kept`)
when there is one, computed otherwise. A result built on another one (the legs on the
panel, the chain on the legs) asks for it through ``via``: by default :func:`get` again,
so a kept panel serves a legs computation; the app passes its own cached readers, so a
panel already in its cache is not recomputed for the legs.

The screen layer only caches what this returns, per data version, and draws it.

Example
-------
>>> from analytics.read import results
>>> legs = results.get(con, version, "legs", filters, settings_key)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from analytics.filters import Filters
from analytics.metrics import alerts, balance, chain, relationships
from analytics.read import customers, data, people, summary, views
from analytics.settings import Settings
from analytics.store import kept

log = logging.getLogger(__name__)

#: how a result built on others asks for them: ``via(name, *args)``
Via = Callable[..., Any]

#: results kept in another form than they are used: name -> (to kept, from kept)
FORMS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "people_selection": (asdict, lambda kept_dict: people.Selection(**kept_dict)),
}


def settings_key(settings: Settings) -> str:
    """The settings as the hashable text every result takes."""
    return json.dumps(settings.to_dict(), sort_keys=True)


def settings_of(key: str) -> Settings:
    """The settings a :func:`settings_key` stands for."""
    return Settings.from_dict(json.loads(key))


def lookup(con: Any, version: int, name: str, *args: Any) -> Any:
    """The result kept for ``name(*args)`` at data version ``version``, else None.

    Never raises: a missing, unreadable or foreign file means "compute as usual".
    """
    try:
        at = kept.stamp(con)
        if not at.startswith(f"{version}-"):
            return None  # the data moved on since the caller read its version
        value = kept.read(con, at, name, kept.key_of(*args))
        if value is not None and name in FORMS:
            value = FORMS[name][1](value)
        return value
    except Exception:  # noqa: BLE001 - a kept result is only ever a shortcut
        log.warning("kept result %s could not be read; computing it", name, exc_info=True)
        return None


def get(con: Any, version: int, name: str, *args: Any, via: Via | None = None) -> Any:
    """The result ``name(*args)`` at data version ``version``: kept, else computed.

    Parameters
    ----------
    con : duckdb connection
    version : int
        The data version the caller read (:func:`analytics.store.queries.data_version`).
    name : str
        One of :data:`NAMES`.
    *args
        The result's arguments, as :data:`NAMES` lists them (a selection and a settings
        key first, for most).
    via : callable, optional
        ``via(name, *args)`` gives the results this one is built on; default :func:`get`.

    Returns
    -------
    Whatever the named computation returns (a DataFrame, a dict, a sentence...).
    """
    hit = lookup(con, version, name, *args)
    return compute(con, version, name, *args, via=via) if hit is None else hit


def compute(con: Any, version: int, name: str, *args: Any, via: Via | None = None) -> Any:
    """``name(*args)`` computed now (its inputs through ``via``), never read from kept."""
    if via is None:
        def via(dep: str, *dep_args: Any) -> Any:
            return get(con, version, dep, *dep_args)
    return _COMPUTE[name](con, via, *args)


# -- the computations: (con, via, *args) -> result ------------------------------------

def _panel(con: Any, via: Via, f: Filters, sk: str) -> Any:
    return data.panel(con, f, settings_of(sk))


def _period_rows(con: Any, via: Via, f: Filters, sk: str, period: str) -> Any:
    panel = via("panel", f, sk)
    return panel[panel.period == period]


def _summary(con: Any, via: Via, f: Filters, sk: str, period: str) -> str:
    return summary.plain_summary(via("panel", f, sk), via("alerts", f, sk, period),
                                 settings_of(sk), period)


def _whole_company(f: Filters) -> Filters:
    """The selection's months over every unit: no scope, no org or department filter
    (the panel describes whole units and ignores departments, so keeping them would only
    key the same panel twice).

    Alerts are computed against the whole company and then narrowed to the units a
    selection covers (metrics.md §4): the shrinkage toward the company and the company's
    month-to-month variation must not depend on who is looking.
    """
    return Filters(period_from=f.period_from, period_to=f.period_to)


def _alerts(con: Any, via: Via, f: Filters, sk: str, period: str | None = None) -> Any:
    mine = via("panel", f, sk)
    if period is None and len(mine):
        period = str(mine["period"].astype(str).max())
    found = alerts.all_alerts(via("panel", _whole_company(f), sk), settings_of(sk), period)
    return found[found["unit_id"].isin(set(mine["unit_id"]))].reset_index(drop=True)


def _imbalance_history(con: Any, via: Via, f: Filters, sk: str) -> Any:
    return alerts.imbalance_history(via("panel", f, sk), settings_of(sk),
                                    company=via("panel", _whole_company(f), sk))


def _what_if_units(con: Any, via: Via, f: Filters, sk: str, delta: float,
                   units: tuple[str, ...]) -> Any:
    return views.what_if_units(via("chain", f, sk), delta, via("legs", f, sk), list(units),
                               settings_of(sk))


def _on(dep: str, fn: Callable[..., Any], *, settings: str = "positional") -> Callable:
    """A result computed from the result ``dep`` of the same selection and settings.

    ``settings`` says how ``fn`` takes them: ``"positional"`` right after the extra
    arguments, ``"keyword"`` as ``settings=``, ``"none"`` not at all.
    """
    def run(con: Any, via: Via, f: Filters, sk: str, *extra: Any) -> Any:
        base = via(dep, f, sk)
        if settings == "none":
            return fn(base, *extra)
        if settings == "keyword":
            return fn(base, *extra, settings=settings_of(sk))
        return fn(base, *extra, settings_of(sk))
    return run


def _reader(fn: Callable[..., Any], *, settings: bool = True) -> Callable:
    """A result read from the store: ``fn(con, filters, [settings,] *extra)``."""
    def run(con: Any, via: Via, f: Filters, *rest: Any) -> Any:
        if not settings:
            return fn(con, f, *rest)
        sk, *extra = rest
        return fn(con, f, settings_of(sk), *extra)
    return run


_COMPUTE: dict[str, Callable[..., Any]] = {
    # the executive pages: (filters, settings_key, ...)
    "panel": _panel,
    "kpis": _reader(data.kpis),                                   # by
    "company": _reader(data.company),
    "legs": _on("panel", balance.legs_frame),
    "balance": _on("legs", balance.balance, settings="none"),
    "imbalance_history": _imbalance_history,                      # whole company
    "alerts": _alerts,                                            # period; whole company
    "summary": _summary,                                          # period
    "period_rows": _period_rows,                                  # period
    "chain": _on("legs", chain.chain_estimate, settings="keyword"),
    "what_if": _on("chain", chain.what_if),                       # delta
    "what_if_units": _what_if_units,                              # delta, units
    "relationships": _on("legs", relationships.relationships, settings="keyword"),
    "evidence": _on("relationships", views.evidence_table, settings="none"),
    "lag_profile": _on("legs", relationships.lag_profile, settings="keyword"),   # a, b
    "pair_view": _on("legs", views.pair_view, settings="keyword"),  # a, b, view, lag
    "unit_history": _on("panel", views.unit_history),             # unit_id
    # People: (filters, settings_key, ...), employee figures protected by people.*
    "people_selection": _reader(people.selection),
    "people_summary": _reader(people.summary),
    "people_groups": _reader(people.by_group),                    # by
    "people_esat_csat": _reader(people.esat_vs_csat),             # by
    "people_heatmap": _reader(people.item_heatmap),               # by
    "people_enps": _reader(people.enps_distribution),             # by
    "people_drivers": _reader(people.drivers),
    "people_comments": _reader(people.comments),                  # limit
    "people_quarters": _reader(people.quarters),
    # Customers: (customer filters, ...) with no settings but for the drivers
    "customer_summary": _reader(customers.summary, settings=False),
    "customer_trend": _reader(customers.trend, settings=False),
    "customer_drivers": _reader(customers.drivers),
    "customer_complaints": _reader(customers.complaints, settings=False),
    "customer_comments": _reader(customers.comments, settings=False),  # limit
}

#: every result :func:`get` can find
NAMES: tuple[str, ...] = tuple(_COMPUTE)
