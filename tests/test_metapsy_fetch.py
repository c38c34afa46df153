"""Metapsy catalogue, pinned fetching and bounded downloads, against a loopback server standing in for GitHub."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import http.server
import json
import os
import threading
import time
from pathlib import Path

import pytest

from pdevidence.metapsy import cache, fetch, sources
from pdevidence.metapsy.database import read_database
from pdevidence.metapsy.errors import SourceError
from pdevidence.metapsy.read import REQUIRED_COLUMNS

ROOT = Path(__file__).resolve().parents[1]

# A tiny file in the Metapsy layout: unnamed index column, `;`, decimal commas, CRLF.
HEADER = ['""', *(f'"{c}"' for c in (*REQUIRED_COLUMNS, "n_arm1", "n_arm2"))]
ROWS = [
    ['"1"', '"Smith, 2001"', '"dyn"', '"wl"', "0,5", "0,2", "20", "20"],
    ['"2"', '"Jones, 2005"', '"dyn"', '"cau"', "0,3", "0,15", "40", "38"],
    ['"3"', '"Lee, 2010"', '"cbt"', '"wl"', "0,6", "0,18", "30", "30"],
]
DATA = ("\r\n".join(";".join(r) for r in [HEADER, *ROWS]) + "\r\n").encode("utf-8")
CODEBOOK = json.dumps({"condition_arm1": "Type of treatment (cbt= cognitive behaviour therapy, dyn= psychodynamic)"})
INDEX = (
    "shorthand;repo;url;doi\n"
    "depression-psyctr;data-depression-psyctr;depression-psyctr;10.5281/zenodo.7254845\n"
    "brand-new-psyctr;data-brand-new-psyctr;brand-new-psyctr;10.5281/zenodo.1234567\n"
    "../../etc;data-evil;x;10.1/x\n"
)


class Upstream(http.server.ThreadingHTTPServer):
    """A loopback server: `routes` maps a path to bytes, or to a function(handler) that answers itself."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes: dict[str, object] = {}
        self.hits: list[str] = []
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        self.hostport = f"127.0.0.1:{self.server_address[1]}"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.server.hits.append(self.path)
        route = self.server.routes.get(self.path.split("?", 1)[0])
        if route is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if callable(route):
            route(self)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(route)))
        self.end_headers()
        self.wfile.write(route)


