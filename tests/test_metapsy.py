"""Metapsy import and pooling: real databases, hand-made tables, URLs, the command line, link state."""

from __future__ import annotations

import csv
import functools
import http.server
import json
import math
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.meta_analysis import combine_effects

from pdevidence import stats
from pdevidence.metapsy.analysis import (
    Analysis,
    family_summary,
    large_trials_only,
    pooled_for,
    select_rows,
    size_lens,
    small_study_test,
    study_effects,
)
from pdevidence.metapsy.cli import CLI_KEYS
from pdevidence.metapsy.database import read_database
from pdevidence.metapsy.errors import NotMetapsyError, SourceError
from pdevidence.metapsy.families import map_code, parse_code_list
from pdevidence.metapsy.read import EFFECT_COLUMN, EFFECT_SE_COLUMN, REQUIRED_COLUMNS
from pdevidence.metapsy.rob import ROB_LEVELS, normalise_rob
from pdevidence.metapsy.settings import DatabaseOptions, parse_settings, serialize_settings
from pdevidence.metapsy.sources import CREDIT, KNOWN_DATABASES, name_from_source

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "metapsy"
SHARED_FILES = sorted(SHARED.glob("*.csv"))
# Column names of the Metapsy standard, used to read the shared files independently.
G, G_SE = EFFECT_COLUMN, EFFECT_SE_COLUMN


def csv_records(path: Path) -> list[list[str]]:
    """Every non-empty record Python's csv module finds, header included."""
    with open(path, newline="", encoding="utf-8") as fh:
        return [row for row in csv.reader(fh, delimiter=";") if row]


def number(text: str) -> float:
    return float("nan") if text in ("NA", "") else float(text.replace(",", "."))


# ----------------------------------------------------------------- loading


@pytest.mark.parametrize("path", SHARED_FILES, ids=lambda p: p.stem)
def test_every_shared_database_loads_with_no_row_lost(path):
    db = read_database(path)
    assert len(db.rows) == len(csv_records(path)) - 1
    assert db.rows["has_effect"].sum() > 0
    assert set(db.rows["rob_level"]) <= set(ROB_LEVELS)
    assert db.rows["family"].notna().all()


@pytest.mark.parametrize("path", SHARED_FILES, ids=lambda p: p.stem)
def test_every_shared_database_keeps_its_effect_sizes_exactly(path):
    records = csv_records(path)
    header = records[0]
    rows = read_database(path).rows
    if G not in header:
        # No stored effect (total-response: counts only): every pooled g is computed from the arm data.
        assert rows["g_stored"].isna().all()
        assert set(rows.loc[rows["has_effect"], "g_source"]) <= {"events", "means", "change"}
        assert rows["has_effect"].sum() > 0
        return
    raw = np.array([number(r[header.index(G)]) for r in records[1:]])
    assert np.allclose(rows["g_stored"], raw, equal_nan=True)
    # Where the stored g is used, only its sign may change (turned so that positive favours arm 1).
    used = (rows["g_source"] == "stored").to_numpy()
    assert used.sum() > 0
    assert np.allclose(rows["g"].abs().to_numpy()[used], np.abs(raw[used]))


def test_the_unnamed_row_number_column_is_dropped_and_psychosis_without_one_keeps_study():
    depression = read_database(SHARED / "depression-psyctr.csv")
    psychosis = read_database(SHARED / "psychosis-psyctr.csv")
    assert depression.rows.columns[0] == "study"
    assert psychosis.rows.columns[0] == "study"
    assert not any(c.startswith("Unnamed") or c == "" for c in depression.rows.columns)


def synthetic_csv(rows: list[list[str]], extra: tuple[str, ...] = ("n_arm1", "n_arm2", "time", "rob")) -> bytes:
    """A tiny file in the Metapsy layout: unnamed index column, `;`, quoted header."""
    header = ['""', *(f'"{c}"' for c in (*REQUIRED_COLUMNS, *extra))]
    lines = [";".join(header)] + [";".join([f'"{i + 1}"', *row]) for i, row in enumerate(rows)]
    return "\r\n".join(lines).encode("utf-8") + b"\r\n"


