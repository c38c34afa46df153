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
