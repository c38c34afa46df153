"""Streamlit rendering of the summary of findings (page text, not a data grid)."""

from __future__ import annotations

import streamlit as st

from pdevidence import certainty, effectmap, summary
from pdevidence.web import memo, widgets


def render_summary() -> None:
    """Every condition's lines as headings, sentences and a small table, before any click."""
    extract = widgets.table("metapsy_summary_effects")
    trials, meta = widgets.table("trials"), widgets.table("meta_analyses")
    entries = memo.computed(summary.build, trials, meta, extract, key=widgets.data_key())
    st.subheader("Does it work for my condition, and how sure are we?")
    st.markdown(
        "Certainty is **our rating by these rules** (GRADE-style), not a review's. "
        "Effects are Hedges' g: positive favours psychodynamic therapy."
    )
    for cond, lines in entries:
        link = effectmap.explore_link(cond.group, cond.specific[0] if len(cond.specific) == 1 else None)
        st.markdown(f"#### [{widgets.escape(cond.label)}]({link})")
        for line in lines:
            st.markdown(f"**{summary.COMPARISON_HEADINGS[line.comparison]}.** {widgets.escape(line.statement)}")
            bits = [f"Source: {widgets.escape(line.source_text)}"]
            if line.estimate is not None and line.ci_low is not None:
                bits.append(f"g {line.estimate:.2f} (95% CI {line.ci_low:.2f} to {line.ci_high:.2f})")
            if line.pi_low is not None:
                bits.append(f"prediction interval {line.pi_low:.2f} to {line.pi_high:.2f}")
            if line.absolute_text:
                bits.append(widgets.escape(line.absolute_text))
            if line.rating and line.rating.downgrades:
                bits.append(
                    "Rated down for: "
                    + "; ".join(widgets.escape(f"{d.label} ({d.reason})") for d in line.rating.downgrades)
                )
            if line.holds:
                bits.append("Does it hold? " + "; ".join(widgets.escape(f"{c}: {h}, {f}") for c, h, f in line.holds))
            if line.version:
                bits.append(
                    widgets.escape(f"Database version: {line.version}; doi:{line.doi}; © Metapsy project, ODC-By 1.0")
                )
            st.markdown("\n".join(f"- {b}" for b in bits))
    with st.expander("The rules behind our rating"):
        st.markdown(
            "\n".join(f"- **{widgets.escape(name)}**: {widgets.escape(text)}" for name, text in certainty.RULES)
        )
    widgets.render_download(summary.to_frame(entries), "summary-of-findings.csv", "Download the summary (CSV)")
