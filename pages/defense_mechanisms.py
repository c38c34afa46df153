"""Defense mechanisms: grouped by level as the source groups them, searchable, with where each one comes from."""

import streamlit as st

from pdevidence import prose
from pdevidence.web import widgets

widgets.require_frame()

LEVELS = {
    "primitive": "Primitive defenses",
    "higher_level": "Higher-level defenses",
}
# How many defenses the chapter describes in each group, as a published summary of it
# (medpresso.org, "Psychological defense mechanisms") reports; the chapter itself could not be read.
CHAPTER_COUNTS = {"primitive": 10, "higher_level": 11}

st.title("Defense mechanisms")
st.markdown(prose.DEFENSES)

mechanisms = widgets.table("defense_mechanisms")
listed = {level: int((mechanisms["level"] == level).sum()) for level in LEVELS}
missing = {level: max(0, CHAPTER_COUNTS[level] - listed[level]) for level in LEVELS}
chapter_total = sum(CHAPTER_COUNTS.values())
missing_total = sum(missing.values())
completeness = (
    f"**How complete is this list?** A summary of the chapter says it describes {CHAPTER_COUNTS['primitive']} "
    f"primitive and {CHAPTER_COUNTS['higher_level']} higher-level defenses, {chapter_total} in all. "
    f"We list {len(mechanisms)}: {listed['primitive']} primitive and {listed['higher_level']} higher-level. "
    "We could not read the chapter itself, so each name and group comes from a published summary of it. "
    "Open a mechanism to see which summary names it."
)
if missing_total:
    gaps = " and ".join(
        f"{count} {LEVELS[level].lower().removesuffix('s')}{'s' if count > 1 else ''}"
        for level, count in missing.items()
        if count
    )
    completeness += f" Still missing: {gaps}. No source we could read names {'them' if missing_total > 1 else 'it'}."
st.markdown(completeness)

query = widgets.render_field("q")
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
    if query:
        st.subheader(f"{title} ({len(part)} found)")
    else:
        st.subheader(f"{title} ({len(part)} of the chapter's {CHAPTER_COUNTS[level]})")
    for row in part.itertuples(index=False):
        with st.expander(row.name, expanded=bool(query)):
            st.markdown(f"{row.definition}\n\n*Example:* {row.example}")
            st.caption("Where this comes from: " + widgets.escape(row.source_location))
st.caption(
    "Source: Bailey R., Pico J. Defense Mechanisms. StatPearls "
    "([NBK559106](https://www.ncbi.nlm.nih.gov/books/NBK559106/)). The chapter sorts defenses into primitive "
    "and higher-level groups. We could not read the chapter itself. The names and groups shown here come from "
    "two published summaries of it: a medical-news summary (medpresso.org), which gives the counts and names four "
    "defenses in each group, and a mind map (coggle.it) that uses the same two groups. Where only the mind map names a "
    "defense, its group is read from the order of the map. Definitions and examples are in our own words."
)
