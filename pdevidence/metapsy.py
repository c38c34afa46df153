"""Import of Metapsy-standard trial databases, and their meta-analysis by therapy family."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import math
import os
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pandas as pd

from pdevidence import filters, stats

# --------------------------------------------------------------------------
# Where databases come from
# --------------------------------------------------------------------------

SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "metapsy"
CACHE_DIR = Path.home() / ".cache" / "pdevidence" / "metapsy"
UPSTREAM_CSV = "https://raw.githubusercontent.com/metapsy-project/{repo}/main/data.csv"
UPSTREAM_CODEBOOK = "https://raw.githubusercontent.com/metapsy-project/{repo}/main/metadata/variable_description.json"
UPSTREAM_COMMIT_API = "https://api.github.com/repos/metapsy-project/{repo}/commits/main"
TIMEOUT_SECONDS = 20

LICENCE = "Open Data Commons Attribution License v1.0 (ODC-By)"
LICENCE_URL = "https://opendatacommons.org/licenses/by/1-0/"
CREDIT = "Metapsy project (metapsy.org)"

# Effect size and its standard error, as the Metapsy data standard names them.
EFFECT_COLUMN = ".g"
EFFECT_SE_COLUMN = EFFECT_COLUMN + "_se"
REQUIRED_COLUMNS = ("study", "condition_arm1", "condition_arm2", EFFECT_COLUMN, EFFECT_SE_COLUMN)


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


class MetapsyError(ValueError):
    """A Metapsy database could not be read or used."""


class NotMetapsyError(MetapsyError):
    """A table lacks the columns of the Metapsy data standard; the message lists them."""

    def __init__(self, missing: list[str], source: str = "the file"):
        self.missing = list(missing)
        super().__init__(f"{source} is not a Metapsy database: missing column(s) {', '.join(self.missing)}")


class SourceError(MetapsyError):
    """A database could not be fetched (network, HTTP status or file system)."""


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


# --------------------------------------------------------------------------
# Therapy families
# --------------------------------------------------------------------------

FAMILY_LABELS = {
    "psychodynamic": "Psychodynamic therapy",
    "cbt": "CBT (cognitive, behavioural or exposure therapy)",
    "behavioural_activation": "Behavioural activation",
    "problem_solving": "Problem-solving therapy",
    "interpersonal": "Interpersonal psychotherapy",
    "third_wave": "Third-wave therapies (mindfulness, acceptance, metacognitive)",
    "supportive": "Supportive therapy or counselling",
    "emdr": "EMDR",
    "cognitive_remediation": "Cognitive remediation",
    "social_skills": "Social skills training",
    "family": "Family interventions",
    "psychoeducation": "Psychoeducation",
    "other": "Other psychotherapies",
    "combined": "Combinations of therapy families",
    "unmapped": "Unmapped codes (not pooled)",
}
PSYCHODYNAMIC = "psychodynamic"
UNMAPPED = "unmapped"

# Phrases looked for in a code's codebook description (or in the code when it
# is itself a name, as in the PTSD database). Checked in this order, first hit
# wins, so "third wave cognitive behaviour therapy" is third wave, not CBT.
FAMILY_PHRASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "psychodynamic",
        (
            "psychodynamic",
            "psychoanaly",
            "mentaliz",
            "mentalis",
            "transference-focused",
            "transference focused",
            "dynamic psychotherapy",
            "dynamic therapy",
        ),
    ),
    (
        "third_wave",
        (
            "third wave",
            "third-wave",
            "3rd wave",
            "acceptance and commitment",
            "mindfulness",
            "metacognitive",
            "compassion",
            "dialectical",
        ),
    ),
    ("behavioural_activation", ("behavioural activation", "behavioral activation")),
    ("problem_solving", ("problem solving", "problem-solving")),
    ("interpersonal", ("interpersonal",)),
    ("emdr", ("emdr", "eye movement desensiti")),
    ("cognitive_remediation", ("cognitive remediation",)),
    ("social_skills", ("social skills",)),
    ("family", ("family therapy", "family intervention")),
    ("supportive", ("supportive", "counseling", "counselling", "befriending")),
    ("psychoeducation", ("psychoeducation", "psycho-education")),
    (
        "other",
        (
            "other type of psychotherapy",
            "other psychotherap",
            "other non-trauma",
            "mixed psychotherapy",
            "life review",
            "psychotherapies combined",
            "integrative",
            "relaxation",
            "physiological therapy",
        ),
    ),
    (
        "cbt",
        (
            "cognitive behav",
            "cognitive-behav",
            "cognitive therapy",
            "cognitive processing",
            "behaviour therapy",
            "behavior therapy",
            "exposure",
            "response prevention",
        ),
    ),
)

# Common abbreviations, matched against a whole code (case-insensitive) when
# the codebook does not define it. Ambiguous ones (PE: prolonged exposure or
# psychoeducation) are left out so that only the codebook can decide them.
FAMILY_ABBREVIATIONS: dict[str, str] = {
    **dict.fromkeys(
        ("dyn", "pd", "pdt", "pdp", "stpp", "stdp", "pfpp", "mbt", "tfp", "psychodynamic"), "psychodynamic"
    ),
    **dict.fromkeys(("cbt", "cbtp", "icbt", "tf-cbt", "ct", "bt", "erp", "cpt", "exposure"), "cbt"),
    **dict.fromkeys(("bat", "ba"), "behavioural_activation"),
    **dict.fromkeys(("pst", "pt-ps"), "problem_solving"),
    **dict.fromkeys(("ipt",), "interpersonal"),
    **dict.fromkeys(("3rd", "3w", "act", "mbct", "mbsr", "dbt", "mct"), "third_wave"),
    **dict.fromkeys(("sup", "sc", "sp", "nd"), "supportive"),
    **dict.fromkeys(("emdr",), "emdr"),
    **dict.fromkeys(("cr",), "cognitive_remediation"),
    **dict.fromkeys(("sst",), "social_skills"),
    **dict.fromkeys(("ft",), "family"),
    **dict.fromkeys(("other psy", "other"), "other"),
}

_COMPOSITE = re.compile(r"\s*[+_&]\s*")


def family_from_text(text: str) -> str | None:
    """The therapy family named by a description, by the phrase table; None if none matches."""
    low = " ".join(str(text).lower().split())
    if low in FAMILY_ABBREVIATIONS:
        return FAMILY_ABBREVIATIONS[low]
    for family, phrases in FAMILY_PHRASES:
        if any(p in low for p in phrases):
            return family
    # A known abbreviation used as a word in a name of several words, as in
    # "CBT without trauma focus" (never inside a combination code like "cbt+ambt").
    if " " in low and not _COMPOSITE.search(low.replace(" ", "")):
        for token in re.findall(r"[a-z0-9]+", low):
            if len(token) >= 3 and token in FAMILY_ABBREVIATIONS and token != "other":
                return FAMILY_ABBREVIATIONS[token]
    return None


def parse_code_list(text: str | None) -> dict[str, str]:
    """Codes and their descriptions from a codebook entry, whatever its punctuation.

    Handles "Type of treatment (cbt= cognitive behaviour therapy, dyn= psychodynamic therapy)",
    "CBT -Cognitive behaviour therapy; CR - Cognitive remediation" and
    "Eye Movement Desensitization and Reprocessing (EMDR); Prolonged exposure (PE)".
    Keys keep the codebook's spelling.
    """
    if not text:
        return {}
    text = str(text)
    codes: dict[str, str] = {}
    # 1. "code = description" pairs, the code right after "(", "," or ";".
    pair = re.compile(r"(?:^|(?<=[(,;:])|(?<=\.\s))\s*([A-Za-z0-9][A-Za-z0-9/+\-. ]{0,19}?)\s*=\s*")
    starts = list(pair.finditer(text))
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        desc = text[m.end() : end].split(";", 1)[0].strip().rstrip(",").strip()
        if i + 1 == len(starts):
            desc = re.sub(r"\)\s*\.?$", "", desc).strip()
        codes.setdefault(m.group(1).strip(), desc)
    if codes:
        return codes
    # 2. ";"-separated items of the form "CODE - description" or "description (CODE)".
    items = [part.strip() for part in text.split(";") if part.strip()]
    if len(items) < 2:
        return {}
    for item in items:
        dash = re.match(r"^(\S{1,20})\s*[-\u2013\u2014]\s*(\S.*)$", item)
        paren = re.match(r"^(.*\S)\s*\(([^()]{1,25})\)\s*\.?$", item)
        if dash and not paren:
            codes.setdefault(dash.group(1), dash.group(2).strip())
        elif paren:
            codes.setdefault(paren.group(2).strip(), _after_sentence(paren.group(1)))
        else:
            name = _after_sentence(item)
            codes.setdefault(name, name)
    return codes


def _after_sentence(item: str) -> str:
    """Drop a lead-in sentence such as "Type of treatment." before the first item of a list."""
    return re.split(r"\.\s+", item, maxsplit=1)[-1].strip() if re.search(r"\.\s+", item) else item.strip()


@dataclass(frozen=True)
class CodeMapping:
    code: str
    description: str | None
    family: str
    basis: str  # "codebook", "code name", "combination" or "unmapped"


def map_code(code: str, definitions: dict[str, str]) -> CodeMapping:
    """The therapy family of one treatment code: codebook description first, then the code itself.

    A combination code ("cbt+ambt", "CR_SST") takes its parts' family if they
    agree, "combined" if they differ, and stays unmapped if any part is unknown.
    """
    lookup = {k.lower(): v for k, v in definitions.items()}
    desc = lookup.get(code.strip().lower())
    if desc:
        family = family_from_text(desc) or family_from_text(code)
        if family:
            return CodeMapping(code, desc, family, "codebook")
    family = family_from_text(code)
    if family:
        return CodeMapping(code, desc, family, "code name")
    parts = [p for p in _COMPOSITE.split(code) if p]
    if len(parts) > 1:
        families = {map_code(p, definitions).family for p in parts}
        if UNMAPPED not in families:
            return CodeMapping(code, desc, families.pop() if len(families) == 1 else "combined", "combination")
    return CodeMapping(code, desc, UNMAPPED, "unmapped")


# --------------------------------------------------------------------------
# Risk of bias
# --------------------------------------------------------------------------

ROB_LEVELS = ("low", "some_concerns", "high", "unknown")
ROB_LABELS = {"low": "Low", "some_concerns": "Some concerns", "high": "High", "unknown": "Not rated"}
_ROB_MISSING = {"", "na", "nr", "n/a", "nan", "none", "?"}
_DOMAIN_COLUMN = re.compile(r"^(?:rob_?)?(?:d|domain[ _]?|rob_domain)\s*\d$", re.I)


def rob_from_text(value) -> str:
    """A risk-of-bias judgement in words ("Low", "Some Concerns", "High risk", RoB 1 "Unclear")."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    text = str(value).strip().lower()
    if text in _ROB_MISSING:
        return "unknown"
    if text.startswith("low"):
        return "low"
    if text.startswith(("some", "moderate", "unclear")):
        return "some_concerns"
    if text.startswith(("high", "serious", "critical")):
        return "high"
    return "unknown"


