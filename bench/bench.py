"""Page benchmark against the framework's floor, in a real browser (run with `make bench`).

One run starts the app and a bare one-button Streamlit page, each behind a
timing hook (bench/serve.py), and drives Debian's Chromium with Playwright:

- every page of app.py's navigation is loaded to idle in a fresh browser
  context, median of N rounds (pages and the bare page interleaved, after one
  warm-up load each), and divided by the bare page's load;
- on every page with the sidebar filters, one condition is chosen and the
  time to settle is divided by the bare page's button click;
- server script time (sum of the script runs a load or change caused) and the
  largest websocket message the browser received;
- AppTest run times with the bundled data and with a synthetic trials table
  of 10,000 rows (generated in memory, never in data/);
- server memory per extra session: the server's RSS with 1 and with 20 open
  browser sessions.

Targets are printed beside the figures and everything is written as JSON to
test-artifacts/. Timings never fail anything: the exit status only says
whether the benchmark itself ran.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import (  # noqa: E402
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_FLAGS,
    IDLE_PROBE,
    PROBE_STATE,
    ROOT,
    median,
)

sys.path.insert(0, str(ROOT))

TARGETS = {
    "load_ratio": 1.5,  # page load to idle, times the bare page's
    "filter_ratio": 2.0,  # filter change to settled, times the bare page's click
    "script_ms": 100,  # server script run, bundled data
    "script_ms_10k": 500,  # server script run, 10,000 synthetic trials
    "mb_per_session": 30,  # server memory per extra browser session
}
CONDITION = "Depression"  # the sidebar choice timed on filtered pages
CHART_PANEL_PREFIX = "Chart: "  # the label of a panel that draws a chart when opened (widgets.render_chart)
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_S = 120


# --- browser measurements -------------------------------------------------------------------


def new_page(browser):
    """A fresh context and page with the idle probe and a websocket frame counter."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(IDLE_PROBE)
    page = context.new_page()
    page.bench_frames = []  # sizes of websocket frames received since the last reset
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: page.bench_frames.append(len(payload))))
    return context, page


def wait_settled(page, server=None, wall: float | None = None, timeout_s: float = TIMEOUT_S) -> float:
    """Wait until the app has settled (harness.settled_at); return the page-clock time it did.

    `server` and `wall` say which server runs count as this action's (for reruns too fast to show).
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ran = server is None or bool(server.runs_since(wall, wait_for_one=0))
        at = harness.settled_at(page.evaluate(PROBE_STATE), ran)
        if at is not None:
            return at
        page.wait_for_timeout(50)
    raise TimeoutError(f"the app did not settle in {timeout_s} s")


def has_filters(page) -> bool:
    return page.get_by_test_id("stSidebar").get_by_text("Filter studies", exact=True).count() > 0


def page_errors(page) -> int:
    return page.get_by_test_id("stException").count()


def script_figures(prefix: str, runs: list[dict]) -> dict:
    """Server-side figures of the script runs an action caused: wall time, CPU time, garbage collection."""
    return {
        f"{prefix}_runs": len(runs),
        f"{prefix}_script_ms": sum(r["ms"] for r in runs),
        f"{prefix}_script_cpu_ms": sum(r.get("cpu_ms", 0) for r in runs),
        f"{prefix}_script_gc_ms": sum(r.get("gc_ms", 0) for r in runs),
    }


def measure_load(browser, server, url: str, change) -> dict:
    """Load `url` in a fresh context; then, if `change` applies, time one change on it."""
    context, page = new_page(browser)
    try:
        wall = time.time()
        page.goto(url, timeout=TIMEOUT_S * 1000)
        idle = wait_settled(page)
        runs = server.runs_since(wall)
        result = {
            "load_ms": idle,
            **script_figures("load", runs),
            "load_largest_msg_kb": max(page.bench_frames, default=0) / 1024,
            "load_bytes_kb": sum(page.bench_frames) / 1024,
            "exceptions": page_errors(page),
        }
        if change is not None and change.applies(page):
            page.bench_frames.clear()
            change.prepare(page)
            page.evaluate("window.__bench.arm()")
            wall = time.time()
            change.act(page)
            idle = wait_settled(page, server, wall)
            change.finish(page)
            runs = server.runs_since(wall)
            result |= {
                "change_ms": idle - page.evaluate("window.__bench.t0"),
                **script_figures("change", runs),
                "change_largest_msg_kb": max(page.bench_frames, default=0) / 1024,
            }
        result |= open_first_chart(page, server)
        return result
    finally:
        context.close()


def open_first_chart(page, server) -> dict:
    """Open the page's first chart panel and time the click to a drawn chart (charts are drawn on request).

    In a fresh context this includes loading plotly.js, which the page load no longer pays.
    """
    panel = page.get_by_test_id("stExpander").filter(has_text=CHART_PANEL_PREFIX).first
    if page.get_by_test_id("stExpander").filter(has_text=CHART_PANEL_PREFIX).count() == 0:
        return {}
    page.evaluate("window.__bench.arm()")
    wall = time.time()
    panel.locator("summary").first.click()
    wait_settled(page, server, wall)
    page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=TIMEOUT_S * 1000)
    drawn = page.evaluate("performance.now()")
    return {
        "chart_open_ms": drawn - page.evaluate("window.__bench.t0"),
        **script_figures("chart_open", server.runs_since(wall)),
    }


class ChooseCondition:
    """Choose one condition in the sidebar's first multiselect (the condition filter)."""

    def applies(self, page) -> bool:
        return has_filters(page)

    def prepare(self, page) -> None:
        page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").first.click()
        self.option = page.get_by_role("option", name=CONDITION, exact=True)
        self.option.wait_for()

    def act(self, page) -> None:
        self.option.click()

    def finish(self, page) -> None:
        page.keyboard.press("Escape")


