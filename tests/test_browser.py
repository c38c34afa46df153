"""Real-browser journeys in Debian's Chromium: share links, navigation, downloads, phones, accessibility."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import playwright.sync_api as playwright_api
import pytest
from browser import ARTIFACTS, Server, desktop_page, require_chromium, wait_ready

from pdevidence import viewstate

pytestmark = pytest.mark.browser
require_chromium()


@pytest.fixture(scope="module")
def server():
    srv = Server()
    yield srv
    srv.stop()


@pytest.fixture
def page(chromium, server, request):
    with desktop_page(chromium, request) as page:
        yield page


def metrics(page) -> dict[str, str]:
    out = {}
    for metric in page.get_by_test_id("stMetric").all():
        label = metric.get_by_test_id("stMetricLabel").inner_text().strip()
        out[label] = metric.get_by_test_id("stMetricValue").inner_text().strip()
    return out


def expect_metric(page, label: str, value: str) -> None:
    """Web-first: wait until the metric shows the value (a rerun may still be on its way)."""
    metric = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    playwright_api.expect(metric.get_by_test_id("stMetricValue")).to_have_text(value, timeout=30_000)


PLOT_TRACES = """Array.from(document.querySelectorAll('.js-plotly-plot')).map(
    el => (el.data || []).map(t => [t.name || '', Array.from(t.x || []).map(String)]))"""


def plot_traces(page) -> list:
    """The data of every plotly chart on the page: name and x values of each trace."""
    return page.evaluate("() => " + PLOT_TRACES)


def choose_condition(page, label: str) -> None:
    box = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").first
    box.click()
    page.get_by_role("option", name=label, exact=True).click()
    page.keyboard.press("Escape")


def test_a_filtered_view_reopens_identically_from_its_link(page, chromium, server):
    page.goto(f"{server.url}/explore")
    wait_ready(page)
    page.locator(".js-plotly-plot").first.wait_for()  # every study by size and finding, drawn at load
    at_load = page.locator(".js-plotly-plot").count()
    page.get_by_text("Chart: effect size against study size").click()
    page.wait_for_url(lambda url: "show=effect-vs-size" in url)
    wait_ready(page)
    playwright_api.expect(page.locator(".js-plotly-plot")).to_have_count(at_load + 1)
    everything = metrics(page)
    choose_condition(page, "Anxiety disorders")  # one of its trials reports an effect with its interval
    page.wait_for_url(lambda url: "condition=anxiety" in url)
    wait_ready(page)
    filtered = metrics(page)
    assert filtered["Trials"] != everything["Trials"]
    traces = plot_traces(page)
    shared = page.url
    assert parse_qs(urlparse(shared).query)["condition"] == ["anxiety"]
    assert parse_qs(urlparse(shared).query)["show"] == ["effect-vs-size"]

    fresh = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        other = fresh.new_page()
        other.goto(shared)
        wait_ready(other)
        other.locator(".js-plotly-plot").first.wait_for()
        assert metrics(other) == filtered
        assert plot_traces(other) == traces
        chips = other.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").first.inner_text()
        assert "Anxiety disorders" in chips
        assert other.get_by_test_id("stException").count() == 0
    finally:
        fresh.close()


PAGES = {
    "overview": "Psychodynamic therapy: what does the evidence show?",
    "explore": "Explore the studies",
    "study_size": "How big are the studies?",
    "metapsy": None,
    "therapy_types": "Therapy types compared",
    "short_vs_long": "Short-term and long-term psychodynamic therapy",
    "defense_mechanisms": "Defense mechanisms",
    "claims": "The article's claims, checked",
    "glossary": "Glossary",
    "sources": "Sources and method",
}
NAV_LABELS = {
    "overview": "Overview",
    "explore": "Explore studies",
    "study_size": "Study size",
    "metapsy": "Trial databases (Metapsy)",
    "therapy_types": "Therapy types compared",
    "short_vs_long": "Short- vs long-term",
    "defense_mechanisms": "Defense mechanisms",
    "claims": "The article's claims",
    "glossary": "Glossary",
    "sources": "Sources & method",
}


def url_of(server, path: str) -> str:
    # The default page lives at the root; Streamlit serves no /overview path for it.
    return f"{server.url}/" if path == "overview" else f"{server.url}/{path}"


def assert_page_ok(page, path: str) -> None:
    assert page.get_by_test_id("stException").count() == 0
    assert page.get_by_text("Page not found").count() == 0
    assert "Information only, not medical advice" in page.get_by_test_id("stMain").inner_text()
    title = PAGES[path]
    if title:
        assert page.locator("h1").first.inner_text().strip() == title


@pytest.mark.parametrize("path", PAGES)
def test_every_page_opens_from_its_own_url(page, server, path):
    page.goto(url_of(server, path))
    wait_ready(page)
    assert_page_ok(page, path)


def test_every_page_opens_from_the_navigation(page, server):
    page.goto(server.url)
    wait_ready(page)
    nav = page.get_by_test_id("stSidebarNav")
    for path, label in NAV_LABELS.items():
        nav.get_by_role("link", name=label, exact=True).click()
        page.wait_for_url(
            lambda url, p=path: urlparse(url).path.rstrip("/").endswith(p)
            or (p == "overview" and urlparse(url).path in ("", "/"))
        )
        wait_ready(page)
        assert_page_ok(page, path)


def test_back_and_forward_restore_earlier_selections(page, server):
    page.goto(f"{server.url}/explore")
    wait_ready(page)
    all_trials = metrics(page)["Trials"]
    choose_condition(page, "Depression")
    page.wait_for_url(lambda url: "condition=depression" in url)
    wait_ready(page)
    depression = metrics(page)["Trials"]
    choose_condition(page, "Personality disorders")
    page.wait_for_url(lambda url: "personality" in url)
    wait_ready(page)
    both = metrics(page)["Trials"]
    assert len({all_trials, depression, both}) == 3

    page.go_back()
    page.wait_for_url(lambda url: "personality" not in url and "depression" in url)
    expect_metric(page, "Trials", depression)
    # The run that the back button started ends by writing the address: wait for it, as a visitor would see
    # the page settle, before going forward (a forward click within milliseconds would race that write).
    wait_ready(page)
    page.go_forward()
    page.wait_for_url(lambda url: "personality" in url)
    expect_metric(page, "Trials", both)
    wait_ready(page)
    assert "personality" in page.url


def texts(page) -> list[str]:
    """The text and notices of the page's main area (not its charts, which draw later)."""
    return (
        page.get_by_test_id("stMain").locator("[data-testid='stMarkdown'], [data-testid='stAlert']").all_inner_texts()
    )


