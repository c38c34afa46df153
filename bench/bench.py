"""Page benchmark against two references, in a real browser (run with `make bench`).

One run starts, each behind a timing hook (bench/serve.py), the app; the reference app
(bench/reference_app.py: Streamlit alone with a sidebar multiselect, one plotly chart, one 80-row data
grid and text, and a second page with one button); and the mirror (bench/mirror_app.py: Streamlit alone
sending back, under the same navigation, the messages each page of the app drew in one recorded visit,
bench/mirror.py). Every browser figure is taken on the app's page, on the reference page and on the page's
mirror, so a page reads against a fixed small page and against its own elements with no app code behind
them. It drives Debian's Chromium with Playwright:

- cold load: every page of app.py's navigation and the reference's chart page, each loaded to
  settled in a fresh browser context (idle, every visible chart drawn, then no change for 300 ms; timed to
  the last change), median of N rounds (interleaved, after one warm-up load each); ratio to the
  reference page's load and to the page's mirror;
- charts drawn at load: plotly charts with their SVG on the settled page;
- condition filter change: on pages with the sidebar's Condition filter, one condition chosen, to
  settled; ratio to the same change on the reference page and on the page's mirror;
- warm page switch: in one context, a click in the sidebar navigation to each page, to settled,
  median of N passes after a warm-up pass; ratio to the reference's switch to its chart page and to the
  same switch on the mirror;
- open chart: on pages with chart panels, the click on the first one to the drawn chart;
- section change: on pages with a chart's own setting in its own section (st.fragment, widgets.section), that
  setting changed after the condition change, to settled, and whether only the section reran;
- server script time per page (AppTest, warm) with the bundled data and with a synthetic trials
  table of 10,000 rows (generated in memory, never in data/);
- server memory per extra session: the server's RSS with 1 and with 20 open browser sessions.

Targets are printed beside the figures and everything is written as JSON to
test-artifacts/. Timings never fail anything: the exit status only says
whether the benchmark itself ran.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
import mirror  # noqa: E402
from harness import (  # noqa: E402
    ARTIFACTS,
    CHARTS_DRAWN,
    CHROMIUM,
    CHROMIUM_FLAGS,
    IDLE_PROBE,
    PROBE_STATE,
    ROOT,
    NavPage,
    median,
)

sys.path.insert(0, str(ROOT))

TARGETS = {
    "load_ratio": 1.05,  # cold load, times the reference page's
    "switch_ratio": 1.0,  # warm page switch, times the reference's switch
    "filter_ratio": 1.0,  # condition change to settled, times the reference's multiselect change
    "charts": 1,  # plotly charts drawn at load, on the pages whose subject is a chart
    "script_ms": 100,  # server script run, bundled data
    "script_ms_10k": 250,  # server script run, 10,000 synthetic trials
    "mb_per_session": 5,  # server memory per extra browser session
}
CHART_PAGES = ("overview", "explore", "study_size", "metapsy", "therapy_types", "short_vs_long")
CONDITION = "Depression"  # the sidebar choice timed on filtered pages (the reference offers it too)
# A chart's own setting, drawn in its section (widgets.section, an st.fragment): page -> (radio label, option).
SECTION_SETTINGS = {
    "overview": ("Which trials", "Only trials with 100 or more people"),
    "explore": ("Compared with", "Active treatments"),
    "study_size": ("Compared with", "Active treatments"),
}
CHART_PANEL_PREFIX = "Chart: "  # the label of a panel that draws a chart when opened (widgets.render_chart)
REFERENCE = "reference"  # the reference's chart page, in the results
SAME = "same:"  # prefix of a page's mirror (its own elements from Streamlit alone), in the results
REFERENCE_PAGES = [
    NavPage("chart", "Chart page", "chart_page", default=True),
    NavPage("button", "Button page", "button_page", default=False),
]
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_S = 120


# --- browser measurements -------------------------------------------------------------------


def new_page(browser):
    """A fresh context and page with the idle probe."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(IDLE_PROBE)
    return context, context.new_page()


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


def timed_click(page, server, target) -> float:
    """Click `target` and wait until settled; ms from the click's pointerdown to settled."""
    page.evaluate("window.__bench.arm()")
    wall = time.time()
    target.click()
    idle = wait_settled(page, server, wall)
    return idle - page.evaluate("window.__bench.t0")


