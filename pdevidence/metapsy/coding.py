"""The reviewed coding of the catalogued Metapsy databases (data/metapsy_coding.yaml).

A database in the coding is read by what its codebook, README and notes say, as
written down there with the line each decision rests on: its layout, which
column holds the outcome, what each value means and which direction is better,
the sign convention of its stored effect, and the therapy family of its codes
(including psychodynamic trials inside a wider code). Any other database (a
newer index entry, an upload, a file given by address) is read by the generic
rules and marked `automatic`. The file is checked against a schema when it is
loaded; an entry that does not fit stops the program and is named.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pdevidence.metapsy.families import FAMILY_LABELS, NOT_CODED

CODING_PATH = Path(__file__).resolve().parents[2] / "data" / "metapsy_coding.yaml"
REVIEWED = "reviewed"
AUTOMATIC = "automatic"
KINDS = ("continuous", "dichotomous")


class CodingError(ValueError):
    """The coding file does not fit its schema; the message names the entry."""


@dataclass(frozen=True)
class Outcome:
    """What one value of the outcome column means."""

    key: str
    label: str
    kind: str
    higher_is_better: bool | None
    source: str
    stored_sign: int | None = None  # +1: stored g is arm 1 minus arm 2; -1: arm 2 minus arm 1
    sign_source: str = ""
    by_instrument: bool = False  # direction decided per instrument (the lexicon), not for the whole domain


@dataclass(frozen=True)
class Scores:
    """What every row of scores measures in a file without an outcome column (`scores:`), from its README."""

    label: str
    higher_is_better: bool
    source: str


@dataclass(frozen=True)
class Instrument:
    pattern: re.Pattern
    name: str
    higher_is_better: bool
    source: str
    group: str = ""  # the outcome the scale forms when its direction differs from its domain's ("quality of life")


@dataclass(frozen=True)
class DatabaseCoding:
    name: str
    sources: tuple[str, ...]
    columns: tuple[str, ...]
    rename: dict[str, str]
    constant: dict[str, str]
    layout_source: str
    outcome_column: str | None
    outcomes: dict[str, Outcome]
    outcome_source: str
    families: dict[str, tuple[str, str]]  # code (lower case) -> (family, source)
    studies: dict[str, tuple[str, str]]  # study (lower case) -> (family, source): arms inside a wider code
    time_note: str
    faults: tuple[str, ...]
    review: str
    second_reading: str = ""  # what a second, independent reading of the sources found; empty: read once
    scores: Scores | None = None  # a file without an outcome column: what its scores measure (else assumed)
    extras: dict = field(default_factory=dict)


def _fail(where: str, message: str):
    raise CodingError(f"{CODING_PATH.name}: {where}: {message}")


def _need(entry: dict, key: str, types, where: str):
    if key not in entry:
        _fail(where, f"missing `{key}`")
    value = entry[key]
    if not isinstance(value, types):
        _fail(where, f"`{key}` should be {types}, not {type(value).__name__}")
    return value


def _mapping(entry: dict, key: str, where: str) -> dict:
    """An optional block that must be a mapping (`key: value` lines), {} when absent."""
    value = entry.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        _fail(where, f"`{key}` should be a mapping (key: value lines), not a {type(value).__name__}")
    return value


def _text(entry: dict, key: str, where: str, required: bool = True) -> str:
    if not required and key not in entry:
        return ""
    value = _need(entry, key, str, where)
    if not value.strip():
        _fail(where, f"`{key}` is empty")
    return value


def _allowed(entry: dict, keys: set[str], where: str) -> None:
    extra = set(entry) - keys
    if extra:
        _fail(where, f"unknown key(s) {sorted(extra)}")


def _outcome(value: str, entry, where: str) -> Outcome:
    if not isinstance(entry, dict):
        _fail(where, "should be a mapping")
    keys = {"key", "label", "kind", "higher_is_better", "source", "stored_sign", "sign_source", "by_instrument"}
    _allowed(entry, keys, where)
    kind = _text(entry, "kind", where)
    if kind not in KINDS:
        _fail(where, f"`kind` should be one of {KINDS}")
    higher = entry.get("higher_is_better")
    if higher is not None and not isinstance(higher, bool):
        _fail(where, "`higher_is_better` should be true, false or null")
    sign = entry.get("stored_sign")
    if isinstance(sign, bool) or sign not in (None, 1, -1):
        _fail(where, "`stored_sign` should be 1, -1 or absent")
    if sign is not None and not entry.get("sign_source"):
        _fail(where, "`stored_sign` needs a `sign_source`")
    if not isinstance(entry.get("by_instrument", False), bool):
        _fail(where, "`by_instrument` should be true or false")
    if higher is None and not entry.get("by_instrument"):
        _fail(where, "`higher_is_better` is null but `by_instrument` is not set")
    return Outcome(
        key=_text(entry, "key", where),
        label=_text(entry, "label", where),
        kind=kind,
        higher_is_better=higher,
        source=_text(entry, "source", where),
        stored_sign=sign,
        sign_source=str(entry.get("sign_source", "")),
        by_instrument=bool(entry.get("by_instrument", False)),
    )


def _families(database: dict, key: str, where: str) -> dict[str, tuple[str, str]]:
    """A `families` or `studies` block: code (or "study | code") -> (family, source)."""
    out = {}
    for code, entry in _mapping(database, key, where).items():
        here = f"{where}: {key}: {code}"
        if not isinstance(entry, dict):
            _fail(here, "should be a mapping with `family` and `source`")
        _allowed(entry, {"family", "source", "note"}, here)
        family = _text(entry, "family", here)
        if family not in FAMILY_LABELS or family == NOT_CODED:
            _fail(here, f"unknown family `{family}`")
        out[str(code).strip().lower()] = (family, _text(entry, "source", here))
    return out


DATABASE_KEYS = {
    "sources",
    "columns",
    "layout",
    "outcome_column",
    "outcomes",
    "outcome_source",
    "families",
    "studies",
    "time",
    "faults",
    "review",
    "second_reading",
    "scores",
}


def _scores(entry: dict, where: str) -> Scores | None:
    block = _mapping(entry, "scores", where)
    if not block:
        return None
    where = f"{where}: scores"
    _allowed(block, {"label", "higher_is_better", "source"}, where)
    if entry.get("outcome_column"):
        _fail(where, "`scores` is for a file without an outcome column; use `outcomes`")
    return Scores(
        _text(block, "label", where), _need(block, "higher_is_better", bool, where), _text(block, "source", where)
    )


def _database(name: str, entry, known: set[str]) -> DatabaseCoding:
    where = f"databases: {name}"
    if name not in known:
        _fail(where, "not a database of data/metapsy_catalogue.csv")
    if not isinstance(entry, dict):
        _fail(where, "should be a mapping")
    _allowed(entry, DATABASE_KEYS, where)
    layout = _mapping(entry, "layout", where)
    if layout:
        _allowed(layout, {"rename", "constant", "source"}, f"{where}: layout")
        _text(layout, "source", f"{where}: layout")
    rename, constant = (_mapping(layout, key, f"{where}: layout") for key in ("rename", "constant"))
    outcomes = {
        str(value).strip().lower(): _outcome(str(value), o, f"{where}: outcomes: {value}")
        for value, o in _mapping(entry, "outcomes", where).items()
    }
    column = entry.get("outcome_column")
    if column is not None and not isinstance(column, str):
        _fail(where, f"`outcome_column` should be a column name, not a {type(column).__name__}")
    if outcomes and not column:
        _fail(where, "`outcomes` given without `outcome_column`")
    faults = entry.get("faults") or []
    if not isinstance(faults, list) or not all(isinstance(f, str) for f in faults):
        _fail(where, "`faults` should be a list of texts")
    return DatabaseCoding(
        name=name,
        sources=tuple(_need(entry, "sources", list, where)),
        columns=tuple(_need(entry, "columns", list, where)),
        rename={str(k): str(v) for k, v in rename.items()},
        constant={str(k): str(v) for k, v in constant.items()},
        layout_source=str(layout.get("source", "")),
        outcome_column=column,
        outcomes=outcomes,
        outcome_source=_text(entry, "outcome_source", where, required=bool(outcomes)),
        families=_families(entry, "families", where),
        studies=_families(entry, "studies", where),
        time_note=_text(entry, "time", where),
        faults=tuple(faults),
        review=_text(entry, "review", where),
        second_reading=_text(entry, "second_reading", where, required=False),
        scores=_scores(entry, where),
    )


def _instruments(block) -> tuple[Instrument, ...]:
    out = []
    if not isinstance(block, list):
        _fail("lexicon", "should be a list")
    for i, entry in enumerate(block):
        where = f"lexicon: entry {i + 1}"
        if not isinstance(entry, dict):
            _fail(where, "should be a mapping")
        _allowed(entry, {"name", "match", "higher_is_better", "source", "group"}, where)
        name = _text(entry, "name", where)
        where = f"lexicon: {name}"
        higher = _need(entry, "higher_is_better", bool, where)
        try:
            pattern = re.compile(_text(entry, "match", where), re.I)
        except re.error as exc:
            _fail(where, f"`match` is not a regular expression: {exc}")
        group = _text(entry, "group", where, required=False)
        out.append(Instrument(pattern, name, higher, _text(entry, "source", where), group.strip()))
    return tuple(out)


def parse_coding(data: dict, known: set[str]) -> tuple[dict[str, DatabaseCoding], tuple[Instrument, ...]]:
    """The coding and the instrument lexicon from the parsed YAML; CodingError naming the entry on any misfit."""
    if not isinstance(data, dict):
        _fail("top level", "should be a mapping")
    _allowed(data, {"version", "lexicon", "databases"}, "top level")
    if data.get("version") != 1:
        _fail("top level", "`version` should be 1")
    databases = _need(data, "databases", dict, "top level")
    coded = {str(name): _database(str(name), entry, known) for name, entry in databases.items()}
    return coded, _instruments(data.get("lexicon") or [])


@functools.cache
def load_coding(path: Path = CODING_PATH) -> tuple[dict[str, DatabaseCoding], tuple[Instrument, ...]]:
    from pdevidence.metapsy.sources import KNOWN_DATABASES

    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return parse_coding(data, set(KNOWN_DATABASES))


def reading_note(coded: DatabaseCoding) -> str:
    """How often the coding was read against its sources, for the page and the command line."""
    scope = (
        ""
        if coded.outcome_column or coded.scores
        else "; outcomes and their direction are not part of it (generic rules)"
    )
    if not coded.families:
        scope += "; therapy families are not part of it (generic rules)"
    if coded.second_reading:
        return f"{coded.review}{scope}; checked by a second reading: {coded.second_reading}"
    return f"{coded.review}{scope}; not yet checked by a second reading"


def coding_for(name: str | None) -> DatabaseCoding | None:
    return load_coding()[0].get(name or "")


def lexicon() -> tuple[Instrument, ...]:
    return load_coding()[1]


def instrument_direction(instrument: str | None) -> Instrument | None:
    """The lexicon entry of a scale, or None when the lexicon does not know it."""
    if not instrument:
        return None
    text = " ".join(str(instrument).split())
    return next((entry for entry in lexicon() if entry.pattern.search(text)), None)
