"""Cached data access and the widgets shared by pages (the only module here that draws)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from pdevidence import effectmap, evidence, filters, load, viewstate, vocab
from pdevidence.web import internals, link, memo

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

_FILTER_FIELDS = ("conditions", "specifics", "comparator_types", "designs", "terms", "models", "n", "year")
_NOTICES = "_url_notices"
_NOTICE_SLOT = "_url_notice_slot"
NOTICE_ICON = ":material/link_off:"
PANEL_PARAM = "show"
_PANELS_PARSED = "_panels_parsed"
_PAGE_PATH = "_page_path"
_SHARE_SLOT = "_share_slot"

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")
# Bare addresses that GitHub-flavoured markdown turns into links even when escaped:
# "www.", "scheme:" followed by "//", and "@" of an e-mail address. A zero-width
# space breaks each pattern without changing what a reader sees.
_AUTOLINK = re.compile(r"(?i)(www)(\.)|(:)(//)|(@)")
_ZWSP = "\u200b"
_FORMULA_START = "=+-@\t\r"


def escape(text: str) -> str:
    """Text made inert for st.markdown: no links (also bare www./http:// addresses), HTML or formatting."""
    text = _AUTOLINK.sub(lambda m: _ZWSP.join(g for g in m.groups() if g is not None) + _ZWSP, str(text))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def code(text, limit: int = 400) -> str:
    """Text from outside (a file, an address, an error about them) as an inline code span: shown as typed,
    never as a link, an autolinked address, an image or formatting."""
    flat = " ".join(str(text).replace("`", "'").split())
    flat = flat[:limit] + ("…" if len(flat) > limit else "")
    return f"`{flat}`" if flat else "``"


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot run as spreadsheet formulas (OWASP CSV injection).

    Text starting with =, +, -, @, a tab or a carriage return gets a leading
    apostrophe; numeric columns are left alone, so -0.5 stays a number.
    """
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        cells = series.astype(object).tolist()
        risky = [isinstance(v, str) and v[:1] != "" and v[:1] in _FORMULA_START for v in cells]
        if any(risky):
            out[column] = ["'" + v if flag else v for v, flag in zip(cells, risky, strict=True)]
    return out


def to_csv(frame: pd.DataFrame) -> bytes:
    """The CSV every download offers: formula-safe, UTF-8."""
    return csv_safe(frame).to_csv(index=False).encode("utf-8")


# The bundled tables are read once per process and shared by every session (st.cache_resource):
# st.cache_data would unpickle every table on each of the many calls a page makes. Callers get
# shallow copy-on-write copies (pandas 3), so a change made by one never reaches the cache.
@st.cache_resource(show_spinner=False)
def _validated_tables() -> dict[str, pd.DataFrame]:
    return load.read_all()


def tables() -> dict[str, pd.DataFrame]:
    """Every bundled table, validated once per server process."""
    return {name: frame.copy(deep=False) for name, frame in _validated_tables().items()}


@st.cache_resource(show_spinner=False)
def _all_evidence() -> pd.DataFrame:
    return evidence.all_evidence(load.read_all())


def _evidence() -> pd.DataFrame:
    return _all_evidence().copy(deep=False)


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
        stop_page()


def studies() -> pd.DataFrame:
    return table("trials")


class EndOfPage(Exception):  # noqa: N818 (a signal, not an error)
    """Raised by stop_page; the frame catches it."""


def stop_page() -> None:
    """End the page here. Unlike st.stop(), the frame still writes the address after it (a write
    after st.stop() is never sent), so a link's notices and cleaned parameters survive an early stop.
    A page run on its own (no frame to catch the signal) has written its address already and stops."""
    if not link.framed():
        st.stop()
    raise EndOfPage


def render_disclaimer() -> None:
    st.info(DISCLAIMER, icon=":material/info:")


def render_footer() -> None:
    st.divider()
    st.caption(SOURCES_FOOTER)


def _run_token():
    """Changes on every script run, so a notice slot from an earlier run is never reused."""
    return internals.run_id()


def start_page(path: str) -> None:
    """Called by the frame before a page runs: a slot for this run's link notices, and keys the page
    does not use dropped from the URL (and so from the share link) with a notice."""
    state = st.session_state
    state[_NOTICES] = []
    state[_PAGE_PATH] = path
    state[_NOTICE_SLOT] = (_run_token(), st.empty())
    link.begin(path, framed=True)
    unknown = viewstate.unknown_keys(_query(), path)
    link.stage({}, unknown)
    render_notices([viewstate.unknown_notice(key, path) for key in unknown])
    if PANEL_PARAM in _query():  # checked here too, so a page that stops early still says so
        opened, _ = _url_panels()
        kept = [p for p in viewstate.PANELS if p in opened]
        write_query_params({PANEL_PARAM: kept} if kept else {}, (PANEL_PARAM,))


def _draw_notices(notices: list[str]) -> None:
    first, rest = notices[: viewstate.MAX_NOTICES], notices[viewstate.MAX_NOTICES :]
    for notice in first:
        st.warning(escape(notice), icon=NOTICE_ICON)
    if rest:
        with st.expander(viewstate.cap(notices)[-1]):
            for notice in rest[: viewstate.MAX_NOTICES_LISTED]:
                st.warning(escape(notice), icon=NOTICE_ICON)


def render_notices(notices: list[str]) -> None:
    """Show what a link or file asked for that could not be used: a handful, the rest counted and folded away."""
    if not notices:
        return
    state = st.session_state
    slot = state.get(_NOTICE_SLOT)
    if slot is None or slot[0] != _run_token():
        _draw_notices(list(notices))
        return
    state[_NOTICES] = state.get(_NOTICES, []) + list(notices)
    with slot[1].container():
        _draw_notices(state[_NOTICES])


def _query(names=None) -> dict[str, list[str]]:
    """The address as this run leaves it so far, key -> every value given (repeated keys kept)."""
    return link.query(names)


def _page_scope() -> str:
    """An id of the running page: widget state does not survive a page switch,
    so each page keeps its own widget keys and is refilled from the shared state."""
    return internals.page_scope()


def _keys() -> dict[str, str]:
    scope = _page_scope()
    return {field: f"f_{scope}_{field}" for field in _FILTER_FIELDS}


def _set_widgets(chosen: filters.Filters, options: filters.Options, only_missing: bool = False) -> None:
    state, keys = st.session_state, _keys()
    values = {
        attr: list(getattr(chosen, attr))
        for attr in ("conditions", "specifics", "comparator_types", "designs", "terms", "models")
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


def write_query_params(params: dict, names) -> None:
    """Make the URL's parameters among `names` equal `params` (a value or a list) when the run ends."""
    link.stage(params, names)


def _reset_filters(options: filters.Options) -> None:
    _set_widgets(filters.Filters(), options)


def filter_sidebar(studies_frame: pd.DataFrame) -> filters.Filters:
    """Sidebar filters kept in the URL: a shared link reopens the same selection.

    The URL wins when it differs from what this session last wrote (a link was
    opened, or the browser went back or forward); otherwise the session's
    selection carries over between pages and is written back to the URL.
    """
    options = memo.computed(filters.options_from, studies_frame)
    state = st.session_state
    if link.url_wins() or link.kept("filters") is None:
        parsed = filters.parse(_query(filters.PARAM_NAMES), options, strict=False)
        render_notices(parsed.notices)
        _set_widgets(parsed.filters, options)
    else:
        _set_widgets(link.kept("filters"), options, only_missing=True)

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
    specific_options = options.specifics_under(state[keys["conditions"]])
    state[keys["specifics"]] = [v for v in state.get(keys["specifics"], []) if v in specific_options]
    if specific_options:
        sb.multiselect(
            "Specific condition",
            specific_options,
            key=keys["specifics"],
            format_func=lambda c: vocab.label(vocab.CONDITIONS_SPECIFIC, c),
            placeholder="Any in the chosen groups" if state[keys["conditions"]] else "Any condition",
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
            specifics=tuple(state[keys["specifics"]]),
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
    link.keep("filters", chosen)
    render_share_link(sb)
    return chosen


def filtered_trials() -> tuple[pd.DataFrame, filters.Filters, pd.DataFrame]:
    """The trials, the sidebar selection, and the rows it keeps; stops the page when none match."""
    trials = studies()
    chosen = filter_sidebar(trials)
    subset = filters.apply(trials, chosen)
    st.caption(escape(f"Showing: {filters.describe(chosen, _labels())}."))
    if subset.empty:
        st.warning("No trials match these filters. Clear some filters in the sidebar.")
        stop_page()
    return trials, chosen, subset


def _labels() -> dict[str, str]:
    return {**vocab.ALL, **vocab.CONDITIONS_SPECIFIC}


def share_url() -> str:
    """The address of this page with the current query string (repeated keys kept)."""
    base = (st.context.url or "").split("?", 1)[0]
    query = urlencode(_query(), doseq=True)
    return f"{base}?{query}" if query else base


def render_share_link(container=None) -> None:
    """The share popover; its link is written again at the end of the run (finish_page), after
    everything drawn later in the page (such as an opened panel) has written its part of the address."""
    target = container or st
    with target.popover("Share this view", icon=":material/share:"):
        st.caption("Copy this link: it reopens this page with the same selection.")
        slot = st.empty()
    slot.code(share_url(), language=None, wrap_lines=True)
    st.session_state[_SHARE_SLOT] = (_run_token(), slot)


def finish_page() -> None:
    """Called by the frame after the page (even one that stopped early): write the address once, then
    put it into this run's share popover."""
    link.finish()
    found = st.session_state.get(_SHARE_SLOT)
    if found is not None and found[0] == _run_token():
        found[1].code(share_url(), language=None, wrap_lines=True)


def render_estimate_list(rows: pd.DataFrame) -> None:
    """Pooled estimates as plain lines (the charts behind them open on request): what, how big, how sure, from where."""
    lines = []
    for row in rows.to_dict("records"):
        value = row.get("es_value")
        if value is None or pd.isna(value):
            continue
        low, high = row.get("es_ci_low"), row.get("es_ci_high")
        ci = (
            f" (95% CI {effectmap.fmt(low)} to {effectmap.fmt(high)})"
            if pd.notna(low) and pd.notna(high)
            else ", no CI reported"
        )
        size = [
            f"{int(row['k_studies'])} studies" if pd.notna(row.get("k_studies")) else "",
            f"{int(row['n']):,} participants" if pd.notna(row.get("n")) else "",
        ]
        size_text = ", ".join(s for s in size if s)
        what = " · ".join(str(row[c]) for c in ("therapy", "es_type_label", "timepoint") if pd.notna(row.get(c)))
        marker = f" ({row['markers']})" if isinstance(row.get("markers"), str) and row["markers"] else ""
        lines.append(
            f"- **{escape(what)}**: {effectmap.fmt(value)}{ci}"
            + (f", {size_text}" if size_text else "")
            + f". {escape(str(row.get('label', '')))}{escape(marker)}"
        )
    if lines:
        st.markdown("\n".join(lines))


@st.cache_resource(show_spinner=False)
def _glossary_definitions() -> dict[str, str]:
    glossary = _validated_tables()["glossary"]
    return dict(zip(glossary["term"].str.lower(), glossary["definition"].astype(str), strict=True))


def glossary_help(term: str) -> str | None:
    """The glossary definition of a term, for a widget's hover help (None if the term or the data is missing)."""
    try:
        return _glossary_definitions().get(term.lower())
    except load.DataError:
        return None


def render_download(frame: pd.DataFrame, filename: str, label: str = "Download these rows (CSV)") -> None:
    """The one download button of the app: cells that would run as spreadsheet formulas are escaped.

    The file is written when the button is clicked (not on every rerun), and the click does not rerun the page.
    """
    st.download_button(
        label,
        lambda: to_csv(frame),
        file_name=filename,
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )


def render_trial_effects(frame: pd.DataFrame, in_map_label: str) -> None:
    """The per-trial effects table (one row per trial and source) with the same columns on every page."""
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "n_randomized": st.column_config.NumberColumn("N"),
            "effect": st.column_config.NumberColumn("Effect", format="%.2f"),
            "ci_low": st.column_config.NumberColumn("CI low", format="%.2f"),
            "ci_high": st.column_config.NumberColumn("CI high", format="%.2f"),
            "se": st.column_config.NumberColumn("SE", format="%.3f"),
            "in_map": in_map_label,
        },
    )


