"""Command line: pool a Metapsy database by therapy family and print a table or JSON."""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd

from pdevidence import stats
from pdevidence.metapsy import cache, sources
from pdevidence.metapsy.analysis import Analysis, family_summary, select_rows
from pdevidence.metapsy.database import TIME_POST, read_database
from pdevidence.metapsy.errors import MetapsyError
from pdevidence.metapsy.sources import CREDIT, LICENCE

# A JSON record: a family's row of analysis.SUMMARY_COLUMNS, its counts as whole numbers and its figures rounded,
# with the outcome it is for.
_COUNTS = ("k", "studies", "participants")
_FIGURES = ("g", "ci_low", "ci_high", "i2")
CLI_KEYS = ("outcome", "family", *_COUNTS, *_FIGURES, "outcome_label", "direction", "coding", "assumptions")


def _rounded(value, digits: int = 4):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


def _json_value(key: str, record: dict):
    if key in _COUNTS:
        return int(record[key])
    if key in _FIGURES:
        return _rounded(record[key])
    if key == "assumptions":
        return [a for a in str(record[key] or "").split("; ") if a]
    return record[key]


def cli_records(summary: pd.DataFrame, outcome: str | None = None, label: str = "", direction: str = "") -> list[dict]:
    """One JSON record (the keys CLI_KEYS) per row of a family summary, for this outcome."""
    about = {"outcome": outcome, "outcome_label": label, "direction": direction}
    return [{key: _json_value(key, row | about) for key in CLI_KEYS} for row in summary.to_dict("records")]


def database_records(db, analysis: Analysis, outcomes: tuple[str, ...]) -> list[dict]:
    """JSON rows for each chosen outcome: pooled figures per family, with the outcome and its direction rule."""
    records = []
    rules = dict(zip(db.outcomes["outcome"], db.outcomes["rule"], strict=True))
    for outcome in outcomes:
        rows = select_rows(db, replace(analysis, outcome=outcome))
        records += cli_records(
            family_summary(rows, analysis.method), outcome, db.outcome_label(outcome), rules.get(outcome, "")
        )
    return records


def check_text(db) -> str:
    """The data check in words: how many stored g agree with g recomputed from arm data, and which do not."""
    agree, checked = db.agreement
    if not checked:
        return "data check: no row has both a stored g and arm data to recompute it from"
    lines = [f"data check: recomputed g agrees with the stored g (within 0.01) in {agree} of {checked} rows"]
    for r in db.disagreements.itertuples():
        lines.append(
            f"  differs: {r.study} ({r.condition_arm1} vs {r.condition_arm2}, {r.outcome}, {r.instrument}): "
            f"stored {r.stored_g:.3f}, recomputed from {r.source} {r.recomputed_g:.3f}"
        )
    return "\n".join(lines)


def outcome_text(db) -> str:
    lines = ["outcomes and the direction rule used:"]
    for r in db.outcomes.itertuples():
        lines.append(f"  {r.outcome} ({r.label}; {r.studies} trials): {r.rule}")
    for r in db.outcomes[db.outcomes["sign_conflict"] != ""].itertuples():
        lines.append(f"warning: sign conflict in {r.outcome}: {r.sign_conflict}")
    return "\n".join(lines)


def _format_table(records: list[dict]) -> str:
    def cell(value, digits=2):
        if value is None:
            return "–"
        return f"{value:.{digits}f}" if isinstance(value, float) else str(value)

    header = ("outcome", "family", "coding", "k", "studies", "participants", "g", "ci_low", "ci_high", "i2")
    lines = [
        [
            str(r["outcome"]),
            r["family"],
            r["coding"],
            cell(r["k"]),
            cell(r["studies"]),
            cell(r["participants"]),
            cell(r["g"]),
            cell(r["ci_low"]),
            cell(r["ci_high"]),
            cell(r["i2"]),
        ]
        for r in records
    ]
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(header)]
    fmt = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))  # noqa: E731
    table = [fmt(header), *(fmt(line) for line in lines)]
    notes = [f"  {r['outcome']}, {r['family']}: {a}" for r in records for a in r["assumptions"]]
    if notes:
        table += ["assumptions of the generic rules (trials each applies to):", *notes]
    return "\n".join(table)