class Either:
    """Choose a condition where the page has the sidebar filters, else click the page's button."""

    def applies(self, page) -> bool:
        self.chosen = ChooseCondition() if has_filters(page) else ClickButton()
        return True

    def prepare(self, page) -> None:
        self.chosen.prepare(page)

    def act(self, page) -> None:
        self.chosen.act(page)

    def finish(self, page) -> None:
        self.chosen.finish(page)


class ClickButton:
    """Click the bare page's one button."""

    def applies(self, page) -> bool:
        return True

    def prepare(self, page) -> None:
        self.button = page.get_by_role("button", name="Click me")
        self.button.wait_for()

    def act(self, page) -> None:
        self.button.click()

    def finish(self, page) -> None:
        pass


def browser_rounds(browser, app, bare, pages, rounds: int, references: dict) -> tuple[dict, dict]:
    """Warm-up load of each page, then `rounds` interleaved measured loads; raw samples per page.

    `references` maps a reference page's name to its server: its change is choosing a condition when it
    has the sidebar filters, else clicking its button.
    """
    targets = [("bare", bare, f"{bare.url}/", ClickButton())]
    targets += [(name, server, f"{server.url}/", Either()) for name, server in references.items()]
    targets += [(p.url_path, app, p.url(app.url), ChooseCondition()) for p in pages]
    for name, server, url, change in targets:
        print(f"  warm-up {name}", flush=True)
        measure_load(browser, server, url, change)
    samples = {name: [] for name, *_ in targets}
    for round_no in range(rounds):
        for name, server, url, change in targets:
            sample = measure_load(browser, server, url, change)
            samples[name].append(sample)
            print(
                f"  round {round_no + 1} {name:20} load {sample['load_ms']:7.0f} ms"
                + (f", change {sample['change_ms']:6.0f} ms" if "change_ms" in sample else ""),
                flush=True,
            )
    return samples, {name: url for name, _, url, _ in targets}


def summarize(samples: dict) -> dict:
    keys = sorted({k for runs in samples.values() for s in runs for k in s})
    return {name: {k: median([s.get(k) for s in runs]) for k in keys} for name, runs in samples.items()}


def memory_per_session(browser, server, pages, sessions: int) -> dict:
    """Server RSS with 1 open session (after every page was visited) and with `sessions` open."""
    opened = []
    try:
        context, page = new_page(browser)
        opened.append(context)
        for p in pages:
            page.goto(p.url(server.url), timeout=TIMEOUT_S * 1000)
            wait_settled(page)
        time.sleep(2)
        one = server.rss_mb()
        for i in range(1, sessions):
            context, page = new_page(browser)
            opened.append(context)
            page.goto(pages[i % len(pages)].url(server.url), timeout=TIMEOUT_S * 1000)
            wait_settled(page)
        time.sleep(2)
        many = server.rss_mb()
    finally:
        for context in opened:
            context.close()
    return {
        "sessions": sessions,
        "rss_mb_1": one,
        "rss_mb_n": many,
        "mb_per_extra_session": (many - one) / max(sessions - 1, 1),
    }


# --- server timings with AppTest ------------------------------------------------------------