def _rob_number_rules(description: str | None) -> tuple[dict[float, str], tuple[float, float] | None]:
    """Explicit number-to-level pairs in a codebook entry, and a score range when one is given."""
    if not description:
        return {}, None
    text = description.lower()
    level = r"(low|high|some concerns)"
    pairs: dict[float, str] = {}
    for num, word in re.findall(r"(\d+(?:\.\d+)?)\s*(?:=|\()\s*" + level, text):
        pairs[float(num)] = rob_from_text(word)
    for word, num in re.findall(level + r"(?:\s+risk)?\s*=\s*(\d+(?:\.\d+)?)", text):
        pairs[float(num)] = rob_from_text(word)
    span = re.search(r"(\d+)\s*(?:-|\u2013|to)\s*(\d+)", text)
    score_range = None
    if span and ("criteria" in text or "score" in text or "ranging" in text):
        score_range = (float(span.group(1)), float(span.group(2)))
    return pairs, score_range


@dataclass(frozen=True)
class RobRule:
    column: str | None
    rule: str


def normalise_rob(frame: pd.DataFrame, codebook: dict[str, str]) -> tuple[pd.Series, RobRule]:
    """Each row's overall risk of bias as low / some_concerns / high / unknown, and the rule used.

    1. Words ("low", "some concerns", "high"; RoB 1 "unclear" counts as some concerns).
    2. Numbers the codebook explains: explicit pairs ("low=1 vs high=0"), or a
       score of criteria met ("0 (high risk) to 4 (low risk)", "criteria fulfilled (0-4)"):
       all criteria met = low, at least half = some concerns, fewer = high.
    3. Numbers the codebook does not explain: the worst of the RoB 2 domain
       judgements (any high = high, all low = low, otherwise some concerns).
    4. Otherwise unknown.
    """
    column = next((c for c in frame.columns if c.strip().lower() == "rob"), None)
    domains = [c for c in frame.columns if _DOMAIN_COLUMN.match(c.strip())]
    unknown = pd.Series("unknown", index=frame.index)
    if column is None:
        if domains:
            return _rob_from_domains(frame, domains), RobRule(None, _domain_rule(domains, "no overall rating"))
        return unknown, RobRule(None, "No risk-of-bias column: every trial counts as not rated.")
    raw = frame[column].astype("string").str.strip()
    present = raw[raw.notna() & ~raw.str.lower().isin(_ROB_MISSING)]
    numbers = pd.to_numeric(present.str.replace(",", ".", regex=False), errors="coerce")
    if present.empty:
        return unknown, RobRule(column, f"`{column}` is empty: every trial counts as not rated.")
    if numbers.isna().all():
        return raw.map(rob_from_text).fillna("unknown"), RobRule(
            column, f"`{column}` holds words (low / some concerns / high), read as written."
        )
    description = codebook.get(column) or next((v for k, v in codebook.items() if k.lower() == "rob"), None)
    pairs, score_range = _rob_number_rules(description)
    values = pd.to_numeric(raw.str.replace(",", ".", regex=False), errors="coerce").astype(float)
    observed = set(numbers.dropna().unique())
    if pairs and observed <= set(pairs) and len(set(pairs.values())) >= 2 and not score_range:
        levels = values.map(pairs).fillna("unknown")
        rule = ", ".join(f"{_num(k)} = {ROB_LABELS[v].lower()}" for k, v in sorted(pairs.items()))
        return levels, RobRule(column, f"`{column}` is numeric; the codebook defines {rule}.")
    if score_range or (pairs and len(pairs) >= 2):
        if score_range:
            low, high = score_range
        else:
            low, high = min(pairs), max(pairs)
        higher_is_better = pairs.get(high, "low") == "low" if pairs else True
        if not higher_is_better:
            values = low + high - values
        half = low + (high - low) / 2
        levels = pd.Series(
            np.select([values >= high, values >= half, values >= low], ["low", "some_concerns", "high"], "unknown"),
            index=frame.index,
        ).where(values.notna(), "unknown")
        return levels, RobRule(
            column,
            f"`{column}` is a score from {_num(low)} to {_num(high)} of criteria met (higher = lower risk, per the "
            f"codebook): {_num(high)} = low risk, {_num(math.ceil(half))}–{_num(high - 1)} = some concerns, "
            f"below {_num(math.ceil(half))} = high risk.",
        )
    if domains:
        return _rob_from_domains(frame, domains), RobRule(
            column, _domain_rule(domains, f"the codebook does not define the numbers in `{column}`")
        )
    return unknown, RobRule(
        column, f"The codebook does not define the numbers in `{column}`: every trial counts as not rated."
    )


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _domain_rule(domains: list[str], why: str) -> str:
    return (
        f"Derived from the domain judgements ({', '.join(f'`{d}`' for d in domains)}) because {why}: "
        "any domain at high risk = high, all domains low = low, otherwise some concerns."
    )


