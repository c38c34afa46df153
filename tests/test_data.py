"""The bundled tables: schema, integrity, coverage, and a cross-check against Metapsy."""

import re
import unicodedata

import pandas as pd
import pytest
from conftest import SHARED_METAPSY
from tables import raw_table, with_values

from pdevidence import load, stats

# Conditions the 2015 review covers, and how to recognise their trials.
CONDITIONS = {
    "v-depression": ("depression", r"depress"),
    "v-panic": ("anxiety", r"panic"),
    "v-gad": ("anxiety", r"generali[sz]ed anxiety"),
    "v-social-anxiety": ("anxiety", r"social anxiety|social phobia"),
    "v-ptsd": ("anxiety", r"post-?traumatic|ptsd"),
    "v-ocd": ("anxiety", r"obsessive"),
    "v-somatic": ("somatic", r"."),
    "v-anorexia": ("eating", r"anorexia"),
    "v-bulimia": ("eating", r"bulimia"),
    "v-binge-eating": ("eating", r"binge"),
    "v-cocaine": ("substance_use", r"cocaine"),
    "v-opioids": ("substance_use", r"opi"),
    "v-borderline": ("personality", r"borderline"),
    "v-cluster-c": ("personality", r"cluster c|avoidant|personality disorders"),
    "v-psychosis": ("psychosis", r"."),
}


def test_every_table_validates_against_the_schema(tables):
    assert set(tables) == set(load.read_schema())
    for name, frame in tables.items():
        if name == "exclusions":
            continue  # may be empty; its own tests below
        assert len(frame) > 0, name


def test_every_trial_names_where_its_figures_were_read(trials):
    # (a trial without DOI or PMID is refused by the loader: see the mutated-copy tests below)
    assert trials["source_location"].str.len().gt(3).all()
    has_es = trials["es_value"].notna()
    assert trials.loc[has_es, "es_source"].notna().all()


def test_unconfirmed_rows_explain_themselves_in_the_note(trials, tables):
    for frame in (trials, tables["meta_analyses"]):
        unconfirmed = frame[frame["verification"] == "unconfirmed"]
        assert unconfirmed["note"].notna().all(), list(unconfirmed.loc[unconfirmed["note"].isna(), "id"])


def test_only_between_group_effects_are_ever_pooled(trials):
    rows = stats.poolable(trials)
    assert set(rows["es_type"]) <= set(stats.BETWEEN_GROUP_SMD)
    within = trials[trials["es_type"].isin(["g_within", "d_within"])]
    assert not set(within["id"]) & set(rows["id"])
    for kind in ("inactive", "active"):
        for time in ("post", "followup"):
            chosen = stats.pooling_set(trials, kind, time)
            assert set(chosen["comparator_type"]) <= {kind}
            assert chosen["study"].is_unique


@pytest.mark.parametrize("verdict_id", CONDITIONS)
def test_every_condition_of_the_review_has_a_verdict_and_a_trial_or_says_why_not(tables, verdict_id):
    verdicts = tables["verdicts"].set_index("id")
    assert verdict_id in verdicts.index
    group, pattern = CONDITIONS[verdict_id]
    assert verdicts.loc[verdict_id, "condition_group"] == group
    trials = tables["trials"]
    matching = trials[
        (trials["condition_group"] == group) & trials["condition"].str.contains(pattern, case=False, regex=True)
    ]
    if matching.empty:
        # A condition may lack a confirmed trial; then its verdict must say so.
        assert "No trial yet in our trial table" in verdicts.loc[verdict_id, "note"], f"no trial for {verdict_id}"


def test_every_claim_links_to_evidence_that_exists(tables):
    known = set(tables["trials"]["id"]) | set(tables["meta_analyses"]["id"]) | set(tables["verdicts"]["id"])
    for claim in tables["claims"].itertuples():
        ids = load.split_ids(claim.evidence)
        assert ids, claim.id
        assert set(ids) <= known, (claim.id, set(ids) - known)


def test_claims_are_paraphrased_not_copied_from_the_article(tables):
    article = SHARED_METAPSY.parent / "seed" / "article.txt"
    text = re.sub(r"\s+", " ", article.read_text(encoding="utf-8")).lower()
    for claim in tables["claims"]["claim"]:
        words = re.sub(r"\s+", " ", claim).lower().split()
        # no run of 10 consecutive words of a claim appears in the article
        for i in range(max(0, len(words) - 9)):
            assert " ".join(words[i : i + 10]) not in text, claim


