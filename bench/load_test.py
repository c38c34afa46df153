"""Load benchmark: many concurrent browser sessions, abrupt disconnects, data untouched (`make bench`).

1. Starts the app on a free loopback port (bench/serve.py) and warms it with
   one session that visits every page; that session stays open.
2. Opens N more browser sessions at once (default 30). Each loads a page of
   the navigation (in turn) to idle and, where the sidebar filters are,
   chooses one condition and waits for the page to settle.
3. Prints the errors (timeouts, page exceptions, browser errors, tracebacks
   in the server log), the median and 95th percentile time to settle, and
   the server memory per extra session (RSS after N sessions minus RSS with
   the warm one, over N).
4. Abrupt disconnects: a separate Chromium process opens sessions that start
   loading and changing filters, and is killed mid-run (SIGKILL, no close
   frames); a few more sessions are closed mid-run. The server must still
   answer its health check and serve a page to a new session.
5. The sha256 of every file under data/ is the same before and after.

Everything stays on 127.0.0.1; every wait has a timeout; the run ends by itself.
Target: 0 errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, IDLE_PROBE, PROBE_STATE, median, percentile  # noqa: E402

CONDITION = "Depression"
TIMEOUT_S = 180
VIEWPORT = {"width": 1280, "height": 900}


async def wait_settled(page, timeout_s: float = TIMEOUT_S) -> float:
    """Wait until the app has settled (harness.settled_at); return the page-clock time it did."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        at = harness.settled_at(await page.evaluate(PROBE_STATE), server_ran=True)
        if at is not None:
            return at
        await page.wait_for_timeout(100)
    raise TimeoutError(f"the app did not settle in {timeout_s} s")


async def open_session(browser, url: str):
    context = await browser.new_context(viewport=VIEWPORT)
    await context.add_init_script(IDLE_PROBE)
    page = await context.new_page()
    return context, page


