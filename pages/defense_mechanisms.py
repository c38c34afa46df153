"""Defense mechanisms: grouped by level as the source groups them, searchable."""

import streamlit as st

from pdevidence import prose, ui

ui.require_frame()

LEVELS = {
    "primitive": "Primitive defenses",
    "higher_level": "Higher-level defenses",
}

st.title("Defense mechanisms")
st.markdown(prose.DEFENSES)

mechanisms = ui.table("defense_mechanisms")
query = ui.url_text("Search mechanisms", "q", placeholder="for example: denial, humour")
if query:
    needle = query.casefold()
    found = mechanisms[
        mechanisms["name"].str.casefold().str.contains(needle, regex=False)
        | mechanisms["definition"].str.casefold().str.contains(needle, regex=False)
        | mechanisms["example"].str.casefold().str.contains(needle, regex=False)
    ]
    st.caption(f"{len(found)} of {len(mechanisms)} mechanisms match your search.")
else:
    found = mechanisms

if found.empty:
    st.info("No mechanism matches that search. Try a shorter word.")
for level, title in LEVELS.items():
    part = found[found["level"] == level]
    if part.empty:
        continue
    st.subheader(f"{title} ({len(part)})")
    for row in part.itertuples(index=False):
        with st.expander(row.name, expanded=bool(query)):
            st.markdown(f"{row.definition}\n\n*Example:* {row.example}")
st.caption(
    "Source: Bailey R., Pico J. Defense Mechanisms. StatPearls "
    "([NBK559106](https://www.ncbi.nlm.nih.gov/books/NBK559106/)). The chapter sorts defenses into primitive "
    "and higher-level groups; we could not read the chapter itself, so the names and groups shown here come "
    "from a published summary of it, and only the mechanisms that summary names are listed. "
    "Definitions and examples are in our own words."
)
