"""Helpers for tests that check the loader on a mutated copy of a bundled table (the bundled files never change)."""

import subprocess
import sys
from pathlib import Path

import pandas as pd

from pdevidence import load

ROOT = Path(__file__).resolve().parents[1]


def raw_table(table: str) -> pd.DataFrame:
    """A bundled table as the file holds it: every cell text, nothing parsed."""
    path = load.DATA_DIR / load.read_schema()[table]["file"]
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def with_values(frame: pd.DataFrame, row_id: str, **values) -> str:
    """The CSV text of `frame` with the row `row_id` changed as given."""
    frame = frame.copy()
    idx = frame.index[frame["id"] == row_id][0]
    for column, value in values.items():
        frame.loc[idx, column] = value
    return frame.to_csv(index=False)


def assert_build_is_fresh(script: str) -> None:
    """A bundled extract equals a fresh build from the shared databases (the script's --check)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / script), "--check"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
