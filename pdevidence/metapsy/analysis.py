"""Meta-analysis of a Metapsy database by therapy family: trial effects, pooling, size lens, across databases."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from pdevidence import stats
from pdevidence.metapsy.database import TIME_ALL, TIME_POST, Database
from pdevidence.metapsy.families import FAMILY_LABELS, PSYCHODYNAMIC, UNMAPPED
from pdevidence.metapsy.rob import ROB_LABELS, ROB_LEVELS

DEFAULT_THRESHOLD = 100


@dataclass(frozen=True)
class Analysis:
    """Which rows to use and how to pool them."""

    time: str = TIME_POST
    low_rob_only: bool = False
    comparators: tuple[str, ...] = ()
    method: str = "dl"


def select_rows(db: Database, analysis: Analysis = Analysis()) -> pd.DataFrame:
    """The rows with a usable effect at the chosen time point, risk of bias and comparators."""
    rows = db.rows[db.rows["has_effect"]]
    if analysis.time != TIME_ALL:
        rows = rows[rows["time_point"] == analysis.time]
    if analysis.low_rob_only:
        rows = rows[rows["rob_level"] == "low"]
    if analysis.comparators:
        rows = rows[rows["condition_arm2"].isin(analysis.comparators)]
    return rows


AGGREGATION_NOTE = (
    "A trial often contributes several rows (instruments, arms, time points). Each trial counts once per "
    "therapy family: its g is the mean of its rows' g, and its variance the mean of their variances (SE²). "
    "This keeps trials with many outcomes from weighing more, but ignores the correlation between outcomes "
    "measured on the same people, so the trial's SE is slightly too small. Its size is the largest "
    "n_arm1 + n_arm2 among those rows (randomized numbers where analysed ones are missing)."
)


def study_effects(rows: pd.DataFrame, family: str | None = None) -> pd.DataFrame:
    """One effect per trial (and family): mean g, mean variance, largest n, worst risk of bias."""
    if family is not None:
        rows = rows[rows["family"] == family]
    columns = ["study", "family", "g", "se", "n", "comparisons", "rob_level", "arms", "comparators"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    work = rows.assign(
        var=rows["se"] ** 2, rob_rank=rows["rob_level"].map({lvl: i for i, lvl in enumerate(ROB_LEVELS)})
    )
    grouped = work.groupby(["family", "study"], sort=True)
    out = grouped.agg(
        g=("g", "mean"),
        var=("var", "mean"),
        n=("n", "max"),
        comparisons=("g", "size"),
        rob_rank=("rob_rank", "max"),
        arms=("condition_arm1", lambda s: ", ".join(sorted(set(map(str, s.dropna()))))),
        comparators=("condition_arm2", lambda s: ", ".join(sorted(set(map(str, s.dropna()))))),
    ).reset_index()
    # "unknown" ranks last, so a trial is only called low if no row says otherwise.
    out["rob_level"] = out["rob_rank"].map(dict(enumerate(ROB_LEVELS)))
    out["se"] = np.sqrt(out["var"])
    return out[columns]


def _pool_row(effects: pd.DataFrame, method: str) -> dict:
    empty = dict.fromkeys(("g", "se", "ci_low", "ci_high", "pi_low", "pi_high", "i2", "tau2"), None)
    try:
        pooled = stats.pool(effects["g"], effects["se"], method=method)
    except stats.TooFewStudies:
        return {**empty, "status": f"too few trials (pooling needs {stats.MIN_STUDIES_TO_POOL})"}
    return {
        "g": pooled.estimate,
        "se": pooled.se,
        "ci_low": pooled.ci_low,
        "ci_high": pooled.ci_high,
        "pi_low": pooled.pi_low,
        "pi_high": pooled.pi_high,
        "i2": pooled.i2,
        "tau2": pooled.tau2,
        "status": "pooled",
    }


SUMMARY_COLUMNS = [
    "family",
    "label",
    "k",
    "studies",
    "participants",
    "g",
    "ci_low",
    "ci_high",
    "pi_low",
    "pi_high",
    "i2",
    "tau2",
    "se",
    "status",
]


def family_summary(rows: pd.DataFrame, method: str = "dl") -> pd.DataFrame:
    """Per therapy family: comparisons (k), trials, participants and the random-effects pooled g.

    Unmapped codes are listed with their counts but never pooled, because
    they may hold different therapies.
    """
    effects = study_effects(rows)
    records = []
    for family in FAMILY_LABELS:
        part = effects[effects["family"] == family]
        if part.empty:
            continue
        record = {
            "family": family,
            "label": FAMILY_LABELS[family],
            "k": int(part["comparisons"].sum()),
            "studies": int(len(part)),
            "participants": int(part["n"].sum(skipna=True)),
        }
        if family == UNMAPPED:
            record.update(
                dict.fromkeys(("g", "se", "ci_low", "ci_high", "pi_low", "pi_high", "i2", "tau2")),
                status="unmapped codes: not pooled",
            )
        else:
            record.update(_pool_row(part, method))
        records.append(record)
    return pd.DataFrame(records, columns=SUMMARY_COLUMNS)


def pooled_for(effects: pd.DataFrame, method: str = "dl") -> stats.Pooled | None:
    """The pooled estimate of a set of trial effects, None below the minimum number of trials."""
    try:
        return stats.pool(effects["g"], effects["se"], method=method)
    except stats.TooFewStudies:
        return None


def size_lens(effects: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD, method: str = "dl") -> pd.DataFrame:
    """Pooled g for all trials, small trials (n < threshold) and large trials (n ≥ threshold)."""
    groups = (
        ("all", "All trials", effects),
        ("small", f"Small trials (under {threshold} participants)", effects[effects["n"] < threshold]),
        ("large", f"Large trials ({threshold} or more participants)", effects[effects["n"] >= threshold]),
        ("unknown", "Trials of unknown size", effects[effects["n"].isna()]),
    )
    records = []
    for key, label, part in groups:
        if key == "unknown" and part.empty:
            continue
        record = {
            "group": key,
            "label": label,
            "studies": int(len(part)),
            "participants": int(part["n"].sum(skipna=True)) if len(part) else 0,
        }
        record.update(
            _pool_row(part, method)
            if len(part)
            else {
                **dict.fromkeys(("g", "se", "ci_low", "ci_high", "pi_low", "pi_high", "i2", "tau2")),
                "status": "no trials",
            }
        )
        records.append(record)
    return pd.DataFrame(records)


def large_trials_only(rows: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD, method: str = "dl") -> pd.DataFrame:
    """family_summary re-pooled on trials with at least `threshold` participants."""
    effects = study_effects(rows)
    large = effects[effects["n"] >= threshold][["family", "study"]]
    keep = rows.set_index(["family", "study"]).index.isin(pd.MultiIndex.from_frame(large))
    return family_summary(rows[keep], method)


def small_study_test(effects: pd.DataFrame) -> stats.EggerResult | None:
    """Egger's test on trial effects, None below stats.MIN_STUDIES_FOR_EGGER trials."""
    try:
        return stats.egger_test(effects["g"], effects["se"])
    except stats.TooFewStudies:
        return None


