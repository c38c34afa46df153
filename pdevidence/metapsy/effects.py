"""Effect sizes from arm data, and the direction of every effect, decided per outcome.

Effects are computed as the Metapsy tools (metapsyTools, via the esc package) do:

- means, SDs and ns: Hedges' g = J · (mean₁ − mean₂) / pooled SD, J = 1 − 3 / (4N − 9)
  (statsmodels `effectsize_smd`);
- change scores: the same on mean change, SD of change and n of change;
- events: the log odds ratio of events in arm 1 against arm 2, with 0.5 added to every
  cell of a table holding an empty cell (statsmodels `effectsize_2proportions`), turned into
  d = ln OR · √3 / π with variance var(ln OR) · 3 / π² (Chinn 2000), then g = J · d.

Every such "raw" effect is positive when arm 1 has the higher mean or more events.
The stored `.g` of a Metapsy database is either that raw effect or its negative,
depending on the database and, within one database, on the outcome. Which one is
checked per outcome on the rows that have both. The effect used for pooling is then
turned so that positive always favours arm 1: raw effect times +1 where higher is
better for the outcome, −1 where lower is better.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.meta_analysis import effectsize_2proportions, effectsize_smd

from pdevidence.metapsy.outcomes import CONTINUOUS, DICHOTOMOUS
from pdevidence.metapsy.read import to_number

AGREEMENT_TOLERANCE = 0.01
ZERO_CELL_CORRECTION = 0.5
# Share of rows whose stored g has the sign of the raw effect needed to call a convention.
CONVENTION_SHARE = 0.8

SOURCE_LABELS = {
    "stored": "stored g",
    "means": "means and SDs",
    "change": "change scores",
    "events": "event counts",
}


def _columns(frame: pd.DataFrame, names: tuple[str, ...], decimal: str) -> list[np.ndarray]:
    return [to_number(frame[n], decimal).to_numpy(float) if n in frame else np.full(len(frame), np.nan) for n in names]


# Arm sizes beyond this are not trial sizes (and would overflow the formulas).
MAX_ARM_SIZE = 1e7


def _finite(*arrays: np.ndarray) -> np.ndarray:
    out = np.ones(len(arrays[0]), dtype=bool)
    for a in arrays:
        out &= np.isfinite(a)
    return out


def _sizes(*arrays: np.ndarray) -> np.ndarray:
    out = _finite(*arrays)
    for a in arrays:
        with np.errstate(invalid="ignore"):
            out &= (a > 0) & (a <= MAX_ARM_SIZE)
    return out


def _smd(m1, s1, n1, m2, s2, n2) -> tuple[np.ndarray, np.ndarray]:
    ok = _finite(m1, s1, m2, s2) & _sizes(n1, n2) & (s1 > 0) & (s2 > 0) & (n1 >= 2) & (n2 >= 2)
    g = np.full(len(m1), np.nan)
    var = np.full(len(m1), np.nan)
    if ok.any():
        with np.errstate(all="ignore"):
            eff, v = effectsize_smd(m1[ok], s1[ok], n1[ok], m2[ok], s2[ok], n2[ok])
        g[ok], var[ok] = eff, v
    return g, var


def g_from_events(e1, n1, e2, n2) -> tuple[np.ndarray, np.ndarray]:
    """Hedges' g and its variance from event counts (positive = more events in arm 1)."""
    e1, n1, e2, n2 = (np.asarray(x, dtype=float) for x in (e1, n1, e2, n2))
    ok = _finite(e1, e2) & _sizes(n1, n2)
    with np.errstate(invalid="ignore"):
        ok &= (e1 >= 0) & (e2 >= 0) & (e1 <= n1) & (e2 <= n2) & ((n1 + n2) > 3)
    g = np.full(len(e1), np.nan)
    var = np.full(len(e1), np.nan)
    # statsmodels adds the correction to the counts of every row once asked for it,
    # so it is asked only for the tables that hold an empty cell.
    zero = ok & ((e1 == 0) | (e2 == 0) | (e1 == n1) | (e2 == n2))
    for mask, correction in ((ok & ~zero, None), (zero, ZERO_CELL_CORRECTION)):
        if not mask.any():
            continue
        with np.errstate(all="ignore"):
            log_or, var_log_or = effectsize_2proportions(
                e1[mask], n1[mask], e2[mask], n2[mask], statistic="odds-ratio", zero_correction=correction
            )
        d = np.asarray(log_or) * math.sqrt(3) / math.pi
        total = n1[mask] + n2[mask]
        g[mask] = d * (1 - 3 / (4 * total - 9))
        var[mask] = np.asarray(var_log_or) * 3 / math.pi**2
    return g, var


def raw_effects(frame: pd.DataFrame, decimal: str, kind: pd.Series | np.ndarray) -> pd.DataFrame:
    """Per row, the effect computed from arm data (positive = arm 1 higher), its SE and source.

    Rows of scores try means, then change scores; rows of events try event counts
    first. A row without usable arm data gets NaN.
    """
    kind = np.asarray(kind)
    means = _smd(*_columns(frame, ("mean_arm1", "sd_arm1", "n_arm1", "mean_arm2", "sd_arm2", "n_arm2"), decimal))
    change_cols = (
        "mean_change_arm1",
        "sd_change_arm1",
        "n_change_arm1",
        "mean_change_arm2",
        "sd_change_arm2",
        "n_change_arm2",
    )
    change = _smd(*_columns(frame, change_cols, decimal))
    e1, n1, e2, n2 = _columns(frame, ("event_arm1", "totaln_arm1", "event_arm2", "totaln_arm2"), decimal)
    events = g_from_events(e1, n1, e2, n2)
    g = np.full(len(frame), np.nan)
    var = np.full(len(frame), np.nan)
    source = np.full(len(frame), None, dtype=object)
    orders = {
        CONTINUOUS: (("means", means), ("change", change), ("events", events)),
        DICHOTOMOUS: (("events", events), ("means", means), ("change", change)),
    }
    for kind_name, order in orders.items():
        rows = kind == kind_name
        for name, (eff, v) in order:
            take = rows & np.isnan(g) & np.isfinite(eff) & np.isfinite(v) & (v > 0)
            g[take], var[take], source[take] = eff[take], v[take], name
    return pd.DataFrame({"raw_g": g, "raw_se": np.sqrt(var), "raw_source": source}, index=frame.index)