# --- malformed input is rejected with a message that names the problem -----

TRIALS_CSV = load.DATA_DIR / "trials.csv"


def _mutate(column, value, row=0):
    frame = pd.read_csv(TRIALS_CSV, dtype=str, keep_default_na=False)
    frame.loc[row, column] = value
    return frame.to_csv(index=False)


@pytest.mark.parametrize(
    "text, message",
    [
        (lambda: _mutate("n_randomized", "many"), r"row 2, column n_randomized: 'many' is not a integer"),
        (lambda: _mutate("doi", "doi:10.1000/x"), r"row 2, column doi"),
        (lambda: _mutate("finding", "great"), r"column finding"),
        (lambda: _mutate("n_randomized", "-4"), r"column n_randomized"),
        (lambda: _mutate("id", pd.read_csv(TRIALS_CSV, dtype=str)["id"][1]), r"column id"),
        (lambda: _mutate("n_pd", "100000"), r"arm sizes add up to more than n_randomized on row\(s\) 2"),
        (
            lambda: pd.read_csv(TRIALS_CSV, dtype=str).drop(columns=["pmid"]).to_csv(index=False),
            r"missing column\(s\): pmid",
        ),
        (lambda: 'id,study\n"unclosed,', r"trials"),
        (lambda: "", r"not a readable CSV"),
    ],
)
def test_a_malformed_trials_file_is_rejected_naming_the_row(text, message):
    with pytest.raises(load.DataError, match=message):
        load.parse_table("trials", text())


def test_an_estimate_outside_its_interval_is_rejected():
    frame = pd.read_csv(TRIALS_CSV, dtype=str, keep_default_na=False)
    frame.loc[0, ["es_type", "es_value", "es_ci_low", "es_ci_high", "es_timepoint", "es_source"]] = [
        "g_between",
        "0.9",
        "0.1",
        "0.5",
        "post",
        "abstract",
    ]
    with pytest.raises(load.DataError, match=r"95% CI does not contain its estimate on row\(s\) 2"):
        load.parse_table("trials", frame.to_csv(index=False))


# Rules the loader enforces are checked on a mutated copy: the bundled tables could never reach a test
# that asserted them on the real data (reading them would fail first).


@pytest.mark.parametrize(
    "values, message",
    [
        ({"doi": "", "pmid": ""}, r"neither DOI nor PMID on row\(s\) 2"),
        ({"n_randomized": "0"}, r"row 2, column n_randomized: greater_than_or_equal_to\(1\)"),
        ({"n_pd": "5000"}, r"arm sizes add up to more than n_randomized on row\(s\) 2"),
    ],
)
def test_a_trial_without_an_identifier_or_with_impossible_sizes_is_rejected(values, message):
    frame = pd.read_csv(TRIALS_CSV, dtype=str, keep_default_na=False)
    for column, value in values.items():
        frame.loc[0, column] = value
    with pytest.raises(load.DataError, match=message):
        load.parse_table("trials", frame.to_csv(index=False))


def test_a_meta_analysis_estimate_outside_its_interval_is_rejected():
    frame = pd.read_csv(load.DATA_DIR / "meta_analyses.csv", dtype=str, keep_default_na=False)
    row = frame.index[frame["es_value"] != ""][0]
    frame.loc[row, ["es_value", "es_ci_low", "es_ci_high"]] = ["0.9", "0.1", "0.5"]
    with pytest.raises(load.DataError, match=rf"95% CI does not contain its estimate on row\(s\) {row + 2}"):
        load.parse_table("meta_analyses", frame.to_csv(index=False))


def test_parsing_never_changes_the_bundled_file():
    before = TRIALS_CSV.read_bytes()
    with pytest.raises(load.DataError):
        load.parse_table("trials", _mutate("finding", "great"))
    assert TRIALS_CSV.read_bytes() == before