def test_a_file_with_crlf_decimal_commas_na_and_a_field_over_several_lines_reads_every_row():
    # An outcome domain is given, so the rows have a direction (a file without one would pool nothing anyway) and
    # what is tested is the missing arm data.
    data = synthetic_csv(
        [
            ['"Smith, 2001"', '"dyn"', '"wl"', "0,5", "0,2", "20", "21", '"post"', "4", '"depression"'],
            ['"Jones, 2003"', '"dyn"', '"wl"', "NA", "NA", "30", "NA", '"post"', "2", '"depression"'],
            ['"Lee,\r\n 2010"', '"cbt"', '"cau"', "1,25", "0,3", "NA", "NA", '"follow-up"', "NA", '"depression"'],
        ],
        extra=("n_arm1", "n_arm2", "time", "rob", "outcome_domain"),
    )
    db = read_database(
        data,
        codebook={
            "condition_arm1": "Type (dyn= psychodynamic therapy, cbt= cbt)",
            "rob": "ranging from 0 (high risk) to 4 (low risk)",
        },
    )
    assert len(db.rows) == 3
    assert db.rows["g_stored"].iloc[0] == pytest.approx(0.5)
    assert math.isnan(db.rows["g_stored"].iloc[1])
    # No arm data anywhere: the sign of the stored g cannot be checked, so nothing is pooled, and the page says why.
    assert db.rows["has_effect"].tolist() == [False, False, False]
    assert db.outcomes.set_index("outcome").loc["c-depression", "reason"].startswith("no row has a usable effect")
    assert db.rows["study"].iloc[2].replace("\r", "").replace("\n", "") == "Lee, 2010"
    assert db.rows["n"].tolist()[:1] == [41.0] and math.isnan(db.rows["n"].iloc[1])
    assert db.rows["family"].tolist() == ["psychodynamic", "psychodynamic", "cbt"]
    assert db.rows["rob_level"].tolist() == ["low", "some_concerns", "unknown"]
    assert db.time_points == ("post", "follow-up", "all")


# ----------------------------------------------------------------- codes and families


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Type of treatment (cbt= cognitive behaviour therapy, dyn= psychodynamic therapy, other psy= other type of psychotherapy)",
            {
                "cbt": "cognitive behaviour therapy",
                "dyn": "psychodynamic therapy",
                "other psy": "other type of psychotherapy",
            },
        ),
        (
            "Type of treatment (CBT= cognitive behaviour therapy, PD = psychodynamic therapy, 3W = third wave therapy)",
            {"CBT": "cognitive behaviour therapy", "PD": "psychodynamic therapy", "3W": "third wave therapy"},
        ),
        (
            "ALL - Protocol with 4 psychotherapies combined; CBT -Cognitive behaviour therapy; PE – Psychoeducation",
            {
                "ALL": "Protocol with 4 psychotherapies combined",
                "CBT": "Cognitive behaviour therapy",
                "PE": "Psychoeducation",
            },
        ),
        (
            "Type of treatment. CBT without trauma focus; Prolonged exposure (PE); Trauma-focused other psychotherapies (TF-Other)",
            {
                "CBT without trauma focus": "CBT without trauma focus",
                "PE": "Prolonged exposure",
                "TF-Other": "Trauma-focused other psychotherapies",
            },
        ),
        (
            "Type of comparator.  Other= other control;  TAU= treatment as usual; Waitlist",
            {"Other": "other control", "TAU": "treatment as usual"},
        ),
        ("Condition in the first trial arm, standardized (e.g. cbt for all arms that employed CBT).", {}),
        (None, {}),
    ],
)
def test_code_lists_are_read_from_codebooks_of_every_punctuation(text, expected):
    assert parse_code_list(text) == expected


