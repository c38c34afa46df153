"""The tables pages list, shaped from the curated data: one row per condition (Overview), per comparison
(Explore), per marked code and left-out trial (Sources). Pure pandas; the headings are in pdevidence.web.listings."""

from __future__ import annotations

import pandas as pd

from pdevidence import effectmap, evidence, stats, vocab

GLANCE_COLUMNS = [
    "group_label",
    "condition",
    "link",
    "trials",
    "participants",
    "inactive_curated",
    "inactive_metapsy",
    "active_curated",
    "active_metapsy",
    "add_on_curated",
    "add_on_metapsy",
    "published",
    "verdict_inactive",
    "verdict_active",
    "share_under_100",
    "any_large",
    "share_low_rob",
    "i2",
    "change",
]
COUNT_COLUMNS = [
    "condition",
    "studies",
    "participants",
    "median_n",
    "vs_inactive",
    "vs_active",
    "add_on",
    "combination",
    "pd_better",
    "no_difference",
    "pd_worse",
    "mixed",
    "not_tested",
    "review_says",
]
STUDY_COLUMNS = [
    "first_author",
    "year",
    "condition",
    "population",
    "pd_model",
    "comparator",
    "n_randomized",
    "followup_months",
    "finding",
    "markers",
    "es_type",
    "es_value",
    "es_ci_low",
    "es_ci_high",
    "risk_of_bias",
    "verification",
    "link",
]
EFFECT_COLUMNS = [
    "first_author",
    "year",
    "comparator",
    "n_randomized",
    "es_type",
    "es_timepoint",
    "es_value",
    "es_ci_low",
    "es_ci_high",
]


