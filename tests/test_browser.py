"""Real-browser journeys in Debian's Chromium: share links, navigation, downloads, phones, accessibility."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from browser import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, Server, wait_ready

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"Chromium not found at {CHROMIUM} (make test installs it)", allow_module_level=True)


@pytest.fixture(scope="module")
def server():
    srv = Server()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def chromium():
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, server, request):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def metrics(page) -> dict[str, str]:
    out = {}
    for metric in page.get_by_test_id("stMetric").all():
        label = metric.get_by_test_id("stMetricLabel").inner_text().strip()
        out[label] = metric.get_by_test_id("stMetricValue").inner_text().strip()
    return out


def plot_traces(page) -> list:
    """The data of every plotly chart on the page: name and x values of each trace."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(
               el => (el.data || []).map(t => [t.name || '', Array.from(t.x || []).map(String)]))"""
    )


def choose_condition(page, label: str) -> None:
    box = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").first
    box.click()
    page.get_by_role("option", name=label, exact=True).click()
    page.keyboard.press("Escape")


def test_a_filtered_view_reopens_identically_from_its_link(page, chromium, server):
    page.goto(f"{server.url}/explore")
    wait_ready(page)
    everything = metrics(page)
    choose_condition(page, "Eating disorders")
    page.wait_for_url(lambda url: "condition=eating" in url)
    wait_ready(page)
    filtered = metrics(page)
    assert filtered["Trials"] != everything["Trials"]
    traces = plot_traces(page)
    shared = page.url
    assert parse_qs(urlparse(shared).query)["condition"] == ["eating"]

    fresh = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        other = fresh.new_page()
        other.goto(shared)
        wait_ready(other)
        assert metrics(other) == filtered
        assert plot_traces(other) == traces
        chips = other.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").first.inner_text()
        assert "Eating disorders" in chips
        assert other.get_by_test_id("stException").count() == 0
    finally:
        fresh.close()
