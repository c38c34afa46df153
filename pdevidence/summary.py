"""Summary of findings per condition: one line per comparison with its effect, NNT, our certainty and the reviews.

Pure logic (no Streamlit): tables in, plain records out. The effect of a line is the best available:
a Metapsy database pooled here from its bundled per-trial effects (data/metapsy_summary_effects.csv),
else a published meta-analysis row of data/meta_analyses.csv for that condition, else the number of
trials, too few to pool. The certainty is ours, by the rules in pdevidence.certainty. A condition with
subtypes (Condition.subtypes) also gets one line per subtype and comparison, by the same rules, each trial in
one subtype only (SUBTYPE_RULE).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

import pandas as pd

from pdevidence import certainty, stats, viewstate, vocab
from pdevidence.certainty import Evidence

COMPARISONS = {
    "inactive": "no real treatment, such as a waitlist, usual care or a placebo",
    "active": "another treatment",
    "add_on": "the other treatment alone (psychodynamic therapy added to it)",
}
COMPARISON_HEADINGS = {
    "inactive": "Against no real treatment",
    "active": "Against another treatment",
    "add_on": "Added to another treatment",
}
# The control response rate assumed when an NNT is converted from g: 20%, the default of metapsyTools'
# runMetaAnalysis (`nnt.cer = 0.2`). It is a response rate under no real treatment, so the conversion is
# made only for lines against no real treatment with a positive g on a continuous outcome.
CONTROL_RATE = 0.20
BIG_TRIAL = 100


@dataclass(frozen=True)
class Source:
    """Where a line's pooled effect may come from in the bundled Metapsy extract."""

    database: str
    outcome: str
    indirectness: str | None = None


@dataclass(frozen=True)
class Condition:
    key: str
    label: str
    group: str
    specific: tuple[str, ...]
    outcome: str  # words for the outcome, e.g. "depression symptoms"
    metapsy: dict[str, Source] = field(default_factory=dict)
    published: dict[str, tuple[str, ...]] = field(default_factory=dict)  # meta_analyses ids, by comparison
    verb: str = "reduce"
    subtypes: tuple[str, ...] = ()  # specific conditions shown apart under the entry (vocab.CONDITIONS_SPECIFIC)


DEPRESSION = (
    "major_depression",
    "chronic_depression",
    "postnatal_depression",
    "minor_depression",
    "depression_physical_illness",
    "depression_other",
)
CONDITIONS = (
    Condition(
        "depression",
        "Depression",
        "depression",
        DEPRESSION,
        "depression symptoms",
        {"inactive": Source("depression-psyctr", "c-symptoms")},
        {"active": ("driessen2010-stpp-vs-other-post",)},
        subtypes=DEPRESSION,
    ),
    Condition(
        "mood_anxiety_mixed",
        "Mixed depression and anxiety",
        "depression",
        ("mood_anxiety_mixed",),
        "depression symptoms",
        {
            "inactive": Source(
                "depression-anxiety-transdiagnostic",
                "c-depression",
                "depression scales in mixed (transdiagnostic) populations; its anxiety scales are a separate outcome",
            )
        },
    ),
    Condition("panic", "Panic disorder", "anxiety", ("panic",), "panic symptoms"),
    Condition("gad", "Generalized anxiety disorder", "anxiety", ("gad",), "anxiety symptoms"),
    Condition(
        "social_anxiety",
        "Social anxiety disorder",
        "anxiety",
        ("social_anxiety",),
        "social anxiety symptoms",
        {"inactive": Source("sad-psyctr", "c-social-anxiety")},
    ),
    Condition("ptsd", "PTSD", "anxiety", ("ptsd",), "PTSD symptoms"),
    Condition("ocd", "Obsessive-compulsive disorder", "anxiety", ("ocd",), "OCD symptoms"),
    Condition(
        "borderline_pd",
        "Borderline personality disorder",
        "personality",
        ("borderline_pd",),
        "borderline symptoms",
        {
            "inactive": Source("borderline-psyctr", "c-bpd-severity"),
            "active": Source("borderline-psyctr", "c-bpd-severity"),
        },
    ),
    Condition(
        "other_pd",
        "Other personality disorders (cluster C, mixed)",
        "personality",
        ("cluster_c_pd", "mixed_pd"),
        "personality disorder symptoms",
    ),
    # Source kept at borderline-psyctr, not suicide-psyctr (whose psychodynamic trials with attempt counts are
    # borderline trials too): one comparator class per trial across the summary, and both comparisons kept
    # (docs/decisions.md, "The self-harm line's source").
    Condition(
        "self_harm",
        "Self-harm and suicidal behaviour",
        "personality",
        ("self_harm",),
        "suicidal behaviour (suicide attempts or self-harm)",
        {
            "inactive": Source(
                "borderline-psyctr",
                "d-suicidal-behaviour",
                "trials of people with borderline personality disorder only; attempts and self-harm counted together",
            ),
            "active": Source(
                "borderline-psyctr",
                "d-suicidal-behaviour",
                "trials of people with borderline personality disorder only; attempts and self-harm counted together",
            ),
        },
    ),
    Condition(
        "somatic",
        "Somatic symptom disorders",
        "somatic",
        ("ibs", "functional_dyspepsia", "somatic_pain"),
        "somatic symptoms",
    ),
    Condition(
        "eating", "Eating disorders", "eating", ("anorexia", "bulimia", "binge_eating"), "eating disorder symptoms"
    ),
    Condition("substance_use", "Substance use", "substance_use", ("cocaine", "opioid", "alcohol"), "substance use"),
    Condition("psychosis", "Psychosis", "psychosis", ("psychosis",), "psychotic symptoms"),
)


