"""Rating answers: numeric scales, text Likert labels and "no answer" markers.

Survey tools export the same answer in several shapes: ``4``, ``Agree``, ``(4) Agree.``,
``Somewhat agree`` on a 5-point scale but the fourth point of seven on a 7-point one, and
"no basis for evaluation" either as words or as Qualtrics codes ``-1``/``-2``/``-99``.
This module turns them into numbers on a declared scale; a missing marker always becomes
NaN, never a score (metrics.md §2, §5).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import numpy as np
import pandas as pd

Scale = tuple[float, float]

#: Answers that mean "no answer", compared after :func:`normalise_label`.
MISSING_TOKENS: frozenset[str] = frozenset(
    {
        "", "na", "n/a", "n.a", "#n/a", "-", "--", "nan", "null",
        "not applicable", "does not apply", "don't know", "dont know", "do not know",
        "no basis for evaluation", "no basis to judge", "no opinion", "unknown",
        "prefer not to say", "prefer not to answer",
        "n/a - skip", "n/a - skip, don't know",
    }
)
#: Numeric codes Qualtrics writes for "no basis" / "seen but not answered" in rating items.
MISSING_CODES: tuple[int, ...] = (-1, -2, -99)
#: Scales :func:`detect_scale` chooses from, smallest first (metrics.md §2; 1-4 as in IBM HR).
STANDARD_SCALES: tuple[Scale, ...] = ((1, 4), (1, 5), (1, 7), (1, 10), (0, 10))

_MID = "neither"
_AGREE = [
    ("strongly disagree", "disagree", _MID, "agree", "strongly agree"),
    ("strongly disagree", "somewhat disagree", _MID, "somewhat agree", "strongly agree"),
    ("strongly disagree", "disagree", "somewhat disagree", _MID, "somewhat agree", "agree",
     "strongly agree"),
]
_SATISFIED = [
    ("extremely dissatisfied", "dissatisfied", _MID, "satisfied", "extremely satisfied"),
    ("extremely dissatisfied", "somewhat dissatisfied", _MID, "somewhat satisfied",
     "extremely satisfied"),
    ("extremely dissatisfied", "dissatisfied", "somewhat dissatisfied", _MID,
     "somewhat satisfied", "satisfied", "extremely satisfied"),
]
_LIKELY = [
    ("extremely unlikely", "unlikely", _MID, "likely", "extremely likely"),
    ("extremely unlikely", "somewhat unlikely", _MID, "somewhat likely", "extremely likely"),
    ("extremely unlikely", "unlikely", "somewhat unlikely", _MID, "somewhat likely", "likely",
     "extremely likely"),
]
_QUALITY = [
    ("poor", "fair", "good", "very good", "excellent"),
    ("very poor", "poor", "fair", "good", "very good"),
    ("very poor", "poor", "average", "good", "excellent"),
    ("poor", "fair", "good", "excellent"),
]
#: Label families, each a list of variants in order of preference.
FAMILIES: dict[str, list[tuple[str, ...]]] = {
    "agreement": _AGREE,
    "satisfaction": _SATISFIED,
    "likelihood": _LIKELY,
    "quality": _QUALITY,
}
# Words that mean the same scale point: "slightly agree" is the 7-point "somewhat agree".
_SYNONYMS = [
    (re.compile(r"^(slightly|mildly|tend to|partly) "), "somewhat "),
    (re.compile(r"^(completely|totally|fully) (agree|disagree)$"), r"strongly \2"),
    (re.compile(r"^very (dis)?satisfied$"), r"extremely \1satisfied"),
    (re.compile(r"^very (un)?likely$"), r"extremely \1likely"),
    (re.compile(r"^(moderately|mostly) "), ""),
    (re.compile(r"^(neutral|undecided|neither\b.*)$"), _MID),
]
_PREFIX = re.compile(r"^(?:\((-?\d{1,2})\)|(-?\d{1,2})\s*[-.:=)])\s*([^\W\d_].*)$")


def normalise_label(value: Any) -> str:
    """Fold case, no-break spaces, curly quotes and trailing full stops out of an answer.

    Parameters
    ----------
    value : Any
        A raw answer.

    Returns
    -------
    str
        The comparable form, e.g. ``"(2)\u00a0Minor."`` → ``"(2) minor"``.
    """
    text = unicodedata.normalize("NFKC", str(value)).replace("\u2019", "'").casefold()
    return " ".join(text.split()).rstrip(" .!")


def _canonical(label: str) -> str:
    for pattern, repl in _SYNONYMS:
        label = pattern.sub(repl, label)
    return label


def _is_missing_text(series: pd.Series) -> pd.Series:
    text = series.astype(object).astype(str)
    tokens = [u for u in text.unique() if normalise_label(u) in MISSING_TOKENS]
    return series.isna() | text.isin(tokens)


def is_missing_code(value: Any, scale: Scale | None = None) -> bool:
    """Whether a rating answer means "no answer" rather than a score.

    Parameters
    ----------
    value : Any
        One raw answer (text or number).
    scale : tuple of (lo, hi), optional
        The item's declared scale; a code such as ``-1`` inside the scale is a score.

    Returns
    -------
    bool
        True for None/NaN, a :data:`MISSING_TOKENS` text, or a :data:`MISSING_CODES`
        number outside ``scale``.

    Examples
    --------
    >>> is_missing_code("N/A"), is_missing_code("-1", (1, 5)), is_missing_code(3, (1, 5))
    (True, True, False)
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return True
    if normalise_label(value) in MISSING_TOKENS:
        return True
    try:
        number = float(str(value).strip())
    except ValueError:
        return False
    if number not in MISSING_CODES:
        return False
    return scale is None or not scale[0] <= number <= scale[1]


