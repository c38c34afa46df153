"""Shared test fixtures: paths and the bundled tables."""

from pathlib import Path

import pytest

from pdevidence import load

ROOT = Path(__file__).resolve().parents[1]
SHARED_METAPSY = ROOT.parent / "shared" / "metapsy"


@pytest.fixture(scope="session")
def tables():
    return load.read_all()


@pytest.fixture(scope="session")
def trials(tables):
    return tables["trials"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can save artifacts on failure."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
