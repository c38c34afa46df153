"""Therapy types compared: pick two or three and see them side by side with their evidence."""

import streamlit as st

from pdevidence import charts, evidence, prose
from pdevidence.web import memo, widgets

widgets.require_frame()

st.title("Therapy types compared")
st.markdown(prose.THERAPY_TYPES)

types = widgets.table("therapy_types")
meta = widgets.table("meta_analyses")
chosen = widgets.render_field("compare", labels=dict(zip(types["id"], types["name"])))
if not chosen:
    st.info("Pick at least one therapy type.")
    widgets.stop_page()

columns = st.columns(len(chosen))
for column, type_id in zip(columns, chosen):
    row = types.set_index("id").loc[type_id]
    with column:
        st.subheader(row["name"])
        # One text element per column: the same words draw faster than in five.
        st.markdown("\n\n".join(f"**{heading}**  \n{row[field]}" for field, heading in evidence.THERAPY_FIELDS.items()))
        st.caption(f"Description source: {row['source']}")

rows = memo.computed(evidence.therapy_evidence, types, meta, list(chosen), key=widgets.data_key())
st.subheader("What the research summaries report")
if rows.empty:
    st.info("Our tables hold no pooled effect sizes for these types.")
else:
    widgets.render_estimate_list(rows)
    widgets.render_chart(
        lambda: memo.figure(charts.effect_estimates, rows, title=None, key=(widgets.data_key(), chosen)),
        rows[["therapy", "label", "markers", *evidence.FIGURE_COLUMNS, "k_studies", "n"]],
        "Each bar is one pooled estimate from one meta-analysis, with its 95% confidence interval where "
        "reported. Colours show the kind of effect size: before-after effects within one group are much "
        "larger than differences between groups and must not be compared with them.",
        panel="estimates",
        title="pooled effect sizes of the chosen types",
    )
    quoted = rows[rows["secondary"].fillna(False).astype(bool)]
    if not quoted.empty:
        st.caption(
            f"{len(quoted)} figure(s) above are marked 'not found in the cited review': a source quoting the "
            "review reports them, but the review itself does not show them. Read them with care."
        )
