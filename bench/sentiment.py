"""Comment sentiment and themes: accuracy against VADER on held-out labelled sentences, and
what the model costs (``python -m bench sentiment [--refit]``).

The evaluation set (``tests/data/comments_labelled.csv``, 424 workplace and customer
comments labelled by hand) is never used for fitting: the classifiers are fitted on
``analytics/metrics/data/comment_train.csv`` (and the theme codebook), their settings
chosen by 5-fold cross-validation inside that training set. ``--refit`` fits them again
and writes ``analytics/metrics/data/comment_model.npz`` before evaluating.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "data" / "comments_labelled.csv"
SENTIMENT_C = (0.3, 1.0, 3.0, 10.0)
THEME_C = (3.0, 10.0, 30.0)
THEME_THRESHOLDS = (0.0, 0.2, 0.3, 0.4, 0.5)
FOLDS = 5


def _lr(c: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=5000)


def _cv_proba(x: np.ndarray, y: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=0)
    return np.unique(y), cross_val_predict(_lr(c), x, y, cv=folds, method="predict_proba")


def themed(classes: np.ndarray, p: np.ndarray, threshold: float) -> np.ndarray:
    """The theme given to each row: the most likely codebook theme (never the "none"
    class) if its probability reaches ``threshold`` (as the app assigns them)."""
    from analytics.metrics.comment_model import best_theme

    theme, _ = best_theme(classes, p, threshold)
    return theme


def theme_scores(got: np.ndarray, gold: np.ndarray) -> dict[str, float]:
    """Precision of the themes given, recall of the themes labelled, F0.5 (precision first)."""
    given, labelled = got != "", gold != ""
    hit = (got == gold) & given
    prec = hit.sum() / max(given.sum(), 1)
    rec = hit.sum() / max(labelled.sum(), 1)
    f = 1.25 * prec * rec / (0.25 * prec + rec) if prec + rec else 0.0
    return {"precision": prec, "recall": rec, "f05": f, "accuracy": float((got == gold).mean())}


def _choose(x: np.ndarray, y: np.ndarray, xt: np.ndarray, yt: np.ndarray) -> dict[str, float]:
    """The settings with the best 5-fold cross-validated score on the training set: the
    sentiment C by accuracy, the theme C and threshold by F0.5 on the training sentences."""
    acc = {}
    for c in SENTIMENT_C:
        classes, p = _cv_proba(x, y, c)
        acc[c] = float((classes[p.argmax(axis=1)] == y).mean())
    best = None
    for c in THEME_C:
        classes, p = _cv_proba(xt, yt, c)
        for t in THEME_THRESHOLDS:
            f = theme_scores(themed(classes, p, t)[:len(x)], yt[:len(x)])["f05"]
            if best is None or f > best[0] + 1e-12:
                best = (f, c, t)
    return {"sentiment_C": max(acc, key=lambda c: (acc[c], -c)), "theme_C": best[1],
            "theme_threshold": best[2]}


def fit(train: pd.DataFrame, codebook: pd.DataFrame,
        settings: dict[str, float] | None = None) -> dict[str, np.ndarray]:
    """Both classifiers, with ``settings`` or those chosen by cross-validation on ``train``
    alone (:func:`_choose`)."""
    from analytics.metrics.embedding import encode

    x = encode(train["text"].tolist())
    y = train["label"].to_numpy(str)
    # themes: the training sentences (none = "") and the codebook's descriptions
    xt = np.vstack([x, encode(codebook["description"].tolist())])
    yt = np.concatenate([train["theme"].fillna("").to_numpy(str),
                         codebook["theme"].to_numpy(str)])
    chosen = settings or _choose(x, y, xt, yt)
    c_sent, c_theme = chosen["sentiment_C"], chosen["theme_C"]
    threshold = chosen["theme_threshold"]
    sent = _lr(c_sent).fit(x, y)
    theme = _lr(c_theme).fit(xt, yt)
    return {
        "sentiment_coef": sent.coef_, "sentiment_intercept": sent.intercept_,
        "sentiment_classes": sent.classes_.astype(str), "sentiment_C": np.array(c_sent),
        "theme_coef": theme.coef_, "theme_intercept": theme.intercept_,
        "theme_classes": theme.classes_.astype(str), "theme_C": np.array(c_theme),
        "theme_threshold": np.array(threshold),
    }


def refit() -> dict[str, np.ndarray]:
    """Fit from the kept CSVs and write ``comment_model.npz``."""
    from analytics.metrics import comment_model

    train = pd.read_csv(comment_model.TRAIN, keep_default_na=False)
    codebook = pd.read_csv(comment_model.CODEBOOK, keep_default_na=False)
    kept = fit(train, codebook)
    np.savez(comment_model.WEIGHTS, **kept)
    comment_model.weights.cache_clear()
    print(f"refit: sentiment C={float(kept['sentiment_C'])}, theme C={float(kept['theme_C'])}, "
          f"theme threshold {float(kept['theme_threshold'])} -> {comment_model.WEIGHTS}")
    return kept


def _table(name: str, gold: pd.Series, got: np.ndarray) -> list[dict]:
    from sklearn.metrics import precision_recall_fscore_support

    labels = ["positive", "neutral", "negative"]
    prec, rec, _, n = precision_recall_fscore_support(gold, got, labels=labels,
                                                      zero_division=0)
    row = {"method": name, "accuracy": float((gold.to_numpy() == got).mean())}
    for i, lab in enumerate(labels):
        row[f"{lab} P"], row[f"{lab} R"] = prec[i], rec[i]
    return [row]


def evaluate() -> pd.DataFrame:
    """Accuracy and per-class precision/recall of VADER and the model, same sentences."""
    from analytics.metrics import comments

    data = pd.read_csv(EVAL, keep_default_na=False)
    vader = comments.sentiment(data["text"], method="vader")["label"].to_numpy()
    model = comments.sentiment(data["text"])["label"].to_numpy()
    rows = _table("VADER (cut-offs +-0.05)", data["label"], vader)
    rows += _table("MiniLM + logistic regression", data["label"], model)
    table = pd.DataFrame(rows)
    print(f"\nSentiment on {len(data)} held-out labelled comments ({EVAL.name}; "
          f"{data['label'].value_counts().to_dict()})")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    right = data.assign(vader=vader == data["label"], model=model == data["label"])
    for col, what in [("kind", "kind of comment"), ("round", "round (docs/comments.md)")]:
        print(f"\naccuracy by {what}")
        print(right.groupby(col)[["vader", "model"]].agg(["mean", "size"])
              .to_string(float_format=lambda v: f"{v:.2f}"))
    named = data.assign(vader=vader, model=model)
    named = named[named["source"] != "written for this set"]
    print("\nthe demo company's texts and the issue's example")
    wrong = named.loc[named["model"] != named["label"], ["text", "label", "model", "vader"]]
    print(f"model right on {len(named) - len(wrong)} of {len(named)}, VADER on "
          f"{int((named['vader'] == named['label']).sum())}")
    if len(wrong):
        print(wrong.to_string(index=False))

    got = comments.assign_themes(data["text"])["theme"].to_numpy(str)
    scores = theme_scores(got, data["theme"].to_numpy(str))
    print(f"\nThemes (codebook) on the same comments: precision {scores['precision']:.2f} "
          f"(share of themes given that match the hand label), recall {scores['recall']:.2f} "
          f"(share of labelled comments given their theme)")
    return table


_COLD = """
import json, re, sys, time
def rss():
    return int(re.search(r"VmRSS:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) / 1024
t0 = time.perf_counter()
import analytics.metrics.comments as c
t1 = time.perf_counter()
heavy = sorted(m for m in ("onnxruntime", "tokenizers", "sklearn") if m in sys.modules)
r1 = rss()
c.sentiment(__import__("pandas").Series(["My manager listens and backs my decisions."]))
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "first": t2 - t1, "heavy": heavy, "rss": rss() - r1}))
"""


def costs(n: int = 1000) -> None:
    """Import and first-call time in a fresh process; time per ``n`` distinct comments."""
    from analytics.metrics import comments, embedding

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cold = json.loads(subprocess.run([sys.executable, "-c", _COLD], capture_output=True,
                                     text=True, check=True, env=env, cwd=ROOT).stdout)
    data = pd.read_csv(EVAL, keep_default_na=False)["text"]
    texts = pd.Series([f"{t} ({i})" for i, t in enumerate(np.resize(data.to_numpy(), n))])
    rows = []
    for name, fn in [("VADER", lambda: comments.sentiment(texts, method="vader")),
                     ("MiniLM sentiment", lambda: comments.sentiment(texts)),
                     ("MiniLM sentiment + themes (analyse)",
                      lambda: comments.analyse(pd.DataFrame({"comment": texts})))]:
        embedding._cache.clear()
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        rows.append((name, time.perf_counter() - wall, time.process_time() - cpu))
    size = sum(f.stat().st_size for f in [embedding._model_file(), embedding.TOKENIZER])
    print(f"\nCosts ({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}):")
    print(f"import analytics.metrics.comments {cold['import']:.2f} s (loads "
          f"{cold['heavy'] or 'no model library'}); first sentiment call "
          f"{cold['first']:.2f} s (loads onnxruntime, tokenizers and the model), "
          f"+{cold['rss']:.0f} MB resident")
    print(f"model files {size / 1e6:.1f} MB")
    print(f"{'per ' + format(n, ',') + ' distinct comments':40} {'wall s':>8} {'CPU s':>8}")
    for name, wall, cpu in rows:
        print(f"{name:40} {wall:8.2f} {cpu:8.2f}")


def main(flags: list[str] | None = None) -> None:
    if "--refit" in (flags or []):
        refit()
    evaluate()
    costs()