@pytest.mark.parametrize(
    "code, definitions, family, basis",
    [
        ("dyn", {"dyn": "psychodynamic therapy"}, "psychodynamic", "codebook"),
        ("PD", {"PD": "psychodynamic therapy"}, "psychodynamic", "codebook"),
        ("pdp", {}, "psychodynamic", "code name"),
        ("mbt", {}, "psychodynamic", "code name"),
        ("tfp", {}, "psychodynamic", "code name"),
        ("xyz", {"xyz": "Mentalization-based treatment"}, "psychodynamic", "codebook"),
        ("3rd", {"3rd": "third wave cognitive behaviour therapy"}, "third_wave", "codebook"),
        ("bat", {"bat": "behavioural activation"}, "behavioural_activation", "codebook"),
        ("pst", {}, "problem_solving", "code name"),
        ("ipt", {}, "interpersonal", "code name"),
        ("sup", {"sup": "supportive counseling"}, "supportive", "codebook"),
        ("erp", {}, "cbt", "code name"),
        ("CBT without trauma focus", {}, "cbt", "code name"),
        ("NET", {"NET": "Narrative Exposure Therapy"}, "cbt", "codebook"),
        ("other psy", {"other psy": "other type of psychotherapy"}, "other", "codebook"),
        (
            "CR_CRSS",
            {"CR": "Cognitive remediation", "CRSS": "Cognitive remediation focussed on social cognition"},
            "cognitive_remediation",
            "combination",
        ),
        ("CR_SST", {"CR": "Cognitive remediation", "SST": "Social skills training"}, "combined", "combination"),
        ("ambt", {}, "unmapped", "unmapped"),
        ("cbt+ambt", {}, "unmapped", "unmapped"),
        ("WB", {"WB": "Wellbeing"}, "unmapped", "unmapped"),
    ],
)
def test_treatment_codes_map_to_families_and_unknown_codes_stay_unmapped(code, definitions, family, basis):
    mapping = map_code(code, definitions)
    assert (mapping.family, mapping.basis) == (family, basis)


@pytest.mark.parametrize(
    "name, code, family",
    [
        ("depression-psyctr", "dyn", "psychodynamic"),
        ("panic-psyctr", "PD", "psychodynamic"),
        ("depression-psyctr", "lrt", "other"),
        ("panic-psyctr", "BT", "cbt"),
        ("ptsd-psyctr", "TF-CBT", "cbt"),
        ("ptsd-psyctr", "EMDR", "emdr"),
        ("psychosis-psyctr", "MPE", "third_wave"),
        ("bodily-distress-psyctr", "ambt", "third_wave"),  # reviewed coding; the generic rules leave it unmapped
    ],
)
def test_real_codebooks_give_each_code_its_family(name, code, family):
    db = read_database(SHARED / f"{name}.csv")
    assert db.codes.set_index("code").loc[code, "family"] == family


def test_unmapped_codes_are_listed_and_never_pooled():
    # As an upload the file is read by the generic rules, which do not know "ambt".
    db = read_database((SHARED / "bodily-distress-psyctr.csv").read_bytes(), name="bodily-distress-psyctr")
    assert "ambt" in db.unmapped
    summary = family_summary(select_rows(db))
    row = summary.set_index("family").loc["unmapped"]
    assert row["studies"] > 0 and pd.isna(row["g"]) and "not pooled" in row["status"]


# ----------------------------------------------------------------- risk of bias


@pytest.mark.parametrize(
    "values, description, expected",
    [
        (
            ["4", "3", "2", "1", "0", "NA"],
            "Overall risk of bias score. ranging from 0 (high risk) to 4 (low risk)",
            ["low", "some_concerns", "some_concerns", "high", "high", "unknown"],
        ),
        (["4", "2", "1"], "Number of rob criteria fulfilled (0-4)", ["low", "some_concerns", "high"]),
        (["1", "0", "NA"], "Overall risk of bias rating (low=1 vs high=0)", ["low", "high", "unknown"]),
        (
            ["low", "some concerns", "high", "NA"],
            "Risk of bias (low, some concerns, high)",
            ["low", "some_concerns", "high", "unknown"],
        ),
        (["Low", "Some Concerns", "High"], None, ["low", "some_concerns", "high"]),
    ],
)
def test_risk_of_bias_scales_are_normalised_as_documented(values, description, expected):
    frame = pd.DataFrame({"rob": pd.array(values, dtype="string").astype(object)}).replace({"NA": None})
    codebook = {"rob": description} if description else {}
    levels, rule = normalise_rob(frame, codebook)
    assert levels.tolist() == expected
    assert rule.rule


def test_undefined_numeric_risk_of_bias_falls_back_to_the_worst_domain():
    frame = pd.DataFrame(
        {
            "ROB": ["2", "0", "1", "NR"],
            "domain 1": ["Low risk", "Low risk", "Low risk", "NR"],
            "domain 2": ["High risk", "Low risk", "Some concerns", "NR"],
        }
    )
    levels, rule = normalise_rob(frame, {})
    assert levels.tolist() == ["high", "low", "some_concerns", "unknown"]
    assert "domain" in rule.rule


