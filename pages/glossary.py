"""Glossary: the research words the site uses, in plain language."""

import streamlit as st

from pdevidence import prose
from pdevidence.web import widgets

widgets.require_frame()

st.title("Glossary")
st.markdown(prose.GLOSSARY)
glossary = widgets.table("glossary").sort_values("term", key=lambda s: s.str.casefold())
for row in glossary.itertuples(index=False):
    st.markdown(f"**{row.term}**: {row.definition}")
