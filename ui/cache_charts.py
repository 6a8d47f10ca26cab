"""Plotly figures cached by their inputs: build and validate once, then reuse.

Building a figure validates every array (a 2,000-point scatter takes about 1 s on this
machine, the balance page's largest single cost on a warm rerun), and ``st.plotly_chart``
does not validate a Figure object again. So the figure's plain form is cached with
``st.cache_data`` under the builder's name and arguments, and each rerun wraps it in a
Figure without validating it a second time: the same spec, sent as before.

Hashing a figure's data to find it costs time too (the balance scatter's 2,000-row
ranking on every rerun); :func:`keyed_figure` finds it by a key the page already holds
instead (data version, selection, settings and whatever else chose the data).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
import streamlit as st


@st.cache_data(show_spinner=False, max_entries=256)
def _figure_dict(builder: str, args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
    module, _, name = builder.rpartition(".")
    return getattr(importlib.import_module(module), name)(*args, **kwargs).to_plotly_json()


def figure(builder: Callable[..., go.Figure], *args: Any, **kwargs: Any) -> go.Figure:
    """``builder(*args, **kwargs)``, cached by the arguments (DataFrames hashed by value)."""
    spec = _figure_dict(f"{builder.__module__}.{builder.__qualname__}", args, kwargs)
    return go.Figure(spec, _validate=False)


@st.cache_data(show_spinner=False, max_entries=256)
def _keyed_figure_dict(builder: str, key: tuple, _args: tuple,
                       _kwargs: dict[str, Any]) -> dict[str, Any]:
    module, _, name = builder.rpartition(".")
    return getattr(importlib.import_module(module), name)(*_args, **_kwargs).to_plotly_json()


def keyed_figure(key: tuple, builder: Callable[..., go.Figure], *args: Any,
                 **kwargs: Any) -> go.Figure:
    """``builder(*args, **kwargs)``, cached under ``key`` and the builder alone: the
    arguments are not hashed, so ``key`` must determine them (e.g. data version,
    filters, settings key and any widget value that changes them)."""
    spec = _keyed_figure_dict(f"{builder.__module__}.{builder.__qualname__}", key, args,
                              kwargs)
    return go.Figure(spec, _validate=False)
