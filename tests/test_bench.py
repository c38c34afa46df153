"""The benchmarks' code paths, once each on a tiny setting, so `make bench` cannot rot.

No timing is asserted: only that every figure is produced and the report is written.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import playwright.sync_api  # noqa: F401  (the benchmark drives Chromium through it: fails, never skips, when missing)
import pytest
from browser import require_chromium

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"

pytestmark = pytest.mark.browser
require_chromium()


def load_module(name: str):
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_page_list_is_the_apps_navigation():
    harness = load_module("harness")
    pages = harness.nav_pages()
    assert [p.url_path for p in pages][:3] == ["overview", "explore", "study_size"]
    assert all((ROOT / p.script).exists() for p in pages)
    assert sum(p.default for p in pages) == 1


def test_the_synthetic_table_has_the_rows_asked_for_and_leaves_data_alone(trials):
    synthetic = load_module("synthetic")
    harness = load_module("harness")
    before = harness.data_hashes()
    big = synthetic.trials_table(500, trials)
    assert len(big) == 500 and big["id"].is_unique
    assert list(big.columns) == list(trials.columns)
    assert (big["n_pd"].fillna(0) + big["n_comparator"].fillna(0) <= big["n_randomized"]).all()
    assert harness.data_hashes() == before


def test_page_benchmark_runs_once_on_a_tiny_setting(tmp_path):
    bench = load_module("bench")
    out = tmp_path / "bench.json"
    bench.main(
        ["--pages", "overview", "glossary", "--rounds", "1", "--rows", "200", "--sessions", "2", "--out", str(out)]
    )
    result = json.loads(out.read_text())
    reference = result["reference"]
    assert reference["charts"] == 1  # the reference page draws exactly one chart: the counter counts
    for key in ("load_ms", "change_ms", "switch_ms", "switch_button_ms"):
        assert math.isfinite(reference[key]) and reference[key] > 0, key
    assert set(result["pages"]) == {"overview", "glossary"}
    overview, glossary = result["pages"]["overview"], result["pages"]["glossary"]
    for row in (overview, glossary):
        for key in ("load_ms", "load_ratio", "switch_ms", "switch_ratio", "script_ms", "script_ms_10k"):
            assert math.isfinite(row[key]) and row[key] > 0, key
        assert isinstance(row["charts"], int) and row["charts"] >= 0
        assert row["exceptions"] == 0
    assert overview["change_ms"] > 0 and overview["filter_ratio"] > 0  # the overview has the Condition filter
    # each page's mirror (its own recorded elements from Streamlit alone) drew what the page drew, and was timed
    for row in (overview, glossary):
        same = row["same"]
        assert same["exceptions"] == 0 and same["charts"] == row["charts"]
        for key in ("load_ms", "load_ratio", "switch_ms", "switch_ratio"):
            assert math.isfinite(same[key]) and same[key] > 0, key
    assert overview["same"]["change_ms"] > 0 and glossary["same"]["change_ms"] is None
    assert result["mirror_messages"]["overview"]["default"] > 10 and "changed" in result["mirror_messages"]["overview"]
    assert "changed" not in result["mirror_messages"]["glossary"]
    # a first choice of a condition, nothing cached for it yet, is timed on the server too
    assert result["apptest_bundled"]["overview"]["change_first_ms"] > 0
    assert result["apptest_bundled"]["glossary"]["change_first_ms"] is None
    assert "nothing cached for the selection yet" in result["report"]
    # the overview's "Which trials" choice reruns its section alone (st.fragment), and that run is counted
    assert overview["section_ms"] > 0 and overview["section_only"] is True
    assert "section_ms" not in glossary
    assert glossary.get("change_ms") is None and glossary["filter_ratio"] is None
    assert overview["meets"]["charts"] in (True, False) and glossary["meets"]["charts"] is None
    assert result["memory"]["sessions"] == 2 and result["memory"]["rss_mb_n"] > 0
    assert "x ref" in result["report"] and "Reference page" in result["report"] and "x same" in result["report"]


def test_gc_benchmark_times_full_collections_in_both_modes(tmp_path):
    gc_pauses = load_module("gc_pauses")
    out = tmp_path / "gc.json"
    gc_pauses.main(["--visits", "1", "--out", str(out)])
    result = json.loads(out.read_text())
    assert set(result["modes"]) == {"settled", "unsettled"}
    pages = load_module("harness").nav_pages()
    for fig in result["modes"].values():
        # every page opened once, and the condition chosen and cleared on the three pages with the filter
        assert fig["runs"] >= len(pages) + 2 * 3
        assert 0 < fig["run_median_ms"] <= fig["run_p95_ms"] <= fig["run_max_ms"]
        assert fig["runs_with_full_collection"] <= min(fig["full_collections"], fig["runs"])
    # settling collects once per page on the page's first run in the process: in the first visit, not later
    first = result["modes"]["settled"]["first_visit"]
    assert first["full_collections"] >= len(pages) and first["pause_max_ms"] > 0
    assert result["modes"]["unsettled"]["first_visit"]["runs"] == first["runs"]
    assert "Not counted above: a first visit" in gc_pauses.report(result)


def test_gc_summary_counts_each_full_collection_and_the_runs_they_fell_in():
    gc_pauses = load_module("gc_pauses")
    runs = [{"ms": 40.0, "full_gc_ms": []}, {"ms": 210.0, "full_gc_ms": [150.0, 20.0]}, {"ms": 30.0, "full_gc_ms": []}]
    fig = gc_pauses.summarize(runs)
    assert (fig["runs"], fig["full_collections"], fig["runs_with_full_collection"]) == (3, 2, 1)
    assert (fig["pause_median_ms"], fig["pause_max_ms"], fig["pause_total_ms"]) == (85.0, 150.0, 170.0)
    assert (fig["run_median_ms"], fig["run_max_ms"]) == (40.0, 210.0)
    assert gc_pauses.summarize([{"ms": 5.0, "full_gc_ms": []}])["pause_max_ms"] is None


def test_load_benchmark_runs_once_on_a_tiny_setting(tmp_path):
    load_test = load_module("load_test")
    out = tmp_path / "load.json"
    load_test.main(["--sessions", "2", "--abrupt", "1", "--pages", "explore", "glossary", "--out", str(out)])
    result = json.loads(out.read_text())
    assert result["settle_ms"]["n"] == 3  # two loads and one filter change
    assert result["disconnects"]["healthy_after"] is True
    assert result["data_unchanged"] is True
    assert result["memory"]["rss_mb_n"] > 0


def test_a_page_settles_at_its_last_change_whether_or_not_the_run_was_seen():
    harness = load_module("harness")
    seen = {"idleAt": 100.0, "sawRunning": True, "idleNow": True, "frames": 9, "lastFrameAt": 80.0}
    unseen = seen | {"idleAt": None, "sawRunning": False}
    for state in (seen, unseen):
        # a chart still drawing after the run ended: settled at its last change, once quiet for QUIET_MS
        quiet = harness.QUIET_MS
        assert harness.settled_at(state | {"lastMutationAt": 400.0, "now": 399.0 + quiet}, True) is None
        assert harness.settled_at(state | {"lastMutationAt": 400.0, "now": 400.0 + quiet}, True) == 400.0
        # a spinner or an undrawn chart on screen: not settled however quiet
        assert harness.settled_at(state | {"lastMutationAt": 400.0, "now": 1000.0, "idleNow": False}, True) is None
    # an unseen run counts only once the server ran it and frames came
    assert harness.settled_at(unseen | {"lastMutationAt": 400.0, "now": 1000.0}, False) is None
    assert harness.settled_at(unseen | {"lastMutationAt": 400.0, "now": 1000.0, "frames": 0}, True) is None


def test_element_costs_leave_out_one_kind_and_time_every_variant(tmp_path):
    element_costs = load_module("element_costs")
    out = tmp_path / "elements.json"
    element_costs.main(["--pages", "overview", "--rounds", "1", "--out", str(out)])
    result = json.loads(out.read_text())
    rows = result["pages"]["overview"]
    assert list(rows) == list(element_costs.VARIANTS)
    for name, row in rows.items():
        assert row["exceptions"] == 0, name
        for key in ("load_ms", "change_ms"):
            assert math.isfinite(row[key]) and row[key] > 0, (name, key)
    # the full mirror draws the effect map; left out, no chart is drawn and the chart count says so
    assert rows["full page"]["charts"] == 1 and rows["without charts"]["charts"] == 0
    assert rows["full page"]["load_saved_ms"] == 0 and rows["full page"]["change_saved_ms"] == 0
    left_out = result["left_out"]
    assert left_out["full page"]["overview"] == 0
    assert left_out["without charts"]["overview"] == 1 and left_out["without grids"]["overview"] == 2
    assert left_out["sidebar only"]["overview"] > left_out["without text"]["overview"] > 10
    assert "without grids" in result["report"] and "change ms" in result["report"]


def test_leaving_out_a_kind_keeps_every_message_and_every_other_element(tmp_path):
    element_costs = load_module("element_costs")
    mirror = load_module("mirror")
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    def kinds(path):
        found = []
        for blob in mirror.read(path):
            message = ForwardMsg()
            message.ParseFromString(blob)
            found.append((element_costs._kind(message), tuple(message.metadata.delta_path)))
        return found

    recorded = tmp_path / "recorded"
    mirror.record(
        [p for p in load_module("harness").nav_pages() if p.url_path == "overview"], recorded, ROOT / "app.py"
    )
    source = mirror.path(recorded, "overview", mirror.CHANGED)
    target = tmp_path / "blank.bin"
    assert element_costs.blank(source, target, element_costs.VARIANTS["without grids"]) == 2
    before, after = kinds(source), kinds(target)
    assert len(before) == len(after) and [p for _, p in before] == [p for _, p in after]
    changed = [(b, a) for (b, _), (a, _) in zip(before, after, strict=True) if b != a]
    assert changed == [("dataframe", "empty"), ("dataframe", "empty")]
