"""Cached access to the bundled tables: read once per server process, their fingerprint, and the view-state
context read off them."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from pdevidence import load, viewstate


# The bundled tables are read once per process and shared by every session (st.cache_resource):
# st.cache_data would unpickle every table on each of the many calls a page makes. Callers get
# shallow copy-on-write copies (pandas 3), so a change made by one never reaches the cache.
@st.cache_resource(show_spinner=False)
def _validated_tables() -> dict[str, pd.DataFrame]:
    return load.read_all()


def tables() -> dict[str, pd.DataFrame]:
    """Every bundled table, validated once per server process (raises load.DataError if they are invalid)."""
    return {name: frame.copy(deep=False) for name, frame in _validated_tables().items()}


def table(name: str) -> pd.DataFrame:
    """One bundled table (a shallow copy-on-write copy of it alone: pages ask for one table many times a run)."""
    return _validated_tables()[name].copy(deep=False)


@st.cache_resource(show_spinner=False)
def fingerprint() -> str:
    """A digest of the bundled data files: with the view state, it keys every cached result drawn from them."""
    digest = hashlib.sha256()
    for path in sorted(load.DATA_DIR.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(load.DATA_DIR)).encode("utf-8"))
            digest.update(path.read_bytes())
    return digest.hexdigest()


# The rows themselves are part of the key, so a changed table of fields is read afresh; each is keyed by its own
# hash (frozen dataclasses hash by value, in microseconds, where Streamlit's hashing took about 7 ms a run).
@st.cache_resource(show_spinner=False, max_entries=64, hash_funcs={viewstate.Field: hash})
def _context(page: str, names: tuple[str, ...], fields: tuple[viewstate.Field, ...]) -> dict:
    needed = any(f.source is not None for f in fields)
    return viewstate.context(tables() if needed else {}, names, page=page)


def context(page: str, names: tuple[str, ...]) -> dict | None:
    """The view-state context of a page's fields, read off the bundled data once per process; None if the
    data are invalid (the page then says so)."""
    try:
        return _context(page, names, tuple(viewstate.BY_NAME[n] for n in names))
    except load.DataError:
        return None
