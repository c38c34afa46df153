"""Cached data access and the widgets shared by pages (the only module here that draws)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from pdevidence import evidence, filters, load, vocab

DISCLAIMER = (
    "**Information only, not medical advice.** This site summarizes published research. "
    "It cannot tell you which treatment is right for you; talk to a qualified health professional "
    "about your own situation. If you are in crisis, contact your local emergency number."
)
SOURCES_FOOTER = (
    "Sources: Fonagy P. (2015) *The effectiveness of psychodynamic psychotherapies: an update.* "
    "World Psychiatry 14:137–150 ([PMID 26043322](https://pubmed.ncbi.nlm.nih.gov/26043322/)); "
    "Shedler J. (2010) *The efficacy of psychodynamic psychotherapy.* American Psychologist 65:98–109 "
    "([doi:10.1037/a0018378](https://doi.org/10.1037/a0018378)); "
    "Bailey R., Pico J. *Defense Mechanisms.* StatPearls "
    "([NBK559106](https://www.ncbi.nlm.nih.gov/books/NBK559106/)); "
    "and the trial reports named in each row; each row says whether a second reader re-checked its figures. "
    "Metapsy databases © Metapsy project (metapsy.org), ODC-By 1.0. "
    "This site collects no analytics and keeps no record of what you look at."
)

_FILTER_FIELDS = ("conditions", "comparator_types", "designs", "terms", "models", "n", "year")
_SESSION_FILTERS = "filters_current"
_SESSION_LAST_URL = "filters_last_url"

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def escape(text: str) -> str:
    """Text made inert for st.markdown: no links, HTML or formatting from user input."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


@st.cache_data(show_spinner=False)
def tables() -> dict[str, pd.DataFrame]:
    """Every bundled table, validated once per server process."""
    return load.read_all()


@st.cache_data(show_spinner=False)
def _evidence() -> pd.DataFrame:
    return evidence.all_evidence(load.read_all())


def evidence_rows() -> pd.DataFrame:
    """Every evidence row of trials, meta-analyses and verdicts, built once per process."""
    table("trials")  # stops the page with a message if the data are invalid
    return _evidence()


def table(name: str) -> pd.DataFrame:
    """One bundled table; a data error stops the page with a message instead of a traceback."""
    try:
        return tables()[name]
    except load.DataError as exc:
        st.error("The bundled data failed validation, so nothing can be shown:\n\n" + escape(str(exc)))
        st.stop()


def studies() -> pd.DataFrame:
    return table("trials")


def render_disclaimer() -> None:
    st.info(DISCLAIMER, icon=":material/info:")


def render_footer() -> None:
    st.divider()
    st.caption(SOURCES_FOOTER)


def render_notices(notices: list[str]) -> None:
    for notice in notices:
        st.warning(escape(notice), icon=":material/link_off:")


def _url_filter_params() -> dict[str, str]:
    return {key: st.query_params[key] for key in filters.PARAM_NAMES if key in st.query_params}


def _page_scope() -> str:
    """An id of the running page: widget state does not survive a page switch,
    so each page keeps its own widget keys and is refilled from the shared state."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.page_script_hash[:12] if ctx is not None else "page"


def _keys() -> dict[str, str]:
    scope = _page_scope()
    return {field: f"f_{scope}_{field}" for field in _FILTER_FIELDS}


def _set_widgets(chosen: filters.Filters, options: filters.Options, only_missing: bool = False) -> None:
    state, keys = st.session_state, _keys()
    values = {
        attr: list(getattr(chosen, attr)) for attr in ("conditions", "comparator_types", "designs", "terms", "models")
    }
    values["n"] = (
        chosen.n_min if chosen.n_min is not None else options.n_range[0],
        chosen.n_max if chosen.n_max is not None else options.n_range[1],
    )
    values["year"] = (
        chosen.year_min if chosen.year_min is not None else options.year_range[0],
        chosen.year_max if chosen.year_max is not None else options.year_range[1],
    )
    for field, value in values.items():
        if not (only_missing and keys[field] in state):
            state[keys[field]] = value


def write_query_params(params: dict[str, str], names) -> None:
    """Make the URL's parameters among `names` equal `params`, touching only what changed."""
    for key in names:
        if key in params:
            if st.query_params.get(key) != params[key]:
                st.query_params[key] = params[key]
        elif key in st.query_params:
            del st.query_params[key]


def _reset_filters(options: filters.Options) -> None:
    _set_widgets(filters.Filters(), options)


