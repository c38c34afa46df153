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

import hashlib
import importlib
import pickle

import pandas as pd
import streamlit as st


def _function(module: str, name: str):
    return getattr(importlib.import_module(module), name)


def _table_digest(table: pd.DataFrame | pd.Series) -> bytes:
    """A digest of a table's full content for the cache key.

    The digest of its pickle is about eight times faster than Streamlit's default (a hash of every
    cell), which pages pay on every cached call. Equal bytes mean an equal table, so a key is never
    shared by two different tables; two equal tables pickled differently only cost a recomputation.
    """
    return hashlib.sha256(pickle.dumps(table, protocol=pickle.HIGHEST_PROTOCOL)).digest()


_HASH_FUNCS = {pd.DataFrame: _table_digest, pd.Series: _table_digest}


@st.cache_data(show_spinner=False, max_entries=512, hash_funcs=_HASH_FUNCS)
def _computed(module: str, name: str, *args, **kwargs):
    return _function(module, name)(*args, **kwargs)


@st.cache_resource(show_spinner=False, max_entries=128, hash_funcs=_HASH_FUNCS)
def _figure(module: str, name: str, *args, **kwargs):
    return _function(module, name)(*args, **kwargs)


def computed(fn, *args, **kwargs):
    """fn(*args, **kwargs), computed once per distinct input."""
    return _computed(fn.__module__, fn.__name__, *args, **kwargs)


def figure(builder, *args, **kwargs):
    """builder(*args, **kwargs), a plotly figure built once per distinct input and shared (read-only)."""
    return _figure(builder.__module__, builder.__name__, *args, **kwargs)
