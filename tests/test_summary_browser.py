"""The summary of findings as a first visitor of a fresh hosted copy sees it: a copy of the checkout with no
../shared/ beside it and an empty home folder (no download cache), in Debian's Chromium, before any click."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import playwright.sync_api as playwright_api
import pytest
from browser import ROOT, Server, desktop_page, require_chromium, wait_ready

pytestmark = pytest.mark.browser
require_chromium()

HEADING = "Does it work for my condition, and how sure are we?"
# Our sentence's closing bracket: "(11 trials, 1,337 people; very low certainty)."
OURS = re.compile(r"\(\d+ trials?(?:, [\d,]+ people)?; (high|moderate|low|very low) certainty\)\.")
THEIRS = re.compile(r"Its own certainty: (high|moderate|low|very low) quality evidence \(GRADE\)\.")


def checkout_copy(target: Path) -> Path:
    """The tracked files of this checkout (as they are in the work tree), copied into `target`."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode("utf-8").split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    base = tmp_path_factory.mktemp("hosted")
    copy = checkout_copy(base / "app")
    home = base / "home"
    home.mkdir()
    assert not (copy.parent / "shared").exists() and not any(home.iterdir())
    srv = Server(
        env={"HOME": str(home), "PDEVIDENCE_CACHE": None, "PDEVIDENCE_METAPSY_DIR": None, "XDG_CACHE_HOME": None},
        root=copy,
    )
    yield srv, copy, home
    srv.stop()


@pytest.fixture
def page(chromium, fresh, request):
    with desktop_page(chromium, request) as page:
        yield page


def summary_sections(page) -> dict[str, str]:
    """The text of each condition entry of the summary, by its heading."""
    main = page.get_by_test_id("stMain")
    text = main.inner_text()
    labels = [h.strip() for h in main.locator("h4").all_inner_texts()]
    start = text.index(HEADING)
    sections, spans = {}, []
    for label in labels:
        at = text.index(label, start)
        spans.append((label, at))
        start = at + len(label)
    end = text.index("The rules behind our rating", start)
    for (label, at), (_, after) in zip(spans, [*spans[1:], ("", end)], strict=True):
        sections[label] = text[at:after]
    return sections


def test_a_fresh_copy_shows_the_summary_with_certainty_statements_nnt_and_the_effect_map_without_a_click(
    page, fresh, capsys
):
    from axe_playwright_python.sync_playwright import Axe

    server, copy, home = fresh
    page.goto(f"{server.url}/")
    wait_ready(page, timeout=120_000)
    main = page.get_by_test_id("stMain")
    playwright_api.expect(main.get_by_text(HEADING)).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0

    sections = summary_sections(page)
    ours = {label: OURS.findall(text) for label, text in sections.items()}
    rated = [label for label, words in ours.items() if words]
    # Depression's subtypes are entries of their own (h5 under its h4), each with its own rating where pooled.
    subtypes = [h.strip() for h in page.get_by_test_id("stMain").locator("h5").all_inner_texts()]
    depression = sections["Depression"]
    cuts = sorted((depression.index(label), label) for label in subtypes)
    for (at, label), (after, _) in zip(cuts, [*cuts[1:], (depression.index("What the reviews say"), "")], strict=True):
        if OURS.search(depression[at:after]):
            rated.append(label)
    assert len(rated) >= 5, (ours, subtypes)
    assert {"Depression", "Social anxiety disorder", "Borderline personality disorder"} <= set(rated)
    assert (
        "very low certainty" in sections["Depression"] and "moderate certainty" in sections["Social anxiety disorder"]
    )
    reviewed = [label for label, text in sections.items() if "What the reviews say" in text and THEIRS.search(text)]
    assert len(reviewed) >= 5, reviewed
    assert "Its own certainty: high quality evidence (GRADE)." in sections["Somatic symptom disorders"]
    assert "Differs from our rating:" in sections["Depression"]
    assert re.search(r"NNT \d+", sections["Depression"])

    # The effect map is drawn at load, with the pooled estimates' 95% confidence intervals as error bars.
    chart = page.locator(".js-plotly-plot").first
    chart.wait_for()
    intervals = page.evaluate(
        """() => Array.from(document.querySelectorAll('.js-plotly-plot')).flatMap(el => (el._fullData || [])
               .filter(t => (t.name || '').startsWith('Pooled, 95% CI') && t.error_x && t.error_x.visible !== false)
               .map(t => [t.name, Array.from(t.x).length, Array.from(t.error_x.array).length]))"""
    )
    assert intervals and all(n > 0 and n == bars for _, n, bars in intervals), intervals
    drawn = chart.locator("g.errorbar path").count()
    assert drawn >= sum(n for _, n, _ in intervals), drawn
    assert page.get_by_test_id("stExpander").filter(has_text="Chart: pooled effects by condition").count() == 0

    assert page.get_by_test_id("stException").count() == 0
    assert not (copy.parent / "shared").exists()
    assert not list(home.rglob("*.csv"))  # nothing was downloaded: the summary comes from the bundled extract

    results = Axe().run(page)
    violations = results.response["violations"]
    with capsys.disabled():
        counts = {i: sum(v["impact"] == i for v in violations) for i in ("critical", "serious", "moderate", "minor")}
        print("\naxe / (fresh copy): " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    serious = [(v["id"], v["help"]) for v in violations if v["impact"] in ("critical", "serious")]
    assert not serious, serious


def test_the_summary_citations_download_from_the_fresh_copy_with_the_right_dois(page, fresh):
    import bibtexparser
    import rispy

    server, _, _ = fresh
    page.goto(f"{server.url}/")
    wait_ready(page, timeout=120_000)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the summary's citations (RIS)").click()
    records = rispy.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    wait_ready(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the summary's citations (BibTeX)").click()
    library = bibtexparser.parse_string(Path(info.value.path()).read_text(encoding="utf-8"))
    assert not library.failed_blocks
    dois = {r["doi"] for r in records if "doi" in r}
    for doi in ("10.5281/zenodo.7254845", "10.5281/zenodo.12726122", "10.1002/wps.20235", "10.1002/wps.21104"):
        assert doi in dois
    assert [e.key for e in library.entries] == [r["id"] for r in records]
    assert {e.fields_dict["doi"].value for e in library.entries if "doi" in e.fields_dict} == dois
