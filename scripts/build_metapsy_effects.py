"""Derive data/metapsy_effects.csv: Metapsy effects of the curated trials, with credit.

Reads the Metapsy databases in ../shared/metapsy (or the folder given with
--metapsy), finds each curated trial (data/trials.csv) that is in a database
with its psychodynamic arm, and writes one row per trial comparison, outcome
and time point: Hedges' g turned so that positive favours psychodynamic
therapy (the Metapsy engine decides the direction per outcome), its SE, the
analysed arm sizes, and where it comes from (database, DOI, version, licence).
The databases themselves are never copied; only these derived effects are.

Matching: the database's first author equals the trial's first author (or
its last word, e.g. "Gibbons" for "Connolly Gibbons"); the year is the same,
or one apart when the database's reference holds the trial's title (an
online-first year); the analysed arms add up to no more than the trial's N,
and the psychodynamic arm to no more than its psychodynamic arm when known.

    .venv/bin/python scripts/build_metapsy_effects.py [--metapsy DIR] [--check]
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import unicodedata
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pdevidence import load  # noqa: E402
from pdevidence.metapsy import sources  # noqa: E402
from pdevidence.metapsy.analysis import study_effects_table  # noqa: E402
from pdevidence.metapsy.database import TIME_ALL, database_files, read_database  # noqa: E402
from pdevidence.metapsy.families import PSYCHODYNAMIC  # noqa: E402

OUT = ROOT / "data" / "metapsy_effects.csv"
COLUMNS = [
    "id",
    "trial_id",
    "study",
    "database",
    "database_doi",
    "database_version",
    "licence",
    "metapsy_study",
    "arm1",
    "arm1_detail",
    "comparator_code",
    "comparator_class",
    "outcome",
    "outcome_label",
    "outcome_type",
    "time_point",
    "direction_rule",
    "g",
    "se",
    "n_arm1",
    "n_arm2",
    "rob_level",
    "main",
    "match",
]
PSYCHODYNAMIC_TEXT = re.compile(r"\bdyn\b|psychodynamic|psychoanaly|dynamic psychotherapy", re.IGNORECASE)
INACTIVE_CLASSES = {
    "wait-list": ("waitlist", "minimal_treatment"),
    "usual care": ("usual_care", "minimal_treatment"),
    "no treatment": ("waitlist", "minimal_treatment"),
    "placebo or attention control": ("placebo", "minimal_treatment"),
}


def plain(text) -> str:
    """Lower case without accents or punctuation, for comparing names and titles."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def author_of(label: str) -> str:
    """The first author's surname in a database study label ("Johansson, 2012a" -> "johansson")."""
    head = re.split(r",|\s(?:19|20)\d\d", str(label), maxsplit=1)[0]
    return plain(head)


def same_author(metapsy: str, curated: str) -> bool:
    curated = plain(curated)
    return (
        metapsy == curated or metapsy == curated.split(" ")[-1] or metapsy.replace(" ", "") == curated.replace(" ", "")
    )


def version(path: Path, info) -> str:
    """The database version read: the catalogue's pinned commit when the file's checksum matches it, else the checksum."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if info is not None and info.sha256 == digest and info.commit:
        return f"commit {info.commit[:12]} (sha256 {digest[:12]})"
    return f"sha256 {digest[:12]}" + (f"; last search {info.last_search}" if info and info.last_search else "")


def psychodynamic_groups(db) -> pd.DataFrame:
    """Effects of arms that are psychodynamic: the family mapping, or the arm's own description in the file."""
    table = study_effects_table(db, time=TIME_ALL)
    if table.empty:
        return table.assign(arm1_detail=pd.Series(dtype=str), full_ref=pd.Series(dtype=str))
    rows = db.rows
    detail = rows["multi_arm1"].astype("string") if "multi_arm1" in rows else pd.Series(pd.NA, index=rows.index)
    ref = rows["full_ref"].astype("string") if "full_ref" in rows else pd.Series(pd.NA, index=rows.index)
    per_row = pd.DataFrame(
        {
            "study": rows["study"].astype(str),
            "family": rows["family"],
            "comparator": rows["condition_arm2"].astype("string").fillna("").astype(str),
            "arm_text": (detail.fillna("") + " " + rows["condition_arm1"].astype("string").fillna("")).str.strip(),
            "title_says": ref.fillna("").str.contains(PSYCHODYNAMIC_TEXT),
            "full_ref": ref.fillna(""),
        }
    )
    per_row["by_family"] = per_row["family"] == PSYCHODYNAMIC
    per_row["is_pdt"] = per_row["by_family"] | per_row["arm_text"].str.contains(PSYCHODYNAMIC_TEXT)
    keys = ["study", "family", "comparator"]
    by_group = per_row.groupby(keys).agg(
        all_pdt=("is_pdt", "all"),
        by_family=("by_family", "all"),
        arm1_detail=("arm_text", "first"),
        title_says=("title_says", "any"),
        full_ref=("full_ref", "first"),
    )
    # An arm the file codes only as "other" counts when the study's reference
    # names psychodynamic therapy and no other non-CBT arm is in the study.
    families = per_row.groupby("study")["family"].agg(lambda f: set(f) - {"cbt"})
    only_other = [
        family != "cbt" and families[study] == {family}
        for study, family in zip(
            by_group.index.get_level_values("study"), by_group.index.get_level_values("family"), strict=True
        )
    ]
    by_title = by_group["title_says"] & pd.Series(only_other, index=by_group.index)
    by_group["keep"] = by_group["all_pdt"] | by_title
    by_group["arm_reason"] = "psychodynamic arm: " + pd.Series(
        [
            "the database's therapy code"
            if fam
            else "the arm's description in the database"
            if pdt
            else "the database's reference names psychodynamic therapy and this is the study's only non-CBT arm"
            for fam, pdt in zip(by_group["by_family"], by_group["all_pdt"], strict=True)
        ],
        index=by_group.index,
    )
    table = table.merge(by_group.reset_index(), on=keys, how="left")
    return table[table["keep"].fillna(False).astype(bool)].drop(columns=["keep", "all_pdt", "by_family", "title_says"])