def shared_link(page) -> str:
    """The link in the sidebar's share popover, once it is drawn (opening the popover redraws it)."""
    page.get_by_test_id("stSidebar").get_by_role("button", name="Share this view").click()
    code = page.get_by_test_id("stPopoverBody").get_by_test_id("stCode")
    playwright_api.expect(code).to_have_count(1)
    return code.inner_text().strip()


def test_a_chart_setting_redraws_its_section_and_reaches_the_address_the_share_link_and_back(page, server):
    # "Which trials" changes only its section (an st.fragment), so the frame does not run: the section itself
    # must write the address, the share link must show it, and going back must restore the chart.
    page.goto(url_of(server, "overview"))
    wait_ready(page)
    page.locator(".js-plotly-plot").first.wait_for()
    every_trial = plot_traces(page)
    trials = metrics(page)["Trials"]
    which = page.get_by_test_id("stRadio").filter(has_text="Which trials")
    which.get_by_text("Only trials with 100 or more people", exact=True).click()
    page.wait_for_url(lambda url: "lens=large" in url)
    wait_ready(page)
    playwright_api.expect(which.get_by_role("radio", name="Only trials with 100 or more people")).to_be_checked()
    page.wait_for_function(f"(before) => JSON.stringify({PLOT_TRACES}) !== JSON.stringify(before)", arg=every_trial)
    large_only = plot_traces(page)
    assert large_only and large_only != every_trial
    assert metrics(page)["Trials"] == trials  # outside the section: the same selection of trials
    assert parse_qs(urlparse(page.url).query) == {"lens": ["large"]}
    assert shared_link(page).endswith("?lens=large")
    page.keyboard.press("Escape")

    table = page.get_by_test_id("stExpander").filter(has_text="Table: pooled effects by condition")
    table.locator("summary").click()  # a panel inside the section
    page.wait_for_url(lambda url: "show=effect-map-table" in url)
    wait_ready(page)
    playwright_api.expect(table.get_by_test_id("stDataFrame")).to_be_visible()
    assert parse_qs(urlparse(page.url).query) == {"lens": ["large"], "show": ["effect-map-table"]}
    assert shared_link(page).endswith("?lens=large&show=effect-map-table")
    page.keyboard.press("Escape")

    page.go_back()
    page.wait_for_url(lambda url: "show=" not in url and "lens=large" in url)
    playwright_api.expect(table.get_by_test_id("stDataFrame")).to_have_count(0)  # the panel closed again
    playwright_api.expect(which.get_by_role("radio", name="Only trials with 100 or more people")).to_be_checked()
    page.go_back()
    page.wait_for_url(lambda url: "lens=" not in url)
    playwright_api.expect(which.get_by_role("radio", name="All trials")).to_be_checked()
    page.wait_for_function(f"(before) => JSON.stringify({PLOT_TRACES}) === JSON.stringify(before)", arg=every_trial)
    assert page.get_by_test_id("stException").count() == 0


