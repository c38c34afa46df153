"""Summary-of-findings rules: GRADE-style certainty, absolute effects and the standard wording (pure functions).

The rating these functions give is ours, computed by the rules below; it is never a review's.
Every threshold is a named constant here and is described in docs/certainty.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats as sps
from statsmodels.stats.meta_analysis import effectsize_2proportions

from pdevidence import stats

LEVELS = ("high", "moderate", "low", "very low")

# Risk of bias: a serious concern when trials at high risk of bias, or not rated, carry more than
# this share of the random-effects weight.
ROB_WEIGHT_SHARE = 0.5
# Inconsistency: I² above this (and a prediction interval including no effect).
I2_LIMIT = 0.5
# Imprecision: fewer people than this in total (the optimal information size GRADE suggests for a
# standardized mean difference of about 0.2 to 0.3), or a CI spanning from trivial to large.
MIN_PEOPLE = 400
# Publication bias: Egger's test below this p, from stats.MIN_STUDIES_FOR_EGGER trials on.
EGGER_P = 0.10

# Size words from |g|, upper bounds (Cohen's conventions).
SIZES = ((0.2, "trivial"), (0.5, "small"), (0.8, "moderate"), (math.inf, "large"))
TRIVIAL, LARGE = 0.2, 0.8

DOMAINS = {
    "risk_of_bias": "Risk of bias",
    "inconsistency": "Inconsistency",
    "imprecision": "Imprecision",
    "publication_bias": "Publication bias",
    "indirectness": "Indirectness",
}


@dataclass(frozen=True)
class Domain:
    """One GRADE domain: whether it is a serious concern (one level down), why, and the figure."""

    domain: str
    concern: bool
    reason: str
    assessed: bool = True

    @property
    def label(self) -> str:
        return DOMAINS[self.domain]


@dataclass(frozen=True)
class Evidence:
    """What the rules need about one body of evidence (one outcome, one comparison).

    Trial-level inputs (g, se, rob, n) may be empty for a published meta-analysis: the domains that need
    them are then "not assessed" and, for risk of bias and imprecision, count as a concern.
    """

    estimate: float
    ci_low: float | None = None
    ci_high: float | None = None
    pi_low: float | None = None
    pi_high: float | None = None
    i2: float | None = None
    tau2: float | None = None
    k: int | None = None
    people: int | None = None
    g: tuple[float, ...] = ()
    se: tuple[float, ...] = ()
    rob: tuple[str, ...] = ()  # per trial: low, some_concerns, high, unknown / not_assessed
    indirectness: str | None = None
    randomized: bool = True
    trial_level: bool = True  # False for a published pooled figure: no trial effects to test for bias here


@dataclass(frozen=True)
class Rating:
    certainty: str
    domains: tuple[Domain, ...] = field(default_factory=tuple)

    @property
    def downgrades(self) -> tuple[Domain, ...]:
        return tuple(d for d in self.domains if d.concern)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _f(x: float) -> str:
    text = f"{x:.2f}"
    return "0.00" if text == "-0.00" else text


def risk_of_bias(ev: Evidence) -> Domain:
    """Serious when trials at high risk of bias or not rated carry more than ROB_WEIGHT_SHARE of the weight."""
    if not ev.rob or len(ev.rob) != len(ev.se):
        return Domain("risk_of_bias", True, "risk of bias not assessed trial by trial (counted as a concern)", False)
    weights = 1 / (np.asarray(ev.se, dtype=float) ** 2 + (ev.tau2 or 0.0))
    weak = np.array([r not in ("low", "some_concerns") for r in ev.rob])
    share = float(weights[weak].sum() / weights.sum())
    unrated = sum(r not in ("low", "some_concerns", "high") for r in ev.rob)
    detail = f"{_pct(share)} of the weight from trials at high risk of bias or not rated"
    if unrated:
        detail += f" ({unrated} of {len(ev.rob)} trials not rated)"
    return Domain("risk_of_bias", share > ROB_WEIGHT_SHARE, detail)


def _opposite(ev: Evidence) -> bool:
    """At least one trial clearly favours each side (its 95% CI wholly above 0, another's wholly below)."""
    if not ev.g:
        return False
    low, high = stats.normal_ci(np.asarray(ev.g, dtype=float), np.asarray(ev.se, dtype=float))
    return bool((low > 0).any() and (high < 0).any())


def inconsistency(ev: Evidence) -> Domain:
    """Serious when I² > I2_LIMIT with a prediction interval that includes no effect, or opposite directions."""
    if ev.i2 is None:
        return Domain("inconsistency", False, "could not be assessed (no trial-level data)", False)
    pi_has_zero = ev.pi_low is not None and ev.pi_high is not None and ev.pi_low <= 0 <= ev.pi_high
    pi = (
        f"prediction interval {_f(ev.pi_low)} to {_f(ev.pi_high)}"
        if ev.pi_low is not None
        else "no prediction interval"
    )
    if _opposite(ev):
        return Domain("inconsistency", True, f"trials point clearly in opposite directions (I² {_pct(ev.i2)})")
    if ev.i2 > I2_LIMIT and pi_has_zero:
        return Domain("inconsistency", True, f"I² {_pct(ev.i2)} and the {pi} includes no effect")
    return Domain("inconsistency", False, f"I² {_pct(ev.i2)}; {pi}")


def imprecision(ev: Evidence) -> Domain:
    """Serious when the CI includes no effect or spans trivial to large, or fewer than MIN_PEOPLE people."""
    if ev.ci_low is None or ev.ci_high is None:
        return Domain("imprecision", True, "no confidence interval reported (counted as a concern)", False)
    ci = f"95% CI {_f(ev.ci_low)} to {_f(ev.ci_high)}"
    reasons = []
    if ev.ci_low <= 0 <= ev.ci_high:
        reasons.append(f"the {ci} includes no effect")
    elif min(abs(ev.ci_low), abs(ev.ci_high)) < TRIVIAL and max(abs(ev.ci_low), abs(ev.ci_high)) >= LARGE:
        reasons.append(f"the {ci} spans from a trivial to a large effect")
    if ev.people is None:
        reasons.append("number of people not reported")
    elif ev.people < MIN_PEOPLE:
        reasons.append(f"only {ev.people:,} people (fewer than {MIN_PEOPLE})")
    if reasons:
        return Domain("imprecision", True, "; ".join(reasons))
    return Domain("imprecision", False, f"{ci}; {ev.people:,} people")


def publication_bias(ev: Evidence) -> Domain:
    """Serious when Egger's test gives p < EGGER_P with at least stats.MIN_STUDIES_FOR_EGGER trials."""
    if not ev.trial_level:
        return Domain(
            "publication_bias",
            False,
            "could not be assessed (a published pooled figure: its trials' effects are not in our data, so "
            "Egger's test cannot be run here)",
            False,
        )
    k = len(ev.g)
    if k < stats.MIN_STUDIES_FOR_EGGER:
        return Domain(
            "publication_bias",
            False,
            f"could not be assessed ({k} trials; Egger's test needs {stats.MIN_STUDIES_FOR_EGGER})",
            False,
        )
    egger = stats.egger_test(ev.g, ev.se)
    if egger.p_value < EGGER_P:
        return Domain("publication_bias", True, f"Egger's test p = {egger.p_value:.3f} (small-study effects)")
    return Domain("publication_bias", False, f"Egger's test p = {egger.p_value:.3f}")


def indirectness(ev: Evidence) -> Domain:
    if ev.indirectness:
        return Domain("indirectness", True, ev.indirectness)
    return Domain("indirectness", False, "no mixed outcomes or populations noted in the data")


def rate(ev: Evidence) -> Rating:
    """Our certainty rating: high for randomized evidence (low otherwise), one level down per serious concern."""
    domains = (risk_of_bias(ev), inconsistency(ev), imprecision(ev), publication_bias(ev), indirectness(ev))
    start = 0 if ev.randomized else 2
    level = min(start + sum(d.concern for d in domains), len(LEVELS) - 1)
    return Rating(LEVELS[level], domains)


def size_word(g: float) -> str:
    """Trivial (< 0.2), small (< 0.5), moderate (< 0.8) or large, from the absolute value of g."""
    for bound, word in SIZES:
        if abs(g) < bound:
            return word
    raise AssertionError("unreachable")


# (verb when it helps, verb when it helps less, little-or-no-difference phrase) by certainty.
WORDING = {
    "high": ("{i} {v}s {o} compared with {c}", "{i} results in little or no difference in {o} compared with {c}"),
    "moderate": (
        "{i} probably {v}s {o} compared with {c}",
        "{i} probably results in little or no difference in {o} compared with {c}",
    ),
    "low": ("{i} may {v} {o} compared with {c}", "{i} may result in little or no difference in {o} compared with {c}"),
    "very low": (
        "We are uncertain whether {il} {v}s {o} compared with {c}",
        "We are uncertain whether {il} makes any difference to {o} compared with {c}",
    ),
}


def statement(
    certainty: str,
    g: float,
    *,
    outcome: str,
    comparison: str,
    k: int,
    people: int | None,
    verb: str = "reduce",
    intervention: str = "Psychodynamic therapy",
) -> str:
    """One sentence in the standard GRADE wording, with the size word from g (positive g favours the therapy)."""
    helps, no_diff = WORDING[certainty]
    size = size_word(g)
    fill = {"i": intervention, "il": intervention.lower(), "v": verb, "o": outcome, "c": comparison}
    if size == "trivial":
        text = no_diff.format(**fill)
    elif g > 0:
        text = helps.format(**fill)
        if certainty != "very low":
            text += f", by a {size} amount"
    else:
        text = helps.format(**fill).replace(" compared with ", " less than ")
        if certainty != "very low":
            text += f", by a {size} amount"
    people_text = f", {people:,} people" if people else ""
    return f"{text} ({k} trial{'s' if k != 1 else ''}{people_text}; {certainty} certainty)."


@dataclass(frozen=True)
class Absolute:
    """Absolute effect: events per 100 without and with the therapy, and the number needed to treat."""

    control_per_100: float
    therapy_per_100: float
    nnt: float | None
    basis: str


def nnt_from_rates(control: float, therapy: float, favourable: bool = True) -> float | None:
    """1 / risk difference, signed so that a positive NNT favours the therapy; None when there is no difference.

    favourable: whether the event is a good outcome (response) or a bad one (a suicide attempt).
    """
    diff = (therapy - control) if favourable else (control - therapy)
    return None if diff == 0 else 1 / diff


def absolute_from_g(g: float, control_rate: float) -> Absolute:
    """Furukawa-Leucht: the therapy group's event rate is Φ(g + Φ⁻¹(CER)); NNT is 1 over the difference.

    A conversion of a standardized mean difference, assuming normal outcomes with equal spread and
    the stated control event rate (the share of people who respond without the therapy).
    """
    if not 0 < control_rate < 1:
        raise ValueError("the control event rate must be between 0 and 1")
    therapy = float(sps.norm.cdf(g + sps.norm.ppf(control_rate)))
    return Absolute(
        100 * control_rate,
        100 * therapy,
        nnt_from_rates(control_rate, therapy),
        f"converted from g (Furukawa-Leucht) with an assumed control response rate of {_pct(control_rate)}",
    )


def absolute_from_events(events_t, n_t, events_c, n_c, favourable: bool = True) -> Absolute:
    """Rates per 100 from event counts: the control rate of all trials together, and the therapy rate
    implied by the random-effects pooled odds ratio (log odds ratios from statsmodels) at that control rate."""
    events_t, n_t, events_c, n_c = (np.asarray(a, dtype=float) for a in (events_t, n_t, events_c, n_c))
    zero = (events_t == 0) | (events_c == 0) | (events_t == n_t) | (events_c == n_c)
    add = np.where(zero, 0.5, 0.0)
    log_or, var = effectsize_2proportions(
        events_t + add, n_t + 2 * add, events_c + add, n_c + 2 * add, statistic="odds-ratio"
    )
    pooled = stats.pool(log_or, np.sqrt(var))
    control = float(events_c.sum() / n_c.sum())
    odds = math.exp(pooled.estimate) * control / (1 - control)
    therapy = odds / (1 + odds)
    return Absolute(
        100 * control,
        100 * therapy,
        nnt_from_rates(control, therapy, favourable),
        f"from the trials' event counts: control rate of all {len(n_c)} trials, pooled odds ratio "
        f"{math.exp(pooled.estimate):.2f}",
    )


def nnt_text(absolute: Absolute) -> str:
    """The NNT in words (rounded up, as is usual), or why there is none."""
    if absolute.nnt is None:
        return "no difference in rates, so no NNT"
    if absolute.nnt < 0:
        return f"NNT {math.ceil(-absolute.nnt)} for the comparison to have one more good outcome"
    return f"NNT {math.ceil(absolute.nnt)}"


RULES = (
    ("Start", "Randomized trials start at high certainty; other designs at low."),
    (
        "Risk of bias",
        f"One level down when trials at high risk of bias, or not rated, carry more than {_pct(ROB_WEIGHT_SHARE)} "
        "of the random-effects weight. Not assessed counts as a concern.",
    ),
    (
        "Inconsistency",
        f"One level down when I² is above {_pct(I2_LIMIT)} and the 95% prediction interval includes no effect, "
        "or when trials point clearly in opposite directions (one trial's 95% CI wholly above 0, another's wholly "
        "below).",
    ),
    (
        "Imprecision",
        f"One level down when the 95% CI includes no effect (0), or spans from trivial (below {TRIVIAL}) to large "
        f"({LARGE} or more), or fewer than {MIN_PEOPLE} people took part in total.",
    ),
    (
        "Publication bias",
        f"One level down when Egger's test gives p < {EGGER_P:.2f}; it needs at least "
        f"{stats.MIN_STUDIES_FOR_EGGER} trials, with fewer it could not be assessed and nothing is taken off.",
    ),
    ("Indirectness", "One level down when the data note mixed outcomes or populations for the line."),
    (
        "Wording",
        "High: 'reduces'; moderate: 'probably reduces'; low: 'may reduce'; very low: 'we are uncertain whether ... "
        "reduces'. Size from g: trivial under 0.2 (worded 'little or no difference'), small under 0.5, moderate "
        "under 0.8, large from 0.8.",
    ),
    (
        "NNT",
        "Number needed to treat: how many people need the therapy instead of the comparison for one more to have a "
        "good outcome. From g it is a conversion (Furukawa-Leucht) with the assumed control response rate stated.",
    ),
)
