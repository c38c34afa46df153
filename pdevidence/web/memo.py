"""What pages compute from the data and the view state, kept across reruns and sessions.

Streamlit's own caches, keyed by hashable values only: the function, a `key` saying what the tables
passed in were drawn from (`widgets.data_key(view)`: the bundled data's fingerprint and the filters'
selection; a Metapsy database's fingerprint and its settings), and the other, hashable arguments.
Tables (DataFrame, Series) are passed to the function unhashed: a caller's key must change whenever
they would.

- `computed` (st.cache_data): tables and summaries; every caller gets its own copy.
- `shared` (st.cache_resource): one object shared by every caller, which only reads it. For plotly figures
  (`figure`): copying a figure through pickle rebuilds and re-validates it, which costs as much as building
  it; st.plotly_chart only reads it. And for results made of frozen values (dataclasses, tuples, text) that
  a page reads on every run, where unpickling a copy each time costs more than the look-up. Pages must not
  change what they got from here.
"""

from __future__ import annotations

import gc
import importlib
from dataclasses import dataclass

import pandas as pd
import streamlit as st


@dataclass(frozen=True)
class _Table:
    """Stands in a cache key for the table at this position (the table itself goes in unhashed)."""

    position: int


def _split(args: tuple, kwargs: dict) -> tuple[tuple, dict, list]:
    tables: list = []

    def hashable(value):
        if isinstance(value, (pd.DataFrame, pd.Series)):
            tables.append(value)
            return _Table(len(tables) - 1)
        return value

    return tuple(map(hashable, args)), {k: hashable(v) for k, v in kwargs.items()}, tables


# A placeholder hashes as its position: Streamlit hashes a dataclass through dataclasses.asdict (a deep copy).
_HASH = {_Table: lambda table: table.position}


def _call(module: str, name: str, args: tuple, kwargs: dict, tables: list):
    def real(value):
        return tables[value.position] if isinstance(value, _Table) else value

    fn = getattr(importlib.import_module(module), name)
    return fn(*map(real, args), **{k: real(v) for k, v in kwargs.items()})


@st.cache_data(show_spinner=False, max_entries=512, hash_funcs=_HASH)
def _computed(module: str, name: str, key, args: tuple, kwargs: dict, _tables: list):
    return _call(module, name, args, kwargs, _tables)


@st.cache_resource(show_spinner=False, max_entries=128, hash_funcs=_HASH)
def _shared(module: str, name: str, key, args: tuple, kwargs: dict, _tables: list):
    return _call(module, name, args, kwargs, _tables)


def computed(fn, *args, key, **kwargs):
    """fn(*args, **kwargs), computed once per key and distinct other arguments."""
    return _computed(fn.__module__, fn.__name__, key, *_split(args, kwargs))


def shared(fn, *args, key, **kwargs):
    """fn(*args, **kwargs), computed once per key and distinct other arguments; every caller gets the same object
    and only reads it."""
    return _shared(fn.__module__, fn.__name__, key, *_split(args, kwargs))


figure = shared  # a plotly figure, built once per key and shared (read-only)


@st.cache_resource(show_spinner=False, max_entries=64)
def settle(page: str) -> None:
    """Once per page and server process, after the page's first run: collect the garbage, then move every object
    still alive (the modules the page imported, the bundled tables, what the caches hold) out of the collector's
    reach (gc.freeze), where it stays alive as before.

    Python's full collection walks every tracked object; with pandas, plotly and the tables loaded that is about
    285,000 objects and 140 to 200 ms, and it falls, unannounced, on whichever visitor's run reaches the
    threshold (about one run in twenty; `bench/gc_pauses.py`). Frozen objects are never walked again, so the
    full collections left walk only what later runs allocate. Objects frozen here that become garbage later
    are freed by reference counting as usual; only those in reference cycles stay (a bounded amount: what
    one run per page held).
    """
    gc.collect()
    gc.freeze()
