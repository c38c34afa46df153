"""Helpers for tests that check the loader on a mutated copy of a bundled table (the bundled files never change)."""

import pandas as pd

from pdevidence import load


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
