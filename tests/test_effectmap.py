"""The effect map's per-condition pooling: hand-made trials with known pooled values, the too-few rule,
sources and comparators never pooled together, the study-size lens and the certainty cues."""

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.meta_analysis import combine_effects

from pdevidence import effectmap, stats

Z = 1.959963984540054


def trial(
    study,
    *,
    specific="panic",
    group="anxiety",
    comparator_type="inactive",
    n=60,
    es=None,
    se=None,
    finding="pd_better",
    rob="not_assessed",
    suffix="",
    n_comparator=None,
):
    return {
        "id": study + suffix,
        "study": study,
        "first_author": study.rstrip("0123456789").capitalize(),
        "year": int(study[-4:]),
        "title": f"A trial called {study}",
        "journal": "Journal of Trials",
        "doi": f"10.1000/{study}",
        "pmid": None,
        "condition_group": group,
        "condition_specific": specific,
        "condition": specific.replace("_", " "),
        "comparator": {"inactive": "waitlist", "active": "CBT", "add_on": "drug alone"}[comparator_type],
        "comparator_type": comparator_type,
        "n_randomized": n,
        "n_comparator": n_comparator,
        "finding": finding,
        "es_type": "g_between" if es is not None else None,
        "es_value": es,
        "es_ci_low": None,
        "es_ci_high": None,
        "es_se": se,
        "es_timepoint": "post" if es is not None else None,
        "es_source": "abstract" if es is not None else None,
        "primary_outcome": "symptoms",
        "risk_of_bias": rob,
    }


def frame(rows) -> pd.DataFrame:
    out = pd.DataFrame(rows)
    for column in ("es_value", "es_ci_low", "es_ci_high", "es_se", "n_comparator"):
        out[column] = pd.to_numeric(out[column])
    return out


def metapsy(trial_id, study, g, se, *, main="yes", rob="low", time_point="post"):
    return {
        "id": f"{trial_id}--db--c-symptoms--{time_point}",
        "trial_id": trial_id,
        "study": study,
        "database": "panic-psyctr",
        "database_doi": "10.5281/zenodo.7863722",
        "database_version": "commit abc",
        "licence": "ODC-By-1.0",
        "metapsy_study": study,
        "arm1": "PD",
        "arm1_detail": None,
        "comparator_code": "wl",
        "comparator_class": "usual care",
        "outcome": "c-symptoms",
        "outcome_label": "Symptom scales",
        "outcome_type": "continuous",
        "time_point": time_point,
        "direction_rule": "Lower is better",
        "g": g,
        "se": se,
        "n_arm1": 20,
        "n_arm2": 20,
        "rob_level": rob,
        "main": main,
        "match": "first author and year",
    }


def expected_dl(effects, ses):
    """DerSimonian-Laird straight from statsmodels; tau² below zero is zero, i.e. the fixed-effect result."""
    res = combine_effects(np.asarray(effects, float), np.asarray(ses, float) ** 2, method_re="dl")
    (fe_low, fe_high), (low, high), *_ = res.conf_int(alpha=0.05, use_t=False)
    if res.tau2 < 0:
        return float(res.mean_effect_fe), float(fe_low), float(fe_high)
    return float(res.mean_effect_re), float(low), float(high)


def one(estimates, **where) -> pd.Series:
    mask = pd.Series(True, index=estimates.index)
    for key, value in where.items():
        mask &= estimates[key] == value
    hit = estimates[mask]
    assert len(hit) == 1, (where, hit)
    return hit.iloc[0]