def match_trial(label: str, year: float, full_ref: str, n1: float, n2: float, trials: pd.DataFrame):
    """The curated study this database study is, with the reason; None when no trial fits."""
    author = author_of(label)
    candidates = trials[trials["first_author"].map(lambda a: same_author(author, a))]
    for study, rows in candidates.groupby("study"):
        first = rows.iloc[0]
        title_in_ref = plain(first["title"])[:60] in plain(full_ref)
        if pd.isna(year):
            continue
        gap = abs(int(first["year"]) - int(year))
        if gap > 1 or (gap == 1 and not title_in_ref):
            continue
        total = (n1 if pd.notna(n1) else 0) + (n2 if pd.notna(n2) else 0)
        if total > first["n_randomized"]:
            continue
        if pd.notna(first["n_pd"]) and pd.notna(n1) and n1 > first["n_pd"]:
            continue
        how = "first author and year" if gap == 0 else "first author, title in the database reference, year one apart"
        how += f"; analysed arms {n1:.0f} + {n2:.0f} within the trial's N = {int(first['n_randomized'])}"
        return study, how
    return None, None


def comparison_for(rows: pd.DataFrame, metapsy_class: str, n2: float) -> str | None:
    """The curated comparison row that the database's comparator is."""
    if len(rows) == 1:
        return rows.iloc[0]["id"]
    if metapsy_class == "other control" and (rows["comparator_type"] == "inactive").sum() == 1:
        # An "other control" beside a placebo or usual-care arm of the same trial is that arm.
        inactive = rows[rows["comparator_type"] == "inactive"]
        if pd.isna(n2) or inactive["n_comparator"].isna().all() or (inactive["n_comparator"] >= n2).all():
            rows = inactive
    if metapsy_class in INACTIVE_CLASSES:
        fits = rows[rows["comparator_class"].isin(INACTIVE_CLASSES[metapsy_class])]
    elif metapsy_class == "medication":
        # A combination row (therapy alone vs therapy plus a medicine) is not a comparison with a medicine.
        fits = rows[(rows["comparator_class"] == "medication") & (rows["comparator_type"] != "combination")]
    elif metapsy_class.startswith("therapy:"):
        fits = rows[rows["comparator_type"] != "inactive"]
    else:
        fits = rows
    if pd.notna(n2):
        fits = fits[fits["n_comparator"].isna() | (fits["n_comparator"] >= n2)]
        if len(fits) > 1 and fits["n_comparator"].notna().any():
            fits = fits.assign(gap=(fits["n_comparator"] - n2).abs()).sort_values("gap")
    if len(fits) > 1 and "gap" not in fits:
        return None  # nothing tells the comparisons apart: left unmatched rather than guessed
    return fits.iloc[0]["id"] if len(fits) else None


def offered_files(metapsy_dir: Path) -> dict[str, Path]:
    """The database files in the folder that the catalogue offers (the data standard's template is not)."""
    return {name: path for name, path in database_files(metapsy_dir).items() if sources.info_for(name).offered}


