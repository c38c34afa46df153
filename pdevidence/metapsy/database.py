"""A Metapsy database read from a path, URL or upload and normalised: families, effects, risk of bias."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from pdevidence.metapsy import effects, guard, outcomes
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
    columns plus: family, outcome (key), outcome_label, outcome_kind,
    higher_is_better, g (positive favours arm 1), se, g_source, g_stored,
    raw_g / raw_se / raw_source (computed from arm data), g_agrees, n,
    time_point, rob_level, has_effect.

    `outcomes` has one row per outcome with the direction rule used, whether it
    is pooled and why not; `checks` lists every row where the stored g could be
    recomputed from arm data.
    """

    name: str
    source: str
    rows: pd.DataFrame
    codes: pd.DataFrame
    comparators: dict[str, str]
    rob_rule: RobRule
    outcomes: pd.DataFrame
    checks: pd.DataFrame
    time_note: str
    codebook_found: bool
    info: DatabaseInfo = field(default=None)  # type: ignore[assignment]

    def __post_init__(self):
        if self.info is None:
            self.info = info_for(self.name)

    # Derived values below are worked out once per database (functools.cached_property): a database's
    # tables are never changed after it is built.

    @cached_property
    def fingerprint(self) -> str:
        """A digest of the normalised tables: it keys cached analyses of this database."""
        digest = hashlib.sha256(self.name.encode("utf-8", "replace"))
        for frame in (self.rows, self.codes, self.outcomes):
            try:
                hashed = pd.util.hash_pandas_object(frame, index=True)
            except TypeError:  # a cell pandas cannot hash (a list, say): hash its text instead
                hashed = pd.util.hash_pandas_object(frame.astype(str), index=True)
            digest.update(hashed.to_numpy().tobytes())
            digest.update(",".join(map(str, frame.columns)).encode("utf-8", "replace"))
        return digest.hexdigest()

    @cached_property
    def unmapped(self) -> tuple[str, ...]:
        return tuple(self.codes.loc[self.codes["family"] == UNMAPPED, "code"])

    @cached_property
    def families(self) -> tuple[str, ...]:
        present = set(self.rows["family"].dropna())
        return tuple(f for f in FAMILY_LABELS if f in present)

    @cached_property
    def pooled_outcomes(self) -> tuple[str, ...]:
        return tuple(self.outcomes.loc[self.outcomes["pooled"], "outcome"])

    @cached_property
    def default_outcome(self) -> str | None:
        """The primary continuous symptom outcome: lower is better, most trials; else the first pooled one."""
        pooled = self.outcomes[self.outcomes["pooled"]]
        symptoms = pooled[
            (pooled["kind"] == outcomes.CONTINUOUS) & (pooled["higher_is_better"] == False)  # noqa: E712 (a nullable boolean column)
        ]
        for part in (symptoms, pooled):
            if len(part):
                return str(part.sort_values(["studies", "rows"], ascending=False, kind="stable").iloc[0]["outcome"])
        return None

    @cached_property
    def _outcome_labels(self) -> dict:
        first = self.outcomes.drop_duplicates("outcome")
        return dict(zip(first["outcome"], first["label"].astype(str), strict=True))

    def outcome_label(self, key: str | None) -> str:
        return self._outcome_labels.get(key, str(key))

    @cached_property
    def agreement(self) -> tuple[int, int]:
        """Rows where stored g and g recomputed from arm data agree within 0.01, and rows checked."""
        checked = self.checks["agrees"].notna()
        return int(self.checks.loc[checked, "agrees"].astype(bool).sum()), int(checked.sum())

    @cached_property
    def disagreements(self) -> pd.DataFrame:
        return self.checks[self.checks["agrees"].notna() & ~self.checks["agrees"].astype(bool)]

    @cached_property
    def time_points(self) -> tuple[str, ...]:
        values = [t for t in self.rows["time_point"].dropna().unique() if t != TIME_POST]
        return (TIME_POST, *sorted(values), TIME_ALL)


def _sample_sizes(frame: pd.DataFrame, decimal: str) -> pd.Series:
    n = pd.Series(np.nan, index=frame.index)
    for prefix in SAMPLE_SIZE_PAIRS:
        a, b = f"{prefix}1", f"{prefix}2"
        if a in frame and b in frame:
            total = guard.usable_size(to_number(frame[a], decimal)) + guard.usable_size(to_number(frame[b], decimal))
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


OUTCOME_COLUMNS = [
    "outcome",
    "label",
    "kind",
    "higher_is_better",
    "rule",
    "pooled",
    "reason",
    "rows",
    "rows_with_effect",
    "studies",
]
CHECK_COLUMNS = [
    "study",
    "condition_arm1",
    "condition_arm2",
    "outcome",
    "instrument",
    "stored_g",
    "recomputed_g",
    "source",
    "agrees",
]


def _present(frame: pd.DataFrame, names: tuple[str, ...], decimal: str) -> pd.Series:
    ok = pd.Series(True, index=frame.index)
    for n in names:
        ok &= to_number(frame[n], decimal).notna() if n in frame else False
    return ok


