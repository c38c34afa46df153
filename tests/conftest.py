"""Shared test fixtures: paths and the bundled tables."""

import os
import tempfile
from pathlib import Path

import pytest

from pdevidence import load

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SHARED_METAPSY = SHARED / "metapsy"

# Tests never reach the real Metapsy upstream or the user's download cache: a closed loopback port stands
# in for GitHub (tests that need one serve their own), and downloads go to a throwaway folder. Set here,
# before any server is started, so browser-test servers inherit it too.
os.environ.setdefault("PDEVIDENCE_METAPSY_UPSTREAM", "http://127.0.0.1:9")
os.environ.setdefault("PDEVIDENCE_CACHE", tempfile.mkdtemp(prefix="pdevidence-test-cache-"))
os.environ.setdefault("PDEVIDENCE_METAPSY_PREFETCH", "0")  # no background downloads racing the tests


def pytest_sessionstart(session):
    """The tests read the real Metapsy databases and the article from ../shared/: without it they fail, not skip."""
    needed = [SHARED_METAPSY / "README.md", SHARED / "seed" / "article.txt"]
    missing = [str(path) for path in needed if not path.is_file()]
    if missing:
        raise pytest.UsageError(f"../shared/ must sit beside the checkout; not found: {', '.join(missing)}")


@pytest.fixture(scope="session")
def tables():
    return load.read_all()


@pytest.fixture(scope="session")
def trials(tables):
    return tables["trials"]


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium under Playwright, one per test module (browser tests only)."""
    from browser import CHROMIUM, CHROMIUM_FLAGS, require_chromium
    from playwright.sync_api import sync_playwright

    require_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can save artifacts on failure."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
