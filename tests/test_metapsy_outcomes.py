"""Outcome-aware direction, effects from arm data and therapy names, on small synthetic Metapsy files.

Expected values are computed here from the textbook formulas with numpy and pooled
with statsmodels' combine_effects, independently of the code under test.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.meta_analysis import combine_effects

from pdevidence.metapsy.analysis import (
    Analysis,
    across_databases,
    family_summary,
    select_rows,
    study_effects_table,
)
from pdevidence.metapsy.database import read_database
from pdevidence.metapsy.read import EFFECT_COLUMN as G
from pdevidence.metapsy.read import EFFECT_SE_COLUMN as G_SE

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "metapsy"

COLUMNS = (
    "study",
    "condition_arm1",
    "condition_arm2",
    "outcome_type",
    "outcome_domain",
    "dich",
    "instrument",
    "time",
    "mean_arm1",
    "sd_arm1",
    "n_arm1",
    "mean_arm2",
    "sd_arm2",
    "n_arm2",
    "event_arm1",
    "totaln_arm1",
    "event_arm2",
    "totaln_arm2",
    G,
    G_SE,
)


def hedges_g(m1, s1, n1, m2, s2, n2) -> tuple[float, float]:
    """Hedges' g (arm 1 minus arm 2) and its variance, Borenstein et al. (2009) chapter 4."""
    sp = math.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / (n1 + n2 - 2))
    d = (m1 - m2) / sp
    j = 1 - 3 / (4 * (n1 + n2) - 9)
    g = j * d
    return g, (n1 + n2) / (n1 * n2) + g**2 / (2 * (n1 + n2 - 3.94))


def events_g(e1, n1, e2, n2) -> tuple[float, float]:
    """g from a 2x2 table (more events in arm 1 = positive): log OR · √3/π, 0.5 added to a table with a zero."""
    cells = np.array([e1, n1 - e1, e2, n2 - e2], dtype=float)
    if (cells == 0).any():
        cells += 0.5
    log_or = math.log(cells[0] * cells[3] / (cells[1] * cells[2]))
    var = float((1 / cells).sum()) * 3 / math.pi**2
    return log_or * math.sqrt(3) / math.pi * (1 - 3 / (4 * (n1 + n2) - 9)), var


def number(x) -> str:
    return "NA" if x is None else str(x).replace(".", ",")


def to_csv(rows: list[dict]) -> bytes:
    lines = [";".join(['""', *(f'"{c}"' for c in COLUMNS)])]
    for i, row in enumerate(rows):
        cells = []
        for c in COLUMNS:
            value = row.get(c)
            cells.append(f'"{value}"' if isinstance(value, str) else number(value))
        lines.append(";".join([f'"{i + 1}"', *cells]))
    return "\r\n".join(lines).encode("utf-8") + b"\r\n"


# Borderline-like file: every trial has a continuous severity row (stored as arm 1 minus arm 2,
# so lower = better gives negative g) and a suicide-attempt row (stored as Metapsy stores events:
# positive = fewer events in arm 1). Two trials give the attempts as counts only, with no g.
SEVERITY_D = {"Alpha, 2001": 0.4, "Beta, 2005": 0.6, "Gamma, 2010": 0.5, "Delta, 2015": 0.7}
ATTEMPTS = {"Alpha, 2001": (5, 12), "Beta, 2005": (4, 11), "Gamma, 2010": (0, 6), "Delta, 2015": (6, 14)}
EVENT_ONLY = {"Gamma, 2010", "Delta, 2015"}
ARMS = {"Alpha, 2001": "Psychodynamic", "Beta, 2005": "Mentalisation-based", "Gamma, 2010": "TFP"}
ARMS["Delta, 2015"] = "Dynamic deconstructive psychotherapy"
N = 40


