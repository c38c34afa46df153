"""Where Metapsy databases come from: the catalogue (the official index, bundled and refreshed), pinned addresses, credit.

The Metapsy project lists its databases in one index, `data-index.csv` in the
metapsyData repository. A copy of its list, with the date it was read and, for
each database, a pinned commit, the codebook's commit, a checksum where one
could be checked, the DOI and the licence, is bundled as
`data/metapsy_catalogue.csv`. When online, the index is read again (at most
once a day) and databases added since are offered too, unpinned.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import os
import re
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE_CSV = ROOT / "data" / "metapsy_catalogue.csv"
SHARED_DIR = ROOT.parent / "shared" / "metapsy"
CACHE_DIR = Path.home() / ".cache" / "pdevidence" / "metapsy"
CACHE_ENV = "PDEVIDENCE_CACHE"
LOCAL_DIR_ENV = "PDEVIDENCE_METAPSY_DIR"
UPSTREAM_ENV = "PDEVIDENCE_METAPSY_UPSTREAM"
DEFAULT_UPSTREAM = "https://raw.githubusercontent.com/metapsy-project"
INDEX_PATH = "metapsyData/master/pkgdown/assets/data/data-index.csv"
INDEX_MAX_AGE_SECONDS = 24 * 3600
INDEX_MAX_BYTES = 256 * 1024
TIMEOUT_SECONDS = 10

LICENCE = "Open Data Commons Attribution License v1.0 (ODC-By)"
LICENCE_URL = "https://opendatacommons.org/licenses/by/1-0/"
LICENCES = {"ODC-By-1.0": (LICENCE, LICENCE_URL)}
CREDIT = "Metapsy project (metapsy.org)"

# Names become folder names in the cache: only these characters, never a path.
SHORTHAND = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
COMMIT = re.compile(r"^[0-9a-f]{40}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
DOI = re.compile(r"^10\.\d{4,9}/[A-Za-z0-9._/-]{1,200}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def upstream_base() -> str:
    """Where the GitHub layout is read from (raw.githubusercontent.com unless a test points elsewhere)."""
    return (os.environ.get(UPSTREAM_ENV) or DEFAULT_UPSTREAM).rstrip("/")


def index_url() -> str:
    return f"{upstream_base()}/{INDEX_PATH}"


def cache_dir() -> Path:
    """Downloads live here, outside the repository; PDEVIDENCE_CACHE moves it.

    Where the home folder cannot be written (a read-only host), the system's
    temporary folder is used instead.
    """
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    try:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        if os.access(CACHE_DIR, os.W_OK):
            return CACHE_DIR
    except OSError:
        pass
    return Path(tempfile.gettempdir()) / "pdevidence-metapsy"


def local_dir() -> Path | None:
    """A folder of local copies (shared/metapsy beside the checkout) if there is one; a hosted copy has none.

    PDEVIDENCE_METAPSY_DIR names another folder; set to an empty string it turns local copies off.
    """
    override = os.environ.get(LOCAL_DIR_ENV)
    if override is not None:
        return Path(override) if override and Path(override).is_dir() else None
    return SHARED_DIR if SHARED_DIR.is_dir() else None


@dataclass(frozen=True)
class DatabaseInfo:
    """What the catalogue knows about one Metapsy database."""

    name: str
    repo: str
    condition: str
    doi: str | None
    commit: str | None
    last_search: str | None
    codebook_commit: str | None = None
    sha256: str | None = None
    licence: str | None = "ODC-By-1.0"
    licence_source: str | None = None
    listed: str = "index"
    offered: bool = True
    note: str = ""
    docs: str | None = None

    @property
    def doi_url(self) -> str | None:
        return f"https://doi.org/{self.doi}" if self.doi else None

    @property
    def pinned(self) -> bool:
        return bool(self.commit)

    @property
    def ref(self) -> str:
        """The git reference fetched: the pinned commit, else the main branch."""
        return self.commit or "main"

    @property
    def csv_url(self) -> str:
        return f"{upstream_base()}/{self.repo}/{self.ref}/data.csv"

    @property
    def codebook_url(self) -> str:
        return f"{upstream_base()}/{self.repo}/{self.ref}/metadata/variable_description.json"

    @property
    def codebook_urls(self) -> list[str]:
        """Where the codebook is looked for: at the pinned commit, then at the codebook's own commit."""
        urls = [self.codebook_url]
        if self.codebook_commit and self.codebook_commit != self.commit:
            urls.append(f"{upstream_base()}/{self.repo}/{self.codebook_commit}/metadata/variable_description.json")
        return urls

    @property
    def last_search_url(self) -> str:
        return f"{upstream_base()}/{self.repo}/{self.ref}/metadata/last_search.txt"

    @property
    def version(self) -> str:
        return f"commit {self.commit[:12]}" if self.commit else "latest main branch (not pinned)"

    @property
    def licence_name(self) -> str:
        return LICENCES.get(self.licence or "", (self.licence or "licence not stated", None))[0]

    @property
    def licence_url(self) -> str | None:
        return LICENCES.get(self.licence or "", (None, None))[1]