def forest_rows(effects: pd.DataFrame) -> pd.DataFrame:
    """Trial effects shaped for charts.forest_plot (label, estimate, 95% CI, detail)."""
    z = 1.959963984540054
    out = effects.sort_values(["g", "study"], ascending=[False, True]).reset_index(drop=True)
    n_text = out["n"].map(lambda n: "size unknown" if pd.isna(n) else f"N = {int(n)}")
    return pd.DataFrame(
        {
            "label": out["study"].astype(str),
            "estimate": out["g"],
            "ci_low": out["g"] - z * out["se"],
            "ci_high": out["g"] + z * out["se"],
            "detail": out["arms"]
            + " vs "
            + out["comparators"]
            + "; "
            + n_text
            + "; "
            + out["comparisons"].astype(str)
            + " comparison(s); risk of bias: "
            + out["rob_level"].map(ROB_LABELS),
        }
    )


def across_databases(
    databases: dict[str, Database], analysis: Analysis = Analysis(), families: tuple[str, ...] = (PSYCHODYNAMIC, "cbt")
) -> pd.DataFrame:
    """family_summary for chosen families in every database, with its condition."""
    frames = []
    for name, db in databases.items():
        comparators = tuple(c for c in analysis.comparators if c in db.comparators)
        time = analysis.time if analysis.time in db.time_points else TIME_POST
        summary = family_summary(
            select_rows(db, replace(analysis, comparators=comparators, time=time)), analysis.method
        )
        summary = summary[summary["family"].isin(families)]
        frames.append(summary.assign(database=name, condition=db.info.condition))
    if not frames:
        return pd.DataFrame(columns=["database", "condition", *SUMMARY_COLUMNS])
    out = pd.concat(frames, ignore_index=True)
    return out[["database", "condition", *SUMMARY_COLUMNS]]
