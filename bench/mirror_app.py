"""The same-content reference (`make bench`): each page of app.py, drawn by Streamlit alone from its recording.

The navigation is app.py's (same titles, icons, addresses, order). A page sends, unchanged, the messages
bench/mirror.py recorded from the app's page: on the first run of a page in a session its fresh visit; on a
rerun of the same page (the benchmark's condition change) the run after that change. Nothing is computed:
what the browser spends here is Streamlit's own cost of that page's elements.

BENCH_MIRROR_DIR names the folder of the recordings.
"""

import os
import sys
from pathlib import Path

import streamlit as st
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.PageConfig_pb2 import PageConfig
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
import mirror  # noqa: E402

FOLDER = Path(os.environ["BENCH_MIRROR_DIR"])
# app.py's tab icon is a file; its recorded address is a media file of the app's own server, so the mirror
# registers the same file with its own.
ICON = harness.ROOT / "static" / "icon.png"
LAYOUTS = {PageConfig.WIDE: "wide", PageConfig.CENTERED: "centered"}
LAST_PAGE = "_mirror_last_page"


def messages(url_path: str) -> list[ForwardMsg]:
    """The recording to send: the changed run on a rerun of the same page, else the fresh visit."""
    rerun = st.session_state.get(LAST_PAGE) == url_path
    st.session_state[LAST_PAGE] = url_path
    changed = mirror.path(FOLDER, url_path, mirror.CHANGED)
    source = changed if rerun and changed.exists() else mirror.path(FOLDER, url_path, mirror.DEFAULT)
    out = []
    for blob in mirror.read(source):
        msg = ForwardMsg()
        msg.ParseFromString(blob)
        out.append(msg)
    return out


def replay(url_path: str) -> None:
    ctx = get_script_run_ctx()
    for msg in messages(url_path):
        if msg.WhichOneof("type") == "page_config_changed":
            config = msg.page_config_changed
            st.set_page_config(
                page_title=config.title or None,
                page_icon=str(ICON) if config.favicon else None,
                layout=LAYOUTS.get(config.layout, "centered"),
            )
        else:
            ctx.enqueue(msg)


def page(url_path: str):
    def draw() -> None:
        replay(url_path)

    draw.__name__ = f"mirror_{url_path}"
    return draw


st.navigation(
    [
        st.Page(page(p.url_path), title=p.title, url_path=p.url_path, icon=p.icon, default=p.default)
        for p in harness.nav_pages()
    ]
).run()