def test_low_risk_of_bias_only_keeps_only_low_rows():
    db = read_database(SHARED / "depression-psyctr.csv")
    rows = select_rows(db, Analysis(low_rob_only=True))
    assert len(rows) > 0 and set(rows["rob_level"]) == {"low"}
    assert set(rows["rob"]) == {"4"}


# ----------------------------------------------------------------- pooling


# Five hand-made trials, one row each (effects and standard errors).
EFFECTS = np.array([0.30, 0.55, 0.12, 0.80, 0.41])
SES = np.array([0.20, 0.15, 0.22, 0.18, 0.12])


def hand_rows(effects=EFFECTS, ses=SES, family="psychodynamic") -> pd.DataFrame:
    k = len(effects)
    return pd.DataFrame(
        {
            "study": [f"Trial {i}" for i in range(k)],
            "family": family,
            "g": effects,
            "se": ses,
            "n": [40.0 + 30 * i for i in range(k)],
            "condition_arm1": "dyn",
            "condition_arm2": "wl",
            "rob_level": "low",
        }
    )


def random_effects(y, v, tau2):
    w = 1 / (v + tau2)
    mu = np.sum(w * y) / np.sum(w)
    se = math.sqrt(1 / np.sum(w))
    return mu, se


def q_statistic(y, v, tau2=0.0):
    w = 1 / (v + tau2)
    mu = np.sum(w * y) / np.sum(w)
    return float(np.sum(w * (y - mu) ** 2))


def dersimonian_laird_tau2(y, v):
    """DerSimonian & Laird (1986): tau² = max(0, (Q - (k-1)) / (sum w - sum w² / sum w))."""
    w = 1 / v
    c = np.sum(w) - np.sum(w**2) / np.sum(w)
    return max(0.0, (q_statistic(y, v) - (len(y) - 1)) / c)


def paule_mandel_tau2(y, v):
    """Paule & Mandel (1982): the tau² at which the generalised Q equals k - 1, found by bisection."""
    target = len(y) - 1
    if q_statistic(y, v, 0.0) <= target:
        return 0.0
    low, high = 0.0, 10.0
    for _ in range(200):
        mid = (low + high) / 2
        if q_statistic(y, v, mid) > target:
            low = mid
        else:
            high = mid
    return (low + high) / 2


@pytest.mark.parametrize("method, tau2_of", [("dl", dersimonian_laird_tau2), ("pm", paule_mandel_tau2)])
def test_family_pooling_matches_the_published_formulas_on_a_hand_made_table(method, tau2_of):
    v = SES**2
    tau2 = tau2_of(EFFECTS, v)
    mu, se = random_effects(EFFECTS, v, tau2)
    z = sps.norm.ppf(0.975)
    t = sps.t.ppf(0.975, len(EFFECTS) - 2)
    q = q_statistic(EFFECTS, v)
    i2 = max(0.0, (q - (len(EFFECTS) - 1)) / q)
    row = family_summary(hand_rows(), method).set_index("family").loc["psychodynamic"]
    assert tau2 > 0  # the table is heterogeneous enough for the two estimators to differ
    assert round(row["g"], 3) == round(mu, 3)
    assert round(row["ci_low"], 3) == round(mu - z * se, 3)
    assert round(row["ci_high"], 3) == round(mu + z * se, 3)
    assert round(row["tau2"], 3) == round(tau2, 3)
    assert round(row["i2"], 3) == round(i2, 3)
    assert round(row["pi_low"], 3) == round(mu - t * math.sqrt(tau2 + se**2), 3)
    assert round(row["pi_high"], 3) == round(mu + t * math.sqrt(tau2 + se**2), 3)
    assert (row["k"], row["studies"], row["participants"]) == (5, 5, sum(40 + 30 * i for i in range(5)))


def test_dl_and_pm_give_different_between_trial_variances_on_the_hand_made_table():
    assert dersimonian_laird_tau2(EFFECTS, SES**2) != pytest.approx(paule_mandel_tau2(EFFECTS, SES**2), abs=1e-3)


