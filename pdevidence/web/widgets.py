"""The widgets shared by pages: fields of the view state drawn from their row of viewstate.FIELDS
(`render_field`, `filter_sidebar`), panels, notices, downloads, and the frame's parts (disclaimer, footer,
start and finish of a page). Tables come from pdevidence.web.data."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import urlencode

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from pdevidence import effectmap, evidence, filters, load, stats, viewstate
from pdevidence.web import data, internals, link, memo

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

_NOTICES = "_url_notices"
_NOTICE_SLOT = "_url_notice_slot"
NOTICE_ICON = ":material/link_off:"
PANEL_PARAM = "show"
_PAGE_PATH = "_page_path"
_SHARE_SLOT = "_share_slot"
SHARE_FRAGMENT = "share-link"  # the key of the share link's st.fragment
_SECTION = "_section"  # the key of the section (st.fragment) being drawn, if any

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


def data_key(view: viewstate.View | None = None) -> tuple:
    """What a cached result drawn from the bundled data depends on: their fingerprint and, given a view, the
    filters' selection (the trials a page shows are a function of these two). Keys memo.computed/figure."""
    return (data.fingerprint(),) if view is None else (data.fingerprint(), filters.selection(view))


@st.cache_resource(show_spinner=False)
def _all_evidence() -> pd.DataFrame:
    return evidence.all_evidence(data.tables())


def _evidence() -> pd.DataFrame:
    return _all_evidence().copy(deep=False)


def evidence_rows() -> pd.DataFrame:
    """Every evidence row of trials, meta-analyses and verdicts, built once per process."""
    table("trials")  # stops the page with a message if the data are invalid
    return _evidence()


def table(name: str) -> pd.DataFrame:
    """One bundled table; a data error stops the page with a message instead of a traceback."""
    try:
        return data.table(name)
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


def start_page(path: str, *, framed: bool = True) -> None:
    """Called by the frame before a page runs: a slot for this run's link notices, and this run's view state
    parsed once (keys the page does not use and values it cannot take are dropped with a notice, and so
    left out of the address and the share link)."""
    state = st.session_state
    state[_NOTICES] = []
    state[_PAGE_PATH] = path
    state[_NOTICE_SLOT] = (internals.current_run(), st.empty())
    render_notices(link.begin(path, framed=framed))


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
    if slot is None or not internals.is_current(slot[0]):
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
    so each page keeps its own widget keys and is refilled from the view state."""
    return internals.page_scope()


# ---------------------------------------------------------------- widgets bound to the view state


def _widget_key(name: str) -> str:
    return f"view_{_page_scope()}_{name}"


def _to_widget(f: viewstate.Field, current: viewstate.View, context: dict):
    if f.widget == "range":
        low, high = context.get(f.name) or (0, 0)
        chosen_low, chosen_high = current[f.name], current[f.pair]
        return (chosen_low if chosen_low is not None else low, chosen_high if chosen_high is not None else high)
    value = current[f.name]
    return list(value) if f.kind == "multi" else value


def _changed(name: str, section: str | None = None) -> None:
    """on_change of a field's widget: a new view with the widget's value, restrictions of everything dropped;
    a widget of a section reruns its section (`section`)."""
    f, value = viewstate.BY_NAME[name], st.session_state[_widget_key(name)]
    current, context = link.view(), link.context()
    if f.widget == "range":
        changes = {f.name: int(value[0]), f.pair: int(value[1])}
    elif f.kind == "multi":
        offered = viewstate.allowed(name, context, current.as_dict()) or f.values or ()
        changes = {name: tuple(v for v in offered if v in value)}
    else:
        changes = {name: value}
    link.set_view(viewstate.View.of(current.page, viewstate.normalize(current.as_dict() | changes, context)))
    _rerun_section(section)


def render_field(name: str, *, container=None, labels: dict[str, str] | None = None):
    """The widget of a field of viewstate.FIELDS (its kind, label, help from the table), bound to the view state:
    it shows the view's value and a change makes a new view (on_change). Returns the field's value.
    `labels` (value -> text) for values whose names come from the data (claims, therapy types)."""
    f, current, context = viewstate.BY_NAME[name], link.view(), link.context()
    key = _widget_key(name)
    st.session_state[key] = _to_widget(f, current, context)
    shown = labels or f.labels or {}
    common = {
        "key": key,
        "on_change": _changed,
        "args": (name, st.session_state.get(_SECTION)),
        "help": f.help or (glossary_help(f.glossary) if f.glossary else None),
    }
    target = container or st
    if f.widget == "text":
        target.text_input(f.label, placeholder=f.placeholder or "", max_chars=f.max_chars, **common)
        return link.view()[name]
    if f.widget == "range":
        low, high = context.get(name) or (0, 0)
        target.slider(f.label, min_value=low, max_value=high, **common)
        return link.view()[name], link.view()[f.pair]
    options = viewstate.allowed(name, context, current.as_dict()) or f.values or ()
    options = [v for v in options if not labels or v in labels]
    fmt = lambda v: shown.get(v, v)  # noqa: E731
    if f.widget == "multiselect":
        placeholder = "Any in the chosen groups" if f.parent and current[f.parent] else f.placeholder
        target.multiselect(
            f.label, options, format_func=fmt, placeholder=placeholder, max_selections=f.max_items, **common
        )
    elif f.widget == "selectbox":
        target.selectbox(f.label, options, format_func=fmt, **common)
    else:
        target.radio(f.label, options, format_func=fmt, horizontal=True, **common)
    return link.view()[name]


def _clear_filters() -> None:
    defaults = viewstate.parse({}, link.context(), fields=filters.names()).state
    link.set_view(link.view().replace(**defaults))


def filter_sidebar() -> viewstate.View:
    """The filters of the trials in the sidebar, one widget per filter row of viewstate.FIELDS; kept in the URL,
    so a shared link reopens the same selection."""
    sb = st.sidebar
    sb.header("Filter studies")
    for f in viewstate.filter_fields():
        offered = viewstate.allowed(f.name, link.context(), link.view().as_dict()) if f.kind == "multi" else True
        if f.widget and offered:  # a narrowed filter with nothing to offer (no specific conditions) is not drawn
            render_field(f.name, container=sb)
    sb.button("Clear filters", on_click=_clear_filters)
    render_share_link(sb)
    return link.view()


def filtered_trials() -> tuple[pd.DataFrame, viewstate.View, pd.DataFrame]:
    """The trials, the view (its filters drawn in the sidebar), and the rows it keeps; stops the page when none
    match. Results drawn from the rows are cached under data_key(view)."""
    trials = studies()
    current = filter_sidebar()
    subset = memo.computed(filters.apply, trials, dict(filters.selection(current)), key=data_key(current))
    st.caption(escape(f"Showing: {filters.describe(current)}."))
    if subset.empty:
        st.warning("No trials match these filters. Clear some filters in the sidebar.")
        stop_page()
    return trials, current, subset


def share_url() -> str:
    """The address of this page with the current query string (repeated keys kept)."""
    base = (st.context.url or "").split("?", 1)[0]
    query = urlencode(_query(), doseq=True)
    return f"{base}?{query}" if query else base


def render_share_link(container=None) -> None:
    """The share popover. Its link is written again at the end of the run (finish_page), after everything drawn
    later in the page (such as an opened panel) has written its part of the address, and redrawn after a
    section's own rerun (`section`), which changes the address without a run of the page."""
    target = container or st
    with target.popover("Share this view", icon=":material/share:"):
        _share_link()


