"""Sources & method: the cited sources, how the data were extracted and checked, the data dictionary."""

import streamlit as st

from pdevidence import listings as pdlistings
from pdevidence import load
from pdevidence.web import listings, widgets

widgets.require_frame()

st.title("Sources and method")

st.header("The three sources the article cites")
st.markdown(
    """
1. **Fonagy P. (2015).** The effectiveness of psychodynamic psychotherapies: an update.
   *World Psychiatry* 14(2):137–150. doi:[10.1002/wps.20235](https://doi.org/10.1002/wps.20235),
   PMID [26043322](https://pubmed.ncbi.nlm.nih.gov/26043322/). A review of trials by condition:
   the core of this site. Its conclusions per condition are in the *verdicts* table; the trials
   behind them are in the *trials* table.
2. **Shedler J. (2010).** The efficacy of psychodynamic psychotherapy. *American Psychologist*
   65(2):98–109. doi:[10.1037/a0018378](https://doi.org/10.1037/a0018378). A narrative review of
   meta-analyses, summarized in an American Psychological Association press release. The pooled
   effect sizes it quotes are in the *meta-analyses* table, each with the meta-analysis it comes from.
3. **Bailey R., Pico J.** Defense Mechanisms. *StatPearls*, StatPearls Publishing
   ([NBK559106](https://www.ncbi.nlm.nih.gov/books/NBK559106/)). Used for the defense mechanisms page.
"""
)

st.subheader("Provenance of every source")
st.dataframe(load.provenance(), hide_index=True, width="stretch")

st.header("How the data were extracted and checked")
st.markdown(
    """
- **What counts as a trial here:** a randomized (or, where marked, controlled) comparison of a
  psychodynamic therapy with another condition, in a condition group the 2015 review covers.
- **Where figures come from:** every figure was read from the publication named in its row (its
  abstract or full text). The column `source_location` says where; `es_source` says where the effect
  size was read. Effect sizes are never computed by us from raw numbers.
- **Two readers:** one reader extracted each row and a second re-read every figure against the
  source. Rows that passed both are marked `double_checked`; a figure that could not be confirmed is
  left empty and the `note` says why.
- **Confidence:** each row is marked high, medium or low confidence.
- **Citation in the review:** `fonagy_2015` says whether we saw the trial cited in the 2015 review
  (`confirmed`) or whether it belongs to the evidence base for that condition without our having
  seen the citation (`not_confirmed`).
- **Statistics:** pooled estimates are random-effects meta-analyses computed with
  [statsmodels](https://www.statsmodels.org/) (DerSimonian-Laird or Paule-Mandel between-study
  variance), with 95% confidence and prediction intervals and I². Only between-group effect sizes
  against the same kind of comparator, at the same time point, are pooled; at least 3 trials are
  needed. Egger's test for small-study effects is shown only with 10 or more trials.
- **Findings say only what the paper tested:** a finding is coded only when the paper reports a
  test between the two groups in that row. When it does not (for example, each group was only
  compared with a third group), the finding is *no head-to-head test reported*, which is never
  counted as "about as good". A direction we read from a statement about several groups together
  is marked *inferred by us*.
- **Add-on trials:** trials that add psychodynamic therapy to a treatment both groups get (such as
  a medicine) are marked *add-on*. Trials that compare the therapy alone with the same therapy plus
  a medicine are marked *combination*: they test the medicine, not the therapy. Neither kind is
  counted or pooled as a comparison with another treatment.
- **Derived figures:** a few figures were worked out by us (for example a total as the sum of the
  groups, or a follow-up time from two dates). They are marked *derived by us* in the tables.
- **The review's conclusions:** the verdicts hold only what the 2015 review states. Where it states
  nothing for a condition, the verdict is *not stated in the review*; where we kept a reading of our
  own, it is labelled as ours.
- **Figures quoted elsewhere:** two headline figures (0.97 and 1.51) come from a press release about
  a review and could not be found in the review itself. They are shown with that label and never
  support a verdict.
- **Risk of bias:** shown where an independent rating exists (for example from a Metapsy database
  or a Cochrane review); otherwise marked *not assessed*.
"""
)

trials = widgets.studies()
st.subheader("Verification status of the trial rows")
status = trials.groupby(["verification", "confidence"]).size().rename("rows").reset_index()
st.dataframe(status, hide_index=True)

st.subheader("How the codes are marked")
verdicts = widgets.table("verdicts")
meta = widgets.table("meta_analyses")
marks = pdlistings.code_marks(trials, verdicts, meta)
st.dataframe(marks, hide_index=True, column_config={"what": "Marked as", "rows": "Count"})

st.subheader("Trials considered and left out")
exclusions = widgets.table("exclusions")
if exclusions.empty:
    st.info("No trial has been recorded as left out yet.")
else:
    unread = int((exclusions["reason_kind"] == "report_unread").sum())
    st.caption(
        f"{len(exclusions)} trial(s) with a psychodynamic arm were looked at and left out of the trial table, "
        f"each with the reason. {len(exclusions) - unread} do not fit it (a reason about the trial itself). "
        f"{unread} seem to fit but are left out only because their report could not be read here (its results, "
        "or a DOI or PMID to name it by); what was searched is in each note. None of them is counted anywhere "
        "else on this site, so every count, pool and chart is missing those trials."
    )
    listings.render_exclusions(pdlistings.exclusions(exclusions))

st.header("Data dictionary")
st.markdown(
    "Every column of every table, generated from the same schema file (`data/schema.yaml`) that the "
    "app uses to validate the data when it starts."
)
schema = load.read_schema()
panel = widgets.open_panel(f"Every column of the {len(schema)} tables, and the tables to download", "data-dictionary")
if panel is not None:
    with panel:
        tabs = st.tabs([spec["title"] for spec in schema.values()])
        for tab, (name, spec) in zip(tabs, schema.items(), strict=True):
            with tab:
                st.markdown(f"**`data/{spec['file']}`** — {spec['description']}")
                st.dataframe(load.data_dictionary(name), hide_index=True, width="stretch")
                frame = widgets.table(name)
                widgets.render_download(frame, spec["file"], label=f"Download {spec['file']} ({len(frame)} rows)")

st.header("Licence and how to cite")
st.markdown(
    """
- The curated tables in `data/` are published under the
  [Creative Commons Attribution 4.0](https://creativecommons.org/licenses/by/4.0/) licence. The
  figures themselves belong to the publications they come from; cite those publications.
- The Metapsy databases used on the *Trial databases* page are © the Metapsy project
  ([metapsy.org](https://www.metapsy.org)), under the Open Data Commons Attribution licence (ODC-By 1.0),
  and are read from their source, never copied into this site's data.
- To cite this site: *Psychodynamic therapy: what the evidence shows — curated trial tables,* with the
  date you accessed it and the link to the view you used.
"""
)
