"""The effect map: per specific condition, pooled effects by comparator and source, with certainty cues.

Each estimate comes from one source only (the trial reports in trials.csv, or
the Metapsy databases through data/metapsy_effects.csv) and one kind of
comparator only (inactive controls, active treatments, or therapy added to
another treatment). Nothing from different sources or comparators is pooled
together, and pooling goes through `stats.pool` (statsmodels).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pdevidence import stats, viewstate, vocab

LARGE_TRIAL = 100

# Comparator classes pooled separately. Add-on designs (therapy added to a
# treatment the comparison group also gets) are their own class: they never
# count as a comparison with an active treatment.
COMPARATORS = {
    "inactive": "vs inactive controls",
    "active": "vs active treatments",
    "add_on": "added to another treatment",
    "combination": "alone vs combined with a medicine",
}
SOURCES = {
    "curated": "Trial reports",
    "metapsy": "Metapsy databases",
}
LENSES = {
    "all": "All trials",
    "large": f"Only trials with {LARGE_TRIAL} or more participants",
}

EFFECT_COLUMNS = [
    "condition_group",
    "condition_specific",
    "comparator_type",
    "source",
    "study",
    "trial_id",
    "label",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "n_randomized",
    "large",
    "outcome",
    "time_point",
    "detail",
]
ESTIMATE_COLUMNS = [
    "condition_group",
    "condition_specific",
    "comparator_type",
    "source",
    "lens",
    "k",
    "participants",
    "status",
    "estimate",
    "ci_low",
    "ci_high",
    "i2",
    "tau2",
    "method",
    "share_small",
    "trials",
    "text",
]


def specific_labels() -> dict[str, str]:
    """Plain labels of the specific-condition codes (the controlled list in vocab)."""
    return dict(vocab.CONDITIONS_SPECIFIC)


def specific_label(code) -> str:
    if code is None or (isinstance(code, float) and math.isnan(code)) or code is pd.NA:
        return "Not coded"
    return specific_labels().get(code, str(code).replace("_", " "))


def _trial_label(frame: pd.DataFrame) -> pd.Series:
    return frame["first_author"].astype(str) + " " + frame["year"].astype("Int64").astype(str)


def _one_per_study(rows: pd.DataFrame, size_column: str) -> pd.DataFrame:
    """One comparison per trial and comparator class: the one with the largest comparison arm,
    so a shared psychodynamic arm is never counted twice in one pool."""
    rows = rows.sort_values(["study", size_column], ascending=[True, False], na_position="last")
    return rows.drop_duplicates(["study", "comparator_type"])


def _pool_candidates(trials: pd.DataFrame) -> pd.DataFrame:
    """Comparisons whose effects may be pooled: a row with no head-to-head test reported
    (not_tested, or a direction without a test) never enters a pool, so it can never stand for a result."""
    return trials[~trials["finding"].isin(vocab.UNTESTED_FINDINGS)]


def curated_effects(trials: pd.DataFrame, timepoint: str = "post") -> pd.DataFrame:
    """Between-group effects read in the trial reports, one per trial and comparator class."""
    rows = stats.poolable(_pool_candidates(trials))
    rows = rows[rows["es_timepoint"] == timepoint]
    read_in = rows["es_source"].astype("string").fillna("the report")
    return _effect_rows(
        rows.assign(
            trial_id=rows["id"],
            estimate=rows["es_value"],
            outcome=rows["primary_outcome"].astype("string").fillna("main outcome"),
            time_point=rows["es_timepoint"],
            detail=rows["es_type"].map(vocab.ES_TYPES).fillna("") + "; read in " + read_in,
        ),
        "curated",
        reported_ci=("es_ci_low", "es_ci_high"),
    )


def _effect_rows(rows: pd.DataFrame, source: str, reported_ci: tuple[str, str] | None = None) -> pd.DataFrame:
    """The map's effect columns for one source, from rows that carry the source's own figures under the map's
    names (trial_id, estimate, outcome, time_point, detail): one row per trial and comparator class, the 95% CI
    the one reported (the columns `reported_ci`) where both ends are given, else the normal CI of the estimate."""
    if rows.empty:
        return pd.DataFrame(columns=EFFECT_COLUMNS)
    rows = _one_per_study(rows, "n_comparator")
    low, high = stats.normal_ci(rows["estimate"].astype(float), rows["se"].astype(float))
    if reported_ci is not None:
        reported_low, reported_high = (rows[column].astype(float) for column in reported_ci)
        has_ci = reported_low.notna() & reported_high.notna()
        low, high = reported_low.where(has_ci, low), reported_high.where(has_ci, high)
    out = rows.assign(
        source=source,
        label=_trial_label(rows) + " vs " + rows["comparator"].astype(str),
        estimate=rows["estimate"].astype(float),
        se=rows["se"].astype(float),
        ci_low=low,
        ci_high=high,
        n_randomized=rows["n_randomized"].astype(float),
        large=rows["n_randomized"] >= LARGE_TRIAL,
    )
    return out[EFFECT_COLUMNS].reset_index(drop=True)


def metapsy_effects(trials: pd.DataFrame, effects: pd.DataFrame, timepoint: str = "post") -> pd.DataFrame:
    """Metapsy effects of curated trials (the row marked main per comparison), one per trial and comparator class.

    The comparator class is the curated row's: a Metapsy "usual care" arm that
    is in fact the same drug both groups take stays an add-on design.
    """
    if effects is None or effects.empty:
        return pd.DataFrame(columns=EFFECT_COLUMNS)
    main = effects[(effects["main"] == "yes") & (effects["time_point"] == timepoint)]
    keep = [
        "id",
        "condition_group",
        "condition_specific",
        "comparator_type",
        "comparator",
        "n_randomized",
        "n_comparator",
    ]
    rows = main.merge(
        _pool_candidates(trials)[keep + ["first_author", "year"]].rename(columns={"id": "trial_id"}),
        on="trial_id",
        how="inner",
        validate="many_to_one",
    )
    rows = rows[rows["g"].notna() & rows["se"].notna() & (rows["se"] > 0)]
    doi = rows["database_doi"].astype("string").fillna("none given")
    return _effect_rows(
        rows.assign(
            estimate=rows["g"],
            outcome=rows["outcome_label"].astype(str),
            detail="Hedges' g, " + rows["database"].astype(str) + " database (doi:" + doi + ")",
        ),
        "metapsy",
    )


def trial_effects(trials: pd.DataFrame, effects: pd.DataFrame | None = None, timepoint: str = "post") -> pd.DataFrame:
    """Every per-trial effect the map may pool, each row naming its source."""
    parts = [curated_effects(trials, timepoint), metapsy_effects(trials, effects, timepoint)]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=EFFECT_COLUMNS)
    return pd.concat(parts, ignore_index=True)


def fmt(value: float) -> str:
    """Two decimals, never '-0.00'."""
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def _too_few_text(k: int) -> str:
    if k == 0:
        return "no trial effects"
    return f"{k} trial{'s' if k != 1 else ''}, too few to pool"


def pool_group(rows: pd.DataFrame, method: str = "dl") -> dict:
    """Pool one set of per-trial effects (one source, one comparator class); too few gives a marker, not a number."""
    k = len(rows)
    if rows["source"].nunique() > 1 or rows["comparator_type"].nunique() > 1:
        raise ValueError("effects from different sources or comparators are never pooled together")
    base = {
        "k": k,
        "participants": int(rows["n_randomized"].sum()) if k else 0,
        "share_small": float((rows["n_randomized"] < LARGE_TRIAL).mean()) if k else math.nan,
        "trials": "; ".join(rows["label"]),
        "estimate": math.nan,
        "ci_low": math.nan,
        "ci_high": math.nan,
        "i2": math.nan,
        "tau2": math.nan,
        "method": "",
    }
    if k < stats.MIN_STUDIES_TO_POOL:
        return {**base, "status": "too_few" if k else "none", "text": _too_few_text(k)}
    pooled = stats.pool(rows["estimate"], rows["se"], method=method)
    return {
        **base,
        "status": "pooled",
        "estimate": pooled.estimate,
        "ci_low": pooled.ci_low,
        "ci_high": pooled.ci_high,
        "i2": pooled.i2,
        "tau2": pooled.tau2,
        "method": pooled.method,
        "text": f"{fmt(pooled.estimate)} ({fmt(pooled.ci_low)} to {fmt(pooled.ci_high)}), {k} trials",
    }


def pooled_estimates(effects: pd.DataFrame, method: str = "dl") -> pd.DataFrame:
    """One row per specific condition, comparator class, source and lens (all trials / large trials only)."""
    rows = []
    if effects.empty:
        return pd.DataFrame(columns=ESTIMATE_COLUMNS)
    keys = ["condition_group", "condition_specific", "comparator_type", "source"]
    for key, part in effects.groupby(keys, sort=True, dropna=False):
        for lens in LENSES:
            chosen = part if lens == "all" else part[part["large"]]
            rows.append({**dict(zip(keys, key, strict=True)), "lens": lens, **pool_group(chosen, method)})
    return pd.DataFrame(rows)[ESTIMATE_COLUMNS]


def size_change(estimates: pd.DataFrame) -> pd.DataFrame:
    """All trials beside large trials only, per condition, comparator and source, with the change in words."""
    if estimates.empty:
        return pd.DataFrame(
            columns=["condition_specific", "comparator_type", "source", "all", "large", "change", "change_text"]
        )
    keys = ["condition_group", "condition_specific", "comparator_type", "source"]
    columns = [*keys, "text", "k", "estimate"]
    both = estimates.loc[estimates["lens"] == "all", columns].merge(
        estimates.loc[estimates["lens"] == "large", columns], on=keys, suffixes=("_all", "_large"), how="left"
    )
    out = pd.DataFrame(
        {
            **{key: both[key] for key in keys},
            "all": both["text_all"],
            "large": both["text_large"].fillna(_too_few_text(0)),
            "k_all": both["k_all"].astype(int),
            "k_large": both["k_large"].fillna(0).astype(int),
            "estimate_all": both["estimate_all"].astype(float),
            "estimate_large": both["estimate_large"].astype(float),
            "change": both["estimate_large"].astype(float) - both["estimate_all"].astype(float),
        }
    )

    def words(row) -> str:
        if row["k_all"] == row["k_large"]:
            return "no small trials to leave out"
        small = row["k_all"] - row["k_large"]
        if not np.isfinite(row["change"]):
            if not np.isfinite(row["estimate_all"]):
                return "too few to pool either way"
            return f"without the {small} small trial(s), {row['k_large']} left: too few to pool"
        direction = "smaller" if row["change"] < 0 else "larger" if row["change"] > 0 else "the same"
        return f"{fmt(abs(row['change']))} {direction} without the {small} small trial(s)"

    out["change_text"] = out.apply(words, axis=1) if len(out) else pd.Series(dtype=str)
    return out


def _share(mask: pd.Series) -> float:
    return float(mask.mean()) if len(mask) else math.nan


def _rob_per_study(trials: pd.DataFrame, effects: pd.DataFrame | None) -> pd.DataFrame:
    """Risk of bias per trial: the curated rating where one was found, else the Metapsy database's rating."""
    studies = trials.drop_duplicates("study")[["study", "risk_of_bias"]].copy()
    studies["rob"] = studies["risk_of_bias"].where(studies["risk_of_bias"] != "not_assessed")
    studies["rated_by"] = np.where(studies["rob"].notna(), "trial table", "")
    if effects is not None and not effects.empty and "rob_level" in effects:
        order = {"low": 0, "some_concerns": 1, "high": 2}
        known = effects[effects["rob_level"].isin(order)]
        worst = known.assign(rank=known["rob_level"].map(order)).groupby("study")["rank"].max()
        from_metapsy = studies["study"].map(worst).map({v: k for k, v in order.items()})
        fill = studies["rob"].isna() & from_metapsy.notna()
        studies.loc[fill, "rob"] = from_metapsy[fill]
        studies.loc[fill, "rated_by"] = "Metapsy"
    return studies