def write_or_check(out: Path, text: str, check: bool) -> int:
    """Write the extract, or with `check` compare it with the bundled file (exit status 1 when stale)."""
    if check:
        same = out.exists() and out.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{out.name} differs from a fresh build: run {Path(sys.argv[0]).name}")
        return 0 if same else 1
    out.write_text(text, encoding="utf-8")
    print(f"{text.count(chr(10)) - 1} rows written to {out.relative_to(ROOT)}")
    return 0


def build(metapsy_dir: Path) -> tuple[pd.DataFrame, list[str]]:
    trials = load.read_table("trials")
    out, unmatched = [], []
    for name, path in offered_files(metapsy_dir).items():
        info = sources.info_for(name)
        db = read_database(path, name=name)
        table = psychodynamic_groups(db)
        for (label, _family, comparator), part in table.groupby(["study", "family", "comparator"], sort=True):
            first = part.iloc[0]
            study, how = match_trial(label, first["year"], first["full_ref"], first["n_arm1"], first["n_arm2"], trials)
            if study is None:
                unmatched.append(f"{name}: {label} vs {comparator}")
                continue
            trial_id = comparison_for(trials[trials["study"] == study], first["comparator_class"], first["n_arm2"])
            if trial_id is None:
                unmatched.append(f"{name}: {label} vs {comparator} (trial {study}: no comparison fits)")
                continue
            post = part[part["time_point"] == "post"]
            main = None
            for pick in (
                post[post["outcome"] == db.default_outcome],
                post[post["outcome_type"] == "continuous"],
                post,
            ):
                if len(pick):
                    main = pick.sort_values("outcome").index[0]
                    break
            for index, row in part.iterrows():
                out.append(
                    {
                        "id": f"{trial_id}--{name}--{row['outcome']}--{row['time_point']}",
                        "trial_id": trial_id,
                        "study": study,
                        "database": name,
                        "database_doi": info.doi if info else None,
                        "database_version": version(path, info),
                        "licence": "ODC-By-1.0",
                        "metapsy_study": label,
                        "arm1": row["arm1"],
                        "arm1_detail": row["arm1_detail"],
                        "comparator_code": comparator,
                        "comparator_class": row["comparator_class"],
                        "outcome": row["outcome"],
                        "outcome_label": row["outcome_label"],
                        "outcome_type": row["outcome_type"],
                        "time_point": row["time_point"],
                        "direction_rule": row["direction_rule"],
                        "g": round(float(row["g"]), 4),
                        "se": round(float(row["se"]), 4),
                        "n_arm1": row["n_arm1"],
                        "n_arm2": row["n_arm2"],
                        "rob_level": row["rob_level"],
                        "main": "yes" if index == main else "no",
                        "match": f"{how}; {row['arm_reason']}",
                    }
                )
    frame = pd.DataFrame(out, columns=COLUMNS)
    frame = frame.sort_values(["trial_id", "database", "time_point", "outcome"]).reset_index(drop=True)
    for column in ("n_arm1", "n_arm2"):
        frame[column] = pd.to_numeric(frame[column]).round().astype("Int64")
    frame["id"] = frame["id"].str.lower().str.replace(r"[^a-z0-9_-]+", "-", regex=True)
    return _one_main_per_trial(frame), unmatched


def _one_main_per_trial(frame: pd.DataFrame) -> pd.DataFrame:
    """A trial in several databases (a BPD trial in borderline and suicide) keeps one main effect per time point:
    a continuous outcome first, then the first database by name."""
    mains = frame[frame["main"] == "yes"].assign(cont=lambda f: f["outcome_type"] != "continuous")
    keep = mains.sort_values(["trial_id", "time_point", "cont", "database"]).drop_duplicates(["trial_id", "time_point"])
    frame.loc[mains.index.difference(keep.index), "main"] = "no"
    return frame


def run_extract(argv, doc: str, out: Path, build_text) -> int:
    """The command line of an extract builder: `--metapsy DIR`, `--check`; `build_text(DIR)` makes the CSV text."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--metapsy", type=Path, default=sources.SHARED_DIR, help="folder of Metapsy CSV files")
    parser.add_argument("--check", action="store_true", help="fail if the bundled file differs from a fresh build")
    args = parser.parse_args(argv)
    if not args.metapsy.is_dir():
        print(f"No Metapsy folder at {args.metapsy}", file=sys.stderr)
        return 2
    return write_or_check(out, build_text(args.metapsy), args.check)


def main(argv=None) -> int:
    def text(folder: Path) -> str:
        frame, unmatched = build(folder)
        for line in unmatched:
            print("not in trials.csv:", line)
        return frame.to_csv(index=False, lineterminator="\n")

    return run_extract(argv, __doc__, OUT, text)


if __name__ == "__main__":
    raise SystemExit(main())
