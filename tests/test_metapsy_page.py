"""The Metapsy page, run with Streamlit's AppTest: content, too-few-trials state, link state, data sources."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pdevidence.metapsy.analysis import Analysis, family_summary, select_rows
from pdevidence.metapsy.database import read_database
from pdevidence.metapsy.settings import PARAMS

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "metapsy.py")
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "metapsy"


@pytest.fixture(autouse=True)
def isolated_sources(tmp_path, monkeypatch):
    """Downloads go to a temporary cache; the page reads shared/metapsy unless a test says otherwise."""
    monkeypatch.setenv("PDEVIDENCE_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("PDEVIDENCE_METAPSY_DIR", raising=False)


def run(**params) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=180)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts_of_labels(at: AppTest) -> list[str]:
    return [e.label for e in at.expander]


def texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


def unescaped(text: str) -> str:
    return text.replace("\\", "")


def test_the_page_shows_the_pooled_psychodynamic_g_for_depression():
    db = read_database(SHARED / "depression-psyctr.csv")
    row = family_summary(select_rows(db)).set_index("family").loc["psychodynamic"]
    expected = f"g = {row['g']:.2f} (95% CI {row['ci_low']:.2f} to {row['ci_high']:.2f})"
    at = run()
    assert at.title[0].value == "Trial databases (Metapsy)"
    assert any(expected in m for m in texts(at.markdown)), expected
    assert any(h == "Therapy families in depression" for h in texts(at.header))
    assert len(at.get("plotly_chart")) == 1, "the families chart is drawn at load, the rest when opened"
    assert "Table: therapy families compared" in texts_of_labels(at)
    assert any(
        "Too few psychodynamic trials to pool" in c
        and r"Panic disorder, panic and anxiety symptom scales \(one per comparison\) (2 trials)" in c
        for c in texts(at.caption)
    )
    assert dict(at.query_params) == {"db": "depression-psyctr", "outcome": "c-symptoms"}


def test_the_page_credits_the_metapsy_project_with_doi_version_and_search_date():
    at = run()
    credit = " ".join(texts(at.markdown))
    assert "Metapsy project (metapsy.org)" in credit
    assert "10.5281/zenodo.7254845" in credit
    assert "ceeabb7" in credit
    assert "2024-01-01" in credit
    assert "ODC-By" in credit


def test_panic_psychodynamic_shows_an_honest_too_few_trials_state():
    at = run(db="panic-psyctr", family="psychodynamic")
    warnings = " ".join(texts(at.warning))
    assert "Too few trials to pool" in warnings
    assert "pooling needs at least 3" in warnings
    assert not any("Pooled g = " in m for m in texts(at.markdown))
    assert dict(at.query_params) == {"db": "panic-psyctr", "outcome": "c-symptoms"}


def test_a_link_with_every_setting_reopens_the_same_analysis_and_keeps_its_query_string():
    params = {
        "db": "sad-psyctr",
        "family": "third_wave",
        "vs": "wlc",
        "tau": "pm",
        "size": "60",
        "lowrob": "0",
        "time": "all",
    }
    at = run(**params)
    expected = {"db": "sad-psyctr", "outcome": "c-social-anxiety", **{k: v for k, v in params.items() if k != "lowrob"}}
    assert dict(at.query_params) == expected
    assert at.sidebar.selectbox(key="mp_db").value == "sad-psyctr"
    assert at.sidebar.selectbox(key="mp_family").value == "third_wave"
    assert at.sidebar.multiselect(key="mp_vs").value == ["wlc"]
    assert at.sidebar.radio(key="mp_tau").value == "pm"
    assert at.sidebar.number_input(key="mp_size").value == 60
    assert at.sidebar.selectbox(key="mp_time").value == "all"
    assert not at.warning or all("Ignored" not in w for w in texts(at.warning))
    assert any("Paule-Mandel" in m for m in texts(at.markdown))


def test_changing_a_widget_writes_the_url():
    at = run()
    at.sidebar.radio(key="mp_tau").set_value("pm").run()
    at.sidebar.toggle(key="mp_lowrob").set_value(True).run()
    assert not at.exception
    assert dict(at.query_params) == {"db": "depression-psyctr", "outcome": "c-symptoms", "tau": "pm", "lowrob": "1"}


def test_invalid_link_values_give_visible_notices_and_no_traceback():
    at = run(db="nowhere", tau="magic", size="-3", lowrob="maybe", time="yesterday", vs="moon", colour="red")
    notices = unescaped(" ".join(texts(at.warning)))
    for fragment in (
        "Ignored db 'nowhere'",
        "Ignored tau 'magic'",
        "Ignored size '-3'",
        "Ignored lowrob 'maybe'",
        "Ignored time 'yesterday'",
        "Ignored vs 'moon'",
        "unknown link parameter 'colour'",
    ):
        assert fragment in notices
    assert at.sidebar.selectbox(key="mp_db").value == "depression-psyctr"
    assert {k: v for k, v in at.query_params.items() if k in PARAMS} == {
        "db": "depression-psyctr",
        "outcome": "c-symptoms",
    }


def test_choosing_another_outcome_pools_it_shows_its_rule_and_writes_it_to_the_url():
    db = read_database(SHARED / "depression-psyctr.csv")
    row = family_summary(select_rows(db, Analysis(outcome="d-remission"))).set_index("family").loc["cbt"]
    at = run(show="families-table")
    at.sidebar.selectbox(key="mp_outcome").set_value("d-remission").run()
    assert not at.exception
    assert dict(at.query_params) == {"db": "depression-psyctr", "outcome": "d-remission", "show": "families-table"}
    shown = " ".join(texts(at.markdown))
    assert "Remission or recovery" in shown and "Higher is better" in shown
    assert "more events in arm 1" in shown
    table = at.dataframe[0].value
    cbt = table[table["therapy family"].str.startswith("CBT")].iloc[0]
    assert cbt["trials"] == row["studies"] and round(cbt["g"], 3) == round(row["g"], 3)


def test_a_link_to_an_outcome_opens_it_and_the_data_check_lists_every_disagreement():
    at = run(db="sad-psyctr", outcome="c-social-anxiety", show="check")
    assert at.sidebar.selectbox(key="mp_outcome").value == "c-social-anxiety"
    shown = " ".join(texts(at.markdown))
    db = read_database(SHARED / "sad-psyctr.csv")
    agree, checked = db.agreement
    assert f"{agree} of {checked} rows" in shown
    frames = [d.value for d in at.dataframe]
    listed = next(f for f in frames if "recomputed g" in f.columns)
    assert len(listed) == len(db.disagreements) == checked - agree
    assert "Mattick, 1989" in set(listed["study"])
    assert "only the sign differs" in shown


def test_across_conditions_has_one_row_per_condition_and_outcome_with_every_family():
    at = run(db="panic-psyctr", show="across-table")
    at.sidebar.selectbox(key="mp_db").set_value("depression-psyctr").run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "condition" in d.value.columns)
    keys = list(zip(table["condition"], table["outcome"], strict=True))
    assert len(keys) == len(set(keys))
    assert ("Depression", "Depression symptom scales") in keys
    assert ("Panic disorder", "Panic and anxiety symptom scales (one per comparison)") in keys  # reviewed label
    depression = table.set_index(["condition", "outcome"]).loc[("Depression", "Depression symptom scales")]
    db = read_database(SHARED / "depression-psyctr.csv")
    summary = family_summary(select_rows(db)).set_index("family")
    psycho, cbt = summary.loc["psychodynamic"], summary.loc["cbt"]
    assert depression["Psychodynamic therapy"].startswith(f"{psycho['g']:.2f} ({psycho['ci_low']:.2f} to")
    assert depression["CBT (cognitive, behavioural or exposure therapy)"].endswith(f"{cbt['studies']} trials")
