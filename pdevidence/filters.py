"""The filter state applied to the trials, and its round trip to the URL through `viewstate`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import pandas as pd

from pdevidence import viewstate

# Query key -> Filters attribute. The fields themselves (kinds, pages) are rows of viewstate.FIELDS.
LIST_PARAMS = {
    "condition": "conditions",
    "specific": "specifics",
    "comparator": "comparator_types",
    "design": "designs",
    "term": "terms",
    "model": "models",
}
RANGE_PARAMS = {
    "n_min": "n_min",
    "n_max": "n_max",
    "year_min": "year_min",
    "year_max": "year_max",
}
PARAM_NAMES = tuple(LIST_PARAMS) + tuple(RANGE_PARAMS)
COLUMNS = {
    "conditions": "condition_group",
    "specifics": "condition_specific",
    "comparator_types": "comparator_type",
    "designs": "design",
    "terms": "pd_term",
    "models": "pd_model",
}


@dataclass(frozen=True)
class Options:
    """What a filter may take, read off the data."""

    conditions: tuple[str, ...]
    comparator_types: tuple[str, ...]
    designs: tuple[str, ...]
    terms: tuple[str, ...]
    models: tuple[str, ...]
    n_range: tuple[int, int]
    year_range: tuple[int, int]
    # Condition group -> specific condition codes found under it (empty when the data has none).
    specifics: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def specifics_under(self, groups) -> tuple[str, ...]:
        """Specific conditions offered when these groups are chosen (every one when none is)."""
        seen: dict[str, None] = {}
        for group, codes in self.specifics.items():
            if not groups or group in groups:
                seen.update(dict.fromkeys(codes))
        return tuple(seen)


@dataclass(frozen=True)
class Filters:
    """A selection of studies. Empty tuples and None bounds mean no restriction."""

    conditions: tuple[str, ...] = ()
    comparator_types: tuple[str, ...] = ()
    designs: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    n_min: int | None = None
    n_max: int | None = None
    year_min: int | None = None
    year_max: int | None = None
    specifics: tuple[str, ...] = ()


@dataclass
class Parsed:
    filters: Filters
    notices: list[str] = field(default_factory=list)


def options_from(studies: pd.DataFrame) -> Options:
    """The values each filter can take in this table of studies."""

    def values(column: str) -> tuple[str, ...]:
        return tuple(sorted(studies[column].dropna().unique()))

    specifics: dict[str, tuple[str, ...]] = {}
    if "condition_specific" in studies:
        pairs = studies[["condition_group", "condition_specific"]].dropna().drop_duplicates()
        for group, rows in pairs.groupby("condition_group", sort=True):
            specifics[str(group)] = tuple(sorted(rows["condition_specific"].astype(str)))
    return Options(
        conditions=values("condition_group"),
        comparator_types=values("comparator_type"),
        designs=values("design"),
        terms=values("pd_term"),
        models=values("pd_model"),
        n_range=(int(studies["n_randomized"].min()), int(studies["n_randomized"].max())),
        year_range=(int(studies["year"].min()), int(studies["year"].max())),
        specifics=specifics,
    )


def context(options: Options) -> dict:
    """The viewstate context of the filter fields: allowed values and ranges from the data."""
    out: dict = {key: getattr(options, attr) for key, attr in LIST_PARAMS.items() if key != "specific"}
    out["specific"] = dict(options.specifics)
    for key in ("n_min", "n_max"):
        out[key] = options.n_range
    for key in ("year_min", "year_max"):
        out[key] = options.year_range
    return out


def from_state(state: Mapping) -> Filters:
    values = {attr: tuple(state.get(key) or ()) for key, attr in LIST_PARAMS.items()}
    values.update({attr: state.get(key) for key, attr in RANGE_PARAMS.items()})
    return Filters(**values)


def to_state(filters: Filters) -> dict:
    state = {key: getattr(filters, attr) for key, attr in LIST_PARAMS.items()}
    state.update({key: getattr(filters, attr) for key, attr in RANGE_PARAMS.items()})
    return state


def parse(params, options: Options, *, strict: bool = True) -> Parsed:
    """Read filters from query parameters; unknown or invalid parts are dropped or clamped with a notice.

    With `strict`, keys that are not filters get an "unknown" notice too.
    """
    query = viewstate.as_multidict(params)
    parsed = viewstate.parse(query, context(options), fields=PARAM_NAMES)
    notices = [viewstate.unknown_notice(k) for k in query if k not in PARAM_NAMES] if strict else []
    return Parsed(from_state(parsed.state), viewstate.cap(notices + parsed.notices))


def serialize(filters: Filters) -> dict[str, list[str]]:
    """Query parameters for a selection: only restrictions are written, in a fixed order; lists as repeated keys."""
    return viewstate.serialize(to_state(filters))


def normalize(filters: Filters, options: Options) -> Filters:
    """Drop restrictions that select everything, so equal selections serialize equally."""
    changes = {}
    for attr in LIST_PARAMS.values():
        if attr == "specifics":
            offered = options.specifics_under(filters.conditions)
            kept = tuple(v for v in offered if v in filters.specifics)
            changes[attr] = () if offered and set(kept) >= set(offered) else kept
            continue
        values = getattr(filters, attr)
        if set(values) >= set(getattr(options, attr)):
            changes[attr] = ()
    for prefix, (low, high) in (("n", options.n_range), ("year", options.year_range)):
        if getattr(filters, f"{prefix}_min") is not None and getattr(filters, f"{prefix}_min") <= low:
            changes[f"{prefix}_min"] = None
        if getattr(filters, f"{prefix}_max") is not None and getattr(filters, f"{prefix}_max") >= high:
            changes[f"{prefix}_max"] = None
    return replace(filters, **changes)


def apply(studies: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The rows of studies that the selection keeps."""
    keep = pd.Series(True, index=studies.index)
    for attr, column in COLUMNS.items():
        values = getattr(filters, attr)
        if values and column in studies:
            keep &= studies[column].isin(values)
        elif values:
            keep &= False
    n = studies["n_randomized"]
    year = studies["year"]
    if filters.n_min is not None:
        keep &= n >= filters.n_min
    if filters.n_max is not None:
        keep &= n <= filters.n_max
    if filters.year_min is not None:
        keep &= year >= filters.year_min
    if filters.year_max is not None:
        keep &= year <= filters.year_max
    return studies[keep.fillna(False).astype(bool)]


def describe(filters: Filters, labels: dict[str, str] | None = None) -> str:
    """A short plain-language description of the selection."""
    labels = labels or {}
    parts = []
    if filters.conditions:
        parts.append(", ".join(labels.get(c, c) for c in filters.conditions))
    if filters.specifics:
        parts.append(", ".join(labels.get(c, c) for c in filters.specifics))
    if filters.comparator_types:
        parts.append("vs " + " or ".join(f"{c} controls" for c in filters.comparator_types))
    if filters.designs:
        parts.append(", ".join(labels.get(d, d) for d in filters.designs))
    if filters.terms:
        parts.append(", ".join(filters.terms) + " therapy")
    if filters.models:
        parts.append(", ".join(filters.models))
    for prefix, unit in (("n", "participants"), ("year", "")):
        low, high = getattr(filters, f"{prefix}_min"), getattr(filters, f"{prefix}_max")
        if low is not None or high is not None:
            lo = low if low is not None else "…"
            hi = high if high is not None else "…"
            parts.append(f"{prefix if prefix == 'year' else 'N'} {lo}–{hi} {unit}".strip())
    return "; ".join(parts) if parts else "all studies"
