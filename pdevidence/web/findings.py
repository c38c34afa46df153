"""Streamlit rendering of the summary of findings (page text, not a data grid)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pdevidence import certainty, charts, citations, filters, reviews, stats, summary, vocab
from pdevidence.summary import Line
from pdevidence.web import memo, widgets

INTRO = (
    "Certainty is **our rating by these rules** (GRADE-style), not a review's. "
    "Effects are standardized mean differences (Hedges' g, or Cohen's d where marked d): "
    "positive favours psychodynamic therapy."
)


def _line_bits(line: Line) -> list[str]:
    """The figures behind one line's sentence: source, effect, absolute terms, downgrades, does it hold."""
    bits = [f"Source: {widgets.escape(line.source_text)}"]
    if line.estimate is not None and line.ci_low is not None:
        bits.append(f"{line.effect_type} {line.estimate:.2f} (95% CI {line.ci_low:.2f} to {line.ci_high:.2f})")
    if line.pi_low is not None:
        bits.append(f"prediction interval {line.pi_low:.2f} to {line.pi_high:.2f}")
    if line.absolute_text:
        bits.append(widgets.escape(line.absolute_text))
    if line.rating and line.rating.downgrades:
        bits.append(
            "Rated down for: " + "; ".join(widgets.escape(f"{d.label} ({d.reason})") for d in line.rating.downgrades)
        )
    if line.holds:
        bits.append("Does it hold? " + "; ".join(widgets.escape(f"{c}: {h}, {f}") for c, h, f in line.holds))
    if line.version:
        bits.append(widgets.escape(f"Database version: {line.version}; doi:{line.doi}; © Metapsy project, ODC-By 1.0"))
    return bits


def _reviews_markdown(said: list[reviews.Said]) -> str:
    """What the reviews say, each in its own words with its locator, and why it differs from ours where it does."""
    kinds = {s.kind for s in said}
    items = [
        f"**{widgets.escape(s.kind[:1].upper() + s.kind[1:])}** ({widgets.escape(s.source)}"
        + (f", doi:{widgets.escape(s.doi)}" if s.doi else "")
        + f"; {widgets.escape(s.locator)}): {widgets.escape(s.text)}"
        + (f"\n  - {widgets.escape(s.differs)}" if s.differs else "")
        for s in said
    ]
    if "2015 review" not in kinds:
        items.insert(0, "**2015 review** (Fonagy 2015): no verdict for this condition in our table of its conclusions.")
    if not any(k.endswith("umbrella review") for k in kinds):
        items.append(
            "**2023 umbrella review** (Leichsenring et al. 2023): its abstract gives no statement for this condition."
        )
    return "**What the reviews say** (their own words, paraphrased; our rating above stays ours)\n\n" + "\n".join(
        f"- {item}" for item in items
    )


def _entries():
    """The summary of findings with what the reviews say, per condition (cached on the bundled data)."""
    tables = [widgets.table(n) for n in ("trials", "meta_analyses", "metapsy_summary_effects", "verdicts")]
    # Frozen lines and statements, read on every run of the Overview: shared, not unpickled each time.
    return memo.shared(reviews.build, *tables, widgets.table("review_statements"), key=widgets.data_key())


def _lines_markdown(lines: list[Line]) -> list[str]:
    """Each line's sentence, then the figures behind it as a list."""
    return [
        f"**{summary.COMPARISON_HEADINGS[line.comparison]}.** {widgets.escape(line.statement)}\n\n"
        + "\n".join(f"- {b}" for b in _line_bits(line))
        for line in lines
    ]


def entry_markdown(lines: list[Line], said: list[reviews.Said]) -> str:
    """One condition's lines (sentence, then the figures behind it), its subtypes' lines, and what the reviews say,
    as one block of text (one page element: the same words in fewer elements draw faster)."""
    blocks = _lines_markdown([line for line in lines if not line.subtype])
    subtypes = list(dict.fromkeys(line.subtype for line in lines if line.subtype))
    if subtypes:
        blocks.append(f"**By subtype.** {widgets.escape(summary.SUBTYPE_RULE)}")
    for subtype in subtypes:
        blocks.append(f"##### {widgets.escape(vocab.label(vocab.CONDITIONS_SPECIFIC, subtype))}")
        blocks += _lines_markdown([line for line in lines if line.subtype == subtype])
    return "\n\n".join([*blocks, _reviews_markdown(said)])


def _render_rules() -> None:
    with st.expander("The rules behind our rating"):
        st.markdown(
            "\n".join(f"- **{widgets.escape(name)}**: {widgets.escape(text)}" for name, text in certainty.RULES)
        )


