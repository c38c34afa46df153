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
import threading

import pandas as pd
import streamlit as st

from pdevidence.web import internals


def _function(module: str, name: str):
    return getattr(importlib.import_module(module), name)


_seen = threading.local()  # this thread's current run: id -> (table, digest)


def _table_digest(table: pd.DataFrame | pd.Series) -> bytes:
    """A digest of a table's full content for the cache key: every cell, the index, the column names and dtypes.

    pandas hashes each row, so equal tables share a key however they were built or copied (pickled
    bytes, used before, differ between equal tables, which made pages miss their cache on about one
    run in three). A page passes the same filtered table to several cached functions, so within one
    script run a table object is hashed once (tables handed to the cache are not changed in place).
    A table whose cells pandas cannot hash (lists, dicts) falls back to its pickle: exact, may miss.
    """
    run = internals.run_id()
    if getattr(_seen, "run", None) != run:
        _seen.run, _seen.digests = run, {}
    known = _seen.digests.get(id(table)) if run is not None else None
    if known is not None and known[0] is table:
        return known[1]
    frame = table if isinstance(table, pd.DataFrame) else table.to_frame(name=table.name)
    axes = (list(frame.columns), frame.columns.name, list(frame.index.names), frame.shape)
    # repr of a dtype names a categorical's categories and order, which str() does not.
    header = (type(table).__name__, axes, [repr(d) for d in frame.dtypes])
    digest = hashlib.sha256(repr(header).encode("utf-8"))
    try:
        digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
        # pandas hashes object cells by their text, so 1 and "1", or None and NaN, would hash alike:
        # object columns add their Python values.
        for _, column in frame.select_dtypes(include="object").items():
            digest.update(pickle.dumps(column.tolist(), protocol=pickle.HIGHEST_PROTOCOL))
    except TypeError:
        digest.update(pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL))
    value = digest.digest()
    if run is not None:
        _seen.digests[id(table)] = (table, value)  # the table is kept, so its id is not reused this run
    return value


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
