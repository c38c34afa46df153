"""Settings for a public host: the config file, and a visitor's browser contacting no host but the app's own."""

from __future__ import annotations

import tomllib
from pathlib import Path
from urllib.parse import urlparse

import pytest
from browser import CHROMIUM, CHROMIUM_FLAGS, Server, wait_ready

from pdevidence.web.metapsy_sources import UPLOAD_LIMIT_MB

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def test_the_config_is_fit_for_a_public_host():
    assert CONFIG["browser"]["gatherUsageStats"] is False
    assert CONFIG["client"]["showErrorDetails"] in ("none", False)
    server = CONFIG["server"]
    assert server["enableXsrfProtection"] is True
    assert server.get("enableCORS", True) is True
    assert server["fileWatcherType"] == "none"
    assert server["headless"] is True


def test_the_upload_limit_matches_what_the_metapsy_loader_accepts():
    assert CONFIG["server"]["maxUploadSize"] == UPLOAD_LIMIT_MB


def test_the_tab_icon_is_a_bundled_file_not_a_web_font():
    """A ":material/...:" page icon is fetched from fonts.gstatic.com by every visitor's browser."""
    app = (ROOT / "app.py").read_text()
    assert "page_icon=ICON" in app and 'ICON = str(Path(__file__).parent / "static" / "icon.png")' in app
    assert (ROOT / "static" / "icon.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


browser = pytest.mark.browser


@pytest.fixture(scope="module")
def server():
    srv = Server()
    yield srv
    srv.stop()


@browser
@pytest.mark.parametrize("path", ["", "explore", "therapy_types"])
def test_a_page_load_contacts_only_the_apps_own_host(server, path):
    import playwright.sync_api as playwright_api
    from browser import require_chromium

    require_chromium()
    requests: list[str] = []
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = chromium.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.goto(f"{server.url}/{path}")
            wait_ready(page)
            # the share popover draws more icons, where the page has one
            share = page.get_by_text("Share this view")
            if share.count():
                share.first.click()
                page.get_by_text("Copy this link").wait_for(state="visible")
                page.wait_for_load_state("networkidle")  # the icons it draws have been requested
        finally:
            chromium.close()
    own = urlparse(server.url).netloc
    hosts = {urlparse(url).netloc for url in requests if urlparse(url).scheme in ("http", "https", "ws", "wss")}
    assert requests and hosts == {own}, sorted(hosts)