def filter_sidebar(studies_frame: pd.DataFrame, page_params: tuple[str, ...] = ()) -> filters.Filters:
    """Sidebar filters kept in the URL: a shared link reopens the same selection.

    The URL wins when it differs from what this session last wrote (a link was
    opened, or the browser went back or forward); otherwise the session's
    selection carries over between pages and is written back to the URL.
    """
    options = filters.options_from(studies_frame)
    state = st.session_state
    url_params = _url_filter_params()
    last = state.get(_SESSION_LAST_URL)
    notices: list[str] = []
    if last is None or (url_params and url_params != last):
        parsed = filters.parse(url_params, options)
        notices = parsed.notices
        _set_widgets(parsed.filters, options)
    else:
        _set_widgets(state.get(_SESSION_FILTERS, filters.Filters()), options, only_missing=True)
    unknown = [k for k in st.query_params if k not in filters.PARAM_NAMES and k not in page_params]
    notices += [f"Ignored unknown link parameter {filters.shown(k)}." for k in unknown]
    render_notices(notices)

    keys = _keys()
    sb = st.sidebar
    sb.header("Filter studies")
    sb.multiselect(
        "Condition",
        options.conditions,
        key=keys["conditions"],
        format_func=lambda c: vocab.label(vocab.CONDITION_GROUPS, c),
        placeholder="All conditions",
    )
    sb.slider(
        "Study size (participants randomized)",
        min_value=options.n_range[0],
        max_value=options.n_range[1],
        key=keys["n"],
        help="Total number of people randomized in the trial, all groups together.",
    )
    sb.multiselect(
        "Compared with",
        options.comparator_types,
        key=keys["comparator_types"],
        format_func=lambda c: vocab.label(vocab.COMPARATOR_TYPES, c),
        placeholder="Any comparison",
        help=glossary_help("treatment as usual"),
    )
    sb.multiselect(
        "Study design",
        options.designs,
        key=keys["designs"],
        format_func=lambda c: vocab.label(vocab.DESIGNS, c),
        placeholder="Any design",
        help=glossary_help("randomized controlled trial"),
    )
    sb.slider(
        "Publication year",
        min_value=options.year_range[0],
        max_value=options.year_range[1],
        key=keys["year"],
    )
    sb.multiselect("Short- or long-term", options.terms, key=keys["terms"], placeholder="Either")
    sb.multiselect(
        "Named form of psychodynamic therapy",
        options.models,
        key=keys["models"],
        placeholder="Any form",
        help="MBT: mentalization-based treatment. TFP: transference-focused psychotherapy. "
        "PFPP: panic-focused psychodynamic psychotherapy. STPP: short-term psychodynamic psychotherapy.",
    )
    sb.button("Clear filters", on_click=_reset_filters, args=(options,))

    n_low, n_high = state[keys["n"]]
    y_low, y_high = state[keys["year"]]
    chosen = filters.normalize(
        filters.Filters(
            conditions=tuple(state[keys["conditions"]]),
            comparator_types=tuple(state[keys["comparator_types"]]),
            designs=tuple(state[keys["designs"]]),
            terms=tuple(state[keys["terms"]]),
            models=tuple(state[keys["models"]]),
            n_min=int(n_low),
            n_max=int(n_high),
            year_min=int(y_low),
            year_max=int(y_high),
        ),
        options,
    )
    params = filters.serialize(chosen)
    write_query_params(params, filters.PARAM_NAMES)
    state[_SESSION_FILTERS] = chosen
    state[_SESSION_LAST_URL] = params
    render_share_link(sb)
    return chosen


def filtered_trials(page_params: tuple[str, ...] = ()) -> tuple[pd.DataFrame, filters.Filters, pd.DataFrame]:
    """The trials, the sidebar selection, and the rows it keeps; stops the page when none match."""
    trials = studies()
    chosen = filter_sidebar(trials, page_params=page_params)
    subset = filters.apply(trials, chosen)
    st.caption(f"Showing: {filters.describe(chosen, vocab.ALL)}.")
    if subset.empty:
        st.warning("No trials match these filters. Clear some filters in the sidebar.")
        st.stop()
    return trials, chosen, subset


def share_url() -> str:
    """The address of this page with the current query string."""
    base = (st.context.url or "").split("?", 1)[0]
    query = urlencode(st.query_params.to_dict())
    return f"{base}?{query}" if query else base


def render_share_link(container=None) -> None:
    target = container or st
    with target.popover("Share this view", icon=":material/share:"):
        st.caption("Copy this link: it reopens this page with the same selection.")
        st.code(share_url(), language=None, wrap_lines=True)


def glossary_help(term: str) -> str | None:
    """The glossary definition of a term, for a widget's hover help."""
    try:
        glossary = tables()["glossary"]
    except load.DataError:
        return None
    hit = glossary[glossary["term"].str.lower() == term.lower()]
    return None if hit.empty else str(hit["definition"].iloc[0])


