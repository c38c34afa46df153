"""Citations to take away: the filtered trials, or the sources of the summary of findings, as RIS and BibTeX.

Built from the bibliographic columns of the tables (first author, year, title,
journal, DOI, PMID). Only the first author is recorded there, so records say
so in a note instead of inventing the rest of the author list. A frame may add
`kind` ("article" or "dataset") and `citation_note` columns; without them every row is
a trial's journal article with the trial note.
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
    if _text(row.get("citation_note")):
        return _text(row.get("citation_note"))
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
        dataset = row.get("kind") == "dataset"
        record = [
            ("TY", "DATA" if dataset else "JOUR"),
            ("ID", _text(row["study"])),
            ("AU", _text(row["first_author"])),
            ("PY", _text(row["year"])),
            ("TI", _text(row["title"])),
            ("T2", _text(row["journal"])),
            ("PB", _text(row.get("publisher"))),
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
        dataset = row.get("kind") == "dataset"
        author = _bibtex_value(row["first_author"])
        fields = [
            ("author", "{" + author + "}" if dataset else author),  # a corporate author is one name
            ("title", "{" + _bibtex_value(row["title"]) + "}"),
            ("journal", _bibtex_value(row["journal"])),
            ("publisher", _bibtex_value(row.get("publisher"))),
            ("year", _bibtex_value(row["year"])),
            ("doi", _verbatim(row.get("doi"))),
            ("pmid", _verbatim(row.get("pmid"))),
            ("url", _verbatim(_link(row))),
            ("note", _bibtex_value(_note(row))),
        ]
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value and value != "{}")
        entries.append(f"@{'misc' if dataset else 'article'}{{{key},\n{body}\n}}\n")
    return "\n".join(entries)


# The 2015 review every verdict comes from (its identifiers as on the Sources page).
FONAGY_2015 = {
    "study": "fonagy2015",
    "first_author": "Fonagy",
    "year": 2015,
    "title": "The effectiveness of psychodynamic psychotherapies: an update",
    "journal": "World Psychiatry",
    "doi": "10.1002/wps.20235",
    "pmid": "26043322",
    "citation_note": AUTHOR_NOTE + " The 2015 review whose verdicts the summary shows.",
}


def _publication(row, key: str, role: str) -> dict:
    fields = ("first_author", "year", "title", "journal", "doi", "pmid")
    return {"study": key, **{f: row.get(f) for f in fields}, "citation_note": f"{AUTHOR_NOTE} {role}"}


def summary_sources(entries, trials: pd.DataFrame, meta: pd.DataFrame, statements: pd.DataFrame) -> pd.DataFrame:
    """Every source of the summary of findings, once each, in the order the summary names them.

    `entries` are reviews.build's (condition, lines, reviews said): a Metapsy line cites its database (DOI,
    version, licence), a published line its meta-analysis, a line counting trials each trial; the reviews
    beside a condition cite the 2015 review, the later review and the meta-analyses they quote.
    """
    meta_by_doi = meta.dropna(subset=["doi"]).drop_duplicates("doi").set_index("doi", drop=False)
    statement_by_doi = statements.dropna(subset=["doi"]).drop_duplicates("doi").set_index("doi", drop=False)
    trial_rows = trials.drop_duplicates("study").set_index("study", drop=False)
    records: list[dict] = []
    for _cond, lines, said in entries:
        for line in lines:
            if line.source == "metapsy":
                records.append(
                    {
                        "study": f"metapsy-{line.database}",
                        "kind": "dataset",
                        "first_author": "Metapsy project",
                        "title": f"Metapsy meta-analytic database {line.database}",
                        "publisher": "Metapsy project (metapsy.org)",
                        "doi": line.doi,
                        "citation_note": f"Version read: {line.version}. Licence ODC-By 1.0: credit Metapsy project "
                        "(metapsy.org) and this DOI. Pooled on the summary of findings.",
                    }
                )
            elif line.source == "published" and line.doi in meta_by_doi.index:
                row = meta_by_doi.loc[line.doi]
                records.append(_publication(row, str(row["id"]).split("-")[0], "Meta-analysis pooled in a line."))
            elif line.source == "count":
                records += [trial_rows.loc[s].to_dict() for s in line.studies if s in trial_rows.index]
        for item in said:
            if item.kind == "2015 review":
                records.append(FONAGY_2015)
            elif item.doi in statement_by_doi.index:
                row = statement_by_doi.loc[item.doi]
                records.append(_publication(row, str(row["id"]).split("-")[0], "Review quoted beside our rating."))
            elif item.doi in meta_by_doi.index:
                row = meta_by_doi.loc[item.doi]
                key = str(row["id"]).split("-")[0]
                records.append(_publication(row, key, "Meta-analysis quoted beside our rating."))
    frame = pd.DataFrame(records)
    if frame.empty:
        return frame
    for column in ("year", "n_randomized"):
        if column in frame:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    # One record per publication (a DOI, else a PMID, else the key), each with its own key.
    identity = frame["doi"].fillna(frame["pmid"]).fillna(frame["study"])
    frame = frame[~identity.duplicated()].reset_index(drop=True)
    repeat = frame.groupby("study").cumcount()
    frame["study"] = frame["study"].where(repeat == 0, frame["study"] + "-" + (repeat + 1).astype(str))
    return frame
