"""Overview: what the trials behind the cited review show, condition by condition."""

import streamlit as st

from pdevidence import charts, effectmap, evidence, prose, stats, vocab
from pdevidence import listings as pdlistings
from pdevidence.web import findings, listings, memo, widgets

widgets.require_frame()

st.title("Psychodynamic therapy: what does the evidence show?")
st.markdown(
    "An article about psychodynamic therapy cites a 2015 review of the research. "
    "This site lays out the trials behind that review, condition by condition, "
    "so you can see how many there are, how large they are, and what they found."
)

findings.render_summary()

trials, view, subset = widgets.filtered_trials()
key = widgets.data_key(view)  # what every cached result below is drawn from
verdicts = widgets.table("verdicts")
meta = widgets.table("meta_analyses")
bundled = widgets.table("metapsy_effects")

summary = memo.computed(stats.condition_summary, subset, key=key)
left, mid, right = st.columns(3)
left.metric("Trials", int(summary["studies"].sum()))
mid.metric("Participants randomized", f"{int(summary['participants'].sum()):,}")
right.metric("Trials with under 100 participants", int(summary["under_100"].sum()))

st.subheader("Does it work? Effects by condition")
st.markdown(prose.EFFECT_MAP)
effects = memo.computed(effectmap.trial_effects, subset, bundled, key=key)
estimates = memo.computed(effectmap.pooled_estimates, effects, key=key)
changes = memo.computed(effectmap.size_change, estimates, key=key)


@widgets.section
def effects_by_condition() -> None:
    """The map, the glance table and the links to Explore: all that the "Which trials" choice changes."""
    lens = widgets.render_field("lens")
    labels = effectmap.specific_labels()
    table_lens = "large" if lens == "large" else "all"
    published = memo.computed(effectmap.published_estimates, meta, key=widgets.data_key())
    table = memo.computed(
        effectmap.condition_table, subset, estimates, verdicts, published, effects, lens=table_lens, key=key
    )

    if lens == "small":
        widgets.render_chart(
            lambda: memo.figure(charts.small_trial_share, table, labels, key=(key, table_lens)),
            table[["group_label", "condition", "trials", "participants", "share_under_100", "largest"]],
            "Share of each condition's trials with fewer than 100 people. "
            "Where most trials are small, any pooled effect is less certain.",
            panel="small-share",
            title="share of small trials by condition",
        )
    elif effects.empty:
        st.info(
            "None of the trials in this selection has an effect size we can show. "
            "The table below still shows how many trials there are and what the 2015 review says; "
            "the chart further down shows how large the trials are."
        )
    else:
        widgets.render_chart(
            lambda: memo.figure(charts.effect_map, effects, estimates, labels, lens=lens, published=published, key=key),
            lambda: memo.computed(effectmap.map_table, effects, estimates, lens, key=key),
            prose.EFFECT_MAP_CAPTION
            + (
                "Small trials are left out; the faint diamond is the estimate with every trial."
                if lens == "large"
                else "Trials differ in outcome and comparison, so read pooled values as rough summaries."
            ),
            panel="effect-map",
            title="pooled effects by condition (effect map)",
        )

    st.markdown("**Every condition at a glance**")
    listings.render_glance(memo.computed(pdlistings.condition_glance, table, changes, key=(key, table_lens)))
    st.caption(prose.GLANCE_CAPTION)

    st.markdown("**Open a condition in Explore** (each link can be shared)")
    listings.render_explore_links(memo.computed(pdlistings.explore_links, table, key=(key, table_lens)))


effects_by_condition()

panel = widgets.open_panel("Every trial effect behind the map, with its source", "trial-effects")
if panel is not None:
    with panel:
        widgets.render_trial_effects(
            memo.computed(effectmap.trial_effects_table, subset, bundled, effects, key=key), "Used in the map"
        )
        st.caption(
            "The map uses one effect per trial and source: the end-of-treatment effect on the main outcome. "
            "Effects without a confidence interval or standard error cannot be pooled and are shown here only."
        )

st.subheader("By condition")
finding_counts = memo.computed(evidence.finding_counts, subset, key=key)
listings.render_condition_counts(memo.computed(pdlistings.condition_counts, summary, verdicts, finding_counts, key=key))
st.caption(prose.COUNTS_CAPTION)

st.subheader("How big are the trials?")
counts = memo.computed(stats.size_band_counts, subset, key=key)
widgets.render_chart(
    lambda: memo.figure(charts.studies_by_size_band, counts, vocab.CONDITION_GROUPS, key=key),
    lambda: pdlistings.size_bands(counts),
    "Trials per condition, split by the number of participants randomized. Small trials give less certain answers.",
    panel="size-bands",
    title="trials per condition by size",
    standing_in=effects.empty,  # no effect to map: this is the chart the page opens on
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