def _rob_from_domains(frame: pd.DataFrame, domains: list[str]) -> pd.Series:
    judged = frame[domains].apply(lambda col: col.map(rob_from_text))
    any_high = (judged == "high").any(axis=1)
    known = (judged != "unknown").sum(axis=1)
    all_low = (judged == "low").sum(axis=1) == known
    out = np.where(known == 0, "unknown", np.where(any_high, "high", np.where(all_low, "low", "some_concerns")))
    return pd.Series(out, index=frame.index)


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------

# Pairs of per-arm sample-size columns, first found wins (analysed, then randomized).
SAMPLE_SIZE_PAIRS = ("n_arm", "rand_arm", "n_randomized_arm", "totaln_arm", ".totaln_arm", "n_change_arm")
TIME_POST = "post"
TIME_ALL = "all"


@dataclass
class Database:
    """A Metapsy database, read and normalised.

    `rows` keeps every row of the file (no row is dropped) with the original
    columns plus: family, g (positive favours arm 1), se, n, time_point,
    rob_level, has_effect.
    """

    name: str
    source: str
    rows: pd.DataFrame
    codes: pd.DataFrame
    comparators: dict[str, str]
    rob_rule: RobRule
    orientation: str
    time_note: str
    codebook_found: bool
    info: DatabaseInfo = field(default=None)  # type: ignore[assignment]

    def __post_init__(self):
        if self.info is None:
            self.info = info_for(self.name)

    @property
    def unmapped(self) -> tuple[str, ...]:
        return tuple(self.codes.loc[self.codes["family"] == UNMAPPED, "code"])

    @property
    def families(self) -> tuple[str, ...]:
        present = set(self.rows["family"].dropna())
        return tuple(f for f in FAMILY_LABELS if f in present)

    @property
    def time_points(self) -> tuple[str, ...]:
        values = [t for t in self.rows["time_point"].dropna().unique() if t != TIME_POST]
        return (TIME_POST, *sorted(values), TIME_ALL)


