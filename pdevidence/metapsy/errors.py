"""Errors raised while reading or fetching a Metapsy database."""

from __future__ import annotations


class MetapsyError(ValueError):
    """A Metapsy database could not be read or used."""


class NotMetapsyError(MetapsyError):
    """A table lacks the columns of the Metapsy data standard; the message lists them."""

    def __init__(self, missing: list[str], source: str = "the file"):
        self.missing = list(missing)
        super().__init__(f"{source} is not a Metapsy database: missing column(s) {', '.join(self.missing)}")


class SourceError(MetapsyError):
    """A database could not be fetched (network, HTTP status or file system)."""
