"""Pooling, heterogeneity, small-study tests and size bands (statsmodels does the maths)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats as sps
from statsmodels.stats.meta_analysis import combine_effects

from pdevidence import vocab

MIN_STUDIES_TO_POOL = 3
MIN_STUDIES_FOR_EGGER = 10

# Effect-size types that describe a difference between two randomized groups
# on a standardized mean difference scale; only these are ever pooled.
BETWEEN_GROUP_SMD = ("g_between", "d_between")

SIZE_BANDS = (
    (0, 49, "<50"),
    (50, 99, "50-99"),
    (100, 199, "100-199"),
    (200, math.inf, "≥200"),
)
SIZE_BAND_LABELS = tuple(label for _, _, label in SIZE_BANDS)

# Estimators of the between-study variance offered by statsmodels.
TAU2_METHODS = {"dl": "DerSimonian-Laird", "pm": "Paule-Mandel"}


@dataclass(frozen=True)
class Pooled:
    """A random-effects pooled estimate and its uncertainty."""

    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    pi_low: float | None
    pi_high: float | None
    tau2: float
    i2: float
    q: float
    method: str


class TooFewStudies(ValueError):
    """Raised when a pooled estimate is asked of fewer studies than is meaningful."""


def size_band(n: float | int | None) -> str | None:
    """Return the study-size band label for a number of participants."""
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return None
    for low, high, label in SIZE_BANDS:
        if low <= n <= high:
            return label
    raise ValueError(f"participants must be a non-negative number, got {n!r}")


Z_95 = float(sps.norm.isf(0.025))  # the normal quantile of a two-sided 95% interval


def normal_ci(estimate, se):
    """The 95% normal-theory interval (low, high) of an estimate and its standard error (numbers or Series)."""
    return estimate - Z_95 * se, estimate + Z_95 * se


def effect_standard_errors(frame: pd.DataFrame) -> pd.Series:
    """Standard error of each row's effect: the reported SE, else one derived from the 95% CI."""
    from_ci = (frame["es_ci_high"] - frame["es_ci_low"]) / (2 * Z_95)
    return frame["es_se"].where(frame["es_se"].notna(), from_ci)


