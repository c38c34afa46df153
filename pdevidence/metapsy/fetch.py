"""Fetching a database or codebook over HTTP."""

from __future__ import annotations

from pdevidence.metapsy.errors import SourceError
from pdevidence.metapsy.sources import TIMEOUT_SECONDS


def fetch(url: str, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """The body of a URL, or SourceError naming the URL and what went wrong."""
    import requests

    try:
        response = requests.get(url, timeout=timeout, headers={"User-Agent": "pdevidence-metapsy"})
    except requests.RequestException as exc:
        raise SourceError(f"could not fetch {url}: {exc.__class__.__name__}: {exc}") from exc
    if response.status_code != 200:
        raise SourceError(f"could not fetch {url}: HTTP status {response.status_code}")
    return response.content
