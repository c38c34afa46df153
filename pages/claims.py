"""The article's claims, each checked against the evidence in our tables."""

import streamlit as st

from pdevidence import charts, evidence, load, prose, vocab
from pdevidence.web import memo, widgets

widgets.require_frame()

st.title("The article's claims, checked")
st.markdown(prose.CLAIMS)

claims = widgets.table("claims")
all_rows = widgets.evidence_rows()

overview = claims.assign(verdict=claims["verdict"].map(vocab.VERDICTS))[["claim", "verdict"]]
st.dataframe(
    overview,
    hide_index=True,
    width="stretch",
    column_config={"claim": st.column_config.TextColumn("Claim", width="large"), "verdict": "Verdict"},
)

chosen = widgets.render_field("claim", labels=dict(zip(claims["id"], claims["claim"])))
claim = claims.set_index("id").loc[chosen]

st.subheader(claim["claim"])
st.markdown(f"**Verdict: {vocab.label(vocab.VERDICTS, claim['verdict'])}.** {claim['reason']}")
if isinstance(claim["note"], str):
    st.caption(claim["note"])

rows = evidence.rows_for(load.split_ids(claim["evidence"]), all_rows)
st.markdown(f"**The evidence behind this verdict ({len(rows)} rows)**")
counts = evidence.tally(rows)
if counts["trials"]:
    parts = [
        f"{counts['trials']} trial comparison(s)",
        f"{counts['tested']} with a reported test between the two groups",
    ]
    if counts["not_tested"]:
        parts.append(
            f"{counts['not_tested']} with no head-to-head test reported (not counted as 'about as good' or as any result)"
        )
    if counts["add_on"]:
        parts.append(f"{counts['add_on']} add-on trial(s), where therapy was added to a treatment both groups got")
    if counts["combination"]:
        parts.append(
            f"{counts['combination']} combination trial(s), where both groups got the therapy and one also got a "
            "medicine (a test of the medicine, not of the therapy)"
        )
    st.caption("Of these rows: " + "; ".join(parts) + ".")
st.dataframe(
    rows[["kind", "label", "detail", "finding", "markers", *evidence.FIGURE_COLUMNS, "n", "link"]],
    hide_index=True,
    width="stretch",
    column_config={
        "kind": "Type",
        "label": "Study",
        "detail": st.column_config.TextColumn("Details", width="large"),
        "finding": "Finding",
        "markers": st.column_config.TextColumn(
            "How to read it",
            help="No head-to-head test reported, inferred by us, add-on or combination design, derived by us, or a figure "
            "found only in a source quoting the study. Our readings are marked as ours.",
            width="medium",
        ),
        "es_type_label": "Effect size type",
        "timepoint": "Time point",
        "es_value": st.column_config.NumberColumn("Effect", format="%.2f"),
        "es_ci_low": st.column_config.NumberColumn("CI low", format="%.2f"),
        "es_ci_high": st.column_config.NumberColumn("CI high", format="%.2f"),
        "n": "N",
        "link": st.column_config.LinkColumn("Source", display_text="open"),
    },
)
secondary_ids = load.split_ids(claim["secondary_evidence"])
if secondary_ids:
    quoted = evidence.secondary_rows(secondary_ids, all_rows)
    st.markdown("**Figures quoted elsewhere, not found in the cited review**")
    st.caption(
        "These figures appear in sources that quote a review (such as a press release), but we could not find "
        "them in the review itself. They are shown for reference only and do not support the verdict."
    )
    st.dataframe(
        quoted[["label", "es_type_label", "timepoint", "es_value", "n", "link"]],
        hide_index=True,
        width="stretch",
        column_config={
            "label": st.column_config.TextColumn("Figure and where it comes from", width="large"),
            "es_type_label": "Effect size type",
            "timepoint": "Time point",
            "es_value": st.column_config.NumberColumn("Effect as quoted", format="%.2f"),
            "n": "N",
            "link": st.column_config.LinkColumn("Cited review", display_text="open"),
        },
    )

trials_here = rows[rows["kind"] == "trial"]
if not trials_here.empty:
    widgets.render_chart(
        lambda: memo.figure(charts.findings_chart, trials_here, vocab.FINDINGS, key=(widgets.data_key(), chosen)),
        trials_here[["label", "detail", "finding", "n"]],
        "What each trial behind this claim found on its main outcome; larger marks are larger trials.",
        panel="findings",
        title="what each trial found",
        key=f"claim_findings_{chosen}",
    )
numeric = rows[rows["es_value"].notna()]
if not numeric.empty:
    widgets.render_chart(
        lambda: memo.figure(charts.effect_estimates, numeric, key=(widgets.data_key(), chosen)),
        numeric[["label", *evidence.FIGURE_COLUMNS]],
        "Reported effect sizes behind this claim, with 95% confidence intervals where reported.",
        panel="effects",
        title="reported effect sizes",
        key=f"claim_chart_{chosen}",
    )
else:
    st.caption("None of these rows reports an effect size, so there is no effect-size chart.")