def mixed_direction_rows() -> list[dict]:
    rows = []
    for study, d in SEVERITY_D.items():
        m1, m2 = 20 - 10 * d, 20.0
        g, var = hedges_g(m1, 10, N, m2, 10, N)
        rows.append(
            {
                "study": study,
                "condition_arm1": ARMS[study],
                "condition_arm2": "TAU",
                "outcome_type": "msd",
                "outcome_domain": "BPD severity",
                "instrument": "bpdsi",
                "time": "post",
                "mean_arm1": m1,
                "sd_arm1": 10,
                "n_arm1": N,
                "mean_arm2": m2,
                "sd_arm2": 10,
                "n_arm2": N,
                G: round(g, 6),
                G_SE: round(math.sqrt(var), 6),
            }
        )
        e1, e2 = ATTEMPTS[study]
        eg, evar = events_g(e1, N, e2, N)
        rows.append(
            {
                "study": study,
                "condition_arm1": ARMS[study],
                "condition_arm2": "TAU",
                "outcome_type": "dich",
                "outcome_domain": "suicidal behaviour",
                "dich": "suicide attempts",
                "instrument": "count",
                "time": "post",
                "event_arm1": e1,
                "totaln_arm1": N,
                "event_arm2": e2,
                "totaln_arm2": N,
                G: None if study in EVENT_ONLY else round(-eg, 6),
                G_SE: None if study in EVENT_ONLY else round(math.sqrt(evar), 6),
            }
        )
    # Other families, named in full, continuous severity only.
    for study, arm, d in (
        ("Epsilon, 2003", "Cognitive", 0.3),
        ("Zeta, 2008", "Cognitive", 0.5),
        ("Eta, 2012", "Cognitive", 0.4),
        ("Theta, 2014", "Dialectic", 0.6),
        ("Iota, 2016", "Problem solving", 0.2),
        ("Kappa, 2019", "Mixed/other", 0.1),
    ):
        m1, m2 = 20 - 10 * d, 20.0
        g, var = hedges_g(m1, 10, N, m2, 10, N)
        rows.append(
            {
                "study": study,
                "condition_arm1": arm,
                "condition_arm2": "TAU",
                "outcome_type": "msd",
                "outcome_domain": "BPD severity",
                "instrument": "bpdsi",
                "time": "post",
                "mean_arm1": m1,
                "sd_arm1": 10,
                "n_arm1": N,
                "mean_arm2": m2,
                "sd_arm2": 10,
                "n_arm2": N,
                G: round(g, 6),
                G_SE: round(math.sqrt(var), 6),
            }
        )
    # A row whose events cannot be told good or bad: reported, never pooled.
    rows.append(
        {
            "study": "Alpha, 2001",
            "condition_arm1": "Psychodynamic",
            "condition_arm2": "TAU",
            "outcome_type": "dich",
            "outcome_domain": "clinical status",
            "dich": "changed status",
            "time": "post",
            "event_arm1": 10,
            "totaln_arm1": N,
            "event_arm2": 5,
            "totaln_arm2": N,
        }
    )
    return rows


def pooled(effects: list[float], variances: list[float]):
    """DerSimonian-Laird random effects, tau² truncated at zero (then the fixed-effect estimate)."""
    res = combine_effects(np.array(effects), np.array(variances), method_re="dl")
    (fe_low, fe_high), (low, high), *_ = res.conf_int(use_t=False)
    if res.tau2 < 0:
        return float(res.mean_effect_fe), float(fe_low), float(fe_high)
    return float(res.mean_effect_re), float(low), float(high)


@pytest.fixture(scope="module")
def bpd():
    return read_database(to_csv(mixed_direction_rows()), name="bpd-synthetic")


def test_each_outcome_is_turned_its_own_way_and_pooled_apart(bpd):
    outcomes = bpd.outcomes.set_index("outcome")
    assert set(bpd.pooled_outcomes) == {"c-bpd-severity", "d-suicidal-behaviour"}
    assert outcomes.loc["c-bpd-severity", "rule"].startswith("Lower is better")
    assert "Stored g is arm 1 minus arm 2" in outcomes.loc["c-bpd-severity", "rule"]
    assert "Stored g is arm 2 minus arm 1" in outcomes.loc["d-suicidal-behaviour", "rule"]
    assert "fewer events in arm 1" in outcomes.loc["d-suicidal-behaviour", "rule"]

    severity = [hedges_g(20 - 10 * d, 10, N, 20, 10, N) for d in SEVERITY_D.values()]
    expected = pooled([-g for g, _ in severity], [v for _, v in severity])
    row = family_summary(select_rows(bpd, Analysis(outcome="c-bpd-severity"))).set_index("family")
    got = row.loc["psychodynamic"]
    assert got["studies"] == 4 and got["k"] == 4
    assert got["g"] == pytest.approx(expected[0], abs=1e-4) and got["g"] > 0.4
    assert got["ci_low"] == pytest.approx(expected[1], abs=1e-4)
    assert got["ci_high"] == pytest.approx(expected[2], abs=1e-4)

    attempts = [events_g(e1, N, e2, N) for e1, e2 in ATTEMPTS.values()]
    expected = pooled([-g for g, _ in attempts], [v for _, v in attempts])
    got = family_summary(select_rows(bpd, Analysis(outcome="d-suicidal-behaviour"))).set_index("family")
    got = got.loc["psychodynamic"]
    assert got["studies"] == 4  # the two event-only trials are counted
    assert got["g"] == pytest.approx(expected[0], abs=1e-3) and got["g"] > 0.4
    assert got["ci_low"] == pytest.approx(expected[1], abs=1e-3)
    assert got["ci_high"] == pytest.approx(expected[2], abs=1e-3)