def _read_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise MetapsyError("the file is not text")  # pragma: no cover (latin-1 decodes anything)


def read_table(data: bytes, source: str = "the file") -> pd.DataFrame:
    """The raw table of a Metapsy CSV: `;`-separated with decimal commas (or `,` with points),
    `NA` for missing, quoted fields over several lines, CRLF or LF, an unnamed row-number
    column dropped. Every value stays text; numbers are converted where they are used."""
    text = _read_text(data)
    first = text.split("\n", 1)[0]
    sep = ";" if first.count(";") >= first.count(",") else ","
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            na_values=["NA", ""],
            keep_default_na=False,
            skip_blank_lines=True,
            engine="python" if sep == "," else "c",
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise MetapsyError(f"{source} could not be read as a table: {exc}") from exc
    frame.attrs["decimal"] = "," if sep == ";" else "."
    first_col = frame.columns[0] if len(frame.columns) else None
    if first_col is not None and (first_col == "" or re.fullmatch(r"Unnamed: 0(\.\d+)?", str(first_col))):
        frame = frame.drop(columns=first_col)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def to_number(series: pd.Series | None, decimal: str = ",") -> pd.Series:
    """Text to float, reading a decimal comma; anything else becomes NaN."""
    if series is None:
        return pd.Series(dtype=float)
    text = series.astype("string").str.strip()
    if decimal == ",":
        text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").astype(float)


def validate_columns(frame: pd.DataFrame, source: str = "the file") -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise NotMetapsyError(missing, source)


def _orientation(frame: pd.DataFrame, g: pd.Series, decimal: str) -> tuple[pd.Series, str]:
    """Effects turned so that positive favours arm 1.

    Metapsy databases differ: some store g already signed so that positive
    favours the treatment, others store arm 1 minus arm 2 on the raw scale,
    where a lower symptom score is better. Which one is read off the rows with
    both arm means: if g nearly always has the sign of mean_arm1 - mean_arm2
    the database is raw and g is negated.
    """
    if "mean_arm1" not in frame or "mean_arm2" not in frame:
        return g, "as stored (no arm means to check the sign against)"
    diff = np.sign(to_number(frame["mean_arm1"], decimal) - to_number(frame["mean_arm2"], decimal))
    sign = np.sign(g)
    usable = diff.notna() & sign.notna() & (diff != 0) & (sign != 0)
    if usable.sum() < 5:
        return g, "as stored (too few rows with arm means to check the sign)"
    same = float((diff[usable] == sign[usable]).mean())
    if same >= 0.8:
        return -g, (
            f"negated: in {same:.0%} of rows with arm means, g has the sign of arm 1 minus arm 2, so the database "
            "stores raw differences where lower scores are better; outcomes where higher is better (such as "
            "quality of life) then point the wrong way"
        )
    if same <= 0.2:
        return g, "as stored: positive g already favours the treatment arm"
    return g, f"as stored, but unclear: g has the sign of arm 1 minus arm 2 in {same:.0%} of rows"


def _sample_sizes(frame: pd.DataFrame, decimal: str) -> pd.Series:
    n = pd.Series(np.nan, index=frame.index)
    for prefix in SAMPLE_SIZE_PAIRS:
        a, b = f"{prefix}1", f"{prefix}2"
        if a in frame and b in frame:
            total = to_number(frame[a], decimal) + to_number(frame[b], decimal)
            n = n.where(n.notna(), total)
    return n


def _time_points(frame: pd.DataFrame) -> tuple[pd.Series, str]:
    if "time" not in frame or frame["time"].isna().all():
        return pd.Series(TIME_POST, index=frame.index), (
            "The database records no time point, so every row counts as post-treatment "
            "(Metapsy databases without one hold post-treatment outcomes)."
        )
    times = frame["time"].astype("string").str.strip().str.lower()
    times = times.replace({"posttest": TIME_POST, "post-treatment": TIME_POST, "post treatment": TIME_POST})
    missing = int(times.isna().sum())
    note = "Time points as recorded in the `time` column."
    if missing:
        note += f" {missing} row(s) without a time point are left out unless all time points are shown."
    return times.astype(object).where(times.notna(), None), note