def test_three_curated_trials_pool_to_the_statsmodels_random_effects_estimate():
    effects = [0.2, 0.9, 0.5]
    ses = [0.15, 0.25, 0.2]
    trials = frame([trial(f"alpha{2000 + i}", es=g, se=s, n=80 + 40 * i) for i, (g, s) in enumerate(zip(effects, ses))])
    est = effectmap.pooled_estimates(effectmap.trial_effects(trials))
    row = one(est, condition_specific="panic", comparator_type="inactive", source="curated", lens="all")
    estimate, low, high = expected_dl(effects, ses)
    assert row["status"] == "pooled" and row["k"] == 3
    assert row["estimate"] == pytest.approx(estimate, abs=1e-9)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), abs=1e-9)
    # Q = 5.16 on 2 degrees of freedom here, so I² = 1 - 2/Q.
    q = sum(((np.array(effects) - np.average(effects, weights=1 / np.square(ses))) / np.array(ses)) ** 2)
    assert row["i2"] == pytest.approx(1 - 2 / q, abs=1e-9)
    assert row["participants"] == 80 + 120 + 160
    assert row["text"] == f"{estimate:.2f} ({low:.2f} to {high:.2f}), 3 trials"


def test_an_effect_given_only_as_a_ci_pools_with_the_se_the_ci_implies():
    rows = [trial(f"beta{2000 + i}", es=0.4 + 0.1 * i, se=0.2) for i in range(2)]
    ci = trial("beta2010", es=0.5)
    ci.update(es_ci_low=0.1, es_ci_high=0.9, es_se=None)
    est = effectmap.pooled_estimates(effectmap.trial_effects(frame([*rows, ci])))
    row = one(est, source="curated", lens="all")
    estimate, _, _ = expected_dl([0.4, 0.5, 0.5], [0.2, 0.2, 0.8 / (2 * Z)])
    assert row["estimate"] == pytest.approx(estimate, abs=1e-9)


@pytest.mark.parametrize("k, text", [(1, "1 trial, too few to pool"), (2, "2 trials, too few to pool")])
def test_fewer_than_three_trials_give_a_marker_not_a_number(k, text):
    trials = frame([trial(f"gamma{2000 + i}", es=0.5, se=0.2) for i in range(k)])
    row = one(effectmap.pooled_estimates(effectmap.trial_effects(trials)), lens="all")
    assert row["status"] == "too_few" and row["k"] == k
    assert math.isnan(row["estimate"]) and math.isnan(row["ci_low"])
    assert row["text"] == text


def test_curated_and_metapsy_effects_are_never_pooled_together():
    # Two curated effects and two Metapsy effects for four different trials: four effects in all,
    # but each source alone has two, so nothing is pooled.
    curated = [trial(f"delta{2000 + i}", es=0.5, se=0.2) for i in range(2)]
    other = [trial(f"delta{2010 + i}") for i in range(2)]
    trials = frame([*curated, *other])
    bundled = pd.DataFrame([metapsy(f"delta{2010 + i}", f"delta{2010 + i}", 0.8, 0.3) for i in range(2)])
    effects = effectmap.trial_effects(trials, bundled)
    assert sorted(effects["source"]) == ["curated", "curated", "metapsy", "metapsy"]
    est = effectmap.pooled_estimates(effects)
    for source in ("curated", "metapsy"):
        row = one(est, source=source, lens="all")
        assert row["k"] == 2 and row["status"] == "too_few"
    with pytest.raises(ValueError, match="never pooled together"):
        effectmap.pool_group(effects)


def test_a_trial_with_both_sources_counts_once_in_each_and_each_estimate_names_its_source():
    trials = frame([trial(f"eps{2000 + i}", es=0.3 + 0.2 * i, se=0.2) for i in range(3)])
    bundled = pd.DataFrame([metapsy(f"eps{2000 + i}", f"eps{2000 + i}", 0.6, 0.25) for i in range(3)])
    est = effectmap.pooled_estimates(effectmap.trial_effects(trials, bundled))
    curated = one(est, source="curated", lens="all")
    from_metapsy = one(est, source="metapsy", lens="all")
    assert curated["estimate"] == pytest.approx(expected_dl([0.3, 0.5, 0.7], [0.2] * 3)[0])
    assert from_metapsy["estimate"] == pytest.approx(0.6)
    assert curated["k"] == from_metapsy["k"] == 3


