"""Overview: what the trials behind the cited review show, condition by condition."""

import streamlit as st

from pdevidence import charts, effectmap, evidence, stats, vocab
from pdevidence.web import findings, memo, widgets

widgets.require_frame()

st.title("Psychodynamic therapy: what does the evidence show?")
st.markdown(
    "An article about psychodynamic therapy cites a 2015 review of the research. "
    "This site lays out the trials behind that review, condition by condition, "
    "so you can see how many there are, how large they are, and what they found."
)

findings.render_summary()

trials, chosen, subset = widgets.filtered_trials()
verdicts = widgets.table("verdicts")
meta = widgets.table("meta_analyses")
bundled = widgets.table("metapsy_effects")

summary = memo.computed(stats.condition_summary, subset)
left, mid, right = st.columns(3)
left.metric("Trials", int(summary["studies"].sum()))
mid.metric("Participants randomized", f"{int(summary['participants'].sum()):,}")
right.metric("Trials with under 100 participants", int(summary["under_100"].sum()))

st.subheader("Does it work? Effects by condition")
st.markdown(
    "Open the chart below to see the effects. Each line is one condition. "
    "A mark shows how much better (right of 0) or worse (left of 0) "
    "people did with psychodynamic therapy than with the comparison, in one trial. "
    "A diamond pools at least 3 trials from one source. "
    "Effects against no real treatment and against another treatment answer different questions, "
    "so they are in separate panels and never pooled together. "
    "Blue marks come from the trial reports; orange marks come from the Metapsy databases, "
    "which work out each effect from the trial's own numbers. The two are never pooled together."
)
lens = widgets.url_choice(
    "Which trials",
    "lens",
    {
        "all": "All trials",
        "large": "Only trials with 100 or more people",
        "small": "How many trials are small",
    },
    "all",
    help="Small trials give less certain answers and sometimes larger effects. "
    "Leave them out to see if the picture changes.",
)
effects = memo.computed(effectmap.trial_effects, subset, bundled)
estimates = memo.computed(effectmap.pooled_estimates, effects)
labels = effectmap.specific_labels()
table = memo.computed(
    effectmap.condition_table, subset, estimates, verdicts, meta, effects, lens="large" if lens == "large" else "all"
)
changes = memo.computed(effectmap.size_change, estimates)

if lens == "small":
    widgets.render_chart(
        lambda: memo.figure(charts.small_trial_share, table, labels),
        table[["group_label", "condition", "trials", "participants", "share_under_100", "largest"]],
        "Share of each condition's trials with fewer than 100 people. "
        "Where most trials are small, any pooled effect is less certain.",
        panel="small-share",
        title="share of small trials by condition",
    )
elif effects.empty:
    st.info(
        "None of the trials in this selection has an effect size we can show. "
        "The table below still shows how many trials there are and what the 2015 review says."
    )
else:
    published = memo.computed(effectmap.published_estimates, meta)
    widgets.render_chart(
        lambda: memo.figure(charts.effect_map, effects, estimates, labels, lens=lens, published=published),
        lambda: memo.computed(effectmap.map_table, effects, estimates, lens),
        "Effect sizes are standardized (0.2 is small, 0.5 medium, 0.8 large). Lines show 95% confidence "
        "intervals. 'Too few to pool' means fewer than 3 trials from one source. "
        + (
            "Small trials are left out; the faint diamond is the estimate with every trial."
            if lens == "large"
            else "Trials differ in outcome and comparison, so read pooled values as rough summaries."
        ),
        panel="effect-map",
        title="pooled effects by condition (effect map)",
    )

