"""Short- versus long-term psychodynamic therapy, and what happens after treatment ends."""

import streamlit as st

from pdevidence import charts, prose, stats
from pdevidence import listings as pdlistings
from pdevidence.web import memo, widgets

widgets.require_frame()

st.title("Short-term and long-term psychodynamic therapy")
st.markdown(prose.SHORT_VS_LONG)

key = widgets.data_key()  # everything here is drawn from the bundled data alone
rows = memo.computed(pdlistings.term_estimates, widgets.evidence_rows(), widgets.table("meta_analyses"), key=key)

st.subheader("End of treatment and follow-up, from the meta-analyses")
st.markdown(prose.FOLLOWUP_CAVEAT)
if rows.empty:
    st.info("No meta-analytic estimates for psychodynamic therapy are in our tables.")
else:
    widgets.render_estimate_list(rows)
    widgets.render_chart(
        lambda: memo.figure(charts.effect_estimates, rows, key=key),
        lambda: rows[
            ["therapy", "label", "es_type_label", "timepoint", "es_value", "es_ci_low", "es_ci_high", "k_studies", "n"]
        ],
        "Each mark is one pooled estimate from one meta-analysis, labelled with its time point. "
        "Between-group and before-after effects are shown in different colours and are not comparable.",
        panel="estimates",
        title="pooled effect sizes by time point",
    )

st.subheader("The trials in our table, by length of therapy")
per_study = memo.computed(stats.per_study, widgets.studies(), key=key)
counts = memo.computed(pdlistings.term_counts, per_study, key=key)
left, right = st.columns(2)
for column, term in zip((left, right), ("short-term", "long-term")):
    part = per_study[per_study["pd_term"] == term]
    column.metric(f"{term.capitalize()} trials", len(part))
    column.metric("With follow-up after treatment", int((part["followup_months"] > 0).sum()))
st.dataframe(
    counts[["pd_term", "condition", "trials"]],
    hide_index=True,
    column_config={"pd_term": "Length", "condition": "Condition", "trials": "Trials"},
)
st.page_link("pages/explore.py", label="See these trials in Explore studies", icon=":material/filter_alt:")