def test_only_rows_marked_main_at_the_end_of_treatment_are_used_from_metapsy():
    trials = frame([trial("zeta2001")])
    bundled = pd.DataFrame(
        [
            metapsy("zeta2001", "zeta2001", 0.5, 0.2),
            {**metapsy("zeta2001", "zeta2001", 2.0, 0.2, main="no"), "id": "x-2"},
            {**metapsy("zeta2001", "zeta2001", 3.0, 0.2, time_point="fu"), "id": "x-3"},
        ]
    )
    effects = effectmap.trial_effects(trials, bundled)
    assert effects["estimate"].tolist() == [0.5]


def test_active_add_on_and_inactive_comparisons_are_pooled_apart_and_add_on_is_never_active():
    rows = []
    for i in range(3):
        rows.append(trial(f"eta{2000 + i}", comparator_type="inactive", es=0.8, se=0.2, suffix="-wl"))
        rows.append(trial(f"eta{2000 + i}", comparator_type="active", es=0.0, se=0.2, suffix="-cbt"))
        rows.append(trial(f"theta{2000 + i}", comparator_type="add_on", es=1.2, se=0.3))
    est = effectmap.pooled_estimates(effectmap.trial_effects(frame(rows)))
    assert one(est, comparator_type="inactive", lens="all")["estimate"] == pytest.approx(0.8)
    assert one(est, comparator_type="active", lens="all")["estimate"] == pytest.approx(0.0)
    assert one(est, comparator_type="add_on", lens="all")["estimate"] == pytest.approx(1.2)
    active = one(est, comparator_type="active", lens="all")
    assert "Theta" not in active["trials"] and active["k"] == 3


def test_a_comparison_without_a_head_to_head_test_never_enters_a_pool():
    rows = [trial(f"iota{2000 + i}", comparator_type="active", es=0.0, se=0.2) for i in range(2)]
    rows.append(trial("iota2010", comparator_type="active", es=0.0, se=0.2, finding="not_tested"))
    row = one(effectmap.pooled_estimates(effectmap.trial_effects(frame(rows))), lens="all")
    assert row["k"] == 2 and row["status"] == "too_few"


def test_a_trial_with_two_comparisons_of_one_kind_is_counted_once():
    rows = [
        trial("kappa2001", comparator_type="active", es=0.1, se=0.2, suffix="-cbt", n_comparator=50),
        trial("kappa2001", comparator_type="active", es=0.9, se=0.2, suffix="-ipt", n_comparator=30),
        trial("kappa2002", comparator_type="active", es=0.2, se=0.2),
    ]
    effects = effectmap.trial_effects(frame(rows))
    assert effects["trial_id"].tolist() == ["kappa2001-cbt", "kappa2002"]


def test_the_size_lens_pools_large_trials_alone_and_states_the_change():
    small = [trial(f"lam{2000 + i}", n=40, es=1.0, se=0.3) for i in range(2)]
    large = [trial(f"mu{2000 + i}", n=150 + 50 * i, es=0.2 + 0.1 * i, se=0.12) for i in range(3)]
    est = effectmap.pooled_estimates(effectmap.trial_effects(frame([*small, *large])))
    all_trials = one(est, lens="all")
    only_large = one(est, lens="large")
    assert all_trials["k"] == 5 and only_large["k"] == 3
    assert all_trials["share_small"] == pytest.approx(2 / 5)
    assert only_large["share_small"] == 0
    assert only_large["estimate"] == pytest.approx(expected_dl([0.2, 0.3, 0.4], [0.12] * 3)[0])
    change = effectmap.size_change(est).iloc[0]
    assert change["change"] == pytest.approx(only_large["estimate"] - all_trials["estimate"])
    assert change["change_text"] == f"{abs(change['change']):.2f} smaller without the 2 small trial(s)"


def test_the_size_lens_says_when_too_few_large_trials_are_left():
    rows = [trial(f"nu{2000 + i}", n=40 if i else 200, es=0.5, se=0.2) for i in range(3)]
    change = effectmap.size_change(effectmap.pooled_estimates(effectmap.trial_effects(frame(rows)))).iloc[0]
    assert change["large"] == "1 trial, too few to pool"
    assert change["change_text"] == "without the 2 small trial(s), 1 left: too few to pool"


