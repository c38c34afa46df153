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
    """A digest of a table's full content for the cache key: every cell, the index, the column names and dtypes.

    pandas hashes each row (vectorized, about ten times faster than Streamlit's default hash of every
    cell), so equal tables share a key however they were built or copied. Pickled bytes, used before,
    differ between equal tables (a cached copy pickles differently from the original), which made a
    page miss its cache on about one run in three. A table whose cells pandas cannot hash (lists,
    dicts) falls back to its pickle, which is exact but may miss.
    """
    names = list(table.columns) if isinstance(table, pd.DataFrame) else [table.name]
    dtypes = [str(d) for d in table.dtypes] if isinstance(table, pd.DataFrame) else [str(table.dtype)]
    digest = hashlib.sha256(repr((type(table).__name__, names, dtypes, table.shape)).encode("utf-8"))
    try:
        digest.update(pd.util.hash_pandas_object(table, index=True).to_numpy().tobytes())
    except TypeError:
        digest.update(pickle.dumps(table, protocol=pickle.HIGHEST_PROTOCOL))
    return digest.digest()


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