def test_several_rows_of_one_trial_count_once_with_mean_g_and_mean_variance():
    rows = pd.concat(
        [hand_rows(), hand_rows(np.array([0.9]), np.array([0.4])).assign(study="Trial 0", n=55.0)],
        ignore_index=True,
    )
    effects = study_effects(rows, "psychodynamic").set_index("study")
    assert len(effects) == 5
    assert effects.loc["Trial 0", "g"] == pytest.approx((0.30 + 0.9) / 2)
    assert effects.loc["Trial 0", "se"] == pytest.approx(math.sqrt((0.20**2 + 0.4**2) / 2))
    assert effects.loc["Trial 0", "n"] == 55
    assert effects.loc["Trial 0", "comparisons"] == 2
    summary = family_summary(rows).iloc[0]
    assert (summary["k"], summary["studies"]) == (6, 5)


def test_two_trials_are_too_few_to_pool():
    summary = family_summary(hand_rows()[:2])
    assert pd.isna(summary.iloc[0]["g"]) and summary.iloc[0]["status"].startswith("too few trials")
    assert pooled_for(study_effects(hand_rows()[:2])) is None


def test_the_size_lens_pools_small_and_large_trials_separately():
    rows = hand_rows(np.r_[EFFECTS, EFFECTS + 0.1], np.r_[SES, SES])
    rows["study"] = [f"Trial {i}" for i in range(10)]
    rows["n"] = [30.0] * 5 + [150.0] * 5
    lens = size_lens(study_effects(rows), 100).set_index("group")
    assert lens.loc["small", "studies"] == 5 and lens.loc["large", "studies"] == 5
    expected_large = stats.pool(EFFECTS + 0.1, SES).estimate
    assert lens.loc["large", "g"] == pytest.approx(expected_large)
    large_only = large_trials_only(rows, 100).iloc[0]
    assert large_only["studies"] == 5 and large_only["g"] == pytest.approx(expected_large)


@pytest.mark.parametrize("method", ["dl", "pm"])
def test_depression_psychodynamic_pool_matches_statsmodels_on_an_independent_reading(method):
    records = csv_records(SHARED / "depression-psyctr.csv")
    header, body = records[0], records[1:]
    col = {name: header.index(name) for name in ("study", "condition_arm1", "time", G, G_SE)}
    by_study: dict[str, list[tuple[float, float]]] = {}
    col["outcome_type"] = header.index("outcome_type")
    for r in body:
        dichotomous = re.search(r"dich|respon|remission", r[col["outcome_type"]])
        if r[col["condition_arm1"]] == "dyn" and r[col["time"]] == "post" and not dichotomous:
            by_study.setdefault(r[col["study"]], []).append((number(r[col[G]]), number(r[col[G_SE]]) ** 2))
    effects = np.array([np.mean([g for g, _ in rows]) for rows in by_study.values()])
    variances = np.array([np.mean([v for _, v in rows]) for rows in by_study.values()])
    res = combine_effects(effects, variances, method_re=method)
    (_, _), (ci_low, ci_high), *_ = res.conf_int(use_t=False)

    db = read_database(SHARED / "depression-psyctr.csv")
    row = family_summary(select_rows(db, Analysis(method=method)), method).set_index("family").loc["psychodynamic"]
    assert row["studies"] == len(by_study) >= 3
    assert round(row["g"], 3) == round(float(res.mean_effect_re), 3)
    assert round(row["ci_low"], 3) == round(float(ci_low), 3)
    assert round(row["ci_high"], 3) == round(float(ci_high), 3)
    assert round(row["tau2"], 3) == round(float(res.tau2), 3)


def test_databases_storing_raw_differences_are_turned_so_positive_favours_therapy():
    panic = read_database(SHARED / "panic-psyctr.csv")
    depression = read_database(SHARED / "depression-psyctr.csv")
    panic_rule = panic.outcomes.set_index("outcome").loc["c-symptoms", "rule"]
    depression_rule = depression.outcomes.set_index("outcome").loc["c-symptoms", "rule"]
    assert "Stored g is arm 1 minus arm 2" in panic_rule and panic_rule.endswith("it is negated.")
    assert "Stored g is arm 2 minus arm 1" in depression_rule and depression_rule.endswith("it is kept.")
    cbt = family_summary(select_rows(panic)).set_index("family").loc["cbt"]
    assert cbt["g"] > 0


