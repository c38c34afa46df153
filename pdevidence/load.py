"""Read the bundled tables, validate them against data/schema.yaml, fail loudly naming rows."""

from __future__ import annotations

import io
import re
from functools import cache, lru_cache
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import yaml
from pandera.errors import SchemaErrors

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
SCHEMA_PATH = DATA_DIR / "schema.yaml"

_PANDAS_TYPES = {"string": "string", "integer": "Int64", "number": "Float64"}


class DataError(ValueError):
    """A bundled or supplied table does not match its schema; the message names rows."""


@lru_cache(maxsize=1)
def read_schema(path: Path = SCHEMA_PATH) -> dict:
    """The parsed schema: {table name: {file, title, description, columns}}."""
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)["tables"]


def provenance() -> pd.DataFrame:
    """The sources block of schema.yaml: where the tables' content comes from."""
    with open(SCHEMA_PATH, encoding="utf-8") as fh:
        return pd.DataFrame(yaml.safe_load(fh)["sources"])


def data_dictionary(table: str) -> pd.DataFrame:
    """One row per column of a table: name, type, unit, required, allowed values, description."""
    columns = read_schema()[table]["columns"]
    return pd.DataFrame(
        [
            {
                "column": name,
                "type": spec["type"],
                "unit": spec.get("unit", ""),
                "required": "yes" if spec.get("required") else "no",
                "allowed values": ", ".join(map(str, spec.get("enum", []))),
                "description": spec["description"],
            }
            for name, spec in columns.items()
        ]
    )


def _checks(spec: dict) -> list[pa.Check]:
    checks = []
    if "enum" in spec:
        checks.append(pa.Check.isin(spec["enum"]))
    if "pattern" in spec:
        checks.append(pa.Check.str_matches(f"^(?:{spec['pattern']})$"))
    if "min" in spec:
        checks.append(pa.Check.ge(spec["min"]))
    if "max" in spec:
        checks.append(pa.Check.le(spec["max"]))
    return checks


@cache
def table_schema(table: str) -> pa.DataFrameSchema:
    """The pandera schema of a table, built from schema.yaml."""
    columns = read_schema()[table]["columns"]
    return pa.DataFrameSchema(
        {
            name: pa.Column(
                _PANDAS_TYPES[spec["type"]],
                checks=_checks(spec),
                nullable=not spec.get("required", False),
                unique=spec.get("unique", False),
                required=True,
            )
            for name, spec in columns.items()
        },
        strict=True,
        ordered=True,
        coerce=False,
        name=table,
    )


def _describe(errors: SchemaErrors, limit: int = 12) -> str:
    cases = errors.failure_cases
    lines = []
    for row in cases.head(limit).itertuples(index=False):
        where = f"row {int(row.index) + 2}" if pd.notna(row.index) else "table"
        lines.append(f"{where}, column {row.column!s}: {row.check!s} failed (value {row.failure_case!r})")
    more = len(cases) - limit
    if more > 0:
        lines.append(f"... and {more} more problem(s)")
    return "\n".join(lines)


