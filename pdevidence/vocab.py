"""Plain-language labels for the coded values in the bundled tables."""

CONDITION_GROUPS = {
    "depression": "Depression",
    "anxiety": "Anxiety disorders",
    "somatic": "Somatic symptom disorders",
    "eating": "Eating disorders",
    "substance_use": "Substance use",
    "personality": "Personality disorders",
    "psychosis": "Psychosis",
    "other": "Other",
}
FINDINGS = {
    "pd_better": "Psychodynamic better",
    "no_difference": "No clear difference",
    "pd_worse": "Psychodynamic worse",
    "mixed": "Mixed",
}
DESIGNS = {
    "rct": "Randomized trial",
    "noninferiority_rct": "Randomized non-inferiority trial",
    "pilot_rct": "Pilot randomized trial",
    "nonrandomized_controlled": "Controlled, not randomized",
}
COMPARATOR_TYPES = {
    "inactive": "Inactive control (waitlist, usual care, placebo)",
    "active": "Active treatment (another therapy or medication)",
}
COMPARATOR_CLASSES = {
    "waitlist": "Waitlist",
    "usual_care": "Usual care",
    "placebo": "Placebo",
    "minimal_treatment": "Minimal treatment",
    "cbt": "CBT",
    "ipt": "Interpersonal therapy",
    "dbt": "Dialectical behaviour therapy",
    "medication": "Medication",
    "family_therapy": "Family therapy",
    "supportive_therapy": "Supportive therapy",
    "other_therapy": "Other therapy",
}
ES_TYPES = {
    "g_between": "Hedges' g, between groups",
    "d_between": "Cohen's d, between groups",
    "smd_between": "Standardized mean difference, between groups",
    "g_within": "Hedges' g, within group (before vs after)",
    "d_within": "Cohen's d, within group (before vs after)",
    "odds_ratio": "Odds ratio",
    "risk_ratio": "Risk ratio",
}
VS_INACTIVE = {
    "effective": "Effective",
    "mixed": "Mixed results",
    "little_evidence": "Little evidence",
    "no_trials": "No trials",
}
VS_ACTIVE = {
    "superior": "Better than alternatives",
    "no_difference": "Similar to alternatives",
    "inferior": "Worse than alternatives",
    "mixed": "Mixed results",
    "little_evidence": "Little evidence",
    "no_trials": "No trials",
}
VERDICTS = {
    "supported": "Supported",
    "partly_supported": "Partly supported",
    "overstated": "Overstated",
    "not_supported": "Not supported",
    "not_testable": "Not testable",
}
RISK_OF_BIAS = {
    "low": "Low",
    "some_concerns": "Some concerns",
    "high": "High",
    "not_assessed": "Not assessed",
}
TIMEPOINTS = {"post": "End of treatment", "followup": "Follow-up"}

ALL = {
    **CONDITION_GROUPS,
    **FINDINGS,
    **DESIGNS,
    **COMPARATOR_CLASSES,
}


def label(mapping: dict[str, str], code) -> str:
    """The label of a code, or the code itself when it has none."""
    return mapping.get(code, str(code))
