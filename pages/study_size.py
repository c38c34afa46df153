"""Study size: how big the trials are, and whether smaller trials report larger effects."""

import streamlit as st

from pdevidence import charts, stats, vocab
from pdevidence.web import memo, widgets

widgets.require_frame()

st.title("How big are the studies?")
st.markdown(
    "Small trials can give unstable results, and if small trials with disappointing results go "
    "unpublished, the published ones make a treatment look better than it is. This page shows the "
    "size of each trial and checks for that pattern where there are enough trials."
)

trials, view, subset = widgets.filtered_trials()
key = widgets.data_key(view)  # what every cached result below is drawn from

studies = memo.computed(stats.per_study, subset, key=key)
summary = memo.computed(stats.condition_summary, subset, key=key)
a, b, c = st.columns(3)
a.metric("Median trial size", f"{studies['n_randomized'].median():.0f} participants")
b.metric("Trials under 100 participants", f"{(studies['n_randomized'] < 100).mean():.0%}")
c.metric("Largest trial", f"{studies['n_randomized'].max()} participants")

st.subheader("Trial sizes by condition")
widgets.render_chart(
    lambda: memo.figure(charts.size_distribution, studies, vocab.CONDITION_GROUPS, key=key),
    lambda: summary.assign(condition=summary["condition_group"].map(vocab.CONDITION_GROUPS))[
        ["condition", "studies", "median_n", "smallest_n", "largest_n", "under_100", "share_under_100"]
    ],
    "Each dot is one trial; the box covers the middle half of trial sizes. The dashed line marks 100 participants.",
    panel="sizes",
    title="trial sizes by condition",
)

st.subheader("How long were people followed after treatment?")
known = studies[studies["followup_months"].notna()]
if known.empty:
    st.info("None of the selected trials report a follow-up length.")
else:
    st.markdown(
        f"{len(known)} of {len(studies)} trials report a follow-up length; "
        f"{int((known['followup_months'] > 0).sum())} followed people up after the end of treatment "
        f"(longest {known['followup_months'].max():g} months)."
    )
    widgets.render_chart(
        lambda: memo.figure(charts.followup_lengths, studies, vocab.CONDITION_GROUPS, key=key),
        lambda: known[["first_author", "year", "condition", "followup_months"]],
        f"{len(known)} of {len(studies)} trials report a follow-up length; 0 means outcomes were only "
        "measured at the end of treatment.",
        panel="followup",
        title="follow-up lengths",
    )

st.subheader("Do smaller trials report larger effects?")


@widgets.section
def small_study_effects() -> None:
    """The pooling choices and what they change: Egger's test and the funnel plot."""
    left, right = st.columns(2)
    pooling = widgets.pooling_choices(subset, key, left, right)
    rows = pooling.rows
    if len(rows) < stats.MIN_STUDIES_FOR_EGGER:
        st.info(
            f"{len(rows)} trial(s) here report a comparable between-group effect size. Funnel plots and "
            f"Egger's test need at least {stats.MIN_STUDIES_FOR_EGGER} trials to mean anything, so no test is shown."
        )
    else:
        pooled = memo.computed(stats.pool, rows["es_value"], rows["se"], key=pooling.key)
        egger = memo.computed(stats.egger_test, rows["es_value"], rows["se"], key=pooling.key)
        st.markdown(
            f"**Egger's test** for small-study effects: intercept {egger.intercept:.2f} (95% CI "
            f"{egger.intercept_ci_low:.2f} to {egger.intercept_ci_high:.2f}), p = {egger.p_value:.3f}, k = {egger.k}. "
            "An intercept far from 0 suggests small trials report different effects from large ones."
        )
        widgets.render_chart(
            lambda: memo.figure(
                charts.funnel_plot,
                rows["es_value"],
                rows["se"],
                pooled,
                labels=rows["first_author"] + " " + rows["year"].astype(str),
                key=pooling.key,
            ),
            lambda: rows[["first_author", "year", "n_randomized", "es_value", "se"]],
            "Each dot is one trial: its effect against its standard error. Without small-study effects the dots "
            "form a symmetric funnel around the pooled effect.",
            panel="funnel",
            title="funnel plot",
        )


small_study_effects()
