"""The layout the README and docs/decisions.md describe: which modules may import Streamlit, and which its internals."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pdevidence"


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules_importing(prefix: str) -> set[str]:
    files = [*PACKAGE.rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "app.py"]
    return {
        str(path.relative_to(ROOT))
        for path in files
        if any(name == prefix or name.startswith(prefix + ".") for name in imported_modules(path))
    }


def test_only_the_web_folder_pages_and_app_import_streamlit():
    outside = {name for name in modules_importing("streamlit") if name.startswith("pdevidence/")}
    outside = {name for name in outside if not name.startswith("pdevidence/web/")}
    assert outside == set()
    assert "pdevidence/web/widgets.py" in modules_importing("streamlit")  # the check sees real imports


def test_streamlit_internals_are_imported_only_by_web_internals():
    internal = modules_importing("streamlit.runtime") | modules_importing("streamlit.web")
    assert internal == {"pdevidence/web/internals.py"}
