"""What the Metapsy page lets a reader choose, and its round trip to URL query parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pdevidence import filters, stats
from pdevidence.metapsy.analysis import DEFAULT_THRESHOLD, Analysis
from pdevidence.metapsy.database import TIME_POST, Database
from pdevidence.metapsy.families import PSYCHODYNAMIC, UNMAPPED

PARAMS = ("db", "outcome", "family", "vs", "tau", "size", "lowrob", "time")
THRESHOLD_RANGE = (10, 10000)
DEFAULT_DATABASE = "depression-psyctr"


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
        pooled = tuple(f for f in db.families if f != UNMAPPED)
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


def parse_settings(params, databases: tuple[str, ...], options_for) -> ParsedSettings:
    """Settings from query parameters; an invalid value is dropped (default kept) with a notice.

    `options_for(name)` gives the DatabaseOptions of a database.
    """
    params = {k: filters.last_value(v) for k, v in dict(params).items()}
    notices: list[str] = []
    out: dict = {}
    db = default_database(databases)
    if "db" in params:
        if params["db"] in databases:
            db = params["db"]
        else:
            notices.append(
                f"Ignored db {filters.shown(params['db'])}: no such database here "
                f"(available: {', '.join(databases) or 'none'})."
            )
    if db is None:
        return ParsedSettings(Settings(), notices)
    out["database"] = db
    options = options_for(db)
    if "outcome" in params:
        if params["outcome"] in options.outcomes:
            out["outcome"] = params["outcome"]
        else:
            notices.append(
                f"Ignored outcome {filters.shown(params['outcome'])}: not a pooled outcome in {db} "
                f"(use one of {', '.join(options.outcomes) or 'none'})."
            )
    out.setdefault("outcome", options.default_outcome)
    if "family" in params:
        if params["family"] in options.families:
            out["family"] = params["family"]
        else:
            notices.append(f"Ignored family {filters.shown(params['family'])}: not a pooled therapy family in {db}.")
    out.setdefault("family", default_family(options))
    if "vs" in params:
        chosen = []
        for item in (p.strip() for p in params["vs"].split(",")):
            if not item:
                continue
            if item in options.comparators:
                if item not in chosen:
                    chosen.append(item)
            else:
                notices.append(f"Ignored vs {filters.shown(item)}: not a comparator code in {db}.")
        order = {c: i for i, c in enumerate(options.comparators)}
        chosen = sorted(chosen, key=order.__getitem__)
        out["comparators"] = () if set(chosen) >= set(options.comparators) else tuple(chosen)
    if "tau" in params:
        if params["tau"] in stats.TAU2_METHODS:
            out["method"] = params["tau"]
        else:
            notices.append(f"Ignored tau {filters.shown(params['tau'])}: use one of {', '.join(stats.TAU2_METHODS)}.")
    if "size" in params:
        raw = params["size"].strip()
        low, high = THRESHOLD_RANGE
        if re.fullmatch(r"\d{1,6}", raw) and low <= int(raw) <= high:
            out["threshold"] = int(raw)
        else:
            notices.append(f"Ignored size {filters.shown(raw)}: expected a whole number from {low} to {high}.")
    if "lowrob" in params:
        if params["lowrob"] in ("0", "1"):
            out["low_rob_only"] = params["lowrob"] == "1"
        else:
            notices.append(f"Ignored lowrob {filters.shown(params['lowrob'])}: use 1 (low risk of bias only) or 0.")
    if "time" in params:
        if params["time"] in options.times:
            out["time"] = params["time"]
        else:
            notices.append(f"Ignored time {filters.shown(params['time'])}: use one of {', '.join(options.times)}.")
    return ParsedSettings(Settings(**out), notices)


def serialize_settings(settings: Settings, databases: tuple[str, ...], options_for) -> dict[str, str]:
    """Query parameters for settings in a fixed order: the database and outcome always (so that a
    shared link opens the same analysis wherever the defaults differ), the rest only where not default."""
    params: dict[str, str] = {}
    if settings.database is None:
        return params
    params["db"] = settings.database
    options = options_for(settings.database)
    outcome = settings.outcome if settings.outcome in options.outcomes else options.default_outcome
    if outcome is not None:
        params["outcome"] = outcome
    if settings.family is not None and settings.family != default_family(options):
        params["family"] = settings.family
    if settings.comparators:
        params["vs"] = ",".join(settings.comparators)
    if settings.method != "dl":
        params["tau"] = settings.method
    if settings.threshold != DEFAULT_THRESHOLD:
        params["size"] = str(int(settings.threshold))
    if settings.low_rob_only:
        params["lowrob"] = "1"
    if settings.time != TIME_POST:
        params["time"] = settings.time
    return params