def condition_glance(table: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """Every condition at a glance: the effect-map table with its Explore link, the largest spread between
    trials (I²) and what leaving out the small trials changes, per source."""
    said = (
        changes.assign(said=changes["source"].map(effectmap.SOURCES) + ": " + changes["change_text"])
        .groupby("condition_specific")["said"]
        .agg("; ".join)
        if len(changes)
        else {}
    )
    links = [
        effectmap.explore_link(g, s) for g, s in zip(table["condition_group"], table["condition_specific"], strict=True)
    ]
    out = table.assign(link=links, change=table["condition_specific"].map(said))
    out["change"] = out["change"].astype("string").fillna("no trial effects")
    out["i2"] = out[[c for c in out.columns if c.endswith("_i2")]].max(axis=1)
    return out[GLANCE_COLUMNS]


def explore_links(table: pd.DataFrame) -> list[tuple[str, list[tuple[str, str]]]]:
    """(condition group label, [(specific condition label, Explore link), ...]) for every group of the table."""
    return [
        (
            vocab.label(vocab.CONDITION_GROUPS, group),
            [(effectmap.specific_label(s), effectmap.explore_link(group, s)) for s in part["condition_specific"]],
        )
        for group, part in table.groupby("condition_group", sort=False)
    ]


def condition_counts(summary: pd.DataFrame, verdicts: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """Per condition group: trials, sizes, comparisons and findings (evidence.finding_counts), and the review's
    conclusion."""
    review = verdicts.groupby("condition_group")["summary"].first()
    marked = summary[["condition_group"]].merge(counts, on="condition_group", how="left").fillna(0)
    return summary.assign(
        condition=summary["condition_group"].map(vocab.CONDITION_GROUPS),
        review_says=summary["condition_group"].map(review),
        not_tested=marked["not_tested"].astype(int).to_numpy(),
        add_on=marked["add_on"].astype(int).to_numpy(),
        combination=marked["combination"].astype(int).to_numpy(),
    )[COUNT_COLUMNS]


def size_bands(counts: pd.DataFrame) -> pd.DataFrame:
    """stats.size_band_counts with the condition named."""
    return counts.assign(condition=counts["condition_group"].map(vocab.CONDITION_GROUPS))[
        ["condition", "size_band", "studies"]
    ]


def studies(subset: pd.DataFrame) -> pd.DataFrame:
    """Every comparison of the selection with its finding in words, how to read it, and a link to the paper."""
    return subset.assign(
        link=evidence.publication_links(subset),
        finding=subset["finding"].map(vocab.FINDINGS),
        markers=evidence.trial_markers(subset),
    )[STUDY_COLUMNS]


def study_points(subset: pd.DataFrame) -> pd.DataFrame:
    """The figures behind the every-study chart."""
    return subset[["first_author", "year", "condition", "comparator", "n_randomized", "finding"]].assign(
        finding=subset["finding"].map(vocab.FINDINGS)
    )


def forest_rows(pool_rows: pd.DataFrame) -> pd.DataFrame:
    """The pooled comparisons as forest-plot rows: a label, the estimate and its 95% CI, and what was compared."""
    ci_low, ci_high = stats.normal_ci(pool_rows["es_value"], pool_rows["se"])
    return pool_rows.assign(
        label=pool_rows["first_author"]
        + " "
        + pool_rows["year"].astype(str)
        + " (N="
        + pool_rows["n_randomized"].astype(str)
        + ")",
        estimate=pool_rows["es_value"],
        ci_low=ci_low,
        ci_high=ci_high,
        detail=pool_rows["condition"] + "; vs " + pool_rows["comparator"],
    )


def code_marks(trials: pd.DataFrame, verdicts: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """How many rows carry each mark that qualifies a code (untested, inferred, add-on, derived, quoted)."""
    rows = [
        ("Trial comparisons with no head-to-head test reported", int((trials["finding"] == "not_tested").sum())),
        ("Trial findings inferred by us", int(trials["inferred"].fillna(False).astype(bool).sum())),
        ("Add-on trial comparisons", int((trials["comparator_type"] == "add_on").sum())),
        (
            "Combination trial comparisons (therapy alone vs therapy plus a medicine)",
            int((trials["comparator_type"] == "combination").sum()),
        ),
        ("Trial rows with a figure derived by us", int(trials["derived_fields"].notna().sum())),
        (
            "Review conclusions not stated in the review",
            int((verdicts[["vs_inactive", "vs_active"]] == "not_stated").sum().sum()),
        ),
        ("Review conclusions that are our reading", int((verdicts["inferred"] != "no").sum())),
        (
            "Pooled figures found only in a source quoting the review",
            int((meta["figure_source"] == "citing_source_only").sum()),
        ),
    ]
    return pd.DataFrame(rows, columns=["what", "rows"])


def exclusions(table: pd.DataFrame) -> pd.DataFrame:
    """The trials looked at and left out, with the reason, where it was read and a link."""
    return table.assign(
        link=evidence.publication_links(table),
        condition_group=table["condition_group"].map(vocab.CONDITION_GROUPS),
        reason_kind=table["reason_kind"].map(vocab.EXCLUSION_KINDS),
    )[["first_author", "year", "condition_group", "reason_kind", "reason", "source_location", "link"]]


TERM_LABELS = {"psychodynamic_short": "Short-term", "psychodynamic_long": "Long-term", "psychodynamic": "Psychodynamic"}


def term_estimates(rows: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """The evidence rows of the meta-analyses of psychodynamic therapy, each with its length of therapy in words."""
    pd_meta = meta[meta["treatment"].str.startswith("psychodynamic")]
    out = rows[rows["id"].isin(pd_meta["id"])].merge(pd_meta[["id", "treatment"]], on="id")
    return out.assign(therapy=out["treatment"].map(TERM_LABELS))


def term_counts(per_study: pd.DataFrame) -> pd.DataFrame:
    """Trials per length of therapy (short- or long-term) and condition group."""
    return (
        per_study.groupby(["pd_term", "condition_group"])
        .size()
        .rename("trials")
        .reset_index()
        .assign(condition=lambda f: f["condition_group"].map(vocab.CONDITION_GROUPS))
    )
