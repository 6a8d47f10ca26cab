"""Free-text comments: sentiment, themes and confidentiality.

Sentiment comes from a logistic regression on sentence embeddings (all-MiniLM-L6-v2, run
locally: :mod:`analytics.metrics.embedding`, :mod:`analytics.metrics.comment_model`),
fitted on hand-labelled workplace and customer comments. On 424 held-out labelled
comments it is right about three times in four where VADER, the lexicon this module used
before, is right about half the time (docs/comments.md, ``python -m bench sentiment``).
Each comment gets a ``label`` (the most likely of positive, neutral, negative) and a
``compound`` score, P(positive) - P(negative), from -1 to 1. VADER stays available as
``method="vader"`` (compound score of Hutto & Gilbert, 2014, positive at ``>= 0.05``,
negative at ``<= -0.05``), as the baseline the benchmark compares against.

Themes are named the way a person would name them. A comment is given the theme of a
codebook (``data/comment_themes.csv``: "manager support", "waiting time", ...) that the
theme classifier finds most likely, when that probability reaches the threshold chosen
by cross-validation; comments that fit no codebook theme are grouped by the two-word
phrases they share ("car park", "self checkout"), never by single words. Each theme has
its count of comments, their sentiment and two example comments.

Confidentiality (metrics.md §7): employee comments of a group with fewer than
``Settings.min_comment_group_size`` comments are not returned at all, nor their themes or
sentiment; customer comments have no threshold. Comments are returned as plain text:
control characters removed and whitespace collapsed, never rendered as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from analytics.metrics import comment_model

#: VADER's recommended cut-offs for the compound score
POSITIVE_AT, NEGATIVE_AT = 0.05, -0.05
LABELS: tuple[str, ...] = ("positive", "neutral", "negative")
#: a theme's sentiment is its most common label when at least this share of its comments
#: carry it, else "mixed"
MAJORITY = 0.6
_WORD = r"[a-z][a-z']*[a-z]"
_BREAK = r"[.,;:!?()\[\]]"  # clause punctuation ends a phrase: "queue, long" is none
_CONTROL = r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]"

#: English stop words: function words, pronouns, auxiliaries and their contractions, plus
#: fillers that carry no theme in survey comments ("really", "also", "get").
_STOP_TEXT = """
a about above after again against all almost also although always am among an and
another any anyone anything are aren't around as at away back be because been before
being below between both but by can can't cannot could couldn't did didn't do does
doesn't doing don't done down during each either else even ever every everyone
everything for from further get gets getting go goes going got had hadn't has hasn't
have haven't having he he'd he'll he's her here here's hers herself him himself his how
how's however i i'd i'll i'm i've if in into is isn't it it's its itself just keep kept
know least less let let's like lot lots made make makes many may me might more most
much must mustn't my myself need needs never no nobody none nor not nothing now of off
often on once one only onto or other others ought our ours ourselves out over own per
quite rather really said same say says see seem seemed seems several shall shan't she
she'd she'll she's should shouldn't since so some somebody someone something sometimes
still such than that that's the their theirs them themselves then there there's these
they they'd they'll they're they've thing things this those though through thus to too
toward towards under until up upon us very via was wasn't way we we'd we'll we're we've
well were weren't what what's whatever when when's where where's whether which while
who who's whom whose why why's will with within without won't would wouldn't yes yet
you you'd you'll you're you've your yours yourself yourselves
"""
STOP_WORDS: frozenset[str] = frozenset(_STOP_TEXT.split())
#: negations are no theme alone, but may open a phrase ("nobody thanks", "not enough")
NEGATIONS: frozenset[str] = frozenset(
    {"no", "not", "nobody", "never", "nothing", "none", "nor", "cannot", "without"})


@lru_cache(maxsize=1)
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def _encode(texts: pd.Series) -> np.ndarray:
    from analytics.metrics.embedding import encode

    return encode(texts.tolist())


def clean_text(texts: pd.Series) -> pd.Series:
    """Comments as plain one-line text: control and direction characters removed,
    whitespace collapsed, ends trimmed; missing stays missing."""
    text = texts.astype("string")
    text = text.str.replace(_CONTROL, " ", regex=True)
    return text.str.replace(r"\s+", " ", regex=True).str.strip()


def _from_vectors(x: np.ndarray) -> pd.DataFrame:
    """Sentiment and codebook theme of each embedded comment."""
    p = comment_model.sentiment_proba(x)  # negative, neutral, positive
    theme, p_theme = comment_model.best_theme(*comment_model.theme_proba(x),
                                              comment_model.theme_threshold())
    return pd.DataFrame({
        "compound": p[:, 2] - p[:, 0],
        "label": np.array(comment_model.SENTIMENTS)[p.argmax(axis=1)].astype(object),
        "theme": theme, "p_theme": p_theme,
    })


def _score(texts: pd.Series) -> pd.DataFrame:
    """:func:`_from_vectors` of each comment; blank ones are neutral with no theme and load
    no model."""
    text = texts.astype("string").fillna("")
    real = (text.str.strip() != "").to_numpy()
    out = pd.DataFrame({"compound": 0.0, "label": "neutral", "theme": comment_model.NO_THEME,
                        "p_theme": 0.0}, index=texts.index)
    if real.any():
        out.loc[real] = _from_vectors(_encode(text[real])).set_axis(texts.index[real]).values
    return out.astype({"compound": float, "p_theme": float})


def sentiment(texts: pd.Series, method: str = "model") -> pd.DataFrame:
    """Sentiment of each comment.

    Parameters
    ----------
    texts : pandas.Series of str
        Comments; missing or blank ones score 0 (neutral).
    method : {"model", "vader"}
        ``"model"``: the embedding classifier (the default). ``"vader"``: VADER's
        compound score with its authors' cut-offs (the benchmark's baseline).

    Returns
    -------
    pandas.DataFrame
        Same index as ``texts``, columns

        - ``compound``: -1 (most negative) .. 1 (most positive); for the model
          P(positive) - P(negative), for VADER its compound score
        - ``label``: ``'positive'``, ``'neutral'`` or ``'negative'``

    Example
    -------
    >>> import pandas as pd
    >>> sentiment(pd.Series(["Great team!", "Rude and slow.", "I work in the bakery."]))[
    ...     "label"].tolist()
    ['positive', 'negative', 'neutral']
    """
    if method == "vader":
        score = _analyzer().polarity_scores
        text = texts.astype("string").fillna("")
        compound = np.array([score(t)["compound"] for t in text], dtype=float)
        label = np.select([compound >= POSITIVE_AT, compound <= NEGATIVE_AT],
                          ["positive", "negative"], "neutral")
        return pd.DataFrame({"compound": compound, "label": label}, index=texts.index)
    if method != "model":
        raise ValueError(f"method must be 'model' or 'vader', not {method!r}")
    return _score(texts)[["compound", "label"]]


def assign_themes(texts: pd.Series) -> pd.DataFrame:
    """The codebook theme of each comment.

    Returns
    -------
    pandas.DataFrame
        Same index as ``texts``: ``theme`` (``""`` when no codebook theme is likely
        enough) and ``p_theme`` (its probability; 0 without a theme).
    """
    return _score(texts)[["theme", "p_theme"]]


def _phrases(texts: pd.Series) -> pd.DataFrame:
    """One row per (comment position, distinct two-word phrase it contains): a word that is
    no stop word (or a negation) followed, in the same clause, by a word that is no stop
    word."""
    words = texts.astype("string").fillna("").str.lower().str.findall(f"{_WORD}|{_BREAK}")
    long = words.explode().dropna().rename("term").to_frame()
    long["doc"] = long.index
    long = long.reset_index(drop=True)
    long["term"] = long["term"].astype(str).str.replace(r"'s$", "", regex=True)
    keep = ~long["term"].isin(STOP_WORDS) & (long["term"].str.len() >= 3)
    negation = long["term"].isin(NEGATIONS) | long["term"].str.endswith("n't")
    nxt = long.groupby("doc")["term"].shift(-1)
    nxt_keep = keep.groupby(long["doc"]).shift(-1, fill_value=False).astype(bool)
    pair = (keep | negation) & nxt_keep
    return pd.DataFrame({"doc": long.loc[pair, "doc"],
                         "theme": long.loc[pair, "term"] + " " + nxt[pair]}).drop_duplicates()


THEME_COLUMNS: tuple[str, ...] = (
    "theme", "n_comments", "pct_comments", "rank", "sentiment", "mean_compound",
    "pct_positive", "pct_negative", "example_1", "example_2", "source")


def _mentions(scored: pd.DataFrame) -> pd.DataFrame:
    """(doc, theme, source, weight): codebook themes, and the phrases of the comments
    that have none; of phrases found in exactly the same comments ("friendly staff" and
    "quick service" in "Friendly staff and quick service."), only the first is kept."""
    coded = scored["theme"] != comment_model.NO_THEME
    book = pd.DataFrame({"doc": scored.index[coded], "theme": scored.loc[coded, "theme"],
                         "source": "codebook", "weight": scored.loc[coded, "p_theme"]})
    rest = _phrases(scored.loc[~coded, "comment"]).reset_index(drop=True)
    if len(rest):
        same = rest.groupby("theme").agg(
            docs=("doc", lambda d: tuple(sorted(d))),
            first=("doc", lambda d: d.index.min()))
        kept = same.sort_values("first").drop_duplicates("docs").index
        rest = rest[rest["theme"].isin(kept)]
    rest = rest.assign(source="phrase", weight=0.0)
    return pd.concat([book, rest], ignore_index=True)


def _theme_table(scored: pd.DataFrame, groups: list[str], by: list[str], top_n: int,
                 min_count: int) -> pd.DataFrame:
    columns = [*groups, *THEME_COLUMNS]
    hits = _mentions(scored)
    if hits.empty:
        return pd.DataFrame(columns=columns)
    hits = hits.join(scored[[*by, "comment", "compound", "label"]], on="doc")
    for label in LABELS:
        hits[f"pct_{label}"] = (hits["label"] == label) * 100.0
    keys = [*by, "source", "theme"]
    table = hits.groupby(keys, dropna=False).agg(
        n_comments=("doc", "size"), mean_compound=("compound", "mean"),
        pct_positive=("pct_positive", "mean"), pct_neutral=("pct_neutral", "mean"),
        pct_negative=("pct_negative", "mean")).reset_index()
    table = table[table["n_comments"] >= min_count]
    # the two most typical distinct comments: highest theme probability, then order read
    ex = hits.drop_duplicates([*keys, "comment"]).sort_values(
        ["weight", "doc"], ascending=[False, True], kind="stable")
    ex["_n"] = ex.groupby(keys, dropna=False).cumcount() + 1
    ex = ex[ex["_n"] <= 2].pivot_table(index=keys, columns="_n", values="comment",
                                       aggfunc="first", dropna=False)
    ex = ex.reindex(columns=[1, 2]).set_axis(["example_1", "example_2"], axis=1)
    ex = ex.astype("string")  # one kind of missing (<NA>) when a theme has one text
    table = table.merge(ex.reset_index(), on=keys, how="left")
    sizes = scored.groupby(by, dropna=False).size().rename("_size").reset_index()
    table = table.merge(sizes, on=by, how="left")
    table["pct_comments"] = table["n_comments"] * 100.0 / table["_size"]
    shares = table[["pct_positive", "pct_neutral", "pct_negative"]].to_numpy()
    table["sentiment"] = np.where(shares.max(axis=1) >= MAJORITY * 100,
                                  np.array(LABELS)[shares.argmax(axis=1)], "mixed")
    table = table.sort_values([*by, "n_comments", "theme"],
                              ascending=[*[True] * len(by), False, True], kind="stable")
    table["rank"] = table.groupby(by, dropna=False).cumcount() + 1
    table = table[table["rank"] <= top_n]
    table["n_comments"] = table["n_comments"].astype(int)
    return table[columns].reset_index(drop=True)


def themes(
    frame: pd.DataFrame,
    group_cols: Sequence[str] = (),
    text_col: str = "comment",
    top_n: int = 8,
    min_count: int = 2,
) -> pd.DataFrame:
    """The themes of each group's comments, with their sentiment and two examples.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per comment.
    group_cols : sequence of str
        Columns defining a group (none: all comments are one group).
    text_col : str
        Column of comment text.
    top_n : int
        Themes kept per group.
    min_count : int
        Fewest comments a theme must have.

    Returns
    -------
    pandas.DataFrame
        Columns: ``group_cols``; ``theme`` (a codebook theme such as "waiting time", or a
        two-word phrase shared by comments that fit none); ``n_comments`` (comments with
        it: a comment has at most one codebook theme, and is counted once per phrase);
        ``pct_comments`` (of the group's comments, 0-100); ``rank`` (1 = most comments;
        ties alphabetical); ``sentiment`` (``positive``, ``neutral`` or ``negative`` when
        at least 60% of its comments are, else ``mixed``); ``mean_compound``,
        ``pct_positive``, ``pct_negative`` (of its comments, 0-100); ``example_1``,
        ``example_2`` (two distinct comments, the most typical first; missing when it
        has one distinct text); ``source`` (``codebook`` or ``phrase``). Sorted by group
        then rank.

    Example
    -------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"comment": ["Waited forty minutes in the queue.",
    ...                                "The queue was out of the door again.",
    ...                                "Friendly staff at the counter."]})
    >>> themes(df)[["theme", "n_comments", "sentiment"]].values.tolist()
    [['waiting time', 2, 'negative']]
    """
    groups = list(group_cols)
    rows = frame.reset_index(drop=True)
    rows = rows.assign(comment=rows[text_col])
    by = groups or ["_all"]
    if not groups:
        rows = rows.assign(_all=0)
    scored = pd.concat([rows, _score(rows["comment"])], axis=1)
    return _theme_table(scored, groups, by, top_n, min_count)


def analyse(
    frame: pd.DataFrame,
    group_cols: Sequence[str] = (),
    text_col: str = "comment",
    min_group_size: int | None = None,
    n_col: str | None = "n_comments",
    top_n: int = 8,
) -> dict[str, pd.DataFrame]:
    """Sentiment, themes and a summary of comments, with small groups withheld.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per comment with ``group_cols`` and ``text_col`` (as
        ``analytics.store.responses.comments`` returns; it may be a sample of each group).
    group_cols : sequence of str
        Columns defining a group.
    text_col : str
        Column of comment text.
    min_group_size : int or None
        Employee comments: ``Settings.min_comment_group_size``. A group with fewer
        comments is dropped from every output. None (customers): no threshold.
    n_col : str or None
        Column with each group's full comment count (before any sampling); when absent,
        the rows of the group are counted.
    top_n : int
        Themes per group.

    Returns
    -------
    dict of pandas.DataFrame
        - ``comments``: ``group_cols``, ``comment`` (plain text), ``compound``, ``label``,
          ``theme`` (its codebook theme, ``""`` for none)
        - ``summary``: ``group_cols``, ``n_comments`` (in the group), ``n_read`` (rows
          analysed), ``mean_compound``, ``pct_positive``, ``pct_neutral``,
          ``pct_negative`` (0-100, of the rows analysed)
        - ``themes``: as :func:`themes`

    Example
    -------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"team": ["a"] * 2 + ["b"] * 12,
    ...                    "comment": ["Love it"] * 2 + ["Too slow"] * 12})
    >>> analyse(df, ["team"], min_group_size=10)["summary"]["team"].tolist()
    ['b']
    """
    groups = list(group_cols)
    rows = frame.reset_index(drop=True).copy()
    rows[text_col] = clean_text(rows[text_col])
    rows = rows[rows[text_col].fillna("") != ""].reset_index(drop=True)
    by = groups or ["_all"]
    if not groups:
        rows["_all"] = 0
    if n_col and n_col in rows:
        size = pd.to_numeric(rows[n_col], errors="coerce")
    else:
        size = rows.groupby(by, dropna=False)[text_col].transform("size")
    if min_group_size is not None:
        rows = rows[size >= min_group_size].reset_index(drop=True)
        size = size[size >= min_group_size].reset_index(drop=True)
    rows = rows.assign(_size=size.to_numpy(), comment=rows[text_col])
    scored = pd.concat([rows, _score(rows["comment"])], axis=1)
    for label in LABELS:
        scored[f"pct_{label}"] = (scored["label"] == label) * 100.0
    summary = scored.groupby(by, dropna=False, sort=True).agg(
        n_comments=("_size", "max"), n_read=("comment", "size"),
        mean_compound=("compound", "mean"), pct_positive=("pct_positive", "mean"),
        pct_neutral=("pct_neutral", "mean"), pct_negative=("pct_negative", "mean"),
    ).reset_index()
    summary["n_comments"] = summary["n_comments"].astype(int)
    return {
        "comments": scored[[*groups, "comment", "compound", "label", "theme"]]
        .reset_index(drop=True),
        "summary": summary[[*groups, *summary.columns[len(by):]]],
        "themes": _theme_table(scored, groups, by, top_n, min_count=2),
    }
