"""Meta-analysis of a Metapsy database by therapy family: trial effects, pooling, size lens, across databases."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from pdevidence import stats
from pdevidence.metapsy.coding import AUTOMATIC
from pdevidence.metapsy.database import TIME_ALL, TIME_POST, Database
from pdevidence.metapsy.families import FAMILY_LABELS, NOT_CODED, NOT_POOLED, PSYCHODYNAMIC, UNMAPPED, family_from_text
from pdevidence.metapsy.rob import ROB_LABELS, ROB_LEVELS

DEFAULT_THRESHOLD = 100


@dataclass(frozen=True)
class Analysis:
    """Which rows to use and how to pool them."""

    time: str = TIME_POST
    low_rob_only: bool = False
    comparators: tuple[str, ...] = ()
    method: str = "dl"
    outcome: str | None = None  # None: the database's default outcome


def outcome_of(db: Database, analysis: Analysis = Analysis()) -> str | None:
    """The outcome an analysis pools: the chosen one if the database pools it, else the default."""
    if analysis.outcome in db.pooled_outcomes:
        return analysis.outcome
    return db.default_outcome


def select_rows(db: Database, analysis: Analysis = Analysis()) -> pd.DataFrame:
    """The rows of one outcome with a usable effect at the chosen time point, risk of bias and comparators.

    Only one outcome is ever selected, so a symptom scale is never averaged with an event rate.
    """
    rows = db.rows[db.rows["has_effect"] & (db.rows["outcome"] == outcome_of(db, analysis))]
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
    columns = [
        "study",
        "family",
        "g",
        "se",
        "n",
        "comparisons",
        "rob_level",
        "arms",
        "comparators",
        "coding",
        "assumptions",
    ]
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
    )
    # Distinct arm and comparator codes per trial, joined without a Python function per trial
    # (an upload of 50,000 trials would otherwise take minutes).
    if "coding" not in work:
        work = work.assign(coding=AUTOMATIC, assumptions="")
    joins = (("arms", "condition_arm1", ", "), ("comparators", "condition_arm2", ", "), ("coding", "coding", ", "))
    for name, column, sep in (*joins, ("assumptions", "assumptions", "; ")):
        codes = work[["family", "study", column]].dropna()
        if name == "assumptions":
            codes = codes[codes[column].astype(str) != ""]
        codes = codes.assign(**{column: codes[column].astype(str)}).drop_duplicates()
        codes = codes.sort_values(column)
        by_trial = codes.groupby(["family", "study"], sort=False)[column]
        joined = by_trial.first()
        several = by_trial.size() > 1
        if several.any():  # only trials with more than one code need a join
            many = codes.set_index(["family", "study"]).loc[several[several].index]
            joined.update(many.groupby(level=[0, 1], sort=False)[column].agg(sep.join))
        out[name] = joined.reindex(out.index).fillna("")
    out = out.reset_index()
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
    "coding",
    "assumptions",
]


def _distinct(texts: pd.Series) -> str:
    """The distinct assumptions behind a set of trials, each with the number of trials it applies to."""
    counts: dict[str, int] = {}
    for text in texts:
        for item in dict.fromkeys(t for t in str(text).split("; ") if t):
            counts[item] = counts.get(item, 0) + 1
    return "; ".join(f"{item} ({n} trial{'s' if n != 1 else ''})" for item, n in counts.items())


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
            "coding": ", ".join(sorted(set(", ".join(part["coding"]).split(", ")) - {""})),
            "assumptions": _distinct(part["assumptions"]),
        }
        if family in NOT_POOLED:
            record.update(
                dict.fromkeys(("g", "se", "ci_low", "ci_high", "pi_low", "pi_high", "i2", "tau2")),
                status={UNMAPPED: "unmapped codes: not pooled", NOT_CODED: "not coded: not pooled"}[family],
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
    out = effects.sort_values(["g", "study"], ascending=[False, True]).reset_index(drop=True)
    low, high = stats.normal_ci(out["g"], out["se"])
    n_text = out["n"].map(lambda n: "size unknown" if pd.isna(n) else f"N = {int(n)}")
    return pd.DataFrame(
        {
            "label": out["study"].astype(str),
            "estimate": out["g"],
            "ci_low": low,
            "ci_high": high,
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


ACROSS_COLUMNS = ["database", "condition", "outcome", "outcome_label", "direction", *SUMMARY_COLUMNS]


def across_databases(databases: dict[str, Database], analysis: Analysis = Analysis()) -> pd.DataFrame:
    """Every therapy family next to psychodynamic therapy, per database and outcome.

    Only databases with a psychodynamic arm, and only outcomes where at least one
    psychodynamic trial has a usable effect: one block of rows per condition and outcome.
    """
    frames = []
    for name, db in databases.items():
        comparators = tuple(c for c in analysis.comparators if c in db.comparators)
        time = analysis.time if analysis.time in db.time_points else TIME_POST
        for outcome in db.pooled_outcomes:
            chosen = replace(analysis, comparators=comparators, time=time, outcome=outcome)
            rows = select_rows(db, chosen)
            if not (rows["family"] == PSYCHODYNAMIC).any():
                continue
            summary = family_summary(rows, analysis.method)
            summary = summary[~summary["family"].isin(NOT_POOLED)]
            rule = db.outcomes.loc[db.outcomes["outcome"] == outcome, "rule"].iloc[0]
            frames.append(
                summary.assign(
                    database=name,
                    condition=db.info.condition,
                    outcome=outcome,
                    outcome_label=db.outcome_label(outcome),
                    direction=rule,
                )
            )
    if not frames:
        return pd.DataFrame(columns=ACROSS_COLUMNS)
    return pd.concat(frames, ignore_index=True)[ACROSS_COLUMNS]


STUDY_TABLE_COLUMNS = [
    "study",
    "year",
    "family",
    "arm1",
    "comparator",
    "comparator_class",
    "outcome",
    "outcome_label",
    "outcome_type",
    "direction_rule",
    "g",
    "se",
    "n_arm1",
    "n_arm2",
    "time_point",
    "rows",
    "rob_level",
    "coding",
    "assumptions",
]

# Comparator codes and descriptions, matched as words; first hit wins.
COMPARATOR_CLASSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("wait-list", ("wl", "wlc", "waitlist", "wait-list", "wait list", "waiting list")),
    ("usual care", ("cau", "tau", "usual care", "as usual", "treatment as usual", "care as usual", "tau/nt")),
    ("no treatment", ("nt", "no treatment", "no-treatment")),
    ("placebo or attention control", ("pl", "placebo", "app", "attention", "psychological placebo")),
    ("medication", ("pha", "ad", "bzp", "pharmacotherapy", "medication", "antidepressant")),
)
OTHER_CONTROL = ("other control", ("other ctr", "other control", "oth", "other", "ctr", "control"))


def comparator_class(code: str, description: str | None) -> str:
    """A comparator's class: wait-list, usual care, placebo, ... or the therapy family it belongs to."""

    texts = [str(code).strip().lower(), str(description or "").strip().lower()]
    for label, words in COMPARATOR_CLASSES:
        for text in texts:
            if text in words or any(len(w) > 3 and w in text for w in words):
                return label
    family = family_from_text(description or "") or family_from_text(code)
    if family:
        return f"therapy: {FAMILY_LABELS.get(family, family)}"
    label, words = OTHER_CONTROL
    if any(text in words or any(len(w) > 3 and w in text for w in words) for text in texts):
        return label
    return "not classified"


