"""The Streamlit layer: cached data access, widgets bound to the view state, panels and notices."""