def condition_filter(page):
    return page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text="Condition")


def measure_load(browser, server, url: str, name: str = REFERENCE) -> dict:
    """Load `url` (page `name`) in a fresh context and count its charts; then time a condition change and, on the
    app's own pages, a section change and a chart panel (a mirror's recording has no section or panel runs)."""
    context, page = new_page(browser)
    try:
        page.goto(url, timeout=TIMEOUT_S * 1000)
        result = {
            "load_ms": wait_settled(page),
            "charts": page.evaluate(CHARTS_DRAWN),
            "exceptions": page.get_by_test_id("stException").count(),
        }
        if condition_filter(page).count():
            condition_filter(page).first.click()
            option = page.get_by_role("option", name=CONDITION, exact=True)
            option.wait_for()
            result["change_ms"] = timed_click(page, server, option)
            page.keyboard.press("Escape")
        if not name.startswith(SAME):
            result |= change_section(page, server, name)
            result |= open_first_chart(page, server)
        return result
    finally:
        context.close()


def change_section(page, server, name: str) -> dict:
    """Change the page's chart setting (SECTION_SETTINGS) and time it to settled; and whether every script run
    it caused was a rerun of a section alone (st.fragment), not of the page."""
    if name not in SECTION_SETTINGS:
        return {}
    label, option = SECTION_SETTINGS[name]
    radio = page.get_by_test_id("stRadio").filter(has_text=label).first
    wall = time.time()
    ms = timed_click(page, server, radio.get_by_text(option, exact=True))
    runs = server.runs_since(wall)
    return {
        "section_ms": ms,
        "section_runs": len(runs),
        "section_only": bool(runs) and all(r["fragment"] for r in runs),
    }


def open_first_chart(page, server) -> dict:
    """Open the page's first chart panel and time the click to a drawn chart (the probe waits for it).

    In a fresh context this includes loading plotly.js where the page drew no chart at load.
    """
    panels = page.get_by_test_id("stExpander").filter(has_text=CHART_PANEL_PREFIX)
    if panels.count() == 0:
        return {}
    return {"chart_open_ms": timed_click(page, server, panels.first.locator("summary").first)}


def load_rounds(browser, app, reference, same, pages, rounds: int) -> dict:
    """Warm-up load of each page, then `rounds` interleaved measured cold loads; raw samples per page.

    Each page of the app is followed by its mirror on the `same` server (SAME + its url path).
    """
    targets = [(REFERENCE, reference, f"{reference.url}/")]
    for p in pages:
        targets += [(p.url_path, app, p.url(app.url)), (SAME + p.url_path, same, p.url(same.url))]
    for name, server, url in targets:
        print(f"  warm-up {name}", flush=True)
        measure_load(browser, server, url, name)
    samples = {name: [] for name, *_ in targets}
    for round_no in range(rounds):
        for name, server, url in targets:
            sample = measure_load(browser, server, url, name)
            samples[name].append(sample)
            print(
                f"  round {round_no + 1} {name:20} load {sample['load_ms']:7.0f} ms, {sample['charts']} chart(s)"
                + (f", change {sample['change_ms']:6.0f} ms" if "change_ms" in sample else ""),
                flush=True,
            )
    return samples


def switch_rounds(browser, sites: dict[str, tuple], rounds: int) -> dict:
    """Warm page switches: per site (name -> (server, navigation, pages measured)), one context that clicks
    each page's sidebar link in turn; ms per page, per pass.

    The sites take their passes in turn (the first site's pass, then the second's, ...), so a drift in the
    machine's speed during the run falls on all of them alike. The first pass warms each context and is not
    counted. With one page measured, the next page of the navigation is visited between its switches.
    """
    open_sites = {}
    try:
        for name, (server, nav, measured) in sites.items():
            cycle = list(measured)
            if len(cycle) == 1:
                cycle.append(next(p for p in nav if p != cycle[0]))
            context, page = new_page(browser)
            open_sites[name] = (server, cycle, context, page, {p.url_path: [] for p in measured})
            page.goto(cycle[-1].url(server.url), timeout=TIMEOUT_S * 1000)
            wait_settled(page)
        for pass_no in range(rounds + 1):
            for server, cycle, _, page, samples in open_sites.values():
                for p in cycle:
                    link = page.get_by_test_id("stSidebarNavLink").and_(page.locator(f"[href='{p.url(server.url)}']"))
                    ms = timed_click(page, server, link)
                    if pass_no and p.url_path in samples:
                        samples[p.url_path].append(ms)
        return {name: site[4] for name, site in open_sites.items()}
    finally:
        for _, _, context, _, _ in open_sites.values():
            context.close()