async def visit(browser, url: str, name: str, errors: list[str]) -> tuple[object, dict]:
    """One visitor: load a page to idle, change the condition filter where there is one."""
    context, page = await open_session(browser, url)
    page.on("pageerror", lambda exc: errors.append(f"{name}: browser error: {exc}"))
    times: dict[str, float] = {}
    try:
        await page.goto(url, timeout=TIMEOUT_S * 1000)
        times["load_ms"] = await wait_settled(page)
        sidebar = page.get_by_test_id("stSidebar")
        if await sidebar.get_by_text("Filter studies", exact=True).count():
            await sidebar.get_by_test_id("stMultiSelect").first.click()
            option = page.get_by_role("option", name=CONDITION, exact=True)
            await option.wait_for(timeout=TIMEOUT_S * 1000)
            await page.evaluate("window.__bench.arm()")
            await option.click()
            idle = await wait_settled(page)
            times["change_ms"] = idle - await page.evaluate("window.__bench.t0")
            await page.keyboard.press("Escape")
        shown = await page.get_by_test_id("stException").count()
        if shown:
            errors.append(f"{name}: {shown} exception(s) shown on the page")
        if "Information only, not medical advice" not in await page.get_by_test_id("stMain").inner_text():
            errors.append(f"{name}: the disclaimer is missing")
    except Exception as exc:  # noqa: BLE001 (every failure is an error to count and print)
        errors.append(f"{name}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    return context, times


def start_own_chromium(profile: str) -> tuple[subprocess.Popen, str]:
    """A Chromium process of our own (so it can be killed abruptly); returns it and its CDP address."""
    process = subprocess.Popen(
        [CHROMIUM, *CHROMIUM_FLAGS, "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        found = re.search(r"DevTools listening on (ws://\S+)", line)
        if found:
            return process, found.group(1)
        if process.poll() is not None:
            break
    os.killpg(process.pid, signal.SIGKILL)
    raise RuntimeError("Chromium did not start its DevTools endpoint")


async def abrupt_disconnects(pw, browser, server, pages, count: int) -> dict:
    """Sessions that vanish mid-run: a killed browser process, and contexts closed while loading."""
    with tempfile.TemporaryDirectory() as profile:
        process, endpoint = start_own_chromium(profile)
        try:
            doomed = await pw.chromium.connect_over_cdp(endpoint)
            tasks = []
            for i in range(count):
                context = await doomed.new_context()
                page = await context.new_page()
                p = pages[i % len(pages)]
                # Loads still running when the process dies; a filter in the link makes the server work.
                tasks.append(asyncio.ensure_future(page.goto(p.url(server.url) + "?condition=depression")))
            await asyncio.sleep(1.5)
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
            process.stderr.close()
        await asyncio.wait(tasks, timeout=15)
        for task in tasks:
            if task.done() and not task.cancelled():
                task.exception()  # the killed browser's navigations fail; that is the point
    closed = []
    for i in range(count):
        context = await browser.new_context()
        page = await context.new_page()
        p = pages[i % len(pages)]
        tasks.append(asyncio.ensure_future(page.goto(p.url(server.url))))
        closed.append(context)
    await asyncio.sleep(1.0)
    for context in closed:
        await context.close()
    await asyncio.wait(tasks, timeout=15)
    for task in tasks:
        if task.done() and not task.cancelled():
            task.exception()
    await asyncio.sleep(3)
    healthy = await asyncio.to_thread(server.healthy, 10)
    errors: list[str] = []
    explore = next((p for p in pages if p.url_path == "explore"), pages[0])
    context, times = await visit(browser, explore.url(server.url), "after disconnects", errors)
    await context.close()
    return {
        "killed_browser_sessions": count,
        "closed_mid_load_sessions": count,
        "healthy_after": healthy,
        "new_session_after": {"ok": not errors and "load_ms" in times, "errors": errors, **times},
    }


def server_tracebacks(server) -> list[str]:
    text = server.log_path.read_text(encoding="utf-8", errors="replace")
    return [line for line in text.splitlines() if "Traceback" in line or re.match(r"^\w*Error\b", line)]


async def run_async(sessions: int, abrupt: int, pages_wanted: list[str] | None) -> dict:
    from playwright.async_api import async_playwright

    pages = harness.nav_pages()
    if pages_wanted:
        pages = [p for p in pages if p.url_path in pages_wanted]
    before = harness.data_hashes()
    server = harness.BenchServer(harness.APP, "load")
    result: dict = {"sessions": sessions, "machine": harness.machine()}
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            try:
                warm_errors: list[str] = []
                warm, page = await open_session(browser, server.url)
                for p in pages:
                    await page.goto(p.url(server.url), timeout=TIMEOUT_S * 1000)
                    await wait_settled(page)
                await asyncio.sleep(2)
                rss_one = server.rss_mb()

                errors: list[str] = []
                print(f"Opening {sessions} sessions at once ...", flush=True)
                started = time.monotonic()
                visits = await asyncio.gather(
                    *(
                        visit(browser, pages[i % len(pages)].url(server.url), f"session {i + 1}", errors)
                        for i in range(sessions)
                    )
                )
                wall_s = time.monotonic() - started
                await asyncio.sleep(2)
                rss_many = server.rss_mb()
                loads = [t["load_ms"] for _, t in visits if "load_ms" in t]
                changes = [t["change_ms"] for _, t in visits if "change_ms" in t]
                settles = loads + changes
                result |= {
                    "errors": warm_errors + errors,
                    "wall_s": wall_s,
                    "settle_ms": {"median": median(settles), "p95": percentile(settles, 95), "n": len(settles)},
                    "load_ms": {"median": median(loads), "p95": percentile(loads, 95), "n": len(loads)},
                    "change_ms": {"median": median(changes), "p95": percentile(changes, 95), "n": len(changes)},
                    "memory": {
                        "rss_mb_1": rss_one,
                        "rss_mb_n": rss_many,
                        "mb_per_extra_session": (rss_many - rss_one) / max(sessions, 1),
                    },
                }
                for context, _ in visits:
                    await context.close()
                await warm.close()
                print("Abrupt disconnects ...", flush=True)
                result["disconnects"] = await abrupt_disconnects(pw, browser, server, pages, abrupt)
            finally:
                await browser.close()
        result["server_errors"] = server_tracebacks(server)
    finally:
        server.stop()
    after = harness.data_hashes()
    result["data_unchanged"] = before == after
    result["data_changed_files"] = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return result


def report(result: dict) -> str:
    s, lo, ch, mem, dis = (
        result["settle_ms"],
        result["load_ms"],
        result["change_ms"],
        result["memory"],
        result["disconnects"],
    )

    def fmt(value):
        return "-" if value is None else f"{value:.0f}"

    errors = result["errors"] + result["server_errors"]
    lines = [
        f"{result['sessions']} concurrent sessions on {result['machine']['cores']} cores "
        f"({result['wall_s']:.0f} s for all of them):",
        f"  errors: {len(errors)} (target 0)" + "".join(f"\n    {e}" for e in errors[:20]),
        f"  time to settle, ms: median {fmt(s['median'])}, p95 {fmt(s['p95'])} over {s['n']} "
        f"(loads: median {fmt(lo['median'])}, p95 {fmt(lo['p95'])}; "
        f"filter changes: median {fmt(ch['median'])}, p95 {fmt(ch['p95'])})",
        f"  server memory: {mem['rss_mb_1']:.0f} MB with 1 session, {mem['rss_mb_n']:.0f} MB with "
        f"{result['sessions']} more: {mem['mb_per_extra_session']:.1f} MB per extra session (target < 30)",
        f"  after {dis['killed_browser_sessions']} sessions in a killed browser and "
        f"{dis['closed_mid_load_sessions']} closed mid-load: health check "
        f"{'answers' if dis['healthy_after'] else 'FAILS'}, a new session "
        f"{'loads fine' if dis['new_session_after']['ok'] else 'FAILS: ' + '; '.join(dis['new_session_after']['errors'])}",
        f"  files under data/: {'unchanged (sha256)' if result['data_unchanged'] else 'CHANGED: ' + ', '.join(result['data_changed_files'])}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--abrupt", type=int, default=10, help="sessions dropped mid-run, per kind")
    parser.add_argument("--pages", nargs="*", help="url paths to visit (default: every page in the navigation)")
    parser.add_argument("--out", type=Path, default=ARTIFACTS / "bench-load.json")
    args = parser.parse_args(argv)
    result = asyncio.run(run_async(args.sessions, args.abrupt, args.pages))
    result["when"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    text = report(result)
    result["report"] = text
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    print(f"Written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