def build_database(frame: pd.DataFrame, codebook: dict | None, name: str, source: str) -> Database:
    """Normalise a raw Metapsy table (see read_table) into a Database."""
    validate_columns(frame, source)
    codebook = {str(k): str(v) for k, v in (codebook or {}).items()}
    decimal = frame.attrs.get("decimal", ",")
    rows = frame.copy()
    g = to_number(rows[EFFECT_COLUMN], decimal)
    se = to_number(rows[EFFECT_SE_COLUMN], decimal)
    g, orientation = _orientation(rows, g, decimal)
    rows["g"] = g
    rows["se"] = se
    rows["n"] = _sample_sizes(rows, decimal)
    rows["time_point"], time_note = _time_points(rows)
    rows["rob_level"], rob_rule = normalise_rob(rows, codebook)
    rows["has_effect"] = rows["g"].notna() & rows["se"].notna() & np.isfinite(rows["se"]) & (rows["se"] > 0)

    definitions = {**parse_code_list(codebook.get("condition_arm2")), **parse_code_list(codebook.get("condition_arm1"))}
    arm1 = rows["condition_arm1"].astype("string").str.strip()
    mappings = [map_code(code, definitions) for code in sorted(arm1.dropna().unique(), key=str.lower)]
    families = {m.code: m.family for m in mappings}
    rows["family"] = arm1.map(families).astype(object).where(arm1.notna(), UNMAPPED)
    counts = arm1.value_counts()
    codes = pd.DataFrame(
        [
            {
                "code": m.code,
                "description": m.description,
                "family": m.family,
                "basis": m.basis,
                "rows": int(counts.get(m.code, 0)),
            }
            for m in mappings
        ],
        columns=["code", "description", "family", "basis", "rows"],
    )
    if arm1.isna().any():
        codes.loc[len(codes)] = {
            "code": "(missing)",
            "description": None,
            "family": UNMAPPED,
            "basis": "unmapped",
            "rows": int(arm1.isna().sum()),
        }
    comparator_defs = {k.lower(): v for k, v in parse_code_list(codebook.get("condition_arm2")).items()}
    comparators = {
        code: comparator_defs.get(code.lower(), code)
        for code in sorted(rows["condition_arm2"].dropna().astype(str).str.strip().unique(), key=str.lower)
    }
    rows["condition_arm2"] = rows["condition_arm2"].astype("string").str.strip().astype(object)
    return Database(
        name=name,
        source=source,
        rows=rows,
        codes=codes,
        comparators=comparators,
        rob_rule=rob_rule,
        orientation=orientation,
        time_note=time_note,
        codebook_found=bool(codebook),
    )


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


def codebook_locations(source: str) -> list[str]:
    """Where a database's codebook may sit beside it (local copy name, then the upstream layout)."""
    if is_url(source):
        base = source.split("?", 1)[0]
        head, _, tail = base.rpartition("/")
        stem = re.sub(r"\.csv$", "", tail, flags=re.I)
        return [f"{head}/{stem}.variables.json", f"{head}/metadata/variable_description.json"]
    path = Path(source)
    stem = re.sub(r"\.csv$", "", path.name, flags=re.I)
    return [str(path.with_name(f"{stem}.variables.json")), str(path.parent / "metadata" / "variable_description.json")]


def parse_codebook(data: bytes | str | None) -> dict[str, str]:
    """A codebook (variables.json) as {column: description}; {} if it is not a JSON object."""
    if not data:
        return {}
    try:
        parsed = json.loads(data if isinstance(data, str) else _read_text(data))
    except (json.JSONDecodeError, MetapsyError):
        return {}
    return {str(k): str(v) for k, v in parsed.items()} if isinstance(parsed, dict) else {}


def find_codebook(source: str, timeout: float = TIMEOUT_SECONDS) -> dict[str, str]:
    for location in codebook_locations(source):
        try:
            data = fetch(location, timeout) if is_url(location) else Path(location).read_bytes()
        except (SourceError, OSError):
            continue
        codebook = parse_codebook(data)
        if codebook:
            return codebook
    return {}


def read_database(source, *, codebook=None, name: str | None = None, timeout: float = TIMEOUT_SECONDS) -> Database:
    """Read a Metapsy database from a path, a URL, or the bytes of an uploaded file.

    The codebook (a dict, or JSON bytes/text) is looked for beside a path or
    URL when not given; without one, treatment codes are mapped by name only.
    """
    if isinstance(source, (bytes, bytearray)):
        label = name or "uploaded file"
        frame = read_table(bytes(source), label)
        book = codebook if isinstance(codebook, dict) else parse_codebook(codebook)
        return build_database(frame, book, name or "uploaded", label)
    source = str(source)
    if is_url(source):
        data = fetch(source, timeout)
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise SourceError(f"could not read {source}: {exc.strerror or exc}") from exc
    if codebook is None:
        book = find_codebook(source, timeout)
    else:
        book = codebook if isinstance(codebook, dict) else parse_codebook(codebook)
    frame = read_table(data, source)
    return build_database(frame, book, name or name_from_source(source), source)


def database_files(directory: Path | None) -> dict[str, Path]:
    """The Metapsy CSV files in a folder, by database name."""
    if directory is None or not Path(directory).is_dir():
        return {}
    return {path.stem: path for path in sorted(Path(directory).glob("*.csv"))}


# --------------------------------------------------------------------------
# Download to the cache
# --------------------------------------------------------------------------


def cache_dir() -> Path:
    return Path(os.environ.get("PDEVIDENCE_CACHE", CACHE_DIR))


@dataclass(frozen=True)
class Downloaded:
    name: str
    path: Path
    commit: str | None
    downloaded_at: str


def download_database(info: DatabaseInfo, target: Path, timeout: float = TIMEOUT_SECONDS) -> Downloaded:
    """Fetch one upstream database and its codebook into `target`; checks it parses before saving."""
    data = fetch(info.csv_url, timeout)
    read_table(data, info.csv_url).pipe(validate_columns, info.csv_url)
    try:
        codebook = fetch(info.codebook_url, timeout)
    except SourceError:
        codebook = None
    commit = None
    with contextlib.suppress(SourceError, ValueError, AttributeError):
        commit = json.loads(fetch(UPSTREAM_COMMIT_API.format(repo=info.repo), timeout)).get("sha")
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{info.name}.csv"
    path.write_bytes(data)
    if codebook:
        (target / f"{info.name}.variables.json").write_bytes(codebook)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    (target / f"{info.name}.source.json").write_text(
        json.dumps({"url": info.csv_url, "commit": commit, "downloaded_at": stamp}, indent=1), encoding="utf-8"
    )
    return Downloaded(info.name, path, commit, stamp)


