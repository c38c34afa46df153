"""The tables pages list (shaped in pdevidence.listings), drawn with their headings, formats and help."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pdevidence.web import widgets

# The columns naming a trial in the trial listings.
_TRIAL_NAME = {"first_author": "First author", "year": st.column_config.NumberColumn("Year", format="%d")}


def _draw(listing: pd.DataFrame, headings: dict) -> None:
    """A listing as a full-width table without its index, each column headed (and formatted) by `headings`."""
    st.dataframe(listing, hide_index=True, width="stretch", column_config=headings)


def render_glance(glance: pd.DataFrame) -> None:
    """Every condition at a glance (listings.condition_glance)."""
    _draw(
        glance,
        {
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


def render_explore_links(groups: list[tuple[str, list[tuple[str, str]]]]) -> None:
    """One line per condition group: its conditions, each a link to Explore filtered to it (one list, one element)."""
    st.markdown(
        "\n".join(
            f"- {group}: " + ", ".join(f"[{label}]({target})" for label, target in links) for group, links in groups
        )
    )


def render_condition_counts(counts: pd.DataFrame) -> None:
    """Trials, sizes and findings per condition group (listings.condition_counts)."""
    _draw(
        counts,
        {
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


def render_studies(listing: pd.DataFrame) -> None:
    """Every comparison of the selection (listings.studies)."""
    _draw(
        listing,
        {
            **_TRIAL_NAME,
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
                help="No head-to-head test reported: the paper did not compare these two groups directly, so this "
                "is not a finding of 'no difference'. Direction inferred by us: our reading, not a reported test. "
                "Add-on: therapy added to a treatment both groups got. Combination: both groups got the therapy "
                "and one also got a medicine, a test of the medicine. Derived by us: a figure we worked out, "
                "not one the paper printed.",
                width="medium",
            ),
            "link": st.column_config.LinkColumn("Paper", display_text="open"),
        },
    )


def render_exclusions(listing: pd.DataFrame) -> None:
    """The trials looked at and left out (listings.exclusions)."""
    _draw(
        listing,
        {
            **_TRIAL_NAME,
            "condition_group": "Condition",
            "reason_kind": "Left out because",
            "reason": st.column_config.TextColumn("Why it is left out", width="large"),
            "source_location": st.column_config.TextColumn("Where it was read", width="medium"),
            "link": st.column_config.LinkColumn("Report", display_text="open"),
        },
    )