def test_a_pooling_choice_redraws_its_section_and_a_fresh_browser_reopens_it_from_the_link(page, chromium, server):
    page.goto(f"{server.url}/study_size?condition=anxiety")
    wait_ready(page)
    before = texts(page)
    compared = page.get_by_test_id("stRadio").filter(has_text="Compared with")
    compared.get_by_text("Active treatments", exact=True).click()
    page.wait_for_url(lambda url: "pool_vs=active" in url)
    wait_ready(page)
    playwright_api.expect(compared.get_by_role("radio", name="Active treatments")).to_be_checked()
    after = texts(page)
    assert after != before  # the section's figures changed
    assert parse_qs(urlparse(page.url).query) == {"condition": ["anxiety"], "pool_vs": ["active"]}
    assert shared_link(page) == page.url

    fresh = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        other = fresh.new_page()
        other.goto(page.url)
        wait_ready(other)
        radio = other.get_by_test_id("stRadio").filter(has_text="Compared with")
        playwright_api.expect(radio.get_by_role("radio", name="Active treatments")).to_be_checked()
        assert texts(other) == after
    finally:
        fresh.close()


def test_the_csv_download_holds_exactly_the_filtered_rows(page, server):
    page.goto(f"{server.url}/explore?condition=eating")
    wait_ready(page)
    comparisons = int(metrics(page)["Comparisons"])
    with page.expect_download() as info:
        page.get_by_role("button", name="Download these rows (CSV)").click()
    import csv

    with open(info.value.path(), encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == comparisons
    assert {r["condition_group"] for r in rows} == {"eating"}


def test_the_share_control_shows_the_current_link(page, server):
    page.goto(f"{server.url}/explore?condition=personality")
    wait_ready(page)
    page.get_by_test_id("stSidebar").get_by_role("button", name="Share this view").click()
    code = page.get_by_test_id("stCode").last
    code.wait_for()
    shown = code.inner_text().strip()
    assert shown.endswith("/explore?condition=personality")
    assert shown.startswith(server.url)


def test_on_a_phone_the_page_does_not_scroll_sideways_and_filters_are_reachable(chromium, server):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        phone = context.new_page()
        phone.goto(f"{server.url}/explore?show=studies&show=effect-vs-size")
        wait_ready(phone)
        phone.locator(".js-plotly-plot").first.wait_for()
        overflow = phone.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        charts = phone.locator(".js-plotly-plot").all()
        assert charts
        for chart in charts[:3]:
            box = chart.bounding_box()
            assert box is not None and box["width"] <= 390
        phone.get_by_test_id("stExpandSidebarButton").click()
        phone.get_by_text("Filter studies").wait_for()
        assert phone.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").first.is_visible()
    finally:
        context.close()


def test_the_condition_filter_works_from_the_keyboard(page, server):
    page.goto(f"{server.url}/explore")
    wait_ready(page)
    combo = page.get_by_test_id("stSidebar").get_by_role("combobox").first
    combo.focus()
    page.keyboard.type("Psychosis")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.wait_for_url(lambda url: "condition=psychosis" in url)
    wait_ready(page)
    assert page.get_by_text("Showing: Psychosis.").is_visible()


AXE_IMPACTS = ("critical", "serious", "moderate", "minor")


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_or_critical_accessibility_violations(page, server, path, capsys):
    from axe_playwright_python.sync_playwright import Axe

    # Every chart and table panel of the page open, so they are checked too.
    panels = urlencode({"show": viewstate.panels_of(path)}, doseq=True)
    page.goto(url_of(server, path) + (f"?{panels}" if panels else ""))
    wait_ready(page)
    if viewstate.CHART_PANELS.get(path):
        page.locator(".js-plotly-plot").first.wait_for()
    results = Axe().run(page)
    violations = results.response["violations"]
    counts = {impact: sum(1 for v in violations if v["impact"] == impact) for impact in AXE_IMPACTS}
    with capsys.disabled():
        print(f"\naxe /{path}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    serious = [
        (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
        for v in violations
        if v["impact"] in ("critical", "serious")
    ]
    assert not serious, serious


def _metapsy_upstream(tmp_path):
    """A loopback server in the GitHub layout holding one small database at its pinned commit."""
    import functools
    import http.server
    import threading

    from pdevidence.metapsy.read import REQUIRED_COLUMNS
    from pdevidence.metapsy.sources import KNOWN_DATABASES

    info = KNOWN_DATABASES["gad-psyctr"]
    folder = tmp_path / "upstream" / info.repo / info.commit
    (folder / "metadata").mkdir(parents=True)
    head = ["", *REQUIRED_COLUMNS, "n_arm1", "n_arm2"]
    head += ["mean_arm1", "mean_arm2", "sd_arm1", "sd_arm2", "outcome_domain", "instrument"]
    lines = [";".join(f'"{h}"' for h in head)]
    for i, arm in enumerate(["dyn"] * 5 + ["cbt"] * 4):
        d = 0.3 + (i % 5) / 10
        g = -d * (1 - 3 / (4 * 58 - 1))
        cells = [f'"{i + 1}"', f'"Trial {i + 1}, {2000 + i}"', f'"{arm}"', '"wl"', f"{g:.4f}", "0,26", "30", "30"]
        # A domain the reviewed coding lists, on a scale the lexicon knows (GAD-7, lower is better).
        cells += [f"{20 - 10 * d:.2f}", "20", "10", "10", '"GAD"', '"gad-7"']
        lines.append(";".join(c.replace(".", ",") if c[:1] != '"' else c for c in cells))
    (folder / "data.csv").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    (folder / "metadata" / "last_search.txt").write_text("2024-02-03\n", encoding="utf-8")
    hits: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            hits.append(self.path)

    handler = functools.partial(Handler, directory=str(tmp_path / "upstream"))
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    return upstream, f"http://127.0.0.1:{upstream.server_address[1]}", hits, info


def test_a_metapsy_link_on_a_fresh_server_shows_the_analysis_without_a_click(chromium, tmp_path):
    upstream, base, hits, info = _metapsy_upstream(tmp_path)
    fresh = Server(
        env={
            "PDEVIDENCE_CACHE": str(tmp_path / "cache"),
            "PDEVIDENCE_METAPSY_DIR": "",
            "PDEVIDENCE_METAPSY_UPSTREAM": base,
            "PDEVIDENCE_FETCH_ALLOW_LOCAL": "1",
        }
    )
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{fresh.url}/metapsy?db=gad-psyctr&show=families")
        wait_ready(page, timeout=120_000)
        main = page.get_by_test_id("stMain")
        playwright_api.expect(main.get_by_text("Therapy families in generalised anxiety disorder")).to_be_visible()
        playwright_api.expect(main.get_by_text("Psychodynamic therapy: g =", exact=False).first).to_be_visible()
        assert page.locator(".js-plotly-plot").count() >= 1
        assert page.get_by_test_id("stException").count() == 0
        text = main.inner_text()
        assert "commit 64dd99be2bc6" in text and "10.5281/zenodo.10185216" in text
        assert str(tmp_path) not in text
        assert any(h.endswith(f"/{info.repo}/{info.commit}/data.csv") for h in hits)
        assert (tmp_path / "cache" / "gad-psyctr" / info.commit / "data.csv").is_file()
        assert "db=gad-psyctr" in page.url
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "metapsy_fresh_server.png"), full_page=True)
        raise
    finally:
        context.close()
        fresh.stop()
        upstream.shutdown()
        upstream.server_close()