def _verdict_by_specific(verdicts: pd.DataFrame) -> pd.DataFrame:
    if verdicts is None or verdicts.empty or "condition_specific" not in verdicts:
        return pd.DataFrame(columns=["condition_specific", "verdict_inactive", "verdict_active", "verdict_id"])
    codes = verdicts["condition_specific"].astype("string").str.split(r"\s*;\s*", regex=True)
    first = verdicts.assign(condition_specific=codes).explode("condition_specific")
    first = first[first["condition_specific"].notna() & (first["condition_specific"] != "")]
    first = first.drop_duplicates("condition_specific")
    return pd.DataFrame(
        {
            "condition_specific": first["condition_specific"],
            "verdict_inactive": _ours(
                first["vs_inactive"].map(lambda c: verdict_label(c, vocab.VS_INACTIVE)), first, "vs_inactive"
            ),
            "verdict_active": _ours(
                first["vs_active"].map(lambda c: verdict_label(c, vocab.VS_ACTIVE)), first, "vs_active"
            ),
            "verdict_id": first["id"],
        }
    )


def _ours(labels: pd.Series, verdicts: pd.DataFrame, side: str) -> pd.Series:
    """Mark a verdict that is our inference (verdicts.inferred), not the review's words."""
    if "inferred" not in verdicts:
        return labels
    flagged = verdicts["inferred"].isin([side, "both"])
    return labels.where(~flagged, labels + " (our reading, not the review's words)")


