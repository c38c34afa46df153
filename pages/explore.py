"""Explore studies: filter the trials, see every one, and pool comparable effects."""

import streamlit as st

from pdevidence import charts, citations, effectmap, evidence, stats, vocab
from pdevidence.web import memo, widgets

widgets.require_frame()

st.title("Explore the studies")

trials, chosen, subset = widgets.filtered_trials()

per_study = memo.computed(stats.per_study, subset)
a, b, c = st.columns(3)
a.metric("Trials", len(per_study))
b.metric("Comparisons", len(subset))
c.metric("Participants randomized", f"{int(per_study['n_randomized'].sum()):,}")

st.subheader("Every study, by size and finding")
widgets.render_chart(
    lambda: memo.figure(charts.study_points, subset, vocab.CONDITION_GROUPS, vocab.FINDINGS),
    subset[["first_author", "year", "condition", "comparator", "n_randomized", "finding"]].assign(
        finding=subset["finding"].map(vocab.FINDINGS)
    ),
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
with_es = stats.poolable(subset)
if with_es.empty:
    st.info("None of the selected trials report a between-group effect size with a confidence interval.")
else:
    widgets.render_chart(
        lambda: memo.figure(charts.effect_vs_size, with_es),
        with_es[
            [
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
        ],
        "Between-group effect sizes (Hedges' g or Cohen's d) only; within-group before-after effects "
        "are left out because they are not comparable. Comparisons with inactive and active controls "
        "are shown in different colours and should not be compared directly.",
        panel="effect-vs-size",
        title="effect size against study size",
    )

st.subheader("Pooled estimate")
left, mid, right = st.columns(3)
pool_vs = widgets.url_choice(
    "Compared with",
    "pool_vs",
    {"inactive": "Inactive controls", "active": "Active treatments"},
    "inactive",
    container=left,
)
pool_time = widgets.url_choice("Time point", "pool_time", dict(vocab.TIMEPOINTS), "post", container=mid)
method = widgets.url_choice(
    "Between-study variance",
    "tau2",
    stats.TAU2_METHODS,
    "dl",
    container=right,
    help="How the spread of true effects between trials is estimated.",
)
pool_rows = memo.computed(stats.pooling_set, subset, pool_vs, pool_time)
if len(pool_rows) < stats.MIN_STUDIES_TO_POOL:
    st.info(
        f"Only {len(pool_rows)} trial(s) in this selection report a between-group effect against "
        f"{'inactive controls' if pool_vs == 'inactive' else 'active treatments'} at this time point. "
        f"A pooled estimate needs at least {stats.MIN_STUDIES_TO_POOL}, so none is shown."
    )
    st.page_link(
        "pages/metapsy.py",
        label="Pooled effects computed from the trials' own data (Metapsy databases)",
        icon=":material/database:",
    )
else:
    pooled = stats.pool(pool_rows["es_value"], pool_rows["se"], method=method)
    cols = st.columns(5)
    cols[0].metric("Pooled effect", f"{pooled.estimate:.2f}", help=widgets.glossary_help("effect size"))
    cols[1].metric(
        "95% CI", f"{pooled.ci_low:.2f} to {pooled.ci_high:.2f}", help=widgets.glossary_help("confidence interval")
    )
    cols[2].metric(
        "95% prediction interval",
        f"{pooled.pi_low:.2f} to {pooled.pi_high:.2f}",
        help=widgets.glossary_help("prediction interval"),
    )
    cols[3].metric("Heterogeneity I²", f"{pooled.i2:.0%}", help=f"tau² = {pooled.tau2:.3f}; Q = {pooled.q:.1f}")
    cols[4].metric("Trials / participants", f"{pooled.k} / {int(pool_rows['n_randomized'].sum()):,}")
    st.caption(
        "Trials differ in condition, comparator and outcome, so read the pooled value as a rough summary; "
        "the prediction interval shows where the effect of a new, similar trial would likely fall."
    )
    ci_low, ci_high = stats.normal_ci(pool_rows["es_value"], pool_rows["se"])
    forest_rows = pool_rows.assign(
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
    widgets.render_chart(
        lambda: memo.figure(charts.forest_plot, forest_rows, pooled),
        forest_rows[["label", "condition", "comparator", "es_type", "estimate", "ci_low", "ci_high"]],
        f"Random-effects meta-analysis ({pooled.method}), one comparison per trial. "
        "Trials differ in condition, comparator and outcome, so read the pooled value as a rough summary; "
        "the prediction interval shows where the effect of a new, similar trial would likely fall.",
        panel="forest",
        title="forest plot of the pooled estimate",
    )

st.subheader("The studies")
listing = subset.assign(
    link=evidence.publication_links(subset),
    finding=subset["finding"].map(vocab.FINDINGS),
    markers=memo.computed(evidence.trial_markers, subset),
)[
    [
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
]
st.dataframe(
    listing,
    hide_index=True,
    width="stretch",
    column_config={
        "first_author": "First author",
        "year": st.column_config.NumberColumn("Year", format="%d"),
        "n_randomized": st.column_config.NumberColumn("N", help="Participants randomized"),
        "followup_months": st.column_config.NumberColumn("Follow-up (months)"),
        "pd_model": "Psychodynamic form",
        "es_value": st.column_config.NumberColumn("Effect", format="%.2f"),
        "es_ci_low": st.column_config.NumberColumn("CI low", format="%.2f"),
        "es_ci_high": st.column_config.NumberColumn("CI high", format="%.2f"),
        "risk_of_bias": "Risk of bias",
        "finding": "Finding",
        "markers": st.column_config.TextColumn(
            "How to read it",
            help="No head-to-head test reported: the paper did not compare these two groups directly, so this is "
            "not a finding of 'no difference'. Direction inferred by us: our reading, not a reported test. "
            "Add-on: therapy added to a treatment both groups got. Combination: both groups got the therapy and "
            "one also got a medicine, a test of the medicine. Derived by us: a figure we worked out, "
            "not one the paper printed.",
            width="medium",
        ),
        "link": st.column_config.LinkColumn("Paper", display_text="open"),
    },
)

st.subheader("Effect sizes per trial, by source")
panel = widgets.open_panel("Effect sizes per trial, from the trial reports and the Metapsy databases", "trial-effects")
if panel is not None:
    with panel:
        bundled = widgets.table("metapsy_effects")
        per_trial = memo.computed(
            effectmap.trial_effects_table, subset, bundled, memo.computed(effectmap.trial_effects, subset, bundled)
        )
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
