"""The download cache: catalogue databases and fetched addresses saved outside the repository, with provenance.

Layout (under `sources.cache_dir()`, never inside the repository):

    <shorthand>/<commit or main>/data.csv
    <shorthand>/<commit or main>/variable_description.json   (when found)
    <shorthand>/<commit or main>/source.json                 (url, commit, sha256, fetched_at, last_search)
    urls/<sha256 of the address>/...                          (a Metapsy file given by its address)

Folder names come only from catalogue shorthands and commits (checked
patterns) or from a hash, and every path is checked to stay inside the cache,
so nothing a visitor types reaches the file system. A download is checked (it
must parse as a Metapsy table, and match the catalogue's checksum where one is
given) before it is saved, and saved by atomic rename.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from pdevidence.metapsy import fetch as fetching
from pdevidence.metapsy.errors import MetapsyError, SourceError
from pdevidence.metapsy.sources import (
    COMMIT,
    SHORTHAND,
    DatabaseInfo,
    cache_dir,
    local_dir,
    shared_readme_versions,
    stamp,
)

CSV_NAME = "data.csv"
CODEBOOK_NAME = "variable_description.json"
SIDECAR_NAME = "source.json"
CODEBOOK_MAX_BYTES = 2 * 1024 * 1024
LAST_SEARCH_MAX_BYTES = 200
URL_CACHE_SECONDS = 3600
FAILURE_MEMORY_SECONDS = 60  # an offline fetch is not retried on every rerun
MAX_URL_ENTRIES = 20  # files fetched by address kept on disk; the oldest go first
MAX_PARALLEL_FETCHES = 3  # downloads running at once in one server process
BUSY_WAIT_SECONDS = 20
_fetch_slots = threading.BoundedSemaphore(MAX_PARALLEL_FETCHES)


class CacheError(SourceError):
    """A cache path would leave the cache folder, or a cached file is damaged."""


@dataclass(frozen=True)
class Cached:
    """A database ready to read: its data file, codebook if any, and what is known of its version."""

    name: str
    csv: Path
    codebook: Path | None
    provenance: dict

    @property
    def origin(self) -> str:
        return self.provenance.get("origin", "cache")


def _inside(base: Path, *parts: str) -> Path:
    """base/parts, refusing anything that would resolve outside base."""
    base = base.resolve()
    path = base.joinpath(*parts).resolve()
    if path != base and base not in path.parents:
        raise CacheError("a cache path left the cache folder and was refused.")
    return path


def entry_dir(info: DatabaseInfo, base: Path | None = None) -> Path:
    if not SHORTHAND.match(info.name) or not (info.commit is None or COMMIT.match(info.commit)):
        raise CacheError("this database name cannot be cached.")
    return _inside(base or cache_dir(), info.name, info.ref)


def url_dir(url: str, base: Path | None = None) -> Path:
    return _inside(base or cache_dir(), "urls", hashlib.sha256(url.encode("utf-8")).hexdigest()[:40])


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise CacheError("the download could not be saved on this server (no room, or no permission).") from exc


def _read_json(path: Path) -> dict:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _checksum(path: Path) -> str:
    """The file's sha256, read again only when its size or modification time changed since this server process
    last read it (a page asks for every cached database on each run; reading and hashing them all each time is
    what this spares). Cache files are only ever replaced whole (`_write_atomic`), which changes both."""
    return _checksum_of(str(path), stamp(path))


@functools.lru_cache(maxsize=256)
def _checksum_of(path: str, version: str) -> str:
    return _sha256(Path(path).read_bytes())


def _complete(folder: Path) -> Cached | None:
    """The cached entry in a folder if its data file matches the checksum recorded when it was saved."""
    csv_path, sidecar = folder / CSV_NAME, folder / SIDECAR_NAME
    provenance = _read_json(sidecar)
    if not provenance or not csv_path.is_file():
        return None
    try:
        if _checksum(csv_path) != provenance.get("sha256"):
            return None
    except OSError:
        return None
    codebook = folder / CODEBOOK_NAME
    return Cached(
        provenance.get("name", folder.parent.name), csv_path, codebook if codebook.is_file() else None, provenance
    )


def local_copy(info: DatabaseInfo) -> Cached | None:
    """A local copy (shared/metapsy beside the checkout) of a catalogue database, if there is one."""
    directory = local_dir()
    if directory is None or not SHORTHAND.match(info.name):
        return None
    path = directory / f"{info.name}.csv"
    if not path.is_file():
        return None
    codebook = directory / f"{info.name}.variables.json"
    recorded = shared_readme_versions(directory).get(info.name, {})
    return Cached(
        info.name,
        path,
        codebook if codebook.is_file() else None,
        {
            "origin": "local",
            "name": info.name,
            "commit": recorded.get("commit") or None,
            "last_search": recorded.get("last_search") or None,
        },
    )


def cached(info: DatabaseInfo) -> Cached | None:
    """The cached copy of a catalogue database at its pinned version, if complete and undamaged."""
    try:
        return _complete(entry_dir(info))
    except CacheError:
        return None


def available(info: DatabaseInfo) -> Cached | None:
    """A copy that needs no network: local first, then the cache."""
    return local_copy(info) or cached(info)


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()
_failures: dict[str, tuple[float, SourceError]] = {}


def _lock(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def forget_failures() -> None:
    _failures.clear()


def _validate_table(data: bytes, label: str) -> None:
    from pdevidence.metapsy.read import read_table, validate_columns  # late: reading imports the fetcher

    validate_columns(read_table(data, label), label)


def _fetch_optional(urls: list[str], max_bytes: int, limits: fetching.Limits) -> bytes | None:
    for url in urls:
        try:
            return fetching.fetch(url, limits=limits.replace(max_bytes=max_bytes))
        except SourceError:
            continue
    return None


def ensure(info: DatabaseInfo, progress=None, *, limits: fetching.Limits | None = None) -> Cached:
    """A readable copy of a catalogue database: local, cached, or fetched now at its pinned version.

    `progress(fraction_or_None, message)` reports the download. Raises
    SourceError (with a message fit for visitors) when it cannot be fetched;
    a failure is remembered for a minute so an offline page does not wait on
    every rerun.
    """
    found = available(info)
    if found is not None:
        return found
    key = f"db:{info.name}:{info.ref}"
    with _lock(key):
        found = cached(info)
        if found is not None:
            return found
        failed = _failures.get(key)
        if failed and time.monotonic() - failed[0] < FAILURE_MEMORY_SECONDS:
            raise failed[1]
        try:
            return _download(info, progress, limits or fetching.Limits.default())
        except SourceError as exc:
            _failures[key] = (time.monotonic(), exc)
            raise


def _download(info: DatabaseInfo, progress, limits: fetching.Limits) -> Cached:
    def report(received: int, expected: int | None) -> None:
        if progress is not None:
            fraction = min(received / expected, 1.0) if expected else None
            progress(fraction, f"Downloading {info.name}: {received / 1024:,.0f} kB")

    if progress is not None:
        progress(0.0, f"Fetching {info.name} from github.com/metapsy-project ({info.version})")
    with _slot():
        data = fetching.fetch(info.csv_url, limits=limits, progress=report)
    digest = _sha256(data)
    if info.sha256 and digest != info.sha256:
        raise SourceError(
            f"the download of {info.name} does not match the pinned version (its checksum differs), so it was not used."
        )
    try:
        _validate_table(data, info.name)
    except MetapsyError as exc:
        raise SourceError(f"the download of {info.name} is not a readable Metapsy table: {exc}") from exc
    codebook = _fetch_optional(info.codebook_urls, CODEBOOK_MAX_BYTES, limits)
    last_search = info.last_search
    if not last_search:
        raw = _fetch_optional([info.last_search_url], LAST_SEARCH_MAX_BYTES, limits)
        text = raw.decode("utf-8", errors="replace").strip() if raw else ""
        last_search = text if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    folder = entry_dir(info)
    if codebook:
        _write_atomic(folder / CODEBOOK_NAME, codebook)
    provenance = {
        "origin": "download",
        "name": info.name,
        "url": info.csv_url,
        "commit": info.commit,
        "pinned": info.pinned,
        "sha256": digest,
        "checksum_checked": bool(info.sha256),
        "fetched_at": _now(),
        "last_search": last_search,
    }
    _write_atomic(folder / CSV_NAME, data)
    _write_atomic(folder / SIDECAR_NAME, json.dumps(provenance, indent=1).encode("utf-8"))
    if progress is not None:
        progress(1.0, f"{info.name} downloaded")
    return Cached(info.name, folder / CSV_NAME, folder / CODEBOOK_NAME if codebook else None, provenance)


@contextlib.contextmanager
def _slot():
    """One of a few download slots, so many visitors at once cannot start unbounded downloads."""
    if not _fetch_slots.acquire(timeout=BUSY_WAIT_SECONDS):
        raise SourceError("the server is busy with other downloads; try again in a minute.")
    try:
        yield
    finally:
        _fetch_slots.release()


def _prune_urls(folder: Path, keep: int | None = None) -> None:
    """Keep only the most recent files fetched by address."""
    keep = MAX_URL_ENTRIES if keep is None else keep
    try:
        entries = sorted((p for p in folder.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in entries[keep:]:
        with contextlib.suppress(OSError):
            shutil.rmtree(old)


def codebook_urls_beside(url: str) -> list[str]:
    """Where a codebook may sit beside a data file's address (GitHub layout, then the shared-folder name)."""
    base = url.split("?", 1)[0].split("#", 1)[0]
    head, _, tail = base.rpartition("/")
    stem = re.sub(r"\.csv$", "", tail, flags=re.I)
    return [f"{head}/metadata/variable_description.json", f"{head}/{stem}.variables.json"]