def test_egger_needs_ten_trials():
    db = read_database(SHARED / "depression-psyctr.csv")
    rows = select_rows(db)
    assert small_study_test(study_effects(rows, "psychodynamic")) is not None
    assert small_study_test(study_effects(rows, "psychodynamic").head(9)) is None


# ----------------------------------------------------------------- URLs and broken files


@pytest.fixture
def serve(monkeypatch):
    """Serve a folder over HTTP on 127.0.0.1 at a free port; yields a function folder -> base URL.

    The fetcher refuses http and loopback addresses unless the test setting allows them.
    """
    monkeypatch.setenv("PDEVIDENCE_FETCH_ALLOW_LOCAL", "1")
    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        handler.log_message = lambda *args, **kwargs: None
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_database_loads_from_a_url_with_its_codebook_beside_it(serve):
    base = serve(SHARED)
    db = read_database(f"{base}/panic-psyctr.csv")
    local = read_database(SHARED / "panic-psyctr.csv")
    assert db.name == "panic-psyctr"
    assert db.codebook_found
    assert len(db.rows) == len(local.rows)
    assert db.codes.set_index("code").loc["PD", "family"] == "psychodynamic"
    # A file given by address is read by the generic rules (panic-psyctr has no outcome-domain column): a score takes
    # a direction only where the instrument lexicon knows its scale, and there it equals the reviewed reading's g;
    # the other scores (ACQ, ASI, FQ, ...) are one outcome, shown with its reason and never pooled.
    assert db.coding == "automatic" and local.coding == "reviewed"
    known = db.rows["outcome"] != "c-symptoms~unknown"
    assert set(db.rows.loc[known, "instrument"]) == {"BAI", "HAMA", "PDSS", "PDSS-SR"}
    pd.testing.assert_series_equal(db.rows.loc[known, "g"], local.rows.loc[known, "g"])
    assert db.rows.loc[known, "g"].notna().sum() == 25 and db.rows.loc[~known, "g"].isna().all()
    unknown = db.outcomes.set_index("outcome").loc["c-symptoms~unknown"]
    assert not unknown["pooled"] and "the file gives no outcome domain" in unknown["reason"]
    assert unknown["rows"] == int((~known).sum()) == 56


def test_a_csv_without_effect_sizes_raises_a_named_error_listing_the_missing_columns(serve, tmp_path):
    frame = pd.read_csv(SHARED / "ocd-psyctr.csv", sep=";", dtype=str, keep_default_na=False)
    arm_data = [c for c in frame.columns if c.startswith(("mean_", "sd_", "event_", "totaln_"))]
    frame.drop(columns=[G, G_SE, *arm_data]).to_csv(tmp_path / "broken.csv", sep=";", index=False)
    base = serve(tmp_path)
    with pytest.raises(NotMetapsyError, match=r"missing column\(s\) " + re.escape(f"{G}, {G_SE}")) as info:
        read_database(f"{base}/broken.csv")
    assert info.value.missing == [G, G_SE]