def verdict_label(code, mapping: dict[str, str]) -> str:
    """The review's verdict in words; "not stated" where the review says nothing."""
    if code is None or code is pd.NA or (isinstance(code, float) and math.isnan(code)):
        return "not stated"
    if code == "not_stated":
        return "not stated"
    return mapping.get(code, str(code).replace("_", " ")).lower()


def _fmt_or_blank(value) -> str:
    return "" if pd.isna(value) else fmt(float(value))


def published_estimates(meta: pd.DataFrame) -> pd.DataFrame:
    """Published meta-analytic estimates of psychodynamic therapy tied to one specific condition.

    Only rows coded with a specific condition qualify; estimates for mixed
    conditions or for other treatments are not shown beside a condition.
    """
    columns = [
        "condition_specific",
        "meta_id",
        "meta_text",
        "meta_estimate",
        "meta_ci_low",
        "meta_ci_high",
        "meta_comparison",
        "meta_source",
    ]
    if meta is None or meta.empty or "condition_specific" not in meta:
        return pd.DataFrame(columns=columns)
    codes = meta["condition_specific"].astype("string").str.split(r"\s*;\s*", regex=True)
    meta = meta.assign(condition_specific=codes).explode("condition_specific")
    meta = meta[meta["condition_specific"] != ""]
    rows = meta[
        meta["condition_specific"].notna()
        & meta["treatment"].astype(str).str.startswith("psychodynamic")
        & meta["comparison"].isin(["vs_control", "vs_other_treatments"])
    ]
    # One estimate per condition and comparison: the end-of-treatment one, from the latest meta-analysis.
    rows = rows.assign(_later=rows["timepoint"] != "post" if "timepoint" in rows else False)
    rows = rows.sort_values(["condition_specific", "comparison", "_later", "year"], ascending=[True, True, True, False])
    rows = rows.drop_duplicates(["condition_specific", "comparison"])
    if rows.empty:
        return pd.DataFrame(columns=columns)
    ci = pd.Series(
        np.where(
            rows["es_ci_low"].notna() & rows["es_ci_high"].notna(),
            " (" + rows["es_ci_low"].map(_fmt_or_blank) + " to " + rows["es_ci_high"].map(_fmt_or_blank) + ")",
            " (no CI reported)",
        ),
        index=rows.index,
    )
    comparison = rows["comparison"].map({"vs_control": "vs control", "vs_other_treatments": "vs other treatments"})
    if "figure_source" in rows:
        # A figure found only in a citing source is never shown as the review's own.
        second_hand = rows["figure_source"] == "citing_source_only"
        comparison = comparison.where(
            ~second_hand, comparison + " (as reported by " + rows["cited_in"].astype(str) + "; not found in the review)"
        )
    k = rows["k_studies"].map(lambda v: f", {int(v)} studies" if pd.notna(v) else "")
    if "timepoint" in rows:
        k = ", " + rows["timepoint"].map(lambda t: vocab.TIMEPOINTS.get(t, str(t))).str.lower() + k
    text = (
        rows["es_value"].map(_fmt_or_blank)
        + ci
        + " "
        + comparison
        + k
        + " ("
        + rows["first_author"]
        + " "
        + rows["year"].astype(str)
        + ")"
    )
    out = pd.DataFrame(
        {
            "condition_specific": rows["condition_specific"],
            "meta_id": rows["id"],
            "meta_text": text,
            "meta_estimate": rows["es_value"].astype(float),
            "meta_ci_low": rows["es_ci_low"].astype(float),
            "meta_ci_high": rows["es_ci_high"].astype(float),
            "meta_comparison": rows["comparison"],
            "meta_source": rows["first_author"] + " " + rows["year"].astype(str),
        }
    )
    return out[columns].reset_index(drop=True)


