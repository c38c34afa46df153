"""One test per Streamlit internal that pdevidence/web/internals.py relies on.

These are not public API: each test names what it needs, so a Streamlit upgrade
that moves or changes one fails here, by name, rather than somewhere in a page.
"""

from __future__ import annotations

import re
import textwrap

from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from pdevidence.web import internals

PROBE = textwrap.dedent(
    """
    import streamlit as st
    from pdevidence.web import internals

    st.session_state.setdefault("run_ids", []).append(internals.run_id())
    st.markdown(f"scope={internals.page_scope()}")
    st.markdown(f"stem={internals.main_script_stem()}")
    """
)


def probe(tmp_path, source: str = PROBE) -> AppTest:
    path = tmp_path / "probe_page.py"
    path.write_text(source, encoding="utf-8")
    return AppTest.from_file(str(path), default_timeout=30)


def shown(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


def test_get_script_run_ctx_gives_a_new_cursors_object_each_run(tmp_path):
    at = probe(tmp_path).run()
    at.run()
    assert not at.exception
    first, second = at.session_state["run_ids"]
    assert first is not None and second is not None and first != second


def test_the_run_context_names_the_page_script_hash(tmp_path):
    at = probe(tmp_path).run()
    assert not at.exception
    assert re.search(r"scope=[0-9a-f]{12}\b", shown(at)), shown(at)


def test_the_run_context_names_the_main_script_path(tmp_path):
    at = probe(tmp_path).run()
    assert not at.exception
    assert "stem=probe_page" in shown(at)


def test_outside_a_script_run_there_is_no_context():
    assert internals.run_id() is None
    assert internals.page_scope() == "page"
    assert internals.main_script_stem() == ""


def test_require_frame_switches_off_the_legacy_pages_folder_mode_and_reruns(tmp_path):
    assert "uses_pages_directory" in vars(PagesManager), "PagesManager.uses_pages_directory is gone"
    # The flag is set inside the run, as Streamlit sets it for a page served from pages/ on its own.
    source = PROBE + textwrap.dedent(
        """
        from streamlit.runtime.pages_manager import PagesManager

        if len(st.session_state["run_ids"]) == 1:
            PagesManager.uses_pages_directory = True
        internals.require_frame()
        st.markdown(f"framed, legacy mode {PagesManager.uses_pages_directory}")
        """
    )
    saved = PagesManager.uses_pages_directory
    try:
        at = probe(tmp_path, source).run()
        assert not at.exception
        assert "framed, legacy mode False" in shown(at)
        assert len(at.session_state["run_ids"]) == 2  # the page reran once, with the mode off
    finally:
        PagesManager.uses_pages_directory = saved
