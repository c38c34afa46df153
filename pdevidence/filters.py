"""The filter state, and its exact round trip to URL query parameters."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

# Query-parameter names. Lists are comma-separated; absent means "no restriction".
LIST_PARAMS = {
    "condition": "conditions",
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
MAX_VALUE_LENGTH = 60


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


@dataclass
class Parsed:
    filters: Filters
    notices: list[str] = field(default_factory=list)


def options_from(studies: pd.DataFrame) -> Options:
    """The values each filter can take in this table of studies."""

    def values(column: str) -> tuple[str, ...]:
        return tuple(sorted(studies[column].dropna().unique()))

    return Options(
        conditions=values("condition_group"),
        comparator_types=values("comparator_type"),
        designs=values("design"),
        terms=values("pd_term"),
        models=values("pd_model"),
        n_range=(int(studies["n_randomized"].min()), int(studies["n_randomized"].max())),
        year_range=(int(studies["year"].min()), int(studies["year"].max())),
    )


def shown(value: str) -> str:
    """A user-supplied value made safe to quote in a notice."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(value))
    if len(text) > MAX_VALUE_LENGTH:
        text = text[:MAX_VALUE_LENGTH] + "…"
    return repr(text)


def last_value(value) -> str:
    if isinstance(value, (list, tuple)):
        return str(value[-1]) if value else ""
    return str(value)


def parse(params, options: Options) -> Parsed:
    """Read filters from query parameters; unknown or invalid parts are dropped with a notice."""
    params = dict(params)
    out: dict = {}
    notices: list[str] = []
    allowed = {
        "conditions": options.conditions,
        "comparator_types": options.comparator_types,
        "designs": options.designs,
        "terms": options.terms,
        "models": options.models,
    }
    for key in params:
        if key not in PARAM_NAMES:
            notices.append(f"Ignored unknown link parameter {shown(key)}.")
    for key, attr in LIST_PARAMS.items():
        if key not in params:
            continue
        raw = last_value(params[key])
        chosen = []
        for item in (part.strip() for part in raw.split(",")):
            if not item:
                continue
            if item in allowed[attr]:
                if item not in chosen:
                    chosen.append(item)
            else:
                notices.append(f"Ignored {key} {shown(item)}: not one of the values in the data.")
        order = {value: i for i, value in enumerate(allowed[attr])}
        out[attr] = tuple(sorted(chosen, key=order.__getitem__))
    bounds = {"n": options.n_range, "year": options.year_range}
    for key, attr in RANGE_PARAMS.items():
        if key not in params:
            continue
        raw = last_value(params[key]).strip()
        try:
            number = int(raw)
        except ValueError:
            notices.append(f"Ignored {key} {shown(raw)}: not a whole number.")
            continue
        if number < 0:
            notices.append(f"Ignored {key} {shown(raw)}: cannot be negative.")
            continue
        out[attr] = number
    for prefix in ("n", "year"):
        low, high = out.get(f"{prefix}_min"), out.get(f"{prefix}_max")
        if low is not None and high is not None and low > high:
            notices.append(f"Ignored {prefix}_min and {prefix}_max: the minimum {low} is above the maximum {high}.")
            out.pop(f"{prefix}_min")
            out.pop(f"{prefix}_max")
        lo_bound, hi_bound = bounds[prefix]
        # A bound outside the data's range restricts nothing: drop it so the
        # link keeps one canonical form.
        if out.get(f"{prefix}_min") is not None and out[f"{prefix}_min"] <= lo_bound:
            out.pop(f"{prefix}_min")
        if out.get(f"{prefix}_max") is not None and out[f"{prefix}_max"] >= hi_bound:
            out.pop(f"{prefix}_max")
    return Parsed(Filters(**out), notices)


def serialize(filters: Filters) -> dict[str, str]:
    """Query parameters for a selection: only restrictions are written, in a fixed order."""
    params: dict[str, str] = {}
    for key, attr in LIST_PARAMS.items():
        values = getattr(filters, attr)
        if values:
            params[key] = ",".join(values)
    for key, attr in RANGE_PARAMS.items():
        value = getattr(filters, attr)
        if value is not None:
            params[key] = str(int(value))
    return params


def normalize(filters: Filters, options: Options) -> Filters:
    """Drop restrictions that select everything, so equal selections serialize equally."""
    changes = {}
    for attr in LIST_PARAMS.values():
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
    for attr, column in (
        ("conditions", "condition_group"),
        ("comparator_types", "comparator_type"),
        ("designs", "design"),
        ("terms", "pd_term"),
        ("models", "pd_model"),
    ):
        values = getattr(filters, attr)
        if values:
            keep &= studies[column].isin(values)
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
