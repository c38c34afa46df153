"""`streamlit run` with a timing hook, for the benchmarks only.

Usage: python bench/serve.py SCRIPT [streamlit options...]

Every script run (a page load, a rerun after a widget change, a fragment
rerun) appends one JSON line to the file named by BENCH_TIMING_LOG: its wall
start time, its duration in ms, the CPU time of the script thread, the time
spent in garbage collection (and each full collection's), the session and whether it was a fragment run. The app itself is unchanged; without this launcher nothing is timed or
written. With BENCH_SYNTHETIC_ROWS=N the bundled trials table is replaced in
memory by a synthetic one of N rows (see bench/synthetic.py); data/ is never
written.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def install_timing_hook(log_path: str):
    """Time every script run into log_path (JSON lines); returns a function that removes the hook."""
    from streamlit.runtime.scriptrunner import script_runner

    original = script_runner.ScriptRunner._run_script
    lock = threading.Lock()
    local = threading.local()

    def on_gc(phase, info):
        # Garbage collections on this thread (Python's own, and Streamlit's after a run where postScriptGC is on);
        # full ones (generation 2) are also counted and timed apart.
        if phase == "start":
            local.gc_started = time.perf_counter()
        elif getattr(local, "gc_started", None) is not None:
            ms = (time.perf_counter() - local.gc_started) * 1000
            local.gc_ms = getattr(local, "gc_ms", 0.0) + ms
            if info.get("generation") == 2:
                local.full_gc = getattr(local, "full_gc", [])
                local.full_gc.append(ms)
            local.gc_started = None

    gc.callbacks.append(on_gc)

    def timed_run_script(self, rerun_data):
        started, clock, cpu = time.time(), time.perf_counter(), time.thread_time()
        local.gc_ms, local.full_gc = 0.0, []
        try:
            return original(self, rerun_data)
        finally:
            record = {
                "start": started,
                "ms": (time.perf_counter() - clock) * 1000,
                "cpu_ms": (time.thread_time() - cpu) * 1000,
                "gc_ms": local.gc_ms,
                "full_gc_ms": local.full_gc,
                "session": getattr(self, "_session_id", ""),
                "page": rerun_data.page_name or "",
                "fragment": bool(rerun_data.fragment_id_queue),
            }
            with lock, open(log_path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")

    script_runner.ScriptRunner._run_script = timed_run_script

    def remove() -> None:
        script_runner.ScriptRunner._run_script = original
        if on_gc in gc.callbacks:
            gc.callbacks.remove(on_gc)

    return remove


def main() -> None:
    log_path = os.environ.get("BENCH_TIMING_LOG")
    if log_path:
        install_timing_hook(log_path)
    rows = os.environ.get("BENCH_SYNTHETIC_ROWS")
    if rows:
        sys.path.insert(0, str(ROOT))
        sys.path.insert(0, str(ROOT / "bench"))
        import synthetic

        synthetic.patch_loader(int(rows))

    from streamlit.web import cli

    sys.argv = ["streamlit", "run", *sys.argv[1:]]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
