"""The bundled tables: schema, integrity, coverage, and a cross-check against Metapsy."""

import re
import unicodedata

import pandas as pd
import pytest
from conftest import SHARED_METAPSY

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


def test_every_trial_names_its_publication_and_where_figures_were_read(trials):
    assert (trials["doi"].notna() | trials["pmid"].notna()).all()
    assert trials["source_location"].str.len().gt(3).all()
    has_es = trials["es_value"].notna()
    assert trials.loc[has_es, "es_source"].notna().all()


def test_unconfirmed_rows_explain_themselves_in_the_note(trials, tables):
    for frame in (trials, tables["meta_analyses"]):
        unconfirmed = frame[frame["verification"] == "unconfirmed"]
        assert unconfirmed["note"].notna().all(), list(unconfirmed.loc[unconfirmed["note"].isna(), "id"])


def test_sizes_are_positive_and_arms_fit_in_the_total(trials):
    assert (trials["n_randomized"] > 0).all()
    arms = trials["n_pd"].fillna(0) + trials["n_comparator"].fillna(0)
    assert (arms <= trials["n_randomized"]).all()


def test_every_confidence_interval_contains_its_estimate(tables):
    for name in ("trials", "meta_analyses"):
        frame = tables[name]
        both = frame.dropna(subset=["es_value", "es_ci_low", "es_ci_high"])
        assert ((both["es_ci_low"] <= both["es_value"]) & (both["es_value"] <= both["es_ci_high"])).all(), name


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
    if not article.exists():
        pytest.skip("../shared/seed/article.txt is not beside the checkout")
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


@pytest.mark.skipif(not SHARED_METAPSY.exists(), reason="../shared/metapsy is not beside the checkout")
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
