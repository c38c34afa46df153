"""Benchmark: time the hot paths and print the figures next to their targets.

Run with `make bench`. Figures are medians of repeated runs on this machine;
targets are what a visitor should not notice (a page under a second or two).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pdevidence import filters, load, stats  # noqa: E402

TARGETS_MS = {
    "validate all bundled tables": 1000,
    "filter the trials (one selection)": 5,
    "random-effects pool, k=40": 20,
    "Egger's test, k=40": 20,
    "render a page (AppTest, warm)": 2500,
    "Metapsy: load the depression database": 3000,
}


def timed(fn, repeat: int = 7) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    results = {}
    results["validate all bundled tables"] = timed(load.read_all, repeat=5)
    trials = load.read_table("trials")
    chosen = filters.Filters(conditions=("depression", "anxiety"), n_min=50)
    results["filter the trials (one selection)"] = timed(lambda: filters.apply(trials, chosen), repeat=50)

    import numpy as np

    rng = np.random.default_rng(0)
    effects, ses = rng.normal(0.4, 0.3, 40), rng.uniform(0.1, 0.4, 40)
    results["random-effects pool, k=40"] = timed(lambda: stats.pool(effects, ses), repeat=50)
    results["Egger's test, k=40"] = timed(lambda: stats.egger_test(effects, ses), repeat=50)

    from streamlit.testing.v1 import AppTest

    def render(page: str) -> None:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.switch_page(page)
        at.run()

    render("pages/explore.py")  # warm the data cache and imports
    pages = ["pages/overview.py", "pages/explore.py", "pages/study_size.py", "pages/claims.py", "pages/metapsy.py"]
    per_page = {page: timed(lambda p=page: render(p), repeat=3) for page in pages}
    results["render a page (AppTest, warm)"] = max(per_page.values())

    shared = ROOT.parent / "shared" / "metapsy" / "depression-psyctr.csv"
    if shared.exists():
        from pdevidence.metapsy.database import read_database

        results["Metapsy: load the depression database"] = timed(lambda: read_database(str(shared)), repeat=3)

    print(f"{'measure':45} {'median ms':>10} {'target ms':>10}  ok")
    for name, value in results.items():
        target = TARGETS_MS[name]
        print(f"{name:45} {value:10.1f} {target:10.0f}  {'yes' if value <= target else 'NO'}")
    print()
    for page, value in per_page.items():
        print(f"  {page:43} {value:10.1f}")


if __name__ == "__main__":
    main()
