"""Limits on what a Metapsy file may hold, checked before it is read further: size, nesting, rows, labels, columns.

A file from a visitor (upload or address) must not be able to exhaust the
server or reach the page as markup. Each check raises MetapsyError with a
message a visitor can act on; nothing here echoes more than a few characters
of the file back.
"""

from __future__ import annotations

import csv
import io
import re

import pandas as pd

from pdevidence.metapsy.errors import MetapsyError, SourceError

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_CODEBOOK_BYTES = 2 * 1024 * 1024
MAX_CODEBOOK_DEPTH = 20
MAX_LABEL_CHARS = 500
LABEL_COLUMNS = ("study", "condition_arm1", "condition_arm2")
# Effect size and its standard error, as the Metapsy data standard names them, and the columns a file needs.
EFFECT_COLUMN = ".g"
EFFECT_SE_COLUMN = EFFECT_COLUMN + "_se"
REQUIRED_COLUMNS = (*LABEL_COLUMNS, EFFECT_COLUMN, EFFECT_SE_COLUMN)


def check_size(data: bytes, label: str = "the file", limit: int = MAX_FILE_BYTES) -> None:
    if len(data) > limit:
        raise MetapsyError(f"{label} is larger than {limit // (1024 * 1024)} MB, the most this app reads.")


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON text (strings skipped), in one pass."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif ch in "]}":
            depth -= 1
    return deepest


def codebook_text_ok(text: str) -> bool:
    """True if a codebook is small and flat enough to parse (a Metapsy codebook is one level deep)."""
    return len(text) <= MAX_CODEBOOK_BYTES and json_depth(text) <= MAX_CODEBOOK_DEPTH


def duplicated_key_columns(text: str, sep: str) -> list[str]:
    """Required columns named more than once in the header (pandas would quietly rename the second)."""
    try:
        header = next(csv.reader(io.StringIO(text.split("\n", 1)[0]), delimiter=sep), [])
    except csv.Error:
        return []
    names = [h.strip() for h in header]
    return sorted({n for n in names if n in REQUIRED_COLUMNS and names.count(n) > 1})


def check_frame(frame: pd.DataFrame, text: str, sep: str, label: str = "the file") -> None:
    """A table read from a file: no duplicated key column, at least one row, labels of a sane length."""
    duplicated = duplicated_key_columns(text, sep)
    if duplicated:
        raise MetapsyError(
            f"{label} names the column(s) {', '.join(duplicated)} more than once, so it is not clear which to use."
        )
    if frame.empty:
        raise MetapsyError(f"{label} has a header but no rows of data.")
    for column in LABEL_COLUMNS:
        if column in frame.columns:
            lengths = frame[column].astype("string").str.len()
            if (lengths > MAX_LABEL_CHARS).any():
                row = int(lengths.fillna(0).to_numpy().argmax()) + 1
                raise MetapsyError(
                    f"{label}: the {column} in row {row} is longer than {MAX_LABEL_CHARS} characters; "
                    "this does not look like a Metapsy database."
                )


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_control(text: str) -> str:
    """Text without control characters (null bytes and the like), which no Metapsy file needs."""
    return _CONTROL.sub("", text)


# Bounds outside which a number in a Metapsy file is not a usable effect or size.
MAX_ABS_G = 10.0
SE_RANGE = (1e-3, 100.0)
MAX_ARM_N = 10_000_000


def usable_effect(g: pd.Series, se: pd.Series) -> pd.Series:
    """True where g and its SE can be pooled: both finite, |g| at most 10, SE from 0.001 to 100.

    Anything else (inf, NaN, 1e308, an SE of 0 or 1e-300 that would give one
    trial all the weight) is left out of pooling, and counted for a notice.
    """
    g = pd.to_numeric(g, errors="coerce").astype(float)
    se = pd.to_numeric(se, errors="coerce").astype(float)
    low, high = SE_RANGE
    return g.notna() & se.notna() & (g.abs() <= MAX_ABS_G) & (se >= low) & (se <= high)


def usable_size(n: pd.Series) -> pd.Series:
    """Arm or trial sizes kept only where finite, positive and at most ten million; NaN elsewhere."""
    n = pd.to_numeric(n, errors="coerce").astype(float)
    return n.where((n > 0) & (n <= MAX_ARM_N))


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells a spreadsheet would run as a formula (leading =, +, -, @, tab or carriage return) get a
    leading apostrophe, as OWASP advises against CSV injection; numbers such as -0,5 are left alone.

    Done once, on reading, so every table and export the page offers from a file is safe.
    """
    for column in frame.columns:
        text = frame[column].astype("string")
        risky = text.str.match(r"[=+\-@\t\r]", na=False)
        if not risky.any():
            continue
        numeric = pd.to_numeric(text[risky].str.replace(",", ".", regex=False).str.strip(), errors="coerce").notna()
        fix = risky.copy()
        fix[risky] = ~numeric.to_numpy()
        if fix.any():
            frame[column] = frame[column].astype(object)
            frame.loc[fix, column] = "'" + text[fix].astype(str)
    return frame


def read_local(path: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """A local file's bytes under the same size cap as uploads and downloads; devices, FIFOs and folders refused."""
    import os
    import stat

    try:
        info = os.stat(path)
    except OSError as exc:
        raise SourceError(f"could not read {path}: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(info.st_mode):
        raise SourceError(f"{path} is a folder, not a CSV file")
    if not stat.S_ISREG(info.st_mode):
        raise SourceError(f"{path} is not a regular file (a device, pipe or socket): only CSV files are read")
    if info.st_size > limit:
        raise SourceError(f"{path} is larger than the {limit // (1024 * 1024)} MB limit")
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise SourceError(f"could not read {path}: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise SourceError(f"{path} is larger than the {limit // (1024 * 1024)} MB limit")
    return data