def test_certainty_cues_count_small_trials_large_trials_and_ratings():
    rows = [
        trial("xi2001", n=40, rob="low"),
        trial("xi2002", n=80, rob="high"),
        trial("xi2003", n=120),
        trial("xi2004", n=90),
        trial("omicron2001", specific="gad", n=50),
    ]
    bundled = pd.DataFrame([metapsy("xi2003", "xi2003", 0.4, 0.2, rob="low")])
    cues = effectmap.condition_cues(frame(rows), bundled).set_index("condition_specific")
    panic = cues.loc["panic"]
    assert panic["trials"] == 4 and panic["participants"] == 330
    assert panic["share_under_100"] == pytest.approx(3 / 4)
    assert panic["any_large"]
    # Rated: xi2001 low, xi2002 high (trial table), xi2003 low (Metapsy); xi2004 unrated.
    assert panic["rob_rated"] == 3 and panic["share_low_rob"] == pytest.approx(2 / 3)
    gad = cues.loc["gad"]
    assert not gad["any_large"] and gad["rob_rated"] == 0 and math.isnan(gad["share_low_rob"])


def test_the_table_gives_the_verdict_or_not_stated_and_a_published_estimate_with_its_source():
    rows = [trial(f"pi{2000 + i}", es=0.5, se=0.2) for i in range(3)] + [trial("rho2001", specific="gad")]
    trials = frame(rows)
    verdicts = pd.DataFrame(
        [
            {"id": "v-panic", "condition_specific": "panic", "vs_inactive": "effective", "vs_active": "not_stated"},
        ]
    )
    meta = pd.DataFrame(
        [
            {
                "id": "keefe2014-panic",
                "first_author": "Keefe",
                "year": 2014,
                "treatment": "psychodynamic",
                "condition_specific": "panic",
                "comparison": "vs_control",
                "es_value": 0.64,
                "es_ci_low": 0.3,
                "es_ci_high": 0.98,
                "k_studies": 5,
            }
        ]
    )
    effects, est = effectmap.build({"trials": trials, "metapsy_effects": None})
    table = effectmap.condition_table(trials, est, verdicts, effectmap.published_estimates(meta), effects).set_index(
        "condition_specific"
    )
    assert table.loc["panic", "verdict_inactive"] == "effective"
    assert table.loc["panic", "verdict_active"] == "not stated"
    assert table.loc["gad", "verdict_inactive"] == "not stated"
    assert table.loc["panic", "published"] == "0.64 (0.30 to 0.98) vs control, 5 studies (Keefe 2014)"
    assert table.loc["gad", "published"] == "none found"
    assert table.loc["panic", "inactive_curated"].endswith("3 trials")
    assert table.loc["gad", "inactive_curated"] == "no trial effects"
    assert table.loc["panic", "inactive_metapsy"] == "no trial effects"


def test_a_metapsy_effect_takes_the_curated_comparator_class():
    # The database calls the drug-alone arm "usual care"; the curated row says add-on.
    trials = frame([trial("sigma1996", comparator_type="add_on")])
    effects = effectmap.trial_effects(trials, pd.DataFrame([metapsy("sigma1996", "sigma1996", 1.3, 0.35)]))
    assert effects["comparator_type"].tolist() == ["add_on"]
    assert effects["source"].tolist() == ["metapsy"]
    assert "panic-psyctr" in effects["detail"].iloc[0] and "10.5281/zenodo.7863722" in effects["detail"].iloc[0]


def test_explore_links_carry_the_group_and_the_specific_condition():
    assert effectmap.explore_link("anxiety", "social_anxiety") == "explore?condition=anxiety&specific=social_anxiety"
    assert effectmap.explore_link("anxiety", None) == "explore?condition=anxiety"