def _numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numeric view of a column and the mask of answers that are not missing markers."""
    present = ~_is_missing_text(values)
    numbers = pd.to_numeric(values.where(present).astype(object), errors="coerce")
    return numbers.astype(float), present


def detect_scale(values: pd.Series) -> Scale | None:
    """Guess the rating scale of a numeric column.

    Parameters
    ----------
    values : pandas.Series
        Raw answers (strings or numbers); missing markers and codes are ignored.

    Returns
    -------
    tuple of (lo, hi) or None
        The smallest of :data:`STANDARD_SCALES` that contains the observed minimum and
        maximum, or None when the answers are not whole numbers within 0-10 (not a rating).

    Examples
    --------
    >>> detect_scale(pd.Series(["1", "4", "-1", "N/A"]))
    (1, 4)
    >>> detect_scale(pd.Series(["0", "9"])), detect_scale(pd.Series(["4.5", "9.1"]))
    ((0, 10), None)
    """
    numbers, present = _numbers(values)
    scores = numbers[~numbers.isin(MISSING_CODES)].dropna()
    answered = int((present & ~numbers.isin(MISSING_CODES)).sum())
    if scores.empty or len(scores) < 0.9 * answered or not (scores % 1 == 0).all():
        return None
    lo, hi = scores.min(), scores.max()
    return next((s for s in STANDARD_SCALES if s[0] <= lo and hi <= s[1]), None)


def _variant_for(labels: set[str], scale: Scale | None) -> tuple[tuple[str, ...], int]:
    """The label variant matching most labels (first on ties) and how many it matched."""
    best: tuple[tuple[str, ...], int] = ((), 0)
    for variants in FAMILIES.values():
        for variant in variants:
            if scale is not None and scale[1] - scale[0] + 1 != len(variant):
                continue
            hits = len(labels & set(variant))
            if hits > best[1]:
                best = (variant, hits)
    return best


def _prefix_codes(labels: dict[str, str], scale: Scale | None) -> tuple[dict, Scale] | None:
    """Codes from SurveyMonkey-style ``(4) Critical.`` prefixes, if every label has one."""
    found = {raw: _PREFIX.match(norm) for raw, norm in labels.items()}
    if not found or not all(found.values()):
        return None
    codes = {raw: float(m.group(1) or m.group(2)) for raw, m in found.items()}
    if len(set(codes.values())) < 2:
        return None
    if scale is None:
        lo, hi = min(codes.values()), max(codes.values())
        if lo == 1:
            scale = next((s for s in STANDARD_SCALES if s[0] == 1 and hi <= s[1]), (lo, hi))
        else:
            scale = (0, 10) if lo == 0 and hi > 4 else (lo, hi)
    return codes, (int(scale[0]), int(scale[1]))


def code_text_scale(
    values: pd.Series, scale: Scale | None = None
) -> tuple[pd.Series, Scale | None, set[str]]:
    """Code text Likert answers as numbers.

    Recognises agreement, satisfaction, likelihood and quality labels (5- and 7-point
    variants, "Somewhat/Slightly agree", "Neutral", "Very/Extremely satisfied", ...) and
    SurveyMonkey ordinal prefixes such as ``(4) Critical.``; case, spacing, no-break
    spaces and a trailing full stop do not matter.

    Parameters
    ----------
    values : pandas.Series
        Raw text answers.
    scale : tuple of (lo, hi), optional
        The declared scale; it selects the variant (e.g. 7 points) and the first code.
        When omitted the variant that explains most distinct answers is used, from 1.

    Returns
    -------
    codes : pandas.Series of float
        The score of each answer; NaN for missing markers and unrecognised answers.
    scale : tuple of (lo, hi) or None
        The scale the codes are on; None when no answer is a known label.
    unmatched : set of str
        Answers that are neither a known label nor a missing marker.

    Examples
    --------
    >>> codes, scale, bad = code_text_scale(pd.Series(["Strongly agree", "Disagree", "N/A"]))
    >>> codes.tolist(), scale, bad
    ([5.0, 2.0, nan], (1, 5), set())
    """
    missing = _is_missing_text(values)
    text = values.astype(object).astype(str)
    raw = pd.Series(text[~missing].unique(), dtype=object)
    norms = {r: normalise_label(r) for r in raw}
    codes: dict[str, float] = {}
    prefixed = _prefix_codes(norms, scale)
    if prefixed is not None:
        codes, found_scale = prefixed
    else:
        canon = {r: _canonical(n) for r, n in norms.items()}
        variant, hits = _variant_for(set(canon.values()), scale)
        if hits == 0:
            found_scale = None
        else:
            lo = scale[0] if scale is not None else 1
            position = {label: lo + i for i, label in enumerate(variant)}
            codes = {r: float(position[c]) for r, c in canon.items() if c in position}
            found_scale = (int(lo), int(lo + len(variant) - 1))
    coded = text.map(codes).where(~missing).astype(float)
    unmatched = {r for r in raw if r not in codes}
    return coded, found_scale, unmatched


def code_ratings(
    values: pd.Series, scale: Scale | None = None
) -> tuple[pd.Series, Scale | None, set[str]]:
    """Code a rating column, numeric or text, ready to be stored.

    Parameters
    ----------
    values : pandas.Series
        Raw answers as read (strings).
    scale : tuple of (lo, hi), optional
        The declared scale; numbers outside it are rejected (``-1``, ``-2`` and ``-99``
        outside it are missing codes, not errors).

    Returns
    -------
    codes : pandas.Series of float
        Scores; NaN for missing markers and for rejected answers.
    scale : tuple of (lo, hi) or None
        ``scale`` if given, else the detected one.
    unmatched : set of str
        Rejected answers (unknown text, numbers outside the scale), for the validator
        to report.

    Examples
    --------
    >>> codes, scale, bad = code_ratings(pd.Series(["5", "-1", "", "7"]), (1, 5))
    >>> codes.tolist(), bad
    ([5.0, nan, nan, nan], {'7'})
    """
    numbers, present = _numbers(values)
    if present.sum() and numbers[present].notna().mean() < 0.5:
        return code_text_scale(values, scale)
    found = scale if scale is not None else detect_scale(values)
    in_scale = _within(numbers, found)
    is_code = numbers.isin(MISSING_CODES) & ~in_scale
    valid = numbers.notna() & (in_scale if found is not None else True)
    bad = present & ~is_code & ~valid
    return numbers.where(valid), found, set(values[bad].astype(str))


def _within(numbers: pd.Series, scale: Scale | None) -> pd.Series:
    if scale is None:
        return pd.Series(False, index=numbers.index)
    return numbers.between(scale[0], scale[1])
