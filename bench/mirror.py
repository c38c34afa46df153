"""Each page's own elements drawn by Streamlit alone: the same-content reference of `make bench`.

`record(pages, folder)` runs every page of app.py once under AppTest (bundled data, a fresh visit) and keeps
the element messages the page sent, in order: the page config and every delta (text, charts, grids, widgets,
panels, the frame's disclaimer and footer). On pages with the sidebar's Condition filter it also keeps the
messages of the run after one condition is chosen. bench/mirror_app.py sends those messages back, unchanged,
from a script that computes nothing, under the same navigation. The browser then draws exactly the same
elements with no app code behind them, so a page's time against its mirror is the app's own overhead (its
script run, its extra reruns), and the mirror's time is what Streamlit needs for that content.

The recording holds only what the page drew (no visitor data); it is written to a temporary folder by the
benchmark and deleted with it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

# What a page's run sends that draws something; navigation, the address (page_info_changed) and the run's
# lifecycle messages are the mirror's own.
DRAWN = ("delta", "page_config_changed")
CONDITION_LABEL = "Condition"
CONDITION_VALUE = "depression"  # the option the benchmark chooses (bench.CONDITION is its label)
DEFAULT, CHANGED = "default", "changed"


def path(folder: Path, url_path: str, state: str) -> Path:
    return Path(folder) / f"{url_path}.{state}.bin"


def write(target: Path, blobs: list[bytes]) -> None:
    with open(target, "wb") as handle:
        for blob in blobs:
            handle.write(struct.pack(">I", len(blob)))
            handle.write(blob)


def read(source: Path) -> Iterator[bytes]:
    data = Path(source).read_bytes()
    at = 0
    while at < len(data):
        (size,) = struct.unpack_from(">I", data, at)
        at += 4
        yield data[at : at + size]
        at += size


def record(pages, folder: Path, app: Path, timeout_s: float = 120) -> dict[str, dict[str, int]]:
    """Record each page's drawn messages into `folder`; returns the message count per page and state."""
    from streamlit.runtime.scriptrunner_utils import script_run_context
    from streamlit.testing.v1 import AppTest

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    captured: list[bytes] = []
    original = script_run_context.ScriptRunContext.enqueue

    def recording(self, msg):
        if msg.WhichOneof("type") in DRAWN:
            captured.append(msg.SerializeToString())
        return original(self, msg)

    def keep(url_path: str, state: str, action) -> int:
        captured.clear()
        action()
        write(path(folder, url_path, state), captured)
        return len(captured)

    script_run_context.ScriptRunContext.enqueue = recording
    counts = {}
    try:
        for p in pages:
            at = AppTest.from_file(str(app), default_timeout=timeout_s)
            at.switch_page(p.script)
            counts[p.url_path] = {DEFAULT: keep(p.url_path, DEFAULT, at.run)}
            if at.exception:
                raise RuntimeError(f"{p.script} raised: {at.exception[0].value}")
            boxes = [m for m in at.sidebar.multiselect if m.label == CONDITION_LABEL]
            if boxes:
                box = boxes[0].select(CONDITION_VALUE)
                counts[p.url_path][CHANGED] = keep(p.url_path, CHANGED, box.run)
    finally:
        script_run_context.ScriptRunContext.enqueue = original
    return counts
