"""Safe tables for download: no cell may be read as a spreadsheet formula."""

from __future__ import annotations

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy where text cells starting with = + - @ (or tab/CR) are prefixed with a quote.

    Numbers stay numbers, so a negative margin is still a number in the spreadsheet; only
    text that a spreadsheet would evaluate is defused (OWASP CSV injection advice).

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table about to be downloaded.

    Returns
    -------
    pandas.DataFrame
        Same shape and columns; text cells that start with a formula character get a
        leading ``'``.

    Example
    -------
    >>> neutralise_formulas(pd.DataFrame({"c": ["=1+1", "ok"]}))["c"].tolist()
    ["'=1+1", 'ok']
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            text = out[col].astype("string")
            risky = text.str.startswith(FORMULA_START, na=False)
            out[col] = out[col].where(~risky, "'" + text)
    out.columns = [("'" + c) if isinstance(c, str) and c.startswith(FORMULA_START) else c
                   for c in out.columns]
    return out