# --- cross-check against the Metapsy databases -------------------------------


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def metapsy_psychodynamic_arms() -> pd.DataFrame:
    """Per Metapsy study with a psychodynamic arm: randomized and analysed Ns per comparison."""
    codes = {"dyn", "pd", "pdp", "mbt", "tfp"}
    frames = []
    for path in sorted(SHARED_METAPSY.glob("*.csv")):
        data = pd.read_csv(path, sep=";", decimal=",", na_values=["NA"], low_memory=False)
        if "condition_arm1" not in data:
            continue  # total-response: treatments named in `therapy` (its reviewed coding), none psychodynamic
        arm = data["condition_arm1"].astype(str).str.strip().str.lower()
        data = data[arm.isin(codes)]
        if data.empty:
            continue
        for column in ("rand_arm1", "rand_arm2"):
            if column not in data:
                data[column] = float("nan")
        data = data.assign(database=path.stem)
        frames.append(data[["study", "database", "rand_arm1", "rand_arm2", "n_arm1", "n_arm2"]])
    out = pd.concat(frames, ignore_index=True)
    out["author"] = out["study"].str.split(",").str[0].map(_ascii).str.strip()
    out["year"] = pd.to_numeric(out["study"].str.extract(r"(\d{4})")[0], errors="coerce")
    return out


def test_sample_sizes_agree_with_metapsy_or_the_note_explains(trials, capsys):
    arms = metapsy_psychodynamic_arms()
    overlapping = 0
    problems = []
    for study, rows in trials.groupby("study"):
        first = rows.iloc[0]
        match = arms[(arms["author"] == _ascii(first["first_author"]).split()[-1]) & (arms["year"] == first["year"])]
        if match.empty:
            continue
        overlapping += 1
        ours = {int(first["n_randomized"])}
        ours |= {int(a + b) for a, b in zip(rows["n_pd"], rows["n_comparator"]) if pd.notna(a) and pd.notna(b)}
        theirs = set()
        for _, m in match.iterrows():
            for a, b in (("rand_arm1", "rand_arm2"), ("n_arm1", "n_arm2")):
                if pd.notna(m[a]) and pd.notna(m[b]):
                    theirs.add(int(round(m[a] + m[b])))
        explained = rows["note"].fillna("").str.contains("Metapsy", case=False).any()
        if not ours & theirs and not explained:
            problems.append(f"{study}: ours {sorted(ours)}, Metapsy {sorted(theirs)}")
    with capsys.disabled():
        print(f"\nTrials also in the Metapsy databases: {overlapping}")
    assert overlapping >= 3
    assert not problems, problems


# --- issue 10: codes say only what the sources say -----------------------------


def test_specific_condition_codes_have_labels_and_one_group_each():
    from pdevidence import vocab

    enum = load.read_schema()["trials"]["columns"]["condition_specific"]["enum"]
    assert set(enum) == set(vocab.CONDITIONS_SPECIFIC) == set(vocab.SPECIFIC_GROUP)
    groups = load.read_schema()["trials"]["columns"]["condition_group"]["enum"]
    assert set(vocab.SPECIFIC_GROUP.values()) <= set(groups)


def test_every_trial_has_a_specific_condition_of_its_group(trials):
    from pdevidence import vocab

    assert trials["condition_specific"].notna().all()
    assert (trials["condition_specific"].map(vocab.SPECIFIC_GROUP) == trials["condition_group"]).all()
    social = trials[trials["condition"].str.contains("social anxiety|social phobia", case=False)]
    assert set(social["condition_specific"]) == {"social_anxiety"}


