"""Reading the raw table and the codebook of a Metapsy CSV."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pandas as pd

from pdevidence.metapsy import guard
from pdevidence.metapsy.errors import MetapsyError, NotMetapsyError, SourceError
from pdevidence.metapsy.fetch import fetch
from pdevidence.metapsy.guard import EFFECT_COLUMN, EFFECT_SE_COLUMN, REQUIRED_COLUMNS
from pdevidence.metapsy.sources import TIMEOUT_SECONDS, is_url


def _read_text(data: bytes) -> str:
    encodings = ("utf-16",) if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig", "cp1252", "latin-1")
    for encoding in encodings:
        try:
            return guard.strip_control(data.decode(encoding))
        except UnicodeDecodeError:
            continue
    raise MetapsyError("the file is not text")


def read_table(data: bytes, source: str = "the file") -> pd.DataFrame:
    """The raw table of a Metapsy CSV: `;`-separated with decimal commas (or `,` with points),
    `NA` for missing, quoted fields over several lines, CRLF or LF, an unnamed row-number
    column dropped. Every value stays text; numbers are converted where they are used."""
    guard.check_size(data, source)
    if data[:2] == b"\x1f\x8b" or data[:4] == b"PK\x03\x04":
        raise MetapsyError(f"{source} is a compressed file (gzip or zip): unpack it and give the CSV inside")
    text = _read_text(data)
    first = text.split("\n", 1)[0]
    if first.count("\t") > max(first.count(";"), first.count(",")):
        raise MetapsyError(
            f"{source} is separated by tabs: Metapsy files use `;` (or `,`) between fields; save it as CSV"
        )
    sep = ";" if first.count(";") >= first.count(",") else ","
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            na_values=["NA", ""],
            keep_default_na=False,
            skip_blank_lines=True,
            engine="python" if sep == "," else "c",
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise MetapsyError(f"{source} could not be read as a table: {exc}") from exc
    frame.attrs["decimal"] = "," if sep == ";" else "."
    first_col = frame.columns[0] if len(frame.columns) else None
    if first_col is not None and (first_col == "" or re.fullmatch(r"Unnamed: 0(\.\d+)?", str(first_col))):
        frame = frame.drop(columns=first_col)
    frame.columns = [str(c).strip() for c in frame.columns]
    guard.check_frame(frame, text, sep, source)
    return guard.neutralise_formulas(frame)


def to_number(series: pd.Series | None, decimal: str = ",") -> pd.Series:
    """Text to float, reading a decimal comma; anything else becomes NaN."""
    if series is None:
        return pd.Series(dtype=float)
    text = series.astype("string").str.strip()
    if decimal == ",":
        text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").astype(float)


# Arm data from which an effect can be computed when `.g` is absent.
ARM_DATA_COLUMNS = (
    ("mean_arm1", "mean_arm2", "sd_arm1", "sd_arm2", "n_arm1", "n_arm2"),
    ("mean_change_arm1", "mean_change_arm2", "sd_change_arm1", "sd_change_arm2", "n_change_arm1", "n_change_arm2"),
    ("event_arm1", "event_arm2", "totaln_arm1", "totaln_arm2"),
)


def validate_columns(frame: pd.DataFrame, source: str = "the file") -> None:
    """NotMetapsyError unless the table has study and arm columns, and `.g` with its SE or arm data."""
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    has_arm_data = any(all(c in frame.columns for c in group) for group in ARM_DATA_COLUMNS)
    if has_arm_data:
        missing = [c for c in missing if c not in (EFFECT_COLUMN, EFFECT_SE_COLUMN)]
    if missing:
        raise NotMetapsyError(missing, source)


def codebook_locations(source: str) -> list[str]:
    """Where a database's codebook may sit beside it (local copy name, then the upstream layout)."""
    if is_url(source):
        base = source.split("?", 1)[0]
        head, _, tail = base.rpartition("/")
        stem = re.sub(r"\.csv$", "", tail, flags=re.I)
        return [f"{head}/{stem}.variables.json", f"{head}/metadata/variable_description.json"]
    path = Path(source)
    stem = re.sub(r"\.csv$", "", path.name, flags=re.I)
    return [str(path.with_name(f"{stem}.variables.json")), str(path.parent / "metadata" / "variable_description.json")]


def parse_codebook(data: bytes | str | None) -> dict[str, str]:
    """A codebook (variables.json) as {column: description}; {} if it is not a JSON object."""
    if not data:
        return {}
    try:
        text = data if isinstance(data, str) else _read_text(data)
        # A codebook is one flat object: a deeply nested or huge one is refused before parsing.
        if not guard.codebook_text_ok(text):
            return {}
        parsed = json.loads(text)
    except (json.JSONDecodeError, MetapsyError, RecursionError):
        return {}
    return {str(k): str(v) for k, v in parsed.items()} if isinstance(parsed, dict) else {}


def find_codebook(source: str, timeout: float = TIMEOUT_SECONDS) -> dict[str, str]:
    for location in codebook_locations(source):
        try:
            data = fetch(location, timeout) if is_url(location) else Path(location).read_bytes()
        except (SourceError, OSError):
            continue
        codebook = parse_codebook(data)
        if codebook:
            return codebook
    return {}