def _number(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.astype("string").str.replace(",", ".", regex=False).str.strip(), errors="coerce")


def study_effects_table(db: Database, *, time: str = TIME_POST) -> pd.DataFrame:
    """Per study, arm-1 family, comparator and outcome: one turned effect (positive favours arm 1).

    Rows of the same study, family, comparator, outcome and time point (several
    instruments or arms) are averaged as on the page: mean g, mean variance.
    Outcomes whose direction cannot be decided are left out (see db.outcomes).
    time: "post" (default), "all", or a value of db.time_points.
    """
    rows = db.rows[db.rows["has_effect"]]
    if time != TIME_ALL:
        rows = rows[rows["time_point"] == time]
    if rows.empty:
        return pd.DataFrame(columns=STUDY_TABLE_COLUMNS)
    year = _number(rows["year"]) if "year" in rows else pd.Series(np.nan, index=rows.index)
    from_name = _number(rows["study"].astype("string").str.extract(r"((?:19|20)\d\d)", expand=False))
    n1 = _number(rows["n_arm1"]) if "n_arm1" in rows else pd.Series(np.nan, index=rows.index)
    n2 = _number(rows["n_arm2"]) if "n_arm2" in rows else pd.Series(np.nan, index=rows.index)
    for prefix in ("totaln_arm", "rand_arm", "n_change_arm"):
        if f"{prefix}1" in rows:
            n1 = n1.fillna(_number(rows[f"{prefix}1"]))
            n2 = n2.fillna(_number(rows[f"{prefix}2"]))
    rules = dict(zip(db.outcomes["outcome"], db.outcomes["rule"], strict=True))
    classes = {code: comparator_class(code, desc) for code, desc in db.comparators.items()}
    work = pd.DataFrame(
        {
            "study": rows["study"].astype(str),
            "year": year.fillna(from_name),
            "family": rows["family"],
            "arm1": rows["condition_arm1"].astype("string").fillna("").astype(str),
            "comparator": rows["condition_arm2"].astype("string").fillna("").astype(str),
            "outcome": rows["outcome"],
            "outcome_label": rows["outcome_label"],
            "outcome_type": rows["outcome_kind"],
            "g": rows["g"],
            "var": rows["se"] ** 2,
            "n_arm1": n1,
            "n_arm2": n2,
            "time_point": rows["time_point"].astype(object).fillna(""),
            "rob_rank": rows["rob_level"].map({lvl: i for i, lvl in enumerate(ROB_LEVELS)}),
            "coding": rows["coding"],
            "assumptions": rows["assumptions"].astype(str),
        }
    )
    keys = ["study", "family", "comparator", "outcome", "time_point"]
    out = (
        work.groupby(keys, sort=True)
        .agg(
            year=("year", "max"),
            arm1=("arm1", "first"),
            outcome_label=("outcome_label", "first"),
            outcome_type=("outcome_type", "first"),
            g=("g", "mean"),
            var=("var", "mean"),
            n_arm1=("n_arm1", "max"),
            n_arm2=("n_arm2", "max"),
            rows=("g", "size"),
            rob_rank=("rob_rank", "max"),
            coding=("coding", "first"),
            assumptions=("assumptions", lambda a: "; ".join(dict.fromkeys(t for x in a for t in x.split("; ") if t))),
        )
        .reset_index()
    )
    out["se"] = np.sqrt(out["var"])
    out["comparator_class"] = out["comparator"].map(classes).fillna("not classified")
    out["direction_rule"] = out["outcome"].map(rules)
    out["rob_level"] = out["rob_rank"].map(dict(enumerate(ROB_LEVELS)))
    return out[STUDY_TABLE_COLUMNS]