@pytest.fixture
def upstream():
    server = Upstream()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def github(upstream, tmp_path, monkeypatch):
    """The loopback server as the upstream base, allowed by the test setting, with an empty cache."""
    monkeypatch.setenv(sources.UPSTREAM_ENV, upstream.base)
    monkeypatch.setenv(sources.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv(sources.LOCAL_DIR_ENV, "")
    monkeypatch.setenv(fetch.ALLOW_LOCAL_ENV, "1")
    cache.forget_failures()
    yield upstream
    cache.forget_failures()


def publish(server: Upstream, info: sources.DatabaseInfo, data: bytes = DATA, codebook: str | None = CODEBOOK):
    server.routes[f"/{info.repo}/{info.ref}/data.csv"] = data
    if codebook is not None:
        server.routes[f"/{info.repo}/{info.ref}/metadata/variable_description.json"] = codebook.encode()
    server.routes[f"/{info.repo}/{info.ref}/metadata/last_search.txt"] = b"2024-02-03\n"


def test_info(name="example-psyctr", **changes) -> sources.DatabaseInfo:
    base = {
        "name": name,
        "repo": f"data-{name}",
        "condition": "Example",
        "doi": "10.5281/zenodo.1",
        "commit": "a" * 40,
        "last_search": None,
    }
    return sources.DatabaseInfo(**{**base, **changes})


test_info.__test__ = False  # a helper, not a test


# ----------------------------------------------------------------- the catalogue


def test_the_bundled_catalogue_lists_the_whole_official_index_with_pins_dois_and_licences():
    known = sources.read_catalogue()
    index = {
        "borderline-psyctr",
        "depression-anxiety-transdiagnostic",
        "depression-childadol-psyctr",
        "depression-inpatients",
        "depression-psyctr",
        "depression-selfguided-psyctr",
        "gad-psyctr",
        "gambling-cbt",
        "ocd-psyctr",
        "panic-psyctr",
        "peer-support",
        "psychosis-psyctr",
        "ptsd-psyctr",
        "suicide-psyctr",
        "template",
        "total-response",
    }
    assert {n for n, i in known.items() if i.listed == "index"} == index
    assert known["peer-support"].repo == "data-peer-support-interventions"
    assert known["borderline-psyctr"].doi == "10.5281/zenodo.10185551"
    assert known["suicide-psyctr"].doi == "10.5281/zenodo.8364508"
    assert not known["template"].offered
    assert all(i.licence == "ODC-By-1.0" and i.licence_source for i in known.values())
    pinned = [n for n, i in known.items() if i.pinned]
    assert len(pinned) == 17 and set(known) - set(pinned) == {"depression-childadol-psyctr", "gambling-cbt"}
    assert sources.catalogue_read_on() == "2026-12-01"


def test_pinned_urls_use_the_commit_and_the_github_layout(monkeypatch):
    monkeypatch.delenv(sources.UPSTREAM_ENV, raising=False)
    info = sources.KNOWN_DATABASES["depression-psyctr"]
    commit = "ceeabb718db4a8ed6d5c5e265262d6ed7a392b72"
    assert info.csv_url == f"https://raw.githubusercontent.com/metapsy-project/data-depression-psyctr/{commit}/data.csv"
    assert info.codebook_url.endswith(f"/{commit}/metadata/variable_description.json")
    assert info.version == "commit ceeabb718db4"
    unpinned = sources.KNOWN_DATABASES["gambling-cbt"]
    assert unpinned.csv_url.endswith("/data-gambling-cbt/main/data.csv")
    assert unpinned.version == "latest main branch (not pinned)"


@pytest.mark.parametrize("name", ["depression-psyctr", "panic-psyctr", "ocd-psyctr", "sad-psyctr", "ed-psyctr"])
def test_catalogue_checksums_match_the_shared_copies_of_the_same_version(name):
    info = sources.KNOWN_DATABASES[name]
    assert hashlib.sha256((sources.SHARED_DIR / f"{name}.csv").read_bytes()).hexdigest() == info.sha256


def test_the_index_parser_skips_rows_whose_names_could_be_paths():
    entries = sources.parse_index(INDEX)
    assert [e.shorthand for e in entries] == ["depression-psyctr", "brand-new-psyctr"]
    assert entries[1].doi == "10.5281/zenodo.1234567"
    assert sources.parse_index(b"\x00\xff garbage") == []


def test_the_index_is_read_again_online_and_new_databases_are_offered_unpinned(github):
    github.routes["/" + sources.INDEX_PATH] = INDEX.encode()
    status = sources.refresh_index()
    assert "read again: 2 databases" in status
    found = sources.catalogue()
    assert found.refreshed
    assert found.databases["brand-new-psyctr"].commit is None
    assert found.databases["depression-psyctr"].commit == sources.KNOWN_DATABASES["depression-psyctr"].commit
    assert "brand-new-psyctr" in found.offered and "template" not in found.offered
    # Read again at most once a day.
    assert "recently" in sources.refresh_index()


def test_an_offline_index_keeps_the_bundled_list(github, monkeypatch):
    monkeypatch.setenv(sources.UPSTREAM_ENV, "http://127.0.0.1:9")
    status = sources.refresh_index()
    assert "could not be read again" in status and "bundled list" in status
    found = sources.catalogue()
    assert not found.refreshed and set(found.databases) == set(sources.KNOWN_DATABASES)


# ----------------------------------------------------------------- pinned fetching and the cache


def test_a_database_is_fetched_at_its_pinned_commit_cached_and_credited(github):
    info = test_info()
    publish(github, info)
    steps = []
    got = cache.ensure(info, progress=lambda f, m: steps.append((f, m)))
    assert got.csv.read_bytes() == DATA
    assert got.codebook is not None
    assert got.provenance["commit"] == "a" * 40 and got.provenance["last_search"] == "2024-02-03"
    assert got.provenance["sha256"] == hashlib.sha256(DATA).hexdigest()
    assert steps[0][0] == 0.0 and steps[-1][0] == 1.0
    cache_root = Path(sources.cache_dir()).resolve()
    assert cache_root in got.csv.resolve().parents and ROOT not in got.csv.resolve().parents
    db = read_database(got.csv, codebook=got.codebook.read_bytes(), name=info.name)
    assert len(db.rows) == 3 and db.codebook_found


def test_the_cache_is_reused_without_a_second_request(github):
    info = test_info()
    publish(github, info)
    cache.ensure(info)
    hits = len(github.hits)
    again = cache.ensure(info)
    assert len(github.hits) == hits
    assert again.csv.read_bytes() == DATA


def test_a_damaged_cache_file_is_fetched_again(github):
    info = test_info()
    publish(github, info)
    first = cache.ensure(info)
    first.csv.write_bytes(b"damaged")
    second = cache.ensure(info)
    assert second.csv.read_bytes() == DATA


def test_a_cached_file_is_hashed_again_only_when_it_changes(github, monkeypatch):
    info = test_info()
    publish(github, info)
    path = cache.ensure(info).csv
    assert cache.cached(info) is not None
    hashed = []
    real = cache._sha256
    monkeypatch.setattr(cache, "_sha256", lambda data: hashed.append(len(data)) or real(data))
    assert cache.cached(info) is not None and cache.cached(info) is not None
    assert hashed == []  # unchanged since it was checked: not read again
    # the same number of bytes, other content, written later: read, hashed and refused
    stat = path.stat()
    path.write_bytes(bytes(b ^ 1 for b in DATA))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert cache.cached(info) is None
    assert hashed == [len(DATA)]


def test_a_download_that_does_not_match_the_pinned_checksum_is_refused_and_not_saved(github):
    info = test_info(sha256="0" * 64)
    publish(github, info)
    with pytest.raises(SourceError, match="does not match the pinned version"):
        cache.ensure(info)
    assert cache.cached(info) is None


def test_a_corrupt_download_is_refused_with_a_clear_message_and_not_saved(github):
    info = test_info()
    publish(github, info, data=b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(SourceError, match="not a readable Metapsy table|not a Metapsy database"):
        cache.ensure(info)
    assert cache.cached(info) is None


def test_offline_raises_a_source_error_saying_so_and_is_not_retried_at_once(github, monkeypatch):
    monkeypatch.setenv(sources.UPSTREAM_ENV, "http://127.0.0.1:9")
    info = test_info()
    with pytest.raises(fetch.FetchError, match="could not be reached") as first:
        cache.ensure(info)
    assert first.value.limit == "network"
    started = time.monotonic()
    with pytest.raises(fetch.FetchError):
        cache.ensure(info)
    assert time.monotonic() - started < 0.5
    assert not (Path(sources.cache_dir()) / info.name).exists()


def test_a_local_copy_is_used_without_the_network(github, tmp_path, monkeypatch):
    local = tmp_path / "local"
    local.mkdir()
    (local / "example-psyctr.csv").write_bytes(DATA)
    monkeypatch.setenv(sources.LOCAL_DIR_ENV, str(local))
    got = cache.ensure(test_info())
    assert got.origin == "local" and github.hits == []


def test_an_address_is_fetched_once_and_cached_with_its_codebook(github):
    github.routes["/somewhere/data-my-own-psyctr/main/data.csv"] = DATA
    github.routes["/somewhere/data-my-own-psyctr/main/metadata/variable_description.json"] = CODEBOOK.encode()
    url = f"{github.base}/somewhere/data-my-own-psyctr/main/data.csv"
    got = cache.ensure_url(url)
    assert got.name == "my-own-psyctr" and got.codebook is not None
    hits = len(github.hits)
    cache.ensure_url(url)
    assert len(github.hits) == hits
    assert Path(sources.cache_dir()).resolve() in got.csv.resolve().parents


@pytest.mark.parametrize("name", ["../../etc", "a/b", "", "..", "A" * 100])
def test_names_that_could_be_paths_never_reach_the_file_system(github, name):
    with pytest.raises(cache.CacheError):
        cache.entry_dir(test_info(name=name))


# ----------------------------------------------------------------- bounded fetching


def limits_for(server: Upstream, **changes) -> fetch.Limits:
    """Only the test server is admitted (over http, on loopback); everything else is judged as in production."""
    return fetch.Limits(allow_hosts=frozenset({server.hostport}), **changes)


@pytest.mark.parametrize(
    "url, limit",
    [
        ("http://example.org/data.csv", "scheme"),
        ("ftp://example.org/data.csv", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("/etc/passwd", "scheme"),
        ("https://127.0.0.1/data.csv", "address"),
        ("https://localhost/data.csv", "address"),
        ("https://10.0.0.8/data.csv", "address"),
        ("https://192.168.1.1/data.csv", "address"),
        ("https://169.254.169.254/latest/meta-data/", "address"),
        ("https://[::1]/data.csv", "address"),
        ("https://[::ffff:127.0.0.1]/data.csv", "address"),
        ("https://0.0.0.0/data.csv", "address"),
        ("https://2130706433/data.csv", "address"),
        ("https://user:hunter2@example.org/data.csv", "credentials"),
        ("https:///data.csv", "url"),
        ("https://example.org:99999/data.csv", "url"),
    ],
)
def test_addresses_outside_the_public_https_web_are_refused_before_anything_is_sent(url, limit, monkeypatch):
    monkeypatch.delenv(fetch.ALLOW_LOCAL_ENV, raising=False)
    with pytest.raises(fetch.FetchError) as info:
        fetch.fetch(url)
    assert info.value.limit == limit
    assert "hunter2" not in str(info.value) and "user:" not in str(info.value)


def test_errors_never_echo_credentials_or_query_strings():
    assert fetch.shown_url("https://u:secret@example.org/a/data.csv?token=abc#x") == "https://example.org/a/data.csv?…"


def test_a_redirect_to_loopback_is_refused_when_local_addresses_are_not_allowed(upstream):
    upstream.routes["/go"] = lambda h: _redirect(h, "http://127.0.0.1:1/secret")
    with pytest.raises(fetch.FetchError) as info:
        fetch.fetch(f"{upstream.base}/go", limits=limits_for(upstream))
    assert info.value.limit in ("scheme", "address")
    upstream.routes["/go2"] = lambda h: _redirect(h, "https://169.254.169.254/latest/meta-data/")
    with pytest.raises(fetch.FetchError) as info:
        fetch.fetch(f"{upstream.base}/go2", limits=limits_for(upstream))
    assert info.value.limit == "address"


def test_redirects_are_followed_up_to_the_limit(upstream):
    upstream.routes["/data.csv"] = DATA
    for i in range(8):
        upstream.routes[f"/r{i}"] = lambda h, i=i: _redirect(h, f"/r{i + 1}" if i < 7 else "/data.csv")
    assert fetch.fetch(f"{upstream.base}/r6", limits=limits_for(upstream)) == DATA
    with pytest.raises(fetch.FetchError, match="redirected more than 5 times") as info:
        fetch.fetch(f"{upstream.base}/r0", limits=limits_for(upstream))
    assert info.value.limit == "redirects"


def test_a_body_over_the_size_cap_is_stopped_at_the_cap(upstream):
    sent = []

    def endless(h):
        h.send_response(200)
        h.end_headers()
        try:
            for _ in range(10_000):
                h.wfile.write(b"x" * 65536)
                sent.append(1)
        except OSError:
            pass
        h.close_connection = True

    upstream.routes["/endless"] = endless
    with pytest.raises(fetch.FetchError, match="larger than 1 MB") as info:
        fetch.fetch(f"{upstream.base}/endless", limits=limits_for(upstream, max_bytes=1024 * 1024))
    assert info.value.limit == "size"
    assert len(sent) < 200  # stopped reading long before the server was done


def test_a_declared_size_over_the_cap_is_refused_before_reading(upstream):
    def big(h):
        h.send_response(200)
        h.send_header("Content-Length", str(2 * 1024**3))
        h.end_headers()
        h.close_connection = True

    upstream.routes["/big"] = big
    with pytest.raises(fetch.FetchError, match="nothing was downloaded") as info:
        fetch.fetch(f"{upstream.base}/big", limits=limits_for(upstream))
    assert info.value.limit == "size"


def test_a_gzip_bomb_is_stopped_at_the_decompressed_cap(upstream):
    bomb = gzip.compress(b"\0" * (20 * 1024 * 1024))
    assert len(bomb) < 100_000

    def send(h):
        h.send_response(200)
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(bomb)))
        h.end_headers()
        h.wfile.write(bomb)

    upstream.routes["/bomb"] = send
    with pytest.raises(fetch.FetchError, match="decompresses to more than 1 MB") as info:
        fetch.fetch(f"{upstream.base}/bomb", limits=limits_for(upstream, max_bytes=1024 * 1024))
    assert info.value.limit == "decompressed size"
    with pytest.raises(fetch.FetchError) as info:
        fetch.gunzip_capped(bomb, max_bytes=1024 * 1024)
    assert info.value.limit == "decompressed size"


def test_a_gzip_encoded_body_within_the_cap_is_decompressed(upstream):
    packed = gzip.compress(DATA)

    def send(h):
        h.send_response(200)
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(packed)))
        h.end_headers()
        h.wfile.write(packed)

    upstream.routes["/packed"] = send
    assert fetch.fetch(f"{upstream.base}/packed", limits=limits_for(upstream)) == DATA


