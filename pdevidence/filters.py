"""The view state's filters applied to the trials. The filters are the rows of viewstate.FIELDS with a column
of the trials table (`viewstate.filter_fields`); nothing here names one."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from pdevidence import viewstate


def names() -> tuple[str, ...]:
    """The query keys of the filters, in table order."""
    return tuple(f.name for f in viewstate.filter_fields())


def context(studies: pd.DataFrame) -> dict:
    """The values (or range) each filter can take in this table of studies."""
    return viewstate.context({"trials": studies}, names())


def parse(params, context: Mapping, *, strict: bool = True) -> viewstate.Parsed:
    """The filters' state from query parameters; unknown or invalid parts are dropped or clamped with a notice.

    With `strict`, keys that are not filters get an "unknown" notice too.
    """
    query = viewstate.as_multidict(params)
    keys = names()
    parsed = viewstate.parse(query, context, fields=keys)
    notices = [viewstate.unknown_notice(k) for k in query if k not in keys] if strict else []
    return viewstate.Parsed(parsed.state, viewstate.cap(notices + parsed.notices))


def serialize(state: Mapping) -> dict[str, list[str]]:
    """Query parameters for a selection: only restrictions are written, in table order; lists as repeated keys."""
    return viewstate.serialize({k: v for k, v in state.items() if k in names()})


def normalize(state: Mapping, context: Mapping) -> dict:
    """Drop restrictions that select everything, so equal selections serialize equally."""
    return viewstate.normalize(state, context)


def selection(state: Mapping) -> tuple[tuple[str, object], ...]:
    """The filters' values of a state (a view, or a dict), as a hashable key: the rows they keep depend only on it."""
    values = state.as_dict() if isinstance(state, viewstate.View) else dict(state)
    return tuple((name, values.get(name)) for name in names())


def apply(studies: pd.DataFrame, state: Mapping) -> pd.DataFrame:
    """The rows of studies that the selection keeps (a filter whose column the table lacks keeps none)."""
    keep = pd.Series(True, index=studies.index)
    for f in viewstate.filter_fields():
        value = state.get(f.name)
        if value is None or value == () or value == []:
            continue
        if f.column not in studies:
            keep &= False
        elif f.kind == "multi":
            keep &= studies[f.column].isin(value)
        elif f.side == "min":
            keep &= studies[f.column] >= value
        elif f.side == "max":
            keep &= studies[f.column] <= value
    return studies[keep.fillna(False).astype(bool)]


def describe(state: Mapping) -> str:
    """A short plain-language description of the selection, from each filter's phrase and labels."""
    parts = []
    for f in viewstate.filter_fields():
        value = state.get(f.name)
        if f.kind == "multi" and value:
            labels = f.labels or {}
            parts.append((f.phrase or "{}").format(", ".join(labels.get(v, v) for v in value)))
        elif f.kind == "int" and f.side == "min":
            low, high = value, state.get(f.pair)
            if low is not None or high is not None:
                lo = low if low is not None else "…"
                hi = high if high is not None else "…"
                parts.append((f.phrase or f"{f.name} {{}}–{{}}").format(lo, hi))
    return "; ".join(parts) if parts else "all studies"
