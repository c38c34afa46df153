"""Every use of Streamlit internals (pdevidence/web/internals.py) checked against the installed Streamlit, so an
upgrade that breaks one fails here, loudly, rather than in a visitor's browser."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest


def script():
    import streamlit as st

    from pdevidence.web import internals

    token = internals.current_run()
    previous = st.session_state.get("previous")
    st.markdown(f"same run: {internals.is_current(token)}")
    st.markdown(f"last run: {internals.is_current(previous)}")
    st.markdown(f"scope: {internals.page_scope()}")
    st.markdown(f"stem: {internals.main_script_stem()}")
    st.session_state["previous"] = token


def shown(at: AppTest) -> dict[str, str]:
    return dict(m.value.split(": ", 1) for m in at.markdown)


def test_a_run_token_is_this_runs_own_and_never_a_later_runs():
    at = AppTest.from_function(script, default_timeout=30)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert shown(at)["same run"] == "True"
    at.run()
    assert shown(at)["same run"] == "True" and shown(at)["last run"] == "False"


def test_outside_a_run_there_is_no_run_token():
    from pdevidence.web import internals

    assert internals.current_run() is None and not internals.is_current(None)


def test_the_page_scope_and_the_script_name_are_read_from_the_run_context():
    at = AppTest.from_function(script, default_timeout=30)
    at.run()
    values = shown(at)
    assert len(values["scope"]) == 12 and values["scope"] != "page"
    assert values["stem"] == Path(at._script_path).stem  # the file AppTest wrote the function to


def frame_script():
    import streamlit as st
    from streamlit.runtime.pages_manager import PagesManager

    from pdevidence.web import internals

    st.session_state["runs"] = st.session_state.get("runs", 0) + 1
    if st.session_state["runs"] == 1:  # as when a deep link reaches a fresh server (see internals.require_frame)
        PagesManager.uses_pages_directory = True
    internals.require_frame()
    st.markdown(f"runs: {st.session_state['runs']}")


def test_a_page_served_in_legacy_pages_folder_mode_switches_it_off_and_reruns():
    from streamlit.runtime.pages_manager import PagesManager

    assert isinstance(PagesManager.uses_pages_directory, bool)  # the attribute the switch flips is still there
    at = AppTest.from_function(frame_script, default_timeout=30)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert PagesManager.uses_pages_directory is False
    assert shown(at)["runs"] == "2"


def fragment_script():
    import streamlit as st

    from pdevidence.web import internals

    @st.fragment(key="part")
    def part():
        st.button("Again", on_click=lambda: st.rerun("part"))  # a keyed rerun: this fragment alone
        st.markdown(f"part: {internals.in_fragment_rerun()}")

    st.session_state["page runs"] = st.session_state.get("page runs", 0) + 1
    st.markdown(f"page: {internals.in_fragment_rerun()}")
    part()


def test_a_fragments_own_rerun_is_told_apart_from_a_run_of_the_page():
    at = AppTest.from_function(fragment_script, default_timeout=30)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert shown(at) == {"page": "False", "part": "False"}  # the fragment runs inside the page's run
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["page runs"] == 1  # the page did not run again
    assert shown(at)["part"] == "True"
