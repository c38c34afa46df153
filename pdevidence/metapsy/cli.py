"""Command line: pool a Metapsy database by therapy family and print a table or JSON."""

from __future__ import annotations

import argparse
import json
import math
import sys

import pandas as pd

from pdevidence import stats
from pdevidence.metapsy.analysis import Analysis, family_summary, select_rows
from pdevidence.metapsy.database import TIME_POST, read_database
from pdevidence.metapsy.errors import MetapsyError
from pdevidence.metapsy.sources import CREDIT, LICENCE

CLI_KEYS = ("family", "k", "studies", "participants", "g", "ci_low", "ci_high", "i2")


def _rounded(value, digits: int = 4):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


def cli_records(summary: pd.DataFrame) -> list[dict]:
    return [
        {
            "family": row["family"],
            "k": int(row["k"]),
            "studies": int(row["studies"]),
            "participants": int(row["participants"]),
            "g": _rounded(row["g"]),
            "ci_low": _rounded(row["ci_low"]),
            "ci_high": _rounded(row["ci_high"]),
            "i2": _rounded(row["i2"]),
        }
        for row in summary.to_dict("records")
    ]


def _format_table(records: list[dict]) -> str:
    def cell(value, digits=2):
        if value is None:
            return "–"
        return f"{value:.{digits}f}" if isinstance(value, float) else str(value)

    header = ("family", "k", "studies", "participants", "g", "ci_low", "ci_high", "i2")
    lines = [
        [
            r["family"],
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
    return "\n".join([fmt(header), *(fmt(line) for line in lines)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pdevidence.metapsy",
        description="Pool a Metapsy database by therapy family (random effects, one effect per trial).",
    )
    parser.add_argument("source", help="path or URL of a Metapsy data.csv")
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    parser.add_argument("--method", choices=tuple(stats.TAU2_METHODS), default="dl", help="tau² estimator")
    parser.add_argument("--time", default=TIME_POST, help="time point (post, all, or a value of `time`)")
    parser.add_argument("--low-rob-only", action="store_true", help="only rows rated at low risk of bias")
    args = parser.parse_args(argv)
    try:
        db = read_database(args.source)
    except MetapsyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.time not in db.time_points:
        print(
            f"error: time {args.time!r} not in this database; use one of {', '.join(db.time_points)}", file=sys.stderr
        )
        return 2
    analysis = Analysis(time=args.time, low_rob_only=args.low_rob_only, method=args.method)
    records = cli_records(family_summary(select_rows(db, analysis), args.method))
    if args.json:
        print(json.dumps(records, indent=1))
    else:
        print(f"{db.name}: {len(db.rows)} rows; credit: {CREDIT}, {LICENCE}")
        print(_format_table(records))
        if db.unmapped:
            print(f"unmapped treatment codes (not pooled): {', '.join(db.unmapped)}")
    return 0