st.markdown("**Every condition at a glance**")
view = table.assign(
    link=[
        effectmap.explore_link(g, s) for g, s in zip(table["condition_group"], table["condition_specific"], strict=True)
    ],
    change=table["condition_specific"].map(
        changes.assign(said=changes["source"].map(effectmap.SOURCES) + ": " + changes["change_text"])
        .groupby("condition_specific")["said"]
        .agg("; ".join)
        if len(changes)
        else {}
    ),
)
view["change"] = view["change"].astype("string").fillna("no trial effects")
view["i2"] = view[[c for c in view.columns if c.endswith("_i2")]].max(axis=1)
st.dataframe(
    view[
        [
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
    ],
    hide_index=True,
    width="stretch",
    column_config={
        "group_label": "Group",
        "condition": "Condition",
        "link": st.column_config.LinkColumn("Trials in Explore", display_text="See the trials"),
        "trials": st.column_config.NumberColumn("Trials"),
        "participants": st.column_config.NumberColumn("People", help="Total randomized across these trials."),
        "inactive_curated": "vs no real treatment (trial reports)",
        "inactive_metapsy": "vs no real treatment (Metapsy)",
        "active_curated": "vs another treatment (trial reports)",
        "active_metapsy": "vs another treatment (Metapsy)",
        "add_on_curated": "Added to a treatment (trial reports)",
        "add_on_metapsy": "Added to a treatment (Metapsy)",
        "published": st.column_config.TextColumn("Published meta-analysis", width="medium"),
        "verdict_inactive": "2015 review: vs no real treatment",
        "verdict_active": "2015 review: vs another treatment",
        "share_under_100": st.column_config.ProgressColumn(
            "Share of small trials",
            help="Trials with fewer than 100 people.",
            format="percent",
            min_value=0,
            max_value=1,
        ),
        "any_large": st.column_config.CheckboxColumn("Any trial with 100+ people"),
        "share_low_rob": st.column_config.NumberColumn(
            "Low risk of bias",
            help="Share of rated trials at low risk of bias. Empty when no trial was rated.",
            format="percent",
        ),
        "i2": st.column_config.NumberColumn(
            "Spread between trials (I²)", help=widgets.glossary_help("heterogeneity"), format="percent"
        ),
        "change": st.column_config.TextColumn("Without small trials", width="medium"),
    },
)
st.caption(
    "'No real treatment' means a waitlist, usual care or a placebo. Pooled values are random-effects "
    "estimates with 95% confidence intervals (statsmodels); fewer than 3 trials from one source are not pooled. "
    "Risk of bias is as rated in the trial table or, where it has none, by the Metapsy database. "
    "Metapsy effects: © Metapsy project (metapsy.org), ODC-By 1.0; each row names its database, DOI and version."
)

st.markdown("**Open a condition in Explore** (each link can be shared)")
for group, part in table.groupby("condition_group", sort=False):
    links = ", ".join(
        f"[{effectmap.specific_label(s)}]({effectmap.explore_link(group, s)})" for s in part["condition_specific"]
    )
    st.markdown(f"{vocab.label(vocab.CONDITION_GROUPS, group)}: {links}")

panel = widgets.open_panel("Every trial effect behind the map, with its source", "trial-effects")
if panel is not None:
    with panel:
        widgets.render_trial_effects(
            memo.computed(effectmap.trial_effects_table, subset, bundled, effects), "Used in the map"
        )
        st.caption(
            "The map uses one effect per trial and source: the end-of-treatment effect on the main outcome. "
            "Effects without a confidence interval or standard error cannot be pooled and are shown here only."
        )

st.subheader("By condition")
review = verdicts.groupby("condition_group")["summary"].first()
marked = (
    summary[["condition_group"]]
    .merge(memo.computed(evidence.finding_counts, subset), on="condition_group", how="left")
    .fillna(0)
)
counts_table = summary.assign(
    condition=summary["condition_group"].map(vocab.CONDITION_GROUPS),
    review_says=summary["condition_group"].map(review),
    not_tested=marked["not_tested"].astype(int).to_numpy(),
    add_on=marked["add_on"].astype(int).to_numpy(),
    combination=marked["combination"].astype(int).to_numpy(),
)[
    [
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
]
st.dataframe(
    counts_table,
    hide_index=True,
    width="stretch",
    column_config={
        "condition": "Condition",
        "studies": st.column_config.NumberColumn("Trials", help="Number of separate trials."),
        "participants": st.column_config.NumberColumn("Participants", help="Total randomized across these trials."),
        "median_n": st.column_config.NumberColumn("Median trial size", format="%d"),
        "vs_inactive": st.column_config.NumberColumn("vs inactive control", help=widgets.glossary_help("waitlist")),
        "vs_active": st.column_config.NumberColumn(
            "vs active treatment", help="Comparisons with another therapy or medication."
        ),
        "pd_better": st.column_config.NumberColumn("Psychodynamic better"),
        "no_difference": st.column_config.NumberColumn("No clear difference"),
        "pd_worse": st.column_config.NumberColumn("Psychodynamic worse"),
        "mixed": st.column_config.NumberColumn("Mixed"),
        "add_on": st.column_config.NumberColumn(
            "Add-on trials", help="Therapy added to a treatment both groups got; not counted as 'vs active'."
        ),
        "combination": st.column_config.NumberColumn(
            "Therapy alone vs plus a medicine",
            help="Both groups got the therapy and one also got a medicine: a test of the medicine, not of the "
            "therapy. Not counted as 'vs active' nor in the findings columns.",
        ),
        "not_tested": st.column_config.NumberColumn(
            "No head-to-head test", help="The paper did not test these two groups against each other."
        ),
        "review_says": st.column_config.TextColumn("What the 2015 review concludes", width="large"),
    },
)
st.caption(
    "Counts of findings are per comparison (a trial with two comparison groups counts twice). "
    "'No head-to-head test' counts comparisons the paper never tested directly; they are not 'no clear difference'. "
    "'Inactive control' means waitlist, usual care or placebo; 'active' means another therapy or medication."
)

st.subheader("How big are the trials?")
counts = memo.computed(stats.size_band_counts, subset)
widgets.render_chart(
    lambda: memo.figure(charts.studies_by_size_band, counts, vocab.CONDITION_GROUPS),
    counts.assign(condition=counts["condition_group"].map(vocab.CONDITION_GROUPS))[
        ["condition", "size_band", "studies"]
    ],
    "Trials per condition, split by the number of participants randomized. Small trials give less certain answers.",
    panel="size-bands",
    title="trials per condition by size",
)

st.subheader("Go further")
cols = st.columns(3)
cols[0].page_link("pages/explore.py", label="Explore and filter the studies", icon=":material/filter_alt:")
cols[1].page_link("pages/claims.py", label="Check the article's claims", icon=":material/fact_check:")
cols[2].page_link("pages/therapy_types.py", label="Compare therapy types", icon=":material/compare:")
cols[0].page_link("pages/study_size.py", label="Study size and small-study effects", icon=":material/straighten:")
cols[1].page_link("pages/defense_mechanisms.py", label="What are defense mechanisms?", icon=":material/shield:")
cols[2].page_link("pages/sources.py", label="Sources and method", icon=":material/source:")
cols[0].page_link("pages/short_vs_long.py", label="Short- vs long-term therapy", icon=":material/schedule:")
cols[1].page_link("pages/glossary.py", label="Glossary of research terms", icon=":material/menu_book:")
cols[2].page_link("pages/metapsy.py", label="Pooled effects in the Metapsy databases", icon=":material/database:")
