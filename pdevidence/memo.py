"""What pages compute from the data and the filter state, kept across reruns and sessions.

Streamlit's own caches, keyed by the function and the hashed inputs (so by
the filter selection that produced them):

- `computed` (st.cache_data): tables and summaries; every caller gets its own copy.
- `figure` (st.cache_resource): plotly figures. Copying a figure through
  pickle rebuilds and re-validates it, which costs as much as building it, so
  one figure object is shared; st.plotly_chart only reads it, and pages must
  not change a figure they got from here.
"""

from __future__ import annotations

import importlib

import streamlit as st


def _function(module: str, name: str):
    return getattr(importlib.import_module(module), name)


@st.cache_data(show_spinner=False, max_entries=512)
def _computed(module: str, name: str, *args, **kwargs):
    return _function(module, name)(*args, **kwargs)


@st.cache_resource(show_spinner=False, max_entries=128)
def _figure(module: str, name: str, *args, **kwargs):
    return _function(module, name)(*args, **kwargs)


def computed(fn, *args, **kwargs):
    """fn(*args, **kwargs), computed once per distinct input."""
    return _computed(fn.__module__, fn.__name__, *args, **kwargs)


def figure(builder, *args, **kwargs):
    """builder(*args, **kwargs), a plotly figure built once per distinct input and shared (read-only)."""
    return _figure(builder.__module__, builder.__name__, *args, **kwargs)