def poolable(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows whose effects may be pooled together: between-group SMDs with a usable SE.

    Within-group (pre-post) effects and ratios are excluded, because their
    scale is not that of a between-group difference.
    """
    if frame.empty:
        return frame.assign(se=pd.Series(dtype=float))
    out = frame[frame["es_type"].isin(BETWEEN_GROUP_SMD) & frame["es_value"].notna()].copy()
    out["se"] = effect_standard_errors(out)
    return out[out["se"].notna() & (out["se"] > 0)]


def pool(effects, standard_errors, method: str = "dl", level: float = 0.95) -> Pooled:
    """Random-effects pooled estimate with CI, prediction interval, I², tau² and Q.

    The estimate, tau² and Q come from statsmodels' combine_effects. The
    prediction interval uses the usual t(k-2) formula on those outputs
    (Higgins, Thompson & Spiegelhalter 2009) and is only given from k = 3.
    """
    effects = np.asarray(effects, dtype=float)
    ses = np.asarray(standard_errors, dtype=float)
    if effects.shape != ses.shape:
        raise ValueError("effects and standard errors must have the same length")
    if np.any(~np.isfinite(effects)) or np.any(~np.isfinite(ses)) or np.any(ses <= 0):
        raise ValueError("effects must be finite and standard errors positive")
    k = effects.size
    if k < MIN_STUDIES_TO_POOL:
        raise TooFewStudies(f"pooling needs at least {MIN_STUDIES_TO_POOL} studies, got {k}")
    if method not in TAU2_METHODS:
        raise ValueError(f"unknown tau² method {method!r}; use one of {sorted(TAU2_METHODS)}")
    alpha = 1 - level
    with np.errstate(divide="ignore", invalid="ignore"):
        # combine_effects also computes Knapp-Hartung terms we do not use,
        # which warn when Q is 0.
        res = combine_effects(effects, ses**2, method_re=method, alpha=alpha)
        (fe_low, fe_high), (ci_low, ci_high), *_ = res.conf_int(alpha=alpha, use_t=False)
    if res.tau2 < 0:
        # statsmodels 0.15 does not truncate the DerSimonian-Laird tau² at zero
        # when Q < k - 1; truncated, the random-effects model is the
        # fixed-effect one, which statsmodels also reports.
        estimate, se, tau2 = float(res.mean_effect_fe), float(res.sd_eff_w_fe), 0.0
        ci_low, ci_high = fe_low, fe_high
    else:
        estimate, se, tau2 = float(res.mean_effect_re), float(res.sd_eff_w_re), float(res.tau2)
    t_crit = sps.t.isf(alpha / 2, k - 2)
    half = t_crit * math.sqrt(tau2 + se**2)
    q = float(res.q)
    return Pooled(
        k=k,
        estimate=estimate,
        se=se,
        ci_low=float(ci_low),
        ci_high=float(ci_high),
        pi_low=float(estimate - half),
        pi_high=float(estimate + half),
        tau2=tau2,
        # statsmodels' I² is 1 - (k - 1) / Q, negative when Q < k - 1 (and -inf at Q = 0): reported as 0.
        i2=max(0.0, float(res.i2)) if q > 0 else 0.0,
        q=q,
        method=TAU2_METHODS[method],
    )


@dataclass(frozen=True)
class EggerResult:
    k: int
    intercept: float
    intercept_ci_low: float
    intercept_ci_high: float
    p_value: float


def egger_test(effects, standard_errors) -> EggerResult:
    """Egger's regression test for small-study effects (OLS of z on precision).

    Raises TooFewStudies below MIN_STUDIES_FOR_EGGER, where the test has too
    little power to mean anything (Sterne et al. 2011).
    """
    effects = np.asarray(effects, dtype=float)
    ses = np.asarray(standard_errors, dtype=float)
    k = effects.size
    if k < MIN_STUDIES_FOR_EGGER:
        raise TooFewStudies(f"Egger's test needs at least {MIN_STUDIES_FOR_EGGER} studies, got {k}")
    z = effects / ses
    precision = sm.add_constant(1 / ses)
    fit = sm.OLS(z, precision).fit()
    low, high = fit.conf_int()[0]
    return EggerResult(
        k=k,
        intercept=float(fit.params[0]),
        intercept_ci_low=float(low),
        intercept_ci_high=float(high),
        p_value=float(fit.pvalues[0]),
    )


def per_study(trials: pd.DataFrame) -> pd.DataFrame:
    """One row per trial (the first of its comparisons), with its size band."""
    first = trials.drop_duplicates("study").copy()
    first["size_band"] = pd.Categorical(first["n_randomized"].map(size_band), categories=SIZE_BAND_LABELS, ordered=True)
    return first


def size_band_counts(trials: pd.DataFrame) -> pd.DataFrame:
    """Number of trials per condition group and size band (every band present, zeros included)."""
    studies = per_study(trials)
    counts = studies.groupby(["condition_group", "size_band"], observed=False).size().rename("studies").reset_index()
    return counts


def therapy_findings(trials: pd.DataFrame) -> pd.Series:
    """Each row's finding as a finding about psychodynamic therapy: empty for a combination design.

    A combination design (the therapy alone against the same therapy plus a medicine) tests the
    medicine, so its finding says nothing about the therapy and is left out of every finding count.
    The counts in condition_summary name only tested findings, so a direction without a between-arm
    test (favours_pd_untested, favours_comparator_untested) is never counted as a result.
    """
    return trials["finding"].where(trials["comparator_type"] != "combination")


def condition_summary(trials: pd.DataFrame) -> pd.DataFrame:
    """Per condition group: trials, comparisons, participants, and comparator mix."""
    studies = per_study(trials)
    studies = studies.assign(small=studies["n_randomized"].lt(100).fillna(False).astype(int))
    by_study = studies.groupby("condition_group").agg(
        studies=("study", "size"),
        participants=("n_randomized", "sum"),
        median_n=("n_randomized", "median"),
        smallest_n=("n_randomized", "min"),
        largest_n=("n_randomized", "max"),
        under_100=("small", "sum"),
    )
    # Each count is a sum of 0/1 columns (a column per kind), not a Python function called per group.
    finding = therapy_findings(trials)
    marks = {
        "vs_inactive": trials["comparator_type"].eq("inactive"),
        "vs_active": trials["comparator_type"].eq("active"),
        **{kind: finding.eq(kind) for kind in ("pd_better", "no_difference", "pd_worse", "mixed")},
    }
    flags = pd.DataFrame({name: mark.fillna(False).astype(int) for name, mark in marks.items()})
    flags["condition_group"] = trials["condition_group"]
    comparisons = flags.groupby("condition_group").sum()
    comparisons.insert(0, "comparisons", trials.groupby("condition_group")["id"].size())
    out = by_study.join(comparisons)
    out["participants"] = out["participants"].astype(int)
    out["share_under_100"] = out["under_100"] / out["studies"]
    return out.reset_index()


def pooling_set(trials: pd.DataFrame, comparator_type: str, timepoint: str) -> pd.DataFrame:
    """The rows that may be pooled together for one comparator type and time point.

    Only between-group standardized mean differences against the same kind of
    comparator, at the same time point, one comparison per trial (the one with
    the largest comparator arm, so a shared psychodynamic arm is not counted
    twice). A row with no between-arm test reported (vocab.UNTESTED_FINDINGS) is never pooled.
    """
    if "finding" in trials.columns:
        trials = trials[~trials["finding"].isin(vocab.UNTESTED_FINDINGS)]
    rows = poolable(trials)
    rows = rows[(rows["comparator_type"] == comparator_type) & (rows["es_timepoint"] == timepoint)]
    rows = rows.sort_values(["study", "n_comparator"], ascending=[True, False], na_position="last")
    return rows.drop_duplicates("study")