def test_a_non_metapsy_table_names_every_missing_column(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("name,value\na,1\n", encoding="utf-8")
    with pytest.raises(NotMetapsyError, match=re.escape(", ".join(REQUIRED_COLUMNS))):
        read_database(path)


def test_a_missing_url_raises_a_source_error(serve, tmp_path):
    base = serve(tmp_path)
    with pytest.raises(SourceError, match=r"HTTP status 404"):
        read_database(f"{base}/nothing.csv")


def test_an_unreachable_host_raises_a_source_error(monkeypatch):
    monkeypatch.setenv("PDEVIDENCE_FETCH_ALLOW_LOCAL", "1")
    with pytest.raises(SourceError, match=r"could not be reached"):
        read_database("http://127.0.0.1:9/data.csv", timeout=2)


@pytest.mark.parametrize(
    "source, name",
    [
        ("https://raw.githubusercontent.com/metapsy-project/data-depression-psyctr/main/data.csv", "depression-psyctr"),
        ("/somewhere/panic-psyctr.csv", "panic-psyctr"),
        ("http://127.0.0.1:8000/ptsd-psyctr.csv", "ptsd-psyctr"),
    ],
)
def test_database_names_come_from_paths_and_upstream_urls(source, name):
    assert name_from_source(source) == name


def test_the_metadata_table_credits_every_known_database():
    assert set(KNOWN_DATABASES) >= {"depression-psyctr", "panic-psyctr", "psychosis-psyctr"}
    assert KNOWN_DATABASES["depression-psyctr"].doi == "10.5281/zenodo.7254845"
    assert KNOWN_DATABASES["ed-psyctr"].doi is None
    assert CREDIT == "Metapsy project (metapsy.org)"


# ----------------------------------------------------------------- command line


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pdevidence.metapsy", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_the_command_line_prints_json_with_the_documented_keys_and_a_psychodynamic_row():
    result = run_cli(str(SHARED / "depression-psyctr.csv"), "--json")
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert all(set(r) == set(CLI_KEYS) for r in records)
    psychodynamic = next(r for r in records if r["family"] == "psychodynamic")
    assert psychodynamic["studies"] >= 3 and psychodynamic["k"] >= psychodynamic["studies"]
    assert psychodynamic["ci_low"] < psychodynamic["g"] < psychodynamic["ci_high"]
    db = read_database(SHARED / "depression-psyctr.csv")
    expected = family_summary(select_rows(db)).set_index("family").loc["psychodynamic"]
    assert psychodynamic["g"] == pytest.approx(expected["g"], abs=1e-4)


def test_the_command_line_prints_a_table_and_names_unmapped_codes(tmp_path):
    # Under another name the file has no reviewed coding, and the generic rules cannot map "ambt".
    copy = tmp_path / "somatic-upload.csv"
    copy.write_bytes((SHARED / "bodily-distress-psyctr.csv").read_bytes())
    result = run_cli(str(copy))
    assert result.returncode == 0, result.stderr
    assert "family" in result.stdout and "cbt" in result.stdout
    assert "unmapped treatment codes (not pooled): ambt" in result.stdout
    coded = run_cli(str(SHARED / "bodily-distress-psyctr.csv"))
    assert coded.returncode == 0 and "third_wave" in coded.stdout and "unmapped treatment codes" not in coded.stdout


def test_the_command_line_reports_a_broken_file_without_a_traceback(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("name;value\na;1\n", encoding="utf-8")
    result = run_cli(str(path), "--json")
    assert result.returncode == 2
    assert "not a Metapsy database" in result.stderr and "Traceback" not in result.stderr


# ----------------------------------------------------------------- settings in the URL

DATABASES = ("depression-psyctr", "panic-psyctr")
OPTIONS = {
    "depression-psyctr": DatabaseOptions(
        ("psychodynamic", "cbt", "interpersonal"),
        ("cau", "other ctr", "wl"),
        ("post", "all"),
        ("c-symptoms", "d-response"),
        "c-symptoms",
    ),
    "panic-psyctr": DatabaseOptions(
        ("cbt", "emdr"), ("TAU/NT", "WL"), ("post", "follow up", "all"), ("c-symptoms",), "c-symptoms"
    ),
}


def parse(params):
    return parse_settings(params, DATABASES, OPTIONS.__getitem__)


def serialize(settings):
    return serialize_settings(settings, DATABASES, OPTIONS.__getitem__)


def canonical(params: dict) -> dict:
    """The link written back: database and outcome always, then the other non-default values in
    table order, every value as a list (a list of several values becomes repeated keys)."""
    db = params.get("db", "depression-psyctr")
    out = {"db": db, "outcome": params.get("outcome", OPTIONS[db].default_outcome)}
    rest = {k: v for k, v in params.items() if k not in out}
    return {k: v if isinstance(v, list) else [v] for k, v in {**out, **rest}.items()}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"db": "panic-psyctr"},
        {"outcome": "d-response"},
        {"family": "cbt"},
        {"vs": ["cau", "wl"]},
        {"tau": "pm"},
        {"size": "250"},
        {"lowrob": "1"},
        {"time": "all"},
        {
            "db": "panic-psyctr",
            "outcome": "c-symptoms",
            "family": "emdr",
            "vs": "WL",
            "tau": "pm",
            "size": "50",
            "lowrob": "1",
            "time": "follow up",
        },
    ],
)
def test_settings_round_trip_exactly_through_the_url(params):
    parsed = parse(params)
    assert parsed.notices == []
    assert serialize(parsed.settings) == canonical(params)
    assert parse(serialize(parsed.settings)).settings == parsed.settings