def render_chart(build, data, caption: str, *, panel: str, title: str, key: str | None = None) -> None:
    """A chart and the same figures as a table, each in a panel drawn only while it is open;
    the chart a page is about (viewstate.AT_LOAD) is drawn at load instead, outside its panel.

    `build` makes the figure and `data` (a table or a function returning one) the table, only when
    their panel is open. Panel names are listed in viewstate.CHART_PANELS.
    """
    if panel in viewstate.AT_LOAD.get(_page_path(), ()):
        box = st.container()
    else:
        box = open_panel(f"Chart: {title}", panel, icon=":material/bar_chart:")
    if box is not None:
        with box:
            st.plotly_chart(build(), width="stretch", key=key or f"chart_{panel}", config={"displaylogo": False})
            st.caption(caption)
    box = open_panel(f"Table: {title}", f"{panel}-table", icon=":material/table_rows:")
    if box is not None:
        with box:
            st.dataframe(data() if callable(data) else data, hide_index=True, width="stretch")
            st.caption(caption)


def _page_path() -> str:
    """The url path of the running page: set by the frame, or the page file's name when a page runs alone."""
    return st.session_state.get(_PAGE_PATH) or internals.main_script_stem()


def _url_panels() -> tuple[set[str], bool]:
    """The panels the URL opens and whether the URL changed since this session wrote it (parsed once per run)."""
    state, token = st.session_state, _run_token()
    cached = state.get(_PANELS_PARSED)
    if cached is not None and cached[0] == token:
        return cached[1], cached[2]
    raw = _query((PANEL_PARAM,)).get(PANEL_PARAM)
    changed = link.url_wins()
    context = {PANEL_PARAM: viewstate.panels_of(_page_path())}
    parsed = viewstate.parse({PANEL_PARAM: raw} if raw is not None else {}, context, fields=(PANEL_PARAM,))
    if changed:
        render_notices(parsed.notices)
    opened = set(parsed.state[PANEL_PARAM])
    state[_PANELS_PARSED] = (token, opened, changed)
    return opened, changed