def test_a_slow_drip_response_is_stopped_at_the_overall_deadline(upstream):
    def drip(h):
        h.send_response(200)
        h.end_headers()
        try:
            for _ in range(100):
                h.wfile.write(b"x")
                h.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass
        h.close_connection = True

    upstream.routes["/drip"] = drip
    started = time.monotonic()
    with pytest.raises(fetch.FetchError, match="took longer than 1.5 s") as info:
        fetch.fetch(f"{upstream.base}/drip", limits=limits_for(upstream, deadline=1.5, read_timeout=1.0))
    assert info.value.limit == "deadline"
    assert time.monotonic() - started < 4


def test_a_silent_server_is_stopped_at_the_read_timeout(upstream):
    def silent(h):
        time.sleep(3)

    upstream.routes["/silent"] = silent
    with pytest.raises(fetch.FetchError, match="read timeout") as info:
        fetch.fetch(f"{upstream.base}/silent", limits=limits_for(upstream, read_timeout=0.5))
    assert info.value.limit == "timeout"


def test_an_http_error_status_is_named(upstream):
    with pytest.raises(fetch.FetchError, match="HTTP status 404") as info:
        fetch.fetch(f"{upstream.base}/missing.csv", limits=limits_for(upstream))
    assert info.value.limit == "status"