def _read(source: str):
    """A database from a path or URL, or by its catalogue name (local copy, cache, or fetched at its pinned version)."""
    if source in sources.KNOWN_DATABASES and not Path(source).exists():
        got = cache.ensure(sources.KNOWN_DATABASES[source])
        codebook = got.codebook.read_bytes() if got.codebook else None
        return read_database(got.csv.read_bytes(), codebook=codebook or {}, name=source, catalogued=True)
    return read_database(source)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pdevidence.metapsy",
        description="Pool a Metapsy database by therapy family (random effects, one effect per trial).",
    )
    parser.add_argument(
        "source", help="path or URL of a Metapsy data.csv, or a catalogue name such as depression-psyctr"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    parser.add_argument("--method", choices=tuple(stats.TAU2_METHODS), default="dl", help="tau² estimator")
    parser.add_argument("--time", default=TIME_POST, help="time point (post, all, or a value of `time`)")
    parser.add_argument("--low-rob-only", action="store_true", help="only rows rated at low risk of bias")
    parser.add_argument(
        "--outcome",
        default=None,
        help="outcome key (see the table output), or 'all'; default: the primary continuous symptom outcome",
    )
    args = parser.parse_args(argv)
    try:
        db = _read(args.source)
    except MetapsyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.time not in db.time_points:
        print(
            f"error: time {args.time!r} not in this database; use one of {', '.join(db.time_points)}", file=sys.stderr
        )
        return 2
    if args.outcome == "all":
        outcomes = db.pooled_outcomes
    elif args.outcome is None:
        outcomes = (db.default_outcome,) if db.default_outcome else ()
    elif args.outcome in db.pooled_outcomes:
        outcomes = (args.outcome,)
    else:
        print(
            f"error: outcome {args.outcome!r} is not pooled in this database; use 'all' or one of "
            f"{', '.join(db.pooled_outcomes) or '(none)'}",
            file=sys.stderr,
        )
        return 2
    analysis = Analysis(time=args.time, low_rob_only=args.low_rob_only, method=args.method)
    records = database_records(db, analysis, outcomes)
    nothing = (
        "nothing is pooled: no outcome has both a direction a source establishes and a usable effect "
        "(each outcome's reason is listed under 'outcomes and the direction rule used')"
    )
    if args.json:
        print(json.dumps(records, indent=1))
        print(f"coding: {db.coding}. {db.coding_note}", file=sys.stderr)
        if not db.pooled_outcomes:
            print(f"{nothing}\n{outcome_text(db)}", file=sys.stderr)
        for r in db.outcomes[db.outcomes["sign_conflict"] != ""].itertuples():
            print(f"warning: sign conflict in {r.outcome}: {r.sign_conflict}", file=sys.stderr)
        for problem in db.coding_problems:
            print(f"warning: coding problem: {problem}", file=sys.stderr)
        print(check_text(db), file=sys.stderr)
    else:
        print(f"{db.name}: {len(db.rows)} rows; credit: {CREDIT}, {LICENCE}")
        print(f"coding: {db.coding}. {db.coding_note}")
        print(_format_table(records))
        if not db.pooled_outcomes:
            print(nothing)
        if db.unmapped:
            print(f"unmapped treatment codes (not pooled): {', '.join(db.unmapped)}")
        for problem in db.coding_problems:
            print(f"warning: coding problem: {problem}")
        if db.not_coded:
            print(
                f"not coded: treatment codes the reviewed coding does not list (not pooled): {', '.join(db.not_coded)}"
            )
        print(outcome_text(db))
        print(check_text(db))
    return 0
