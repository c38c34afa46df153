"""Join claims and therapy types to the evidence rows they name."""

from __future__ import annotations

import pandas as pd

from pdevidence import load, stats, vocab

THERAPY_FIELDS = {
    "session": "What happens in a session",
    "focus": "Main focus",
    "structure": "Structure and homework",
    "typical_length": "Typical length",
    "used_for": "Often used for",
}

# The columns that state one effect size: its kind, time point, value and 95% CI.
FIGURE_COLUMNS = ["es_type_label", "timepoint", "es_value", "es_ci_low", "es_ci_high"]

EVIDENCE_COLUMNS = [
    "id",
    "kind",
    "label",
    "detail",
    "markers",
    "es_type",
    *FIGURE_COLUMNS,
    "n",
    "k_studies",
    "finding",
    "finding_code",
    "comparator_type",
    "secondary",
    "link",
]

NOT_TESTED_MARK = "no head-to-head test reported"
INFERRED_MARK = "direction inferred by us"
POOLED_MARK = "tested only with other arms pooled"
NOT_IN_REVIEW = "not found in the cited review"
OUR_READING = "our reading, not the review's words"
DERIVED_NAMES = {
    "n_randomized": "total N",
    "n_pd": "therapy-arm N",
    "n_comparator": "comparison-arm N",
    "followup_months": "follow-up",
    "es_value": "effect size",
    "es_ci_low": "CI",
    "es_ci_high": "CI",
    "es_se": "SE",
    "k_studies": "number of studies",
    "n_patients": "number of patients",
}


def _derived(value) -> str:
    if not isinstance(value, str) or not value.strip():
        return ""
    names = dict.fromkeys(DERIVED_NAMES.get(part, part) for part in load.split_ids(value))
    return "derived by us: " + ", ".join(names)


COMBINATION_MARK = (
    "combination: both groups got the therapy and one also got a medicine, so this tests the medicine, not the therapy"
)


def _join(parts: list[str]) -> str:
    return "; ".join(p for p in parts if p)


def trial_markers(trials: pd.DataFrame) -> pd.Series:
    """Plain-words flags shown beside each trial row: not tested, inferred, add-on, derived figures."""
    out = []
    used = ["finding", "between_arm_test", "inferred", "comparator_type", "add_on_to", "derived_fields"]
    for row in trials[used].itertuples(index=False):  # only the columns read: a row of all 43 is slow
        parts = []
        if row.finding in vocab.UNTESTED_FINDINGS:
            parts.append(NOT_TESTED_MARK)
        if row.between_arm_test == "pooled_only":
            parts.append(POOLED_MARK)
        if bool(row.inferred):
            parts.append(INFERRED_MARK)
        if row.comparator_type == "add_on":
            parts.append(f"add-on: therapy added to {row.add_on_to}, compared with that alone")
        elif row.comparator_type == "combination":
            parts.append(COMBINATION_MARK)
        elif isinstance(row.add_on_to, str) and row.add_on_to:
            parts.append(f"both groups also got {row.add_on_to}")
        parts.append(_derived(row.derived_fields))
        out.append(_join(parts))
    return pd.Series(out, index=trials.index, dtype=object)


def reported_by(cited_in: str) -> str:
    """The citing source named first in cited_in, e.g. 'APA press release on Shedler 2010'."""
    first = str(cited_in).split(";")[0].split("(")[0].strip()
    return first or "a citing source"


def meta_markers(meta: pd.DataFrame) -> pd.Series:
    """Flags for pooled estimates: figures only a citing source reports, derived figures."""
    out = []
    for row in meta.itertuples(index=False):
        parts = []
        if row.figure_source == "citing_source_only":
            parts.append(f"as reported by {reported_by(row.cited_in)}; {NOT_IN_REVIEW}")
        parts.append(_derived(row.derived_fields))
        out.append(_join(parts))
    return pd.Series(out, index=meta.index, dtype=object)


def verdict_label(code, mapping: dict[str, str], inferred: bool) -> str:
    """A verdict value in words; an inference is labelled as ours."""
    text = vocab.label(mapping, code)
    return f"{text} ({OUR_READING})" if inferred else text


