"""Full garbage collections that fall inside visitors' script runs: how often, how long, with and without
`memo.settle` (the app freezes what is alive after each page's first run; see its docstring).

Usage: python bench/gc_pauses.py [--visits N] [--out FILE]

Each mode runs in a fresh Python process (a freeze cannot be undone in place): a first visit, then N visits,
each a new session (AppTest) that opens every page of the navigation in turn and, on pages with the Condition
filter, chooses "Depression" and then clears it again. The first visit (every page's first run in the process)
is reported apart. Every script run is timed by bench/serve.py's hook, which also times
each full collection (generation 2) that ran on the script's thread. The report prints, per mode, the runs,
the full collections inside them, their median and longest pause, and the 95th percentile and longest run.
Figures, not pass or fail; written to test-artifacts/bench-gc.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import harness

MODES = {"settled": "the app as it is (memo.settle)", "unsettled": "memo.settle turned into a no-op"}
CONDITION = "depression"


def visit(pages, timeout_s: float) -> None:
    """One visitor: a new session through every page, the condition filter used where there is one."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(harness.APP), default_timeout=timeout_s)
    for p in pages:
        at.switch_page(p.script)
        at.run()
        if at.exception:
            raise RuntimeError(f"{p.script} raised: {at.exception[0].value}")
        boxes = [m for m in at.sidebar.multiselect if m.label == "Condition"]
        if boxes:
            boxes[0].set_value([CONDITION]).run()
            [m for m in at.sidebar.multiselect if m.label == "Condition"][0].set_value([]).run()


def run_mode(mode: str, visits: int, timeout_s: float = 120) -> dict:
    """The workload in this process, in `mode`; every script run as serve.py's hook logged it."""
    import serve

    sys.path.insert(0, str(harness.ROOT))
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    if mode == "unsettled":
        from pdevidence.web import memo

        memo.settle = lambda page: None
    folder = Path(tempfile.mkdtemp(prefix="bench-gc-"))
    pages = harness.nav_pages()

    def logged(name: str, count: int) -> list[dict]:
        log = folder / f"{name}.jsonl"
        log.touch()
        restore = serve.install_timing_hook(str(log))
        try:
            for _ in range(count):
                visit(pages, timeout_s)
        finally:
            restore()
        return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]

    # The first visit runs every page for the first time in this process: imports, caches filled and, in the
    # settled mode, memo.settle's own collection once per page. It is reported apart from the visits after it.
    first = logged("first", 1)
    return summarize(logged("later", visits)) | {"first_visit": summarize(first)}


def summarize(runs: list[dict]) -> dict:
    """Runs, the full collections inside them and the run times (ms)."""
    pauses = [ms for r in runs for ms in r["full_gc_ms"]]
    times = sorted(r["ms"] for r in runs)
    return {
        "runs": len(runs),
        "full_collections": len(pauses),
        "runs_with_full_collection": sum(1 for r in runs if r["full_gc_ms"]),
        "pause_median_ms": statistics.median(pauses) if pauses else None,
        "pause_max_ms": max(pauses) if pauses else None,
        "pause_total_ms": sum(pauses),
        "run_median_ms": statistics.median(times),
        "run_p95_ms": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
        "run_max_ms": times[-1],
    }


def report(result: dict) -> str:
    def ms(value) -> str:
        return "-" if value is None else f"{value:.0f}"

    m = result["machine"]
    lines = [
        f"Machine: {m['cores']} cores, {m['memory_gb']} GB, {m['cpu']}; Python {m['python']}; load average "
        f"{m['load_average']} at the start.",
        f"{result['visits']} visit(s) per mode, each a new session through every page (Condition chosen and cleared "
        "where there is one); full collections timed on the script's thread.",
        f"{'mode':<11}{'runs':>6}{'full gc':>9}{'in runs':>9}{'pause med':>11}{'pause max':>11}"
        f"{'run med':>9}{'run p95':>9}{'run max':>9}",
    ]
    for mode, fig in result["modes"].items():
        lines.append(
            f"{mode:<11}{fig['runs']:>6}{fig['full_collections']:>9}{fig['runs_with_full_collection']:>9}"
            f"{ms(fig['pause_median_ms']):>11}{ms(fig['pause_max_ms']):>11}{ms(fig['run_median_ms']):>9}"
            f"{ms(fig['run_p95_ms']):>9}{ms(fig['run_max_ms']):>9}"
        )
    lines += [f"  {mode}: {text}" for mode, text in MODES.items()]
    lines.append(
        "Not counted above: a first visit in each process (every page's first run: imports, caches filled, and "
        "in the settled mode the one collection per page that settling makes). Full collections in it: "
        + "; ".join(
            f"{mode} {fig['first_visit']['full_collections']}, longest {ms(fig['first_visit']['pause_max_ms'])} ms"
            for mode, fig in result["modes"].items()
        )
        + "."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=6)
    parser.add_argument("--out", type=Path, default=harness.ARTIFACTS / "bench-gc.json")
    parser.add_argument("--mode", choices=sorted(MODES), help=argparse.SUPPRESS)  # one mode, in this process
    args = parser.parse_args(argv)
    if args.mode:
        print(json.dumps(run_mode(args.mode, args.visits)))
        return 0
    modes = {}
    for mode in MODES:
        done = subprocess.run(
            [sys.executable, __file__, "--mode", mode, "--visits", str(args.visits)],
            cwd=harness.ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        modes[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    result = {"visits": args.visits, "machine": harness.machine(), "modes": modes}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