def open_panel(label: str, name: str, *, icon: str | None = None):
    """An expander whose contents are built only while it is open (None when closed).

    A closed panel costs the browser nothing to draw. Which panels are open is kept in the URL
    field `show`: the URL wins when it changed since this session last wrote it (a shared link,
    back or forward), otherwise the visitor's clicks do.
    """
    state = st.session_state
    key = f"panel_{_page_scope()}_{name}"
    opened, changed = _url_panels()
    if key not in state or changed:
        state[key] = name in opened
    box = st.expander(label, key=key, icon=icon, on_change="rerun")
    is_open = bool(box.open)
    valid = set(viewstate.panels_of(_page_path()))
    now = {v for v in _query((PANEL_PARAM,)).get(PANEL_PARAM, []) if v in valid} - {name} | (
        {name} if is_open else set()
    )
    written = [p for p in viewstate.PANELS if p in now]  # in a fixed order, so a link is stable
    write_query_params({PANEL_PARAM: written} if written else {}, (PANEL_PARAM,))
    return box if is_open else None


def _url_context(param: str, choices, default) -> dict:
    """The viewstate context of one widget's field: the page's choices when the table does not fix them."""
    spec = viewstate.BY_NAME[param]
    if spec.kind == "text" or spec.values is not None:
        return {}
    return {param: viewstate.Domain(tuple(choices), viewstate._MISSING if default is None else default)}