def download_all(target: Path | None = None, timeout: float = TIMEOUT_SECONDS) -> list[Downloaded]:
    """Fetch every known database; the first failure stops with a SourceError."""
    target = target or cache_dir()
    return [download_database(info, target, timeout) for info in KNOWN_DATABASES.values()]


def cached_provenance(path: Path) -> dict:
    """What was recorded when a cached database was downloaded ({} if nothing)."""
    sidecar = Path(path).with_name(Path(path).stem + ".source.json")
    try:
        return json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


# --------------------------------------------------------------------------
# Analysis
# --------------------------------------------------------------------------

DEFAULT_THRESHOLD = 100


@dataclass(frozen=True)
class Analysis:
    """Which rows to use and how to pool them."""

    time: str = TIME_POST
    low_rob_only: bool = False
    comparators: tuple[str, ...] = ()
    method: str = "dl"


def select_rows(db: Database, analysis: Analysis = Analysis()) -> pd.DataFrame:
    """The rows with a usable effect at the chosen time point, risk of bias and comparators."""
    rows = db.rows[db.rows["has_effect"]]
    if analysis.time != TIME_ALL:
        rows = rows[rows["time_point"] == analysis.time]
    if analysis.low_rob_only:
        rows = rows[rows["rob_level"] == "low"]
    if analysis.comparators:
        rows = rows[rows["condition_arm2"].isin(analysis.comparators)]
    return rows


AGGREGATION_NOTE = (
    "A trial often contributes several rows (instruments, arms, time points). Each trial counts once per "
    "therapy family: its g is the mean of its rows' g, and its variance the mean of their variances (SE²). "
    "This keeps trials with many outcomes from weighing more, but ignores the correlation between outcomes "
    "measured on the same people, so the trial's SE is slightly too small. Its size is the largest "
    "n_arm1 + n_arm2 among those rows (randomized numbers where analysed ones are missing)."
)


