"""What pages compute from the data and the view state, kept across reruns and sessions.

Streamlit's own caches, keyed by hashable values only: the function, a `key` saying what the tables
passed in were drawn from (`widgets.data_key(view)`: the bundled data's fingerprint and the filters'
selection; a Metapsy database's fingerprint and its settings), and the other, hashable arguments.
Tables (DataFrame, Series) are passed to the function unhashed: a caller's key must change whenever
they would.

- `computed` (st.cache_data): tables and summaries; every caller gets its own copy.
- `figure` (st.cache_resource): plotly figures. Copying a figure through
  pickle rebuilds and re-validates it, which costs as much as building it, so
  one figure object is shared; st.plotly_chart only reads it, and pages must
  not change a figure they got from here.
"""

from __future__ import annotations

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


def _call(module: str, name: str, args: tuple, kwargs: dict, tables: list):
    def real(value):
        return tables[value.position] if isinstance(value, _Table) else value

    fn = getattr(importlib.import_module(module), name)
    return fn(*map(real, args), **{k: real(v) for k, v in kwargs.items()})


@st.cache_data(show_spinner=False, max_entries=512)
def _computed(module: str, name: str, key, args: tuple, kwargs: dict, _tables: list):
    return _call(module, name, args, kwargs, _tables)


@st.cache_resource(show_spinner=False, max_entries=128)
def _figure(module: str, name: str, key, args: tuple, kwargs: dict, _tables: list):
    return _call(module, name, args, kwargs, _tables)


def computed(fn, *args, key, **kwargs):
    """fn(*args, **kwargs), computed once per key and distinct other arguments."""
    return _computed(fn.__module__, fn.__name__, key, *_split(args, kwargs))


def figure(builder, *args, key, **kwargs):
    """builder(*args, **kwargs), a plotly figure built once per key and distinct other arguments, shared (read-only)."""
    return _figure(builder.__module__, builder.__name__, key, *_split(args, kwargs))