def _url_bound(param: str, context: dict, to_widget=lambda v: v):
    """Put the URL's value of `param` into the widget's state when the URL changed since this session wrote it."""
    widget_key = f"p_{param}"
    raw = _query((param,)).get(param)
    state = st.session_state
    if widget_key not in state or (raw is not None and link.url_wins()):
        parsed = viewstate.parse({param: raw} if raw is not None else {}, context, fields=(param,))
        render_notices(parsed.notices)
        state[widget_key] = to_widget(parsed.state[param])
    return widget_key


def _url_write(param: str, value, context: dict) -> None:
    params = viewstate.serialize({param: value}, context)
    write_query_params(params, (param,))


def url_choice(
    label: str,
    param: str,
    choices: dict[str, str],
    default: str | None = None,
    *,
    container=None,
    help: str | None = None,
    widget: str = "radio",
) -> str:
    """A radio (or selectbox) kept in the URL field `param` (viewstate.FIELDS); `choices` maps values to labels."""
    target = container or st
    context = _url_context(param, choices, default)
    widget_key = _url_bound(param, context)
    options = [c for c in (viewstate.BY_NAME[param].values or choices) if c in choices]
    if widget == "selectbox":
        value = target.selectbox(label, options, format_func=choices.__getitem__, key=widget_key, help=help)
    else:
        value = target.radio(
            label, options, format_func=choices.__getitem__, key=widget_key, horizontal=True, help=help
        )
    _url_write(param, value, context)
    return value


def url_multi(
    label: str,
    param: str,
    choices: dict[str, str],
    default: tuple[str, ...],
    *,
    max_selections: int | None = None,
) -> list[str]:
    """A multiselect kept in the URL field `param`, one repeated key per value."""
    context = _url_context(param, choices, tuple(default))
    widget_key = _url_bound(param, context, to_widget=list)
    values = st.multiselect(
        label, list(choices), format_func=choices.__getitem__, key=widget_key, max_selections=max_selections
    )
    _url_write(param, tuple(values), context)
    return list(values)


def url_text(label: str, param: str, *, placeholder: str = "", max_chars: int | None = None) -> str:
    """A text box kept in the URL field `param` (absent = empty)."""
    limit = max_chars or viewstate.BY_NAME[param].max_chars
    widget_key = _url_bound(param, {})
    value = st.text_input(label, key=widget_key, placeholder=placeholder, max_chars=limit)
    _url_write(param, value, {})
    return value


def require_frame() -> None:
    """Make sure this page runs inside app.py's frame (see internals.require_frame)."""
    internals.require_frame()
