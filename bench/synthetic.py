"""A synthetic trials table of any size, for server timings at scale.

Built in memory from the bundled rows (resampled, each copy its own study,
sizes, years and effects jittered within the bundled ranges). It is never
written to data/ and never shown as evidence: only the benchmarks use it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pdevidence import load


def trials_table(rows: int, bundled: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """The bundled trials plus resampled copies, `rows` rows in all."""
    extra = max(rows - len(bundled), 0)
    if extra == 0:
        return bundled.head(rows).copy()
    rng = np.random.default_rng(seed)
    copies = bundled.iloc[rng.integers(0, len(bundled), extra)].reset_index(drop=True)
    suffix = pd.Series([f"-syn{i}" for i in range(extra)], dtype="string")
    copies["id"] = copies["id"] + suffix
    copies["study"] = copies["study"] + suffix
    scale = pd.Series(rng.integers(1, 4, extra))
    for column in ("n_randomized", "n_pd", "n_comparator"):
        copies[column] = (copies[column] * scale).astype(bundled[column].dtype)
    low, high = int(bundled["year"].min()), int(bundled["year"].max())
    copies["year"] = (copies["year"] + rng.integers(-5, 6, extra)).clip(low, high).astype(bundled["year"].dtype)
    shift = pd.Series(rng.normal(0, 0.1, extra).round(2))
    for column in ("es_value", "es_ci_low", "es_ci_high"):
        copies[column] = (copies[column] + shift).astype(bundled[column].dtype)
    return pd.concat([bundled, copies], ignore_index=True)


def patch_loader(rows: int) -> None:
    """Make load.read_all return the bundled tables with a synthetic trials table of `rows` rows."""
    original = getattr(load.read_all, "bench_original", load.read_all)

    def read_all(*args, **kwargs):
        tables = dict(original(*args, **kwargs))
        tables["trials"] = trials_table(rows, tables["trials"])
        return tables

    read_all.bench_original = original
    load.read_all = read_all


def unpatch_loader() -> None:
    load.read_all = getattr(load.read_all, "bench_original", load.read_all)