def test_the_default_outcome_is_the_continuous_symptom_outcome(bpd):
    assert bpd.default_outcome == "c-bpd-severity"
    rows = select_rows(bpd)
    assert set(rows["outcome"]) == {"c-bpd-severity"}


def test_events_without_a_stored_g_get_g_from_the_counts_with_the_zero_cell_correction(bpd):
    rows = bpd.rows[(bpd.rows["outcome"] == "d-suicidal-behaviour") & bpd.rows["study"].isin(EVENT_ONLY)]
    assert set(rows["g_source"]) == {"events"}
    for row in rows.itertuples():
        e1, e2 = ATTEMPTS[row.study]
        g, var = events_g(e1, N, e2, N)
        assert row.g == pytest.approx(-g, abs=1e-9)  # fewer attempts in arm 1 = positive
        assert row.se == pytest.approx(math.sqrt(var), abs=1e-9)
    gamma = rows[rows["study"] == "Gamma, 2010"].iloc[0]
    assert gamma["g"] > 0  # 0 of 40 against 6 of 40


def test_undecidable_events_are_reported_with_a_reason_and_never_pooled(bpd):
    left_out = bpd.outcomes.set_index("outcome").loc["d-unclassified"]
    assert not left_out["pooled"]
    assert "does not say what the events count" in left_out["reason"]
    assert not bpd.rows.loc[bpd.rows["outcome"] == "d-unclassified", "has_effect"].any()


@pytest.mark.parametrize(
    "name, family",
    [
        ("Psychodynamic", "psychodynamic"),
        ("Mentalisation-based", "psychodynamic"),
        ("TFP", "psychodynamic"),
        ("Dynamic deconstructive psychotherapy", "psychodynamic"),
        ("Cognitive", "cbt"),
        ("Dialectic", "third_wave"),
        ("Problem solving", "problem_solving"),
        ("Mixed/other", "other"),
    ],
)
def test_full_therapy_names_map_to_their_families(bpd, name, family):
    codes = bpd.codes.set_index("code")
    assert codes.loc[name, "family"] == family
    assert not bpd.unmapped


def test_the_stored_g_agrees_with_the_arm_data_in_every_synthetic_row(bpd):
    agree, checked = bpd.agreement
    assert checked == len(SEVERITY_D) + 6 + (len(ATTEMPTS) - len(EVENT_ONLY))
    assert agree == checked and bpd.disagreements.empty


def test_response_stored_either_way_round_is_turned_to_the_same_effect():
    rows = []
    for i, (e1, e2) in enumerate(((20, 10), (18, 12), (25, 15), (16, 9))):
        g, var = events_g(e1, N, e2, N)
        rows.append(
            {
                "study": f"Trial {i}, 20{10 + i}",
                "condition_arm1": "dyn",
                "condition_arm2": "wl",
                "outcome_type": "response (50%)",
                "event_arm1": e1,
                "totaln_arm1": N,
                "event_arm2": e2,
                "totaln_arm2": N,
                G: round(g, 6),
                G_SE: round(math.sqrt(var), 6),
            }
        )
    as_is = read_database(to_csv(rows), name="response-raw")
    flipped = read_database(
        to_csv([{**r, G: -r[".g"]} for r in rows]),
        name="response-flipped",
    )
    a = family_summary(select_rows(as_is)).set_index("family").loc["psychodynamic"]
    b = family_summary(select_rows(flipped)).set_index("family").loc["psychodynamic"]
    expected = pooled(
        [events_g(e1, N, e2, N)[0] for e1, e2 in ((20, 10), (18, 12), (25, 15), (16, 9))],
        [events_g(e1, N, e2, N)[1] for e1, e2 in ((20, 10), (18, 12), (25, 15), (16, 9))],
    )
    assert a["g"] == pytest.approx(b["g"]) == pytest.approx(expected[0], abs=1e-4)
    assert a["g"] > 0  # more responders in the therapy arm
    assert as_is.default_outcome == flipped.default_outcome == "d-response"


