"""Hostile links on every page: generated query strings never raise, never drop the frame, always say what was
ignored, and never turn injected text into live HTML or a link."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from pdevidence import filters, load, viewstate

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = {
    "overview": "pages/overview.py",
    "explore": "pages/explore.py",
    "study_size": "pages/study_size.py",
    "metapsy": "pages/metapsy.py",
    "therapy_types": "pages/therapy_types.py",
    "short_vs_long": "pages/short_vs_long.py",
    "defense_mechanisms": "pages/defense_mechanisms.py",
    "claims": "pages/claims.py",
    "glossary": "pages/glossary.py",
    "sources": "pages/sources.py",
}
# AppTest runs take a second or more each: a few generated links per page keeps the suite to a few minutes;
# the pure parser gets thousands in tests/test_viewstate.py.
EXAMPLES_PER_PAGE = int(os.environ.get("HOSTILE_EXAMPLES", "8"))
INJECTIONS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](https://www.evil.example/x)",
    "www.evil.example",
    "http://evil.example/",
    "me@evil.example",
    "**bold** _it_ `code` # head",
    "../../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "%252e%252e%252f",
    "a\x00b",
    "%00",
    '=HYPERLINK("https://evil.example")',
    "&#60;script&#62;",
    "javascript:alert(1)",
    "ｗｗｗ．evil．example",
    "\u202eevil",
]
NUMBERS = [
    "0",
    "-1",
    "-99999",
    "1000",
    "2030",
    "1",
    "99999999999999999999999",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "1e309",
    "100.5",
    "1_000",
    "١٠٠",
    "٣",
    " 50 ",
    "0x1F",
    "",
]
VALUE = st.one_of(
    st.sampled_from(INJECTIONS),
    st.sampled_from(NUMBERS),
    st.text(max_size=30),
    st.sampled_from("ab,<%").map(lambda ch: ch * 10000),
    st.sampled_from(["depression", "psychosis", "active", "post", "dl", "MBT", "lasting-benefit", "denial"]),
)


@pytest.fixture(scope="module")
def filter_context():
    return filters.context(load.read_all()["trials"])


def keys_for(page: str):
    own = list(viewstate.fields_of(page))
    others = [f.name for f in viewstate.FIELDS if f.name not in own]
    return st.one_of(
        st.sampled_from(own) if own else st.nothing(),
        st.sampled_from(others),
        st.sampled_from(["colour", "utm_source", "", "__proto__", "<b>k</b>", "www.evil.example"]),
        st.text(max_size=10),
    )


def queries(page: str):
    return st.lists(st.tuples(keys_for(page), VALUE), min_size=1, max_size=6).map(lambda pairs: urlencode(pairs))


def run(page: str, query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page(PAGES[page])
    for key, values in viewstate.as_multidict(query).items():
        at.query_params[key] = values if len(values) > 1 else values[0]
    at.run()
    return at


# Live markup in markdown source: an unescaped "<" or "&#", a "](" link, or a bare address GFM would autolink.
UNSAFE = re.compile(r"(?<!\\)<|(?i:www\.)|://|\]\(|(?<!\\)&#")
# An inline code span is shown as typed (no links, HTML or autolinks inside it); outside text is put in one
# with its own backticks replaced, so a span cannot be closed early. Spans are removed before the check.
CODE_SPAN = re.compile(r"`[^`\n]*`")


def rendered(at: AppTest) -> list[str]:
    """Every piece of markdown the page rendered, except the fixed disclaimer and footer (which carry links)."""
    parts = [e.value for kind in ("warning", "error", "info", "caption", "markdown", "success") for e in at.get(kind)]
    return [p for p in parts if isinstance(p, str) and "Fonagy P. (2015)" not in p and "not medical advice" not in p]


def check(page: str, query: str, context: dict) -> None:
    at = run(page, query)
    assert not at.exception, (query, [e.value for e in at.exception])
    captions = [c.value for c in at.main.caption]
    assert captions and "Fonagy P. (2015)" in captions[-1], query
    assert any("not medical advice" in i.value for i in at.info), query
    warnings = [w.value for w in at.warning]
    given_keys = viewstate.as_multidict(query)
    unknown = [k for k in given_keys if k not in viewstate.fields_of(page)]
    if unknown:
        assert warnings, (query, "unknown keys without a notice")
        assert not set(unknown) & set(at.query_params), (query, "unknown keys kept in the share link")
    judged = {k: v for k, v in given_keys.items() if k in context and k in viewstate.fields_of(page)}
    fixed = [f.name for f in viewstate.FIELDS if page in f.pages and f.values is not None]
    judged.update({k: v for k, v in given_keys.items() if k in fixed})
    if judged and viewstate.parse(judged, context, fields=tuple(judged)).notices:
        assert warnings, (query, "dropped values without a notice")
    for text in rendered(at):
        if any(marker in text.lower() for marker in ("evil", "alert(", "passwd")):
            assert not UNSAFE.search(CODE_SPAN.sub("", text)), (query, text)


SETTINGS = settings(
    max_examples=EXAMPLES_PER_PAGE,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.parametrize("page", [p for p in PAGES if p != "metapsy"])
@SETTINGS
@given(data=st.data())
def test_generated_hostile_links_never_break_a_page(page, data, filter_context):
    check(page, data.draw(queries(page), label="query"), filter_context)


@pytest.mark.parametrize(
    "page, query",
    [
        ("explore", "n_min=1000"),
        ("overview", "year_min=2030"),
        ("study_size", "n_max=1"),
        ("explore", "n_min=300&n_max=100&year_min=1_000&year_max=%D9%A1%D9%A0"),
        ("explore", "condition=psychosis&year_max=1983"),
        ("explore", "condition=depression&condition=depression&pool_vs=everything&pool_vs=active"),
        ("claims", "claim=www.evil.example&claim=%3Cscript%3Ealert(1)%3C/script%3E"),
        ("defense_mechanisms", "q=" + "x" * 10000),
        ("defense_mechanisms", "q=%5Bx%5D(https%3A%2F%2Fwww.evil.example)&q=www.evil.example"),
        ("therapy_types", "compare=a,b,c,d,e&compare=" + "," * 5000),
        ("glossary", "&".join(f"k{i}=www.evil.example" for i in range(300))),
        ("sources", "file=../../data/trials.csv&path=%2Fetc%2Fpasswd%00"),
    ],
)
def test_known_hostile_links_show_the_frame_and_a_notice(page, query, filter_context):
    check(page, query, filter_context)


@settings(
    max_examples=max(3, EXAMPLES_PER_PAGE // 2),
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(query=queries("metapsy"))
@example(query="size=-3&size=1e309&lowrob=maybe&db=..%2F..%2Fetc%2Fpasswd&colour=www.evil.example")
@example(query="src=%3DHYPERLINK%28%22https%3A%2F%2Fevil.example%22%29&pool_time=..%252F..%252Fetc%252Fpasswd")
@example(query="src=https%3A%2F%2Fevil.example%2F%60%5Bx%5D(https%3A%2F%2Fwww.evil.example)%60")
def test_hostile_links_on_the_metapsy_page(query, filter_context):
    check("metapsy", query, filter_context)


def test_a_valid_link_that_selects_nothing_keeps_the_footer():
    at = run("explore", "condition=psychosis&year_max=1983")
    assert not at.exception
    assert any("No trials match these filters" in w.value for w in at.warning)
    assert "Fonagy P. (2015)" in at.main.caption[-1].value
    assert any("not medical advice" in i.value for i in at.info)


def test_an_out_of_range_bound_is_clamped_with_a_notice_and_the_page_still_shows_trials(trials):
    at = run("explore", "n_min=100000")
    assert not at.exception
    largest = int(trials["n_randomized"].max())
    assert any(f"{largest} is used" in w.value for w in at.warning)
    assert at.query_params["n_min"] in (str(largest), [str(largest)])


# --- one real-browser check: injected addresses and markup stay text ---------------------------------


@pytest.mark.browser
def test_a_hostile_link_shows_no_live_link_or_markup_in_the_browser():
    import playwright.sync_api as playwright_api
    from browser import CHROMIUM, CHROMIUM_FLAGS, Server, require_chromium, wait_ready

    require_chromium()
    # (link, whether the value is dropped with a notice; a search text is kept and shown as typed)
    links = [
        ("claims?claim=www.evil.example&claim=%5Bx%5D(https%3A%2F%2Fwww.evil.example)", True),
        ("explore?condition=me%40evil.example&www.evil.example=http%3A%2F%2Fevil.example%2F", True),
        ("defense_mechanisms?q=%3Cimg+src%3Dx+onerror%3Dalert(1)%3Ewww.evil.example", False),
    ]
    server = Server()
    try:
        with playwright_api.sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            try:
                page = chromium.new_page()
                for link, dropped in links:
                    page.goto(f"{server.url}/{link}")
                    wait_ready(page)
                    if dropped:
                        notice = page.get_by_test_id("stAlert").filter(has_text="Ignored")
                        playwright_api.expect(notice.first).to_contain_text("evil", timeout=30_000)
                        assert "evil" not in page.url, (link, page.url)  # dropped from the share link too
                    else:
                        box = page.get_by_test_id("stTextInput").locator("input")
                        playwright_api.expect(box).to_have_value("<img src=x onerror=alert(1)>www.evil.example")
                    assert page.locator("a[href*='evil']").count() == 0, link
                    assert page.locator("img[src='x'], [onerror]").count() == 0, link
                    footer = page.get_by_text("Fonagy P. (2015)")
                    playwright_api.expect(footer.first).to_be_visible()
            finally:
                chromium.close()
    finally:
        server.stop()


# --- the table toolbar's own CSV download cannot escape cells (Streamlit 1.67 has no option to hide it) ---


def test_no_bundled_text_cell_would_run_as_a_spreadsheet_formula():
    for name, frame in load.read_all().items():
        for column in frame.columns:
            cells = [v for v in frame[column].dropna().tolist() if isinstance(v, str)]
            assert not [v for v in cells if v[:1] in "=+-@\t\r"], (name, column)


def test_an_uploaded_table_is_made_formula_safe_on_reading_so_its_toolbar_download_is_too():
    from pdevidence.metapsy.read import REQUIRED_COLUMNS, read_table

    upload = (
        ";".join(REQUIRED_COLUMNS).encode() + b"\n"
        b'"=HYPERLINK(""https://evil.example"")";pdt;wl;0,5;0,1\n'
        b"@SUM(A1);-cmd;wl;-0,3;0,2\n"
    )
    table = read_table(upload)
    assert list(table["study"]) == ['\'=HYPERLINK("https://evil.example")', "'@SUM(A1)"]
    assert list(table["condition_arm1"]) == ["pdt", "'-cmd"]
    assert list(table[".g"]) == ["0,5", "-0,3"]  # numbers are left as numbers
