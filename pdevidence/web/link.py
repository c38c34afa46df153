"""The view state's round trip to the address bar: the one rule for when the URL wins, and one write per run.

The URL wins when it changed since this session last wrote it (a link was opened, or the browser went
back or forward); otherwise the session's own choices do. Widgets stage what they would write
(`stage`); the frame writes the address once, after the page (`finish`), so a page that ends early
(`widgets.stop_page()`) still leaves a correct address.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from pdevidence.web import internals

_KEY = "view"


@dataclass
class Link:
    """Everything this session keeps about the address: the one session key of the view state."""

    written: dict[str, list[str]] | None = None  # the query this session last wrote (None: never)
    page: str | None = None  # the page it was written on
    url_won: bool = True  # this run's answer to "did the URL change since we wrote it?"
    run: object = None
    framed: bool = False  # this run is inside app.py's frame, which writes the address after the page
    pending: dict[str, list[str] | None] = field(default_factory=dict)  # this run's staged writes
    kept: dict[str, object] = field(default_factory=dict)  # selections carried between pages, by group


def _link() -> Link:
    state = st.session_state
    if _KEY not in state:
        state[_KEY] = Link()
    return state[_KEY]


def _url() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in st.query_params}


def begin(page: str | None = None, *, framed: bool = False) -> None:
    """Called by the frame before the page: decide, once for this run, whether the URL wins."""
    link, url = _link(), _url()
    switched = page != link.page and not url  # navigation to another page clears the address
    link.url_won = link.written is None or (url != link.written and not switched)
    link.page = page
    link.run = internals.run_id()
    link.framed = framed
    link.pending = {}


def framed() -> bool:
    """Whether this run is inside app.py's frame (which catches widgets.EndOfPage and writes the address)."""
    link = _link()
    return link.framed and link.run == internals.run_id()


def url_wins() -> bool:
    """Whether this run takes its view from the URL rather than from the session's own choices."""
    link = _link()
    if link.run != internals.run_id():  # a page run on its own, without the frame
        begin(link.page)
    return link.url_won


def query(names=None) -> dict[str, list[str]]:
    """The address as this run leaves it so far (the URL with this run's staged writes), key -> every value."""
    out = _url()
    link = _link()
    if link.run == internals.run_id():
        for key, values in list(link.pending.items()):
            if values is None:
                out.pop(key, None)
            else:
                out[key] = values
    return {k: v for k, v in out.items() if names is None or k in names}


def stage(params: dict, names) -> None:
    """Make the address's parameters among `names` equal `params` (a value or a list) when the run ends."""
    link = _link()
    if link.run != internals.run_id():
        begin(link.page)
    for key in names:
        if key in params:
            value = params[key]
            link.pending[key] = [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
        else:
            link.pending[key] = None
    if not link.framed:  # a page run on its own (a test of one page file): nothing writes after it
        finish()


def finish() -> None:
    """Called by the frame after the page: write the address once, touching only what changed."""
    link = _link()
    if link.run == internals.run_id():
        for key, values in list(link.pending.items()):
            if values is None:
                if key in st.query_params:
                    del st.query_params[key]
            elif st.query_params.get_all(key) != values:
                st.query_params[key] = values if len(values) != 1 else values[0]
        link.pending = {}
    link.written = _url()


def keep(group: str, value) -> None:
    """Remember a group's valid selection (filters, Metapsy settings), carried to the next page that shows it."""
    _link().kept[group] = value


def kept(group: str, default=None):
    return _link().kept.get(group, default)
