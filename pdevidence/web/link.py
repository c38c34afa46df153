"""The view state of the session and its round trip to the address bar: parsed once per run before the page,
the one rule for when the URL wins, and one write after the page.

The URL wins when it changed since this session last wrote it (a link was opened, or the browser went
back or forward); otherwise the session's own choices do: the view of the last run on this page, as
its widgets changed it, or, on another page, the defaults with the filters and the choices shared by
several pages carried over. The frame
(app.py, through widgets.start_page) calls `begin` before the page and `finish` after it, so a page that
ends early (`widgets.stop_page()`) still leaves a correct address. A section rerun on its own (`widgets.section`,
st.fragment) runs neither: the view of the last run, as the section's widgets changed it, is still the view,
and the section calls `finish` itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from pdevidence import viewstate
from pdevidence.web import data, internals

_KEY = "view"


@dataclass
class Link:
    """Everything this session keeps about the view and the address: the one session key of the view state."""

    view: viewstate.View | None = None  # this run's frozen view state (replaced, never changed)
    context: dict = field(default_factory=dict)  # the allowed values of the view's fields, read off the data
    written: dict[str, list[str]] | None = None  # the query this session last wrote (None: never)
    page: str | None = None  # the page it was written on
    url_won: bool = True  # this run's answer to "did the URL change since we wrote it?"
    run: object = None  # the token of the run that parsed the view (internals.current_run)
    framed: bool = False  # this run is inside app.py's frame, which writes the address after the page
    pending: dict[str, list[str] | None] = field(default_factory=dict)  # staged writes of page-parsed fields
    carried: dict[str, object] = field(default_factory=dict)  # values carried to the next page (Field.carried)
    kept: dict[str, object] = field(default_factory=dict)  # page-parsed selections (Metapsy settings), by group


def _link() -> Link:
    state = st.session_state
    if _KEY not in state:
        state[_KEY] = Link()
    return state[_KEY]


def _url() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in st.query_params}


def begin(page: str, *, framed: bool = False) -> list[str]:
    """Before the page: decide once whether the URL wins, and parse this run's view; returns the link's notices."""
    link, url = _link(), _url()
    switched = page != link.page and not url  # navigation to another page clears the address
    link.url_won = link.written is None or (url != link.written and not switched)
    names = viewstate.frame_fields(page)
    context = data.context(page, names)
    if context is None:  # the data are invalid: only the fields that do not depend on them
        names = tuple(n for n in names if viewstate.BY_NAME[n].source is None)
        context = data.context(page, names) or {}
    notices: list[str] = []
    if link.url_won:
        parsed = viewstate.parse(url, context, fields=names, page=page)
        state, notices = parsed.state, parsed.notices
    elif link.view is not None and link.view.page == page and link.page == page:
        state = link.view.as_dict()
    else:  # another page: its defaults, with the filters and shared choices carried over (checked again)
        carried = {k: v for k, v in link.carried.items() if k in names}
        state = viewstate.parse(viewstate.serialize(carried, context), context, fields=names).state
    link.page, link.run, link.framed = page, internals.current_run(), framed
    link.context, link.pending = context, {}
    set_view(viewstate.View.of(page, state))
    return notices


def _live(link: Link) -> bool:
    """Whether the session's view is this run's: parsed by this run, or this is a section's own rerun (the view
    of the last run on this page, as the section's widgets changed it)."""
    return internals.is_current(link.run) or internals.in_fragment_rerun()


def begun() -> bool:
    """Whether this run's view has been parsed (by the frame, or by a page run on its own)."""
    return internals.is_current(_link().run)


def framed() -> bool:
    """Whether this run is inside app.py's frame (which catches widgets.EndOfPage and writes the address)."""
    link = _link()
    return link.framed and internals.is_current(link.run)


def view() -> viewstate.View:
    """This run's frozen view state."""
    return _link().view


def context() -> dict:
    return _link().context


def set_view(new: viewstate.View) -> None:
    """Replace the view (a widget changed, a panel opened); the address follows it after the page."""
    link = _link()
    link.view = new
    link.carried.update({f.name: new[f.name] for f in viewstate.FIELDS if f.carried and f.name in new})
    if internals.is_current(link.run) and not link.framed:  # a page run on its own: nothing writes after it
        finish()


def url_wins() -> bool:
    """Whether this run takes its view from the URL rather than from the session's own choices. Never in a
    section's own rerun: the address cannot change without a run of the whole page."""
    return _link().url_won and not internals.in_fragment_rerun()


def target() -> dict[str, list[str]]:
    """The address this run leaves: the view serialized, the page's staged writes, nothing the page does not use."""
    link, out = _link(), _url()
    if link.view is None or not _live(link):
        return out
    used = set(viewstate.fields_of(link.page))
    out = {k: v for k, v in out.items() if k in used and k not in link.view}
    out.update(viewstate.serialize(link.view.as_dict(), link.context))
    for key, values in link.pending.items():
        if values is None:
            out.pop(key, None)
        else:
            out[key] = values
    return out


def query(names=None) -> dict[str, list[str]]:
    """The address as this run leaves it so far, key -> every value (only `names` if given)."""
    return {k: v for k, v in target().items() if names is None or k in names}


def stage(params: dict, names) -> None:
    """Make the address's parameters among `names` (fields a page parses itself) equal `params` when the run ends."""
    link = _link()
    for key in names:
        if key in params:
            value = params[key]
            link.pending[key] = [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
        else:
            link.pending[key] = None
    if not link.framed:  # a page run on its own (a test of one page file): nothing writes after it
        finish()


def finish() -> None:
    """After the page (or after a section's own rerun): write the address once, touching only what changed."""
    link = _link()
    if _live(link):
        wanted = target()
        for key in [k for k in st.query_params if k not in wanted]:
            del st.query_params[key]
        for key, values in wanted.items():
            if st.query_params.get_all(key) != values:
                st.query_params[key] = values if len(values) != 1 else values[0]
    link.written = _url()


def keep(group: str, value) -> None:
    """Remember a page-parsed selection (Metapsy settings), carried to the next visit of that page."""
    _link().kept[group] = value


def kept(group: str, default=None):
    return _link().kept.get(group, default)
