"""The reference app: Streamlit alone, with the elements of one of this app's pages (`make bench`).

Page 1: a sidebar multiselect that filters, one plotly chart, one data grid of 80 rows and some
text. Page 2: one button. Both in st.navigation, so loads, page switches and a filter change are
measured on the framework's own cost beside the app, in the same run, with the app's settings.
"""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

CONDITIONS = ["Depression", "Anxiety disorders", "Personality disorders", "Eating disorders"]
ROWS = 80


def table() -> pd.DataFrame:
    """80 made-up rows shaped like trial summaries (no evidence: the reference app only)."""
    i = range(ROWS)
    return pd.DataFrame(
        {
            "study": [f"Study {k + 1}" for k in i],
            "condition": [CONDITIONS[k % len(CONDITIONS)] for k in i],
            "year": [1990 + k % 35 for k in i],
            "participants": [20 + (k * 37) % 400 for k in i],
            "effect": [round(((k * 13) % 21 - 5) / 20, 2) for k in i],
        }
    )


def chart_page() -> None:
    st.title("Reference page")
    st.info("A page of the same elements as the app's, for the benchmark.")
    chosen = st.sidebar.multiselect("Condition", CONDITIONS)
    rows = table()
    if chosen:
        rows = rows[rows["condition"].isin(chosen)]
    st.write(f"{len(rows)} studies. Each point is one study: its size and its effect.")
    st.plotly_chart(go.Figure(go.Scatter(x=rows["participants"], y=rows["effect"], mode="markers")))
    st.dataframe(rows, hide_index=True)


def button_page() -> None:
    st.button("Click me")


st.navigation(
    [
        st.Page(chart_page, title="Chart page", url_path="chart", default=True),
        st.Page(button_page, title="Button page", url_path="button"),
    ]
).run()
