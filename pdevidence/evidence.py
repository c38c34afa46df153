"""Join claims and therapy types to the evidence rows they name."""

from __future__ import annotations

import pandas as pd

from pdevidence import load, vocab

THERAPY_FIELDS = {
    "session": "What happens in a session",
    "focus": "Main focus",
    "structure": "Structure and homework",
    "typical_length": "Typical length",
    "used_for": "Often used for",
}

EVIDENCE_COLUMNS = [
    "id",
    "kind",
    "label",
    "detail",
    "es_type",
    "es_type_label",
    "timepoint",
    "es_value",
    "es_ci_low",
    "es_ci_high",
    "n",
    "k_studies",
    "finding",
    "finding_code",
    "link",
]


def publication_links(frame: pd.DataFrame) -> pd.Series:
    """A link to each row's publication: DOI if known, else PubMed."""
    doi = "https://doi.org/" + frame["doi"].astype("string")
    pubmed = "https://pubmed.ncbi.nlm.nih.gov/" + frame["pmid"].astype("string") + "/"
    return doi.where(frame["doi"].notna(), pubmed)


def _trial_rows(trials: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": trials["id"],
            "kind": "trial",
            "label": trials["first_author"] + " " + trials["year"].astype(str) + " vs " + trials["comparator"],
            "detail": trials["condition"] + "; N=" + trials["n_randomized"].astype(str),
            "es_type": trials["es_type"],
            "timepoint": trials["es_timepoint"].map(vocab.TIMEPOINTS),
            "es_value": trials["es_value"],
            "es_ci_low": trials["es_ci_low"],
            "es_ci_high": trials["es_ci_high"],
            "n": trials["n_randomized"],
            "k_studies": pd.NA,
            "finding": trials["finding"].map(vocab.FINDINGS),
            "finding_code": trials["finding"],
            "link": publication_links(trials),
        }
    )


def _meta_rows(meta: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": meta["id"],
            "kind": "meta-analysis",
            "label": meta["first_author"]
            + " "
            + meta["year"].astype(str)
            + ": "
            + meta["treatment"].str.replace("_", " ")
            + ", "
            + meta["comparison"].str.replace("_", " "),
            "detail": meta["condition"] + "; " + meta["cited_in"],
            "es_type": meta["es_type"],
            "timepoint": meta["timepoint"].map(vocab.TIMEPOINTS),
            "es_value": meta["es_value"],
            "es_ci_low": meta["es_ci_low"],
            "es_ci_high": meta["es_ci_high"],
            "n": meta["n_patients"],
            "k_studies": meta["k_studies"],
            "finding": pd.NA,
            "finding_code": pd.NA,
            "link": publication_links(meta),
        }
    )


def _verdict_rows(verdicts: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": verdicts["id"],
            "kind": "review conclusion",
            "label": "Fonagy 2015 on " + verdicts["condition"],
            "detail": verdicts["summary"],
            "es_type": pd.NA,
            "timepoint": pd.NA,
            "es_value": pd.NA,
            "es_ci_low": pd.NA,
            "es_ci_high": pd.NA,
            "n": pd.NA,
            "k_studies": pd.NA,
            "finding": "vs inactive: "
            + verdicts["vs_inactive"].map(vocab.VS_INACTIVE)
            + "; vs active: "
            + verdicts["vs_active"].map(vocab.VS_ACTIVE),
            "finding_code": pd.NA,
            "link": "https://pubmed.ncbi.nlm.nih.gov/26043322/",
        }
    )


def all_evidence(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every evidence row of trials, meta-analyses and verdicts in one shape."""
    frames = [
        _trial_rows(tables["trials"]),
        _meta_rows(tables["meta_analyses"]),
        _verdict_rows(tables["verdicts"]),
    ]
    out = pd.concat([f.astype(object) for f in frames], ignore_index=True)
    out["es_type_label"] = out["es_type"].map(lambda t: vocab.ES_TYPES.get(t) if isinstance(t, str) else None)
    for column in ("es_value", "es_ci_low", "es_ci_high"):
        out[column] = pd.to_numeric(out[column], errors="coerce")
    return out[EVIDENCE_COLUMNS]


def rows_for(ids: list[str], evidence: pd.DataFrame) -> pd.DataFrame:
    """The evidence rows with the given ids, in the given order."""
    indexed = evidence.set_index("id")
    present = [i for i in ids if i in indexed.index]
    return indexed.loc[present].reset_index()


def therapy_evidence(types: pd.DataFrame, meta: pd.DataFrame, chosen: list[str]) -> pd.DataFrame:
    """Pooled estimates named by the chosen therapy types, labelled with the type."""
    pieces = []
    meta_rows = _meta_rows(meta)
    meta_rows["es_type_label"] = meta_rows["es_type"].map(vocab.ES_TYPES)
    for row in types[types["id"].isin(chosen)].itertuples(index=False):
        ids = load.split_ids(row.evidence)
        part = meta_rows[meta_rows["id"].isin(ids)].copy()
        part.insert(0, "therapy", row.name)
        pieces.append(part)
    if not pieces:
        return pd.DataFrame(columns=["therapy", *EVIDENCE_COLUMNS])
    return pd.concat(pieces, ignore_index=True)
