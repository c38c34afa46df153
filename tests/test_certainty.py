"""The summary-of-findings rules on constructed inputs: one test per domain and per boundary, wording, NNT."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from pdevidence import certainty
from pdevidence.certainty import Evidence


def clean(**changes) -> Evidence:
    """Evidence with no concern in any domain; tests change one thing at a time."""
    base = dict(
        estimate=0.5,
        ci_low=0.3,
        ci_high=0.7,
        pi_low=0.1,
        pi_high=0.9,
        i2=0.2,
        tau2=0.01,
        k=5,
        people=800,
        g=(0.4, 0.5, 0.6, 0.45, 0.55),
        se=(0.15, 0.15, 0.15, 0.15, 0.15),
        rob=("low",) * 5,
    )
    return Evidence(**{**base, **changes})


def concerns(ev: Evidence) -> set[str]:
    return {d.domain for d in certainty.rate(ev).downgrades}


def test_clean_randomized_evidence_is_high_certainty():
    rating = certainty.rate(clean())
    assert rating.certainty == "high"
    assert rating.downgrades == ()


def test_non_randomized_evidence_starts_low():
    assert certainty.rate(clean(randomized=False)).certainty == "low"


@pytest.mark.parametrize(
    ("rob", "concern"),
    [
        (("high", "high", "high", "low", "low"), True),  # 60% of equal weights
        (("high", "high", "low", "low", "low"), False),  # 40%
        (("unknown", "unknown", "unknown", "low", "low"), True),  # not rated counts as a concern
        (("some_concerns",) * 5, False),
    ],
)
def test_risk_of_bias_is_a_concern_above_half_the_weight_from_high_or_unrated_trials(rob, concern):
    domain = certainty.risk_of_bias(clean(rob=rob))
    assert domain.concern is concern
    assert "% of the weight" in domain.reason


def test_risk_of_bias_weighs_by_precision_not_by_count():
    # One large high-risk trial outweighs four small low-risk ones.
    ev = clean(rob=("high", "low", "low", "low", "low"), se=(0.05, 0.3, 0.3, 0.3, 0.3), tau2=0.0)
    domain = certainty.risk_of_bias(ev)
    assert domain.concern and domain.reason.startswith("90%")


def test_risk_of_bias_not_assessed_at_all_is_a_concern():
    domain = certainty.risk_of_bias(clean(rob=()))
    assert domain.concern and not domain.assessed and "not assessed" in domain.reason


@pytest.mark.parametrize(
    ("i2", "pi_low", "concern"),
    [(0.50, -0.1, False), (0.5001, -0.1, True), (0.8, 0.05, False), (0.8, 0.0, True)],
)
def test_inconsistency_needs_i2_above_half_and_a_prediction_interval_including_no_effect(i2, pi_low, concern):
    assert certainty.inconsistency(clean(i2=i2, pi_low=pi_low)).concern is concern


def test_trials_in_clearly_opposite_directions_are_inconsistent_whatever_i2():
    ev = clean(i2=0.3, g=(0.9, -0.9, 0.5, 0.5, 0.5), se=(0.2, 0.2, 0.3, 0.3, 0.3))
    domain = certainty.inconsistency(ev)
    assert domain.concern and "opposite directions" in domain.reason


@pytest.mark.parametrize(
    ("ci_low", "ci_high", "people", "concern"),
    [
        (0.0, 0.6, 800, True),  # CI touching 0
        (0.01, 0.6, 800, False),
        (-0.2, 0.6, 800, True),
        (0.1, 0.8, 800, True),  # trivial to large
        (0.2, 0.8, 800, False),
        (0.3, 0.7, 399, True),
        (0.3, 0.7, 400, False),
    ],
)
def test_imprecision_boundaries(ci_low, ci_high, people, concern):
    assert certainty.imprecision(clean(ci_low=ci_low, ci_high=ci_high, people=people)).concern is concern


def test_imprecision_without_a_confidence_interval_is_a_concern():
    domain = certainty.imprecision(clean(ci_low=None, ci_high=None))
    assert domain.concern and not domain.assessed


def funnel(k: int, asymmetric: bool):
    rng = np.random.default_rng(3)
    se = np.linspace(0.08, 0.45, k)
    g = 0.3 + (2.5 * se if asymmetric else 0) + rng.normal(0, 0.02, k)
    return tuple(g), tuple(se)


def test_publication_bias_with_nine_trials_could_not_be_assessed_and_costs_nothing():
    g, se = funnel(9, asymmetric=True)
    domain = certainty.publication_bias(clean(g=g, se=se, rob=("low",) * 9))
    assert not domain.concern and not domain.assessed
    assert "could not be assessed (9 trials" in domain.reason


def test_publication_bias_with_ten_asymmetric_trials_is_a_concern():
    g, se = funnel(10, asymmetric=True)
    domain = certainty.publication_bias(clean(g=g, se=se, rob=("low",) * 10))
    assert domain.concern and domain.reason.startswith("Egger's test p = ")


def test_publication_bias_with_ten_symmetric_trials_is_no_concern():
    rng = np.random.default_rng(5)
    se = np.linspace(0.08, 0.45, 10)
    g = 0.3 + rng.normal(0, 1, 10) * se
    domain = certainty.publication_bias(clean(g=tuple(g), se=tuple(se), rob=("low",) * 10))
    assert domain.assessed and not domain.concern


def test_indirectness_comes_from_the_data_note():
    assert not certainty.indirectness(clean()).concern
    domain = certainty.indirectness(clean(indirectness="mixed depression and anxiety populations"))
    assert domain.concern and domain.reason == "mixed depression and anxiety populations"


def test_each_concern_takes_one_level_and_very_low_is_the_floor():
    assert certainty.rate(clean(people=300)).certainty == "moderate"
    assert certainty.rate(clean(people=300, rob=("high",) * 5)).certainty == "low"
    worst = clean(people=300, rob=("high",) * 5, i2=0.9, pi_low=-0.5, indirectness="mixed")
    assert certainty.rate(worst).certainty == "very low"
    assert len(certainty.rate(worst).downgrades) == 4


@pytest.mark.parametrize(
    ("g", "word"),
    [
        (0.0, "trivial"),
        (0.199, "trivial"),
        (0.2, "small"),
        (0.499, "small"),
        (0.5, "moderate"),
        (0.8, "large"),
        (-0.6, "moderate"),
    ],
)
def test_size_words(g, word):
    assert certainty.size_word(g) == word


@pytest.mark.parametrize(
    ("level", "start"),
    [
        ("high", "Psychodynamic therapy reduces depression symptoms compared with no real treatment, by a moderate"),
        ("moderate", "Psychodynamic therapy probably reduces depression symptoms compared with no real treatment"),
        ("low", "Psychodynamic therapy may reduce depression symptoms compared with no real treatment"),
        ("very low", "We are uncertain whether psychodynamic therapy reduces depression symptoms compared with"),
    ],
)
def test_standard_wording_by_certainty(level, start):
    text = certainty.statement(
        level, 0.55, outcome="depression symptoms", comparison="no real treatment", k=11, people=1337
    )
    assert text.startswith(start)
    assert text.endswith(f"(11 trials, 1,337 people; {level} certainty).")


def test_a_trivial_effect_is_worded_as_little_or_no_difference():
    text = certainty.statement("low", 0.1, outcome="symptoms", comparison="other treatments", k=4, people=500)
    assert text.startswith("Psychodynamic therapy may result in little or no difference in symptoms")


def test_an_effect_favouring_the_comparison_is_worded_as_less():
    text = certainty.statement("moderate", -0.3, outcome="symptoms", comparison="CBT", k=4, people=500)
    assert text.startswith("Psychodynamic therapy probably reduces symptoms less than CBT, by a small amount")


@pytest.mark.parametrize(("g", "cer"), [(0.49, 0.17), (0.2, 0.3), (0.8, 0.5), (1.1, 0.1)])
def test_nnt_from_g_matches_an_independent_scipy_computation(g, cer):
    # Independent route: the share of the therapy group above the control group's response threshold,
    # with outcomes N(g, 1) against N(0, 1) and the threshold at the control group's (1 - CER) quantile.
    threshold = sps.norm(0, 1).isf(cer)
    therapy = sps.norm(g, 1).sf(threshold)
    absolute = certainty.absolute_from_g(g, cer)
    assert absolute.therapy_per_100 == pytest.approx(100 * therapy)
    assert absolute.nnt == pytest.approx(1 / (therapy - cer))
    assert "Furukawa-Leucht" in absolute.basis and f"{round(100 * cer)}%" in absolute.basis


def test_nnt_from_events_uses_the_pooled_odds_ratio_at_the_control_rate():
    events_t, n_t, events_c, n_c = [30, 20, 25], [50, 40, 50], [15, 10, 12], [50, 40, 50]
    absolute = certainty.absolute_from_events(events_t, n_t, events_c, n_c)
    control = sum(events_c) / sum(n_c)
    assert absolute.control_per_100 == pytest.approx(100 * control)
    # With no heterogeneity the pooled log OR is the inverse-variance mean of the trials' log ORs.
    log_or = np.log(
        (np.array(events_t) / (np.array(n_t) - events_t)) / (np.array(events_c) / (np.array(n_c) - events_c))
    )
    var = (
        1 / np.array(events_t)
        + 1 / (np.array(n_t) - events_t)
        + 1 / np.array(events_c)
        + 1 / (np.array(n_c) - events_c)
    )
    pooled = math.exp((log_or / var).sum() / (1 / var).sum())
    odds = pooled * control / (1 - control)
    assert absolute.therapy_per_100 == pytest.approx(100 * odds / (1 + odds), rel=1e-6)
    assert absolute.nnt == pytest.approx(1 / (odds / (1 + odds) - control), rel=1e-6)
    assert certainty.nnt_text(absolute) == f"NNT {math.ceil(absolute.nnt)}"


def test_the_control_rate_must_be_a_proportion():
    with pytest.raises(ValueError, match="between 0 and 1"):
        certainty.absolute_from_g(0.5, 1.2)
