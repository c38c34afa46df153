"""What pages compute from the data and the view state, kept across reruns and sessions.

Streamlit's own caches, keyed by hashable values only: the function, a `key` saying what the tables
passed in were drawn from (`widgets.data_key(view)`: the bundled data's fingerprint and the filters'
selection; a Metapsy database's fingerprint and its settings), and the other, hashable arguments.
Tables (DataFrame, Series), and any argument wrapped in `Unhashed` (a Metapsy database, its analysis
settings), are passed to the function unhashed: a caller's key must change whenever they would.

- `computed` (st.cache_resource, handed out through `_own`): tables and summaries; every caller gets its own
  copy. A table's copy is a shallow copy-on-write one (pandas 3), made in microseconds whatever its size, where
  st.cache_data unpickled a new one on every call: about 100 ms a run on Explore with 10,000 trials.
- `shared` (st.cache_resource): one object shared by every caller, which only reads it. For plotly figures
  (`figure`): copying a figure through pickle rebuilds and re-validates it, which costs as much as building
  it; st.plotly_chart only reads it. And for results made of frozen values (dataclasses, tuples, text) that
  a page reads on every run, where unpickling a copy each time costs more than the look-up. Pages must not
  change what they got from here.
"""

from __future__ import annotations

import copy
import gc
import importlib
from dataclasses import dataclass

import pandas as pd
import streamlit as st


@dataclass(frozen=True)
class _Table:
    """Stands in a cache key for the table at this position (the table itself goes in unhashed)."""

    position: int


class Unhashed:
    """An argument given to the function as it is and never hashed, as a table is: for objects Streamlit cannot
    hash cheaply (a database; a dataclass, which it hashes through a deep copy). The key must say what it is."""

    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value


def _split(args: tuple, kwargs: dict) -> tuple[tuple, dict, list]:
    tables: list = []

    def hashable(value):
        if isinstance(value, (pd.DataFrame, pd.Series, Unhashed)):
            tables.append(value.value if isinstance(value, Unhashed) else value)
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


@st.cache_resource(show_spinner=False, max_entries=512, hash_funcs=_HASH)
def _computed(module: str, name: str, key, args: tuple, kwargs: dict, _tables: list):
    return _call(module, name, args, kwargs, _tables)


def _own(value):
    """A copy of a cached result that the caller may change without changing the cache: tables by copy-on-write
    (changing the copy copies what it changes), lists, tuples and dicts item by item; frozen dataclasses, text and
    numbers are shared as they are (nothing can change them); anything else is copied whole."""
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return value.copy(deep=False)
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(_own(item) for item in value)
    if isinstance(value, dict):
        return {k: _own(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, bytes, int, float, bool)) or _frozen(value):
        return value
    return copy.deepcopy(value)


def _frozen(value) -> bool:
    params = getattr(type(value), "__dataclass_params__", None)
    return params is not None and params.frozen


@st.cache_resource(show_spinner=False, max_entries=128, hash_funcs=_HASH)
def _shared(module: str, name: str, key, args: tuple, kwargs: dict, _tables: list):
    return _call(module, name, args, kwargs, _tables)


def computed(fn, *args, key, **kwargs):
    """fn(*args, **kwargs), computed once per key and distinct other arguments; each caller gets its own copy."""
    return _own(_computed(fn.__module__, fn.__name__, key, *_split(args, kwargs)))


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
    285,000 objects and 140 to 280 ms, and it falls, unannounced, on whichever visitor's run reaches the
    threshold (2 to 7 times in about a hundred runs in `bench/gc_pauses.py`). Frozen objects are never walked
    again, so the full collections left walk only what later runs allocate. Objects frozen here that become
    garbage later are freed by reference counting as usual; only those in reference cycles stay (a bounded
    amount: what one run per page held).
    """
    gc.collect()
    gc.freeze()