def parse_table(table: str, source) -> pd.DataFrame:
    """Parse and validate a CSV (a Path, bytes, or text) as the named table.

    Row numbers in errors are the line numbers of the CSV file (header = 1).
    """
    columns = read_schema()[table]["columns"]
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    elif isinstance(source, str):
        source = io.StringIO(source)
    try:
        raw = pd.read_csv(source, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{table}: not a readable CSV file ({exc})") from None
    expected = list(columns)
    missing = [c for c in expected if c not in raw.columns]
    extra = [c for c in raw.columns if c not in columns]
    if missing or extra:
        parts = []
        if missing:
            parts.append("missing column(s): " + ", ".join(missing))
        if extra:
            parts.append("unknown column(s): " + ", ".join(map(str, extra)))
        raise DataError(f"{table}: " + "; ".join(parts))
    frame = raw[expected].copy()
    problems = []
    for name, spec in columns.items():
        kind = spec["type"]
        if kind == "string":
            frame[name] = frame[name].str.strip().astype("string")
            continue
        numeric = pd.to_numeric(frame[name], errors="coerce")
        bad = frame[name].notna() & numeric.isna()
        if kind == "integer":
            bad |= numeric.notna() & (numeric % 1 != 0)
        for idx in frame.index[bad][:5]:
            problems.append(f"row {idx + 2}, column {name}: {frame.at[idx, name]!r} is not a {kind}")
        frame[name] = numeric.astype(_PANDAS_TYPES[kind]) if not bad.any() else numeric
    if problems:
        raise DataError(f"{table}:\n" + "\n".join(problems))
    try:
        frame = table_schema(table).validate(frame, lazy=True)
    except SchemaErrors as exc:
        raise DataError(f"{table}:\n{_describe(exc)}") from None
    check = _ROW_CHECKS.get(table)
    if check is not None:
        messages = check(frame)
        if messages:
            raise DataError(f"{table}:\n" + "\n".join(messages))
    return frame


def _rows(mask: pd.Series) -> str:
    return ", ".join(str(i + 2) for i in mask[mask].index)


def _check_effects(frame: pd.DataFrame) -> list[str]:
    messages = []
    lo, hi, est = frame["es_ci_low"], frame["es_ci_high"], frame["es_value"]
    outside = (lo.notna() & hi.notna() & est.notna()) & ~((lo <= est) & (est <= hi))
    if outside.any():
        messages.append(f"95% CI does not contain its estimate on row(s) {_rows(outside)}")
    orphan = frame["es_type"].isna() & (est.notna() | lo.notna() | hi.notna())
    if "es_se" in frame:
        orphan |= frame["es_type"].isna() & frame["es_se"].notna()
    if orphan.any():
        messages.append(f"effect size given without es_type on row(s) {_rows(orphan)}")
    untyped = frame["es_type"].notna() & est.isna()
    if untyped.any():
        messages.append(f"es_type given without es_value on row(s) {_rows(untyped)}")
    return messages


def _check_trials(frame: pd.DataFrame) -> list[str]:
    messages = _check_effects(frame)
    no_id = frame["doi"].isna() & frame["pmid"].isna()
    if no_id.any():
        messages.append(f"neither DOI nor PMID on row(s) {_rows(no_id)}")
    arms = frame["n_pd"].fillna(0) + frame["n_comparator"].fillna(0)
    too_many = arms > frame["n_randomized"]
    if too_many.any():
        messages.append(f"arm sizes add up to more than n_randomized on row(s) {_rows(too_many)}")
    per_study = frame.groupby("study").agg(
        n=("n_randomized", "nunique"), year=("year", "nunique"), author=("first_author", "nunique")
    )
    inconsistent = per_study[(per_study > 1).any(axis=1)].index.tolist()
    if inconsistent:
        messages.append("rows of the same study disagree on N, year or author: " + ", ".join(inconsistent))
    return messages


def _check_meta(frame: pd.DataFrame) -> list[str]:
    messages = _check_effects(frame)
    no_id = frame["doi"].isna() & frame["pmid"].isna()
    if no_id.any():
        messages.append(f"neither DOI nor PMID on row(s) {_rows(no_id)}")
    return messages


_ROW_CHECKS = {"trials": _check_trials, "meta_analyses": _check_meta}


def read_table(table: str, data_dir: Path = DATA_DIR) -> pd.DataFrame:
    """Read and validate one bundled table by name."""
    spec = read_schema()[table]
    return parse_table(table, Path(data_dir) / spec["file"])


EVIDENCE_TABLES = ("trials", "meta_analyses", "verdicts")


def split_ids(value: str | None) -> list[str]:
    """Split a semicolon-separated list of row ids."""
    if value is None or (isinstance(value, float)) or pd.isna(value):
        return []
    return [part.strip() for part in re.split(r";", str(value)) if part.strip()]


def check_references(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Ids named in claims.evidence and therapy_types.evidence that exist in no evidence table."""
    known = set()
    for name in EVIDENCE_TABLES:
        known |= set(tables[name]["id"])
    problems = []
    for name in ("claims", "therapy_types"):
        for row in tables[name].itertuples(index=False):
            for ref in split_ids(row.evidence):
                if ref not in known:
                    problems.append(f"{name} {row.id}: unknown evidence id {ref!r}")
    return problems


def read_all(data_dir: Path = DATA_DIR) -> dict[str, pd.DataFrame]:
    """Every bundled table, validated, with cross-references checked."""
    tables = {name: read_table(name, data_dir) for name in read_schema()}
    problems = check_references(tables)
    if problems:
        raise DataError("broken references:\n" + "\n".join(problems))
    return tables