def _trials_of(trials: pd.DataFrame, cond: Condition, comparison: str) -> pd.DataFrame:
    rows = trials[trials["condition_specific"].isin(cond.specific) & (trials["comparator_type"] == comparison)]
    return rows.drop_duplicates("study")


def _n(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def label_years(labels) -> tuple[int, ...]:
    """Years from Metapsy study labels ("Leichsenring, 2013", "Smith, 2012a"); a label without one is skipped."""
    found = (re.search(r",\s*((?:19|20)\d\d)", str(label)) for label in labels)
    return tuple(int(m.group(1)) for m in found if m)


def metapsy_set(extract: pd.DataFrame, source: Source, comparison: str, time: str = "post") -> pd.DataFrame:
    rows = extract[
        (extract["database"] == source.database)
        & (extract["outcome"] == source.outcome)
        & (extract["comparison"] == comparison)
        & (extract["time_point"] == time)
    ]
    return rows.sort_values("study").reset_index(drop=True)


@dataclass(frozen=True)
class Line:
    """One comparison of one condition, as the summary shows it."""

    condition: str
    comparison: str
    source: str  # metapsy, published or count
    source_text: str
    k: int
    people: int | None
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    pi_low: float | None = None
    pi_high: float | None = None
    i2: float | None = None
    rating: certainty.Rating | None = None
    statement: str = ""
    absolute: certainty.Absolute | None = None
    absolute_text: str = ""
    holds: tuple[tuple[str, str, str], ...] = ()  # (check, holds/changes/not possible, figure)
    studies: tuple[str, ...] = ()
    years: tuple[int, ...] = ()  # publication year of each trial, where the data give it
    version: str = ""
    doi: str = ""
    database: str = ""  # the Metapsy database a metapsy line pools (or a subtype's count line also counts)
    effect_type: str = "g"  # g (Hedges), d (Cohen) or SMD, as the source gives it
    subtype: str = ""  # the specific condition of a subtype line (Condition.subtypes); "" for the entry's own lines
    database_studies: tuple[str, ...] = ()  # a count line's trials that only the Metapsy database holds (its labels)

    @property
    def certainty(self) -> str:
        return self.rating.certainty if self.rating else "not rated"


def _same_answer(base: stats.Pooled, other: stats.Pooled) -> bool:
    """The answer holds when the direction and whether the CI excludes no effect stay the same."""
    excludes = lambda p: p.ci_low > 0 or p.ci_high < 0  # noqa: E731
    return math.copysign(1, base.estimate) == math.copysign(1, other.estimate) and excludes(base) == excludes(other)


def _fmt(p: stats.Pooled) -> str:
    return f"g {p.estimate:.2f} ({p.ci_low:.2f} to {p.ci_high:.2f}), {p.k} trials"


def _subset_check(label: str, base: stats.Pooled, part: pd.DataFrame) -> tuple[str, str, str]:
    if len(part) < stats.MIN_STUDIES_TO_POOL:
        return (label, "not possible", f"only {len(part)} such trial{'s' if len(part) != 1 else ''}")
    pooled = stats.pool(part["g"], part["se"])
    return (label, "holds" if _same_answer(base, pooled) else "changes", _fmt(pooled))


def sensitivity(rows: pd.DataFrame, base: stats.Pooled, followup: pd.DataFrame) -> tuple[tuple[str, str, str], ...]:
    """Does it hold? Large trials only, low risk of bias only, leave-one-out, Paule-Mandel, follow-up."""
    checks = [
        _subset_check(f"Only trials with {BIG_TRIAL} or more people", base, rows[rows["n"] >= BIG_TRIAL]),
        _subset_check("Only trials at low risk of bias", base, rows[rows["rob_level"] == "low"]),
    ]
    if len(rows) > stats.MIN_STUDIES_TO_POOL:
        loo = [stats.pool(rows["g"].drop(i), rows["se"].drop(i)) for i in rows.index]
        same = all(_same_answer(base, p) for p in loo)
        low, high = min(p.estimate for p in loo), max(p.estimate for p in loo)
        checks.append(
            ("Leaving out each trial in turn", "holds" if same else "changes", f"g from {low:.2f} to {high:.2f}")
        )
    else:
        checks.append(("Leaving out each trial in turn", "not possible", "it would leave fewer than 3 trials"))
    pm = stats.pool(rows["g"], rows["se"], method="pm")
    checks.append(
        ("Paule-Mandel instead of DerSimonian-Laird tau²", "holds" if _same_answer(base, pm) else "changes", _fmt(pm))
    )
    if followup.empty:
        checks.append(("At follow-up", "not possible", "no follow-up effects in the database"))
    else:
        checks.append(_subset_check("At follow-up", base, followup))
    return tuple(checks)


def _absolute(extract: pd.DataFrame, source: Source, comparison: str, g: float) -> certainty.Absolute | None:
    """Events where the line's own outcome counts them in every trial; otherwise, against no real treatment,
    an NNT converted from a positive g; None where neither fits."""
    rows = metapsy_set(extract, source, comparison)
    counted = rows.dropna(subset=["event_arm1", "totaln_arm1", "event_arm2", "totaln_arm2"])
    if len(rows) and len(counted) == len(rows) and len(counted) >= stats.MIN_STUDIES_TO_POOL:
        favourable = rows["higher_is_better"].iloc[0] == "yes"
        return certainty.absolute_from_events(
            counted["event_arm1"], counted["totaln_arm1"], counted["event_arm2"], counted["totaln_arm2"], favourable
        )
    if len(rows) and rows["outcome_type"].iloc[0] == "dichotomous":
        return None  # counted events without every trial's counts: a response-rate conversion would not fit
    if comparison != "inactive" or not g > 0:
        return None  # the assumed rate is a response rate without real treatment, for a benefit only
    return certainty.absolute_from_g(g, CONTROL_RATE)


def absolute_text(absolute: certainty.Absolute, events: bool) -> str:
    what = "people with the event" if events else "people responding"
    return (
        f"{absolute.control_per_100:.0f} {what} per 100 without the therapy, {absolute.therapy_per_100:.0f} per 100 "
        f"with it; {certainty.nnt_text(absolute)} ({absolute.basis})."
    )


def _intervals(pooled: stats.Pooled) -> dict[str, float]:
    """The estimate, its CI and prediction interval and I², as Evidence and Line both name them."""
    names = ("estimate", "ci_low", "ci_high", "pi_low", "pi_high", "i2")
    return {name: getattr(pooled, name) for name in names}


def metapsy_line(cond: Condition, comparison: str, extract: pd.DataFrame) -> Line | None:
    source = cond.metapsy.get(comparison)
    if source is None:
        return None
    rows = metapsy_set(extract, source, comparison)
    if len(rows) < stats.MIN_STUDIES_TO_POOL:
        return None
    pooled = stats.pool(rows["g"], rows["se"])
    people = int(rows["n"].sum())
    ev = Evidence(
        **_intervals(pooled),
        tau2=pooled.tau2,
        k=pooled.k,
        people=people,
        g=tuple(rows["g"]),
        se=tuple(rows["se"]),
        rob=tuple(rows["rob_level"]),
        indirectness=source.indirectness,
    )
    rating = certainty.rate(ev)
    events = rows["outcome_type"].iloc[0] == "dichotomous"
    absolute = _absolute(extract, source, comparison, pooled.estimate)
    followup = extract[
        (extract["database"] == source.database)
        & (extract["outcome"] == source.outcome)
        & (extract["comparison"] == comparison)
        & (extract["time_point"] != "post")
    ]
    first = rows.iloc[0]
    return Line(
        condition=cond.key,
        comparison=comparison,
        source="metapsy",
        source_text=f"Metapsy database {source.database} ({first['outcome_label']}, end of treatment), pooled here",
        k=pooled.k,
        people=people,
        **_intervals(pooled),
        rating=rating,
        statement=certainty.statement(
            rating.certainty,
            pooled.estimate,
            outcome=cond.outcome,
            comparison=COMPARISONS[comparison],
            k=pooled.k,
            people=people,
            verb=cond.verb,
        ),
        absolute=absolute,
        absolute_text=absolute_text(absolute, events) if absolute else "",
        holds=sensitivity(rows, pooled, followup),
        studies=tuple(rows["study"]),
        years=label_years(rows["study"]),
        version=str(first["database_version"]),
        doi=str(first["database_doi"]),
        database=source.database,
    )


# The effect-size name a published row's es_type gives (meta_analyses.es_type); a d is never called g.
EFFECT_TYPES = {"g_between": "g", "d_between": "d", "smd_between": "SMD"}


def published_line(cond: Condition, comparison: str, meta: pd.DataFrame) -> Line | None:
    ids = cond.published.get(comparison, ())
    rows = meta[meta["id"].isin(ids)]
    if rows.empty or pd.isna(rows.iloc[0]["k_studies"]):
        return None  # without the number of trials the line cannot say what it rests on
    row = rows.iloc[0]
    ci = (None, None) if pd.isna(row["es_ci_low"]) else (float(row["es_ci_low"]), float(row["es_ci_high"]))
    people = _n(row["n_patients"])
    ev = Evidence(
        estimate=float(row["es_value"]),
        ci_low=ci[0],
        ci_high=ci[1],
        people=people,
        k=_n(row["k_studies"]),
        trial_level=False,
    )
    rating = certainty.rate(ev)
    k = int(row["k_studies"])
    where = (
        f"{row['first_author']} {row['year']}, doi:{row['doi']}" if pd.notna(row["doi"]) else str(row["first_author"])
    )
    return Line(
        condition=cond.key,
        comparison=comparison,
        source="published",
        source_text=f"published meta-analysis ({where}; {row['source_location']})",
        k=k,
        people=people,
        estimate=float(row["es_value"]),
        ci_low=ci[0],
        ci_high=ci[1],
        rating=rating,
        statement=certainty.statement(
            rating.certainty,
            float(row["es_value"]),
            outcome=cond.outcome,
            comparison=COMPARISONS[comparison],
            k=k,
            people=people,
            verb=cond.verb,
        ),
        doi=str(row["doi"]) if pd.notna(row["doi"]) else "",
        effect_type=EFFECT_TYPES.get(str(row["es_type"]), str(row["es_type"])),
    )


def _count_statement(k: int, people: int, comparison: str, what: str) -> str:
    return (
        f"{k} trial{'s' if k != 1 else ''} ({people:,} people) compared psychodynamic therapy with "
        f"{COMPARISONS[comparison]} for {what}, but fewer than {stats.MIN_STUDIES_TO_POOL} have effects "
        "we can pool, so we give no pooled effect and no certainty rating."
    )


def count_line(
    cond: Condition, comparison: str, trials: pd.DataFrame, extract: pd.DataFrame | None = None
) -> Line | None:
    """The trials of a comparison that cannot be pooled, each once: those in the trial table and, where the
    condition has a Metapsy source, those only in that database (too few of them to pool)."""
    source = cond.metapsy.get(comparison)
    rows = metapsy_set(extract, source, comparison) if source is not None and extract is not None else None
    if rows is not None:
        # A trial the trial table holds counts under its condition there, never under a second entry.
        mine = trials.loc[trials["condition_specific"].isin(cond.specific), "study"]
        rows = rows[~rows["trial"].isin(trials["study"]) | rows["trial"].isin(mine)]
    return _count(cond, comparison, _trials_of(trials, cond, comparison), rows, trials, source, cond.label)


def _count(cond, comparison, curated, rows, trials, source, label, subtype: str = "") -> Line | None:
    """A count line from the trial table's rows (`curated`) and a Metapsy set (`rows`, may be None), each trial once."""
    if rows is None or not len(rows):
        only_db, extra = curated[:0].assign(n=[]), curated[:0]
    else:
        only_db = rows[~rows["trial"].isin(trials["study"])]
        held = set(rows["trial"].dropna()) & set(trials["study"])
        extra = trials[trials["study"].isin(held - set(curated["study"]))].drop_duplicates("study")
    counted = pd.concat([curated, extra])
    k = len(counted) + len(only_db)
    if k == 0:
        return None
    people = int(counted["n_randomized"].sum() + only_db["n"].sum())
    where = f"{k} trial{'s' if k != 1 else ''}"
    if len(only_db):
        held_text = f": {len(counted)} in the trial table and {len(only_db)}" if len(counted) else ""
        where += f"{held_text} only in the Metapsy database {source.database}, classed by its own codes;"
    else:
        where += " in the trial table,"
    return Line(
        condition=cond.key,
        comparison=comparison,
        source="count",
        source_text=f"{where} not enough effects to pool",
        k=k,
        people=people,
        statement=_count_statement(k, people, comparison, label[:1].lower() + label[1:] if subtype else label),
        studies=tuple(counted["study"]),
        years=tuple(int(y) for y in counted["year"].dropna()) + label_years(only_db["study"]),
        database=source.database if len(only_db) else "",
        subtype=subtype,
        database_studies=tuple(only_db["study"]),
    )


# Which subtype a trial of a Metapsy database belongs to when the trial table does not hold it, from the
# database's own population codes, first rule that fits; a trial the trial table holds keeps its
# condition_specific there, so each trial has one subtype. Read in depression-psyctr.variables.json:
#   target_group: "adul= adults, old= older adults, stud= student population, ppd= women with perinatal depression;
#                  med= comorbid medical disorder; oth= other"
#   diagnosis: "mdd= major depression; mood= mood disorder; cut= cut-off score; sub= subclinical depression;
#               chr= chronic depression"
# Perinatal (ppd) is wider than postnatal; mood disorder, a cut-off score and subclinical depression name no
# subtype of the trial table, so those trials go to depression_other.
METAPSY_SUBTYPES = {
    "depression-psyctr": (
        ("target_group", "ppd", "postnatal_depression"),
        ("target_group", "med", "depression_physical_illness"),
        ("diagnosis", "chr", "chronic_depression"),
        ("diagnosis", "mdd", "major_depression"),
    ),
}
OTHER_SUBTYPE = "depression_other"
# A subtype that is itself a mix of populations is rated down for indirectness when it is pooled.
SUBTYPE_INDIRECTNESS = {
    OTHER_SUBTYPE: "a mix of populations that name no one subtype (depression by a cut-off score, a mood disorder, "
    "or a diagnosis the trial table does not specify)"
}
SUBTYPE_RULE = (
    "Each trial is counted in one subtype only: a trial in our trial table under its condition there, a trial only "
    "in the Metapsy database under the database's own codes (its target group: perinatal depression or a medical "
    "illness; else its diagnosis: chronic or major depression; else other)."
)


def _codes(value) -> set[str]:
    return set() if pd.isna(value) else {c.strip() for c in str(value).split(",")}


def metapsy_subtypes(rows: pd.DataFrame, trials: pd.DataFrame) -> pd.Series:
    """The subtype of each extract row: its trial's condition_specific in the trial table, else by METAPSY_SUBTYPES."""
    held = trials.drop_duplicates("study").set_index("study")["condition_specific"]

    def one(row) -> str:
        if pd.notna(row["trial"]) and row["trial"] in held.index:
            return str(held[row["trial"]])
        for column, code, subtype in METAPSY_SUBTYPES.get(row["database"], ()):
            if code in _codes(row[column]):
                return subtype
        return OTHER_SUBTYPE

    return rows.apply(one, axis=1) if len(rows) else pd.Series(dtype=str)


def subtype_line(cond: Condition, subtype: str, comparison: str, trials, extract) -> Line | None:
    """One subtype's line for one comparison: pooled from the entry's Metapsy source when at least
    stats.MIN_STUDIES_TO_POOL of its trials are of the subtype, else the count of its trials, each once, in the
    trial table and (those it does not hold) in the database."""
    label = vocab.label(vocab.CONDITIONS_SPECIFIC, subtype)
    source = cond.metapsy.get(comparison)
    rows = metapsy_set(extract, source, comparison) if source else extract[:0]
    mine = rows[metapsy_subtypes(rows, trials) == subtype] if len(rows) else rows
    words = label[:1].lower() + label[1:]
    narrowed = replace(cond, outcome=f"{cond.outcome} in {words}", specific=(subtype,))
    if len(mine) >= stats.MIN_STUDIES_TO_POOL:
        narrowed = replace(
            narrowed, metapsy={comparison: replace(source, indirectness=SUBTYPE_INDIRECTNESS.get(subtype))}
        )
        others = (extract["database"] != source.database) | extract["study"].isin(mine["study"])
        line = metapsy_line(narrowed, comparison, extract[others])
        return replace(line, subtype=subtype, source_text=f"{line.source_text}, its trials of {words} only")
    return _count(cond, comparison, _trials_of(trials, narrowed, comparison), mine, trials, source, label, subtype)


def subtype_lines(cond: Condition, trials: pd.DataFrame, extract: pd.DataFrame) -> list[Line]:
    """Every subtype with trials, in the order of cond.subtypes, one line per comparison."""
    lines = []
    for subtype in cond.subtypes:
        for comparison in COMPARISONS:
            line = subtype_line(cond, subtype, comparison, trials, extract)
            if line is not None:
                lines.append(line)
    return lines


def build(trials: pd.DataFrame, meta: pd.DataFrame, extract: pd.DataFrame) -> list[tuple[Condition, list[Line]]]:
    """Every condition with evidence, with one line per comparison (best available source first).

    `meta` is meta_analyses.csv and `extract` metapsy_summary_effects.csv, as the loader returns them."""
    out = []
    for cond in CONDITIONS:
        lines = []
        for comparison in COMPARISONS:
            line = (
                metapsy_line(cond, comparison, extract)
                or published_line(cond, comparison, meta)
                or count_line(cond, comparison, trials, extract)
            )
            if line is not None:
                lines.append(line)
        subtypes = subtype_lines(cond, trials, extract)
        if subtypes:
            whole = f"; all {cond.label.lower()} trials together, its subtypes follow"
            lines = [replace(line, source_text=line.source_text + whole) for line in lines] + subtypes
        if lines:
            out.append((cond, lines))
    return out


def entry_link(cond: Condition, trials: pd.DataFrame) -> str:
    """The shareable Explore view of one entry: its condition group, narrowed to the entry's specific
    conditions where the group holds others (depression without the mixed depression-and-anxiety trials)."""
    in_group = set(trials.loc[trials["condition_group"] == cond.group, "condition_specific"])
    mine = tuple(c for c in cond.specific if c in in_group)
    state = {"condition": (cond.group,), "specific": () if set(mine) >= in_group else mine}
    return "explore?" + urlencode(viewstate.serialize(state), doseq=True)


def condition_of(state, trials: pd.DataFrame) -> Condition | None:
    """The summary condition a selection's condition filters keep exactly (as its entry_link sets them), or None.

    The specific conditions kept are the chosen ones within the chosen groups (all of a group's when none is
    chosen); a selection keeps one summary condition when they are that condition's specific conditions in the
    data. The other filters (size, year, ...) do not change which condition it is."""
    groups, chosen = tuple(state.get("condition") or ()), tuple(state.get("specific") or ())
    if not groups and not chosen:
        return None
    offered = trials if not groups else trials[trials["condition_group"].isin(groups)]
    kept = set(offered["condition_specific"].dropna())
    if chosen:
        kept &= set(chosen)
    present = set(trials["condition_specific"].dropna())
    return next((c for c in CONDITIONS if kept and kept == set(c.specific) & present), None)


def line_trials(cond: Condition, line: Line, extract: pd.DataFrame) -> pd.DataFrame:
    """The trials a pooled Metapsy line rests on, shaped for charts.forest_plot (label, estimate, 95% CI,
    detail) with their SE, size and risk of bias; empty for a line that pools nothing here."""
    source = cond.metapsy.get(line.comparison)
    if line.source != "metapsy" or source is None:
        return pd.DataFrame(columns=["label", "estimate", "ci_low", "ci_high", "detail", "se", "n", "rob_level"])
    rows = metapsy_set(extract, source, line.comparison)
    rows = rows[rows["study"].isin(line.studies)].sort_values(["g", "study"], ascending=[False, True])
    low, high = stats.normal_ci(rows["g"], rows["se"])
    return pd.DataFrame(
        {
            "label": rows["study"].astype(str),
            "estimate": rows["g"],
            "ci_low": low,
            "ci_high": high,
            "detail": "vs " + rows["comparators"].astype(str) + "; N = " + rows["n"].astype(str),
            "se": rows["se"],
            "n": rows["n"],
            "rob_level": rows["rob_level"],
        }
    ).reset_index(drop=True)


def group_label(cond: Condition) -> str:
    return vocab.label(vocab.CONDITION_GROUPS, cond.group)


def to_frame(entries: list[tuple[Condition, list[Line]]]) -> pd.DataFrame:
    """The summary as one row per line, for the CSV download."""
    records = []
    for cond, lines in entries:
        for line in lines:
            records.append(
                {
                    "condition": cond.label,
                    "subtype": vocab.label(vocab.CONDITIONS_SPECIFIC, line.subtype) if line.subtype else "",
                    "comparison": COMPARISONS[line.comparison],
                    "source": line.source_text,
                    "trials": line.k,
                    "people": line.people,
                    "effect_type": line.effect_type if line.estimate is not None else "",
                    "effect": line.estimate,
                    "ci_low": line.ci_low,
                    "ci_high": line.ci_high,
                    "pi_low": line.pi_low,
                    "pi_high": line.pi_high,
                    "our_certainty": line.certainty,
                    "downgrades": "; ".join(f"{d.label}: {d.reason}" for d in line.rating.downgrades)
                    if line.rating
                    else "",
                    "absolute": line.absolute_text,
                    "statement": line.statement,
                    "does_it_hold": "; ".join(f"{c}: {h} ({f})" for c, h, f in line.holds),
                    "database_version": line.version,
                    "database_doi": line.doi,
                }
            )
    return pd.DataFrame(records)