def verdict_labels(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Each verdict row with its two conclusions in words, inferences labelled as ours."""
    flags = verdicts["inferred"]
    return pd.DataFrame(
        {
            "id": verdicts["id"],
            "condition_group": verdicts["condition_group"],
            "condition": verdicts["condition"],
            "vs_inactive": [
                verdict_label(c, vocab.VS_INACTIVE, f in ("vs_inactive", "both"))
                for c, f in zip(verdicts["vs_inactive"], flags)
            ],
            "vs_active": [
                verdict_label(c, vocab.VS_ACTIVE, f in ("vs_active", "both"))
                for c, f in zip(verdicts["vs_active"], flags)
            ],
            "summary": verdicts["summary"],
        },
        index=verdicts.index,
    )


def finding_counts(trials: pd.DataFrame) -> pd.DataFrame:
    """Per condition group: comparisons with no head-to-head test, inferred directions, add-on and combination designs."""
    flags = pd.DataFrame(
        {
            "condition_group": trials["condition_group"],
            "not_tested": stats.therapy_findings(trials).isin(vocab.UNTESTED_FINDINGS).astype(int),
            "inferred": trials["inferred"].fillna(False).astype(bool).astype(int),
            "add_on": (trials["comparator_type"] == "add_on").astype(int),
            "combination": (trials["comparator_type"] == "combination").astype(int),
        }
    )
    return flags.groupby("condition_group", as_index=False).sum()


def tally(rows: pd.DataFrame) -> dict[str, int]:
    """How the trial rows behind a claim split: tested findings, untested comparisons, add-on designs."""
    trials = rows[rows["kind"] == "trial"]
    codes = trials["finding_code"]
    return {
        "trials": len(trials),
        "tested": int(codes.isin(vocab.TESTED_FINDINGS).sum()),
        "no_difference": int((codes == "no_difference").sum()),
        "not_tested": int(codes.isin(vocab.UNTESTED_FINDINGS).sum()),
        "add_on": int((trials["comparator_type"] == "add_on").sum()),
        "combination": int((trials["comparator_type"] == "combination").sum()),
        "secondary": int(rows["secondary"].fillna(False).astype(bool).sum()),
    }


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
            "markers": trial_markers(trials),
            "es_type": trials["es_type"],
            "timepoint": trials["es_timepoint"].map(vocab.TIMEPOINTS),
            "es_value": trials["es_value"],
            "es_ci_low": trials["es_ci_low"],
            "es_ci_high": trials["es_ci_high"],
            "n": trials["n_randomized"],
            "k_studies": pd.NA,
            "finding": trials["finding"].map(vocab.FINDINGS),
            "finding_code": trials["finding"],
            "comparator_type": trials["comparator_type"],
            "secondary": False,
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
            "markers": meta_markers(meta),
            "es_type": meta["es_type"],
            "timepoint": meta["timepoint"].map(vocab.TIMEPOINTS),
            "es_value": meta["es_value"],
            "es_ci_low": meta["es_ci_low"],
            "es_ci_high": meta["es_ci_high"],
            "n": meta["n_patients"],
            "k_studies": meta["k_studies"],
            "finding": pd.NA,
            "finding_code": pd.NA,
            "comparator_type": pd.NA,
            "secondary": meta["figure_source"] == "citing_source_only",
            "link": publication_links(meta),
        }
    )


def _verdict_rows(verdicts: pd.DataFrame) -> pd.DataFrame:
    words = verdict_labels(verdicts)
    markers = [
        _join(
            [
                "not stated in the review" if "not_stated" in (a, b) else "",
                f"inferred by us ({OUR_READING})" if f != "no" else "",
            ]
        )
        for a, b, f in zip(verdicts["vs_inactive"], verdicts["vs_active"], verdicts["inferred"])
    ]
    return pd.DataFrame(
        {
            "id": verdicts["id"],
            "kind": "review conclusion",
            "label": "Fonagy 2015 on " + verdicts["condition"],
            "detail": verdicts["summary"],
            "markers": markers,
            "es_type": pd.NA,
            "timepoint": pd.NA,
            "es_value": pd.NA,
            "es_ci_low": pd.NA,
            "es_ci_high": pd.NA,
            "n": pd.NA,
            "k_studies": pd.NA,
            "finding": "vs inactive: " + words["vs_inactive"] + "; vs active: " + words["vs_active"],
            "finding_code": pd.NA,
            "comparator_type": pd.NA,
            "secondary": False,
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


def secondary_rows(ids: list[str], evidence: pd.DataFrame) -> pd.DataFrame:
    """Figures only a citing source reports, each label saying so (never support for a verdict)."""
    rows = rows_for(ids, evidence)
    rows["label"] = rows["label"] + " [" + rows["markers"] + "]"
    return rows


def therapy_evidence(types: pd.DataFrame, meta: pd.DataFrame, chosen: list[str]) -> pd.DataFrame:
    """Pooled estimates named by the chosen therapy types, labelled with the type.

    Figures that only a citing source reports (secondary_evidence) are included with their label
    in the row's `label` and `markers`, so a chart or table never shows them unlabelled.
    """
    pieces = []
    meta_rows = _meta_rows(meta)
    meta_rows["es_type_label"] = meta_rows["es_type"].map(vocab.ES_TYPES)
    labelled = meta_rows.assign(label=meta_rows["label"] + " [" + meta_rows["markers"] + "]")
    for row in types[types["id"].isin(chosen)].itertuples(index=False):
        ids = load.split_ids(row.evidence)
        part = meta_rows[meta_rows["id"].isin(ids)].copy()
        extra = labelled[labelled["id"].isin(load.split_ids(row.secondary_evidence))].copy()
        part = pd.concat([part, extra], ignore_index=True)
        part.insert(0, "therapy", row.name)
        pieces.append(part)
    if not pieces:
        return pd.DataFrame(columns=["therapy", *EVIDENCE_COLUMNS])
    return pd.concat(pieces, ignore_index=True)