def condition_cues(trials: pd.DataFrame, effects: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per specific condition: trials, participants and the certainty cues (size, risk of bias, large trial)."""
    studies = trials.drop_duplicates("study")
    rob = _rob_per_study(trials, effects).set_index("study")
    rows = []
    for (group, specific), part in studies.groupby(["condition_group", "condition_specific"], sort=True, dropna=False):
        n = part["n_randomized"].astype(float)
        ratings = rob.loc[part["study"], "rob"]
        rated = ratings.notna()
        rows.append(
            {
                "condition_group": group,
                "condition_specific": specific,
                "trials": len(part),
                "participants": int(n.sum()),
                "share_under_100": _share(n < LARGE_TRIAL),
                "any_large": bool((n >= LARGE_TRIAL).any()),
                "largest": int(n.max()),
                "rob_rated": int(rated.sum()),
                "share_low_rob": _share(ratings[rated] == "low") if rated.any() else math.nan,
            }
        )
    return pd.DataFrame(rows)


def condition_table(
    trials: pd.DataFrame,
    estimates: pd.DataFrame,
    verdicts: pd.DataFrame | None = None,
    published: pd.DataFrame | None = None,
    effects: pd.DataFrame | None = None,
    lens: str = "all",
) -> pd.DataFrame:
    """The map as a table: one row per specific condition, in condition-group order, every estimate in words.

    `published` is published_estimates of the meta-analyses (it does not depend on the trials shown).
    """
    cues = condition_cues(trials, effects)
    chosen = estimates[estimates["lens"] == lens] if not estimates.empty else estimates
    for comparator in ("inactive", "active", "add_on"):
        for source in SOURCES:
            column = f"{comparator}_{source}"
            if chosen.empty:
                cues[column] = "no trial effects"
                cues[f"{column}_i2"] = math.nan
                continue
            part = chosen[(chosen["comparator_type"] == comparator) & (chosen["source"] == source)]
            text = part.set_index("condition_specific")["text"]
            i2 = part.set_index("condition_specific")["i2"]
            cues[column] = cues["condition_specific"].map(text).fillna("no trial effects")
            cues[f"{column}_i2"] = cues["condition_specific"].map(i2)
    verdict = _verdict_by_specific(verdicts)
    out = cues.merge(verdict, on="condition_specific", how="left")
    for column in ("verdict_inactive", "verdict_active"):
        out[column] = out[column].fillna("not stated")
    if published is not None and not published.empty:
        text = published.groupby("condition_specific")["meta_text"].agg("; ".join)
        out["published"] = out["condition_specific"].map(text).fillna("none found")
    else:
        out["published"] = "none found"
    group_order = {g: i for i, g in enumerate(vocab.CONDITION_GROUPS)}
    specific_order = {s: i for i, s in enumerate(specific_labels())}
    out["group_label"] = out["condition_group"].map(lambda g: vocab.label(vocab.CONDITION_GROUPS, g))
    out["condition"] = out["condition_specific"].map(specific_label)
    out = out.assign(
        _g=out["condition_group"].map(group_order).fillna(len(group_order)),
        _s=out["condition_specific"].map(specific_order).fillna(len(specific_order)),
    ).sort_values(["_g", "_s", "condition"])
    return out.drop(columns=["_g", "_s"]).reset_index(drop=True)


def explore_link(group: str, specific) -> str:
    """A shareable link to Explore filtered to one specific condition (relative to the app's root)."""
    from urllib.parse import urlencode

    state = {"condition": (group,), "specific": (specific,) if isinstance(specific, str) and specific else ()}
    return "explore?" + urlencode(viewstate.serialize(state), doseq=True)


def build(tables: dict[str, pd.DataFrame], method: str = "dl") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-trial effects, pooled estimates) for the bundled tables."""
    effects = trial_effects(tables["trials"], tables.get("metapsy_effects"))
    return effects, pooled_estimates(effects, method)


COMPARATOR_WORDS = {
    "inactive": "inactive control",
    "active": "active treatment",
    "add_on": "add-on design",
    "combination": "combination design",
}
TRIAL_EFFECT_COLUMNS = [
    "trial",
    "compared_with",
    "comparison_kind",
    "n_randomized",
    "source",
    "effect_type",
    "effect",
    "ci_low",
    "ci_high",
    "se",
    "outcome",
    "time_point",
    "direction",
    "where",
    "in_map",
]


def trial_effects_table(trials: pd.DataFrame, metapsy: pd.DataFrame | None, used: pd.DataFrame) -> pd.DataFrame:
    """Every effect of the given trials, curated and from Metapsy side by side, each naming its source,
    with whether the map uses it (`used` is the output of trial_effects)."""
    with_es = trials[trials["es_value"].notna()]
    used_keys = set(zip(used["trial_id"], used["source"], strict=True)) if len(used) else set()
    curated = pd.DataFrame(
        {
            "trial": _trial_label(with_es),
            "compared_with": with_es["comparator"],
            "comparison_kind": with_es["comparator_type"].map(COMPARATOR_WORDS),
            "n_randomized": with_es["n_randomized"],
            "source": SOURCES["curated"],
            "effect_type": with_es["es_type"].map(vocab.ES_TYPES),
            "effect": with_es["es_value"].astype(float),
            "ci_low": with_es["es_ci_low"].astype(float),
            "ci_high": with_es["es_ci_high"].astype(float),
            "se": with_es["es_se"].astype(float),
            "outcome": with_es["primary_outcome"],
            "time_point": with_es["es_timepoint"].map(vocab.TIMEPOINTS),
            "direction": "positive favours psychodynamic therapy (ratios: above 1)",
            "where": "Read in " + with_es["es_source"].astype("string").fillna("the report"),
            "in_map": [("yes" if (i, "curated") in used_keys else "no") for i in with_es["id"]],
        }
    )
    parts = [curated]
    if metapsy is not None and not metapsy.empty:
        rows = metapsy.merge(
            trials[["id", "first_author", "year", "comparator", "comparator_type", "n_randomized"]].rename(
                columns={"id": "trial_id"}
            ),
            on="trial_id",
            how="inner",
        )
        se = rows["se"].astype(float)
        low, high = stats.normal_ci(rows["g"].astype(float), se)
        parts.append(
            pd.DataFrame(
                {
                    "trial": _trial_label(rows),
                    "compared_with": rows["comparator"],
                    "comparison_kind": rows["comparator_type"].map(COMPARATOR_WORDS),
                    "n_randomized": rows["n_randomized"],
                    "source": SOURCES["metapsy"] + ": " + rows["database"],
                    "effect_type": "Hedges' g, between groups",
                    "effect": rows["g"].astype(float),
                    "ci_low": low,
                    "ci_high": high,
                    "se": se,
                    "outcome": rows["outcome_label"],
                    "time_point": rows["time_point"].map(lambda t: vocab.TIMEPOINTS.get(t, t)),
                    "direction": rows["direction_rule"],
                    "where": "Metapsy project (metapsy.org), "
                    + rows["database"]
                    + " database, doi:"
                    + rows["database_doi"].astype("string").fillna("none given")
                    + ", "
                    + rows["database_version"]
                    + ", ODC-By 1.0; matched by "
                    + rows["match"],
                    "in_map": [
                        "yes" if (t, "metapsy") in used_keys and m == "yes" else "no"
                        for t, m in zip(rows["trial_id"], rows["main"], strict=True)
                    ],
                }
            )
        )
    out = pd.concat([p for p in parts if not p.empty] or [curated], ignore_index=True)
    return out[TRIAL_EFFECT_COLUMNS].sort_values(["trial", "source"], kind="stable").reset_index(drop=True)


def map_table(effects: pd.DataFrame, estimates: pd.DataFrame, lens: str = "all") -> pd.DataFrame:
    """The map's figures as a table: every trial effect and every pooled estimate, each with its source."""
    trials_part = effects if lens == "all" else effects[effects["large"].astype(bool)]
    rows = pd.DataFrame(
        {
            "condition": trials_part["condition_specific"].map(specific_label),
            "compared_with": trials_part["comparator_type"].map(COMPARATORS),
            "source": trials_part["source"].map(SOURCES),
            "what": "one trial: " + trials_part["label"],
            "trials": 1,
            "participants": trials_part["n_randomized"].astype(int),
            "effect": trials_part["estimate"],
            "ci_low": trials_part["ci_low"],
            "ci_high": trials_part["ci_high"],
            "i2": np.nan,
            "where": trials_part["detail"],
        }
    )
    parts = [rows]
    if not estimates.empty:
        mine = estimates[(estimates["lens"] == lens) & (estimates["k"] > 0)]
        parts.append(
            pd.DataFrame(
                {
                    "condition": mine["condition_specific"].map(specific_label),
                    "compared_with": mine["comparator_type"].map(COMPARATORS),
                    "source": mine["source"].map(SOURCES),
                    "what": np.where(mine["status"] == "pooled", "pooled: ", "not pooled (" + mine["text"] + "): ")
                    + mine["trials"],
                    "trials": mine["k"],
                    "participants": mine["participants"],
                    "effect": mine["estimate"],
                    "ci_low": mine["ci_low"],
                    "ci_high": mine["ci_high"],
                    "i2": mine["i2"],
                    "where": np.where(
                        mine["status"] == "pooled",
                        "random effects (" + mine["method"] + "), statsmodels",
                        "",
                    ),
                }
            )
        )
    return pd.concat([p for p in parts if not p.empty] or [rows], ignore_index=True)