def _effects(rows: pd.DataFrame, codebook: dict[str, str], decimal: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Adds outcome, direction and effect columns to `rows` (in place); returns the outcome table and the checks."""
    nan = pd.Series(np.nan, index=rows.index)
    stored_g = to_number(rows[EFFECT_COLUMN], decimal) if EFFECT_COLUMN in rows else nan
    stored_se = to_number(rows[EFFECT_SE_COLUMN], decimal) if EFFECT_SE_COLUMN in rows else nan
    has_events = _present(rows, ("event_arm1", "event_arm2", "totaln_arm1", "totaln_arm2"), decimal)
    has_scores = _present(rows, ("mean_arm1", "mean_arm2"), decimal) | _present(
        rows, ("mean_change_arm1", "mean_change_arm2"), decimal
    )
    classes = outcomes.classify(rows, codebook, has_events, has_scores)
    raw = effects.raw_effects(rows, decimal, classes["outcome_kind"])
    for column in classes.columns:
        rows[column] = classes[column]
    for column in raw.columns:
        rows[column] = raw[column]
    rows["g_stored"] = stored_g
    rows["g"], rows["se"], rows["g_recomputed"], rows["g_source"], rows["g_agrees"] = (
        np.nan,
        np.nan,
        np.nan,
        None,
        pd.NA,
    )
    rows["g_source"] = rows["g_source"].astype(object)
    rows["g_agrees"] = rows["g_agrees"].astype("boolean")
    by_kind = {
        kind: effects.storage_convention(
            stored_g[classes["outcome_kind"] == kind], raw["raw_g"][classes["outcome_kind"] == kind]
        )
        for kind in (outcomes.CONTINUOUS, outcomes.DICHOTOMOUS)
    }
    records = []
    for key, index in rows.groupby("outcome", sort=False).groups.items():
        part = rows.loc[index]
        kind = str(part["outcome_kind"].iloc[0])
        higher = part["higher_is_better"].iloc[0]
        higher = None if pd.isna(higher) else bool(higher)
        convention = effects.storage_convention(stored_g[index], raw.loc[index, "raw_g"])
        if convention.checked == 0 and by_kind[kind].sign is not None:
            other = by_kind[kind]
            convention = effects.Convention(
                other.sign,
                0,
                0,
                f"no row of this outcome has arm data; in the database's other {kind} rows, {other.note}",
            )
        turned = effects.turned_effects(stored_g[index], stored_se[index], raw.loc[index], higher, convention)
        rows.loc[index, "g"] = turned["g"]
        rows.loc[index, "se"] = turned["se"]
        rows.loc[index, "g_source"] = turned["g_source"]
        rows.loc[index, "g_recomputed"] = raw.loc[index, "raw_g"] * (convention.sign or 1)
        rows.loc[index, "g_agrees"] = effects.agreement(stored_g[index], raw.loc[index, "raw_g"], convention).astype(
            "boolean"
        )
        usable = turned["g"].notna() & turned["se"].notna() & np.isfinite(turned["se"]) & (turned["se"] > 0)
        label = str(part["outcome_label"].iloc[0])
        basis = str(part["direction_basis"].iloc[0])
        if higher is None:
            reason = f"cannot tell whether a higher value is better: {basis}"
        elif not usable.any():
            reason = "no row has a usable effect (no stored g whose sign could be checked, and no arm data)"
        else:
            reason = ""
        records.append(
            {
                "outcome": key,
                "label": label,
                "kind": kind,
                "higher_is_better": higher,
                "rule": effects.direction_rule(label, higher, basis, convention, kind),
                "pooled": not reason,
                "reason": reason,
                "rows": int(len(part)),
                "rows_with_effect": int(usable.sum()),
                "studies": int(part.loc[usable, "study"].nunique()),
            }
        )
    rows["g"] = rows["g"].astype(float)
    rows["se"] = rows["se"].astype(float)
    rows["has_effect"] = guard.usable_effect(rows["g"], rows["se"])
    table = pd.DataFrame(records, columns=OUTCOME_COLUMNS)
    table["higher_is_better"] = table["higher_is_better"].astype("boolean")
    order = {"continuous": 0, "dichotomous": 1}
    table = table.sort_values(
        ["pooled", "kind", "studies"],
        ascending=[False, True, False],
        key=lambda c: c.map(order) if c.name == "kind" else c,
    ).reset_index(drop=True)
    both = rows["g_agrees"].notna()
    checks = pd.DataFrame(
        {
            "study": rows.loc[both, "study"],
            "condition_arm1": rows.loc[both, "condition_arm1"],
            "condition_arm2": rows.loc[both, "condition_arm2"],
            "outcome": rows.loc[both, "outcome_label"],
            "instrument": rows.loc[both, "instrument"] if "instrument" in rows else None,
            "stored_g": stored_g[both],
            "recomputed_g": rows.loc[both, "g_recomputed"],
            "source": rows.loc[both, "raw_source"].map(effects.SOURCE_LABELS),
            "agrees": rows.loc[both, "g_agrees"],
        },
        columns=CHECK_COLUMNS,
    )
    return table, checks


def build_database(frame: pd.DataFrame, codebook: dict | None, name: str, source: str) -> Database:
    """Normalise a raw Metapsy table (see read_table) into a Database."""
    validate_columns(frame, source)
    codebook = {str(k): str(v) for k, v in (codebook or {}).items()}
    decimal = frame.attrs.get("decimal", ",")
    rows = frame.copy()
    rows["n"] = _sample_sizes(rows, decimal)
    rows["time_point"], time_note = _time_points(rows)
    rows["rob_level"], rob_rule = normalise_rob(rows, codebook)
    outcome_table, checks = _effects(rows, codebook, decimal)

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
        outcomes=outcome_table,
        checks=checks,
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
