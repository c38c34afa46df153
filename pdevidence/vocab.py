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
# Specific condition codes (trials.condition_specific): label, and the condition group each belongs to.
CONDITIONS_SPECIFIC = {
    "major_depression": "Major depression",
    "chronic_depression": "Chronic depression (incl. dysthymia)",
    "postnatal_depression": "Depression after childbirth",
    "minor_depression": "Minor or mild depressive disorders",
    "depression_physical_illness": "Depression with a physical illness",
    "depression_other": "Depression, mixed or not specified",
    "mood_anxiety_mixed": "Mixed mood and anxiety disorders",
    "panic": "Panic disorder",
    "gad": "Generalized anxiety disorder",
    "social_anxiety": "Social anxiety disorder",
    "ptsd": "PTSD",
    "ocd": "Obsessive-compulsive disorder",
    "ibs": "Irritable bowel syndrome",
    "functional_dyspepsia": "Functional dyspepsia",
    "somatic_pain": "Chronic pain or somatic symptoms",
    "anorexia": "Anorexia nervosa",
    "bulimia": "Bulimia nervosa",
    "binge_eating": "Binge eating disorder",
    "cocaine": "Cocaine use",
    "opioid": "Opioid use",
    "alcohol": "Alcohol use",
    "borderline_pd": "Borderline personality disorder",
    "cluster_c_pd": "Cluster C personality disorders",
    "mixed_pd": "Personality disorders, mixed",
    "self_harm": "Self-harm",
    "psychosis": "Psychosis",
    "other_condition": "Other condition",
}
SPECIFIC_GROUP = {
    "major_depression": "depression",
    "chronic_depression": "depression",
    "postnatal_depression": "depression",
    "minor_depression": "depression",
    "depression_physical_illness": "depression",
    "depression_other": "depression",
    "mood_anxiety_mixed": "depression",
    "panic": "anxiety",
    "gad": "anxiety",
    "social_anxiety": "anxiety",
    "ptsd": "anxiety",
    "ocd": "anxiety",
    "ibs": "somatic",
    "functional_dyspepsia": "somatic",
    "somatic_pain": "somatic",
    "anorexia": "eating",
    "bulimia": "eating",
    "binge_eating": "eating",
    "cocaine": "substance_use",
    "opioid": "substance_use",
    "alcohol": "substance_use",
    "borderline_pd": "personality",
    "cluster_c_pd": "personality",
    "mixed_pd": "personality",
    "self_harm": "personality",
    "psychosis": "psychosis",
    "other_condition": "other",
}
FINDINGS = {
    "pd_better": "Psychodynamic better",
    "no_difference": "No clear difference",
    "pd_worse": "Psychodynamic worse",
    "mixed": "Mixed",
    "not_tested": "No head-to-head test reported",
    "favours_pd_untested": "Favours psychodynamic, no between-arm test reported",
    "favours_comparator_untested": "Favours the comparison, no between-arm test reported",
}
# Findings that a reported between-arm test supports; none of UNTESTED_FINDINGS is one of them.
TESTED_FINDINGS = ("pd_better", "no_difference", "pd_worse", "mixed")
# Findings with no between-arm test behind them: never a result in any count, pool, map, verdict or claim.
UNTESTED_FINDINGS = ("not_tested", "favours_pd_untested", "favours_comparator_untested")
DESIGNS = {
    "rct": "Randomized trial",
    "noninferiority_rct": "Randomized non-inferiority trial",
    "pilot_rct": "Pilot randomized trial",
    "nonrandomized_controlled": "Controlled, not randomized",
}
COMPARATOR_TYPES = {
    "inactive": "Inactive control (waitlist, usual care, placebo)",
    "active": "Active treatment (another therapy or medication)",
    "add_on": "Add-on (therapy added to a treatment both groups get)",
    "combination": "Combination (therapy alone vs the same therapy plus a medicine)",
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
    "not_stated": "Not stated in the review",
}
VS_ACTIVE = {
    "superior": "Better than alternatives",
    "no_difference": "Similar to alternatives",
    "inferior": "Worse than alternatives",
    "mixed": "Mixed results",
    "little_evidence": "Little evidence",
    "no_trials": "No trials",
    "not_stated": "Not stated in the review",
}
VERDICTS = {
    "supported": "Supported",
    "partly_supported": "Partly supported",
    "overstated": "Overstated",
    "not_supported": "Not supported",
    "not_testable": "Not testable",
}
TIMEPOINTS = {"post": "End of treatment", "followup": "Follow-up"}
EXCLUSION_KINDS = {
    "not_eligible": "It does not fit the trial table",
    "report_unread": "Its report could not be read here",
}

ALL = {
    **CONDITION_GROUPS,
    **FINDINGS,
    **DESIGNS,
    **COMPARATOR_CLASSES,
}


def label(mapping: dict[str, str], code) -> str:
    """The label of a code, or the code itself when it has none."""
    return mapping.get(code, str(code))
