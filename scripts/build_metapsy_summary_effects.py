"""Derive data/metapsy_summary_effects.csv: per-trial effects of psychodynamic arms for the Overview summary.

Reads the Metapsy databases in ../shared/metapsy (or --metapsy DIR) through the engine's public API
(read_database, select_rows, study_effects), and writes, for every database with a psychodynamic arm,
every pooled outcome, time point and kind of comparison (no real treatment / another treatment), one
row per trial: Hedges' g (positive favours psychodynamic therapy), its SE, size, risk of bias, and for
event outcomes the event counts of one row of the trial; the trial of data/trials.csv it is (the link
data/metapsy_effects.csv records, so every page matches a trial alike), and the database's own population codes (`diagnosis`,
`target_group`, as its codebook defines them) for the summary's subtypes; with the database, its DOI,
the version read and the ODC-By credit. The summary pools these rows with stats.pool, exactly as the Metapsy page pools
the database. The databases themselves are never copied.

    .venv/bin/python scripts/build_metapsy_summary_effects.py [--metapsy DIR] [--check]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from build_metapsy_effects import offered_files, run_extract, version  # noqa: E402

from pdevidence import load  # noqa: E402
from pdevidence.metapsy.analysis import Analysis, comparator_class, select_rows, study_effects  # noqa: E402
from pdevidence.metapsy.database import read_database  # noqa: E402
from pdevidence.metapsy.families import PSYCHODYNAMIC  # noqa: E402

OUT = ROOT / "data" / "metapsy_summary_effects.csv"
COLUMNS = [
    "database",
    "database_doi",
    "database_version",
    "licence",
    "condition",
    "outcome",
    "outcome_label",
    "outcome_type",
    "higher_is_better",
    "default_outcome",
    "time_point",
    "comparison",
    "study",
    "trial",
    "diagnosis",
    "target_group",
    "comparators",
    "g",
    "se",
    "n",
    "rob_level",
    "rows",
    "event_arm1",
    "totaln_arm1",
    "event_arm2",
    "totaln_arm2",
]
INACTIVE = {"wait-list", "usual care", "no treatment", "placebo or attention control", "other control"}
# Comparator codes the engine's generic classes do not place, read in the database's codebook
# (borderline-psyctr, condition_arm2: "GT= generic treatments for BPD, CTBE= community treatment by
# experts"; suicide-psyctr: "Enhanced CAU" is usual care with additions).
REVIEWED = {
    ("borderline-psyctr", "GT"): "active",
    ("borderline-psyctr", "CTBE"): "active",
    ("suicide-psyctr", "Enhanced CAU"): "inactive",
}


def comparison_of(database: str, code: str, description: str | None) -> str | None:
    """'inactive' (no real treatment), 'active' (another treatment) or None (not classified: left out)."""
    if (database, code) in REVIEWED:
        return REVIEWED[(database, code)]
    cls = comparator_class(code, description)
    if cls in INACTIVE:
        return "inactive"
    if cls == "medication" or cls.startswith("therapy:"):
        return "active"
    return None


def _events(rows: pd.DataFrame) -> pd.DataFrame:
    """One row's event counts per trial (the row with the most people), for absolute effects."""
    cols = ["event_arm1", "totaln_arm1", "event_arm2", "totaln_arm2"]
    if not set(cols) <= set(rows.columns):
        return pd.DataFrame(columns=["study", *cols])
    work = rows[["study", *cols]].copy()
    for c in cols:
        work[c] = pd.to_numeric(work[c].astype("string").str.replace(",", ".", regex=False), errors="coerce")
    work = work.dropna()
    work = work.assign(total=work["totaln_arm1"] + work["totaln_arm2"]).sort_values(["study", "total"])
    return work.drop_duplicates("study", keep="last").drop(columns="total")


# The database's own columns that say which people a trial took (their codes, as the codebook gives them).
POPULATION_CODES = ("diagnosis", "target_group")


def _population(rows: pd.DataFrame, links: dict[str, str]) -> pd.DataFrame:
    """Per trial: the curated trial it is (or empty) and its population codes, the distinct codes of its rows."""
    out = []
    for study, part in rows.groupby("study", sort=True):
        record = {"study": study, "trial": links.get(str(study), "")}
        for column in POPULATION_CODES:
            codes = sorted(set(part[column].dropna().astype(str))) if column in part else []
            record[column] = ", ".join(codes)
        out.append(record)
    return pd.DataFrame(out, columns=["study", "trial", *POPULATION_CODES])


def database_rows(name: str, path: Path, links: dict[str, str]) -> list[dict]:
    db = read_database(path, name=name)
    if PSYCHODYNAMIC not in db.families:
        return []
    info = db.info
    sides: dict[str, list[str]] = {}
    for code, description in db.comparators.items():
        side = comparison_of(name, code, description)
        if side:
            sides.setdefault(side, []).append(code)
    out = []
    for outcome in db.pooled_outcomes:
        spec = db.outcomes[db.outcomes["outcome"] == outcome].iloc[0]
        for time in db.time_points[:-1]:  # every time point, never "all" together
            for side, codes in sorted(sides.items()):
                analysis = replace(Analysis(), time=time, outcome=outcome, comparators=tuple(codes))
                rows = select_rows(db, analysis)
                rows = rows[rows["family"] == PSYCHODYNAMIC]
                if rows.empty:
                    continue
                effects = study_effects(rows).merge(_events(rows), on="study", how="left")
                effects = effects.merge(_population(rows, links), on="study", how="left")
                for trial in effects.itertuples(index=False):
                    out.append(
                        {
                            "database": name,
                            "database_doi": info.doi if info else None,
                            "database_version": version(path, info),
                            "licence": "ODC-By-1.0",
                            "condition": info.condition if info else "",
                            "outcome": outcome,
                            "outcome_label": db.outcome_label(outcome),
                            "outcome_type": spec["kind"],
                            "higher_is_better": "yes" if bool(spec["higher_is_better"]) else "no",
                            "default_outcome": "yes" if outcome == db.default_outcome else "no",
                            "time_point": time,
                            "comparison": side,
                            "study": trial.study,
                            "trial": trial.trial,
                            "diagnosis": trial.diagnosis,
                            "target_group": trial.target_group,
                            "comparators": trial.comparators,
                            "g": round(float(trial.g), 6) + 0.0,
                            "se": round(float(trial.se), 6),
                            "n": trial.n,
                            "rob_level": trial.rob_level,
                            "rows": trial.comparisons,
                            "event_arm1": trial.event_arm1,
                            "totaln_arm1": trial.totaln_arm1,
                            "event_arm2": trial.event_arm2,
                            "totaln_arm2": trial.totaln_arm2,
                        }
                    )
    return out


def build(metapsy_dir: Path) -> pd.DataFrame:
    records, effects = [], load.read_table("metapsy_effects")
    for name, path in offered_files(metapsy_dir).items():
        mine = effects[effects["database"] == name]
        records += database_rows(name, path, dict(zip(mine["metapsy_study"], mine["study"], strict=True)))
    frame = pd.DataFrame(records, columns=COLUMNS)
    for column in ("n", "event_arm1", "totaln_arm1", "event_arm2", "totaln_arm2"):
        frame[column] = pd.to_numeric(frame[column]).round().astype("Int64")
    return frame.sort_values(["database", "outcome", "time_point", "comparison", "study"]).reset_index(drop=True)


def main(argv=None) -> int:
    return run_extract(argv, __doc__, OUT, lambda folder: build(folder).to_csv(index=False, lineterminator="\n"))


if __name__ == "__main__":
    raise SystemExit(main())