@pytest.mark.parametrize(
    "row_id, values, message",
    [
        # no_difference needs a reported test between the two arms
        ("barber2012-med", {"between_arm_test": "not_reported"}, r"no_difference needs a reported between-arm test"),
        ("cooper2003-cbt", {"finding": "no_difference"}, r"no_difference needs a reported between-arm test"),
        # not_tested contradicts a reported test
        ("cooper2003-cbt", {"between_arm_test": "reported"}, r"not_tested with a reported between-arm test"),
        # a direction without a reported test must be flagged as our inference
        ("brom1989-wl", {"inferred": "false"}, r"must be flagged inferred = true"),
        ("brom1989-wl", {"inferred": "maybe"}, r"column inferred: 'maybe' is not true or false"),
        # an add-on design is never an active comparison
        (
            "wiborg1996",
            {"comparator_type": "active"},
            r"add-on design \(add_on_to filled\) coded as comparator_type active",
        ),
        ("wiborg1996", {"add_on_to": ""}, r"comparator_type add_on without add_on_to"),
        # a combination design's added treatment is the comparator, not a shared treatment
        (
            "dejonghe2004",
            {"add_on_to": "venlafaxine"},
            r"combination design \(both arms get the therapy\) with add_on_to",
        ),
        ("milrod2007", {"condition_specific": "ibs"}, r"condition_specific does not belong to condition_group"),
        ("milrod2007", {"condition_specific": "panic disorder"}, r"column condition_specific"),
        ("hamilton2000", {"derived_fields": "n_randomized;title"}, r"column derived_fields"),
    ],
)
def test_the_schema_forbids_codes_the_source_does_not_support(row_id, values, message):
    with pytest.raises(load.DataError, match=message):
        load.parse_table("trials", with_values(raw_table("trials"), row_id, **values))


@pytest.mark.parametrize(
    "row_id, values, message",
    [
        ("v-opioids", {"inferred": "vs_inactive"}, r"vs_inactive is not_stated but flagged as inferred"),
        ("v-panic", {"vs_inactive": "effective", "inferred": "vs_inactive"}, r"note beginning 'Inferred:'"),
        ("v-panic", {"vs_inactive": "somewhat"}, r"column vs_inactive"),
        ("v-panic", {"condition_specific": "panic;anorexia"}, r"condition_specific does not belong"),
    ],
)
def test_a_verdict_other_than_the_review_states_needs_the_inferred_flag(row_id, values, message):
    with pytest.raises(load.DataError, match=message):
        load.parse_table("verdicts", with_values(raw_table("verdicts"), row_id, **values))


@pytest.mark.parametrize(
    "row_id, values, message",
    [
        ("leichsenring2023-anxiety", {"note": "no inference noted"}, r"note beginning 'Inferred:'"),
        ("leichsenring2023-depression", {"doi": ""}, r"neither DOI nor PMID"),
        ("leichsenring2023-depression", {"condition_specific": "major_depression;panic"}, r"does not belong"),
        ("leichsenring2023-somatic", {"certainty_word": ""}, r"certainty_word"),
        ("leichsenring2023-somatic", {"comparison": "better"}, r"column comparison"),
    ],
)
def test_a_review_statement_names_its_review_its_own_certainty_word_and_any_inference(row_id, values, message):
    with pytest.raises(load.DataError, match=message):
        load.parse_table("review_statements", with_values(raw_table("review_statements"), row_id, **values))


def test_the_umbrella_review_statements_say_only_what_its_abstract_states(tables):
    rows = tables["review_statements"].set_index("id")
    words = rows["certainty_word"].to_dict()
    assert words == {
        "leichsenring2023-depression": "high quality",
        "leichsenring2023-somatic": "high quality",
        "leichsenring2023-anxiety": "moderate quality",
        "leichsenring2023-personality": "moderate quality",
    }
    assert set(rows["doi"]) == {"10.1002/wps.21104"} and set(rows["certainty_system"]) == {"GRADE"}
    assert rows["source_location"].str.startswith("Abstract").all()


def test_a_press_release_figure_cannot_support_a_claim_or_a_therapy_type(tables):
    for name, row_id in (("claims", "pdt-is-effective"), ("therapy_types", "stpp")):
        broken = dict(tables)
        frame = tables[name].copy()
        idx = frame.index[frame["id"] == row_id][0]
        frame.loc[idx, "evidence"] = frame.loc[idx, "evidence"] + ";abbass2006-stpp-general-post"
        broken[name] = frame
        problems = load.check_references(broken)
        assert any("figure from a citing source only" in p and row_id in p for p in problems), problems
    broken = dict(tables)
    frame = tables["claims"].copy()
    frame.loc[0, "secondary_evidence"] = "keefe2014-anxiety-control"
    broken["claims"] = frame
    assert any(
        "is not a meta-analysis row with figure_source citing_source_only" in p for p in load.check_references(broken)
    )


