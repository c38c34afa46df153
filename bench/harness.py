"""What both benchmarks share: servers with a timing hook, the page list, idle detection, RSS, hashes.

Servers listen on 127.0.0.1 only, on free ports, and are stopped by the
benchmarks that start them.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser import CHROMIUM, CHROMIUM_FLAGS, free_port  # noqa: E402

__all__ = ["CHROMIUM", "CHROMIUM_FLAGS", "ROOT", "ARTIFACTS", "BenchServer", "NavPage", "nav_pages", "REFERENCE_APP"]

ARTIFACTS = ROOT / "test-artifacts"
APP = ROOT / "app.py"
# Streamlit alone with the elements of one of this app's pages, and a second page (bench/reference_app.py).
REFERENCE_APP = Path(__file__).resolve().parent / "reference_app.py"
# Streamlit alone sending each page's own recorded elements, under the same navigation (bench/mirror_app.py).
MIRROR_APP = Path(__file__).resolve().parent / "mirror_app.py"
SERVE = Path(__file__).resolve().parent / "serve.py"

# Installed in every browser context before any page script: records, in the
# page's own clock, when the app last became idle after a script run. Idle is
# the app's script state "notRunning" with no spinner or skeleton on screen and
# every visible plotly chart drawn (its SVG in the page).
# `arm()` starts a measurement; the next pointerdown (the click being timed)
# sets its start time. Page loads are timed from navigation start (0).
# A fast rerun can go from "notRunning" back to "notRunning" within one render,
# so the probe also keeps the time of the last websocket frame and DOM change.
IDLE_PROBE = """
(() => {
  const CHART = "[data-testid='stPlotlyChart']";
  const B = (window.__bench = {
    sawRunning: false, idleAt: null, runs: 0, t0: 0, armed: false,
    frames: 0, lastFrameAt: 0, lastMutationAt: 0,
  });
  // Busy: a spinner or skeleton on screen, or a visible plotly chart whose SVG is not drawn yet.
  const undrawnChart = () => [...document.querySelectorAll(CHART)].some(
    (e) => e.offsetParent !== null && !e.querySelector(".main-svg"));
  const busy = () => !!document.querySelector("[data-testid='stSpinner'], [data-testid='stSkeleton']") || undrawnChart();
  B.idleNow = () => {
    const app = document.querySelector("[data-testid='stApp']");
    return !!app && app.getAttribute("data-test-script-state") === "notRunning" && !busy();
  };
  const check = () => {
    B.lastMutationAt = performance.now();
    const app = document.querySelector("[data-testid='stApp']");
    if (!app) return;
    const state = app.getAttribute("data-test-script-state");
    if (state === "running" || state === "rerunRequested") {
      if (!B.running) B.runs += 1;
      B.running = true;
      B.sawRunning = true;
      B.idleAt = null;
      return;
    }
    B.running = false;
    if (state === "notRunning" && B.sawRunning && !busy()) {
      if (B.idleAt === null) B.idleAt = performance.now();
    } else {
      B.idleAt = null;
    }
  };
  B.arm = () => { B.sawRunning = false; B.idleAt = null; B.runs = 0; B.frames = 0; B.armed = true; };
  document.addEventListener("pointerdown", (event) => {
    if (B.armed) { B.t0 = event.timeStamp; B.armed = false; }
  }, true);
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", () => { B.frames += 1; B.lastFrameAt = performance.now(); });
    }
  };
  const observe = () => {
    new MutationObserver(check).observe(document.documentElement, {
      subtree: true, childList: true, attributes: true, attributeFilter: ["data-test-script-state"],
    });
    check();
  };
  if (document.documentElement) observe(); else document.addEventListener("readystatechange", observe, { once: true });
})();
"""
# What the benchmarks poll: the probe's state and the page clock.
PROBE_STATE = """() => {
  const B = window.__bench;
  return B ? { idleAt: B.idleAt, sawRunning: B.sawRunning, idleNow: B.idleNow(), frames: B.frames,
               lastFrameAt: B.lastFrameAt, lastMutationAt: B.lastMutationAt, now: performance.now() } : null;
}"""
# Plotly charts drawn on the page (an element with its SVG), counted after the page settled.
CHARTS_DRAWN = """() => [...document.querySelectorAll("[data-testid='stPlotlyChart']")]
  .filter((e) => e.querySelector(".main-svg")).length"""
# A data grid adds a node to its canvas about 300 ms after it is drawn: a quiet spell of 300 ms caught that
# change on some passes and not on others (switch samples of 216 and 696 ms on one page), so the wait is longer.
QUIET_MS = 500


def settled_at(state: dict | None, server_ran: bool, quiet_ms: int = QUIET_MS) -> float | None:
    """When the app settled (page clock), or None while it has not.

    Settled: the page stopped changing. The app went through a script run, is idle (no spinner, every
    visible chart drawn) and neither the page nor the websocket has changed for `quiet_ms`; it settled at
    its last change (a chart still drawing its traces after the run is part of the action). If the page
    never showed the run (too fast to render), a finished server run and frames received since count
    instead. Both ways stop the clock at the same moment, the page's last change: stopping it when the run
    was seen to end would time a page whose run the browser saw earlier than one whose run it did not.
    """
    if not state:
        return None
    last = max(state["lastMutationAt"], state["lastFrameAt"])
    if state["now"] - last < quiet_ms or not state["idleNow"]:
        return None
    if state["idleAt"] is not None:
        return max(state["idleAt"], last)
    if not state["sawRunning"] and server_ran and state["frames"]:
        return last
    return None


@dataclass(frozen=True)
class NavPage:
    url_path: str
    title: str
    script: str
    default: bool
    icon: str | None = None

    def url(self, base: str) -> str:
        # Streamlit serves the default page at the root only.
        return f"{base}/" if self.default else f"{base}/{self.url_path}"


def nav_pages(app: Path = APP) -> list[NavPage]:
    """Every st.Page in app.py's navigation, in order (read from the source, so new pages are measured too)."""
    found = []
    for node in ast.walk(ast.parse(app.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page" and node.args:
            kw = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
            script = node.args[0].value
            page = NavPage(
                url_path=kw.get("url_path", Path(script).stem),
                title=kw.get("title", Path(script).stem),
                script=script,
                default=bool(kw.get("default", False)),
                icon=kw.get("icon"),
            )
            found.append(((node.lineno, node.col_offset), page))
    return [page for _, page in sorted(found, key=lambda item: item[0])]


class BenchServer:
    """A Streamlit server for `script` on a free loopback port, every script run timed (bench/serve.py)."""

    def __init__(self, script: Path, name: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        ARTIFACTS.mkdir(exist_ok=True)
        self.timing_log = Path(tempfile.mkstemp(prefix=f"bench-{name}-", suffix=".jsonl")[1])
        self.log_path = ARTIFACTS / f"bench-{name}-server.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(SERVE),
                str(script),
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--server.fileWatcherType",
                "none",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,  # every server reads the app's .streamlit/config.toml: the same framework settings
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={
                **os.environ,
                # Loopback only: the Metapsy page's index look-up goes nowhere, downloads stay in a temp dir.
                "PDEVIDENCE_METAPSY_UPSTREAM": os.environ.get("PDEVIDENCE_METAPSY_UPSTREAM", "http://127.0.0.1:9"),
                "PDEVIDENCE_CACHE": os.environ.get("PDEVIDENCE_CACHE", str(self.timing_log.with_suffix(".cache"))),
                **(env or {}),
                "BENCH_TIMING_LOG": str(self.timing_log),
            },
        )
        self.wait_healthy()

    def healthy(self, timeout: float = 5) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=timeout) as response:
                return response.status == 200
        except OSError:
            return False

    def wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited early; see {self.log_path}")
            if self.healthy(timeout=2):
                return
            time.sleep(0.3)
        raise TimeoutError(f"streamlit did not become healthy in {timeout}s; see {self.log_path}")

    def runs_since(self, wall_start: float, wait_for_one: float = 2.0) -> list[dict]:
        """Script runs that started at or after `wall_start` (waits briefly for the first to be logged)."""
        deadline = time.monotonic() + wait_for_one
        while True:
            runs = [r for r in self._read_runs() if r["start"] >= wall_start - 0.01]
            if runs or time.monotonic() > deadline:
                return runs
            time.sleep(0.05)

    def _read_runs(self) -> list[dict]:
        try:
            lines = self.timing_log.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in lines if line.strip()]

    def rss_mb(self) -> float:
        """Resident memory of the server process, in MB."""
        return rss_mb(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()
        self.timing_log.unlink(missing_ok=True)
        shutil.rmtree(self.timing_log.with_suffix(".cache"), ignore_errors=True)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def data_hashes(data_dir: Path = ROOT / "data") -> dict[str, str]:
    """sha256 of every file under data/."""
    return {
        str(p.relative_to(data_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(data_dir.rglob("*"))
        if p.is_file()
    }


def machine() -> dict[str, object]:
    """Cores, memory and CPU model of this machine, to print beside the figures."""
    model = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory_gb = None
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            memory_gb = round(int(handle.readline().split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "cpu": model,
        "python": platform.python_version(),
        "load_average": load_average(),
    }


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (as `uptime` prints them): how busy the shared machine was."""
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def publish(result: dict, report, out: Path) -> dict:
    """End a benchmark: the load average now, its report printed and kept in `result`, and all of it written
    to `out` as JSON."""
    result["load_average_end"] = load_average()
    text = report(result)
    print()
    print(text)
    result["report"] = text
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    print(f"\nWritten {out}")
    return result


def median(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def percentile(values, q: float):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    index = min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))
    return values[index]