def apptest_timings(pages, rows: int | None, repeat: int) -> dict:
    """Median script time per page (warm), and of one condition change on filtered pages, run by AppTest.

    The figure is the script run itself, timed by serve.py's hook on Streamlit's script runner: AppTest's
    own work around a run (scanning installed packages for components, polling the script thread) is
    not the app's and adds about half a second per run; its total is kept in the JSON as `apptest_ms`.
    """
    import serve
    import streamlit as st
    import synthetic
    from streamlit.testing.v1 import AppTest

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    log = Path(tempfile.mkdtemp(prefix="bench-apptest-")) / "runs.jsonl"
    log.touch()
    restore = serve.install_timing_hook(str(log))

    def script_ms(action) -> tuple[float, float]:
        seen = len(log.read_text(encoding="utf-8").splitlines())
        start = time.perf_counter()
        action()
        total = (time.perf_counter() - start) * 1000
        runs = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()[seen:]]
        return sum(r["ms"] for r in runs), total

    if rows:
        synthetic.patch_loader(rows)
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        out = {}
        for p in pages:
            loads, changes, totals = [], [], []
            for i in range(repeat + 1):  # the first run warms caches and is not counted
                at = AppTest.from_file(str(harness.APP), default_timeout=TIMEOUT_S)
                at.switch_page(p.script)
                elapsed, total = script_ms(at.run)
                if at.exception:
                    raise RuntimeError(f"{p.script} raised: {at.exception[0].value}")
                boxes = [m for m in at.sidebar.multiselect if m.label == "Condition"]
                change = None
                if boxes:
                    box = boxes[0].select("depression")
                    change, _ = script_ms(box.run)
                if i:
                    loads.append(elapsed)
                    changes.append(change)
                    totals.append(total)
            out[p.url_path] = {
                "run_ms": statistics.median(loads),
                "change_ms": median(changes),
                "apptest_ms": statistics.median(totals),
            }
        return out
    finally:
        restore()
        synthetic.unpatch_loader()
        st.cache_data.clear()
        st.cache_resource.clear()


# --- report ---------------------------------------------------------------------------------


def ok(value, target, *, below=True) -> str:
    if value is None:
        return "-"
    return "ok" if (value < target if below else value <= target) else "NO"


def report(result: dict) -> str:
    t = TARGETS
    bare = result["browser"]["bare"]
    m = result["machine"]
    lines = [
        f"Machine: {m['cores']} cores, {m['memory_gb']} GB, {m['cpu']}; "
        f"medians of {result['rounds']} round(s), fresh browser context per load.",
        f"Bare page: load {bare['load_ms']:.0f} ms, click {bare['change_ms']:.0f} ms, "
        f"script {bare['load_script_ms']:.1f} ms, largest message {bare['load_largest_msg_kb']:.1f} KB.",
        "",
        f"{'page':20} {'load ms':>8} {'x bare':>7} {'<=' + str(t['load_ratio']):>5} "
        f"{'filter ms':>9} {'x click':>7} {'<=' + str(t['filter_ratio']):>5} "
        f"{'script ms':>9} {'<' + str(t['script_ms']):>4} {'change ms':>9} {'largest KB':>10} {'open chart ms':>13}",
    ]
    for name, row in result["pages"].items():
        has_change = row.get("change_ms") is not None
        lines.append(
            f"{name:20} {row['load_ms']:8.0f} {row['load_ratio']:7.2f} {ok(row['load_ratio'], t['load_ratio'], below=False):>5} "
            + (
                f"{row['change_ms']:9.0f} {row['filter_ratio']:7.2f} {ok(row['filter_ratio'], t['filter_ratio'], below=False):>5} "
                if has_change
                else f"{'':9} {'':7} {'':5} "
            )
            + f"{row['load_script_ms']:9.1f} {ok(row['load_script_ms'], t['script_ms']):>4} "
            + (f"{row['change_script_ms']:9.1f} " if has_change else f"{'':9} ")
            + f"{row['largest_msg_kb']:10.1f} "
            + (f"{row['chart_open_ms']:13.0f}" if row.get("chart_open_ms") is not None else "")
        )

    lines.append(
        "open chart ms: from the click on the page's first chart panel to the chart drawn (charts are drawn on "
        "request; in a fresh context this includes loading plotly.js)."
    )
    lines += [
        "",
        "Reference pages (Streamlit alone, same run): the bare page plus one kind of element this app uses.",
        "A page cannot load faster than the reference pages of the elements it shows.",
    ]
    for name, row in result.get("references", {}).items():
        change = f", change {row['change_ms']:.0f} ms = {row['change_ratio']:.2f} x click" if row["change_ms"] else ""
        lines.append(f"  {name:22} load {row['load_ms']:6.0f} ms = {row['load_ratio']:.2f} x bare{change}")

    def cell(value, target):
        return f"{'':>7} {'':>3}" if value is None else f"{value:7.0f} {ok(value, target):>3}"

    lines += [
        "",
        f"Server script time (script runs under AppTest, warm, median of {result['rounds']}), ms: "
        f"target < {t['script_ms']} bundled, < {t['script_ms_10k']} with {result['synthetic_rows']:,} trials",
        f"{'page':20} {'bundled':>11} {'change':>11} {'synthetic':>11} {'change':>11}",
    ]
    for name, b in result["apptest_bundled"].items():
        s = result["apptest_synthetic"][name]
        lines.append(
            f"{name:20} {cell(b['run_ms'], t['script_ms'])} {cell(b['change_ms'], t['script_ms'])} "
            f"{cell(s['run_ms'], t['script_ms_10k'])} {cell(s['change_ms'], t['script_ms_10k'])}"
        )
    mem = result["memory"]
    lines += [
        "",
        f"Server memory: {mem['rss_mb_1']:.0f} MB with 1 session, {mem['rss_mb_n']:.0f} MB with {mem['sessions']}: "
        f"{mem['mb_per_extra_session']:.1f} MB per extra session (target < {t['mb_per_session']}) "
        f"{ok(mem['mb_per_extra_session'], t['mb_per_session'])}",
    ]
    return "\n".join(lines)