def test_press_release_figures_are_labelled_and_only_secondary(tables):
    meta = tables["meta_analyses"].set_index("id")
    secondary = load.secondary_ids(tables["meta_analyses"])
    assert secondary == {"abbass2006-stpp-general-post", "abbass2006-stpp-general-fu"}
    assert set(meta.loc[list(secondary), "es_value"]) == {0.97, 1.51}
    for name in ("claims", "therapy_types"):
        for row in tables[name].itertuples():
            assert not set(load.split_ids(row.evidence)) & secondary, (name, row.id)
    assert "abbass2006-stpp-general-post" in load.split_ids(
        tables["therapy_types"].set_index("id").loc["stpp", "secondary_evidence"]
    )


def test_an_excluded_trial_is_never_also_in_the_trial_table(tables):
    assert not set(tables["exclusions"]["study"]) & set(tables["trials"]["study"])
    broken = dict(tables)
    extra = pd.DataFrame([{c: pd.NA for c in tables["exclusions"].columns}])
    extra["study"] = tables["trials"]["study"].iloc[0]
    broken["exclusions"] = pd.concat([tables["exclusions"], extra], ignore_index=True)
    problems = load.check_references(broken)
    assert any("studies both excluded and in trials" in p for p in problems), problems


def test_excluded_trials_name_a_reason_and_well_formed_identifiers(tables):
    exclusions = tables["exclusions"]
    assert exclusions["reason"].str.len().gt(10).all()
    assert exclusions["source_location"].str.len().gt(3).all()


# Words that make a reason about the record of a trial rather than about the trial itself.
RECORD_WORDS = r"\b(?:doi|pmid|identifier|stored cop|not found|not read|not seen|could not be read|searche?[ds]?)\b"


def test_a_trial_left_out_as_not_eligible_is_left_out_for_a_reason_about_the_trial_itself(tables):
    exclusions = tables["exclusions"]
    eligible = exclusions[exclusions["reason_kind"] == "not_eligible"]
    assert len(eligible) >= 5
    about_the_record = eligible[eligible["reason"].str.contains(RECORD_WORDS, case=False, regex=True)]
    assert about_the_record.empty, about_the_record[["id", "reason"]].to_dict("records")


def test_a_trial_left_out_only_for_an_unread_report_lists_what_was_searched(tables):
    unread = tables["exclusions"][tables["exclusions"]["reason_kind"] == "report_unread"]
    assert len(unread) >= 1
    # The reason says it is about the report, and the note (or the place read) records the search.
    assert unread["reason"].str.contains(RECORD_WORDS, case=False, regex=True).all(), unread["id"].tolist()
    searched = (unread["note"].fillna("") + " " + unread["source_location"]).str.contains("search", case=False)
    assert searched.all(), unread.loc[~searched, "id"].tolist()


def test_the_rows_the_review_flagged_are_recoded(tables):
    trials = tables["trials"].set_index("id")
    untested = [
        "cooper2003-cbt",
        "cooper2003-couns",
        "trowell2007",
        "creed2003-ssri",
        "dare2001-cat",
        "dare2001-family",
        "critschristoph1999-ct",
        "woody1983-cbt",
        "bastos2014-comb",
    ]
    assert (trials.loc[untested, "finding"] == "not_tested").all()
    assert (trials.loc[untested, "between_arm_test"] != "reported").all()
    assert trials.loc["brom1989-wl", "inferred"] and trials.loc["brom1989-wl", "between_arm_test"] == "pooled_only"
    for add_on, drug in (("wiborg1996", "clomipramine"), ("knijnik2008", "clonazepam")):
        assert trials.loc[add_on, "comparator_type"] == "add_on"
        assert drug in trials.loc[add_on, "add_on_to"]
    assert "Recoded" in trials.loc["cooper2003-cbt", "note"]
    verdicts = tables["verdicts"].set_index("id")
    assert verdicts.loc["v-opioids", ["vs_inactive", "vs_active"]].tolist() == ["not_stated", "not_stated"]
    assert verdicts.loc["v-binge-eating", ["vs_inactive", "vs_active"]].tolist() == ["not_stated", "not_stated"]
    for condition in ("v-panic", "v-gad", "v-social-anxiety"):
        assert verdicts.loc[condition, "vs_inactive"] == "not_stated"
    assert verdicts.loc["v-anorexia", "inferred"] == "vs_inactive"
    assert verdicts.loc["v-anorexia", "note"].startswith("Inferred:")
    assert "no_difference" not in set(verdicts["vs_active"])
    assert "trials_pers_psy" not in verdicts.loc["v-borderline", "note"]


