"""Pooling and small-study tests against independent textbook computations."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from pdevidence import stats

# A small hand-made table (effects and standard errors).
EFFECTS = np.array([0.30, 0.55, 0.12, 0.80, 0.41])
SES = np.array([0.20, 0.15, 0.22, 0.18, 0.12])


def dersimonian_laird(y, se):
    """Textbook DerSimonian-Laird random-effects meta-analysis (Borenstein et al. 2009, ch. 12)."""
    w = 1 / se**2
    fixed = np.sum(w * y) / np.sum(w)
    q = np.sum(w * (y - fixed) ** 2)
    df = len(y) - 1
    c = np.sum(w) - np.sum(w**2) / np.sum(w)
    tau2 = max(0.0, (q - df) / c)
    w_star = 1 / (se**2 + tau2)
    mu = np.sum(w_star * y) / np.sum(w_star)
    se_mu = math.sqrt(1 / np.sum(w_star))
    i2 = max(0.0, (q - df) / q)
    t = sps.t.ppf(0.975, len(y) - 2)
    pi = (mu - t * math.sqrt(tau2 + se_mu**2), mu + t * math.sqrt(tau2 + se_mu**2))
    return mu, se_mu, tau2, i2, q, pi


def test_dersimonian_laird_estimate_matches_the_textbook_formulas():
    mu, se_mu, tau2, i2, q, pi = dersimonian_laird(EFFECTS, SES)
    pooled = stats.pool(EFFECTS, SES, method="dl")
    assert pooled.estimate == pytest.approx(mu, abs=1e-6)
    assert pooled.se == pytest.approx(se_mu, abs=1e-6)
    assert pooled.tau2 == pytest.approx(tau2, abs=1e-6)
    assert pooled.i2 == pytest.approx(i2, abs=1e-6)
    assert pooled.q == pytest.approx(q, abs=1e-6)
    assert pooled.ci_low == pytest.approx(mu - 1.959964 * se_mu, abs=1e-5)
    assert pooled.ci_high == pytest.approx(mu + 1.959964 * se_mu, abs=1e-5)
    assert (pooled.pi_low, pooled.pi_high) == pytest.approx(pi, abs=1e-6)
    assert pooled.k == 5


@pytest.mark.parametrize("method", ["dl", "pm"])
def test_less_spread_than_chance_gives_zero_tau2_and_the_textbook_estimate(method):
    effects, ses = np.array([0.50, 0.52, 0.49]), np.array([0.1, 0.2, 0.3])
    mu, se_mu, tau2, i2, q, pi = dersimonian_laird(effects, ses)
    pooled = stats.pool(effects, ses, method=method)
    assert tau2 == 0
    assert pooled.tau2 == 0
    assert pooled.i2 == 0
    assert pooled.estimate == pytest.approx(mu, abs=1e-9)
    assert pooled.se == pytest.approx(se_mu, abs=1e-9)


def test_paule_mandel_tau2_solves_its_defining_equation():
    pooled = stats.pool(EFFECTS, SES, method="pm")
    w = 1 / (SES**2 + pooled.tau2)
    mu = np.sum(w * EFFECTS) / np.sum(w)
    generalized_q = np.sum(w * (EFFECTS - mu) ** 2)
    assert generalized_q == pytest.approx(len(EFFECTS) - 1, abs=1e-3)
    assert pooled.estimate == pytest.approx(mu, abs=1e-6)


@pytest.mark.parametrize("k", [0, 1, 2])
def test_fewer_than_three_studies_are_not_pooled(k):
    with pytest.raises(stats.TooFewStudies, match="at least 3 studies"):
        stats.pool(EFFECTS[:k], SES[:k])


@pytest.mark.parametrize(
    "effects, ses, message",
    [
        ([0.1, 0.2, 0.3], [0.1, 0.0, 0.1], "standard errors positive"),
        ([0.1, float("nan"), 0.3], [0.1, 0.1, 0.1], "finite"),
        ([0.1, 0.2], [0.1, 0.1, 0.1], "same length"),
    ],
)
def test_invalid_inputs_are_rejected(effects, ses, message):
    with pytest.raises(ValueError, match=message):
        stats.pool(effects, ses)


def test_egger_needs_ten_studies():
    with pytest.raises(stats.TooFewStudies, match="at least 10"):
        stats.egger_test(EFFECTS, SES)


def test_egger_intercept_matches_least_squares_by_hand():
    rng = np.random.default_rng(7)
    ses = rng.uniform(0.08, 0.4, 14)
    effects = 0.3 + 1.5 * ses + rng.normal(0, 0.05, 14)  # small studies report larger effects
    result = stats.egger_test(effects, ses)
    design = np.column_stack([np.ones_like(ses), 1 / ses])
    coef, *_ = np.linalg.lstsq(design, effects / ses, rcond=None)
    assert result.intercept == pytest.approx(coef[0], abs=1e-8)
    assert result.intercept > 0
    assert result.p_value < 0.05


@pytest.mark.parametrize(
    "n, band",
    [
        (12, "<50"),
        (49, "<50"),
        (50, "50-99"),
        (99, "50-99"),
        (100, "100-199"),
        (199, "100-199"),
        (200, "≥200"),
        (1500, "≥200"),
    ],
)
def test_size_bands(n, band):
    assert stats.size_band(n) == band


def _trials(**columns):
    base = {
        "study": ["a", "b", "c", "d", "d"],
        "es_type": ["g_between", "d_within", "g_between", "d_between", "g_between"],
        "es_value": [0.5, 1.8, 0.2, 0.4, 0.1],
        "es_ci_low": [0.1, 1.2, -0.2, 0.0, -0.3],
        "es_ci_high": [0.9, 2.4, 0.6, 0.8, 0.5],
        "es_se": [np.nan] * 5,
        "comparator_type": ["inactive", "inactive", "active", "inactive", "inactive"],
        "es_timepoint": ["post"] * 5,
        "n_comparator": [30, 30, 40, 50, 20],
    }
    base.update(columns)
    return pd.DataFrame(base)


def test_within_group_effects_are_never_poolable():
    rows = stats.poolable(_trials())
    assert "d_within" not in set(rows["es_type"])
    assert list(rows["study"]) == ["a", "c", "d", "d"]


def test_pooling_set_keeps_one_comparator_type_and_one_row_per_trial():
    rows = stats.pooling_set(_trials(), "inactive", "post")
    assert list(rows["study"]) == ["a", "d"]
    assert set(rows["comparator_type"]) == {"inactive"}
    # trial d keeps its comparison with the larger comparator arm
    assert rows.loc[rows["study"] == "d", "n_comparator"].item() == 50


def test_standard_error_comes_from_the_ci_when_not_reported():
    rows = stats.poolable(_trials())
    assert rows["se"].iloc[0] == pytest.approx(0.8 / (2 * 1.959964), abs=1e-6)
