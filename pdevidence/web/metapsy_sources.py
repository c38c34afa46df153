"""Streamlit side of the Metapsy data sources: choosing, fetching (with progress), uploading and crediting a database.

The whole catalogue is on offer. The database a visitor (or a shared link,
`?db=`) asks for is fetched on first use at its pinned version, with a
progress bar and no button; offline, the page says so and keeps working with
whatever is already here. A Metapsy file can also be given by its address
(`?src=`, fetched within the bounds of `metapsy.fetch`) or uploaded. Visitors
never see a server path: messages name databases and redacted addresses only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import streamlit as st

from pdevidence import viewstate
from pdevidence.metapsy import cache, fetch, sources
from pdevidence.metapsy.database import Database, read_database
from pdevidence.metapsy.errors import MetapsyError, SourceError
from pdevidence.web import widgets

DB_PARAM = "db"
SRC_PARAM = "src"
UPLOAD_LIMIT_MB = fetch.MAX_BYTES // fetch.MB
UPLOAD_LIMIT_BYTES = fetch.MAX_BYTES
DB_KEY = "mp_db"  # the session key of the database selectbox (drawn by metapsy_page.settings_sidebar)
_EXPANDER = "mp_source_panel"


@dataclass
class Databases(Mapping):
    """The databases the page can show, by name, loaded only when asked for.

    Keys: every offered catalogue database, then this session's uploads and
    the database given by address. `self[name]` is only ever asked for names in
    `ready`, which `load_databases` fills before the settings are drawn.
    """

    catalogue: sources.Catalogue
    ready: dict[str, Database] = field(default_factory=dict)
    extra: dict[str, Database] = field(default_factory=dict)
    provenance: dict[str, dict] = field(default_factory=dict)
    unavailable: set[str] = field(default_factory=set)
    offline: bool = False  # a fetch failed in this run: offer only what is already here

    def _names(self) -> list[str]:
        if self.offline:
            offered = [n for n in self.catalogue.offered if n in self.ready]
        else:
            offered = [n for n in self.catalogue.offered if n not in self.unavailable or n in self.ready]
        return [*offered, *self.extra]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def __contains__(self, name) -> bool:
        return name in self.extra or (name in self.catalogue.databases and name in self._names())

    def __getitem__(self, name: str) -> Database:
        if name in self.extra:
            return self.extra[name]
        if name in self.ready:
            return self.ready[name]
        loaded = _load_catalogue_database(self, name)
        if loaded is None:
            raise KeyError(name)
        return loaded

    def label(self, name: str) -> str:
        """What the database selector shows for a name, without loading it."""
        if name in self.extra:
            return name
        info = self.catalogue.databases.get(name)
        return f"{info.condition} ({name})" if info else name

    def loaded(self) -> dict[str, Database]:
        """Every database already read in this run (no network): the chosen one, uploads, cached copies."""
        return {**self.ready, **self.extra}


# ---------------------------------------------------------------- reading, cached


# A cached Database is shared by every session and never changed after it is cached: what it says about
# itself (its catalogue entry, `info`) is part of the cache key and set before the object is cached.


# The catalogue entry is keyed by its values (a tuple of strings hashes in microseconds, the dataclass itself in
# about a millisecond, and a page asks for each catalogued database on every run).
@st.cache_resource(show_spinner=False, max_entries=40, hash_funcs={sources.DatabaseInfo: dataclasses.astuple})
def _read_file(csv_path: str, codebook_path: str | None, info: sources.DatabaseInfo, digest: str) -> Database:
    """A catalogue database read once per server process, version and catalogue entry (the digest keys the
    version)."""
    data = Path(csv_path).read_bytes()
    book = Path(codebook_path).read_bytes() if codebook_path else None
    return replace(read_database(data, codebook=book, name=info.name, catalogued=True), info=info)


@st.cache_resource(show_spinner=False, max_entries=2, ttl=3600, scope="session")
def _read_upload(digest: str, name: str, what: str, codebook_digest: str | None, _data: bytes, _codebook):
    """An upload (or a file from an address) read once per session (freed when the session ends); the digests
    are the cache key. `what` says where it came from, for its catalogue entry."""
    db = read_database(_data, codebook=_codebook, name=name)
    return replace(db, info=_own_file_info(name, what))


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_cached(got: cache.Cached, info: sources.DatabaseInfo) -> Database:
    return _read_file(str(got.csv), str(got.codebook) if got.codebook else None, info, sources.stamp(got.csv))


# ---------------------------------------------------------------- fetching with progress


def _progress_bar():
    slot = st.empty()
    bar = slot.progress(0.0, text="Preparing the download…")

    def progress(fraction, message):
        bar.progress(1.0 if fraction is None else max(0.0, min(float(fraction), 1.0)), text=widgets.escape(message))

    return slot, progress


def _load_catalogue_database(found: Databases, name: str) -> Database | None:
    """Read a catalogue database, fetching it first if needed; None (with a visible message) if it cannot be had."""
    info = found.catalogue.databases.get(name)
    if info is None or not info.offered:
        return None
    got = cache.available(info)
    if got is None:
        slot, progress = _progress_bar()
        try:
            got = cache.ensure(info, progress=progress)
        except SourceError as exc:
            slot.empty()
            found.unavailable.add(name)
            found.offline = True
            _render_fetch_error(info, exc)
            return None
        slot.empty()
    try:
        db = _read_cached(got, info)
    except (MetapsyError, OSError) as exc:
        found.unavailable.add(name)
        st.error(
            f"{widgets.escape(name)} could not be read and is left out: {widgets.code(exc)}", icon=":material/error:"
        )
        return None
    found.ready[name] = db
    found.provenance[name] = got.provenance
    return db


def _render_fetch_error(info: sources.DatabaseInfo, exc: SourceError) -> None:
    limit = getattr(exc, "limit", None)
    if limit in ("network", "timeout", "deadline"):
        lead = (
            f"The {info.condition.lower()} database ({info.name}) could not be fetched: this server seems to be "
            "offline, or GitHub cannot be reached."
        )
    else:
        lead = f"The {info.condition.lower()} database ({info.name}) could not be fetched."
    st.error(
        f"{widgets.escape(lead)} Databases already here keep working, and the rest of the app is not affected. "
        f"Try again later.\n\nDetails: {widgets.code(exc)}",
        icon=":material/cloud_off:",
    )


# ---------------------------------------------------------------- the index, read again in the background

_refresh_lock = threading.Lock()
_refresh_last = [float("-inf")]
REFRESH_EVERY_SECONDS = 3600


def _refresh_index_once() -> None:
    """Read the official index again in the background, at most once an hour per server process (and only
    when the last reading is a day old); failures are ignored and the bundled list is used."""
    now = time.monotonic()
    with _refresh_lock:
        if now - _refresh_last[0] < REFRESH_EVERY_SECONDS:
            return
        _refresh_last[0] = now
    threading.Thread(target=sources.refresh_index, name="metapsy-index", daemon=True).start()


PREFETCH_ENV = "PDEVIDENCE_METAPSY_PREFETCH"
_prefetch_last = [float("-inf")]


def _prefetch_once(found: Databases) -> None:
    """Fetch the rest of the catalogue in the background (at most once an hour per server process), so the
    across-conditions view fills in on a fresh server without making anyone wait. Off with
    PDEVIDENCE_METAPSY_PREFETCH=0, and skipped while offline."""
    if found.offline or os.environ.get(PREFETCH_ENV, "1") == "0":
        return
    missing = [
        info
        for name, info in found.catalogue.databases.items()
        if info.offered and name not in found.ready and name not in found.unavailable
    ]
    if not missing:
        return
    now = time.monotonic()
    with _refresh_lock:
        if now - _prefetch_last[0] < REFRESH_EVERY_SECONDS:
            return
        _prefetch_last[0] = now
    threading.Thread(target=cache.prefetch, args=(missing,), name="metapsy-prefetch", daemon=True).start()


# ---------------------------------------------------------------- the data-source panel


def load_databases() -> Databases | None:
    """Draw the data-source panel and load what the page needs; None (with a message) if there is nothing to show.

    Reads `?db=` and the database selector's last value, fetches that
    database if it is not here yet, and falls back to one that is here when
    the fetch fails.
    """
    _refresh_index_once()
    found = Databases(sources.catalogue())
    panel_errors: list[str] = []
    with st.expander(
        "Data source: the Metapsy databases, an address, or your own file",
        expanded=SRC_PARAM in st.query_params,  # a link with an address shows its download
        icon=":material/database:",
        key=_EXPANDER,
    ):
        _render_catalogue_note(found)
        address_db, address_error = _address_source()
        uploads, upload_errors = _upload_source()
    panel_errors += [e for e in (address_error, *upload_errors) if e]
    # Outside the panel, so a message stays in view even when the panel is closed.
    for message in panel_errors:
        st.error(message, icon=":material/error:")
    if address_db is not None:
        found.extra[address_db[0]] = address_db[1]
        found.provenance[address_db[0]] = address_db[2]
    found.extra.update(uploads)

    wanted = _wanted(found)
    for name in wanted:
        if name in found.extra or name in found.ready:
            continue
        if name in found.catalogue.databases:
            _load_catalogue_database(found, name)
    chosen = next((n for n in wanted if n in found.ready or n in found.extra), None)
    if chosen is None:
        chosen = _first_available(found)
    if chosen is None:
        render_no_data(found)
        return None
    state = st.session_state
    if state.get(DB_KEY) not in found.ready and state.get(DB_KEY) not in found.extra:
        state[DB_KEY] = chosen
    # Databases already here (local copies, cache) are cheap to read: the across-conditions view uses them.
    for name in found.catalogue.offered:
        if name not in found.ready and name not in found.unavailable:
            info = found.catalogue.databases[name]
            got = cache.available(info)
            if got is not None:
                try:
                    found.ready[name] = _read_cached(got, info)
                    found.provenance[name] = got.provenance
                except (MetapsyError, OSError):
                    found.unavailable.add(name)
    _prefetch_once(found)
    return found


def _wanted(found: Databases) -> list[str]:
    """Databases asked for, most recent first: the link's `db`, the selector's value, the default."""
    out: list[str] = []
    url = _url_database(found)
    if url is not None:
        out.append(url)
    current = st.session_state.get(DB_KEY)
    if (
        isinstance(current, str)
        and current not in out
        and (current in found.catalogue.databases or current in found.extra)
    ):
        out.append(current)
    # An address given in the link opens that database.
    address_name = next((n for n in found.extra if n.endswith(" (address)")), None)
    if address_name and address_name not in out and url is None:
        out.insert(0, address_name)
    if not out and sources.DEFAULT_DATABASE in found.catalogue.offered:
        out.append(sources.DEFAULT_DATABASE)
    return out[:2]


def _url_database(found: Databases) -> str | None:
    """The link's `db`, read through viewstate, if it names a database here (its notices are the settings' job)."""
    query = {DB_PARAM: st.query_params.get_all(DB_PARAM)} if DB_PARAM in st.query_params else {}
    if not query:
        return None
    names = (*found.catalogue.databases, *found.extra)
    parsed = viewstate.parse(query, {DB_PARAM: viewstate.Domain(names)}, fields=(DB_PARAM,))
    return None if parsed.notices else parsed.state[DB_PARAM]


def _first_available(found: Databases) -> str | None:
    for name in found.catalogue.offered:
        if name in found.ready or name in found.unavailable:
            continue
        info = found.catalogue.databases[name]
        got = cache.available(info)
        if got is not None:
            try:
                found.ready[name] = _read_cached(got, info)
            except (MetapsyError, OSError):
                continue
            found.provenance[name] = got.provenance
            return name
    return next(iter(found.extra), None)


def _render_catalogue_note(found: Databases) -> None:
    cat = found.catalogue
    offered = cat.offered
    pinned = sum(1 for n in offered if cat.databases[n].pinned)
    when = cat.read_on or "unknown"
    st.markdown(
        f"**{len(offered)} Metapsy databases** are on offer, from the Metapsy project's official index (list "
        f"read {widgets.escape(when)}{', read again online' if cat.refreshed else ''}). {pinned} are fetched at a fixed "
        "(pinned) version; the rest at their latest version. A database is fetched from GitHub the first time it "
        "is chosen, and kept on this server."
    )


def _address_source() -> tuple[tuple[str, Database, dict] | None, str | None]:
    """The database given by its address (`?src=`), fetched within the limits; a message if it cannot be used."""
    address = widgets.render_field(SRC_PARAM).strip()
    if not address:
        return None, None
    try:
        fetch.check_url(address, fetch.Limits.default())
    except fetch.FetchError as exc:
        return None, f"That address cannot be used: {widgets.code(exc)}"
    slot, progress = _progress_bar()
    try:
        got = cache.ensure_url(address, progress=progress)
        data = got.csv.read_bytes()
        book = got.codebook.read_bytes() if got.codebook else None
        name = f"{safe_name(got.name)} (address)"
        db = _read_upload(_digest(data), name, "file from an address", _digest(book) if book else None, data, book)
    except (MetapsyError, OSError) as exc:
        slot.empty()
        return None, f"The file at {widgets.code(fetch.shown_url(address))} cannot be used: {widgets.code(exc)}"
    slot.empty()
    return (name, db, {**got.provenance, "origin": "address"}), None


def _upload_source() -> tuple[dict[str, Database], list[str]]:
    files = st.file_uploader(
        f"Or upload a Metapsy data.csv, optionally with its codebook (variable_description.json); "
        f"up to {UPLOAD_LIMIT_MB} MB each",
        type=["csv", "json"],
        accept_multiple_files=True,
        key="mp_upload",
        max_upload_size=UPLOAD_LIMIT_MB,
    )
    return read_uploads(files or [])


def read_uploads(files) -> tuple[dict[str, Database], list[str]]:
    """Uploaded tables (with a codebook of the same stem, or the only one), and a message per file refused."""
    errors: list[str] = []
    sized = []
    for f in files:
        size = getattr(f, "size", None)
        if size is None:
            size = len(f.getvalue())
        if size > UPLOAD_LIMIT_BYTES:
            errors.append(
                f"{widgets.code(_file_label(f.name))} is larger than {UPLOAD_LIMIT_MB} MB, the most this app reads; "
                "it was not read."
            )
        else:
            sized.append(f)
    codebooks = [f for f in sized if f.name.lower().endswith(".json")]
    tables = [f for f in sized if f.name.lower().endswith(".csv")]
    found: dict[str, Database] = {}
    for table in tables:
        stem = Path(str(table.name)).stem
        book = next((c for c in codebooks if c.name.startswith(stem)), codebooks[0] if len(codebooks) == 1 else None)
        name = f"{safe_name(stem)} (uploaded)"
        data = table.getvalue()
        book_data = book.getvalue() if book else None
        try:
            data = fetch.gunzip_capped(data, UPLOAD_LIMIT_BYTES, "the upload")
            digest = _digest(book_data) if book_data else None
            found[name] = _read_upload(_digest(data), name, "your uploaded file", digest, data, book_data)
        except MetapsyError as exc:
            errors.append(f"{widgets.code(_file_label(table.name))} cannot be used: {widgets.code(exc)}")
    return found, errors


def safe_name(text: str) -> str:
    """A name from a file or address that is safe anywhere on the page: letters, digits, spaces, dots, dashes."""
    cleaned = re.sub(r"[^A-Za-z0-9 .-]+", "-", str(text)).strip(" .-")
    return cleaned[:60].strip(" .-") or "file"


def _own_file_info(name: str, what: str) -> sources.DatabaseInfo:
    return sources.DatabaseInfo(
        name=name,
        repo="",
        condition=f"{name.rsplit(' (', 1)[0]} ({what})",
        doi=None,
        commit=None,
        last_search=None,
        licence=None,
        listed="not listed",
        offered=False,
    )


def _file_label(name: str) -> str:
    """A file name fit to show: printable, at most 60 characters."""
    text = "".join(ch for ch in str(name) if ch.isprintable())
    return text[:60] + ("…" if len(text) > 60 else "") or "file"


def render_no_data(found: Databases | None = None) -> None:
    st.info(
        "No Metapsy database can be shown yet: none is on this server and none could be fetched. Check the "
        "connection and reload, give the address of a Metapsy file, or upload a Metapsy `data.csv` in the "
        "**Data source** panel above.",
        icon=":material/database:",
    )


# ---------------------------------------------------------------- credit


def render_credit(db: Database, found: Databases) -> None:
    """Licence credit, DOI, version and last literature search of the database shown."""
    info = db.info
    recorded = found.provenance.get(db.name, {})
    origin = recorded.get("origin")
    if db.name in found.extra and origin != "address":
        st.markdown(
            f"Data: your uploaded file {widgets.code(db.name)} (version unknown). Metapsy databases are © "
            f"{sources.CREDIT} and shared under the [{sources.LICENCE}]({sources.LICENCE_URL})."
        )
        return
    if origin == "address":
        st.markdown(
            f"Data: the file at {widgets.code(recorded.get('url') or 'the address given')} (version unknown, fetched "
            f"{widgets.escape(recorded.get('fetched_at') or '')}). Metapsy databases are © {sources.CREDIT} and shared "
            f"under the [{sources.LICENCE}]({sources.LICENCE_URL})."
        )
        return
    commit = recorded.get("commit") or info.commit
    if origin == "local":
        version = f"commit {commit[:12]} (local copy)" if commit else "local copy, version unknown"
    elif commit:
        version = f"commit {commit[:12]}"
    else:
        version = "latest main branch (not pinned)"
    if recorded.get("fetched_at"):
        version += f", fetched {recorded['fetched_at']}"
    last_search = recorded.get("last_search") or info.last_search or "not stated"
    doi = f"[{info.doi}]({info.doi_url})" if info.doi else "none given"
    licence = f"[{info.licence_name}]({info.licence_url})" if info.licence_url else widgets.escape(info.licence_name)
    if (info.licence_source or "").startswith("Metapsy default"):
        licence += " (the Metapsy project's default licence; this repository's own licence file was not checked)"
    # Markdown, not a caption: caption links are drawn faded, below a 4.5:1 contrast.
    # Repository names, commits and dates come from the catalogue or were checked against a pattern.
    st.markdown(
        f"Data: **{info.repo}**, © {sources.CREDIT}, {licence}. DOI: {doi}. "
        f"Version: {version}. Last literature search: {last_search}. "
        f"Source: github.com/metapsy-project/{info.repo}."
    )