def render_download(frame: pd.DataFrame, filename: str, label: str = "Download these rows (CSV)") -> None:
    st.download_button(
        label,
        frame.to_csv(index=False).encode("utf-8"),
        file_name=filename,
        mime="text/csv",
        icon=":material/download:",
    )


def render_chart(fig, data: pd.DataFrame, caption: str, key: str) -> None:
    """A chart with a caption and the same figures as a table for screen readers and copying."""
    st.plotly_chart(fig, width="stretch", key=key, config={"displaylogo": False})
    st.caption(caption)
    with st.expander("Show this chart as a table"):
        st.dataframe(data, hide_index=True, width="stretch")


def url_choice(
    label: str,
    param: str,
    choices: dict[str, str],
    default: str,
    *,
    container=None,
    help: str | None = None,
    widget: str = "radio",
) -> str:
    """A radio (or selectbox) whose value lives in the query parameter `param` (absent = default)."""
    target = container or st
    widget_key = f"p_{param}"
    last_key = f"p_{param}_last"
    raw = st.query_params.get(param)
    state = st.session_state
    if widget_key not in state or (raw is not None and raw != state.get(last_key)):
        if raw is None:
            value = state.get(widget_key, default)
        elif raw in choices:
            value = raw
        else:
            render_notices([f"Ignored {param} {filters.shown(raw)}: expected one of {', '.join(choices)}."])
            value = default
        state[widget_key] = value
    if widget == "selectbox":
        value = target.selectbox(label, list(choices), format_func=choices.__getitem__, key=widget_key, help=help)
    else:
        value = target.radio(
            label, list(choices), format_func=choices.__getitem__, key=widget_key, horizontal=True, help=help
        )
    if value == default:
        if param in st.query_params:
            del st.query_params[param]
        state[last_key] = None
    else:
        if st.query_params.get(param) != value:
            st.query_params[param] = value
        state[last_key] = value
    return value


def url_multi(
    label: str,
    param: str,
    choices: dict[str, str],
    default: tuple[str, ...],
    *,
    max_selections: int | None = None,
) -> list[str]:
    """A multiselect whose values live in the comma-separated query parameter `param`."""
    widget_key = f"p_{param}"
    last_key = f"p_{param}_last"
    raw = st.query_params.get(param)
    state = st.session_state
    if widget_key not in state or (raw is not None and raw != state.get(last_key)):
        if raw is None:
            values = list(state.get(widget_key, default))
        else:
            values, bad = [], []
            for item in (part.strip() for part in raw.split(",")):
                if item in choices and item not in values:
                    values.append(item)
                elif item:
                    bad.append(item)
            if bad:
                render_notices([f"Ignored {param} {filters.shown(b)}: not a known choice." for b in bad])
            if max_selections is not None and len(values) > max_selections:
                render_notices([f"Only the first {max_selections} choices in the link are shown."])
                values = values[:max_selections]
            if not values:
                values = list(default)
        state[widget_key] = values
    values = st.multiselect(
        label, list(choices), format_func=choices.__getitem__, key=widget_key, max_selections=max_selections
    )
    text = ",".join(values)
    if list(values) == list(default):
        if param in st.query_params:
            del st.query_params[param]
        state[last_key] = None
    else:
        if st.query_params.get(param) != text:
            st.query_params[param] = text
        state[last_key] = text
    return list(values)


def url_text(label: str, param: str, *, placeholder: str = "", max_chars: int = 80) -> str:
    """A text box whose value lives in the query parameter `param` (absent = empty)."""
    widget_key = f"p_{param}"
    last_key = f"p_{param}_last"
    raw = st.query_params.get(param)
    state = st.session_state
    if widget_key not in state or (raw is not None and raw != state.get(last_key)):
        state[widget_key] = (raw if raw is not None else state.get(widget_key, ""))[:max_chars]
    value = st.text_input(label, key=widget_key, placeholder=placeholder, max_chars=max_chars)
    if value:
        if st.query_params.get(param) != value:
            st.query_params[param] = value
        state[last_key] = value
    else:
        if param in st.query_params:
            del st.query_params[param]
        state[last_key] = None
    return value


def require_frame() -> None:
    """Make sure this page runs inside app.py's frame (disclaimer, navigation, footer).

    A deep link that reaches a freshly started server before app.py has run
    once is served by Streamlit's legacy pages-folder mode, which runs the page
    file alone. Switching that mode off and rerunning hands the request to
    app.py's navigation, which opens the same page with the same query string.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
