"""What the reviews say about each condition of the summary, beside our rating (pure logic, no Streamlit).

Three kinds of source, each in its own words (paraphrased in data/) with its locator: the 2015 review's
verdicts (data/verdicts.csv), later reviews' statements with their own certainty word
(data/review_statements.csv) and published meta-analyses of psychodynamic therapy for the condition
(data/meta_analyses.csv), or for its whole group of conditions, shown as the group's figure. Where one differs from our rating, one sentence says how, built only from the
data: the review's year, the comparison it covers, and which and how many trials our rating rests on.
A review's word is never our rating: ours stays "our rating by these rules".
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pdevidence import load, summary, vocab
from pdevidence.summary import Condition, Line

FONAGY = {"label": "Fonagy 2015", "year": 2015, "doi": "10.1002/wps.20235"}
# Our certainty levels that count as confident of a benefit when a review concludes one.
CONFIDENT = ("high", "moderate")
SIDES = {"inactive": "vs_inactive", "active": "vs_active"}
META_SIDES = {"vs_control": "inactive", "vs_placebo": "inactive", "vs_other_treatments": "active"}
META_COMPARISONS = {
    "vs_control": "against control conditions",
    "vs_placebo": "against placebo",
    "vs_other_treatments": "against other treatments",
    "pre_post": "change from before to after treatment within the therapy group (no comparison group)",
}
STATEMENT_COMPARISONS = {
    "inactive_and_active": "inactive and active control conditions together",
    "inactive": "inactive control conditions",
    "active": "active treatments",
    "not_stated": "a comparison the review does not state",
}


@dataclass(frozen=True)
class Said:
    """One source's statement about one condition, with where it was read and, if it differs, why."""

    kind: str  # "2015 review", "2023 umbrella review", "meta-analysis"
    source: str  # "Fonagy 2015", "Leichsenring et al. 2023"
    doi: str
    text: str
    locator: str
    differs: str = ""


def _codes(value) -> set[str]:
    return set(load.split_ids(value))


def _line(lines: list[Line], comparison: str) -> Line | None:
    return next((line for line in lines if line.comparison == comparison), None)


def basis(line: Line) -> str:
    """Which trials our rating of a line rests on, and how it came out, in words."""
    kind = {
        "metapsy": f"{line.k} trials pooled from the Metapsy database {line.database}",
        "published": f"a published meta-analysis of {line.k} trials",
        "count": f"{line.k} trial{'s' if line.k != 1 else ''} in our trial table, too few effects to pool",
    }[line.source]
    if line.rating is None:
        return f"not rated ({kind})"
    down = [d.label.lower() for d in line.rating.downgrades]
    because = f"; rated down for {', '.join(down)}" if down else ""
    return f"{line.certainty} certainty ({kind}{because})"


def _later(line: Line, year: int) -> str:
    """How many of the line's trials were published after a review's year (from the data's years)."""
    if not line.years:
        return ""
    after, k = sum(y > year for y in line.years), len(line.years)
    if after == 0:
        return f"none of the {k} trial{'s' if k != 1 else ''} was published after {year}, and "
    return f"{after} of the {k} trial{'s' if k != 1 else ''} {'was' if after == 1 else 'were'} published after {year}, and "


def _ours(lines: list[Line]) -> str:
    return "; ".join(f"{summary.COMPARISON_HEADINGS[x.comparison].lower()}, {basis(x)}" for x in lines)


def verdict_said(row, lines: list[Line]) -> Said:
    """The 2015 review's verdict for one of its conditions, and how it differs from our lines, if it does."""
    words = (
        f"{str(row.condition)[:1].upper()}{str(row.condition)[1:]}: against inactive controls, {vocab.VS_INACTIVE[row.vs_inactive].lower()}; "
        f"against active treatments, {vocab.VS_ACTIVE[row.vs_active].lower()}. {row.summary}"
    )
    if row.inferred != "no":
        words += f" (Part of this is our reading of the review, not its words: {row.inferred.replace('_', ' ')}.)"
    differs = []
    for comparison, column in SIDES.items():
        value, line = getattr(row, column), _line(lines, comparison)
        if line is None or value not in ("effective", "superior", "little_evidence"):
            continue
        confident = line.certainty in CONFIDENT and (line.estimate or 0) > 0
        if confident == (value != "little_evidence"):
            continue
        said = vocab.VS_INACTIVE.get(value, vocab.VS_ACTIVE.get(value, value)).lower()
        differs.append(
            f"it concluded '{said}' {summary.COMPARISON_HEADINGS[comparison].lower()} in {FONAGY['year']}; "
            f"{_later(line, FONAGY['year'])}ours is {basis(line)}"
        )
    return Said(
        "2015 review",
        FONAGY["label"],
        FONAGY["doi"],
        words,
        str(row.source_location).split(" (")[0],
        ("Differs from our rating: " + "; ".join(differs) + ".") if differs else "",
    )