def render_summary() -> None:
    """Every condition's lines as headings, sentences and a small table, before any click."""
    entries = _entries()
    st.subheader("Does it work for my condition, and how sure are we?")
    st.markdown(INTRO)
    for heading, body in _entry_texts(entries).values():
        st.markdown(f"{heading}\n\n{body}")
    _render_rules()
    _render_downloads(entries)


def _entry_texts(entries) -> dict[str, tuple[str, str]]:
    """Per condition key: its heading (a link to its Explore view) and its entry as one text block."""
    return _texts(widgets.data_key(), entries, widgets.table("trials"))


@st.cache_resource(show_spinner=False, max_entries=4)
def _texts(key: tuple, _entries, _trials: pd.DataFrame) -> dict[str, tuple[str, str]]:
    # Written once per bundled data (`key`, the data fingerprint, keys what `_entries` and `_trials` were drawn from).
    return {
        cond.key: (
            f"#### [{widgets.escape(cond.label)}]({summary.entry_link(cond, _trials)})",
            entry_markdown(lines, said),
        )
        for cond, lines, said in _entries
    }


def render_condition(view) -> None:
    """On Explore, when the selection is one condition of the summary (as its Overview link sets it): that
    condition's lines and what the reviews say, and the trials each pooled line rests on (one click away)."""
    entries = _entries()
    selection = dict(filters.selection(view))
    cond = memo.shared(summary.condition_of, selection, widgets.table("trials"), key=widgets.data_key(view))
    lines = next((lines for c, lines, _ in entries if cond and c.key == cond.key), None)
    if lines is None:
        return
    st.subheader(f"What the evidence shows: {cond.label}")
    st.markdown(INTRO)
    st.caption(
        "These lines are the Overview's summary for every trial of this condition; the other filters in the "
        "sidebar change the lists below, not these lines."
    )
    st.markdown(_entry_texts(entries)[cond.key][1])
    _render_rules()
    _render_line_trials(cond, lines)


def _render_line_trials(cond, lines: list[Line]) -> None:
    """The trials each pooled line rests on: a forest plot and the same figures as a table, in one panel."""
    extract = widgets.table("metapsy_summary_effects")
    pooled = [(line, summary.line_trials(cond, line, extract)) for line in lines if line.source == "metapsy"]
    if not pooled:
        return
    panel = widgets.open_panel("Chart and table: the trials behind each pooled line (forest plot)", "summary-trials")
    if panel is None:
        return
    with panel:
        for line, rows in pooled:
            heading = summary.COMPARISON_HEADINGS[line.comparison]
            if line.subtype:
                heading = f"{vocab.label(vocab.CONDITIONS_SPECIFIC, line.subtype)}, {heading[:1].lower()}{heading[1:]}"
            st.markdown(f"**{widgets.escape(heading)}** ({widgets.escape(line.source_text)})")
            key = (widgets.data_key(), cond.key, line.comparison, line.subtype)
            result = stats.pool(rows["estimate"], rows["se"])  # the line's own pooling of the same rows
            st.plotly_chart(
                memo.figure(charts.forest_plot, rows, result, x_title=charts.THERAPY_G_AXIS, key=key),
                width="stretch",
                key=f"summary_forest_{line.comparison}_{line.subtype}",
                config={"displaylogo": False},
            )
            st.dataframe(rows.drop(columns="detail").round(3), hide_index=True, width="stretch")
        st.caption(
            "Each square is one trial with its 95% CI (Hedges' g, positive favours psychodynamic therapy); the "
            "diamond is the pooled estimate of the line, the dotted line its prediction interval. "
            "© Metapsy project, ODC-By 1.0."
        )


def _render_downloads(entries) -> None:
    """The summary as CSV and its sources (databases, meta-analyses, trials, reviews) as RIS and BibTeX."""
    plain = [(cond, lines) for cond, lines, _ in entries]
    tables = [widgets.table(n) for n in ("trials", "meta_analyses", "review_statements")]
    cols = st.columns(3)
    with cols[0]:
        widgets.render_download(
            lambda: summary.to_frame(plain), "summary-of-findings.csv", "Download the summary (CSV)"
        )
    for col, (label, build, name, mime) in zip(
        cols[1:],
        (
            ("RIS", citations.to_ris, "summary-of-findings.ris", "application/x-research-info-systems"),
            ("BibTeX", citations.to_bibtex, "summary-of-findings.bib", "application/x-bibtex"),
        ),
        strict=True,
    ):
        col.download_button(
            f"Download the summary's citations ({label})",
            # Built when clicked, not on every rerun.
            lambda build=build: build(citations.summary_sources(entries, *tables)).encode("utf-8"),
            file_name=name,
            mime=mime,
            icon=":material/download:",
            on_click="ignore",
        )
