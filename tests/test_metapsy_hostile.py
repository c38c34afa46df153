"""Hostile Metapsy files: named cases and generated ones, read directly and uploaded to the page.

Every file must end in a Database or a MetapsyError with a clear message,
never another exception; the page must show a message or the analysis, never
a traceback, a NaN/inf pooled estimate, live markup from the file, or a cell a
spreadsheet would run as a formula.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pdevidence.metapsy import guard
from pdevidence.metapsy.analysis import family_summary, select_rows, study_effects
from pdevidence.metapsy.database import read_database
from pdevidence.metapsy.errors import MetapsyError
from pdevidence.metapsy.read import REQUIRED_COLUMNS, parse_codebook

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "metapsy.py")

# The instrument is one the lexicon knows (BDI-II, lower is better), last so the cell positions below stay put: an
# upload without an outcome domain pools only scales whose direction a source gives, and these files are about
# hostile content, not about direction.
HEAD = [
    '""',
    *(
        f'"{c}"'
        for c in (*REQUIRED_COLUMNS, "n_arm1", "n_arm2", "mean_arm1", "mean_arm2", "sd_arm1", "sd_arm2", "instrument")
    ),
]


def table(rows, head=HEAD, sep=";") -> bytes:
    lines = [sep.join(head)] + [sep.join([f'"{i}"', *r]) for i, r in enumerate(rows, 1)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def good_rows(n=6, arm="dyn"):
    """Rows whose stored g (arm 1 minus arm 2 on a scale where lower is better) agrees with their arm data."""
    rows = []
    for i in range(n):
        d = 0.3 + (i % 5) / 10
        g = -d * (1 - 3 / (4 * 58 - 1))
        rows.append(
            [
                f'"Study {i}, 20{i:02d}"',
                f'"{arm}"',
                '"wl"',
                f"{g:.4f}".replace(".", ","),
                "0,26",
                "30",
                "30",
                f"{20 - 10 * d:.2f}".replace(".", ","),
                "20",
                "10",
                "10",
                '"bdi-ii"',
            ]
        )
    return rows


def with_cell(rows, index, value):
    return [[*r[:index], value, *r[index + 1 :]] for r in rows]


LINK_ROWS = [
    ['"[click](https://evil.example)"', '"<img src=x onerror=alert(1)>"', '"wl"', "-0,5", "0,26", "30", "30"],
    ['"![img](https://evil.example/x.png)"', "\"<a href='https://evil.example'>dyn</a>\"", '"wl"', "-0,4", "0,26"],
    ['"<b>bold</b> www.evil.example"', '"dyn"', '"<script>alert(1)</script>"', "-0,3", "0,26", "30", "30"],
    ['"**x** _y_ `z` # h"', '"dyn"', '"wl"', "-0,6", "0,26", "30", "30"],
    ["\"<a href='https://evil.example'>Study 5</a>\"", '"dyn"', '"wl"', "-0,5", "0,26", "30", "30"],
]
FORMULA_ROWS = [
    ['"=HYPERLINK(""https://evil.example"",""x"")"', '"dyn"', '"wl"'],
    ['"+1+1"', '"dyn"', '"wl"'],
    ['"-2+3"', '"@SUM(A1)"', '"wl"'],
    ['"\tx"', '"dyn"', '"=1+2"'],
]


def labelled(prefixes) -> bytes:
    rows = []
    for base, pre in zip(good_rows(len(prefixes)), prefixes):
        rows.append([*pre[:3], *base[len(pre[:3]) :]])
    return table(rows)


CASES: dict[str, bytes] = {
    "empty": b"",
    "only blank lines": b"   \r\n\r\n  ",
    "binary": bytes(range(256)) * 50,
    "png image": b"\x89PNG\r\n\x1a\n" + b"\0" * 500,
    "tab separated": table(good_rows(), sep="\t"),
    "pipe separated": table(good_rows(), sep="|"),
    "missing columns": b'"study";"condition_arm1"\r\n"a";"dyn"\r\n',
    "header only": table([]),
    "huge field": table([['"' + "A" * 2_000_000 + '"', *good_rows(1)[0][1:]], *good_rows(5)]),
    "cp1252": table(good_rows()).replace(b"Study", "Stüdy".encode("cp1252")),
    "utf-16": table(good_rows()).decode().encode("utf-16"),
    "NaN SE": table(with_cell(good_rows(), 4, "NaN")),
    "inf SE": table(with_cell(good_rows(), 4, "Inf")),
    "negative SE": table(with_cell(good_rows(), 4, "-0,2")),
    "zero SE": table(with_cell(good_rows(), 4, "0")),
    "1e-300 SE": table(with_cell(good_rows(), 4, "1e-300")),
    "inf g": table(with_cell(good_rows(), 3, "Inf")),
    "1e308 g": table(with_cell(good_rows(), 3, "1e308")),
    "NaN SD": table(with_cell(good_rows(), 9, "NaN")),
    "inf mean": table(with_cell(good_rows(), 7, "Inf")),
    "infinite n": table(with_cell(with_cell(good_rows(), 5, "Inf"), 6, "Inf")),
    "1e20 n": table(with_cell(with_cell(good_rows(), 5, "1e20"), 6, "1e20")),
    "negative n": table(with_cell(with_cell(good_rows(), 5, "-30"), 6, "-30")),
    "duplicated .g column": table(good_rows(), head=[*HEAD[:5], '".g"', *HEAD[6:]]),
    "duplicated study column": table([[r[0], *r] for r in good_rows()], head=[HEAD[0], '"study"', *HEAD[1:]]),
    "one study": table(good_rows(1)),
    "two studies": table(good_rows(2)),
    "missing study names": table(with_cell(good_rows(), 0, "NA")),
    "missing arms": table(with_cell(with_cell(good_rows(), 1, "NA"), 2, "NA")),
    "all NA": table([["NA"] * 11 for _ in range(5)]),
    "markdown, HTML and links in labels": labelled([r[:3] for r in LINK_ROWS]),
    "formula-leading cells": labelled(FORMULA_ROWS),
    "many columns": (
        ";".join(f"c{i}" for i in range(5000)) + "\n" + ";".join("1" for _ in range(5000)) + "\n"
    ).encode(),
    "unbalanced quotes": ";".join(HEAD[1:6]).encode() + b'\n"a;"dyn";"wl";0,5;0,2\n',
    "null bytes": table(good_rows()).replace(b"Study", b"St\0udy"),
}
CODEBOOKS = {
    "nested arrays": ("[" * 100_000 + "]" * 100_000).encode(),
    "nested objects": ('{"a":' * 50_000 + "1" + "}" * 50_000).encode(),
    "huge": json.dumps({"condition_arm1": "x" * (3 * 1024 * 1024)}).encode(),
    "not JSON": b"\xff\xfe garbage",
    "a list": b"[1, 2, 3]",
}


def assert_usable(db) -> None:
    """Whatever is pooled from a database is finite; nothing unpooled pretends to be."""
    summary = family_summary(select_rows(db))
    pooled = summary[summary["status"] == "pooled"]
    for column in ("g", "ci_low", "ci_high", "se"):
        assert all(math.isfinite(float(v)) for v in pooled[column]), (column, list(pooled[column]))
    for column in ("g", "ci_low", "ci_high"):
        assert all(v is None or pd.isna(v) for v in summary.loc[summary["status"] != "pooled", column])
    effects = study_effects(select_rows(db))
    assert all(math.isfinite(v) for v in effects["g"]) and all(v > 0 and math.isfinite(v) for v in effects["se"])


# ----------------------------------------------------------------- reading, named cases


@pytest.mark.parametrize("name", list(CASES))
def test_a_hostile_file_is_read_or_refused_with_a_clear_message(name):
    try:
        db = read_database(CASES[name], name="upload")
    except MetapsyError as exc:
        message = str(exc)
        assert message and "Traceback" not in message and len(message) < 600
        return
    assert_usable(db)


@pytest.mark.parametrize("name", list(CODEBOOKS))
def test_a_hostile_codebook_is_ignored_not_fatal(name):
    assert parse_codebook(CODEBOOKS[name]) == {}
    db = read_database(table(good_rows()), codebook=CODEBOOKS[name], name="upload")
    assert not db.codebook_found
    assert_usable(db)


def test_the_expected_refusals_name_what_is_wrong():
    def refusal(name):
        with pytest.raises(MetapsyError) as info:
            read_database(CASES[name], name="upload")
        return str(info.value)

    assert "no rows" in refusal("header only")
    assert "longer than 500 characters" in refusal("huge field")
    assert "more than once" in refusal("duplicated .g column")
    assert "more than once" in refusal("duplicated study column")
    assert "separated by tabs" in refusal("tab separated")
    assert "could not be read as a table" in refusal("empty")


def test_effects_and_sizes_outside_sane_bounds_are_left_out_not_pooled():
    for name in ("inf g", "1e308 g", "1e-300 SE", "zero SE", "negative SE", "inf SE", "NaN SE"):
        db = read_database(CASES[name], name="upload")
        stored = db.rows["g_stored"] if "g_stored" in db.rows else db.rows["g"]
        bad = ~guard.usable_effect(stored, db.rows["se"])
        assert not db.rows.loc[bad, "has_effect"].any(), name
        assert_usable(db)
    sizes = read_database(CASES["1e20 n"], name="upload").rows["n"]
    assert sizes.isna().all()


def test_formula_leading_cells_are_neutralised_and_numbers_are_not():
    db = read_database(CASES["formula-leading cells"], name="upload")
    for column in ("study", "condition_arm1", "condition_arm2"):
        for cell in db.rows[column].dropna().astype(str):
            assert not re.match(r"[=+\-@\t\r]", cell), cell
    assert db.rows["study"].iloc[0].startswith("'=HYPERLINK(")
    assert (db.rows["g"].dropna() > 0).all()  # "-0,4" stayed a number


def test_utf16_and_cp1252_files_read_like_utf8():
    utf8 = read_database(table(good_rows()), name="u")
    for name in ("utf-16", "cp1252"):
        other = read_database(CASES[name], name="u")
        assert len(other.rows) == len(utf8.rows)
        pd.testing.assert_series_equal(other.rows["g"], utf8.rows["g"])


def test_a_gzip_bomb_upload_is_stopped_at_the_decompressed_cap():
    from pdevidence.metapsy import fetch

    bomb = gzip.compress(b"A" * (60 * 1024 * 1024))
    with pytest.raises(fetch.FetchError, match="decompresses to more than 50 MB"):
        fetch.gunzip_capped(bomb, label="the upload")


# ----------------------------------------------------------------- reading, generated cases

CELL = st.one_of(
    st.sampled_from(["NA", "", "0", "-0", "0,5", "-1,2", "1e308", "-1e308", "1e-300", "Inf", "-Inf", "NaN", "1e20"]),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda f: repr(f).replace(".", ",")),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(max_size=20),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(CELL, min_size=11, max_size=11), min_size=0, max_size=12))
def test_generated_tables_never_raise_anything_but_a_metapsy_error(cells):
    rows = [[f'"{c[0]}"', f'"{c[1]}"', f'"{c[2]}"', *c[3:]] for c in cells]
    try:
        db = read_database(table(rows), name="upload")
    except MetapsyError:
        return
    assert_usable(db)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_generated_bytes_never_raise_anything_but_a_metapsy_error(data):
    try:
        db = read_database(data, name="upload")
    except MetapsyError:
        return
    assert_usable(db)


@settings(max_examples=50, deadline=None)
@given(
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.floats(), st.text(max_size=10)),
        lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
        max_leaves=30,
    )
)
def test_generated_codebooks_never_break_reading(value):
    book = json.dumps(value).encode()
    db = read_database(table(good_rows()), codebook=book, name="upload")
    assert_usable(db)


# ----------------------------------------------------------------- the page


def upload(files, **params):
    """The page with `files` uploaded; every chart and table panel is open unless `show` says otherwise."""
    from streamlit.testing.v1 import AppTest

    from pdevidence import viewstate

    params.setdefault("show", list(viewstate.panels_of("metapsy")))
    at = AppTest.from_file(PAGE, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.file_uploader(key="mp_upload").set_value(files)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def rendered(at) -> list[str]:
    kinds = ("markdown", "caption", "info", "warning", "error", "success", "header", "subheader", "title")
    return [str(e.value) for kind in kinds for e in at.get(kind)]


ALLOWED_LINK = re.compile(
    r"\[[^\]]*\]\(https://(www\.)?(metapsy\.org|doi\.org|opendatacommons\.org|docs\.metapsy\.org)[^)]*\)"
)
# A link, image or HTML tag; or an address, escaped or not, that markdown would autolink.
LIVE = re.compile(
    r"(?<!\\)\]\(|(?<!\\)<(a|img|script|b)\b|www\\?\.(?!metapsy)|https?\\?:\\?/\\?/(?!(www\.)?metapsy\.org)",
    re.I,
)


def live_markup(text: str) -> str | None:
    """What in a markdown text would render as a link, image or HTML (code spans and the app's own links aside)."""
    text = re.sub(r"`[^`]*`", "", ALLOWED_LINK.sub("", text))
    found = LIVE.search(text)
    return found.group(0) if found else None


@pytest.fixture
def offline_catalogue(monkeypatch, tmp_path):
    """No shared copies, an empty cache and an unreachable upstream: only the upload is on the page."""
    monkeypatch.setenv("PDEVIDENCE_METAPSY_DIR", "")
    monkeypatch.setenv("PDEVIDENCE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PDEVIDENCE_METAPSY_UPSTREAM", "http://127.0.0.1:9")
    monkeypatch.setenv("PDEVIDENCE_FETCH_ALLOW_LOCAL", "1")
    from pdevidence.metapsy import cache

    cache.forget_failures()


PAGE_CASES = [
    "empty",
    "binary",
    "tab separated",
    "missing columns",
    "huge field",
    "cp1252",
    "NaN SE",
    "1e-300 SE",
    "1e308 g",
    "infinite n",
    "1e20 n",
    "duplicated .g column",
    "one study",
    "missing study names",
    "markdown, HTML and links in labels",
    "formula-leading cells",
]


@pytest.mark.parametrize("name", PAGE_CASES)
def test_a_hostile_upload_gives_a_message_or_the_analysis_never_a_traceback(name, offline_catalogue):
    at = upload(("hostile.csv", CASES[name], "text/csv"))
    texts = rendered(at)
    joined = " ".join(texts)
    assert "Traceback" not in joined
    assert not re.search(r"(?<![A-Za-z])(nan|inf|infinity)(?![A-Za-z])", joined.replace("\\", ""), re.I), joined
    for text in texts:
        assert live_markup(text) is None, text
    shown_db = "hostile (uploaded)" in (at.sidebar.selectbox(key="mp_db").options if at.sidebar.selectbox else [])
    if not shown_db:
        assert any("hostile.csv cannot be used" in t.replace("\\", "").replace("`", "") for t in texts), texts
    for chart in at.get("plotly_chart"):
        body = chart.proto.spec
        assert "<a " not in body and "<img" not in body and "<script" not in body


def test_labels_from_an_upload_are_text_in_markdown_and_charts(offline_catalogue):
    at = upload(("links.csv", CASES["markdown, HTML and links in labels"], "text/csv"))
    at.sidebar.selectbox(key="mp_db").set_value("links (uploaded)").run()
    assert not at.exception
    for text in rendered(at):
        assert live_markup(text) is None, text
    bodies = [chart.proto.spec for chart in at.get("plotly_chart")]
    assert bodies, "the analysis should be drawn"
    joined = " ".join(bodies)
    assert "evil.example" not in joined or "&lt;a" in joined or "[click]" in joined
    assert "<a href" not in joined and "<img" not in joined


def test_an_upload_whose_scales_no_source_directs_pools_nothing_and_the_page_says_why(offline_catalogue, tmp_path):
    # No outcome domain and a scale the lexicon does not know: which way is better is not established, so nothing
    # is pooled (the rows used to be assumed symptom scales), and the page says so where the pooled figure would be.
    rows = [[*r[:-1], '"dacl"'] for r in good_rows()]
    db = read_database(table(rows), name="undirected")
    assert db.pooled_outcomes == () and db.default_outcome is None
    assert not db.rows["has_effect"].any()
    at = upload(("undirected.csv", table(rows), "text/csv"))
    at.sidebar.selectbox(key="mp_db").set_value("undirected (uploaded)").run()
    assert not at.exception
    warnings = " ".join(str(w.value) for w in at.warning).replace("\\", "")
    assert "Nothing is pooled from this database" in warnings
    assert "Scores without an outcome domain (direction not established) (6 rows)" in warnings
    assert (
        "the file gives no outcome domain" in warnings and "the instrument lexicon does not know the scale" in warnings
    )
    texts = rendered(at)
    assert not any("Psychodynamic therapy: g =" in t for t in texts)
    assert any("no outcome can be pooled" in t for t in at.caption.values)
    path = tmp_path / "undirected.csv"
    path.write_bytes(table(rows))
    done = subprocess.run(
        [sys.executable, "-m", "pdevidence.metapsy", str(path)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0 and "nothing is pooled: no outcome has both a direction" in done.stdout
    assert "c-symptoms~unknown (Scores without an outcome domain" in done.stdout


def test_formula_cells_are_never_offered_for_export(offline_catalogue):
    at = upload(("formulas.csv", CASES["formula-leading cells"], "text/csv"))
    at.sidebar.selectbox(key="mp_db").set_value("formulas (uploaded)").run()
    assert not at.exception
    frames = [df.value for df in at.dataframe]
    assert frames
    for frame in frames:
        for column in frame.columns:
            if frame[column].dtype == object:
                for cell in frame[column].dropna().astype(str):
                    assert not re.match(r"[=+@\t\r]", cell) and not re.match(r"-[^\d.]", cell), (column, cell)


def test_a_file_over_the_upload_limit_gets_a_clear_message(offline_catalogue):
    big = b"x" * (50 * 1024 * 1024 + 1)
    at = upload(("big.csv", big, "text/csv"))
    errors = " ".join(str(e.value) for e in at.error).replace("\\", "")
    assert "larger than 50 MB" in errors


def test_an_upload_error_stays_in_view_after_the_rerun(offline_catalogue):
    at = upload(("broken.csv", CASES["missing columns"], "text/csv"))
    assert any("broken.csv cannot be used" in str(e.value).replace("\\", "").replace("`", "") for e in at.error)
    at.run()
    assert any("broken.csv cannot be used" in str(e.value).replace("\\", "").replace("`", "") for e in at.error)


def test_a_hostile_file_name_is_shown_as_text(offline_catalogue):
    at = upload(("[x](https://evil.example) <img src=x>.csv", CASES["missing columns"], "text/csv"))
    for text in rendered(at):
        assert live_markup(text) is None, text


def test_a_large_upload_is_analysed_in_seconds(offline_catalogue):
    import time

    rows = []
    for i in range(50_000):
        base = good_rows(1, ["dyn", "cbt", "ipt", "sup"][i % 4])[0]
        rows.append([f'"Trial {i}, {1980 + i % 40}"', *base[1:]])
    data = table(rows)
    started = time.monotonic()
    at = upload(("large.csv", data, "text/csv"))
    at.sidebar.selectbox(key="mp_db").set_value("large (uploaded)").run()
    elapsed = time.monotonic() - started
    assert not at.exception
    assert any("Psychodynamic therapy: g =" in t for t in rendered(at))
    assert elapsed < 60, elapsed


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=7), st.integers(min_value=3, max_value=10), CELL),
        min_size=1,
        max_size=4,
    )
)
def test_a_poolable_file_with_generated_bad_numbers_never_shows_a_non_finite_estimate(changes):
    rows = good_rows(8)
    for row, column, value in changes:
        rows[row][column] = value.replace(";", ",").replace('"', "'")
    try:
        db = read_database(table(rows), name="upload")
    except MetapsyError:
        return
    assert_usable(db)
