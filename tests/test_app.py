"""App-level tests: every page renders its real content from data/, inside the app frame."""

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pdevidence import filters, load, stats, viewstate, vocab
from pdevidence.web import widgets

APP = str(Path(__file__).resolve().parents[1] / "app.py")

PAGES = {
    "pages/overview.py": "Psychodynamic therapy: what does the evidence show?",
    "pages/explore.py": "Explore the studies",
    "pages/study_size.py": "How big are the studies?",
    "pages/metapsy.py": None,
    "pages/therapy_types.py": "Therapy types compared",
    "pages/short_vs_long.py": "Short-term and long-term psychodynamic therapy",
    "pages/defense_mechanisms.py": "Defense mechanisms",
    "pages/claims.py": "The article's claims, checked",
    "pages/glossary.py": "Glossary",
    "pages/sources.py": "Sources and method",
}


def open_page(page: str, **params) -> AppTest:
    """Open a page as a visitor following a link to it would: its URL and query string."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page(page)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    return at


def markdown_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def frame_with(at: AppTest, *columns: str):
    """The first table on the page that has all these columns."""
    for frame in at.dataframe:
        if set(columns) <= set(frame.value.columns):
            return frame.value
    raise AssertionError(f"no table with columns {columns}")


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_inside_the_frame_without_errors(page):
    at = open_page(page)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    if PAGES[page]:
        assert at.title[0].value == PAGES[page]
    assert "Information only, not medical advice" in at.info[0].value
    footer = at.main.caption[-1].value
    assert "Fonagy P. (2015)" in footer and "PMID 26043322" in footer and "StatPearls" in footer


CHART_PAGES = {f"pages/{page}.py": page for page in viewstate.CHART_PANELS}


@pytest.mark.parametrize("page", CHART_PAGES)
def test_the_main_chart_is_drawn_at_load_the_others_when_their_panel_opens_and_a_link_reopens_them(page):
    path = CHART_PAGES[page]
    at_load = viewstate.AT_LOAD.get(CHART_PAGES[page].removeprefix("pages/").removesuffix(".py"), ())
    closed = open_page(page)
    chart_panels = [e.label for e in closed.expander if e.label.startswith("Chart: ")]
    table_panels = {e.label for e in closed.expander if e.label.startswith("Table: ")}
    drawn_at_load = len(closed.get("plotly_chart"))
    # Only a page's own main chart is drawn before a click; every other chart waits in its closed panel.
    assert drawn_at_load <= len(at_load)
    assert {"Table: " + c.removeprefix("Chart: ") for c in chart_panels} <= table_panels
    assert chart_panels or drawn_at_load
    assert "show" not in closed.query_params

    every = list(viewstate.panels_of(path))
    opened = open_page(page, show=every)
    assert not opened.exception, [e.value for e in opened.exception]
    drawn = [e.label for e in opened.expander if e.label.startswith("Chart: ")]
    assert len(opened.get("plotly_chart")) == len(drawn) + drawn_at_load
    assert len(drawn) == len(chart_panels)
    # The link keeps every panel of this page it was given, in the fixed order of viewstate.PANELS.
    kept = (
        opened.query_params.get_all("show") if hasattr(opened.query_params, "get_all") else opened.query_params["show"]
    )
    kept = [kept] if isinstance(kept, str) else list(kept)
    assert kept == [p for p in viewstate.PANELS if p in every]


@pytest.mark.parametrize("page", ["overview", "explore", "study_size", "therapy_types", "short_vs_long"])
def test_the_page_draws_its_main_chart_at_load_without_a_click(page):
    at = open_page(f"pages/{page}.py")
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("plotly_chart")) >= 1


def test_explore_draws_its_chart_at_load_for_every_condition_and_says_when_no_effect_can_be_shown(trials):
    for group in sorted(trials["condition_group"].unique()):
        at = open_page("pages/explore.py", condition=group)
        assert not at.exception, [e.value for e in at.exception]
        charts = at.get("plotly_chart")
        assert len(charts) == 1, group  # every study by size and finding; the others wait in their panels
        points = sum(len(trace["y"]) for trace in json.loads(charts[0].proto.spec)["data"])  # y: condition names
        assert points == (trials["condition_group"] == group).sum(), group  # one mark per comparison
        no_effect = any("None of the selected trials report" in i.value for i in at.info)
        assert no_effect == stats.poolable(trials[trials["condition_group"] == group]).empty, group


@pytest.mark.parametrize(("group", "mapped"), [("depression", True), ("eating", False), ("psychosis", False)])
def test_the_overview_opens_on_a_chart_and_where_no_effect_can_be_mapped_on_the_trials_by_size(group, mapped):
    at = open_page("pages/overview.py", condition=group)
    assert not at.exception, [e.value for e in at.exception]
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    title = "trials per condition by size"
    in_panel = any(e.label == f"Chart: {title}" for e in at.expander)
    no_effect = any("None of the trials in this selection has an effect size" in i.value for i in at.info)
    assert (in_panel, no_effect) == (mapped, not mapped)
    spec = json.loads(charts[0].proto.spec)
    kinds = {trace["type"] for trace in spec["data"]}
    assert kinds == ({"scatter"} if mapped else {"bar"})  # the effect map, or the trials by size in its place
    assert any(e.label == f"Table: {title}" for e in at.expander)  # its table stays one click away


def test_every_panel_a_page_draws_is_registered_for_that_page_and_every_registered_panel_is_drawn():
    import re

    root = Path(APP).parent
    drawn: dict[str, set[str]] = {}
    sources = {p.stem: [p] for p in (root / "pages").glob("*.py")} | {
        "metapsy": [root / "pdevidence" / "web" / "metapsy_page.py"]
    }
    sources["explore"].append(root / "pdevidence" / "web" / "findings.py")  # Explore's view of one condition
    for page, paths in sources.items():
        text = "\n".join(path.read_text(encoding="utf-8") for path in paths)
        names = set(re.findall(r'panel="([a-z-]+)"', text)) | set(re.findall(r'open_panel\(.*, "([a-z-]+)"\)', text))
        if names:
            drawn.setdefault(page, set()).update(names)
    registered = {
        page: set(viewstate.CHART_PANELS.get(page, ())) | set(viewstate.TABLE_PANELS.get(page, ()))
        for page in viewstate.PANEL_PAGES
    }
    assert drawn == registered


def test_a_bad_panel_in_a_link_is_reported_even_when_the_page_stops_early():
    # Somatic trials are all short-term: no trial matches, so the page stops before any panel.
    at = open_page("pages/overview.py", condition="somatic", term="long-term", show=["bogus", "effect-map"])
    assert any("No trials match these filters" in w.value for w in at.warning)
    assert any("Ignored show 'bogus'" in w.value.replace("\\", "") for w in at.warning)
    assert at.query_params["show"] in ("effect-map", ["effect-map"])


def test_going_back_to_a_link_without_a_panel_closes_it():
    base = len(open_page("pages/study_size.py").get("plotly_chart"))  # the charts drawn at load
    at = open_page("pages/study_size.py", show="followup")
    assert len(at.get("plotly_chart")) == base + 1
    del at.query_params["show"]  # the browser goes back to the address before the panel was opened
    at.run()
    assert len(at.get("plotly_chart")) == base
    at.query_params["show"] = "followup-table"  # and forward to another one
    at.run()
    assert len(at.get("plotly_chart")) == base
    assert at.query_params["show"] in ("followup-table", ["followup-table"])


def test_the_share_link_includes_a_panel_opened_in_this_run():
    at = open_page("pages/study_size.py")
    key = next(k for k in at.session_state._state.filtered_state if k.endswith("_followup"))
    at.session_state[key] = True
    at.run()
    shared = [c.value for c in at.sidebar.code]
    assert shared and shared[-1].endswith("?show=followup"), shared


def test_a_link_to_a_panel_of_another_page_is_dropped_with_a_notice():
    at = open_page("pages/overview.py", show=["forest", "effect-map", "<b>x</b>"])
    assert len(at.get("plotly_chart")) == 1  # the effect map, drawn at load; an old link naming it still opens
    notices = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "Ignored show 'forest': not a chart or table of this page." in notices
    assert "Ignored show '<b>x</b>'" in notices
    assert at.query_params["show"] in ("effect-map", ["effect-map"])


def test_opening_a_panel_writes_it_to_the_link_and_closing_removes_it():
    at = open_page("pages/study_size.py")
    base = len(at.get("plotly_chart"))  # the charts drawn at load
    key = next(k for k in at.session_state._state.filtered_state if k.endswith("_followup"))
    at.session_state[key] = True
    at.run()
    assert len(at.get("plotly_chart")) == base + 1
    assert at.query_params["show"] in ("followup", ["followup"])
    at.session_state[key] = False
    at.run()
    assert len(at.get("plotly_chart")) == base
    assert "show" not in at.query_params


def test_overview_counts_trials_and_participants_from_the_data(trials):
    at = open_page("pages/overview.py")
    per_study = stats.per_study(trials)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Trials"] == str(len(per_study))
    assert metrics["Participants randomized"] == f"{int(per_study['n_randomized'].sum()):,}"
    table = frame_with(at, "condition", "studies")
    assert set(table["condition"]) == {vocab.CONDITION_GROUPS[c] for c in per_study["condition_group"].unique()}
    depression = table.set_index("condition").loc["Depression"]
    assert depression["studies"] == per_study["condition_group"].eq("depression").sum()


def test_the_overview_links_to_every_explainer():
    at = open_page("pages/overview.py")
    links = {link.proto.page for link in at.get("page_link")}
    for page in (
        "explore",
        "claims",
        "therapy_types",
        "short_vs_long",
        "defense_mechanisms",
        "glossary",
        "sources",
        "metapsy",
    ):
        assert any(page in str(target) for target in links), (page, links)


def test_a_condition_in_the_link_filters_the_overview(trials):
    at = open_page("pages/overview.py", condition="personality")
    metrics = {m.label: m.value for m in at.metric}
    expected = trials[trials["condition_group"] == "personality"]["study"].nunique()
    assert metrics["Trials"] == str(expected)
    assert at.query_params["condition"] == ["personality"] or at.query_params["condition"] == "personality"
    assert list(at.sidebar.multiselect[0].value) == ["personality"]


def test_filters_carry_over_when_moving_to_another_page(trials):
    at = open_page("pages/overview.py", condition="depression")
    at.switch_page("pages/explore.py")
    at.run()
    assert list(at.sidebar.multiselect[0].value) == ["depression"]
    assert at.query_params["condition"] in ("depression", ["depression"])
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Comparisons"] == str((trials["condition_group"] == "depression").sum())


def test_the_pooling_choice_carries_to_the_other_page_that_pools_but_a_panel_does_not():
    at = open_page("pages/explore.py", pool_vs="active", show="studies")
    at.switch_page("pages/study_size.py")
    at.run()
    assert not at.exception
    assert next(r for r in at.radio if r.label == "Compared with").value == "active"
    assert at.query_params["pool_vs"] in ("active", ["active"])
    assert "show" not in at.query_params


def test_changing_a_filter_updates_the_link_and_the_figures(trials):
    at = open_page("pages/explore.py")
    at.sidebar.multiselect[0].set_value(["eating"]).run()
    assert at.query_params["condition"] in ("eating", ["eating"])
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Trials"] == str(trials.loc[trials["condition_group"] == "eating", "study"].nunique())


def test_a_specific_condition_in_the_link_filters_the_trials_and_narrows_with_its_group(trials):
    at = open_page("pages/explore.py", condition="anxiety", specific="social_anxiety")
    assert not at.exception
    specific = next(m for m in at.sidebar.multiselect if m.label == "Specific condition")
    assert list(specific.value) == ["social_anxiety"]
    offered = set(trials.loc[trials["condition_group"] == "anxiety", "condition_specific"])
    assert set(specific.options) == {vocab.CONDITIONS_SPECIFIC[c] for c in offered}
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Comparisons"] == str((trials["condition_specific"] == "social_anxiety").sum())
    assert at.query_params["specific"] in ("social_anxiety", ["social_anxiety"])


def test_a_specific_condition_outside_the_chosen_group_is_dropped_with_a_notice():
    at = open_page("pages/explore.py", condition="eating", specific="ibs")
    assert not at.exception
    assert any("Ignored specific 'ibs'" in w.value.replace("\\", "") for w in at.warning)
    assert "specific" not in at.query_params


def test_model_names_with_commas_survive_the_share_link(trials):
    name = "STPP (manualised, individual)"
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("pages/explore.py")
    at.query_params["model"] = [name, "MBT"]
    at.run()
    assert not at.exception and not at.warning
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Comparisons"] == str(trials["pd_model"].isin([name, "MBT"]).sum())
    assert sorted(at.query_params["model"]) == sorted([name, "MBT"])


def test_downloads_escape_cells_a_spreadsheet_would_run_as_formulas():
    frame = pd.DataFrame(
        {
            "study": ['=HYPERLINK("https://evil.example")', "+1", "-cmd", "@SUM(A1)", "\tx", "\rx", "Plain", None],
            "g": [-0.5, 0.2, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0],
        }
    )
    safe = widgets.csv_safe(frame)
    assert list(safe["study"][:6]) == [
        '\'=HYPERLINK("https://evil.example")',
        "'+1",
        "'-cmd",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
    ]
    assert safe["study"][6] == "Plain" and pd.isna(safe["study"][7])
    text = widgets.to_csv(frame).decode("utf-8")
    assert "-0.5" in text and "'-0.5" not in text and "'-1.0" not in text  # numbers stay numbers
    assert list(frame["study"])[0].startswith("=")  # the shown table itself is not changed


@pytest.mark.parametrize(
    "params, notice",
    [
        ({"condition": "depresion"}, "Ignored condition 'depresion'"),
        ({"n_min": "abc"}, "not a whole number"),
        ({"n_min": "-3"}, "cannot be negative"),
        ({"condition": "<img src=x onerror=alert(1)>"}, "Ignored condition"),
        ({"pool_vs": "everything"}, "Ignored pool_vs 'everything'"),
    ],
)
def test_broken_links_show_a_notice_not_a_traceback(params, notice):
    at = open_page("pages/explore.py", **params)
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning).replace("\\", "")
    assert notice in warnings
    if "<img" in params.get("condition", ""):
        assert "\\<img" in " ".join(w.value for w in at.warning)  # escaped: shown as text, never as HTML


def test_explore_lists_exactly_the_filtered_studies(trials):
    at = open_page("pages/explore.py", condition="depression", comparator="active")
    expected = filters.apply(trials, {"condition": ("depression",), "comparator": ("active",)})
    listing = frame_with(at, "first_author", "link")
    assert len(listing) == len(expected)
    assert set(listing["first_author"]) == set(expected["first_author"])
    assert all(link.startswith("https://") for link in listing["link"])


def test_explore_pools_or_says_plainly_why_not(trials):
    at = open_page("pages/explore.py")
    rows = stats.pooling_set(trials, "inactive", "post")
    if len(rows) >= stats.MIN_STUDIES_TO_POOL:
        pooled = stats.pool(rows["es_value"], rows["se"])
        metrics = {m.label: m.value for m in at.metric}
        assert metrics["Pooled effect"] == f"{pooled.estimate:.2f}"
        assert metrics["Trials / participants"].startswith(f"{pooled.k} /")
    else:
        infos = " ".join(i.value for i in at.info)
        assert "needs at least 3" in infos


def test_explore_with_too_few_studies_shows_no_pooled_estimate():
    at = open_page("pages/explore.py", condition="psychosis", pool_vs="active")
    assert "Pooled effect" not in [m.label for m in at.metric]
    assert any("A pooled estimate needs at least 3" in i.value for i in at.info)


def test_study_size_reports_median_and_share_under_100(trials):
    at = open_page("pages/study_size.py")
    per_study = stats.per_study(trials)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Median trial size"] == f"{per_study['n_randomized'].median():.0f} participants"
    assert metrics["Trials under 100 participants"] == f"{(per_study['n_randomized'] < 100).mean():.0%}"
    rows = stats.pooling_set(trials, "inactive", "post")
    if len(rows) >= stats.MIN_STUDIES_FOR_EGGER:
        egger = stats.egger_test(rows["es_value"], rows["se"])
        expected = f"intercept {egger.intercept:.2f}"
        assert any("Egger's test" in m.value and expected in m.value for m in at.markdown), expected
    else:
        assert any(f"{len(rows)} trial(s) here" in i.value and "need at least 10" in i.value for i in at.info)


def test_sources_page_shows_the_data_dictionary_from_the_schema():
    at = open_page("pages/sources.py", show="data-dictionary")
    dictionaries = [d.value for d in at.dataframe if "column" in d.value.columns]
    trial_columns = set(load.read_schema()["trials"]["columns"])
    assert any(set(d["column"]) == trial_columns for d in dictionaries)
    assert "10.1002/wps.20235" in markdown_text(at)
    assert "ODC-By" in markdown_text(at)
    provenance = next(d.value for d in at.dataframe if "citation" in d.value.columns)
    assert {"fonagy2015", "shedler2010", "bailey-pico", "metapsy"} <= set(provenance["id"])


def test_therapy_types_compares_the_types_named_in_the_link(tables):
    types = tables["therapy_types"]
    first, second = types["id"].iloc[0], types["id"].iloc[-1]
    at = open_page("pages/therapy_types.py", compare=f"{first},{second}")
    names = [s.value for s in at.subheader]
    assert types.set_index("id").loc[first, "name"] in names
    assert types.set_index("id").loc[second, "name"] in names


def test_defense_search_filters_the_list(tables):
    mechanisms = tables["defense_mechanisms"]
    at = open_page("pages/defense_mechanisms.py", q="denial")
    labels = [e.label for e in at.expander]
    assert labels == ["Denial"]
    assert f"1 of {len(mechanisms)} mechanisms" in " ".join(c.value for c in at.caption)


def test_defense_search_with_a_hostile_string_is_harmless():
    at = open_page("pages/defense_mechanisms.py", q="<script>(.*)[")
    assert not at.exception
    assert any("No mechanism matches" in i.value for i in at.info)


def test_claim_page_shows_the_verdict_from_the_data(tables):
    claims = tables["claims"]
    claim = claims.iloc[1]
    at = open_page("pages/claims.py", claim=claim["id"])
    assert claim["claim"] in [s.value for s in at.subheader]
    assert f"Verdict: {vocab.VERDICTS[claim['verdict']]}." in markdown_text(at)
    evidence = at.dataframe[1].value
    assert len(evidence) == len(load.split_ids(claim["evidence"]))


def test_glossary_lists_every_term(tables):
    at = open_page("pages/glossary.py")
    text = markdown_text(at)
    for term in tables["glossary"]["term"]:
        assert f"**{term}**" in text


def test_short_vs_long_counts_trials_by_length(trials):
    at = open_page("pages/short_vs_long.py")
    per_study = stats.per_study(trials)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Short-term trials"] == str((per_study["pd_term"] == "short-term").sum())
    assert metrics["Long-term trials"] == str((per_study["pd_term"] == "long-term").sum())


def test_markdown_escape_neutralises_links_and_html():
    assert widgets.escape("[x](http://evil)") == "\\[x\\]\\(http\\:\u200b//\u200bevil\\)"
    assert widgets.escape("<b>*hi*</b>") == r"\<b\>\*hi\*\</b\>"


@pytest.mark.parametrize("text", ["www.evil.example", "WWW.EVIL.EXAMPLE/x", "https://evil.example", "me@evil.example"])
def test_markdown_escape_breaks_bare_address_autolinks(text):
    escaped = widgets.escape(text)
    assert "www." not in escaped.lower() and "://" not in escaped and "@evil" not in escaped
    assert escaped.replace("\u200b", "").replace("\\", "") == text


def test_the_postnatal_claim_charts_the_findings_of_its_trials(tables):
    claim = tables["claims"].set_index("id").loc["beats-cbt-postnatal"]
    at = open_page("pages/claims.py", claim="beats-cbt-postnatal", show="findings")
    charts = at.get("plotly_chart")
    assert len(charts) >= 1
    import json

    figure = json.loads(charts[0].proto.spec)
    shown = {y for trace in figure["data"] for y in trace["y"]}
    cooper_rows = [i for i in load.split_ids(claim["evidence"]) if i.startswith("cooper2003")]
    assert len(shown) == len(cooper_rows)
    assert all("Cooper 2003" in label for label in shown)


def test_the_overview_effect_map_shows_every_condition_with_its_pooled_effects(tables):
    from pdevidence import effectmap

    at = open_page("pages/overview.py", show="effect-map-table")
    assert not at.exception
    trials = tables["trials"]
    effects, estimates = effectmap.build(tables)
    glance = frame_with(at, "condition", "link", "inactive_metapsy")
    assert len(glance) == trials["condition_specific"].nunique()
    by_condition = glance.set_index("condition")
    for row in estimates[(estimates["lens"] == "all") & (estimates["status"] != "none")].itertuples():
        column = f"{row.comparator_type}_{row.source}"
        assert by_condition.loc[effectmap.specific_label(row.condition_specific), column] == row.text
    pooled = estimates[(estimates["lens"] == "all") & (estimates["status"] == "pooled")]
    too_few = estimates[(estimates["lens"] == "all") & (estimates["status"] == "too_few")]
    assert len(pooled) + len(too_few) > 0
    # The chart's table view lists every trial effect and every estimate, each with its source.
    chart_table = frame_with(at, "what", "source")
    assert len(chart_table) == len(effects) + (estimates["lens"].eq("all") & estimates["k"].gt(0)).sum()
    assert set(chart_table["source"]) <= set(effectmap.SOURCES.values())
    links = markdown_text(at)
    for group, specific in trials[["condition_group", "condition_specific"]].drop_duplicates().itertuples(index=False):
        assert f"(explore?condition={group}&specific={specific})" in links
    assert "Every trial effect behind the map" in " ".join(e.label for e in at.expander)


def test_the_overview_effect_map_for_one_condition(tables):
    from pdevidence import effectmap

    at = open_page("pages/overview.py", condition="anxiety", specific="social_anxiety")
    assert not at.exception
    glance = frame_with(at, "condition", "link", "inactive_metapsy")
    assert glance["condition"].tolist() == ["Social anxiety disorder"]
    assert glance["link"].tolist() == ["explore?condition=anxiety&specific=social_anxiety"]
    trials = tables["trials"]
    subset = trials[trials["condition_specific"] == "social_anxiety"]
    assert glance.loc[0, "trials"] == subset["study"].nunique()
    effects = effectmap.trial_effects(subset, tables["metapsy_effects"])
    metapsy = effects[(effects["source"] == "metapsy") & (effects["comparator_type"] == "inactive")]
    if len(metapsy) < 3:
        assert (
            glance.loc[0, "inactive_metapsy"]
            == f"{len(metapsy)} trial{'s' if len(metapsy) != 1 else ''}, too few to pool"
        )


def test_a_condition_without_effects_says_so_and_still_lists_its_trials(tables):
    trials = tables["trials"]
    from pdevidence import effectmap

    effects = effectmap.trial_effects(trials, tables["metapsy_effects"])
    without = sorted(set(trials["condition_group"]) - set(effects["condition_group"]))
    assert without, "every condition group has an effect: pick another empty case"
    at = open_page("pages/overview.py", condition=without[0])
    assert not at.exception
    assert any("None of the trials in this selection has an effect size" in i.value for i in at.info)
    glance = frame_with(at, "condition", "link", "inactive_metapsy")
    assert set(glance["inactive_curated"]) == {"no trial effects"}
    assert glance["trials"].sum() == trials.loc[trials["condition_group"] == without[0], "study"].nunique()


@pytest.mark.parametrize("lens", ["large", "small"])
def test_the_study_size_lens_is_kept_in_the_link(lens, tables):
    at = open_page("pages/overview.py", lens=lens, show="small-share-table" if lens == "small" else "effect-map-table")
    assert not at.exception
    assert at.query_params["lens"] in (lens, [lens])
    if lens == "small":
        shares = frame_with(at, "share_under_100", "largest")
        trials = tables["trials"].drop_duplicates("study")
        assert shares["trials"].sum() == len(trials)
        assert shares["share_under_100"].mul(shares["trials"]).round().sum() == (trials["n_randomized"] < 100).sum()
    else:
        chart_table = frame_with(at, "what", "source")
        singles = chart_table[chart_table["what"].str.startswith("one trial")]
        assert (singles["participants"] >= 100).all()


def test_the_overview_effect_text_reads_at_grade_9_or_below():
    import textstat

    at = open_page("pages/overview.py")
    intro = next(m.value for m in at.markdown if m.value.startswith("Open the chart below to see the effects."))
    assert textstat.flesch_kincaid_grade(intro) <= 9


def test_explore_offers_the_filtered_list_as_csv_ris_and_bibtex():
    at = open_page("pages/explore.py", condition="eating", show="trial-effects")
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download these rows (CSV)", "Download citations (RIS)", "Download citations (BibTeX)"]
    per_trial = frame_with(at, "trial", "source", "in_map")
    assert set(per_trial["source"]) <= {"Trial reports"} | {s for s in per_trial["source"] if s.startswith("Metapsy")}


def _frame_with(at: AppTest, column: str):
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a {column!r} column")


def test_explore_table_marks_untested_inferred_add_on_and_derived_rows(trials):
    at = open_page("pages/explore.py")
    table = _frame_with(at, "markers")
    assert len(table) == len(trials)
    marks = "\n".join(table["markers"].astype(str))
    assert (table["finding"] == "No head-to-head test reported").sum() == (trials["finding"] == "not_tested").sum()
    assert "no head-to-head test reported" in marks
    assert "direction inferred by us" in marks
    assert "add-on: therapy added to clomipramine" in marks
    assert "derived by us: total N" in marks


def test_the_postnatal_claim_says_cbt_was_never_tested_head_to_head():
    at = open_page("pages/claims.py", claim="beats-cbt-postnatal")
    table = _frame_with(at, "markers")
    cbt = table[table["label"].str.contains("cognitive-behavioural")]
    assert cbt["finding"].tolist() == ["No head-to-head test reported"]
    captions = "\n".join(c.value for c in at.caption)
    assert "1 with no head-to-head test reported" in captions
    assert "not counted as 'about as good'" in captions


def test_press_release_figures_are_shown_apart_and_labelled_on_claims_and_therapy_types():
    at = open_page("pages/claims.py", claim="pdt-is-effective")
    evidence_table = _frame_with(at, "markers")
    assert not evidence_table["label"].str.contains("Abbass 2006").any()
    quoted = [f for f in at.dataframe if "Figure and where it comes from" in str(f.proto)]
    assert quoted, "no table of quoted figures"
    labels = "\n".join(quoted[0].value["label"])
    assert "Abbass 2006" in labels and "not found in the cited review" in labels
    at = open_page("pages/therapy_types.py", compare="stpp", show="estimates-table")
    table = _frame_with(at, "markers")
    abbass = table[table["label"].str.contains("Abbass 2006")]
    assert len(abbass) == 2 and abbass["label"].str.contains("not found in the cited review").all()
    assert any("not found in the cited review" in c.value for c in at.caption)


def test_sources_page_counts_the_marked_codes_and_lists_exclusions(tables):
    at = open_page("pages/sources.py")
    marks = _frame_with(at, "what").set_index("what")["rows"]
    trials = tables["trials"]
    assert marks["Trial comparisons with no head-to-head test reported"] == (trials["finding"] == "not_tested").sum()
    assert marks["Add-on trial comparisons"] == (trials["comparator_type"] == "add_on").sum()
    assert marks["Review conclusions that are our reading"] == (tables["verdicts"]["inferred"] != "no").sum()
    exclusions = tables["exclusions"]
    listed = _frame_with(at, "reason")
    assert len(listed) == len(exclusions) > 0
    assert set(listed["reason_kind"]) == {"It does not fit the trial table", "Its report could not be read here"}
    unread = int((exclusions["reason_kind"] == "report_unread").sum())
    caption = next(c.value for c in at.caption if "left out of the trial table" in c.value)
    assert f"{len(exclusions) - unread} do not fit it" in caption and f"{unread} seem to fit" in caption


def test_overview_counts_untested_and_add_on_comparisons_per_condition(trials):
    at = open_page("pages/overview.py")
    table = _frame_with(at, "not_tested").set_index("condition")
    about_therapy = trials[trials["comparator_type"] != "combination"]
    # directions without a between-arm test join the "no head-to-head test" column, never a result column
    untested = about_therapy["finding"].isin(["not_tested", "favours_pd_untested", "favours_comparator_untested"])
    directions = about_therapy["finding"].isin(["favours_pd_untested", "favours_comparator_untested"]).sum()
    assert directions >= 3  # gibbons2012, woody1983-dc, brom1989-wl and the rows added since
    assert table["not_tested"].sum() == untested.sum() == (about_therapy["finding"] == "not_tested").sum() + directions
    assert table["add_on"].sum() == (trials["comparator_type"] == "add_on").sum()
    anxiety_add_on = ((trials["condition_group"] == "anxiety") & (trials["comparator_type"] == "add_on")).sum()
    assert table.loc["Anxiety disorders", "add_on"] == anxiety_add_on >= 3
    assert table.loc["Depression", "combination"] == 2 and table["combination"].sum() == 2


@pytest.mark.parametrize(
    "label", ["Depression", "Social anxiety disorder", "Other personality disorders (cluster C, mixed)"]
)
def test_a_condition_link_of_the_overview_summary_restores_that_condition_view(trials, label):
    import re
    from urllib.parse import parse_qs, urlparse

    from pdevidence import summary

    overview = open_page("pages/overview.py")
    found = re.findall(r"^#### \[(.+?)\]\((explore\?[^)]+)\)$", markdown_text(overview), flags=re.M)
    links = {text.replace("\\", ""): href for text, href in found}  # the heading's text is markdown-escaped
    query = parse_qs(urlparse(links[label]).query)
    cond = next(c for c in summary.CONDITIONS if c.label == label)
    at = open_page("pages/explore.py", **{k: v if len(v) > 1 else v[0] for k, v in query.items()})
    assert not at.exception, [e.value for e in at.exception]
    assert not at.warning, [w.value for w in at.warning]  # no part of the link was dropped
    boxes = {m.label: list(m.value) for m in at.sidebar.multiselect}
    assert boxes["Condition"] == [cond.group]
    rows = trials[trials["condition_specific"].isin(cond.specific)]
    in_group = set(trials.loc[trials["condition_group"] == cond.group, "condition_specific"])
    assert set(boxes["Specific condition"]) == (
        set(rows["condition_specific"]) if in_group - set(cond.specific) else set()
    )
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Trials"] == str(rows["study"].nunique())
    assert metrics["Comparisons"] == str(len(rows))
    listing = frame_with(at, "first_author", "link")
    assert len(listing) == len(rows) and set(listing["first_author"]) == set(rows["first_author"])
    # The condition view shows the Overview's lines for the condition and what the reviews say about it.
    text = markdown_text(at).replace("\\", "")
    assert f"What the evidence shows: {label}" in [h.value for h in at.subheader]
    entry = next(lines for c, lines in summary.build(*(load.read_table(n) for n in SUMMARY_TABLES)) if c == cond)
    assert entry and all(line.statement in text for line in entry)
    assert "**What the reviews say**" in text and "our rating by these rules" in text


SUMMARY_TABLES = ("trials", "meta_analyses", "metapsy_summary_effects")


def test_the_depression_link_of_the_overview_opens_explore_with_the_reviews_and_our_depression_sentence(trials):
    from urllib.parse import parse_qs, urlparse

    from pdevidence import summary

    cond = next(c for c in summary.CONDITIONS if c.key == "depression")
    query = parse_qs(urlparse(summary.entry_link(cond, trials)).query)  # the heading's link on the Overview
    at = open_page("pages/explore.py", **{k: v if len(v) > 1 else v[0] for k, v in query.items()})
    assert not at.exception, [e.value for e in at.exception]
    text = markdown_text(at).replace("\\", "")
    assert (
        "We are uncertain whether psychodynamic therapy reduces depression symptoms compared with no real "
        "treatment, such as a waitlist, usual care or a placebo (11 trials, 1,337 people; very low certainty)."
    ) in text
    assert "NNT 7" in text
    reviews = next(
        m.value.replace("\\", "").partition("**What the reviews say**")[2]
        for m in at.markdown
        if "**What the reviews say**" in m.value
    )
    assert "Fonagy 2015" in reviews and "doi:10.1002/wps.21104" in reviews
    assert "Its own certainty: high quality evidence (GRADE)." in reviews
    # The forest plot of its 11 trials is one click away, in its panel.
    assert any(e.label.startswith("Chart and table: the trials behind each pooled line") for e in at.expander)
    opened = open_page(
        "pages/explore.py", show="summary-trials", **{k: v if len(v) > 1 else v[0] for k, v in query.items()}
    )
    forests = [f.value for f in opened.dataframe if {"label", "estimate", "rob_level"} <= set(f.value.columns)]
    assert len(forests[0]) == 11 and "Heshmati, 2023" in set(forests[0]["label"])
    # One forest per pooled line: the Depression line's, then each pooled subtype's with its own trials only.
    tables = {n: load.read_table(n) for n in SUMMARY_TABLES}
    lines = dict((c.key, v) for c, v in summary.build(*(tables[n] for n in SUMMARY_TABLES)))["depression"]
    pooled = [line for line in lines if line.source == "metapsy"]
    assert [sorted(f["label"]) for f in forests] == [sorted(line.studies) for line in pooled] and len(pooled) >= 2
    assert len(opened.get("plotly_chart")) == len(at.get("plotly_chart")) + len(pooled)


def test_the_forest_plot_of_the_condition_trials_opens_from_its_panel_and_the_link_reopens_it():
    closed = open_page("pages/explore.py", condition="personality", specific="borderline_pd")
    opened = open_page("pages/explore.py", condition="personality", specific="borderline_pd", show="summary-trials")
    assert not opened.exception, [e.value for e in opened.exception]
    # Borderline has two pooled lines (against no real treatment and against another treatment): one forest each.
    assert len(opened.get("plotly_chart")) == len(closed.get("plotly_chart")) + 2
    tables = [f.value for f in opened.dataframe if {"label", "estimate", "rob_level"} <= set(f.value.columns)]
    assert [len(t) for t in tables] == [4, 4]


def test_a_selection_of_more_than_one_summary_condition_shows_no_condition_lines():
    at = open_page("pages/explore.py", condition="depression")  # depression and mixed depression-and-anxiety
    assert not at.exception
    assert not [h.value for h in at.subheader if h.value.startswith("What the evidence shows:")]
    assert "**What the reviews say**" not in markdown_text(at)