def no_psychodynamic_rows() -> list[dict]:
    rows = []
    for i, d in enumerate((0.5, 0.6, 0.7)):
        m1, m2 = 15 - 5 * d, 15.0
        g, var = hedges_g(m1, 5, N, m2, 5, N)
        rows.append(
            {
                "study": f"Panic {i}, 200{i}",
                "condition_arm1": "CBT",
                "condition_arm2": "WL",
                "outcome_type": "msd",
                "instrument": "PDSS",  # a scale the lexicon knows: without an outcome domain nothing else would pool
                "mean_arm1": m1,
                "sd_arm1": 5,
                "n_arm1": N,
                "mean_arm2": m2,
                "sd_arm2": 5,
                "n_arm2": N,
                G: round(g, 6),
                G_SE: round(math.sqrt(var), 6),
            }
        )
    return rows


def test_across_conditions_lists_every_family_per_outcome_only_where_there_is_a_psychodynamic_arm(bpd):
    other = read_database(to_csv(no_psychodynamic_rows()), name="panic-synthetic")
    assert "psychodynamic" not in other.families
    cbt = family_summary(select_rows(other)).set_index("family").loc["cbt"]
    assert cbt["g"] > 0
    across = across_databases({"bpd-synthetic": bpd, "panic-synthetic": other})
    assert set(across["database"]) == {"bpd-synthetic"}
    blocks = across.groupby("outcome")["family"].apply(set).to_dict()
    assert blocks["c-bpd-severity"] >= {"psychodynamic", "cbt", "third_wave", "problem_solving", "other"}
    assert blocks["d-suicidal-behaviour"] == {"psychodynamic"}
    assert across["direction"].str.len().gt(0).all()


def test_study_effects_table_gives_one_turned_effect_per_study_family_comparator_and_outcome(bpd):
    table = study_effects_table(bpd)
    assert list(table.columns)[:8] == [
        "study",
        "year",
        "family",
        "arm1",
        "comparator",
        "comparator_class",
        "outcome",
        "outcome_label",
    ]
    alpha = table[(table["study"] == "Alpha, 2001")].set_index("outcome")
    assert set(alpha.index) == {"c-bpd-severity", "d-suicidal-behaviour"}
    assert alpha.loc["c-bpd-severity", "year"] == 2001
    assert alpha.loc["c-bpd-severity", "comparator_class"] == "usual care"
    g, var = hedges_g(16, 10, N, 20, 10, N)
    assert alpha.loc["c-bpd-severity", "g"] == pytest.approx(-g, abs=1e-6)
    assert alpha.loc["c-bpd-severity", "n_arm1"] == N and alpha.loc["c-bpd-severity", "n_arm2"] == N
    assert alpha.loc["d-suicidal-behaviour", "g"] > 0
    assert alpha["direction_rule"].str.contains("is better").all()


