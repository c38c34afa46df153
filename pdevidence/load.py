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

from pdevidence import vocab

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
SCHEMA_PATH = DATA_DIR / "schema.yaml"

_PANDAS_TYPES = {"string": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean"}
_BOOLEANS = {"true": True, "false": False}


class DataError(ValueError):
    """A bundled or supplied table does not match its schema; the message names rows."""


@lru_cache(maxsize=2)
def _schema_document(path: Path = SCHEMA_PATH) -> dict:
    """schema.yaml parsed once per process (parsing it takes about a quarter of a second)."""
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def read_schema(path: Path = SCHEMA_PATH) -> dict:
    """The parsed schema: {table name: {file, title, description, columns}}."""
    return _schema_document(path)["tables"]


def provenance() -> pd.DataFrame:
    """The sources block of schema.yaml: where the tables' content comes from."""
    return pd.DataFrame(_schema_document()["sources"])


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
        if kind == "boolean":
            text = frame[name].str.strip().str.lower()
            bad = text.notna() & ~text.isin(list(_BOOLEANS))
            for idx in frame.index[bad][:5]:
                problems.append(f"row {idx + 2}, column {name}: {frame.at[idx, name]!r} is not true or false")
            frame[name] = text.map(_BOOLEANS).astype("boolean") if not bad.any() else text
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


def _check_identified(frame: pd.DataFrame) -> list[str]:
    """Every trial, meta-analysis and review-statement row names its publication by DOI or PMID."""
    no_id = frame["doi"].isna() & frame["pmid"].isna()
    return [f"neither DOI nor PMID on row(s) {_rows(no_id)}"] if no_id.any() else []


def _check_trials(frame: pd.DataFrame) -> list[str]:
    messages = _check_effects(frame) + _check_identified(frame)
    arms = frame["n_pd"].fillna(0) + frame["n_comparator"].fillna(0)
    too_many = arms > frame["n_randomized"]
    if too_many.any():
        messages.append(f"arm sizes add up to more than n_randomized on row(s) {_rows(too_many)}")
    messages += _check_codes(frame)
    per_study = frame.groupby("study").agg(
        n=("n_randomized", "nunique"), year=("year", "nunique"), author=("first_author", "nunique")
    )
    inconsistent = per_study[(per_study > 1).any(axis=1)].index.tolist()
    if inconsistent:
        messages.append("rows of the same study disagree on N, year or author: " + ", ".join(inconsistent))
    return messages


def _check_codes(frame: pd.DataFrame) -> list[str]:
    """Rules between coded trial columns (findings, tests, add-on designs, condition codes)."""
    messages = []
    finding, test, inferred = frame["finding"], frame["between_arm_test"], frame["inferred"].fillna(False)
    untested_equivalence = (finding == "no_difference") & (test != "reported")
    if untested_equivalence.any():
        messages.append(
            "no_difference needs a reported between-arm test (between_arm_test = reported) "
            f"on row(s) {_rows(untested_equivalence)}"
        )
    tested = (finding == "not_tested") & (test == "reported")
    if tested.any():
        messages.append(f"not_tested with a reported between-arm test on row(s) {_rows(tested)}")
    untested_win = finding.isin(["pd_better", "pd_worse"]) & (test != "reported")
    if untested_win.any():
        messages.append(
            "pd_better and pd_worse need a reported between-arm test (between_arm_test = reported); "
            f"a direction without one is favours_pd_untested or favours_comparator_untested, on row(s) {_rows(untested_win)}"
        )
    tested_direction = finding.isin(["favours_pd_untested", "favours_comparator_untested"]) & (test == "reported")
    if tested_direction.any():
        messages.append(
            "a direction with a reported between-arm test is pd_better, pd_worse or mixed, not an untested "
            f"direction, on row(s) {_rows(tested_direction)}"
        )
    directional = (
        finding.isin(["mixed", "favours_pd_untested", "favours_comparator_untested"]) & (test != "reported") & ~inferred
    )
    if directional.any():
        messages.append(
            "a direction without a reported between-arm test must be flagged inferred = true "
            f"on row(s) {_rows(directional)}"
        )
    no_note = inferred & frame["note"].isna()
    if no_note.any():
        messages.append(f"inferred finding without a note on row(s) {_rows(no_note)}")
    add_on_active = (frame["comparator_type"] == "active") & frame["add_on_to"].notna()
    if add_on_active.any():
        messages.append(
            f"an add-on design (add_on_to filled) coded as comparator_type active on row(s) {_rows(add_on_active)}"
        )
    combination_add_on = (frame["comparator_type"] == "combination") & frame["add_on_to"].notna()
    if combination_add_on.any():
        messages.append(
            "a combination design (both arms get the therapy) with add_on_to filled on row(s) "
            f"{_rows(combination_add_on)}; the added medicine is the comparator"
        )
    add_on_bare = (frame["comparator_type"] == "add_on") & frame["add_on_to"].isna()
    if add_on_bare.any():
        messages.append(f"comparator_type add_on without add_on_to on row(s) {_rows(add_on_bare)}")
    group = frame["condition_specific"].map(vocab.SPECIFIC_GROUP)
    wrong_group = group.notna() & (group != frame["condition_group"])
    if wrong_group.any():
        messages.append(f"condition_specific does not belong to condition_group on row(s) {_rows(wrong_group)}")
    return messages


def _check_specific_lists(frame: pd.DataFrame) -> list[str]:
    """Semicolon lists of specific-condition codes must belong to the row's condition group."""
    if "condition_group" not in frame or "condition_specific" not in frame:
        return []
    wrong = pd.Series(
        [
            isinstance(codes, str) and any(vocab.SPECIFIC_GROUP.get(c) != group for c in split_ids(codes))
            for codes, group in zip(frame["condition_specific"], frame["condition_group"])
        ],
        index=frame.index,
    )
    if wrong.any():
        return [f"condition_specific does not belong to condition_group on row(s) {_rows(wrong)}"]
    return []


def _check_verdicts(frame: pd.DataFrame) -> list[str]:
    messages = _check_specific_lists(frame)
    inferred = frame["inferred"]
    for side in ("vs_inactive", "vs_active"):
        flagged = inferred.isin([side, "both"])
        contradiction = flagged & (frame[side] == "not_stated")
        if contradiction.any():
            messages.append(f"{side} is not_stated but flagged as inferred on row(s) {_rows(contradiction)}")
    unexplained = (inferred != "no") & ~frame["note"].fillna("").str.startswith("Inferred:")
    if unexplained.any():
        messages.append(f"an inferred verdict needs a note beginning 'Inferred:' on row(s) {_rows(unexplained)}")
    return messages


def _check_meta(frame: pd.DataFrame) -> list[str]:
    messages = _check_effects(frame) + _check_identified(frame)
    secondary = frame["figure_source"] == "citing_source_only"
    no_note = secondary & frame["note"].isna()
    if no_note.any():
        messages.append(f"a figure from a citing source only needs a note on row(s) {_rows(no_note)}")
    if "condition_group" in frame:
        both = frame["condition_group"].notna() & frame["condition_specific"].notna()
        if both.any():
            messages.append(
                f"a group estimate (condition_group) names no specific condition, but row(s) {_rows(both)} do"
            )
    return messages


def _check_review_statements(frame: pd.DataFrame) -> list[str]:
    messages = _check_specific_lists(frame) + _check_identified(frame)
    unexplained = (frame["inferred"] == "yes") & ~frame["note"].fillna("").str.startswith("Inferred:")
    if unexplained.any():
        messages.append(f"an inferred statement needs a note beginning 'Inferred:' on row(s) {_rows(unexplained)}")
    return messages


_ROW_CHECKS = {
    "trials": _check_trials,
    "meta_analyses": _check_meta,
    "verdicts": _check_verdicts,
    "review_statements": _check_review_statements,
}


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


def secondary_ids(meta: pd.DataFrame) -> set[str]:
    """Meta-analysis rows whose figure only a citing source reports (not found in the review itself)."""
    return set(meta.loc[meta["figure_source"] == "citing_source_only", "id"])


def check_references(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Broken cross-references between tables.

    Ids named in claims / therapy_types evidence must exist; a figure reported only by a citing
    source may appear only in secondary_evidence (where it is labelled), never in evidence; a study
    in the exclusions table must not also be in trials.
    """
    known = set()
    for name in EVIDENCE_TABLES:
        known |= set(tables[name]["id"])
    secondary = secondary_ids(tables["meta_analyses"])
    problems = []
    for name in ("claims", "therapy_types"):
        for row in tables[name].itertuples(index=False):
            for ref in split_ids(row.evidence):
                if ref not in known:
                    problems.append(f"{name} {row.id}: unknown evidence id {ref!r}")
                elif ref in secondary:
                    problems.append(
                        f"{name} {row.id}: {ref!r} is a figure from a citing source only; "
                        "list it in secondary_evidence, not evidence"
                    )
            for ref in split_ids(row.secondary_evidence):
                if ref not in secondary:
                    problems.append(
                        f"{name} {row.id}: secondary_evidence {ref!r} is not a meta-analysis row "
                        "with figure_source citing_source_only"
                    )
    if "exclusions" in tables:
        both = sorted(set(tables["exclusions"]["study"]) & set(tables["trials"]["study"]))
        if both:
            problems.append("studies both excluded and in trials: " + ", ".join(both))
    return problems


def read_all(data_dir: Path = DATA_DIR) -> dict[str, pd.DataFrame]:
    """Every bundled table, validated, with cross-references checked."""
    tables = {name: read_table(name, data_dir) for name in read_schema()}
    problems = check_references(tables)
    if problems:
        raise DataError("broken references:\n" + "\n".join(problems))
    return tables