def statement_said(row, lines: list[Line]) -> Said:
    """A later review's statement with its own certainty word, and how our lines differ from it, if they do."""
    scope = (
        f"For {row.condition_named} as a group (the review does not name which; shown here by our reading): "
        if row.inferred == "yes"
        else ""
    )
    text = f"{scope}{row.statement} Its own certainty: {row.certainty_word} evidence ({row.certainty_system})."
    word = str(row.certainty_word).split()[0].lower()
    ours = [line.certainty for line in lines]
    differs = ""
    if any(c != word for c in ours):
        differs = (
            f"Differs from our rating: the review ({row.year}) rates {row.certainty_word} evidence against "
            f"{STATEMENT_COMPARISONS[row.comparison]}, from published meta-analyses; ours is per comparison "
            f"from the trials of this site: {_ours(lines)}."
        )
    return Said(
        f"{row.year} umbrella review",
        f"{row.first_author} et al. {row.year}",
        str(row.doi),
        text,
        str(row.source_location).split(" (")[0],
        differs,
    )


def meta_said(row, lines: list[Line], *, group: bool = False) -> Said:
    """A published meta-analysis row for the condition: its figure as the row gives it, and beside ours.
    With `group`, the row's figure is for the condition's whole group (meta_analyses.condition_group): it is
    shown as the group's and never set against our line for this one condition."""
    effect = f"{vocab.label(vocab.ES_TYPES, row.es_type)} {row.es_value:.2f}"
    if pd.notna(row.es_ci_low):
        effect += f" (95% CI {row.es_ci_low:.2f} to {row.es_ci_high:.2f})"
    size = [f"{row.k_studies} trials"] if pd.notna(row.k_studies) else ["number of trials not stated"]
    if pd.notna(row.n_patients):
        size.append(f"{row.n_patients:,} people")
    named = (
        f"For {row.condition} as a group (a figure over trials of several of them; the publication gives none for "
        "this condition alone)"
        if group
        else f"{str(row.condition)[:1].upper()}{str(row.condition)[1:]}"
    )
    text = (
        f"{named}: {effect}, {META_COMPARISONS[row.comparison]}, "
        f"{vocab.label(vocab.TIMEPOINTS, row.timepoint).lower()} ({', '.join(size)})."
    )
    if row.figure_source == "citing_source_only":
        text += f" {vocab.FIGURE_SOURCES[row.figure_source]}."
    differs = ""
    line = _line(lines, META_SIDES.get(row.comparison, ""))
    if row.comparison == "pre_post":
        differs = "A before-and-after change, not a comparison with another group, so it is not set against ours."
    elif group:
        differs = "A figure for the whole group of conditions, so it is not set against our line for this one."
    elif line is not None and (line.estimate is None or summary.certainty.size_word(line.estimate) != _size(row)):
        differs = (
            f"Beside ours: published in {row.year}; {_later(line, int(row.year))}our "
            f"{summary.COMPARISON_HEADINGS[line.comparison].lower()} line is {basis(line)}."
        )
    return Said(
        "meta-analysis",
        f"{row.first_author} {row.year}",
        str(row.doi) if pd.notna(row.doi) else "",
        text,
        str(row.source_location),
        differs,
    )


def _size(row) -> str:
    return summary.certainty.size_word(float(row.es_value)) if str(row.es_type).endswith("_between") else ""


def for_condition(
    cond: Condition, lines: list[Line], verdicts: pd.DataFrame, statements: pd.DataFrame, meta: pd.DataFrame
) -> list[Said]:
    """Every source's statement for one condition: the 2015 verdicts, later reviews, then meta-analyses.
    They are set against the entry's own lines, not its subtypes' (the reviews speak of the whole condition)."""
    codes, lines = set(cond.specific), [line for line in lines if not line.subtype]
    out = [verdict_said(row, lines) for row in verdicts.itertuples() if _codes(row.condition_specific) & codes]
    out += [statement_said(row, lines) for row in statements.itertuples() if _codes(row.condition_specific) & codes]
    psychodynamic = meta[meta["treatment"].str.startswith("psychodynamic")]
    out += [meta_said(row, lines) for row in psychodynamic.itertuples() if _codes(row.condition_specific) & codes]
    of_group = psychodynamic[psychodynamic["condition_group"] == cond.group] if "condition_group" in meta else meta[:0]
    out += [meta_said(row, lines, group=True) for row in of_group.itertuples()]
    return out


def build(
    trials: pd.DataFrame,
    meta: pd.DataFrame,
    extract: pd.DataFrame,
    verdicts: pd.DataFrame,
    statements: pd.DataFrame,
) -> list[tuple[Condition, list[Line], list[Said]]]:
    """The summary of findings with what the reviews say about each of its conditions."""
    return [
        (cond, lines, for_condition(cond, lines, verdicts, statements, meta))
        for cond, lines in summary.build(trials, meta, extract)
    ]