def test_a_condition_link_on_the_overview_opens_explore_with_the_same_filter(page, server):
    from pdevidence import load

    trials = load.read_table("trials")
    expected = trials.loc[trials["condition_specific"] == "social_anxiety", "study"].nunique()
    page.goto(url_of(server, "overview"))
    wait_ready(page)
    # The summary of findings and the effect-map table each link the condition to its own view.
    links = page.get_by_test_id("stMain").locator("a[href$='explore?condition=anxiety&specific=social_anxiety']")
    playwright_api.expect(links).to_have_count(2)
    link = links.last
    playwright_api.expect(link).to_have_text("Social anxiety disorder")
    if link.get_attribute("target") == "_blank":
        with page.context.expect_page() as info:
            link.click()
        opened = info.value
    else:
        link.click()
        opened = page
    opened.wait_for_url(lambda url: "/explore" in url, timeout=30_000)
    wait_ready(opened)
    query = parse_qs(urlparse(opened.url).query)
    assert query["condition"] == ["anxiety"] and query["specific"] == ["social_anxiety"]
    sidebar = opened.get_by_test_id("stSidebar")
    playwright_api.expect(sidebar.get_by_text("Social anxiety disorder", exact=True)).to_be_visible()
    expect_metric(opened, "Trials", str(expected))
    assert opened.get_by_test_id("stException").count() == 0


