"""Every use of Streamlit internals, in one place; tests/test_internals.py fails loudly if an upgrade breaks one."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx


def current_run():
    """A token of this script run: the run's own cursors object (Streamlit makes a new one per run); None
    outside a run. Kept by whoever stores it, so it can never be confused with a later run's token (an id()
    of a freed object could be reused); compare with `is_current`."""
    ctx = get_script_run_ctx()
    return ctx.cursors if ctx is not None else None


def is_current(token) -> bool:
    """Whether a token from `current_run` belongs to this run."""
    return token is not None and token is current_run()


def in_fragment_rerun() -> bool:
    """Whether this run reruns only some st.fragment sections of the page (not the whole script)."""
    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def page_scope() -> str:
    """An id of the running page, for keys of widgets whose state should not leak between pages."""
    ctx = get_script_run_ctx()
    return ctx.page_script_hash[:12] if ctx is not None else "page"


def main_script_stem() -> str:
    """The running script file's name, for a page run on its own (without app.py's navigation)."""
    ctx = get_script_run_ctx()
    return Path(ctx.main_script_path).stem if ctx is not None else ""


def require_frame() -> None:
    """Make sure this page runs inside app.py's frame (disclaimer, navigation, footer).

    A deep link that reaches a freshly started server before app.py has run
    once is served by Streamlit's legacy pages-folder mode, which runs the page
    file alone. Switching that mode off and rerunning hands the request to
    app.py's navigation, which opens the same page with the same query string.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
