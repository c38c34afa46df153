"""The download cache: upstream databases saved outside the repository, with their provenance."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from pdevidence.metapsy.errors import SourceError
from pdevidence.metapsy.fetch import fetch
from pdevidence.metapsy.read import read_table, validate_columns
from pdevidence.metapsy.sources import CACHE_DIR, KNOWN_DATABASES, TIMEOUT_SECONDS, UPSTREAM_COMMIT_API, DatabaseInfo


def cache_dir() -> Path:
    return Path(os.environ.get("PDEVIDENCE_CACHE", CACHE_DIR))


@dataclass(frozen=True)
class Downloaded:
    name: str
    path: Path
    commit: str | None
    downloaded_at: str


def download_database(info: DatabaseInfo, target: Path, timeout: float = TIMEOUT_SECONDS) -> Downloaded:
    """Fetch one upstream database and its codebook into `target`; checks it parses before saving."""
    data = fetch(info.csv_url, timeout)
    read_table(data, info.csv_url).pipe(validate_columns, info.csv_url)
    try:
        codebook = fetch(info.codebook_url, timeout)
    except SourceError:
        codebook = None
    commit = None
    with contextlib.suppress(SourceError, ValueError, AttributeError):
        commit = json.loads(fetch(UPSTREAM_COMMIT_API.format(repo=info.repo), timeout)).get("sha")
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{info.name}.csv"
    path.write_bytes(data)
    if codebook:
        (target / f"{info.name}.variables.json").write_bytes(codebook)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    (target / f"{info.name}.source.json").write_text(
        json.dumps({"url": info.csv_url, "commit": commit, "downloaded_at": stamp}, indent=1), encoding="utf-8"
    )
    return Downloaded(info.name, path, commit, stamp)


def download_all(target: Path | None = None, timeout: float = TIMEOUT_SECONDS) -> list[Downloaded]:
    """Fetch every known database; the first failure stops with a SourceError."""
    target = target or cache_dir()
    return [download_database(info, target, timeout) for info in KNOWN_DATABASES.values()]


def cached_provenance(path: Path) -> dict:
    """What was recorded when a cached database was downloaded ({} if nothing)."""
    sidecar = Path(path).with_name(Path(path).stem + ".source.json")
    try:
        return json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
