"""The fitted comment classifiers: sentiment and theme, logistic regressions on embeddings.

Both are multinomial logistic regressions on the 384-dimensional sentence embeddings of
:mod:`analytics.metrics.embedding`, fitted by ``python -m bench sentiment --refit`` on
the hand-labelled training sentences in ``data/comment_train.csv`` (and, for themes, the
codebook's descriptions in ``data/comment_themes.csv``); their coefficients are kept in
``data/comment_model.npz`` (numpy arrays only, read without pickle). The app only reads
them, so it needs neither scikit-learn nor the training data at run time; a unit test
refits from the CSVs and checks the kept file still agrees with them.

Accuracy on sentences not used for fitting (``tests/data/comments_labelled.csv``) is in
docs/comments.md and printed by ``python -m bench sentiment``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data"
WEIGHTS = DATA / "comment_model.npz"
TRAIN = DATA / "comment_train.csv"
CODEBOOK = DATA / "comment_themes.csv"
SENTIMENTS: tuple[str, ...] = ("negative", "neutral", "positive")
#: the theme class of comments that fit no codebook theme
NO_THEME = ""


@lru_cache(maxsize=1)
def weights() -> dict[str, np.ndarray]:
    """The kept coefficients (read once per process)."""
    with np.load(WEIGHTS, allow_pickle=False) as kept:
        return {k: kept[k] for k in kept.files}


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _proba(x: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    w = weights()
    classes = w[f"{name}_classes"]
    if len(x) == 0:
        return classes, np.zeros((0, len(classes)))
    return classes, _softmax(x @ w[f"{name}_coef"].T + w[f"{name}_intercept"])


def sentiment_proba(x: np.ndarray) -> np.ndarray:
    """P(negative), P(neutral), P(positive) per embedding row (columns in :data:`SENTIMENTS`)."""
    classes, p = _proba(x, "sentiment")
    order = [list(classes).index(c) for c in SENTIMENTS]
    return p[:, order]


def theme_proba(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The theme classes (``""`` = none of the codebook) and their probabilities per row."""
    return _proba(x, "theme")


def best_theme(classes: np.ndarray, p: np.ndarray,
               threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Each row's most likely codebook theme and its probability, or (``""``, 0) when that
    probability is below ``threshold``; the "none" class only takes probability away."""
    named = classes != NO_THEME
    if len(p) == 0 or not named.any():
        return np.full(len(p), NO_THEME, dtype=object), np.zeros(len(p))
    pn = p[:, named]
    best, prob = classes[named][pn.argmax(axis=1)], pn.max(axis=1)
    keep = prob >= threshold
    return np.where(keep, best, NO_THEME).astype(object), np.where(keep, prob, 0.0)


def theme_threshold() -> float:
    """Least probability at which a comment is given its most likely codebook theme."""
    return float(weights()["theme_threshold"])
