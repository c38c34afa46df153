"""Router and frame: page config, navigation, the view state parsed once before the page, the disclaimer and
sources on every page, and the address written once after it."""

from pathlib import Path

import streamlit as st

from pdevidence.web import memo, widgets

# The tab icon is a file in the repository: a ":material/...:" page icon makes every visitor's browser
# fetch it from fonts.gstatic.com. (Material icons elsewhere are served by the app itself.)
ICON = str(Path(__file__).parent / "static" / "icon.png")

st.set_page_config(
    page_title="Psychodynamic therapy: what the evidence shows",
    page_icon=ICON,
    layout="wide",
)

PAGES = {
    "Evidence": [
        st.Page("pages/overview.py", title="Overview", url_path="overview", icon=":material/dashboard:", default=True),
        st.Page("pages/explore.py", title="Explore studies", url_path="explore", icon=":material/filter_alt:"),
        st.Page("pages/study_size.py", title="Study size", url_path="study_size", icon=":material/straighten:"),
        st.Page("pages/metapsy.py", title="Trial databases (Metapsy)", url_path="metapsy", icon=":material/database:"),
    ],
    "Explainers": [
        st.Page(
            "pages/therapy_types.py",
            title="Therapy types compared",
            url_path="therapy_types",
            icon=":material/compare:",
        ),
        st.Page(
            "pages/short_vs_long.py", title="Short- vs long-term", url_path="short_vs_long", icon=":material/schedule:"
        ),
        st.Page(
            "pages/defense_mechanisms.py",
            title="Defense mechanisms",
            url_path="defense_mechanisms",
            icon=":material/shield:",
        ),
        st.Page("pages/claims.py", title="The article's claims", url_path="claims", icon=":material/fact_check:"),
        st.Page("pages/glossary.py", title="Glossary", url_path="glossary", icon=":material/menu_book:"),
    ],
    "About": [
        st.Page("pages/sources.py", title="Sources & method", url_path="sources", icon=":material/source:"),
    ],
}

# Each url_path equals its file's name, so a deep link resolves to the same
# page whether or not Streamlit has seen this navigation yet (see widgets.require_frame).
# A flat list: Streamlit's sectioned sidebar navigation nests list items in
# a way screen readers do not announce as a list (axe "list"/"listitem").
page = st.navigation([p for section in PAGES.values() for p in section])

# The frame is drawn before the page runs, around an empty container the page
# fills: widgets.stop_page(), an empty selection or a data error inside the page cannot
# remove the disclaimer or the sources footer. start_page parses this run's view state from
# the URL (or carries the session's) into one frozen object; finish_page writes the address.
widgets.render_disclaimer()
body = st.container()
widgets.render_footer()
with body:
    widgets.start_page(page.url_path or "overview")
    try:
        page.run()
    except widgets.EndOfPage:
        pass
    finally:
        widgets.finish_page()
        memo.settle(page.url_path or "overview")
