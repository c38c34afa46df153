"""Overview: what the trials behind the cited review show, condition by condition."""

import streamlit as st

from pdevidence import charts, stats, ui, vocab

ui.require_frame()

st.title("Psychodynamic therapy: what does the evidence show?")
st.markdown(
    "An article about psychodynamic therapy cites a 2015 review of the research. "
    "This site lays out the trials behind that review, condition by condition, "
    "so you can see how many there are, how large they are, and what they found."
)

trials, chosen, subset = ui.filtered_trials()
verdicts = ui.table("verdicts")

summary = stats.condition_summary(subset)
left, mid, right = st.columns(3)
left.metric("Trials", int(summary["studies"].sum()))
mid.metric("Participants randomized", f"{int(summary['participants'].sum()):,}")
right.metric("Trials with under 100 participants", int(summary["under_100"].sum()))

st.subheader("By condition")
review = verdicts.groupby("condition_group")["summary"].first()
table = summary.assign(
    condition=summary["condition_group"].map(vocab.CONDITION_GROUPS),
    review_says=summary["condition_group"].map(review),
)[
    [
        "condition",
        "studies",
        "participants",
        "median_n",
        "vs_inactive",
        "vs_active",
        "pd_better",
        "no_difference",
        "pd_worse",
        "mixed",
        "review_says",
    ]
]
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={
        "condition": "Condition",
        "studies": st.column_config.NumberColumn("Trials", help="Number of separate trials."),
        "participants": st.column_config.NumberColumn("Participants", help="Total randomized across these trials."),
        "median_n": st.column_config.NumberColumn("Median trial size", format="%d"),
        "vs_inactive": st.column_config.NumberColumn("vs inactive control", help=ui.glossary_help("waitlist")),
        "vs_active": st.column_config.NumberColumn(
            "vs active treatment", help="Comparisons with another therapy or medication."
        ),
        "pd_better": st.column_config.NumberColumn("Psychodynamic better"),
        "no_difference": st.column_config.NumberColumn("No clear difference"),
        "pd_worse": st.column_config.NumberColumn("Psychodynamic worse"),
        "mixed": st.column_config.NumberColumn("Mixed"),
        "review_says": st.column_config.TextColumn("What the 2015 review concludes", width="large"),
    },
)
st.caption(
    "Counts of findings are per comparison (a trial with two comparison groups counts twice). "
    "'Inactive control' means waitlist, usual care or placebo; 'active' means another therapy or medication."
)

st.subheader("How big are the trials?")
counts = stats.size_band_counts(subset)
ui.render_chart(
    charts.studies_by_size_band(counts, vocab.CONDITION_GROUPS),
    counts.assign(condition=counts["condition_group"].map(vocab.CONDITION_GROUPS))[
        ["condition", "size_band", "studies"]
    ],
    "Trials per condition, split by the number of participants randomized. Small trials give less certain answers.",
    key="overview_bands",
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
