"""Trial databases (Metapsy): live meta-analysis of expert-curated trials, by therapy family and trial size."""

import streamlit as st

from pdevidence.metapsy.families import FAMILY_LABELS
from pdevidence.web import metapsy_page, metapsy_sources, widgets

widgets.require_frame()

st.title("Trial databases (Metapsy)")
st.markdown(
    "The [Metapsy project](https://www.metapsy.org) keeps databases of randomized trials of psychotherapies "
    "against control conditions, one per condition, with every effect size extracted by two researchers. "
    "This page pools them here and now, so psychodynamic therapy can be set beside the other therapies "
    "on the same footing: same trials database, same rules, same statistics."
)

found = metapsy_sources.load_databases()
if found is None:
    widgets.stop_page()

settings = metapsy_page.settings_sidebar(found)
db = found[settings.database]
rows = metapsy_page.rows_of(db, settings)
metapsy_sources.render_credit(db, found)
metapsy_page.render_selection(db, rows, settings)

st.header(f"Therapy families in {db.info.condition.lower()}")
metapsy_page.render_families(db, metapsy_page.families_of(db, settings), settings)
metapsy_page.render_unmapped(db)

st.header("Outcomes and their direction")
metapsy_page.render_outcomes(db, settings)

st.header("Psychodynamic therapy next to other therapies, across conditions")
metapsy_page.render_across(found.loaded(), settings)

family_label = FAMILY_LABELS.get(settings.family or "", "no family")
effects = metapsy_page.effects_of(db, settings, settings.family)
st.header(f"Trial by trial: {family_label.lower()}")
metapsy_page.render_trials(db, effects, settings)

st.header("Small versus large trials")
metapsy_page.render_size_lens(db, effects, settings)

st.header("Data check: stored against recomputed effects")
metapsy_page.render_check(db)

st.header("How these numbers are made")
metapsy_page.render_method(db)