def test_the_citation_downloads_hold_exactly_the_filtered_trials(page, server):
    import bibtexparser
    import rispy

    page.goto(f"{server.url}/explore?condition=eating")
    wait_ready(page)
    trials = int(metrics(page)["Trials"])
    with page.expect_download() as info:
        page.get_by_role("button", name="Download citations (RIS)").click()
    records = rispy.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    wait_ready(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download citations (BibTeX)").click()
    entries = bibtexparser.parse_string(Path(info.value.path()).read_text(encoding="utf-8")).entries
    assert len(records) == len(entries) == trials
    assert [r["id"] for r in records] == [e.key for e in entries]


def test_on_a_phone_the_effect_map_fits_and_names_each_condition_in_full(chromium, server):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        phone = context.new_page()
        phone.goto(url_of(server, "overview") + "?show=effect-map")
        wait_ready(phone)
        phone.locator(".js-plotly-plot").first.wait_for()
        assert phone.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
        chart = phone.locator(".js-plotly-plot").first
        box = chart.bounding_box()
        assert box is not None and box["width"] <= 390
        # Condition names are written above their lines, inside the chart's width, not cut off at the left.
        label = chart.locator("text", has_text="Major depression").first
        label_box = label.bounding_box()
        assert label_box is not None and label_box["x"] >= box["x"] - 1
        phone.get_by_text("Table: pooled effects by condition (effect map)").click()
        playwright_api.expect(phone.get_by_test_id("stDataFrame").first).to_be_visible()
    finally:
        context.close()