def steady_rss(server, timeout_s: float = 30) -> float:
    """The server's RSS once two readings half a second apart differ by less than 0.5 MB."""
    deadline = time.monotonic() + timeout_s
    last = server.rss_mb()
    while True:
        time.sleep(0.5)
        now = server.rss_mb()
        if abs(now - last) < 0.5 or time.monotonic() > deadline:
            return now
        last = now


def memory_per_session(browser, server, pages, sessions: int) -> dict:
    """Server RSS with 1 open session (after every page was visited) and with `sessions` open."""
    opened = []
    try:
        context, page = new_page(browser)
        opened.append(context)
        for p in pages:
            page.goto(p.url(server.url), timeout=TIMEOUT_S * 1000)
            wait_settled(page)
        one = steady_rss(server)
        for i in range(1, sessions):
            context, page = new_page(browser)
            opened.append(context)
            page.goto(pages[i % len(pages)].url(server.url), timeout=TIMEOUT_S * 1000)
            wait_settled(page)
        many = steady_rss(server)
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
    try:
        out = {}
        for p in pages:
            # Each page starts with nothing cached, so its first condition change finds nothing a page before it
            # computed for that selection (the pages share cached results).
            st.cache_data.clear()
            st.cache_resource.clear()
            loads, changes, totals, first_change = [], [], [], None
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
                else:
                    first_change = change  # nothing cached for this selection yet: a visitor's first choice of it
            out[p.url_path] = {
                "run_ms": statistics.median(loads),
                "change_ms": median(changes),
                "change_first_ms": first_change,
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


def ratio(value, reference):
    return None if value is None or not reference else value / reference


def summarize(runs: list[dict]) -> dict:
    """Medians of a page's samples; the charts drawn in every round and the most exceptions seen."""
    keys = {k for sample in runs for k in sample}
    out = {k: median([sample.get(k) for sample in runs]) for k in keys}
    out["charts"] = min(sample["charts"] for sample in runs)
    if any("section_only" in sample for sample in runs):
        out["section_only"] = all(sample.get("section_only") for sample in runs)
    out["exceptions"] = max(sample["exceptions"] for sample in runs)
    return out


def page_rows(
    summary: dict, switches: dict, same_switches: dict, pages: list[NavPage], apptest: dict, synthetic: dict
) -> dict:
    """One row of figures and ratios per page of the app: against the reference page, and against the page's
    own elements drawn by Streamlit alone (its mirror)."""
    ref = summary[REFERENCE]
    rows = {}
    for p in pages:
        row = dict(summary[p.url_path])
        same = summary[SAME + p.url_path]
        row["title"] = p.title
        row["switch_ms"] = median(switches.get(p.url_path, []))
        row["load_ratio"] = ratio(row["load_ms"], ref["load_ms"])
        row["switch_ratio"] = ratio(row["switch_ms"], ref["switch_ms"])
        row["filter_ratio"] = ratio(row.get("change_ms"), ref["change_ms"])
        row["same"] = {
            "load_ms": same["load_ms"],
            "switch_ms": median(same_switches.get(p.url_path, [])),
            "change_ms": same.get("change_ms"),
            "charts": same["charts"],
            "exceptions": same["exceptions"],
        }
        row["same"] |= {
            "load_ratio": ratio(row["load_ms"], row["same"]["load_ms"]),
            "switch_ratio": ratio(row["switch_ms"], row["same"]["switch_ms"]),
            "filter_ratio": ratio(row.get("change_ms"), row["same"]["change_ms"]),
        }
        row["script_ms"] = apptest[p.url_path]["run_ms"]
        row["script_ms_10k"] = synthetic[p.url_path]["run_ms"]
        chart_page = p.url_path in CHART_PAGES
        row["meets"] = {
            "load": row["load_ratio"] <= TARGETS["load_ratio"],
            "switch": None if row["switch_ratio"] is None else row["switch_ratio"] <= TARGETS["switch_ratio"],
            "filter": None if row["filter_ratio"] is None else row["filter_ratio"] <= TARGETS["filter_ratio"],
            "charts": row["charts"] >= TARGETS["charts"] if chart_page else None,
            "script": row["script_ms"] < TARGETS["script_ms"],
            "script_10k": row["script_ms_10k"] < TARGETS["script_ms_10k"],
        }
        row["same"]["meets"] = {
            kind: None
            if row["same"][f"{kind}_ratio"] is None
            else row["same"][f"{kind}_ratio"] <= TARGETS[f"{kind}_ratio"]
            for kind in ("load", "switch", "filter")
        }
        rows[p.url_path] = row
    return rows


def report(result: dict) -> str:
    t = TARGETS
    ref = result["reference"]
    m = result["machine"]

    def cell(value, width, fmt, meets):
        mark = {True: "ok", False: "NO", None: ""}[meets]
        return f"{'':>{width + 3}}" if value is None else f"{value:{width}{fmt}} {mark:>2}"

    lines = [
        f"Machine: {m['cores']} cores, {m['memory_gb']} GB, {m['cpu']}; load average {m['load_average']} at the start, "
        f"{result['load_average_end']} at the end; "
        f"medians of {result['rounds']} round(s), fresh browser context per cold load.",
        f"Reference page (Streamlit alone: sidebar multiselect, one plotly chart, an 80-row grid, text): "
        f"cold load {ref['load_ms']:.0f} ms, {ref['charts']} chart(s) drawn, condition change "
        f"{ref['change_ms']:.0f} ms, switch to it {ref['switch_ms']:.0f} ms "
        f"(to its button page {ref['switch_button_ms']:.0f} ms).",
        "",
        f"{'page':20} {'load ms':>7} {'x ref':>8} {'switch ms':>9} {'x ref':>7} {'filter ms':>9} {'x ref':>7} "
        f"{'charts':>6} {'script ms':>9} {'10k ms':>9} {'open chart ms':>13} {'section ms':>10}",
        f"{'target':20} {'':>7} {'<=' + str(t['load_ratio']):>8} {'':>9} {'<=' + str(t['switch_ratio']):>7} "
        f"{'':>9} {'<=' + str(t['filter_ratio']):>7} {'>=' + str(t['charts']):>6} {'<' + str(t['script_ms']):>9} "
        f"{'<' + str(t['script_ms_10k']):>9}",
    ]
    for name, row in result["pages"].items():
        meets = row["meets"]
        lines.append(
            f"{name:20} {row['load_ms']:7.0f} {cell(row['load_ratio'], 5, '.2f', meets['load'])} "
            f"{cell(row['switch_ms'], 6, '.0f', None)} {cell(row['switch_ratio'], 4, '.2f', meets['switch'])} "
            f"{cell(row.get('change_ms'), 6, '.0f', None)} {cell(row['filter_ratio'], 4, '.2f', meets['filter'])} "
            f"{cell(row['charts'], 3, 'd', meets['charts'])} {cell(row['script_ms'], 6, '.0f', meets['script'])} "
            f"{cell(row['script_ms_10k'], 6, '.0f', meets['script_10k'])} "
            + (f"{row['chart_open_ms']:13.0f}" if row.get("chart_open_ms") is not None else f"{'':13}")
            + (
                f" {row['section_ms']:7.0f} {'fr' if row['section_only'] else 'pg'}"
                if row.get("section_ms") is not None
                else ""
            )
        )
    lines += [
        "",
        "Against the same elements: each page's own messages, recorded from one fresh visit (and from the run after "
        "the condition change), sent back by Streamlit alone under the same navigation (bench/mirror_app.py); "
        "x same = the app's time / the mirror's, so above 1 is the app's own overhead (its script run, extra reruns).",
        f"{'page':20} {'same load':>9} {'x same':>8} {'same switch':>11} {'x same':>8} {'same filter':>11} "
        f"{'x same':>8} {'charts':>6}",
        f"{'target':20} {'':>9} {'<=' + str(t['load_ratio']):>8} {'':>11} {'<=' + str(t['switch_ratio']):>8} "
        f"{'':>11} {'<=' + str(t['filter_ratio']):>8}",
    ]
    for name, row in result["pages"].items():
        same = row["same"]
        meets = same["meets"]
        lines.append(
            f"{name:20} {same['load_ms']:9.0f} {cell(same['load_ratio'], 5, '.2f', meets['load'])} "
            f"{cell(same['switch_ms'], 8, '.0f', None)} {cell(same['switch_ratio'], 5, '.2f', meets['switch'])} "
            f"{cell(same.get('change_ms'), 8, '.0f', None)} {cell(same['filter_ratio'], 5, '.2f', meets['filter'])} "
            f"{same['charts']:6d}"
        )
    mem = result["memory"]
    firsts = [
        f"{name} {timing['change_first_ms']:.0f} ms"
        for name, timing in result["apptest_bundled"].items()
        if timing["change_first_ms"] is not None
    ]
    lines.append("")
    if firsts:
        lines.append(
            "Condition change, server script run with nothing cached for the selection yet (a visitor's first "
            "choice of it; the browser figures above are taken with it cached): " + ", ".join(firsts) + "."
        )
    lines += [
        "charts: plotly charts drawn at load (target on " + ", ".join(CHART_PAGES) + "). script ms: the script "
        f"run under AppTest, warm, bundled data / {result['synthetic_rows']:,} synthetic trials. open chart ms: "
        "click on the first chart panel to the chart drawn. section ms: a chart's own setting changed (after the "
        "condition), to settled; fr: only its section reran (st.fragment), pg: the page reran.",
        f"Server memory: {mem['rss_mb_1']:.0f} MB with 1 session, {mem['rss_mb_n']:.0f} MB with {mem['sessions']}: "
        f"{mem['mb_per_extra_session']:.1f} MB per extra session (target < {t['mb_per_session']}) "
        f"{ok(mem['mb_per_extra_session'], t['mb_per_session'])}",
    ]
    return "\n".join(lines)


def run(pages_wanted: list[str] | None, rounds: int, rows: int, sessions: int, out: Path) -> dict:
    from playwright.sync_api import sync_playwright

    nav = harness.nav_pages()
    pages = [p for p in nav if not pages_wanted or p.url_path in pages_wanted]
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
    recordings = Path(tempfile.mkdtemp(prefix="bench-mirror-"))
    print("Recording every page's elements for its mirror (AppTest, bundled data) ...", flush=True)
    result["mirror_messages"] = mirror.record(nav, recordings, harness.APP, TIMEOUT_S)

    with sync_playwright() as pw:
        reference = harness.BenchServer(harness.REFERENCE_APP, "reference")
        app = harness.BenchServer(harness.APP, "app")
        same = harness.BenchServer(harness.MIRROR_APP, "mirror", env={"BENCH_MIRROR_DIR": str(recordings)})
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            print("Browser: cold loads and condition changes ...", flush=True)
            samples = load_rounds(browser, app, reference, same, pages, rounds)
            print("Browser: warm page switches ...", flush=True)
            sites = {REFERENCE: (reference, REFERENCE_PAGES, REFERENCE_PAGES), "app": (app, nav, pages)}
            sites["same"] = (same, nav, pages)
            switched = switch_rounds(browser, sites, rounds)
            ref_switches, switches, same_switches = switched[REFERENCE], switched["app"], switched["same"]
            print("Browser: memory per session ...", flush=True)
            result["memory"] = memory_per_session(browser, app, pages, sessions)
        finally:
            browser.close()
            app.stop()
            reference.stop()
            same.stop()
            shutil.rmtree(recordings, ignore_errors=True)

    summary = {name: summarize(runs) for name, runs in samples.items()}
    result["samples"] = samples
    result["switch_samples"] = switched
    result["reference"] = summary[REFERENCE] | {
        "switch_ms": median(ref_switches["chart"]),
        "switch_button_ms": median(ref_switches["button"]),
    }
    summary[REFERENCE] = result["reference"]
    result["pages"] = page_rows(
        summary, switches, same_switches, pages, result["apptest_bundled"], result["apptest_synthetic"]
    )
    return harness.publish(result, report, out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", nargs="*", help="url paths to measure (default: every page in the navigation)")
    parser.add_argument("--rounds", type=int, default=3, help="measured cold loads and switch passes (median)")
    parser.add_argument("--rows", type=int, default=10_000, help="synthetic trials for the server timings")
    parser.add_argument("--sessions", type=int, default=20, help="open sessions for the memory figure")
    parser.add_argument("--out", type=Path, default=ARTIFACTS / "bench.json")
    args = parser.parse_args(argv)
    run(args.pages, args.rounds, args.rows, args.sessions, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