def test_no_effects_at_all_gives_empty_estimates_not_an_error():
    trials = frame([trial("tau2001")])
    effects, est = effectmap.build({"trials": trials})
    assert effects.empty and est.empty
    table = effectmap.condition_table(trials, est)
    assert table.loc[0, "inactive_curated"] == "no trial effects" and table.loc[0, "trials"] == 1


def test_pooling_uses_the_stats_module_minimum():
    assert stats.MIN_STUDIES_TO_POOL == 3


def test_every_bundled_metapsy_effect_belongs_to_a_curated_trial_and_fits_its_size(tables):
    trials = tables["trials"].set_index("id")
    bundled = tables["metapsy_effects"]
    assert len(bundled) > 0
    assert set(bundled["trial_id"]) <= set(trials.index)
    rows = bundled.join(trials[["study", "n_randomized", "n_pd"]], on="trial_id", rsuffix="_trial")
    assert (rows["study"] == rows["study_trial"]).all()
    assert (rows["n_arm1"] + rows["n_arm2"] <= rows["n_randomized"]).all()
    known = rows["n_pd"].notna()
    assert (rows.loc[known, "n_arm1"] <= rows.loc[known, "n_pd"]).all()
    # One effect per comparison feeds the map, and each row carries its credit.
    assert not bundled[bundled["main"] == "yes"].duplicated(["trial_id", "time_point"]).any()
    assert set(bundled["licence"]) == {"ODC-By-1.0"}
    assert bundled["database_version"].str.len().gt(0).all()


def test_the_bundled_metapsy_effects_match_a_fresh_build_from_the_shared_databases():
    from tables import assert_build_is_fresh

    assert_build_is_fresh("build_metapsy_effects.py")


def test_a_published_figure_read_only_in_a_citing_source_says_so():
    meta = pd.DataFrame(
        [
            {
                "id": "abbass2006-x",
                "first_author": "Abbass",
                "year": 2006,
                "treatment": "psychodynamic_short",
                "condition_specific": "panic;gad",
                "comparison": "vs_control",
                "es_value": 0.97,
                "es_ci_low": None,
                "es_ci_high": None,
                "k_studies": None,
                "cited_in": "APA press release",
                "figure_source": "citing_source_only",
            }
        ]
    )
    published = effectmap.published_estimates(meta).set_index("condition_specific")
    assert sorted(published.index) == ["gad", "panic"]
    assert published.loc["gad", "meta_text"] == (
        "0.97 (no CI reported) vs control (as reported by APA press release; not found in the review) (Abbass 2006)"
    )


def test_the_map_chart_keeps_sources_apart_and_names_the_trials_in_its_hover():
    from pdevidence import charts

    trials = frame([trial(f"phi{2000 + i}", es=0.3 + 0.2 * i, se=0.2, n=60 + 50 * i) for i in range(3)])
    bundled = pd.DataFrame([metapsy(f"phi{2000 + i}", f"phi{2000 + i}", 0.6, 0.25) for i in range(2)])
    effects, est = effectmap.build({"trials": trials, "metapsy_effects": bundled})
    fig = charts.effect_map(effects, est, {"panic": "Panic disorder"})
    names = {t.name for t in fig.data if t.name}
    assert names == {
        "One trial (Trial reports)",
        "One trial (Metapsy databases)",
        "Pooled, 95% CI (Trial reports)",
    }
    pooled = next(t for t in fig.data if t.name == "Pooled, 95% CI (Trial reports)")
    assert "Phi 2000 vs waitlist" in pooled.customdata[0][5]
    colours = {t.name: t.marker.color for t in fig.data if t.name}
    assert colours["One trial (Trial reports)"] != colours["One trial (Metapsy databases)"]
    labels = " ".join(a.text for a in fig.layout.annotations)
    assert "Metapsy databases: 2 trials, too few to pool" in labels
    assert "Trial reports: pooled" in labels
    large = charts.effect_map(effects, est, {"panic": "Panic disorder"}, lens="large")
    singles = next(t for t in large.data if t.name == "One trial (Trial reports)")
    assert sorted(singles.x) == [0.5, 0.7]