def study_effects(rows: pd.DataFrame, family: str | None = None) -> pd.DataFrame:
    """One effect per trial (and family): mean g, mean variance, largest n, worst risk of bias."""
    if family is not None:
        rows = rows[rows["family"] == family]
    columns = ["study", "family", "g", "se", "n", "comparisons", "rob_level", "arms", "comparators"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    work = rows.assign(
        var=rows["se"] ** 2, rob_rank=rows["rob_level"].map({lvl: i for i, lvl in enumerate(ROB_LEVELS)})
    )
    grouped = work.groupby(["family", "study"], sort=True)
    out = grouped.agg(
        g=("g", "mean"),
        var=("var", "mean"),
        n=("n", "max"),
        comparisons=("g", "size"),
        rob_rank=("rob_rank", "max"),
        arms=("condition_arm1", lambda s: ", ".join(sorted(set(map(str, s.dropna()))))),
        comparators=("condition_arm2", lambda s: ", ".join(sorted(set(map(str, s.dropna()))))),
    ).reset_index()
    # "unknown" ranks last, so a trial is only called low if no row says otherwise.
    out["rob_level"] = out["rob_rank"].map(dict(enumerate(ROB_LEVELS)))
    out["se"] = np.sqrt(out["var"])
    return out[columns]


def _pool_row(effects: pd.DataFrame, method: str) -> dict:
    empty = dict.fromkeys(("g", "se", "ci_low", "ci_high", "pi_low", "pi_high", "i2", "tau2"), None)
    try:
        pooled = stats.pool(effects["g"], effects["se"], method=method)
    except stats.TooFewStudies:
        return {**empty, "status": f"too few trials (pooling needs {stats.MIN_STUDIES_TO_POOL})"}
    return {
        "g": pooled.estimate,
        "se": pooled.se,
        "ci_low": pooled.ci_low,
        "ci_high": pooled.ci_high,
        "pi_low": pooled.pi_low,
        "pi_high": pooled.pi_high,
        "i2": pooled.i2,
        "tau2": pooled.tau2,
        "status": "pooled",
    }


SUMMARY_COLUMNS = [
    "family",
    "label",
    "k",
    "studies",
    "participants",
    "g",
    "ci_low",
    "ci_high",
    "pi_low",
    "pi_high",
    "i2",
    "tau2",
    "se",
    "status",
]


def family_summary(rows: pd.DataFrame, method: str = "dl") -> pd.DataFrame:
    """Per therapy family: comparisons (k), trials, participants and the random-effects pooled g.

    Unmapped codes are listed with their counts but never pooled, because
    they may hold different therapies.
    """
    effects = study_effects(rows)
    records = []
    for family in FAMILY_LABELS:
        part = effects[effects["family"] == family]
        if part.empty:
            continue
        record = {
            "family": family,
            "label": FAMILY_LABELS[family],
            "k": int(part["comparisons"].sum()),
            "studies": int(len(part)),
            "participants": int(part["n"].sum(skipna=True)),
        }
        if family == UNMAPPED:
            record.update(
                dict.fromkeys(("g", "se", "ci_low", "ci_high", "pi_low", "pi_high", "i2", "tau2")),
                status="unmapped codes: not pooled",
            )
        else:
            record.update(_pool_row(part, method))
        records.append(record)
    return pd.DataFrame(records, columns=SUMMARY_COLUMNS)


def pooled_for(effects: pd.DataFrame, method: str = "dl") -> stats.Pooled | None:
    """The pooled estimate of a set of trial effects, None below the minimum number of trials."""
    try:
        return stats.pool(effects["g"], effects["se"], method=method)
    except stats.TooFewStudies:
        return None


def size_lens(effects: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD, method: str = "dl") -> pd.DataFrame:
    """Pooled g for all trials, small trials (n < threshold) and large trials (n ≥ threshold)."""
    groups = (
        ("all", "All trials", effects),
        ("small", f"Small trials (under {threshold} participants)", effects[effects["n"] < threshold]),
        ("large", f"Large trials ({threshold} or more participants)", effects[effects["n"] >= threshold]),
        ("unknown", "Trials of unknown size", effects[effects["n"].isna()]),
    )
    records = []
    for key, label, part in groups:
        if key == "unknown" and part.empty:
            continue
        record = {
            "group": key,
            "label": label,
            "studies": int(len(part)),
            "participants": int(part["n"].sum(skipna=True)) if len(part) else 0,
        }
        record.update(
            _pool_row(part, method)
            if len(part)
            else {
                **dict.fromkeys(("g", "se", "ci_low", "ci_high", "pi_low", "pi_high", "i2", "tau2")),
                "status": "no trials",
            }
        )
        records.append(record)
    return pd.DataFrame(records)


def large_trials_only(rows: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD, method: str = "dl") -> pd.DataFrame:
    """family_summary re-pooled on trials with at least `threshold` participants."""
    effects = study_effects(rows)
    large = effects[effects["n"] >= threshold][["family", "study"]]
    keep = rows.set_index(["family", "study"]).index.isin(pd.MultiIndex.from_frame(large))
    return family_summary(rows[keep], method)


def small_study_test(effects: pd.DataFrame) -> stats.EggerResult | None:
    """Egger's test on trial effects, None below stats.MIN_STUDIES_FOR_EGGER trials."""
    try:
        return stats.egger_test(effects["g"], effects["se"])
    except stats.TooFewStudies:
        return None


def forest_rows(effects: pd.DataFrame) -> pd.DataFrame:
    """Trial effects shaped for charts.forest_plot (label, estimate, 95% CI, detail)."""
    z = 1.959963984540054
    out = effects.sort_values(["g", "study"], ascending=[False, True]).reset_index(drop=True)
    n_text = out["n"].map(lambda n: "size unknown" if pd.isna(n) else f"N = {int(n)}")
    return pd.DataFrame(
        {
            "label": out["study"].astype(str),
            "estimate": out["g"],
            "ci_low": out["g"] - z * out["se"],
            "ci_high": out["g"] + z * out["se"],
            "detail": out["arms"]
            + " vs "
            + out["comparators"]
            + "; "
            + n_text
            + "; "
            + out["comparisons"].astype(str)
            + " comparison(s); risk of bias: "
            + out["rob_level"].map(ROB_LABELS),
        }
    )


def across_databases(
    databases: dict[str, Database], analysis: Analysis = Analysis(), families: tuple[str, ...] = (PSYCHODYNAMIC, "cbt")
) -> pd.DataFrame:
    """family_summary for chosen families in every database, with its condition."""
    frames = []
    for name, db in databases.items():
        comparators = tuple(c for c in analysis.comparators if c in db.comparators)
        time = analysis.time if analysis.time in db.time_points else TIME_POST
        summary = family_summary(
            select_rows(db, replace(analysis, comparators=comparators, time=time)), analysis.method
        )
        summary = summary[summary["family"].isin(families)]
        frames.append(summary.assign(database=name, condition=db.info.condition))
    if not frames:
        return pd.DataFrame(columns=["database", "condition", *SUMMARY_COLUMNS])
    out = pd.concat(frames, ignore_index=True)
    return out[["database", "condition", *SUMMARY_COLUMNS]]


# --------------------------------------------------------------------------
# Page settings and their round trip to URL query parameters
# --------------------------------------------------------------------------

PARAMS = ("db", "family", "vs", "tau", "size", "lowrob", "time")
THRESHOLD_RANGE = (10, 10000)
DEFAULT_DATABASE = "depression-psyctr"


@dataclass(frozen=True)
class Settings:
    """Everything the Metapsy page lets a reader choose. None/() mean the default."""

    database: str | None = None
    family: str | None = None
    comparators: tuple[str, ...] = ()
    method: str = "dl"
    threshold: int = DEFAULT_THRESHOLD
    low_rob_only: bool = False
    time: str = TIME_POST

    def analysis(self) -> Analysis:
        return Analysis(
            time=self.time, low_rob_only=self.low_rob_only, comparators=self.comparators, method=self.method
        )


@dataclass(frozen=True)
class DatabaseOptions:
    """What the settings may take for one database."""

    families: tuple[str, ...]
    comparators: tuple[str, ...]
    times: tuple[str, ...]

    @classmethod
    def of(cls, db: Database) -> DatabaseOptions:
        pooled = tuple(f for f in db.families if f != UNMAPPED)
        return cls(pooled, tuple(db.comparators), db.time_points)


def default_database(databases: tuple[str, ...]) -> str | None:
    if DEFAULT_DATABASE in databases:
        return DEFAULT_DATABASE
    return databases[0] if databases else None


def default_family(options: DatabaseOptions) -> str | None:
    if PSYCHODYNAMIC in options.families:
        return PSYCHODYNAMIC
    return options.families[0] if options.families else None


@dataclass
class ParsedSettings:
    settings: Settings
    notices: list[str] = field(default_factory=list)


def parse_settings(params, databases: tuple[str, ...], options_for) -> ParsedSettings:
    """Settings from query parameters; an invalid value is dropped (default kept) with a notice.

    `options_for(name)` gives the DatabaseOptions of a database.
    """
    params = {k: filters.last_value(v) for k, v in dict(params).items()}
    notices: list[str] = []
    out: dict = {}
    db = default_database(databases)
    if "db" in params:
        if params["db"] in databases:
            db = params["db"]
        else:
            notices.append(
                f"Ignored db {filters.shown(params['db'])}: no such database here "
                f"(available: {', '.join(databases) or 'none'})."
            )
    if db is None:
        return ParsedSettings(Settings(), notices)
    out["database"] = db
    options = options_for(db)
    if "family" in params:
        if params["family"] in options.families:
            out["family"] = params["family"]
        else:
            notices.append(f"Ignored family {filters.shown(params['family'])}: not a pooled therapy family in {db}.")
    out.setdefault("family", default_family(options))
    if "vs" in params:
        chosen = []
        for item in (p.strip() for p in params["vs"].split(",")):
            if not item:
                continue
            if item in options.comparators:
                if item not in chosen:
                    chosen.append(item)
            else:
                notices.append(f"Ignored vs {filters.shown(item)}: not a comparator code in {db}.")
        order = {c: i for i, c in enumerate(options.comparators)}
        chosen = sorted(chosen, key=order.__getitem__)
        out["comparators"] = () if set(chosen) >= set(options.comparators) else tuple(chosen)
    if "tau" in params:
        if params["tau"] in stats.TAU2_METHODS:
            out["method"] = params["tau"]
        else:
            notices.append(f"Ignored tau {filters.shown(params['tau'])}: use one of {', '.join(stats.TAU2_METHODS)}.")
    if "size" in params:
        raw = params["size"].strip()
        low, high = THRESHOLD_RANGE
        if re.fullmatch(r"\d{1,6}", raw) and low <= int(raw) <= high:
            out["threshold"] = int(raw)
        else:
            notices.append(f"Ignored size {filters.shown(raw)}: expected a whole number from {low} to {high}.")
    if "lowrob" in params:
        if params["lowrob"] in ("0", "1"):
            out["low_rob_only"] = params["lowrob"] == "1"
        else:
            notices.append(f"Ignored lowrob {filters.shown(params['lowrob'])}: use 1 (low risk of bias only) or 0.")
    if "time" in params:
        if params["time"] in options.times:
            out["time"] = params["time"]
        else:
            notices.append(f"Ignored time {filters.shown(params['time'])}: use one of {', '.join(options.times)}.")
    return ParsedSettings(Settings(**out), notices)


def serialize_settings(settings: Settings, databases: tuple[str, ...], options_for) -> dict[str, str]:
    """Query parameters for settings: only what differs from the defaults, in a fixed order."""
    params: dict[str, str] = {}
    if settings.database is None:
        return params
    if settings.database != default_database(databases):
        params["db"] = settings.database
    options = options_for(settings.database)
    if settings.family is not None and settings.family != default_family(options):
        params["family"] = settings.family
    if settings.comparators:
        params["vs"] = ",".join(settings.comparators)
    if settings.method != "dl":
        params["tau"] = settings.method
    if settings.threshold != DEFAULT_THRESHOLD:
        params["size"] = str(int(settings.threshold))
    if settings.low_rob_only:
        params["lowrob"] = "1"
    if settings.time != TIME_POST:
        params["time"] = settings.time
    return params


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

CLI_KEYS = ("family", "k", "studies", "participants", "g", "ci_low", "ci_high", "i2")


def _rounded(value, digits: int = 4):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


def cli_records(summary: pd.DataFrame) -> list[dict]:
    return [
        {
            "family": row["family"],
            "k": int(row["k"]),
            "studies": int(row["studies"]),
            "participants": int(row["participants"]),
            "g": _rounded(row["g"]),
            "ci_low": _rounded(row["ci_low"]),
            "ci_high": _rounded(row["ci_high"]),
            "i2": _rounded(row["i2"]),
        }
        for row in summary.to_dict("records")
    ]


def _format_table(records: list[dict]) -> str:
    def cell(value, digits=2):
        if value is None:
            return "–"
        return f"{value:.{digits}f}" if isinstance(value, float) else str(value)

    header = ("family", "k", "studies", "participants", "g", "ci_low", "ci_high", "i2")
    lines = [
        [
            r["family"],
            cell(r["k"]),
            cell(r["studies"]),
            cell(r["participants"]),
            cell(r["g"]),
            cell(r["ci_low"]),
            cell(r["ci_high"]),
            cell(r["i2"]),
        ]
        for r in records
    ]
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(header)]
    fmt = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))  # noqa: E731
    return "\n".join([fmt(header), *(fmt(line) for line in lines)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pdevidence.metapsy",
        description="Pool a Metapsy database by therapy family (random effects, one effect per trial).",
    )
    parser.add_argument("source", help="path or URL of a Metapsy data.csv")
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    parser.add_argument("--method", choices=tuple(stats.TAU2_METHODS), default="dl", help="tau² estimator")
    parser.add_argument("--time", default=TIME_POST, help="time point (post, all, or a value of `time`)")
    parser.add_argument("--low-rob-only", action="store_true", help="only rows rated at low risk of bias")
    args = parser.parse_args(argv)
    try:
        db = read_database(args.source)
    except MetapsyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.time not in db.time_points:
        print(
            f"error: time {args.time!r} not in this database; use one of {', '.join(db.time_points)}", file=sys.stderr
        )
        return 2
    analysis = Analysis(time=args.time, low_rob_only=args.low_rob_only, method=args.method)
    records = cli_records(family_summary(select_rows(db, analysis), args.method))
    if args.json:
        print(json.dumps(records, indent=1))
    else:
        print(f"{db.name}: {len(db.rows)} rows; credit: {CREDIT}, {LICENCE}")
        print(_format_table(records))
        if db.unmapped:
            print(f"unmapped treatment codes (not pooled): {', '.join(db.unmapped)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
