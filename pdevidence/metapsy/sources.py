"""Where Metapsy databases come from: known databases, upstream addresses, credit and licence."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

SHARED_DIR = Path(__file__).resolve().parents[3] / "shared" / "metapsy"
CACHE_DIR = Path.home() / ".cache" / "pdevidence" / "metapsy"
UPSTREAM_CSV = "https://raw.githubusercontent.com/metapsy-project/{repo}/main/data.csv"
UPSTREAM_CODEBOOK = "https://raw.githubusercontent.com/metapsy-project/{repo}/main/metadata/variable_description.json"
UPSTREAM_COMMIT_API = "https://api.github.com/repos/metapsy-project/{repo}/commits/main"
TIMEOUT_SECONDS = 20

LICENCE = "Open Data Commons Attribution License v1.0 (ODC-By)"
LICENCE_URL = "https://opendatacommons.org/licenses/by/1-0/"
CREDIT = "Metapsy project (metapsy.org)"


@dataclass(frozen=True)
class DatabaseInfo:
    """What is known about a published Metapsy database (from shared/metapsy/README.md)."""

    name: str
    repo: str
    condition: str
    doi: str | None
    commit: str | None
    last_search: str | None

    @property
    def doi_url(self) -> str | None:
        return f"https://doi.org/{self.doi}" if self.doi else None

    @property
    def csv_url(self) -> str:
        return UPSTREAM_CSV.format(repo=self.repo)

    @property
    def codebook_url(self) -> str:
        return UPSTREAM_CODEBOOK.format(repo=self.repo)


# The commit is that of the copies in shared/metapsy/; a fresh download may be newer.
KNOWN_DATABASES: dict[str, DatabaseInfo] = {
    info.name: info
    for info in (
        DatabaseInfo(
            "depression-psyctr",
            "data-depression-psyctr",
            "Depression",
            "10.5281/zenodo.7254845",
            "ceeabb718db4",
            "2024-01-01",
        ),
        DatabaseInfo(
            "panic-psyctr",
            "data-panic-psyctr",
            "Panic disorder",
            "10.5281/zenodo.7863722",
            "2318d1461256",
            "2021-01-01",
        ),
        DatabaseInfo(
            "bodily-distress-psyctr",
            "data-bodily-distress-psyctr",
            "Bodily distress",
            None,
            "3ef2b7d57f53",
            "2025-01-08",
        ),
        DatabaseInfo(
            "ptsd-psyctr", "data-ptsd-psyctr", "PTSD", "10.5281/zenodo.10027042", "18e03cb817d8", "2023-03-03"
        ),
        DatabaseInfo(
            "sad-psyctr", "data-sad-psyctr", "Social anxiety", "10.5281/zenodo.12726122", "cc33ac16fa9c", "2024-01-01"
        ),
        DatabaseInfo(
            "ocd-psyctr",
            "data-ocd-psyctr",
            "Obsessive-compulsive disorder",
            "10.5281/zenodo.10471942",
            "0786f690c96e",
            "2023-01-01",
        ),
        DatabaseInfo("ed-psyctr", "data-ed-psyctr", "Eating disorders", None, "d1fe7b2f7f3d", "2024-01-01"),
        DatabaseInfo(
            "psychosis-psyctr",
            "data-psychosis-psyctr",
            "Psychosis",
            "10.5281/zenodo.7782324",
            "6a4c141d5419",
            "2024-05-01",
        ),
    )
}


def info_for(name: str) -> DatabaseInfo:
    """Known facts about a database, or a minimal record for one not in the table."""
    if name in KNOWN_DATABASES:
        return KNOWN_DATABASES[name]
    condition = re.sub(r"[-_]psyctr$", "", name).replace("-", " ").replace("_", " ").strip()
    return DatabaseInfo(name, f"data-{name}", condition.capitalize() or name, None, None, None)


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
