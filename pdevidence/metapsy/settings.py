"""What the Metapsy page lets a reader choose, and its round trip to URL query parameters."""

from __future__ import annotations

from dataclasses import dataclass, field

from pdevidence import viewstate
from pdevidence.metapsy.analysis import DEFAULT_THRESHOLD, Analysis
from pdevidence.metapsy.database import TIME_POST, Database
from pdevidence.metapsy.families import NOT_POOLED, PSYCHODYNAMIC
from pdevidence.metapsy.sources import DEFAULT_DATABASE

# The page's query keys; their types and checks are rows of pdevidence.viewstate.FIELDS.
PARAMS = ("db", "outcome", "family", "vs", "tau", "size", "lowrob", "time")
THRESHOLD_RANGE = viewstate.BY_NAME["size"].bounds


@dataclass(frozen=True)
class Settings:
    """Everything the Metapsy page lets a reader choose. None/() mean the default."""

    database: str | None = None
    family: str | None = None
    comparators: tuple[str, ...] = ()
    method: str = "dl"
    threshold: int = DEFAULT_THRESHOLD
    low_rob_only: bool = False
    time: str = TIME_POST
    outcome: str | None = None

    def analysis(self) -> Analysis:
        return Analysis(
            time=self.time,
            low_rob_only=self.low_rob_only,
            comparators=self.comparators,
            method=self.method,
            outcome=self.outcome,
        )


@dataclass(frozen=True)
class DatabaseOptions:
    """What the settings may take for one database."""

    families: tuple[str, ...]
    comparators: tuple[str, ...]
    times: tuple[str, ...]
    outcomes: tuple[str, ...] = ()
    default_outcome: str | None = None

    @classmethod
    def of(cls, db: Database) -> DatabaseOptions:
        pooled = tuple(f for f in db.families if f not in NOT_POOLED)
        return cls(pooled, tuple(db.comparators), db.time_points, db.pooled_outcomes, db.default_outcome)


def default_database(databases: tuple[str, ...]) -> str | None:
    if DEFAULT_DATABASE in databases:
        return DEFAULT_DATABASE
    return databases[0] if databases else None


def default_family(options: DatabaseOptions) -> str | None:
    if PSYCHODYNAMIC in options.families:
        return PSYCHODYNAMIC
    return options.families[0] if options.families else None


@dataclass
class ParsedSettings:
    settings: Settings
    notices: list[str] = field(default_factory=list)


def _context(databases: tuple[str, ...], options: DatabaseOptions | None, *, for_link: bool = False) -> dict:
    """The viewstate context of the Metapsy fields: values that depend on the databases on offer.

    For a link (`for_link`), the database and the outcome get an empty default so that they
    are always written: a shared link then opens the same analysis wherever the defaults differ.
    """
    always = "" if for_link else None
    context: dict = {
        "db": viewstate.Domain(databases, always if for_link else default_database(databases)),
        "size": THRESHOLD_RANGE,
    }
    if options is not None:
        context.update(
            outcome=viewstate.Domain(options.outcomes, always if for_link else options.default_outcome),
            family=viewstate.Domain(options.families, default_family(options)),
            vs=options.comparators,
            time=viewstate.Domain(options.times, TIME_POST),
        )
    return context


def parse_settings(params, databases: tuple[str, ...], options_for) -> ParsedSettings:
    """Settings from query parameters, through viewstate: an invalid value is dropped or clamped with a notice.

    `params` is any query (a mapping of key -> value or list of values, or a query string);
    `options_for(name)` gives the DatabaseOptions of a database.
    """
    first = viewstate.parse(params, _context(databases, None), fields=("db",))
    notices = list(first.notices)
    db = first.state["db"]
    if db is None:
        return ParsedSettings(Settings(), notices)
    options = options_for(db)
    parsed = viewstate.parse(params, _context(databases, options), fields=PARAMS[1:])
    notices += parsed.notices
    state = parsed.state
    chosen = tuple(state["vs"])
    return ParsedSettings(
        Settings(
            database=db,
            outcome=state["outcome"],
            family=state["family"],
            comparators=() if set(chosen) >= set(options.comparators) else chosen,
            method=state["tau"],
            threshold=int(state["size"]),
            low_rob_only=bool(state["lowrob"]),
            time=state["time"],
        ),
        notices,
    )


def serialize_settings(settings: Settings, databases: tuple[str, ...], options_for) -> dict[str, list[str]]:
    """Query parameters for settings, through viewstate (lists as repeated keys): the database and the
    outcome always, the other choices only where they differ from the defaults."""
    if settings.database is None:
        return {}
    options = options_for(settings.database)
    outcome = settings.outcome if settings.outcome in options.outcomes else options.default_outcome
    state = {
        "db": settings.database,
        "outcome": outcome,
        "family": settings.family,
        "vs": tuple(settings.comparators),
        "tau": settings.method,
        "size": int(settings.threshold),
        "lowrob": bool(settings.low_rob_only),
        "time": settings.time,
    }
    return viewstate.serialize(state, _context(databases, options, for_link=True))
