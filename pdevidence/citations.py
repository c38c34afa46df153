"""Citations to take away: the filtered trials as RIS and BibTeX records, one per trial.

Built from the bibliographic columns of trials.csv (first author, year, title,
journal, DOI, PMID). Only the first author is recorded there, so records say
so in a note instead of inventing the rest of the author list.
"""

from __future__ import annotations

import re

import pandas as pd

AUTHOR_NOTE = "First author only; the full author list is at the DOI or PubMed link."

# Characters that change meaning in BibTeX values; each is written escaped.
_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def _text(value) -> str:
    """One line of plain text: no line breaks or control characters (they would start a new RIS tag)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return " ".join(_CONTROL.sub(" ", str(value)).split())


def studies(trials: pd.DataFrame) -> pd.DataFrame:
    """One row per trial (the first of its comparisons), in the order given."""
    return trials.drop_duplicates("study")


def _note(row) -> str:
    parts = [AUTHOR_NOTE]
    condition = _text(row.get("condition"))
    if condition:
        parts.append(f"Trial of psychodynamic therapy: {condition}; N = {_text(row.get('n_randomized'))} randomized.")
    return " ".join(parts)


def _link(row) -> str:
    doi, pmid = _text(row.get("doi")), _text(row.get("pmid"))
    if doi:
        return f"https://doi.org/{doi}"
    if pmid:
        return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
    return ""


def to_ris(trials: pd.DataFrame) -> str:
    """RIS records (journal articles), one per trial."""
    lines: list[str] = []
    for _, row in studies(trials).iterrows():
        record = [
            ("TY", "JOUR"),
            ("ID", _text(row["study"])),
            ("AU", _text(row["first_author"])),
            ("PY", _text(row["year"])),
            ("TI", _text(row["title"])),
            ("T2", _text(row["journal"])),
            ("DO", _text(row.get("doi"))),
            ("AN", _text(row.get("pmid"))),
            ("DB", "PubMed" if _text(row.get("pmid")) else ""),
            ("UR", _link(row)),
            ("N1", _note(row)),
        ]
        lines += [f"{tag}  - {value}" for tag, value in record if value]
        lines += ["ER  - ", ""]
    return "\n".join(lines)


def _bibtex_value(value) -> str:
    return "".join(_BIBTEX_SPECIAL.get(ch, ch) for ch in _text(value))


def _verbatim(value) -> str:
    """A value BibTeX keeps as written (doi, url, pmid): only braces and backslashes, which would end it, are dropped."""
    return re.sub(r"[{}\\]", "", _text(value))


def bibtex_key(study: str) -> str:
    """A citation key made of letters, digits, '-' and '_' only."""
    key = re.sub(r"[^A-Za-z0-9_-]+", "", str(study))
    return key or "trial"


def to_bibtex(trials: pd.DataFrame) -> str:
    """BibTeX @article entries, one per trial; titles braced so their capitals survive."""
    entries: list[str] = []
    seen: set[str] = set()
    for _, row in studies(trials).iterrows():
        key = bibtex_key(row["study"])
        base, i = key, 2
        while key in seen:
            key, i = f"{base}-{i}", i + 1
        seen.add(key)
        fields = [
            ("author", _bibtex_value(row["first_author"])),
            ("title", "{" + _bibtex_value(row["title"]) + "}"),
            ("journal", _bibtex_value(row["journal"])),
            ("year", _bibtex_value(row["year"])),
            ("doi", _verbatim(row.get("doi"))),
            ("pmid", _verbatim(row.get("pmid"))),
            ("url", _verbatim(_link(row))),
            ("note", _bibtex_value(_note(row))),
        ]
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value and value != "{}")
        entries.append(f"@article{{{key},\n{body}\n}}\n")
    return "\n".join(entries)