def _redirect(handler, location: str) -> None:
    handler.send_response(302)
    handler.send_header("Location", location)
    handler.send_header("Content-Length", "0")
    handler.end_headers()


# ----------------------------------------------------------------- the page, on a fresh server

PAGE = str(ROOT / "pages" / "metapsy.py")


def bigger_csv() -> bytes:
    """Nine trials (five psychodynamic, four CBT) against wait list, in the Metapsy layout, with arm means
    whose difference (lower scores are better) agrees with the stored g, on GAD-7: a scale the instrument lexicon
    knows, since a file without an outcome domain pools only scales whose direction a source gives."""
    head = [*REQUIRED_COLUMNS, "n_arm1", "n_arm2", "mean_arm1", "mean_arm2", "sd_arm1", "sd_arm2", "instrument"]
    lines = [";".join(['""', *(f'"{c}"' for c in head)])]
    for i, arm in enumerate(["dyn"] * 5 + ["cbt"] * 4):
        d = 0.3 + (i % 5) / 10
        g = -d * (1 - 3 / (4 * 58 - 1))
        cells = [f'"{i + 1}"', f'"Trial {i + 1}, {2000 + i}"', f'"{arm}"', '"wl"', f"{g:.4f}", "0.26", "30", "30"]
        cells += [f"{20 - 10 * d:.2f}", "20", "10", "10"]
        lines.append(";".join([*(c.replace(".", ",") for c in cells), '"gad-7"']))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def run_page(**params):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(PAGE, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_text(at) -> str:
    parts = [
        str(e.value) for kind in ("markdown", "caption", "info", "warning", "error", "header") for e in at.get(kind)
    ]
    return " ".join(parts).replace("\\", "")


def test_a_shared_link_on_a_fresh_server_fetches_its_database_and_shows_the_analysis(github):
    info = sources.KNOWN_DATABASES["gad-psyctr"]
    publish(github, info, data=bigger_csv())
    at = run_page(db="gad-psyctr")
    assert at.sidebar.selectbox(key="mp_db").value == "gad-psyctr"
    text = page_text(at)
    assert "Therapy families in generalised anxiety disorder" in text
    assert "Psychodynamic therapy: g =" in text
    assert "commit 64dd99be2bc6" in text and "10.5281/zenodo.10185216" in text and "2024-02-03" in text
    assert f"/{info.repo}/{info.commit}/data.csv" in github.hits
    assert cache.cached(info) is not None
    assert not at.button  # nothing to press
    assert str(sources.cache_dir()) not in text and "/tmp" not in text


def test_offline_the_page_says_so_and_keeps_working(github, monkeypatch):
    monkeypatch.setenv(sources.UPSTREAM_ENV, "http://127.0.0.1:9")
    at = run_page(db="gad-psyctr")
    errors = " ".join(str(e.value) for e in at.error).replace("\\", "")
    assert "offline" in errors and "gad-psyctr" in errors
    assert any("No Metapsy database can be shown yet" in str(i.value) for i in at.info)
    assert at.get("file_uploader")


def test_offline_the_page_falls_back_to_a_database_already_on_the_server(github, monkeypatch):
    info = sources.KNOWN_DATABASES["gad-psyctr"]
    publish(github, info, data=bigger_csv())
    cache.ensure(info)
    monkeypatch.setenv(sources.UPSTREAM_ENV, "http://127.0.0.1:9")
    at = run_page(db="borderline-psyctr")
    errors = " ".join(str(e.value) for e in at.error)
    assert "offline" in errors
    assert at.sidebar.selectbox(key="mp_db").value == "gad-psyctr"
    assert "Therapy families in generalised anxiety disorder" in page_text(at)


def test_the_address_of_a_metapsy_file_opens_it(github):
    github.routes["/elsewhere/data-my-own-psyctr/main/data.csv"] = bigger_csv()
    url = f"{github.base}/elsewhere/data-my-own-psyctr/main/data.csv"
    at = run_page(src=url, db="my-own-psyctr (address)")
    assert at.sidebar.selectbox(key="mp_db").value == "my-own-psyctr (address)"
    assert "the file at" in page_text(at)
    assert at.query_params["src"] == [url] or at.query_params["src"] == url


@pytest.mark.parametrize(
    "address", ["/etc/passwd", "file:///etc/passwd", "../../data/trials.csv", "https://10.0.0.1/x"]
)
def test_a_path_or_local_address_given_to_the_page_is_refused_without_touching_the_file_system(
    github, monkeypatch, address
):
    monkeypatch.delenv(fetch.ALLOW_LOCAL_ENV)
    publish(github, sources.KNOWN_DATABASES["gad-psyctr"], data=bigger_csv())
    at = run_page(src=address)
    errors = " ".join(str(e.value) for e in at.error).replace("\\", "")
    assert "cannot be used" in errors and ("only https" in errors or "refused" in errors)
    assert "root:" not in page_text(at)


def test_a_cache_that_cannot_be_written_gives_a_clear_error_not_a_crash(github, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv(sources.CACHE_ENV, str(blocker))
    info = test_info()
    publish(github, info)
    with pytest.raises(cache.CacheError, match="could not be saved on this server"):
        cache.ensure(info)


def test_without_a_setting_the_cache_lives_outside_the_repository(monkeypatch):
    monkeypatch.delenv(sources.CACHE_ENV, raising=False)
    folder = sources.cache_dir().resolve()
    assert ROOT.resolve() not in folder.parents and folder != ROOT.resolve()


def test_catalogue_dois_and_search_dates_agree_with_the_shared_readme():
    """A second reading: every database the shared README lists has the same DOI (or none) in the catalogue."""
    text = (sources.SHARED_DIR / "README.md").read_text(encoding="utf-8")
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in text.splitlines()]
    rows = [r for r in rows if len(r) == 5 and r[0].endswith(".csv")]
    # The README lists every catalogued database of which a shared copy exists, and only those.
    listed = {r[0][: -len(".csv")] for r in rows}
    with_copy = {name for name in sources.KNOWN_DATABASES if (sources.SHARED_DIR / f"{name}.csv").is_file()}
    assert listed == with_copy and len(listed) >= 18
    for file, repo, doi, commit, last_search in rows:
        info = sources.KNOWN_DATABASES[file[: -len(".csv")]]
        assert info.repo == repo
        assert info.doi == (doi if doi.startswith("10.") else None)
        if info.commit and info.commit.startswith(commit):
            assert info.last_search in (None, last_search)


def test_a_host_name_that_never_resolves_is_stopped_at_the_connect_timeout(monkeypatch):
    def hang(*args, **kwargs):
        time.sleep(3)
        raise OSError("too late")

    monkeypatch.setattr(fetch.socket, "getaddrinfo", hang)
    started = time.monotonic()
    with pytest.raises(fetch.FetchError, match="could not be looked up") as info:
        fetch.fetch("https://example.org/data.csv", limits=fetch.Limits(connect_timeout=0.5))
    assert info.value.limit == "timeout" and time.monotonic() - started < 2


def test_files_fetched_by_address_are_kept_to_a_bounded_number(github, monkeypatch):
    monkeypatch.setattr(cache, "MAX_URL_ENTRIES", 3)
    for i in range(5):
        github.routes[f"/f{i}/data.csv"] = DATA
        cache.ensure_url(f"{github.base}/f{i}/data.csv")
    kept = [p for p in (Path(sources.cache_dir()) / "urls").iterdir() if p.is_dir()]
    assert len(kept) == 3


def test_downloads_wait_for_a_free_slot_and_say_when_the_server_is_busy(github, monkeypatch):
    monkeypatch.setattr(cache, "_fetch_slots", threading.BoundedSemaphore(1))
    monkeypatch.setattr(cache, "BUSY_WAIT_SECONDS", 0.2)
    cache._fetch_slots.acquire()
    try:
        info = test_info()
        publish(github, info)
        with pytest.raises(SourceError, match="busy"):
            cache.ensure(info)
    finally:
        cache._fetch_slots.release()


@pytest.mark.parametrize("value", ["../../etc/passwd", "/etc/passwd", "..", "depression-psyctr/../../x"])
def test_a_path_in_the_db_parameter_is_ignored_with_a_notice(github, value, monkeypatch):
    opened = []
    real_open = Path.open

    def watch(self, *args, **kwargs):
        opened.append(str(self))
        return real_open(self, *args, **kwargs)

    info = dataclasses.replace(sources.KNOWN_DATABASES["depression-psyctr"], sha256=None)
    monkeypatch.setitem(sources.KNOWN_DATABASES, info.name, info)
    publish(github, info, data=bigger_csv())
    monkeypatch.setattr(Path, "open", watch)
    at = run_page(db=value)
    assert "Ignored db" in page_text(at)
    assert not any("etc" in p or "passwd" in p for p in opened)


@pytest.mark.parametrize(
    "url, words",
    [
        ("http://127.0.0.1:9/data.csv", "only https"),
        ("https://169.254.169.254/latest/meta-data/data.csv", "local, private or reserved"),
        ("https://admin:hunter2@example.org/data.csv", "user name or password"),
    ],
)
def test_the_command_line_fetches_within_the_same_bounds(url, words):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != fetch.ALLOW_LOCAL_ENV}
    done = subprocess.run(
        [sys.executable, "-m", "pdevidence.metapsy", url], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode != 0
    assert words in done.stderr and "Traceback" not in done.stderr
    assert "hunter2" not in done.stderr + done.stdout


def test_prefetch_fills_the_cache_and_stops_at_the_first_sign_of_being_offline(github, monkeypatch):
    first, second = test_info("first-psyctr"), test_info("second-psyctr")
    publish(github, first)
    publish(github, second)
    done = cache.prefetch([first, second])
    assert done == {"first-psyctr": "fetched", "second-psyctr": "fetched"}
    assert cache.cached(first) is not None and cache.cached(second) is not None
    assert cache.prefetch([first]) == {"first-psyctr": "here"}
    monkeypatch.setenv(sources.UPSTREAM_ENV, "http://127.0.0.1:9")
    third, fourth = test_info("third-psyctr"), test_info("fourth-psyctr")
    done = cache.prefetch([third, fourth])
    assert list(done) == ["third-psyctr"] and done["third-psyctr"].startswith("not fetched")


def test_on_a_fresh_server_the_rest_of_the_catalogue_arrives_in_the_background(github, monkeypatch):
    import pdevidence.web.metapsy_sources as sources_ui

    gad, borderline = sources.KNOWN_DATABASES["gad-psyctr"], sources.KNOWN_DATABASES["borderline-psyctr"]
    publish(github, gad, data=bigger_csv())
    publish(github, borderline, data=bigger_csv())
    monkeypatch.setenv(sources_ui.PREFETCH_ENV, "1")
    monkeypatch.setattr(sources_ui, "_prefetch_last", [float("-inf")])
    at = run_page(db="gad-psyctr", show=["across", "across-table"])
    deadline = time.monotonic() + 30
    while cache.cached(borderline) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert cache.cached(borderline) is not None
    at.run()
    assert not at.exception
    charts = " ".join(chart.proto.spec for chart in at.get("plotly_chart"))
    tables = " ".join(frame.value.to_string() for frame in at.dataframe)
    assert "Borderline personality disorder" in charts + tables
