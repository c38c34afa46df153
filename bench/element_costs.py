"""Where a page's browser time goes: its mirror with one kind of element left out at a time (`make bench`).

bench.py times each page against its mirror (bench/mirror.py: the page's own recorded elements, sent by
Streamlit alone). This script takes the pages with the sidebar's Condition filter and replays each recording
in full and with every element of one kind replaced by an empty element (charts, data grids, text, or all of
the main area), one mirror server per variant. Cold load and condition change are timed as in bench.py, the
variants interleaved in each round; medians. A variant's difference from the full mirror is what that kind of
element costs the browser on that page. The app's own code is not involved: these are Streamlit's costs of
the elements, the floor under the page's targets.

Writes test-artifacts/bench-elements.json; timings never fail anything.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
import mirror  # noqa: E402
from harness import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, median  # noqa: E402

import bench  # noqa: E402

MAIN_AREA = 0  # the first index of a delta path: 0 is the main area, 1 the sidebar


def _kind(message) -> str | None:
    if message.WhichOneof("type") != "delta" or message.delta.WhichOneof("type") != "new_element":
        return None
    return message.delta.new_element.WhichOneof("type")


def _of_kind(name: str) -> Callable[[object], bool]:
    return lambda message: _kind(message) == name


def _in_main_area(message) -> bool:
    return _kind(message) not in (None, "empty") and message.metadata.delta_path[0] == MAIN_AREA


# What each variant leaves out (None: the full recording).
VARIANTS: dict[str, Callable[[object], bool] | None] = {
    "full page": None,
    "without charts": _of_kind("plotly_chart"),
    "without grids": _of_kind("dataframe"),
    "without text": _of_kind("markdown"),
    "sidebar only": _in_main_area,
}


def blank(source: Path, target: Path, leave_out: Callable[[object], bool] | None) -> int:
    """Copy a recording, each element `leave_out` picks replaced by an empty one (same paths, same message
    count, so the page's layout of blocks is kept); returns how many elements were left out."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    out, left_out = [], 0
    for blob in mirror.read(source):
        message = ForwardMsg()
        message.ParseFromString(blob)
        if leave_out is not None and leave_out(message):
            message.delta.new_element.Clear()
            message.delta.new_element.empty.SetInParent()
            left_out += 1
        out.append(message.SerializeToString())
    mirror.write(target, out)
    return left_out


def variant_folders(recordings: Path, root: Path, pages: list[str]) -> dict[str, dict]:
    """One folder of recordings per variant; per variant, how many elements of each page it left out."""
    made = {}
    for number, (name, leave_out) in enumerate(VARIANTS.items()):
        folder = root / f"variant{number}"
        folder.mkdir(parents=True)
        left_out = {}
        for page in pages:
            for state in (mirror.DEFAULT, mirror.CHANGED):
                count = blank(mirror.path(recordings, page, state), mirror.path(folder, page, state), leave_out)
                if state == mirror.CHANGED:
                    left_out[page] = count
        made[name] = {"folder": folder, "left_out": left_out}
    return made


def measure(browser, servers: dict, pages: list[harness.NavPage], rounds: int) -> dict:
    """A warm-up, then `rounds` rounds of each page under each variant in turn; raw samples."""
    samples = {p.url_path: {name: [] for name in servers} for p in pages}
    for round_no in range(rounds + 1):
        for p in pages:
            for name, server in servers.items():
                sample = bench.measure_load(browser, server, p.url(server.url), bench.SAME + p.url_path)
                if round_no:
                    samples[p.url_path][name].append(sample)
                    print(
                        f"  round {round_no} {p.url_path:12} {name:15} load {sample['load_ms']:6.0f} ms, "
                        f"change {sample['change_ms']:5.0f} ms, {sample['charts']} chart(s)",
                        flush=True,
                    )
    return samples


def summarize(samples: dict) -> dict:
    """Per page and variant: median load and change, charts drawn, and the difference from the full page."""
    rows = {}
    for page, by_variant in samples.items():
        medians = {
            name: {
                "load_ms": median([s["load_ms"] for s in runs]),
                "change_ms": median([s["change_ms"] for s in runs]),
                "charts": max(s["charts"] for s in runs),
                "exceptions": sum(s["exceptions"] for s in runs),
            }
            for name, runs in by_variant.items()
        }
        full = medians["full page"]
        for row in medians.values():
            row["load_saved_ms"] = full["load_ms"] - row["load_ms"]
            row["change_saved_ms"] = full["change_ms"] - row["change_ms"]
        rows[page] = medians
    return rows


def report(result: dict) -> str:
    lines = [
        f"Machine: {result['machine']['cores']} cores, {result['machine']['cpu']}; medians of {result['rounds']} "
        "round(s). Each page's mirror (its own elements from Streamlit alone), in full and with one kind of "
        "element left out; 'saved' is what that kind costs the browser on the page.",
        "",
        f"{'page':12} {'variant':15} {'left out':>8} {'load ms':>8} {'saved':>6} {'change ms':>9} {'saved':>6}",
    ]
    for page, rows in result["pages"].items():
        for name, row in rows.items():
            lines.append(
                f"{page:12} {name:15} {result['left_out'][name][page]:8d} {row['load_ms']:8.0f} "
                f"{row['load_saved_ms']:6.0f} {row['change_ms']:9.0f} {row['change_saved_ms']:6.0f}"
            )
    return "\n".join(lines)


def run(pages_wanted: list[str] | None, rounds: int, out: Path) -> dict:
    from playwright.sync_api import sync_playwright

    nav = harness.nav_pages()
    work = Path(tempfile.mkdtemp(prefix="bench-elements-"))
    try:
        print("Recording the pages' elements (AppTest, bundled data) ...", flush=True)
        counts = mirror.record(nav, work / "recorded", harness.APP, bench.TIMEOUT_S)
        filtered = [p for p in nav if mirror.CHANGED in counts[p.url_path]]
        pages = [p for p in filtered if not pages_wanted or p.url_path in pages_wanted]
        variants = variant_folders(work / "recorded", work, [p.url_path for p in pages])
        result = {
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": harness.machine(),
            "rounds": rounds,
            "left_out": {name: v["left_out"] for name, v in variants.items()},
        }
        servers = {}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            try:
                for number, (name, v) in enumerate(variants.items()):
                    env = {"BENCH_MIRROR_DIR": str(v["folder"])}
                    servers[name] = harness.BenchServer(harness.MIRROR_APP, f"elements{number}", env=env)
                print("Browser: cold loads and condition changes per variant ...", flush=True)
                samples = measure(browser, servers, pages, rounds)
            finally:
                browser.close()
                for server in servers.values():
                    server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["samples"] = samples
    result["pages"] = summarize(samples)
    return harness.publish(result, report, out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", nargs="*", help="url paths of pages with the Condition filter (default: all)")
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds (median)")
    parser.add_argument("--out", type=Path, default=ARTIFACTS / "bench-elements.json")
    args = parser.parse_args(argv)
    run(args.pages, args.rounds, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