def test_untested_and_add_on_comparisons_never_count_as_equivalence_or_active(trials):
    from pdevidence import evidence

    summary = stats.condition_summary(trials)
    about_therapy = trials[trials["comparator_type"] != "combination"]
    assert summary["no_difference"].sum() == (about_therapy["finding"] == "no_difference").sum()
    assert summary["vs_active"].sum() == (trials["comparator_type"] == "active").sum()
    for time in ("post", "followup"):
        chosen = stats.pooling_set(trials, "active", time)
        assert "add_on" not in set(chosen["comparator_type"])
        assert "not_tested" not in set(chosen["finding"])
    rows = evidence.all_evidence(load.read_all())
    tally = evidence.tally(
        rows[rows["id"].isin(["cooper2003-cbt", "cooper2003-couns", "barber2012-med", "wiborg1996"])]
    )
    assert tally == {
        "trials": 4,
        "tested": 2,
        "no_difference": 1,
        "not_tested": 2,
        "add_on": 1,
        "combination": 0,
        "secondary": 0,
    }
    markers = rows.set_index("id")["markers"]
    assert "no head-to-head test reported" in markers["cooper2003-cbt"]
    assert "derived by us: follow-up" in markers["cooper2003-cbt"]
    assert "direction inferred by us" in markers["brom1989-wl"]
    assert markers["wiborg1996"].startswith("add-on: therapy added to clomipramine")
    assert "not found in the cited review" in markers["abbass2006-stpp-general-post"]
    assert "our reading" in rows.set_index("id").loc["v-anorexia", "finding"]


def test_therapy_alone_against_therapy_plus_a_medicine_is_a_combination_design_not_a_comparison(trials):
    """Both arms get the same therapy: the trial tests the medicine, so it is not 'vs active' and has no PD finding."""
    from pdevidence import evidence

    by_id = trials.set_index("id")
    for row_id in ("dejonghe2004", "bastos2014-comb"):
        assert by_id.loc[row_id, "comparator_type"] == "combination"
        assert by_id.loc[row_id, "comparator_class"] == "medication"
    combination = trials[trials["comparator_type"] == "combination"]
    assert set(combination["id"]) == {"dejonghe2004", "bastos2014-comb"}
    summary = stats.condition_summary(trials).set_index("condition_group")
    depression = trials[(trials["condition_group"] == "depression") & (trials["comparator_type"] != "combination")]
    assert summary.loc["depression", "vs_active"] == (depression["comparator_type"] == "active").sum()
    assert summary.loc["depression", "mixed"] == (depression["finding"] == "mixed").sum()
    counts = evidence.finding_counts(trials).set_index("condition_group")
    assert counts.loc["depression", "combination"] == 2
    from pdevidence import vocab

    untested = depression["finding"].isin(vocab.UNTESTED_FINDINGS)
    assert counts.loc["depression", "not_tested"] == untested.sum()
    for time in ("post", "followup"):
        assert "combination" not in set(stats.pooling_set(trials, "active", time)["comparator_type"])
    markers = evidence.trial_markers(combination)
    assert all("combination: both groups got the therapy" in m for m in markers)


def test_derived_figures_are_marked_where_the_note_says_so(trials):
    derived = trials.set_index("id")["derived_fields"]
    assert derived["hamilton2000"] == "n_randomized"
    assert derived["cooper2003-uc"] == "followup_months"
    marked = trials[trials["derived_fields"].notna()]
    assert marked["note"].notna().all()


def test_a_group_estimate_of_a_meta_analysis_names_no_specific_condition():
    frame = pd.read_csv(load.DATA_DIR / "meta_analyses.csv", dtype=str, keep_default_na=False)
    row = frame.index[frame["id"] == "keefe2014-anxiety-control"][0]
    assert frame.loc[row, "condition_group"] == "anxiety" and frame.loc[row, "condition_specific"] == ""
    frame.loc[row, "condition_specific"] = "panic"
    with pytest.raises(
        load.DataError,
        match=rf"a group estimate \(condition_group\) names no specific condition, but row\(s\) {row + 2}",
    ):
        load.parse_table("meta_analyses", frame.to_csv(index=False))
