"""A Metapsy database read from a path, URL or upload and normalised: families, effects, risk of bias."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pdevidence.metapsy.effects import orientation as _orientation
from pdevidence.metapsy.errors import SourceError
from pdevidence.metapsy.families import FAMILY_LABELS, UNMAPPED, map_code, parse_code_list
from pdevidence.metapsy.fetch import fetch
from pdevidence.metapsy.read import (
    EFFECT_COLUMN,
    EFFECT_SE_COLUMN,
    find_codebook,
    parse_codebook,
    read_table,
    to_number,
    validate_columns,
)
from pdevidence.metapsy.rob import RobRule, normalise_rob
from pdevidence.metapsy.sources import TIMEOUT_SECONDS, DatabaseInfo, info_for, is_url, name_from_source

# Pairs of per-arm sample-size columns, first found wins (analysed, then randomized).
SAMPLE_SIZE_PAIRS = ("n_arm", "rand_arm", "n_randomized_arm", "totaln_arm", ".totaln_arm", "n_change_arm")
TIME_POST = "post"
TIME_ALL = "all"


@dataclass
class Database:
    """A Metapsy database, read and normalised.

    `rows` keeps every row of the file (no row is dropped) with the original
    columns plus: family, g (positive favours arm 1), se, n, time_point,
    rob_level, has_effect.
    """

    name: str
    source: str
    rows: pd.DataFrame
    codes: pd.DataFrame
    comparators: dict[str, str]
    rob_rule: RobRule
    orientation: str
    time_note: str
    codebook_found: bool
    info: DatabaseInfo = field(default=None)  # type: ignore[assignment]

    def __post_init__(self):
        if self.info is None:
            self.info = info_for(self.name)

    @property
    def unmapped(self) -> tuple[str, ...]:
        return tuple(self.codes.loc[self.codes["family"] == UNMAPPED, "code"])

    @property
    def families(self) -> tuple[str, ...]:
        present = set(self.rows["family"].dropna())
        return tuple(f for f in FAMILY_LABELS if f in present)

    @property
    def time_points(self) -> tuple[str, ...]:
        values = [t for t in self.rows["time_point"].dropna().unique() if t != TIME_POST]
        return (TIME_POST, *sorted(values), TIME_ALL)


def _sample_sizes(frame: pd.DataFrame, decimal: str) -> pd.Series:
    n = pd.Series(np.nan, index=frame.index)
    for prefix in SAMPLE_SIZE_PAIRS:
        a, b = f"{prefix}1", f"{prefix}2"
        if a in frame and b in frame:
            total = to_number(frame[a], decimal) + to_number(frame[b], decimal)
            n = n.where(n.notna(), total)
    return n


def _time_points(frame: pd.DataFrame) -> tuple[pd.Series, str]:
    if "time" not in frame or frame["time"].isna().all():
        return pd.Series(TIME_POST, index=frame.index), (
            "The database records no time point, so every row counts as post-treatment "
            "(Metapsy databases without one hold post-treatment outcomes)."
        )
    times = frame["time"].astype("string").str.strip().str.lower()
    times = times.replace({"posttest": TIME_POST, "post-treatment": TIME_POST, "post treatment": TIME_POST})
    missing = int(times.isna().sum())
    note = "Time points as recorded in the `time` column."
    if missing:
        note += f" {missing} row(s) without a time point are left out unless all time points are shown."
    return times.astype(object).where(times.notna(), None), note


def build_database(frame: pd.DataFrame, codebook: dict | None, name: str, source: str) -> Database:
    """Normalise a raw Metapsy table (see read_table) into a Database."""
    validate_columns(frame, source)
    codebook = {str(k): str(v) for k, v in (codebook or {}).items()}
    decimal = frame.attrs.get("decimal", ",")
    rows = frame.copy()
    g = to_number(rows[EFFECT_COLUMN], decimal)
    se = to_number(rows[EFFECT_SE_COLUMN], decimal)
    g, orientation = _orientation(rows, g, decimal)
    rows["g"] = g
    rows["se"] = se
    rows["n"] = _sample_sizes(rows, decimal)
    rows["time_point"], time_note = _time_points(rows)
    rows["rob_level"], rob_rule = normalise_rob(rows, codebook)
    rows["has_effect"] = rows["g"].notna() & rows["se"].notna() & np.isfinite(rows["se"]) & (rows["se"] > 0)

    definitions = {**parse_code_list(codebook.get("condition_arm2")), **parse_code_list(codebook.get("condition_arm1"))}
    arm1 = rows["condition_arm1"].astype("string").str.strip()
    mappings = [map_code(code, definitions) for code in sorted(arm1.dropna().unique(), key=str.lower)]
    families = {m.code: m.family for m in mappings}
    rows["family"] = arm1.map(families).astype(object).where(arm1.notna(), UNMAPPED)
    counts = arm1.value_counts()
    codes = pd.DataFrame(
        [
            {
                "code": m.code,
                "description": m.description,
                "family": m.family,
                "basis": m.basis,
                "rows": int(counts.get(m.code, 0)),
            }
            for m in mappings
        ],
        columns=["code", "description", "family", "basis", "rows"],
    )
    if arm1.isna().any():
        codes.loc[len(codes)] = {
            "code": "(missing)",
            "description": None,
            "family": UNMAPPED,
            "basis": "unmapped",
            "rows": int(arm1.isna().sum()),
        }
    comparator_defs = {k.lower(): v for k, v in parse_code_list(codebook.get("condition_arm2")).items()}
    comparators = {
        code: comparator_defs.get(code.lower(), code)
        for code in sorted(rows["condition_arm2"].dropna().astype(str).str.strip().unique(), key=str.lower)
    }
    rows["condition_arm2"] = rows["condition_arm2"].astype("string").str.strip().astype(object)
    return Database(
        name=name,
        source=source,
        rows=rows,
        codes=codes,
        comparators=comparators,
        rob_rule=rob_rule,
        orientation=orientation,
        time_note=time_note,
        codebook_found=bool(codebook),
    )


def read_database(source, *, codebook=None, name: str | None = None, timeout: float = TIMEOUT_SECONDS) -> Database:
    """Read a Metapsy database from a path, a URL, or the bytes of an uploaded file.

    The codebook (a dict, or JSON bytes/text) is looked for beside a path or
    URL when not given; without one, treatment codes are mapped by name only.
    """
    if isinstance(source, (bytes, bytearray)):
        label = name or "uploaded file"
        frame = read_table(bytes(source), label)
        book = codebook if isinstance(codebook, dict) else parse_codebook(codebook)
        return build_database(frame, book, name or "uploaded", label)
    source = str(source)
    if is_url(source):
        data = fetch(source, timeout)
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise SourceError(f"could not read {source}: {exc.strerror or exc}") from exc
    if codebook is None:
        book = find_codebook(source, timeout)
    else:
        book = codebook if isinstance(codebook, dict) else parse_codebook(codebook)
    frame = read_table(data, source)
    return build_database(frame, book, name or name_from_source(source), source)


def database_files(directory: Path | None) -> dict[str, Path]:
    """The Metapsy CSV files in a folder, by database name."""
    if directory is None or not Path(directory).is_dir():
        return {}
    return {path.stem: path for path in sorted(Path(directory).glob("*.csv"))}