def test_the_command_line_gives_the_outcome_and_its_direction_in_json(tmp_path):
    path = tmp_path / "bpd-synthetic.csv"
    path.write_bytes(to_csv(mixed_direction_rows()))
    result = subprocess.run(
        [sys.executable, "-m", "pdevidence.metapsy", str(path), "--json", "--outcome", "all"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    keys = {"family", "k", "studies", "participants", "g", "ci_low", "ci_high", "i2", "outcome", "direction"}
    assert all(keys <= set(r) for r in records)
    psycho = {r["outcome"]: r for r in records if r["family"] == "psychodynamic"}
    assert set(psycho) == {"c-bpd-severity", "d-suicidal-behaviour"}
    assert psycho["c-bpd-severity"]["g"] > 0.4 and psycho["d-suicidal-behaviour"]["g"] > 0.4
    assert psycho["d-suicidal-behaviour"]["direction"].startswith("Lower is better")
    assert re.search(r"agrees with the stored g \(within 0\.01\) in 12 of 12 rows", result.stderr)


# ----------------------------------------------------------------- the shared databases


def _independent_disagreements(db) -> set:
    """Rows whose stored g matches neither g nor −g recomputed here from means and SDs (numpy)."""
    rows = db.rows
    out = set()
    for idx, r in rows.iterrows():
        values = [
            pd.to_numeric(str(r.get(c)).replace(",", "."), errors="coerce")
            for c in ("mean_arm1", "sd_arm1", "n_arm1", "mean_arm2", "sd_arm2", "n_arm2")
        ]
        stored = r["g_stored"]
        if any(pd.isna(v) for v in values) or pd.isna(stored) or values[1] <= 0 or values[4] <= 0:
            continue
        if r["outcome_kind"] != "continuous":
            continue
        g, _ = hedges_g(*values)
        if min(abs(stored - g), abs(stored + g)) >= 0.01:
            out.add(idx)
    return out


KNOWN_LOST_DECIMALS = {"depression-anxiety-transdiagnostic"}


def test_recomputed_g_agrees_with_the_stored_g_on_the_shared_databases_and_every_difference_is_listed(capsys):
    total_agree = total_checked = 0
    lines = []
    for path in sorted(SHARED.glob("*.csv")):
        db = read_database(path)
        agree, checked = db.agreement
        if path.stem in KNOWN_LOST_DECIMALS:
            # Its arm means lost their decimal mark (shared README; its reviewed coding lists the fault):
            # most rows disagree, and every one is listed; the stored g is what is pooled.
            assert checked - agree > checked // 2 and db.faults
        else:
            total_agree += agree
            total_checked += checked
        listed = db.disagreements
        assert len(listed) == checked - agree
        diff = (listed["stored_g"] - listed["recomputed_g"]).abs()
        assert (diff >= 0.01).all()
        assert _independent_disagreements(db) <= set(listed.index)
        lines.append(f"{db.name}: {agree}/{checked}")
    rate = total_agree / total_checked
    with capsys.disabled():
        print(
            f"\nstored vs recomputed g: {total_agree} of {total_checked} rows agree ({rate:.2%}); " + ", ".join(lines)
        )
    assert total_checked > 2000
    assert rate >= 0.99


def test_change_scores_give_hedges_g_and_a_stored_g_without_arm_data_follows_its_outcome():
    columns = ("mean_change_arm1", "sd_change_arm1", "n_change_arm1", "mean_change_arm2", "sd_change_arm2")
    rows = []
    for i, (c1, c2) in enumerate(((-8.0, -3.0), (-6.0, -2.0), (-9.0, -4.0))):
        g, var = hedges_g(c1, 6, 30, c2, 6, 30)
        rows.append(
            {
                "study": f"Change {i}, 201{i}",
                "condition_arm1": "dyn",
                "condition_arm2": "cau",
                "outcome_type": "change",
                "instrument": "HAMD",  # a scale the lexicon knows (lower is better): the file has no outcome domain
                **dict(zip(columns, (c1, 6, 30, c2, 6), strict=True)),
                "n_change_arm2": 30,
                G: None if i == 0 else round(g, 6),
                G_SE: None if i == 0 else round(math.sqrt(var), 6),
            }
        )
    # A trial reported only as a precalculated g: no arm data, same outcome.
    rows.append(
        {
            "study": "Precalc, 2020",
            "condition_arm1": "dyn",
            "condition_arm2": "cau",
            "outcome_type": "other statistic",
            "instrument": "HAMD",
            G: -0.3,
            G_SE: 0.25,
        }
    )
    text = to_csv(rows).decode()
    header = text.split("\r\n", 1)[0] + ';"mean_change_arm1";"sd_change_arm1";"n_change_arm1";"mean_change_arm2"'
    header += ';"sd_change_arm2";"n_change_arm2"'
    body = []
    for line, row in zip(text.split("\r\n")[1:], rows, strict=False):
        extra = [number(row.get(c)) for c in (*columns, "n_change_arm2")]
        body.append(";".join([line, *extra]))
    db = read_database(("\r\n".join([header, *body]) + "\r\n").encode(), name="change-synthetic")
    effects = db.rows.set_index("study")
    first, _ = hedges_g(-8.0, 6, 30, -3.0, 6, 30)
    assert effects.loc["Change 0, 2010", "g_source"] == "change"
    assert effects.loc["Change 0, 2010", "g"] == pytest.approx(-first, abs=1e-9) and first < 0
    # Stored g here is arm 1 minus arm 2 (checked on the two rows with both), so the precalculated
    # -0.3 means a larger drop in symptoms in arm 1, turned to +0.3.
    assert effects.loc["Precalc, 2020", "g"] == pytest.approx(0.3)
    assert effects.loc["Precalc, 2020", "g_source"] == "stored"
    assert db.agreement == (2, 2)


@pytest.mark.parametrize("name", ["depression-psyctr", "panic-psyctr", "psychosis-psyctr"])
def test_study_effects_on_symptom_scales_are_positive_when_arm_1_ends_with_fewer_symptoms(name):
    db = read_database(SHARED / f"{name}.csv")
    table = study_effects_table(db)
    assert table["g"].notna().all() and (table["se"] > 0).all()
    assert set(table["outcome"]) <= set(db.pooled_outcomes)
    # Single-row effects on symptom scales: the sign must be that of mean_arm2 - mean_arm1.
    rows = db.rows[db.rows["has_effect"] & (db.rows["outcome_kind"] == "continuous")]
    means = rows[["mean_arm1", "mean_arm2"]].apply(
        lambda c: pd.to_numeric(c.astype(str).str.replace(",", "."), errors="coerce")
    )
    single = table[table["rows"] == 1].merge(
        rows.assign(diff=means["mean_arm2"] - means["mean_arm1"])[["study", "outcome", "condition_arm2", "diff"]],
        left_on=["study", "outcome", "comparator"],
        right_on=["study", "outcome", "condition_arm2"],
    )
    checked = single[single["diff"].abs() > 0]
    checked = checked.drop_duplicates(["study", "outcome", "comparator"], keep=False)
    assert len(checked) > 20
    agree = (np.sign(checked["g"]) == np.sign(checked["diff"])).mean()
    assert agree >= 0.98, agree


def test_the_command_line_takes_a_catalogue_name_and_reads_the_local_copy():
    result = subprocess.run(
        [sys.executable, "-m", "pdevidence.metapsy", "panic-psyctr", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    records = {r["family"]: r for r in json.loads(result.stdout)}
    db = read_database(SHARED / "panic-psyctr.csv")
    cbt = family_summary(select_rows(db)).set_index("family").loc["cbt"]
    assert records["cbt"]["outcome"] == "c-symptoms"
    assert records["cbt"]["g"] == round(float(cbt["g"]), 4) and records["cbt"]["studies"] == cbt["studies"]


# ----------------------------------------------------------------- the instrument lexicon


@pytest.mark.parametrize(
    "scale, higher",
    [
        ("bdi-ii", False), ("BDI-2", False), ("bdi-1", False), ("hamd", False), ("hdrs-17", False),
        ("HRSD-24", False), ("ham-d", False), ("phq-9", False), ("phq-8", False), ("gad-7", False),
        ("ede-q", False), ("hads-a", False), ("hads", False), ("bai", False), ("stai-t", False),
        ("pcl-5", False), ("caps-5", False), ("y-bocs", False), ("ybocs", False), ("pdss-sr", False),
        ("lsas-sr", False), ("ces-d", False), ("madrs-s", False), ("qids-sr", False), ("ham-a", False),
        ("sf-36", True), ("SF-36 physical fu...", True), ("sf-12 mh", True), ("whoqol-bref", True),
        ("who-qol-hiv bref", True), ("eq-5d-5l", True), ("qoli", True), ("swlq", True),
    ],
)  # fmt: skip
def test_the_lexicon_gives_each_named_scale_its_sourced_direction(scale, higher):
    from pdevidence.metapsy.coding import instrument_direction

    entry = instrument_direction(scale)
    assert entry is not None and entry.higher_is_better is higher
    assert '"' in entry.source  # every direction quotes the line it rests on


@pytest.mark.parametrize(
    "scale",
    ["ed-qol (eating disorder quality of life assessment survey)", "edqol", "pooled - lehman quality of life inventory",
     "cy-bocs", "hads-d-severity", "bdi-fs", "pcl", "caps", "ibs-qol"],
)  # fmt: skip
def test_scales_whose_direction_was_not_sourced_are_not_in_the_lexicon(scale):
    from pdevidence.metapsy.coding import instrument_direction

    assert instrument_direction(scale) is None


def _scale_rows(domain: str | None) -> list[dict]:
    """Three trials, each with SF-36 (higher is better), EDQOL (higher is worse) and BDI-II rows; arm 1 better on all."""
    rows = []
    for i, d in enumerate((0.4, 0.5, 0.6)):
        for scale, sign in (("sf-36", 1), ("edqol", -1), ("bdi-ii", -1)):
            m1, m2 = 50 + sign * 10 * d, 50.0
            g, var = hedges_g(m1, 10, N, m2, 10, N)
            rows.append(
                {
                    "study": f"Scale {i}, 201{i}", "condition_arm1": "dyn", "condition_arm2": "wl",
                    "outcome_type": "msd", "outcome_domain": domain if scale != "bdi-ii" else None,
                    "instrument": scale, "time": "post", "mean_arm1": m1, "sd_arm1": 10, "n_arm1": N,
                    "mean_arm2": m2, "sd_arm2": 10, "n_arm2": N, G: round(g, 6), G_SE: round(math.sqrt(var), 6),
                }
            )  # fmt: skip
    return rows


@pytest.mark.parametrize("domain", ["quality of life", None])
def test_a_quality_of_life_scale_where_higher_is_worse_is_never_pooled_with_its_sign_reversed(domain):
    db = read_database(to_csv(_scale_rows(domain)), name="scales-synthetic")
    assert db.coding == "automatic"
    by_scale = db.rows.groupby("instrument")["outcome"].agg(set)
    outcomes = db.outcomes.set_index("outcome")
    sf36 = by_scale["sf-36"].pop()
    assert outcomes.loc[sf36, "pooled"] and outcomes.loc[sf36, "higher_is_better"]
    assert "Short Form 36" in outcomes.loc[sf36, "rule"]
    assert (db.rows.loc[db.rows["instrument"] == "sf-36", "g"] > 0).all()  # higher SF-36 in arm 1: a benefit
    edqol = by_scale["edqol"].pop()
    assert edqol != sf36 and not outcomes.loc[edqol, "pooled"]
    assert not db.rows.loc[db.rows["instrument"] == "edqol", "has_effect"].any()
    bdi = db.rows[db.rows["instrument"] == "bdi-ii"]
    assert set(bdi["outcome"]) == {"c-symptoms"} and (bdi["g"] > 0).all()
    assert "Beck Depression Inventory" in outcomes.loc["c-symptoms", "rule"]


# ----------------------------------------------------------------- coding per row, and what the generic rules assume


def test_every_row_of_an_automatic_reading_says_so_and_shows_each_assumption_of_the_generic_rules(tmp_path):
    rows = [{**r, "outcome_domain": None, "time": None} for r in _scale_rows(None) if r["instrument"] != "edqol"]
    bdi_rows = [r for r in rows if r["instrument"] == "bdi-ii"]
    rows += [{**r, "instrument": "dacl", "study": r["study"].replace("Scale", "Other")} for r in bdi_rows]
    # The same scale under a domain the keyword table reads (lower is better): a direction by the generic rules.
    rows += [
        {**r, "instrument": "dacl", "outcome_domain": "depression", "study": r["study"].replace("Scale", "Keyword")}
        for r in bdi_rows
    ]
    db = read_database(to_csv(rows), name="automatic-synthetic")
    assert set(db.rows["coding"]) == {"automatic"}
    by_study = db.rows.set_index("study")
    # BDI-II: direction from the lexicon (a source), family "dyn" by its name, no time column.
    bdi = by_study.loc["Scale 0, 2010"].set_index("instrument").loc["bdi-ii", "assumptions"]
    assert "direction" not in bdi and "“dyn” read as Psychodynamic therapy (by its name)" in bdi
    assert "no `time` column: counted as post-treatment" in bdi
    # A scale the lexicon does not know, in a row without a domain: no source gives its direction, so it gets none
    # (it used to be assumed a symptom scale) and is never pooled; the reason is shown on its outcome.
    other = by_study.loc["Other 0, 2010"]
    assert other["outcome"] == "c-symptoms~unknown" and not other["has_effect"]
    assert "direction" not in other["assumptions"]
    unknown = db.outcomes.set_index("outcome").loc["c-symptoms~unknown"]
    assert not unknown["pooled"] and unknown["rows"] == 3 and "the file gives no outcome domain" in unknown["reason"]
    # The same scale under the domain "depression": a direction by the keyword table, shown as an assumption.
    keyword = by_study.loc["Keyword 0, 2010", "assumptions"]
    assert "direction by the generic rules: “depress” in the outcome domain “depression”" in keyword
    table = study_effects_table(db)
    assert set(table["coding"]) == {"automatic"}
    assert table["assumptions"].str.contains("counted as post-treatment").all()
    summary = family_summary(select_rows(db)).set_index("family")
    assert summary.loc["psychodynamic", "coding"] == "automatic" and summary.loc["psychodynamic", "studies"] == 3
    assert "counted as post-treatment (3 trials)" in summary.loc["psychodynamic", "assumptions"]
    assert "direction" not in summary.loc["psychodynamic", "assumptions"]  # the BDI-II trials: lexicon only
    keyed = family_summary(select_rows(db, Analysis(outcome="c-depression"))).set_index("family")
    assert (
        "direction by the generic rules: “depress” in the outcome domain" in keyed.loc["psychodynamic", "assumptions"]
    )
    assert "(3 trials)" in keyed.loc["psychodynamic", "assumptions"]  # the three keyword trials, not the others

    path = tmp_path / "automatic-synthetic.csv"
    path.write_bytes(to_csv(rows))
    done = subprocess.run(
        [sys.executable, "-m", "pdevidence.metapsy", str(path), "--json", "--outcome", "all"], capture_output=True,
        text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    records = {r["outcome"]: r for r in json.loads(done.stdout)}
    assert "c-symptoms~unknown" not in records
    record = records["c-depression"]
    assert record["coding"] == "automatic" and any("direction by the generic rules" in a for a in record["assumptions"])
    done = subprocess.run(
        [sys.executable, "-m", "pdevidence.metapsy", str(path)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    header = next(line for line in done.stdout.splitlines() if line.startswith("outcome"))
    assert header.split()[:3] == ["outcome", "family", "coding"]
    assert "automatic" in done.stdout.split(header, 1)[1].splitlines()[1]
    assert "assumptions of the generic rules" in done.stdout
    assert "c-symptoms~unknown (Scores without an outcome domain (direction not established); 0 trials)" in done.stdout


def test_an_automatic_reading_pools_no_outcome_whose_direction_no_source_establishes():
    rows = []
    for i, d in enumerate((0.4, 0.5, 0.6)):
        for domain, scale in (
            ("social functioning", "sas-sr"),  # a domain of both directions, a scale the lexicon does not know
            ("self-esteem", "rses"),  # a domain word for "higher is better", but no source for this scale
            ("depression", "bdi-ii"),  # the lexicon knows it
            ("adherence", "pill count"),  # no keyword, no lexicon entry
        ):
            m1, m2 = 20 - 10 * d, 20.0
            g, var = hedges_g(m1, 10, N, m2, 10, N)
            rows.append(
                {
                    "study": f"Dir {i}, 200{i}", "condition_arm1": "dyn", "condition_arm2": "wl", "outcome_type": "msd",
                    "outcome_domain": domain, "instrument": scale, "time": "post", "mean_arm1": m1, "sd_arm1": 10,
                    "n_arm1": N, "mean_arm2": m2, "sd_arm2": 10, "n_arm2": N, G: round(g, 6),
                    G_SE: round(math.sqrt(var), 6),
                }
            )  # fmt: skip
    db = read_database(to_csv(rows), name="directions-synthetic")
    assert db.coding == "automatic"
    assert set(db.pooled_outcomes) == {"c-depression"}
    left_out = db.outcomes[~db.outcomes["pooled"]]
    assert (
        len(left_out) == 3 and left_out["reason"].str.startswith("cannot tell whether a higher value is better").all()
    )
    assert not db.rows.loc[db.rows["instrument"] != "bdi-ii", "has_effect"].any()


def test_the_page_tables_carry_the_coding_and_assumptions_of_every_row(bpd):
    from pdevidence.web.metapsy_page import _summary_table

    table = _summary_table(family_summary(select_rows(bpd)))
    assert {"coding", "assumptions"} <= set(table.columns)
    assert set(table["coding"]) == {"automatic"}
    assert table.set_index("therapy family").loc["Psychodynamic therapy", "assumptions"].count("by its name") == 4
