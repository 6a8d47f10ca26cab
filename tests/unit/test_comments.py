"""Comments (analytics.metrics.comments): VADER sentiment, keyword themes, confidentiality."""

from __future__ import annotations

import pandas as pd
import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from analytics.metrics import comments


class _Fixed:
    """A stand-in analyser returning preset compound scores, to test the cut-offs."""

    def __init__(self, scores: dict[str, float]):
        self.scores = scores

    def polarity_scores(self, text: str) -> dict[str, float]:
        return {"compound": self.scores.get(text, 0.0)}


@pytest.mark.parametrize(("compound", "label"), [
    (0.05, "positive"), (0.0499, "neutral"), (0.0, "neutral"), (-0.0499, "neutral"),
    (-0.05, "negative"), (0.9, "positive"), (-0.9, "negative"),
])
def test_labels_use_vaders_cut_offs(monkeypatch, compound, label):
    monkeypatch.setattr(comments, "_analyzer", lambda: _Fixed({"t": compound}))
    assert comments.sentiment(pd.Series(["t"]))["label"].tolist() == [label]


def test_compound_scores_are_vaders_own():
    texts = pd.Series(["Friendly staff and quick service.", "Rude staff, disappointing visit.",
                       "The tills keep breaking."], index=[7, 8, 9])
    out = comments.sentiment(texts)
    reference = SentimentIntensityAnalyzer()
    assert out.index.tolist() == [7, 8, 9]
    assert out["compound"].tolist() == pytest.approx(
        [reference.polarity_scores(t)["compound"] for t in texts])
    assert out["label"].tolist() == ["positive", "negative", "neutral"]


def test_missing_comment_scores_neutral():
    assert comments.sentiment(pd.Series([None, ""]))["label"].tolist() == ["neutral"] * 2


THEME_TEXTS = [
    "Long queue, long queue, long queue!",  # one comment counts once
    "The queue was long and the staff were rude",
    "Rude staff at the till",
    "Nobody thanks us",
    "nobody thanks anyone",
]


def test_themes_count_comments_not_words_and_drop_stop_words():
    df = pd.DataFrame({"comment": THEME_TEXTS})
    out = comments.themes(df, bigrams=False, top_n=10).set_index("theme")
    assert out.loc["queue", "n_comments"] == 2 and out.loc["long", "n_comments"] == 2
    assert out.loc["rude", "n_comments"] == 2 and out.loc["staff", "n_comments"] == 2
    assert out.loc["queue", "pct_comments"] == pytest.approx(40.0)
    assert not {"the", "was", "and", "were", "nobody", "us"} & set(out.index)
    assert "till" not in out.index  # mentioned once: below min_count


def test_phrases_replace_words_that_only_appear_inside_them():
    df = pd.DataFrame({"comment": THEME_TEXTS})
    out = comments.themes(df, top_n=20)
    counts = dict(zip(out.theme, out.n_comments, strict=True))
    # "rude staff" (1) is not a phrase in "staff were rude"; "long queue" (1) neither twice
    assert counts["nobody thanks"] == 2  # a negation may open a phrase
    assert "thanks" not in counts  # always inside "nobody thanks"
    assert counts["staff"] == 2 and counts["rude"] == 2


def test_themes_rank_by_count_then_alphabet_per_group():
    df = pd.DataFrame({"team": ["a"] * 4 + ["b"] * 2,
                       "comment": ["pay low", "pay late", "rota late", "pay", "cold", "cold"]})
    out = comments.themes(df, ["team"], bigrams=False, top_n=2)
    assert out[out.team == "a"][["theme", "n_comments", "rank"]].values.tolist() == [
        ["pay", 3, 1], ["late", 2, 2]]
    assert out[out.team == "b"]["theme"].tolist() == ["cold"]


def test_small_employee_groups_return_nothing():
    df = pd.DataFrame({"team": ["a"] * 9 + ["b"] * 10,
                       "comment": ["secret words here"] * 9 + ["shared words here"] * 10})
    out = comments.analyse(df, ["team"], min_group_size=10)
    for frame in out.values():
        assert set(frame["team"]) <= {"b"}
    assert not out["comments"].comment.str.contains("secret").any()
    assert out["summary"].n_comments.tolist() == [10]


def test_the_full_group_count_decides_not_the_sample():
    # a sample of 3 comments from a group of 40: the group is large enough
    df = pd.DataFrame({"comment": ["fine", "bad", "ok"], "n_comments": 40})
    out = comments.analyse(df, min_group_size=10)
    assert out["summary"][["n_comments", "n_read"]].values.tolist() == [[40, 3]]


def test_customers_have_no_threshold():
    df = pd.DataFrame({"comment": ["Great coffee"]})
    out = comments.analyse(df)
    assert out["comments"].comment.tolist() == ["Great coffee"]


def test_summary_shares_are_of_the_comments_read(monkeypatch):
    scores = {"p1": 0.5, "p2": 0.3, "n1": -0.4, "z": 0.0}
    monkeypatch.setattr(comments, "_analyzer", lambda: _Fixed(scores))
    out = comments.analyse(pd.DataFrame({"comment": list(scores)}))["summary"].iloc[0]
    assert (out.pct_positive, out.pct_negative, out.pct_neutral) == (50.0, 25.0, 25.0)
    assert out.mean_compound == pytest.approx(0.1)


@pytest.mark.parametrize(("raw", "clean"), [
    ("  two\n\nlines\t here ", "two lines here"),
    ("bell\x07 and\x00 null", "bell and null"),
    ("abc\u202edcba", "abc dcba"),  # a right-to-left override cannot reorder the text
    ("<b>bold</b> **md**", "<b>bold</b> **md**"),  # kept literally: shown as text only
])
def test_clean_text_gives_plain_one_line_text(raw, clean):
    assert comments.clean_text(pd.Series([raw])).tolist() == [clean]


def test_blank_comments_are_dropped():
    out = comments.analyse(pd.DataFrame({"comment": ["  ", None, "Real one"]}))
    assert out["comments"].comment.tolist() == ["Real one"]