@dataclass(frozen=True)
class Convention:
    """How a stored `.g` relates to the raw effect for one outcome: +1 same sign, −1 negated, None unknown."""

    sign: int | None
    checked: int
    same: int
    note: str
    conflict: str = ""  # a reviewed sign the arm data contradict, in words ("" when none)


def storage_convention(stored: pd.Series, raw: pd.Series) -> Convention:
    """Whether stored g is the raw effect (arm 1 minus arm 2) or its negative, from rows with both.

    Rows whose raw effect is within 0.01 of zero say nothing about the sign and are skipped.
    """
    usable = stored.notna() & raw.notna() & (raw.abs() >= AGREEMENT_TOLERANCE) & (stored != 0)
    checked = int(usable.sum())
    if checked == 0:
        return Convention(None, 0, 0, "no row has both a stored g and arm data")
    same = int((np.sign(stored[usable]) == np.sign(raw[usable])).sum())
    share = same / checked
    if share >= CONVENTION_SHARE:
        return Convention(+1, checked, same, f"stored g has the sign of arm 1 minus arm 2 in {same} of {checked} rows")
    if share <= 1 - CONVENTION_SHARE:
        return Convention(
            -1,
            checked,
            checked - same,
            f"stored g has the sign of arm 2 minus arm 1 in {checked - same} of {checked} rows",
        )
    return Convention(
        None, checked, same, f"stored g has the sign of arm 1 minus arm 2 in only {same} of {checked} rows"
    )


def turned_effects(
    stored_g: pd.Series,
    stored_se: pd.Series,
    raw: pd.DataFrame,
    higher_is_better: bool | None,
    convention: Convention,
) -> pd.DataFrame:
    """Effects of one outcome turned so that positive favours arm 1, with their source.

    The stored g is used where the convention is known (it is what the database's
    authors computed); otherwise the effect computed from arm data.
    """
    g = pd.Series(np.nan, index=stored_g.index)
    se = pd.Series(np.nan, index=stored_g.index)
    source = pd.Series(None, index=stored_g.index, dtype=object)
    if higher_is_better is None:
        return pd.DataFrame({"g": g, "se": se, "g_source": source})
    orient = 1.0 if higher_is_better else -1.0
    stored_ok = stored_g.notna() & stored_se.notna() & np.isfinite(stored_se) & (stored_se > 0)
    if convention.sign is not None:
        g[stored_ok] = stored_g[stored_ok] * convention.sign * orient
        se[stored_ok] = stored_se[stored_ok]
        source[stored_ok] = "stored"
    from_raw = g.isna() & raw["raw_g"].notna()
    g[from_raw] = raw.loc[from_raw, "raw_g"] * orient
    se[from_raw] = raw.loc[from_raw, "raw_se"]
    source[from_raw] = raw.loc[from_raw, "raw_source"]
    return pd.DataFrame({"g": g, "se": se, "g_source": source})


def direction_rule(label: str, higher_is_better: bool | None, basis: str, convention: Convention, kind: str) -> str:
    """The rule used for one outcome, in words."""
    if higher_is_better is None:
        return f"Not pooled: cannot tell whether a higher value is better ({basis})."
    better = "higher" if higher_is_better else "lower"
    what = "more events" if kind == DICHOTOMOUS else "a higher score"
    if kind == DICHOTOMOUS:
        good = "more events in arm 1" if higher_is_better else "fewer events in arm 1"
    else:
        good = "a higher score in arm 1" if higher_is_better else "a lower score in arm 1"
    text = f"{better.capitalize()} is better ({basis}), so positive g means {good}."
    if convention.conflict:
        text = f"Sign conflict: {convention.conflict} {text}"
    if convention.sign == 1:
        text += f" Stored g is arm 1 minus arm 2 ({convention.note})"
        text += "; it is negated." if not higher_is_better else "; it is kept."
    elif convention.sign == -1:
        text += f" Stored g is arm 2 minus arm 1 ({convention.note})"
        text += "; it is kept." if not higher_is_better else "; it is negated."
    else:
        text += (
            f" The sign of the stored g could not be checked ({convention.note}): only rows with arm data are used, "
            f"with g computed from them ({what} in arm 1 = positive before turning)."
        )
    return text


def agreement(stored: pd.Series, raw: pd.Series, convention: Convention) -> pd.Series:
    """Per row with both: True if stored g equals the recomputed g (same convention) within 0.01."""
    both = stored.notna() & raw.notna()
    sign = convention.sign if convention.sign is not None else 1
    close = (stored - sign * raw).abs() < AGREEMENT_TOLERANCE
    if convention.sign is None:
        close = close | ((stored + raw).abs() < AGREEMENT_TOLERANCE)
    return close.where(both)
