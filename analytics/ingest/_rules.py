"""Matching rules for :func:`analytics.ingest.mapping.suggest_mapping`, and date formats.

Rules are regular expressions over the *words* of a column name or question text
(``"JobSatisfaction"`` → ``"job satisfaction"``), tried in priority order; the first column
a rule matches (and whose sample values fit) gets the target.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import NamedTuple

import pandas as pd

S, E, C, F, U = ("employee", "customer"), ("employee",), ("customer",), ("financials",), ("units",)
_UNIT = r"(store|branch|unit|location|team|site|outlet|shop|office|restaurant|call cent(?:re|er))"
_ID = r"^(response ?id|respondent( id)?|unique ?id|id)$"
#: (target, datasets, pattern on the words of the name or the question text), by priority.
_RULE_TABLE: list[tuple[str, tuple[str, ...], str]] = [
    ("response_date", S, r"^((response|survey|submission) date|date submitted)$"),
    ("response_date", S, r"^(end ?date|end time|completion time|(completed|submitted)( at| on)?)$"),
    ("response_date", S, r"^(time ?stamp|recorded ?date|date)$"),
    ("period", S + F, r"^(period|month|(reporting|fiscal) (month|period)|year month|month year)$"),
    ("period", F, r"^((order|invoice|transaction|posting|sales?|booking|document) )?date$"),
    ("respondent_id", E, _ID),
    ("response_id", C, _ID),
    ("unit_id", S + F, rf"^(\w+ )?{_UNIT}( (id|code|no|number|name))?$"),
    ("unit_id", S + F, rf"^(which|what|in which|at which|select (your|the)) (\w+ )?{_UNIT}\b"),
    ("unit_id", U, rf"^({_UNIT} )?(id|code|no|number)$|^{_UNIT}$"),
    ("unit_name", U, rf"^({_UNIT} )?name$"),
    ("region", U, r"^region( name)?$"),
    ("division", U, r"^division( name)?$"),
    ("manager_email", U, r"^(manager )?e ?mail( address)?$"),
    ("headcount", U + F, r"^(head ?count|ftes?|employees|number of employees|staff count)$"),
    ("department", E, r"^(department|dept)( name)?$|^(which|what|in which) department\b"),
    ("role", E, r"^(role|job role|job title|position)$|^(which|what) (\w+ )*role\b"),
    ("tenure_band", E, r"^(tenure( band)?|length of service)$|^how long have you (worked|been)\b"),
    ("esat", E, r"^(esat|job satisfaction|overall (job )?satisfaction|employee satisfaction)$"),
    ("esat", E, r"\boverall\b.*\bsatisf|\bsatisf\w* (are you )?with (your|my) (job|work)\b"),
    ("esat", E, r"\bsatisf\w*\b.*\b(job|working|employer)\b"),
    ("enps", E, r"^e ?nps$|\brecommend\w*\b.*\b(place to work|work|working|employer)\b"),
    ("csat", C, r"^(csat|overall satisfaction|customer satisfaction)$|\boverall\b.*\bsatisf"),
    ("csat", C, r"^(satisfaction( score| rating)?|overall rating)$|\bsatisf\w*\b.*\boverall\b"),
    ("csat", C, r"^how satisfied (were|are) you with (your|the|our) (visit|experience|service)$"),
    ("nps", C, r"^nps$|net promoter|\blikel\w*\b.*\brecommend|\brecommend\b.*\blikel"),
    ("channel", C, r"^(contact |service )?channel$|^how did you contact us\b"),
    ("complaint", C, r"^(complaint|complained)$|^did you (make|have|raise) a complaint\b"),
    ("resolved", C, r"^(issue |complaint )?resolved$|^(was|has) your \w+ (been )?resolved\b"),
    ("resolution_hours", C, r"^(resolution (hours|time)|hours to resolve|time to resolve)$"),
    ("comment", S, r"^((other |additional )?comments?|feedback|verbatim|suggestions?)$"),
    ("comment", S, r"\b(any other (feedback|comments?)|anything else|what could we do better)\b"),
    ("revenue", F, r"^(net |gross |total )?(sales|revenue|turnover)( amount)?$"),
    ("cost_of_sales", F, r"^(cogs|cos|cost of (sales|goods( sold)?|revenue))$"),
    ("gross_profit", F, r"^(gross (profit|income|margin)|profit)$"),
    ("operating_costs", F, r"^(operating (costs?|expenses?)|opex|overheads?)$"),
    ("labour_cost", F, r"^((labou?r|payroll|staff|personnel) costs?|payroll|wages)$"),
    ("transactions", F, r"^(transactions|transaction count|number of (transactions|orders))$"),
    ("target_margin_pct", F, r"^target (gross )?margin( pct| percent| percentage)?$"),
    ("revenue", F, r"^total$"),
    ("unit_id", S + F, r"^region( name)?$"),
]
RULES = [(t, d, re.compile(p)) for t, d, p in _RULE_TABLE]
#: Survey-platform metadata, never stored.
IGNORE_ANY = re.compile(
    r"^(start ?(date|time)|status|ip ?address|progress|duration( in seconds)?|finished|"
    r"recipient (last name|first name|email)|external (data )?reference|location (latitude|"
    r"longitude|accuracy)|distribution channel|user ?language|response (set|type)|collector id|"
    r"custom data \d+|last modified time|q recaptcha score)$"
)
#: Personal data in survey files: never stored (metrics.md §7).
IGNORE_PERSONAL = re.compile(
    r"\b(e ?mail|first name|last name|full name|surname|phone|mobile|date of birth)\b|"
    r"^name$|\byour (full )?name\b"
)
ID_LIKE = re.compile(r"\b(employee|staff|customer|member|client) ?(id|number|no|code)\b")
NOT_ITEM = re.compile(
    r"\b(id|num|number|count|age|years?|level|hours?|rate|amount|price|quantity|latitude|"
    r"longitude|duration|progress|income|salary|distance|percent|percentage)\b"
)
RATING_WORDS = re.compile(
    r"satisf|\brating\b|\bscore\b|agree|engag|involvement|balance|happ|motivat|recommend|"
    r"proud|trust|respect|support|well ?being|stress|quality|courte|speed|value|knowledg|"
    r"friendl|helpful|clean|recogni|communicat|fair|worth|welcom"
)
ITEM_ALIASES = [(a, re.compile(p)) for a, p in [
    ("courtesy", r"courte|friendl|polite"), ("speed", r"speed|quick|fast|\bwait"),
    ("quality", r"quality"), ("value", r"\bvalue|price|worth"), ("knowledge", r"knowledg|expert"),
]]
TRANSACTION_ID = re.compile(r"\b(order|invoice|transaction|receipt|ticket) ?(id|no|number)\b")


def words(text: str) -> str:
    """Lower-case words of a name: ``"JobSatisfaction"`` → ``"job satisfaction"``."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", str(text))
    text = re.sub(r"(?<=\w)['\u2019](?=\w)", "", text)
    return " ".join(re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", text).casefold()).split())


_ISO = re.compile(r"^\d{4}-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?$")
_DAYS = ("%m/%d/%Y", "%d/%m/%Y", "%m/%d/%y", "%d/%m/%y", "%Y/%m/%d", "%Y-%m-%d", "%d.%m.%Y",
         "%d.%m.%y",
         "%d-%m-%Y", "%d-%m-%y", "%m-%d-%Y", "%d %b %Y", "%d-%b-%Y", "%d-%b-%y", "%b %d, %Y",
         "%d %B %Y", "%B %d, %Y", "%b %Y", "%B %Y", "%m/%Y", "%Y%m%d")
_TIMES = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", " %H:%M:%S.%f")
_FORMATS = tuple(d + t for d in _DAYS for t in _TIMES)


class DateFormatGuess(NamedTuple):
    """Result of :func:`detect_date_format`."""

    format: str | None  #: strptime format; None for ISO 8601 (or when nothing parsed)
    ok: bool  #: every value parses with ``format`` or is ISO; False when there are none
    alternative: str | None  #: the other reading when day and month order are ambiguous


def _parses(fmt: str, value: str) -> bool:
    try:
        parsed = datetime.strptime(value, fmt)
    except ValueError:
        return False
    return parsed.year >= 1900 or "%Y" not in fmt


def detect_date_format(values: pd.Series) -> DateFormatGuess:
    """Detect how the dates in a column are written.

    Parameters
    ----------
    values : pandas.Series
        Date strings (a sample); blanks are ignored.

    Returns
    -------
    DateFormatGuess
        ``format`` is None for ISO dates (``2026-10-03``, ``2026-10-03 14:05:00``,
        ``2026-10``), else a strptime format such as ``"%m/%d/%Y %H:%M:%S"``. When every
        value fits both month-first and day-first, month-first is returned and the
        day-first format is given as ``alternative``, for the user to confirm.

    Examples
    --------
    >>> detect_date_format(pd.Series(["22/04/2016", "03/05/2016"]))
    DateFormatGuess(format='%d/%m/%Y', ok=True, alternative=None)
    >>> detect_date_format(pd.Series(["9/8/18 15:29"])).alternative
    '%d/%m/%y %H:%M'
    """
    texts = [v for v in dict.fromkeys(str(x).strip() for x in values) if v]
    if not texts or all(_ISO.match(v) for v in texts):
        return DateFormatGuess(None, bool(texts), None)
    fits = [f for f in _FORMATS if _parses(f, texts[0])]
    fits = [f for f in fits if all(_parses(f, v) for v in texts[1:])]
    if not fits:
        return DateFormatGuess(None, False, None)
    first = fits[0]
    other = re.sub(r"%[md]", lambda m: "%d" if m.group() == "%m" else "%m", first)
    return DateFormatGuess(first, True, other if other != first and other in fits else None)


