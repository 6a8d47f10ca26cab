"""Free-text comments: sentiment (VADER), themes (frequent keywords) and confidentiality.

Sentiment is VADER's compound score (Hutto & Gilbert, 2014; the lexicon ships inside the
``vaderSentiment`` package, nothing is fetched), labelled with the authors' cut-offs:
positive at ``compound >= 0.05``, negative at ``compound <= -0.05``, neutral between.

Themes are the words (and two-word phrases) that most comments of a group mention,
lowercased, without English stop words (:data:`STOP_WORDS`, defined here) and without
words of fewer than three letters; a negation is kept only as the first word of a
phrase ("nobody thanks", "not enough"). A theme is counted once per comment that mentions it,
so one long rant does not make a theme; a word that only ever appears inside one
phrase of the group (same count) is left out in favour of the phrase.

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

#: VADER's recommended cut-offs for the compound score
POSITIVE_AT, NEGATIVE_AT = 0.05, -0.05
LABELS: tuple[str, ...] = ("positive", "neutral", "negative")
_WORD = r"[a-z][a-z']*[a-z]"
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


def clean_text(texts: pd.Series) -> pd.Series:
    """Comments as plain one-line text: control and direction characters removed,
    whitespace collapsed, ends trimmed; missing stays missing."""
    text = texts.astype("string")
    text = text.str.replace(_CONTROL, " ", regex=True)
    return text.str.replace(r"\s+", " ", regex=True).str.strip()


def sentiment(texts: pd.Series) -> pd.DataFrame:
    """VADER sentiment of each comment.

    Parameters
    ----------
    texts : pandas.Series of str
        Comments; missing or blank ones score 0 (neutral).

    Returns
    -------
    pandas.DataFrame
        Same index as ``texts``, columns

        - ``compound``: VADER compound score, -1 (most negative) .. 1 (most positive)
        - ``label``: ``'positive'`` (>= 0.05), ``'negative'`` (<= -0.05) or ``'neutral'``

    Example
    -------
    >>> import pandas as pd
    >>> sentiment(pd.Series(["Great team!", "Rude and slow.", "The shop."]))["label"].tolist()
    ['positive', 'negative', 'neutral']
    """
    score = _analyzer().polarity_scores
    text = texts.astype("string").fillna("")
    compound = np.array([score(t)["compound"] for t in text], dtype=float)
    label = np.select([compound >= POSITIVE_AT, compound <= NEGATIVE_AT],
                      ["positive", "negative"], "neutral")
    return pd.DataFrame({"compound": compound, "label": label}, index=texts.index)


def _terms(texts: pd.Series, bigrams: bool) -> pd.DataFrame:
    """One row per (comment position, distinct term it mentions)."""
    words = texts.astype("string").fillna("").str.lower().str.findall(_WORD)
    long = words.explode().dropna().rename("term").to_frame()
    long["doc"] = long.index
    long = long.reset_index(drop=True)
    long["term"] = long["term"].astype(str).str.replace(r"'s$", "", regex=True)
    keep = ~long["term"].isin(STOP_WORDS) & (long["term"].str.len() >= 3)
    negation = long["term"].isin(NEGATIONS) | long["term"].str.endswith("n't")
    parts = [long.loc[keep, ["doc", "term"]]]
    if bigrams:
        # a phrase is a kept word (or a negation) and the kept word right after it
        nxt = long.groupby("doc")["term"].shift(-1)
        nxt_keep = keep.groupby(long["doc"]).shift(-1, fill_value=False).astype(bool)
        pair = (keep | negation) & nxt_keep
        parts.append(pd.DataFrame({"doc": long.loc[pair, "doc"],
                                   "term": long.loc[pair, "term"] + " " + nxt[pair]}))
    return pd.concat(parts, ignore_index=True).drop_duplicates()


def _subsumed(counts: pd.DataFrame, by: list[str]) -> pd.Series:
    """Words that only ever appear inside one of the group's phrases (same count)."""
    phrases = counts[counts["term"].str.contains(" ", regex=False)]
    words = phrases["term"].str.split(" ", n=1, expand=True)
    if words.empty:
        return pd.Series(False, index=counts.index)
    inside = pd.concat([phrases[[*by, "n_comments"]].assign(term=words[i]) for i in (0, 1)])
    hit = counts.reset_index().merge(inside.drop_duplicates(), on=[*by, "term", "n_comments"])
    return counts.index.to_series().isin(hit["index"])


def themes(
    frame: pd.DataFrame,
    group_cols: Sequence[str] = (),
    text_col: str = "comment",
    top_n: int = 8,
    min_count: int = 2,
    bigrams: bool = True,
) -> pd.DataFrame:
    """The most mentioned keywords per group.

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
        Fewest comments that must mention a term for it to be a theme.
    bigrams : bool
        Also count two-word phrases of adjacent non-stop words.

    Returns
    -------
    pandas.DataFrame
        Columns: ``group_cols``, ``theme`` (the word or phrase), ``n_comments`` (comments
        mentioning it), ``pct_comments`` (of the group's comments, 0-100), ``rank`` (1 =
        most mentioned; ties alphabetical). Sorted by group then rank.

    Example
    -------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"comment": ["Long queue again", "the queue was long",
    ...                                "Friendly staff"]})
    >>> themes(df, bigrams=False)["theme"].tolist()
    ['long', 'queue']
    """
    groups = list(group_cols)
    rows = frame.reset_index(drop=True)
    columns = [*groups, "theme", "n_comments", "pct_comments", "rank"]
    terms = _terms(rows[text_col], bigrams)
    if terms.empty:
        return pd.DataFrame(columns=columns)
    keys = rows[groups] if groups else pd.DataFrame({"_all": np.zeros(len(rows), int)})
    by = list(keys.columns)
    terms = terms.join(keys, on="doc")
    counts = terms.groupby([*by, "term"], dropna=False).size().rename("n_comments")
    counts = counts.reset_index()
    counts = counts[counts["n_comments"] >= min_count]
    counts = counts[~_subsumed(counts, by)]
    sizes = keys.groupby(by, dropna=False).size().rename("_size").reset_index()
    counts = counts.merge(sizes, on=by, how="left")
    counts["pct_comments"] = counts["n_comments"] * 100.0 / counts["_size"]
    counts = counts.sort_values([*by, "n_comments", "term"],
                                ascending=[*[True] * len(by), False, True], kind="stable")
    counts["rank"] = counts.groupby(by, dropna=False).cumcount() + 1
    counts = counts[counts["rank"] <= top_n].rename(columns={"term": "theme"})
    return counts[columns].reset_index(drop=True)


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
        - ``comments``: ``group_cols``, ``comment`` (plain text), ``compound``, ``label``
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
    scored = pd.concat([rows, sentiment(rows["comment"])], axis=1)
    for label in LABELS:
        scored[f"pct_{label}"] = (scored["label"] == label) * 100.0
    summary = scored.groupby(by, dropna=False, sort=True).agg(
        n_comments=("_size", "max"), n_read=("comment", "size"),
        mean_compound=("compound", "mean"), pct_positive=("pct_positive", "mean"),
        pct_neutral=("pct_neutral", "mean"), pct_negative=("pct_negative", "mean"),
    ).reset_index()
    summary["n_comments"] = summary["n_comments"].astype(int)
    return {
        "comments": scored[[*groups, "comment", "compound", "label"]].reset_index(drop=True),
        "summary": summary[[*groups, *summary.columns[len(by):]]],
        "themes": themes(scored, groups, "comment", top_n=top_n),
    }
