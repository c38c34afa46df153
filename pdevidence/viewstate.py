"""Every value kept in the URL, as one table of fields; one parse that clamps or drops with reasons, one frozen
state object, one serialize.

The table
---------
`FIELDS` lists every query parameter the app understands. A `Field` says:

- ``name``: the query key;
- ``kind``: ``choice`` (one value of a set), ``multi`` (several values of a set,
  written as repeated keys: ``model=A&model=B``, so a value may contain a comma),
  ``int`` (a whole number in a range), ``flag`` (``1`` for on, absent for off),
  ``text`` (free text, printable characters only, shortened to ``max_chars``);
- ``pages``: the url paths of the pages that use it (a key that the page
  does not use is dropped with a notice and removed from the share link);
- ``values`` / ``bounds``: the allowed values or the range, when fixed;
- ``source`` / ``column``: where the allowed values are read when the data
  decide them (a bundled table and its column: `context` reads them). A field of
  the ``trials`` table with a ``column`` is a filter of the trials: `filters`
  applies it to that column, and the selection is carried between pages. The
  source ``metapsy`` means the chosen Metapsy database: the Metapsy page parses
  those fields itself (pdevidence.metapsy.settings);
- ``default``: the value when the key is absent (never written to the URL);
  ``default_first`` takes the first values in the data instead;
- ``pair``/``side`` for a min/max pair of bounds (reversed bounds are dropped),
  ``parent`` for a multi whose values are narrowed by the chosen values of
  another multi (``specific`` under ``condition``), ``max_items`` for a cap;
- ``widget``, ``label``, ``labels``, ``help``, ``glossary``, ``placeholder``: the
  widget that shows it (pdevidence.web.widgets.render_field draws any row);
  ``phrase``: how `filters.describe` names a restriction.

Rows that share a form are written through a small constructor that fills in what they share: `_trial_multi`
(a filter of the trials chosen in a multiselect), `_trial_range` (the min and max rows of a slider), `_radio`
(a choice among labelled values). Adding a filter of the trials is one row here (tests/test_filters.py shows a
test-only row reaching the parser, the sidebar, the filter and the share link).

One run
-------
The frame (app.py, through pdevidence.web.link) parses the page's fields once, before the page, into one
frozen `View`; widgets change it with `View.replace` (a new object, never a changed one); the address is
written once, after the page, from `serialize`::

    context = viewstate.context(tables, viewstate.frame_fields("explore"), page="explore")
    parsed = viewstate.parse(query, context, fields=viewstate.frame_fields("explore"), page="explore")
    view = viewstate.View.of("explore", parsed.state)
    viewstate.serialize(view.as_dict(), context)   # {"condition": ["depression"], ...}

A context entry is a tuple of allowed values, a ``(low, high)`` pair for an
``int``, a mapping ``parent value -> values`` for a field with a parent, or a
`Domain` when the default also depends on the data. ``parse(serialize(s)) == s``
for every valid state.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from pdevidence import stats, vocab

FILTER_PAGES = ("overview", "explore", "study_size")
POOL_PAGES = ("explore", "study_size")
PAGES = (
    "overview",
    "explore",
    "study_size",
    "metapsy",
    "therapy_types",
    "short_vs_long",
    "defense_mechanisms",
    "claims",
    "glossary",
    "sources",
)
MAX_NOTICES = 5
MAX_NOTICES_LISTED = 50  # shown on request, behind the "and N more" line
MAX_SHOWN = 60  # characters of a visitor's value quoted back in a notice
MAX_DIGITS = 30
_MISSING = object()
_DIGITS = re.compile(r"[0-9]+")
_NEGATIVE = re.compile(r"-[0-9]+")


# Charts and large secondary tables are drawn only when their panel is opened: one plotly chart
# makes a page load about twice as slowly as a bare Streamlit page (docs/performance.md). The open
# panels are kept in the URL (`show`), so a shared link reopens them. Each chart `c` has a panel
# `c` and a panel `c-table` with the same figures as a table; TABLE_PANELS are tables on their own.
CHART_PANELS: dict[str, tuple[str, ...]] = {
    "overview": ("effect-map", "small-share", "size-bands"),
    "explore": ("studies", "effect-vs-size", "forest"),
    "study_size": ("sizes", "followup", "funnel"),
    "metapsy": ("families", "across", "trials", "size-lens", "funnel"),
    "therapy_types": ("estimates",),
    "short_vs_long": ("estimates",),
    "claims": ("findings", "effects"),
}
# The chart each page is about is drawn at load, outside any panel; its table stays one click away.
# A link naming such a chart in `show` (made before it was drawn at load) is still valid and changes nothing.
# Explore's is every study by size and finding, which every selection can draw: effects against size need a
# reported effect with its interval, which few trial reports give (none for most single conditions).
AT_LOAD: dict[str, tuple[str, ...]] = {
    "overview": ("effect-map",),
    "explore": ("studies",),
    "study_size": ("sizes", "funnel"),
    "metapsy": ("families",),
    "therapy_types": ("estimates",),
    "short_vs_long": ("estimates",),
}
# Where a page's chart at load has nothing to show for the selection (the Overview's map, when no trial of
# it has an effect size), this chart of the same page is drawn at load in its place.
STAND_IN: dict[str, str] = {"overview": "size-bands"}
TABLE_PANELS: dict[str, tuple[str, ...]] = {
    "overview": ("trial-effects",),
    "explore": ("trial-effects", "summary-trials"),
    "sources": ("data-dictionary",),
    "metapsy": ("outcomes", "check", "large", "codes"),
}


def panels_of(page: str) -> tuple[str, ...]:
    """The panels a page has (the values `show` may take on that page)."""
    charts = tuple(p for c in CHART_PANELS.get(page, ()) for p in (c, f"{c}-table"))
    return charts + TABLE_PANELS.get(page, ())


PANEL_PAGES = tuple(p for p in PAGES if panels_of(p))
PANELS: tuple[str, ...] = tuple(dict.fromkeys(p for page in PANEL_PAGES for p in panels_of(page)))


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # choice | multi | int | flag | text
    pages: tuple[str, ...]
    description: str
    values: tuple[str, ...] | None = None
    bounds: tuple[int, int] | None = None
    default: object = None
    pair: str | None = None
    side: str | None = None  # "min" | "max"
    parent: str | None = None
    max_items: int | None = None
    max_chars: int = 80
    source: str | None = None  # the bundled table whose `column` gives the allowed values; "metapsy": the page's own
    column: str | None = None
    sort: bool = True  # values read off the data in sorted order (else in the table's order)
    default_first: int | None = None  # default: the first this many values in the data
    widget: str | None = None  # multiselect | range (a slider over a min/max pair) | radio | selectbox | text
    label: str = ""
    labels: Mapping[str, str] | None = field(default=None, hash=False)  # value -> what the widget shows
    help: str | None = None
    glossary: str | None = None  # a glossary term whose definition is the widget's help
    placeholder: str | None = None
    phrase: str | None = None  # filters.describe: "{}" gets the chosen values' labels (the bounds for a pair)

    @property
    def is_filter(self) -> bool:
        """A filter of the trials: applied to its column, carried between pages."""
        return self.source == "trials" and self.column is not None

    @property
    def carried(self) -> bool:
        """Carried to the next page that uses it: the filters, and a choice drawn on several pages (pooling)."""
        return self.is_filter or (self.widget is not None and len(self.pages) > 1)


@dataclass(frozen=True)
class Domain:
    """Allowed values (or range) known only at run time, with an optional default."""

    values: object
    default: object = _MISSING


@dataclass
class Parsed:
    state: dict
    notices: list[str] = field(default_factory=list)


def _trial_multi(name: str, description: str, column: str, label: str, placeholder: str, phrase="{}", **more) -> Field:
    """A filter of the trials: any of the values of one column, chosen in a multiselect (none chosen: all)."""
    return Field(
        name,
        "multi",
        FILTER_PAGES,
        description,
        default=(),
        source="trials",
        column=column,
        widget="multiselect",
        label=label,
        placeholder=placeholder,
        phrase=phrase,
        **more,
    )


def _trial_range(low: tuple[str, str], high: tuple[str, str], column: str, label: str, **more) -> tuple[Field, Field]:
    """A filter of the trials: a whole-number column between two bounds, the fields `low` and `high` (each a name
    and a description), drawn as one slider (the widget is on the low row)."""
    (low_name, low_description), (high_name, high_description) = low, high
    return (
        Field(
            low_name,
            "int",
            FILTER_PAGES,
            low_description,
            pair=high_name,
            side="min",
            source="trials",
            column=column,
            widget="range",
            label=label,
            **more,
        ),
        Field(
            high_name, "int", FILTER_PAGES, high_description, pair=low_name, side="max", source="trials", column=column
        ),
    )


def _radio(
    name: str, pages: tuple[str, ...], description: str, labels: Mapping[str, str], default: str, label: str, **more
) -> Field:
    """A choice of one value, drawn as radio buttons: the values are the keys of `labels`, in their order."""
    return Field(
        name,
        "choice",
        pages,
        description,
        values=tuple(labels),
        default=default,
        widget="radio",
        label=label,
        labels=labels,
        **more,
    )


FIELDS: tuple[Field, ...] = (
    # Sidebar filters of the trial pages (values read off the trials table), in the order the sidebar shows them:
    # name, description, column, label, placeholder (a range: the two bounds, column, label).
    _trial_multi(
        "condition", "condition group", "condition_group", "Condition", "All conditions", labels=vocab.CONDITION_GROUPS
    ),
    _trial_multi(
        "specific",
        "specific condition",
        "condition_specific",
        "Specific condition",
        "Any condition",
        labels=vocab.CONDITIONS_SPECIFIC,
        parent="condition",
    ),
    *_trial_range(
        ("n_min", "smallest study size"),
        ("n_max", "largest study size"),
        "n_randomized",
        "Study size (participants randomized)",
        phrase="N {}–{} participants",
        help="Total number of people randomized in the trial, all groups together.",
    ),
    _trial_multi(
        "comparator",
        "kind of comparison",
        "comparator_type",
        "Compared with",
        "Any comparison",
        labels=vocab.COMPARATOR_TYPES,
        glossary="treatment as usual",
        phrase="vs {}",
    ),
    _trial_multi(
        "design",
        "study design",
        "design",
        "Study design",
        "Any design",
        labels=vocab.DESIGNS,
        glossary="randomized controlled trial",
    ),
    *_trial_range(
        ("year_min", "earliest year"), ("year_max", "latest year"), "year", "Publication year", phrase="year {}–{}"
    ),
    _trial_multi("term", "short- or long-term", "pd_term", "Short- or long-term", "Either", phrase="{} therapy"),
    _trial_multi(
        "model",
        "named form of therapy",
        "pd_model",
        "Named form of psychodynamic therapy",
        "Any form",
        help="MBT: mentalization-based treatment. TFP: transference-focused psychotherapy. "
        "PFPP: panic-focused psychodynamic psychotherapy. STPP: short-term psychodynamic psychotherapy.",
    ),
    # Pooling choices: name, pages, description, values and their labels, default, label.
    _radio(
        "pool_vs",
        POOL_PAGES,
        "comparison to pool",
        {"inactive": "Inactive controls", "active": "Active treatments"},
        "inactive",
        "Compared with",
    ),
    _radio("pool_time", POOL_PAGES, "time point", vocab.TIMEPOINTS, "post", "Time point"),
    _radio(
        "tau2",
        ("explore",),
        "between-study variance",
        stats.TAU2_METHODS,
        "dl",
        "Between-study variance",
        help="How the spread of true effects between trials is estimated.",
    ),
    # Overview's effect map: all trials, trials with 100+ participants only, or the share of small trials.
    _radio(
        "lens",
        ("overview",),
        "study-size lens",
        {"all": "All trials", "large": "Only trials with 100 or more people", "small": "How many trials are small"},
        "all",
        "Which trials",
        help="Small trials give less certain answers and sometimes larger effects. "
        "Leave them out to see if the picture changes.",
    ),
    # Explainers.
    Field(
        "claim",
        "choice",
        ("claims",),
        "claim",
        source="claims",
        column="id",
        sort=False,
        widget="selectbox",
        label="Look at one claim",
    ),
    Field(
        "compare",
        "multi",
        ("therapy_types",),
        "therapy types",
        max_items=3,
        source="therapy_types",
        column="id",
        sort=False,
        default_first=2,
        widget="multiselect",
        label="Therapy types to compare",
    ),
    Field(
        "q",
        "text",
        ("defense_mechanisms",),
        "search text",
        default="",
        max_chars=80,
        widget="text",
        label="Search mechanisms",
        placeholder="for example: denial, humour",
    ),
    Field("show", "multi", PANEL_PAGES, "chart or table", values=PANELS, default=()),  # the panels (widgets.open_panel)
    # Metapsy page: values from the chosen database, parsed by pdevidence.metapsy.settings.
    Field("db", "choice", ("metapsy",), "Metapsy database", source="metapsy"),
    Field("outcome", "choice", ("metapsy",), "outcome", source="metapsy"),
    Field("family", "choice", ("metapsy",), "therapy family", source="metapsy"),
    Field("vs", "multi", ("metapsy",), "control condition", default=(), source="metapsy"),
    Field("tau", "choice", ("metapsy",), "between-trial variance", values=("dl", "pm"), default="dl", source="metapsy"),
    Field("size", "int", ("metapsy",), "large-trial threshold", bounds=(10, 10000), default=100, source="metapsy"),
    Field("lowrob", "flag", ("metapsy",), "low risk of bias only", default=False, source="metapsy"),
    Field("time", "choice", ("metapsy",), "time point", values=("post", "all"), default="post", source="metapsy"),
    Field(
        "src",
        "text",
        ("metapsy",),
        "address of a Metapsy file",
        default="",
        max_chars=2000,
        widget="text",
        label="Address of a Metapsy data.csv (https only)",
        placeholder="https://raw.githubusercontent.com/metapsy-project/data-…/main/data.csv",
    ),
)


class _ByName(Mapping):
    """The rows of FIELDS by name, read from FIELDS at each look-up (so a test may add a row)."""

    def __getitem__(self, name: str) -> Field:
        for f in FIELDS:
            if f.name == name:
                return f
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter([f.name for f in FIELDS])

    def __len__(self) -> int:
        return len(FIELDS)


BY_NAME: Mapping[str, Field] = _ByName()


def fields_of(page: str) -> tuple[str, ...]:
    """The query keys a page uses."""
    return tuple(f.name for f in FIELDS if page in f.pages)


def frame_fields(page: str) -> tuple[str, ...]:
    """The keys of a page the frame parses before the page runs (all but those of a chosen Metapsy database)."""
    return tuple(f.name for f in FIELDS if page in f.pages and f.source != "metapsy")


def filter_fields() -> tuple[Field, ...]:
    """The filters of the trials, in table order."""
    return tuple(f for f in FIELDS if f.is_filter)


@dataclass(frozen=True)
class View:
    """The view state of one run: the value of every field the frame parsed for the page. Frozen and hashable,
    so it can key a cache; `replace` gives a new view."""

    page: str
    values: tuple[tuple[str, object], ...]

    @classmethod
    def of(cls, page: str, state: Mapping) -> View:
        return cls(page, tuple((name, _frozen(value)) for name, value in state.items()))

    def __getitem__(self, name: str):
        for key, value in self.values:
            if key == name:
                return value
        raise KeyError(name)

    def __contains__(self, name) -> bool:
        return any(key == name for key, _ in self.values)

    def get(self, name: str, default=None):
        return self.as_dict().get(name, default)

    def as_dict(self) -> dict:
        return dict(self.values)

    def replace(self, **changes) -> View:
        return View.of(self.page, self.as_dict() | changes)

    def only(self, names) -> tuple[tuple[str, object], ...]:
        """The values of these fields (those the view has), as a hashable key."""
        return tuple((key, value) for key, value in self.values if key in names)


def _frozen(value):
    return tuple(value) if isinstance(value, list) else value


def _values_in(frame, column: str, sort: bool) -> tuple[str, ...]:
    values = frame[column].dropna().astype(str)
    return tuple(sorted(values.unique())) if sort else tuple(dict.fromkeys(values))


def context(tables: Mapping, names, *, page: str | None = None) -> dict:
    """The context of these fields read off the data: each field with a `source` table and `column` gets the
    values (or, for a whole number, the range) of that column; a field with a parent gets parent value ->
    values. `show` gets the panels of `page`."""
    out: dict = {}
    for name in names:
        f = BY_NAME[name]
        if name == "show" and page is not None:
            out[name] = panels_of(page)
        if f.source not in tables or f.column is None or f.column not in tables[f.source]:
            continue
        frame = tables[f.source]
        if f.kind == "int":
            column = frame[f.column].dropna()
            out[name] = (int(column.min()), int(column.max())) if len(column) else None
        elif f.parent is not None:
            parent = BY_NAME[f.parent].column
            pairs = frame[[parent, f.column]].dropna().drop_duplicates()
            out[name] = {
                str(group): _values_in(rows, f.column, f.sort) for group, rows in pairs.groupby(parent, sort=True)
            }
        else:
            values = _values_in(frame, f.column, f.sort)
            out[name] = Domain(values, values[: f.default_first]) if f.default_first else values
    return out


def allowed(name: str, context: Mapping, state: Mapping) -> tuple[str, ...]:
    """The values a choice or multi field may take now (a field with a parent: under the parent's chosen values)."""
    f = BY_NAME[name]
    entry, _ = _domain(f, context)
    return _allowed_values(f, entry, state)


def normalize(state: Mapping, context: Mapping) -> dict:
    """The same selection with restrictions that select everything dropped, so equal selections serialize
    equally: a filter of every value it can take, a value its parent no longer offers, a bound at the data's edge."""
    out = dict(state)
    for f in filter_fields():
        if f.name not in out:
            continue
        if f.kind == "multi":
            offered = allowed(f.name, context, out)
            kept = tuple(v for v in offered if v in (out[f.name] or ()))
            out[f.name] = () if offered and set(kept) >= set(offered) else kept
        elif f.kind == "int" and out[f.name] is not None:
            bounds, _ = _domain(f, context)
            if _at_edge(f, out[f.name], bounds):
                out[f.name] = None
    return out


def _at_edge(f: Field, value: int, bounds) -> bool:
    """A bound at or beyond the data's edge (on its side): it restricts nothing."""
    if not bounds:
        return False
    low, high = bounds
    return (f.side == "min" and value <= low) or (f.side == "max" and value >= high)


def shown(value) -> str:
    """A visitor's value made safe and short enough to quote in a notice."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(value))
    if len(text) > MAX_SHOWN:
        text = text[:MAX_SHOWN] + "…"
    return repr(text)


def cap(notices: list[str], limit: int = MAX_NOTICES) -> list[str]:
    """At most `limit` notices, the rest counted in one line."""
    if len(notices) <= limit:
        return list(notices)
    rest = len(notices) - limit
    return notices[:limit] + [f"…and {rest} more problem{'s' if rest != 1 else ''} in the link, also ignored."]


def as_multidict(query) -> dict[str, list[str]]:
    """Any query string or mapping (values str or lists) as key -> every value given, in order."""
    if query is None:
        return {}
    if isinstance(query, (str, bytes)):
        text = query.decode("utf-8", "replace") if isinstance(query, bytes) else query
        out: dict[str, list[str]] = {}
        for key, value in parse_qsl(text.lstrip("?"), keep_blank_values=True):
            out.setdefault(key, []).append(value)
        return out
    out = {}
    for key, value in dict(query).items():
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        out[str(key)] = ["" if v is None else str(v) for v in values]
    return out


def unknown_keys(query, page: str) -> list[str]:
    """Keys in the query that the page does not use."""
    known = set(fields_of(page))
    return [k for k in as_multidict(query) if k not in known]


def unknown_notice(key: str, page: str | None = None) -> str:
    if key in BY_NAME and page is not None:
        return f"Ignored link parameter {shown(key)}: this page does not use it."
    return f"Ignored unknown link parameter {shown(key)}."


def _domain(f: Field, context: Mapping) -> tuple[object, object]:
    """(allowed values or bounds, default) for a field, from the table or the context."""
    entry = context.get(f.name, _MISSING) if context else _MISSING
    default = f.default
    if isinstance(entry, Domain):
        if entry.default is not _MISSING:
            default = entry.default
        entry = entry.values
    if entry is _MISSING:
        entry = f.bounds if f.kind == "int" else f.values
    if f.kind == "choice" and default is None and entry:
        default = tuple(entry)[0]
    if f.kind == "multi" and default is None:
        default = ()
    return entry, default


def _allowed_values(f: Field, entry, state: dict) -> tuple[str, ...]:
    if entry is None:
        return ()
    if isinstance(entry, Mapping):  # narrowed by the parent's chosen values
        chosen = state.get(f.parent) or ()
        seen: dict[str, None] = {}
        for parent_value, values in entry.items():
            if not chosen or parent_value in chosen:
                seen.update(dict.fromkeys(values))
        return tuple(seen)
    return tuple(entry)


def _single(f: Field, values: list[str], notices: list[str]) -> str:
    if len(values) > 1:
        notices.append(f"The link gives {f.name} {len(values)} times; only the last one, {shown(values[-1])}, is used.")
    return values[-1]


def _not_allowed(f: Field, state: dict) -> str:
    """Why a value of a multi field was dropped."""
    if f.values is not None:  # a fixed set, not read off the data
        return f"not a {f.description} of this page."
    if f.parent and state.get(f.parent):
        return "not one of the values in the data for the chosen condition groups."
    return "not one of the values in the data."


def _split_legacy(raw: str, allowed: set[str]) -> tuple[list[str], list[str]]:
    """Values of one comma-joined item (older links); longest known run of parts wins, so names with commas survive."""
    if raw in allowed:
        return [raw], []
    parts = raw.split(",")
    # A run never needs more parts than the most commas in one allowed value, plus one:
    # this keeps a 10,000-comma value linear instead of cubic.
    longest = 1 + max((value.count(",") for value in allowed), default=0)
    found, bad, i = [], [], 0
    while i < len(parts):
        for j in range(min(len(parts), i + longest), i, -1):
            candidate = ",".join(parts[i:j])
            if candidate in allowed or candidate.strip() in allowed:
                found.append(candidate if candidate in allowed else candidate.strip())
                i = j
                break
        else:
            if parts[i].strip():
                bad.append(parts[i].strip())
            i += 1
    return found, bad


def _parse_int(f: Field, raw: str, bounds, notices: list[str]):
    text = raw  # plain ASCII digits only: a sign, a space (a "+" in a link), "_" or another script is refused
    if _NEGATIVE.fullmatch(text):
        notices.append(f"Ignored {f.name} {shown(raw)}: cannot be negative.")
        return None
    if not _DIGITS.fullmatch(text) or len(text) > MAX_DIGITS:
        notices.append(f"Ignored {f.name} {shown(raw)}: not a whole number.")
        return None
    number = int(text)
    if bounds:
        low, high = bounds
        if number < low:
            notices.append(f"{f.name} {number} is below the smallest value in the data ({low}); {low} is used.")
            number = low
        elif number > high:
            notices.append(f"{f.name} {shown(text)} is above the largest value in the data ({high}); {high} is used.")
            number = high
    return number


def parse(query, context: Mapping | None = None, *, fields=None, page: str | None = None) -> Parsed:
    """Valid state for the fields in scope from any query, plus what was dropped or clamped and why.

    Scope: `fields` (names) if given, else the fields of `page`, else every field.
    With `page`, keys the page does not use get a notice (keys of the page outside
    `fields` are left to the page's own parser); with only `fields`, keys outside
    them are left to other parsers silently.
    """
    context = context or {}
    query = as_multidict(query)
    if fields is not None:
        scope = [BY_NAME[name] for name in fields]
    elif page is not None:
        scope = [f for f in FIELDS if page in f.pages]
    else:
        scope = list(FIELDS)
    names = {f.name for f in scope}
    notices: list[str] = []
    if page is not None:
        used = set(fields_of(page)) | names
        notices += [unknown_notice(k, page) for k in query if k not in used]
    elif fields is None:
        notices += [unknown_notice(k) for k in query if k not in names]
    state: dict = {}
    for f in scope:
        entry, default = _domain(f, context)
        values = query.get(f.name)
        if values is None:
            state[f.name] = default
            continue
        if f.kind == "multi":
            allowed = _allowed_values(f, entry, state)
            allowed_set = set(allowed)
            chosen: list[str] = []
            for raw in values:
                found, bad = _split_legacy(raw, allowed_set)
                for value in found:
                    if value not in chosen:
                        chosen.append(value)
                notices += [f"Ignored {f.name} {shown(b)}: {_not_allowed(f, state)}" for b in bad]
            order = {v: i for i, v in enumerate(allowed)}
            chosen.sort(key=order.__getitem__)
            if f.max_items is not None and len(chosen) > f.max_items:
                notices.append(f"Only the first {f.max_items} {f.description} in the link are used.")
                chosen = chosen[: f.max_items]
            state[f.name] = tuple(chosen) if chosen else tuple(default)
        elif f.kind == "choice":
            raw = _single(f, values, notices)
            allowed = tuple(entry or ())
            if raw in allowed:
                state[f.name] = raw
            else:
                listed = ", ".join(allowed[:6]) + (", …" if len(allowed) > 6 else "")
                notices.append(f"Ignored {f.name} {shown(raw)}: expected one of {listed}.")
                state[f.name] = default
        elif f.kind == "int":
            raw = _single(f, values, notices)
            number = _parse_int(f, raw, entry, notices)
            state[f.name] = default if number is None else number
        elif f.kind == "flag":
            raw = _single(f, values, notices).strip().lower()
            if raw in ("1", "true", "yes", "on"):
                state[f.name] = True
            elif raw in ("0", "false", "no", "off", ""):
                state[f.name] = False
            else:
                notices.append(f"Ignored {f.name} {shown(raw)}: expected 1 or 0.")
                state[f.name] = default
        else:  # text
            raw = _single(f, values, notices)
            text = "".join(ch for ch in raw if ch.isprintable())
            if text != raw:
                notices.append(f"Removed characters that cannot be shown from {f.name}.")
            if len(text) > f.max_chars:
                notices.append(f"Shortened {f.name} to {f.max_chars} characters.")
                text = text[: f.max_chars]
            state[f.name] = text
    _check_pairs(scope, state, context, notices)
    return Parsed(state, cap(notices))


def _check_pairs(scope: list[Field], state: dict, context: Mapping, notices: list[str]) -> None:
    """Reversed bounds are dropped; a bound at or beyond the data's edge restricts nothing and is dropped."""
    for f in scope:
        if f.side != "min" or f.pair not in state:
            continue
        low, high = state.get(f.name), state.get(f.pair)
        if low is not None and high is not None and low > high:
            notices.append(
                f"Ignored {f.name} and {f.pair}: the minimum {low} is above the maximum {high}. "
                "Swap them in the link if you meant the other way round."
            )
            state[f.name] = state[f.pair] = None
    for f in scope:
        if f.kind != "int" or f.side is None:
            continue
        bounds, _ = _domain(f, context)
        value = state.get(f.name)
        if value is not None and _at_edge(f, value, bounds):
            state[f.name] = None


def serialize(state: Mapping, context: Mapping | None = None) -> dict[str, list[str]]:
    """Query parameters for a state, in table order: defaults are left out; lists become repeated keys."""
    context = context or {}
    params: dict[str, list[str]] = {}
    for f in FIELDS:
        if f.name not in state:
            continue
        value = state[f.name]
        _, default = _domain(f, context)
        if value is None or value == default or (f.kind == "multi" and tuple(value) == tuple(default or ())):
            continue
        if f.kind == "multi":
            if value:
                params[f.name] = [str(v) for v in value]
        elif f.kind == "flag":
            params[f.name] = ["1" if value else "0"]
        elif f.kind == "int":
            params[f.name] = [str(int(value))]
        elif value != "":
            params[f.name] = [str(value)]
    return params
