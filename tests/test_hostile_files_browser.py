"""Hostile Metapsy files in a real browser: text from a file, its name or its address never becomes a link or markup.

A file can reach the Metapsy page by upload or by address (`?src=`), so a shared
link can carry it. Every text column holds backticks, blank lines, a markdown
link, an image and HTML; the page must show them as text only.
"""

from __future__ import annotations

import functools
import http.server
import threading
from urllib.parse import quote

import playwright.sync_api as playwright_api
import pytest
from browser import Server, require_chromium, save_screenshot_on_failure, wait_ready

pytestmark = pytest.mark.browser
require_chromium()

# Closes an inline code span, leaves the paragraph, then tries a link, an image, HTML and a bare address.
PAYLOAD = (
    'zz` \n\n<a href="https://evil.example/">click me</a> [click](https://evil.example) '
    "![pic](https://evil.example/x.png) <b>bold</b> www.evil.example `tail"
)
HOSTILE_NAME = "[click](https:evil.example) x.csv"
COLUMNS = ("study", "condition_arm1", "condition_arm2", ".g", ".g_se", "n_arm1", "n_arm2", "instrument", "time")


def _cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def hostile_file() -> bytes:
    """Six poolable psychodynamic trials with hostile labels, and two rows whose codes are the payload."""
    lines = [";".join(['""', *(_cell(c) for c in COLUMNS)])]
    for i in range(8):
        arm1 = "dyn" if i < 6 else f"{PAYLOAD} {i}"
        arm2 = "wl" if i % 2 else PAYLOAD
        g = f"{0.3 + i / 20:.2f}".replace(".", ",")
        cells = [f"{PAYLOAD} study {i}, 20{i:02d}", arm1, arm2]
        row = [_cell(str(i + 1)), *(_cell(c) for c in cells), g, "0,25", "30", "30", _cell(PAYLOAD), _cell("post")]
        lines.append(";".join(row))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    """A local web server holding the hostile file under a hostile name."""
    folder = tmp_path_factory.mktemp("hostile-upstream")
    (folder / HOSTILE_NAME).write_bytes(hostile_file())
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{quote(HOSTILE_NAME)}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    cache = tmp_path_factory.mktemp("hostile-cache")
    srv = Server(
        env={
            "PDEVIDENCE_CACHE": str(cache),
            "PDEVIDENCE_METAPSY_DIR": "",
            "PDEVIDENCE_METAPSY_UPSTREAM": "http://127.0.0.1:9",
            "PDEVIDENCE_FETCH_ALLOW_LOCAL": "1",
        }
    )
    yield srv
    srv.stop()


@pytest.fixture
def page(chromium, request):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    save_screenshot_on_failure(page, request)
    context.close()


def open_every_panel(page) -> None:
    """Open each closed panel once, so what the file puts in tables and charts is on the page too."""
    for _ in range(20):
        closed = page.locator("[data-testid='stExpander'] details:not([open]) summary")
        if closed.count() == 0:
            return
        closed.first.click()
        wait_ready(page, timeout=120_000)


def assert_inert(page) -> None:
    main = page.locator("[data-testid='stApp']")
    assert page.get_by_test_id("stException").count() == 0
    # Heading anchors (href="#...") are the page's own; any other link naming the host came from the file.
    links = main.locator("a[href*='evil']:not([href^='#'])")
    assert links.count() == 0, links.evaluate_all(
        "els => els.map(e => (e.closest('[data-testid]')?.getAttribute('data-testid') || '') + ' | '"
        " + (e.closest('[data-testid]')?.innerText || '').slice(0, 300))"
    )
    assert main.locator("img[src*='evil']").count() == 0
    assert main.locator("b", has_text="bold").count() == 0
    # The file's text is there, as text: nothing was hidden to pass this test.
    playwright_api.expect(main.get_by_text("click me", exact=False).first).to_be_attached()


def test_a_hostile_file_given_by_address_shows_its_text_as_text(page, app, upstream):
    page.goto(f"{app.url}/metapsy?src={quote(upstream, safe='')}")
    wait_ready(page, timeout=120_000)
    open_every_panel(page)
    assert_inert(page)


def test_a_hostile_upload_and_its_name_show_as_text(page, app, tmp_path):
    path = tmp_path / HOSTILE_NAME
    path.write_bytes(hostile_file())
    page.goto(f"{app.url}/metapsy")
    wait_ready(page, timeout=120_000)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    wait_ready(page, timeout=120_000)
    playwright_api.expect(page.get_by_text("uploaded", exact=False).first).to_be_attached(timeout=60_000)
    open_every_panel(page)
    assert_inert(page)