def run(pages_wanted: list[str] | None, rounds: int, rows: int, sessions: int, out: Path) -> dict:
    from playwright.sync_api import sync_playwright

    pages = harness.nav_pages()
    if pages_wanted:
        pages = [p for p in pages if p.url_path in pages_wanted]
    result = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": harness.machine(),
        "rounds": rounds,
        "synthetic_rows": rows,
        "targets": TARGETS,
    }
    print("Server timings (AppTest), bundled data and synthetic trials ...", flush=True)
    result["apptest_bundled"] = apptest_timings(pages, None, rounds)
    result["apptest_synthetic"] = apptest_timings(pages, rows, rounds)

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        bare_server = harness.BenchServer(harness.bare_app(Path(tmp)), "bare")
        references = {
            name: harness.BenchServer(path, f"reference-{i}")
            for i, (name, path) in enumerate(harness.reference_apps(Path(tmp)).items())
        }
        app_server = harness.BenchServer(harness.APP, "app")
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            print("Browser: page loads and changes ...", flush=True)
            samples, urls = browser_rounds(browser, app_server, bare_server, pages, rounds, references)
            print("Browser: memory per session ...", flush=True)
            result["memory"] = memory_per_session(browser, app_server, pages, sessions)
        finally:
            browser.close()
            app_server.stop()
            bare_server.stop()
            for server in references.values():
                server.stop()

    summary = summarize(samples)
    bare = summary["bare"]
    result["browser"] = summary
    result["samples"] = samples
    result["urls"] = urls
    result["references"] = {
        name: {
            "load_ms": summary[name]["load_ms"],
            "load_ratio": summary[name]["load_ms"] / bare["load_ms"],
            "change_ms": summary[name].get("change_ms"),
            "change_ratio": summary[name]["change_ms"] / bare["change_ms"] if summary[name].get("change_ms") else None,
        }
        for name in harness.REFERENCE_SCRIPTS
    }
    result["pages"] = {}
    for p in pages:
        row = dict(summary[p.url_path])
        row["title"] = p.title
        row["load_ratio"] = row["load_ms"] / bare["load_ms"]
        row["filter_ratio"] = row["change_ms"] / bare["change_ms"] if row.get("change_ms") is not None else None
        row["largest_msg_kb"] = max(row.get("load_largest_msg_kb") or 0, row.get("change_largest_msg_kb") or 0)
        row["meets"] = {
            "load": row["load_ratio"] <= TARGETS["load_ratio"],
            "filter": None if row["filter_ratio"] is None else row["filter_ratio"] <= TARGETS["filter_ratio"],
            "script": row["load_script_ms"] < TARGETS["script_ms"],
            "script_10k": result["apptest_synthetic"][p.url_path]["run_ms"] < TARGETS["script_ms_10k"],
        }
        result["pages"][p.url_path] = row
    text = report(result)
    print()
    print(text)
    result["report"] = text
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    print(f"\nWritten {out}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", nargs="*", help="url paths to measure (default: every page in the navigation)")
    parser.add_argument("--rounds", type=int, default=3, help="measured loads per page (median)")
    parser.add_argument("--rows", type=int, default=10_000, help="synthetic trials for the server timings")
    parser.add_argument("--sessions", type=int, default=20, help="open sessions for the memory figure")
    parser.add_argument("--out", type=Path, default=ARTIFACTS / "bench.json")
    args = parser.parse_args(argv)
    run(args.pages, args.rounds, args.rows, args.sessions, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