@st.fragment(key=SHARE_FRAGMENT)
def _share_link() -> None:
    st.caption("Copy this link: it reopens this page with the same selection.")
    slot = st.empty()
    slot.code(share_url(), language=None, wrap_lines=True)
    st.session_state[_SHARE_SLOT] = (internals.current_run(), slot)


@dataclass(frozen=True)
class Pooling:
    """A page's pooling choices (comparator, time point), the trials they select, and the cache key they give."""

    vs: str
    time: str
    rows: pd.DataFrame
    key: tuple


def pooling_choices(subset: pd.DataFrame, key: tuple, vs_container, time_container) -> Pooling:
    """The two pooling widgets of Explore and Study size, and the comparisons they select (one per trial)."""
    vs = render_field("pool_vs", container=vs_container)
    time = render_field("pool_time", container=time_container)
    return Pooling(vs, time, memo.computed(stats.pooling_set, subset, vs, time, key=key), (key, vs, time))


def section(fn, *, key: str | None = None):
    """Make `fn` a section of the page whose widgets change only what it draws (a chart's own settings and
    panels): a change reruns the section alone (st.fragment), then the share link, not the page. The frame does
    not run then, so the section writes the address itself after its own rerun (link.finish: the view as its
    widgets changed it). The section sees the values of the page's last run; it must draw only what its own
    widgets and those values decide. `key` names it for Streamlit (unique on a page; the function's name by
    default)."""
    key = key or f"section-{fn.__name__}"

    @functools.wraps(fn)
    def body(*args, **kwargs):
        outer = st.session_state.get(_SECTION)
        st.session_state[_SECTION] = key  # read by the widgets drawn inside (render_field, open_panel)
        try:
            fn(*args, **kwargs)
        finally:
            st.session_state[_SECTION] = outer
        if internals.in_fragment_rerun():
            link.finish()

    return st.fragment(body, key=key)


