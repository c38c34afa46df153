"""Sources & method: the cited sources, how the data were extracted and checked, the data dictionary."""

import streamlit as st

from pdevidence import load, ui

ui.require_frame()

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
- **Risk of bias:** shown where an independent rating exists (for example from a Metapsy database
  or a Cochrane review); otherwise marked *not assessed*.
"""
)

trials = ui.studies()
st.subheader("Verification status of the trial rows")
status = trials.groupby(["verification", "confidence"]).size().rename("rows").reset_index()
st.dataframe(status, hide_index=True)

st.header("Data dictionary")
st.markdown(
    "Every column of every table, generated from the same schema file (`data/schema.yaml`) that the "
    "app uses to validate the data when it starts."
)
schema = load.read_schema()
tabs = st.tabs([spec["title"] for spec in schema.values()])
for tab, (name, spec) in zip(tabs, schema.items()):
    with tab:
        st.markdown(f"**`data/{spec['file']}`** — {spec['description']}")
        st.dataframe(load.data_dictionary(name), hide_index=True, width="stretch")
        frame = ui.table(name)
        ui.render_download(frame, spec["file"], label=f"Download {spec['file']} ({len(frame)} rows)")

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
