"""Explore studies: filter the trials, see every one, and pool comparable effects."""

import streamlit as st

from pdevidence import charts, citations, effectmap, stats, vocab
from pdevidence import listings as pdlistings
from pdevidence.web import findings, listings, memo, widgets

widgets.require_frame()

st.title("Explore the studies")

trials, view, subset = widgets.filtered_trials()
key = widgets.data_key(view)  # what every cached result below is drawn from

per_study = memo.computed(stats.per_study, subset, key=key)
a, b, c = st.columns(3)
a.metric("Trials", len(per_study))
b.metric("Comparisons", len(subset))
c.metric("Participants randomized", f"{int(per_study['n_randomized'].sum()):,}")
findings.render_condition(view)  # one condition of the summary selected: its lines and what the reviews say

st.subheader("Every study, by size and finding")
widgets.render_chart(
    lambda: memo.figure(charts.study_points, subset, vocab.CONDITION_GROUPS, vocab.FINDINGS, key=key),
    lambda: pdlistings.study_points(subset),
    "Each mark is one comparison in one trial. Findings are on the trial's main outcome, "
    "as the trial report states them; 'no clear difference' is not proof that two treatments are equal. "
    "Hollow marks are comparisons where no head-to-head test was reported; they are not counted as equal.",
    panel="studies",
    title="every study by size and finding",
)

st.subheader("Effect sizes")
st.markdown(
    "Only some trials report a between-group effect size. Positive values favour psychodynamic therapy. "
    "Effects against inactive controls (waitlist, usual care) and against active treatments answer "
    "different questions and are never pooled together."
)
with_es = memo.computed(stats.poolable, subset, key=key)
if with_es.empty:
    st.info("None of the selected trials report a between-group effect size with a confidence interval.")
else:
    widgets.render_chart(
        lambda: memo.figure(charts.effect_vs_size, with_es, key=key),
        lambda: with_es[pdlistings.EFFECT_COLUMNS],
        "Between-group effect sizes (Hedges' g or Cohen's d) only; within-group before-after effects "
        "are left out because they are not comparable. Comparisons with inactive and active controls "
        "are shown in different colours and should not be compared directly.",
        panel="effect-vs-size",
        title="effect size against study size",
    )

st.subheader("Pooled estimate")


@widgets.section
def pooled_estimate() -> None:
    """The pooling choices and what they change: the pooled figures and the forest plot."""
    left, mid, right = st.columns(3)
    pooling = widgets.pooling_choices(subset, key, left, mid)
    method = widgets.render_field("tau2", container=right)
    pool_rows = pooling.rows
    if len(pool_rows) < stats.MIN_STUDIES_TO_POOL:
        st.info(
            f"Only {len(pool_rows)} trial(s) in this selection report a between-group effect against "
            f"{'inactive controls' if pooling.vs == 'inactive' else 'active treatments'} at this time point. "
            f"A pooled estimate needs at least {stats.MIN_STUDIES_TO_POOL}, so none is shown."
        )
        st.page_link(
            "pages/metapsy.py",
            label="Pooled effects computed from the trials' own data (Metapsy databases)",
            icon=":material/database:",
        )
    else:
        pooled = memo.computed(stats.pool, pool_rows["es_value"], pool_rows["se"], method=method, key=pooling.key)
        widgets.render_pooled(pooled, int(pool_rows["n_randomized"].sum()))
        forest_rows = pdlistings.forest_rows(pool_rows)
        widgets.render_chart(
            lambda: memo.figure(charts.forest_plot, forest_rows, pooled, key=pooling.key),
            lambda: forest_rows[["label", "condition", "comparator", "es_type", "estimate", "ci_low", "ci_high"]],
            f"Random-effects meta-analysis ({pooled.method}), one comparison per trial. "
            "Trials differ in condition, comparator and outcome, so read the pooled value as a rough summary; "
            "the prediction interval shows where the effect of a new, similar trial would likely fall.",
            panel="forest",
            title="forest plot of the pooled estimate",
        )


pooled_estimate()

st.subheader("The studies")
listings.render_studies(memo.computed(pdlistings.studies, subset, key=key))

st.subheader("Effect sizes per trial, by source")
panel = widgets.open_panel("Effect sizes per trial, from the trial reports and the Metapsy databases", "trial-effects")
if panel is not None:
    with panel:
        bundled = widgets.table("metapsy_effects")
        effects = memo.computed(effectmap.trial_effects, subset, bundled, key=key)
        per_trial = memo.computed(effectmap.trial_effects_table, subset, bundled, effects, key=key)
        if per_trial.empty:
            st.info("None of the selected trials has an effect size in its report or in a Metapsy database.")
        else:
            widgets.render_trial_effects(per_trial, "Used in the Overview map")
            st.caption(
                "Each row says where its effect comes from: the trial report, or a Metapsy database that works "
                "the effect out from the trial's own numbers (© Metapsy project, metapsy.org, ODC-By 1.0; "
                "database, DOI and version in the row). The two can differ because they use different outcomes "
                "or analyses."
            )

st.subheader("Take the list with you")
n_trials = subset["study"].nunique()
cols = st.columns(3)
with cols[0]:
    widgets.render_download(subset, "psychodynamic-trials-filtered.csv")
cols[1].download_button(
    "Download citations (RIS)",
    lambda: citations.to_ris(subset).encode("utf-8"),  # built when clicked, not on every rerun
    file_name="psychodynamic-trials.ris",
    mime="application/x-research-info-systems",
    icon="⬇️",
    on_click="ignore",
)
cols[2].download_button(
    "Download citations (BibTeX)",
    lambda: citations.to_bibtex(subset).encode("utf-8"),
    file_name="psychodynamic-trials.bib",
    mime="application/x-bibtex",
    icon="⬇️",
    on_click="ignore",
)
st.caption(
    f"The citation files hold one record for each of these {n_trials} trials, with its DOI or PubMed number, "
    "ready for a reference manager. Only the first author is listed; the full list is at the link."
)