def _rerun_section(section: str | None) -> None:
    """From a widget's callback: a widget of a section, changed in the browser, reruns its section and then the
    share link (the section changes the address). Any other change reruns the page, as usual; so does a run
    that is not a fragment's (AppTest's)."""
    if section is not None and internals.in_fragment_rerun():
        try:
            st.rerun([section, SHARE_FRAGMENT])
        except StreamlitAPIException:  # a page without a share link
            st.rerun(section)


def finish_page() -> None:
    """Called by the frame after the page (even one that stopped early): write the address once, then
    put it into this run's share popover."""
    link.finish()
    found = st.session_state.get(_SHARE_SLOT)
    if found is not None and internals.is_current(found[0]):
        found[1].code(share_url(), language=None, wrap_lines=True)


def render_pooled(pooled, participants: int) -> None:
    """A pooled estimate (stats.Pooled) as five figures, each with its glossary help, and how to read it."""
    cols = st.columns(5)
    cols[0].metric("Pooled effect", f"{pooled.estimate:.2f}", help=glossary_help("effect size"))
    cols[1].metric("95% CI", f"{pooled.ci_low:.2f} to {pooled.ci_high:.2f}", help=glossary_help("confidence interval"))
    cols[2].metric(
        "95% prediction interval",
        f"{pooled.pi_low:.2f} to {pooled.pi_high:.2f}",
        help=glossary_help("prediction interval"),
    )
    cols[3].metric("Heterogeneity I²", f"{pooled.i2:.0%}", help=f"tau² = {pooled.tau2:.3f}; Q = {pooled.q:.1f}")
    cols[4].metric("Trials / participants", f"{pooled.k} / {participants:,}")
    st.caption(
        "Trials differ in condition, comparator and outcome, so read the pooled value as a rough summary; "
        "the prediction interval shows where the effect of a new, similar trial would likely fall."
    )


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
    glossary = data.table("glossary")
    return dict(zip(glossary["term"].str.lower(), glossary["definition"].astype(str), strict=True))


def glossary_help(term: str) -> str | None:
    """The glossary definition of a term, for a widget's hover help (None if the term or the data is missing)."""
    try:
        return _glossary_definitions().get(term.lower())
    except load.DataError:
        return None


def render_download(frame, filename: str, label: str = "Download these rows (CSV)") -> None:
    """The one download button of the app: cells that would run as spreadsheet formulas are escaped.

    `frame` is a table, or a function returning one. The file (and the table, from a function) is made when the
    button is clicked, not on every rerun, and the click does not rerun the page.
    """
    st.download_button(
        label,
        lambda: to_csv(frame() if callable(frame) else frame),
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


def render_chart(
    build, data, caption: str, *, panel: str, title: str, key: str | None = None, standing_in: bool = False
) -> None:
    """A chart and the same figures as a table, each in a panel drawn only while it is open;
    the chart a page is about (viewstate.AT_LOAD) is drawn at load instead, outside its panel.

    `build` makes the figure and `data` (a table or a function returning one) the table, only when
    their panel is open. Panel names are listed in viewstate.CHART_PANELS. The two panels are a section
    (`section`): opening or closing one reruns them alone, not the page. `standing_in`: the page's chart
    at load had nothing to show for this selection, so its viewstate.STAND_IN is drawn at load.
    """
    section(_chart_panels, key=f"section-chart-{panel}")(build, data, caption, panel, title, key, standing_in)


def _chart_panels(build, data, caption: str, panel: str, title: str, key: str | None, standing_in: bool) -> None:
    page = _page_path()
    if panel in viewstate.AT_LOAD.get(page, ()) or (standing_in and viewstate.STAND_IN.get(page) == panel):
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


def open_panel(label: str, name: str, *, icon: str | None = None):
    """An expander whose contents are built only while it is open (None when closed).

    A closed panel costs the browser nothing to draw. Which panels are open is the view's field `show`:
    when the URL wins (a shared link, back or forward) the panel follows it, otherwise the visitor's clicks.
    """
    state = st.session_state
    key = f"panel_{_page_scope()}_{name}"
    current = link.view()
    if key not in state or link.url_wins():
        state[key] = name in current[PANEL_PARAM]
    box = st.expander(label, key=key, icon=icon, on_change=_rerun_section, args=(state.get(_SECTION),))
    is_open = bool(box.open)
    now = set(current[PANEL_PARAM]) - {name} | ({name} if is_open else set())
    opened = tuple(p for p in viewstate.PANELS if p in now)  # in a fixed order, so a link is stable
    if opened != current[PANEL_PARAM]:
        link.set_view(current.replace(**{PANEL_PARAM: opened}))
    return box if is_open else None


def require_frame() -> None:
    """Make sure this page runs inside app.py's frame (see internals.require_frame); a page run on its own
    (a test of one page file) parses its view state here instead."""
    internals.require_frame()
    if not link.begun():
        start_page(internals.main_script_stem(), framed=False)