@pytest.mark.parametrize(
    "params, notice, kept",
    [
        ({"db": "nope"}, r"Ignored db 'nope'", {}),
        ({"outcome": "d-relapse"}, r"Ignored outcome 'd-relapse': expected one of c-symptoms, d-response", {}),
        ({"db": "panic-psyctr", "outcome": "d-response"}, r"Ignored outcome 'd-response'", {"db": "panic-psyctr"}),
        ({"family": "astrology"}, r"Ignored family 'astrology'", {}),
        ({"family": "psychodynamic", "db": "panic-psyctr"}, r"Ignored family 'psychodynamic'", {"db": "panic-psyctr"}),
        ({"vs": "wl,moon"}, r"Ignored vs 'moon'", {"vs": "wl"}),
        ({"vs": ["wl", "moon"]}, r"Ignored vs 'moon'", {"vs": "wl"}),
        ({"tau": "reml"}, r"Ignored tau 'reml'", {}),
        ({"size": "-5"}, r"Ignored size '-5': cannot be negative", {}),
        ({"size": "1e9"}, r"Ignored size '1e9': not a whole number", {}),
        ({"size": "5"}, r"size 5 is below the smallest value .*10 is used", {"size": "10"}),
        ({"size": "99999"}, r"above the largest value .*10000 is used", {"size": "10000"}),
        ({"lowrob": "maybe"}, r"Ignored lowrob 'maybe'", {}),
        ({"time": "follow up"}, r"Ignored time 'follow up'", {}),
        ({"tau": "<script>" + "x" * 100}, r"…", {}),
        ({"tau": ["pm", "dl"]}, r"gives tau 2 times; only the last one", {}),
    ],
)
def test_invalid_url_values_are_dropped_or_clamped_with_a_notice(params, notice, kept):
    parsed = parse(params)
    assert any(re.search(notice, n) for n in parsed.notices), parsed.notices
    assert serialize(parsed.settings) == canonical(kept)


def test_non_canonical_url_values_normalise_to_one_form():
    default = canonical({})
    assert serialize(parse({"size": "100", "lowrob": "0", "tau": "dl", "vs": "wl,cau,other ctr"}).settings) == default
    assert serialize(parse({"vs": "wl,cau"}).settings) == {**default, "vs": ["cau", "wl"]}
    assert serialize(parse({"db": "depression-psyctr", "family": "psychodynamic"}).settings) == default
    assert parse("db=panic-psyctr&vs=WL&vs=TAU%2FNT").settings.comparators == ()  # every comparator = any


def test_the_outcome_defaults_to_the_primary_symptom_outcome_and_is_always_in_the_link():
    assert parse({}).settings.outcome == "c-symptoms"
    assert parse({"outcome": "d-response"}).settings.outcome == "d-response"
    assert serialize(parse({"outcome": "d-response"}).settings)["outcome"] == ["d-response"]


def test_the_default_family_is_psychodynamic_where_present_else_the_first():
    assert parse({}).settings.family == "psychodynamic"
    assert parse({"db": "panic-psyctr"}).settings.family == "cbt"


def test_cached_analyses_follow_the_database_content_and_equal_the_direct_ones():
    import dataclasses

    from pdevidence.metapsy.settings import Settings
    from pdevidence.web import metapsy_page

    db = read_database(SHARED / "panic-psyctr.csv")
    assert db.fingerprint == read_database(SHARED / "panic-psyctr.csv").fingerprint
    settings = Settings(database="panic-psyctr", method="pm")
    direct = family_summary(select_rows(db, settings.analysis()), "pm").set_index("family")
    cached = metapsy_page.families_of(db, settings).set_index("family")
    pd.testing.assert_frame_equal(cached, direct)
    # The same database with every effect moved by 0.5: a new fingerprint, so a new analysis, not the cached one.
    moved = dataclasses.replace(db, rows=db.rows.assign(g=db.rows["g"] + 0.5))
    assert moved.fingerprint != db.fingerprint
    cbt = metapsy_page.families_of(moved, settings).set_index("family").loc["cbt", "g"]
    assert cbt == pytest.approx(direct.loc["cbt", "g"] + 0.5, abs=1e-6)