def _clean(value: str | None, pattern: re.Pattern) -> str | None:
    value = (value or "").strip()
    return value if value and pattern.match(value) else None


def read_catalogue(path: Path = CATALOGUE_CSV) -> dict[str, DatabaseInfo]:
    """The bundled catalogue, by shorthand. Rows whose name, repository or pin is malformed are refused loudly."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out: dict[str, DatabaseInfo] = {}
    for number, row in enumerate(rows, start=2):
        name, repo = row["shorthand"].strip(), row["repo"].strip()
        problems = [
            what
            for what, ok in (
                ("shorthand", SHORTHAND.match(name)),
                ("repo", REPO.match(repo)),
                ("commit", not row["commit"] or COMMIT.match(row["commit"])),
                ("codebook_commit", not row["codebook_commit"] or COMMIT.match(row["codebook_commit"])),
                ("sha256", not row["sha256"] or SHA256.match(row["sha256"])),
                ("doi", not row["doi"] or DOI.match(row["doi"])),
                ("last_search", not row["last_search"] or DATE.match(row["last_search"])),
                ("offered", row["offered"] in ("yes", "no")),
            )
            if not ok
        ]
        if problems or name in out:
            raise ValueError(f"{path.name} line {number}: bad {', '.join(problems) or 'duplicate shorthand'}")
        out[name] = DatabaseInfo(
            name=name,
            repo=repo,
            condition=row["condition"].strip(),
            doi=row["doi"] or None,
            commit=row["commit"] or None,
            last_search=row["last_search"] or None,
            codebook_commit=row["codebook_commit"] or None,
            sha256=row["sha256"] or None,
            licence=row["licence"] or None,
            licence_source=row["licence_source"] or None,
            listed=row["listed"],
            offered=row["offered"] == "yes",
            note=row["note"],
            docs=row["docs"] or None,
        )
    return out


def catalogue_read_on(path: Path = CATALOGUE_CSV) -> str | None:
    """The date the bundled copy of the official index was read."""
    with open(path, newline="", encoding="utf-8") as fh:
        dates = {row["index_read_on"] for row in csv.DictReader(fh) if row["index_read_on"]}
    return max(dates) if dates else None


KNOWN_DATABASES: dict[str, DatabaseInfo] = read_catalogue()
DEFAULT_DATABASE = "depression-psyctr"


@dataclass(frozen=True)
class IndexEntry:
    shorthand: str
    repo: str
    docs: str | None
    doi: str | None


def parse_index(data: bytes | str) -> list[IndexEntry]:
    """The rows of the official `data-index.csv` (`;`-separated: shorthand, repo, url, doi).

    Rows with a malformed shorthand or repository name are skipped, never used
    as a path; a malformed DOI is dropped.
    """
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";")
    header = [h.strip().lower() for h in next(reader, [])]
    if not {"shorthand", "repo"} <= set(header):
        return []
    at = {h: i for i, h in enumerate(header)}
    entries: list[IndexEntry] = []
    for row in reader:
        cells = [c.strip() for c in row]

        def cell(key, cells=cells):
            i = at.get(key)
            return cells[i] if i is not None and i < len(cells) else ""

        shorthand, repo = cell("shorthand"), cell("repo")
        if not SHORTHAND.match(shorthand) or not REPO.match(repo):
            continue
        docs = cell("url")
        entries.append(IndexEntry(shorthand, repo, docs if SHORTHAND.match(docs) else None, _clean(cell("doi"), DOI)))
    return entries


def merge_index(known: dict[str, DatabaseInfo], entries: list[IndexEntry]) -> dict[str, DatabaseInfo]:
    """The bundled catalogue plus databases the index lists that it lacks (unpinned, fetched from main)."""
    out = dict(known)
    for entry in entries:
        if entry.shorthand in out:
            info = out[entry.shorthand]
            if info.doi is None and entry.doi:
                out[entry.shorthand] = replace(info, doi=entry.doi)
            continue
        out[entry.shorthand] = DatabaseInfo(
            name=entry.shorthand,
            repo=entry.repo,
            condition=condition_from_name(entry.shorthand),
            doi=entry.doi,
            commit=None,
            last_search=None,
            licence="ODC-By-1.0",
            licence_source="Metapsy default licence (docs.metapsy.org/data-preparation/metadata)",
            listed="index (read again online)",
            offered=entry.shorthand != "template",
            note="Added to the official index after the bundled copy was read: not pinned.",
            docs=entry.docs,
        )
    return out


@dataclass(frozen=True)
class Catalogue:
    """The databases on offer and where their list comes from."""

    databases: dict[str, DatabaseInfo]
    read_on: str | None
    refreshed: bool

    @property
    def offered(self) -> tuple[str, ...]:
        return tuple(name for name, info in self.databases.items() if info.offered)


_INDEX_FILE = "data-index.csv"
_INDEX_STAMP = "data-index.json"


def cached_index() -> tuple[list[IndexEntry], str | None]:
    """The index as last read online (from the cache), and when; nothing if it was never read."""
    folder = cache_dir()
    try:
        stamp = json.loads((folder / _INDEX_STAMP).read_text(encoding="utf-8"))
        data = (folder / _INDEX_FILE).read_bytes()[:INDEX_MAX_BYTES]
    except (OSError, ValueError):
        return [], None
    read_on = stamp.get("read_on") if isinstance(stamp, dict) else None
    return parse_index(data), read_on if isinstance(read_on, str) and DATE.match(read_on[:10]) else None


def refresh_index(max_age: float = INDEX_MAX_AGE_SECONDS, *, limits=None) -> str:
    """Read the official index again if the cached reading is older than `max_age` seconds.

    Never raises: returns what happened, in words, for the page to show.
    """
    from pdevidence.metapsy import fetch as fetching  # late: fetch stays free of the catalogue

    folder = cache_dir()
    stamp_path = folder / _INDEX_STAMP
    try:
        age = dt.datetime.now(dt.UTC).timestamp() - stamp_path.stat().st_mtime
        if age < max_age:
            return "The index was read recently; not read again."
    except OSError:
        pass
    limits = limits or fetching.Limits.default(max_bytes=INDEX_MAX_BYTES, deadline=10.0)
    try:
        data = fetching.fetch(index_url(), limits=limits)
    except fetching.SourceError as exc:
        return f"The official index could not be read again ({exc}); the bundled list is used."
    entries = parse_index(data)
    if not entries:
        return "The official index did not look like the Metapsy index; the bundled list is used."
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{_INDEX_FILE}.{os.getpid()}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, folder / _INDEX_FILE)
        today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
        stamp_path.write_text(json.dumps({"read_on": today, "entries": len(entries)}), encoding="utf-8")
    except OSError:
        return "The official index was read but could not be saved; the bundled list is used."
    return f"The official index was read again: {len(entries)} databases listed."


def catalogue() -> Catalogue:
    """The bundled catalogue merged with the official index as last read online (see refresh_index)."""
    entries, read_on = cached_index()
    if entries:
        return Catalogue(merge_index(KNOWN_DATABASES, entries), read_on, True)
    return Catalogue(dict(KNOWN_DATABASES), catalogue_read_on(), False)


def condition_from_name(name: str) -> str:
    condition = re.sub(r"[-_]psyctr$", "", name).replace("-", " ").replace("_", " ").strip()
    return condition.capitalize() or name


def info_for(name: str) -> DatabaseInfo:
    """Known facts about a database, or a minimal record for one not in the catalogue."""
    if name in KNOWN_DATABASES:
        return KNOWN_DATABASES[name]
    repo = f"data-{name}" if SHORTHAND.match(name) else "unknown"
    return DatabaseInfo(name, repo, condition_from_name(name), None, None, None, licence=None, listed="not listed")


def name_from_source(source: str) -> str:
    """A database name from a path or URL: `depression-psyctr` for .../data-depression-psyctr/main/data.csv."""
    parts = [p for p in urlparse(source).path.split("/") if p] if is_url(source) else list(Path(source).parts)
    if not parts:
        return "database"
    stem = re.sub(r"\.csv$", "", parts[-1], flags=re.I)
    if stem == "data":
        for part in reversed(parts[:-1]):
            if part.startswith("data-"):
                return part[len("data-") :]
    return stem


def is_url(source) -> bool:
    return isinstance(source, str) and re.match(r"^https?://", source, flags=re.I) is not None


def shared_readme_versions(directory: Path | None = None) -> dict[str, dict[str, str]]:
    """Commit and last search of each local copy, from the table in shared/metapsy/README.md ({} if none).

    Read again only when the file changes (its size and modification time); a page asks once per database and run.
    """
    directory = directory or local_dir()
    if directory is None:
        return {}
    path = directory / "README.md"
    try:
        version = stamp(path)
    except OSError:
        return {}
    return {name: dict(row) for name, row in _readme_versions(str(path), version).items()}


def stamp(path: Path) -> str:
    """A file's size and modification time: both change whenever the file is written (OSError if it is not there).
    What keeps a file's reading or checksum until the file changes."""
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


@functools.lru_cache(maxsize=8)
def _readme_versions(path: str, version: str) -> dict[str, dict[str, str]]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return {}
    out: dict[str, dict[str, str]] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].endswith(".csv") and re.fullmatch(r"[0-9a-f]{7,40}", cells[3]):
            out[cells[0][: -len(".csv")]] = {
                "commit": cells[3],
                "last_search": cells[4] if DATE.match(cells[4]) else "",
            }
    return out