def ensure_url(url: str, progress=None, *, limits: fetching.Limits | None = None) -> Cached:
    """A Metapsy file given by its address, fetched within the limits and cached for an hour."""
    limits = limits or fetching.Limits.default()
    fetching.check_url(url, limits)  # refuse before touching the cache
    folder = url_dir(url)
    key = f"url:{folder.name}"
    with _lock(key):
        found = _complete(folder)
        if found is not None:
            try:
                age = time.time() - (folder / SIDECAR_NAME).stat().st_mtime
            except OSError:
                age = URL_CACHE_SECONDS
            if age < URL_CACHE_SECONDS:
                return found
        failed = _failures.get(key)
        if failed and time.monotonic() - failed[0] < FAILURE_MEMORY_SECONDS:
            raise failed[1]
        try:
            return _download_url(url, folder, progress, limits)
        except SourceError as exc:
            _failures[key] = (time.monotonic(), exc)
            raise


def _download_url(url: str, folder: Path, progress, limits: fetching.Limits) -> Cached:
    def report(received: int, expected: int | None) -> None:
        if progress is not None:
            progress(min(received / expected, 1.0) if expected else None, f"Downloading: {received / 1024:,.0f} kB")

    if progress is not None:
        progress(0.0, "Fetching the file at the address given")
    with _slot():
        data = fetching.fetch(url, limits=limits, progress=report)
    label = fetching.shown_url(url)
    try:
        _validate_table(data, label)
    except MetapsyError as exc:
        raise SourceError(str(exc)) from exc
    codebook = _fetch_optional(codebook_urls_beside(url), CODEBOOK_MAX_BYTES, limits)
    from pdevidence.metapsy.sources import name_from_source

    name = name_from_source(url)
    name = name if SHORTHAND.match(name) else "database"
    if codebook:
        _write_atomic(folder / CODEBOOK_NAME, codebook)
    provenance = {
        "origin": "address",
        "name": name,
        "url": label,
        "commit": None,
        "pinned": False,
        "sha256": _sha256(data),
        "fetched_at": _now(),
        "last_search": None,
    }
    _write_atomic(folder / CSV_NAME, data)
    _write_atomic(folder / SIDECAR_NAME, json.dumps(provenance, indent=1).encode("utf-8"))
    _prune_urls(folder.parent)
    if progress is not None:
        progress(1.0, "Downloaded")
    return Cached(name, folder / CSV_NAME, folder / CODEBOOK_NAME if codebook else None, provenance)


def prefetch(infos, limits: fetching.Limits | None = None) -> dict[str, str]:
    """Fetch every database not yet here, one after another (for the across-conditions view).

    Returns what happened to each, in words. Stops at the first sign of being
    offline, so an unreachable upstream is asked once, not once per database.
    """
    outcome: dict[str, str] = {}
    for info in infos:
        if available(info) is not None:
            outcome[info.name] = "here"
            continue
        try:
            ensure(info, limits=limits)
            outcome[info.name] = "fetched"
        except fetching.FetchError as exc:
            outcome[info.name] = f"not fetched: {exc}"
            if exc.limit in ("network", "timeout", "scheme", "address"):
                break
        except SourceError as exc:
            outcome[info.name] = f"not fetched: {exc}"
    return outcome
