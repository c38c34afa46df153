"""Outcomes of a Metapsy database: which rows belong together, and whether a higher value is better.

Two keyword tables decide, and both are shown on the page. A row's outcome is
its kind (continuous scores or counted events) plus, for scores, the outcome
domain the file gives (`outcome_domain`, `symptom_domain`), and for events, the
kind of event (response, remission, suicide attempt, ...). The instrument
lexicon (data/metapsy_coding.yaml, one place for every scale's direction) comes
first for scores: a scale it knows takes its direction from there, and one that
runs the other way from its domain (a quality-of-life scale among symptom
scales) forms its own outcome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from pdevidence.metapsy.coding import instrument_direction

CONTINUOUS = "continuous"
DICHOTOMOUS = "dichotomous"

# Columns that name an outcome domain, first found wins: the ones the catalogued Metapsy databases use and
# describe in their codebooks. A column of any other name (a free-text `outcome` or `domain` note added to a
# file) never decides which rows are pooled together, so it cannot override the data standard's own columns.
DOMAIN_COLUMNS = ("outcome_domain", "symptom_domain")
# Columns that describe what the events of a dichotomous row count, most specific first.
EVENT_TEXT_COLUMNS = ("dich", "dich_paper", "dich_type", "outcome_type", "outcome_domain", "outcomes", "instrument")

# outcome_type values (or parts of them) that mean counted events.
DICHOTOMOUS_TYPES = re.compile(
    r"dich|\bbin|respon|remission|recover|relaps|deteriorat|event|attempt|suicid|self.?harm|dropout|drop-out", re.I
)

# Kinds of event, checked in this order on each text; first hit wins.
# (key, label, higher_is_better, keywords)
EVENT_CLASSES: tuple[tuple[str, str, bool, tuple[str, ...]], ...] = (
    ("suicide-death", "Death by suicide", False, ("death by suicide", "completed suicide", "suicide death", "died by")),
    (
        "suicidal-behaviour",
        "Suicidal behaviour (attempts, self-harm, suicide)",
        False,
        ("suicid", "self-harm", "self harm", "selfharm", "self-damag", "self-injur", "overdose"),
    ),
    ("deterioration", "Deterioration", False, ("deteriorat", "worsen")),
    ("relapse", "Relapse or recurrence", False, ("relaps", "recurren")),
    ("hospitalisation", "Hospital admission", False, ("hospitali", "admission")),
    ("dropout", "Drop-out", False, ("dropout", "drop-out", "drop out")),
    (
        "remission",
        "Remission or recovery",
        True,
        (
            "remission",
            "remitt",
            "recover",
            "no longer",
            "not meeting",
            "loss of diagnosis",
            "no depression",
            "abstinen",
            "cessation",
        ),
    ),
    ("response", "Response or improvement", True, ("respon", "improve", "reliable change", "significant change")),
)

# Words in an outcome domain (its code, or what the codebook says the code means)
# that say lower is better. A domain matching none of them is left undecided.
LOWER_IS_BETTER = (
    "symptom",
    "severity",
    "depress",
    "anxi",
    "distress",
    "somat",
    "panic",
    "phobi",
    "ptsd",
    "trauma",
    "obsess",
    "compuls",
    "psychot",
    "binge",
    "purg",
    "eating",
    "worry",
    "fear",
    "suicid",
    "impulsiv",
    "anger",
    "hopeless",
    "stress",
    "insomnia",
    "pain",
    "fatigue",
    "health care use",
    "borderline",
    "bpd",
)
# Domain words that say higher is better.
HIGHER_IS_BETTER = ("quality of life", "well-being", "wellbeing", "self-esteem", "satisfaction")
# Domain words too vague to decide: they hold scales of both directions.
MIXED_DOMAINS = ("health status", "functioning", "function", "disability")

SYMPTOMS_KEY = "symptoms"
# Scores in a file without an outcome domain: which way is better is not established by any source unless the
# instrument lexicon knows the scale (or a reviewed coding's `scores:` block says what the scores measure).
NO_DOMAIN = "the file gives no outcome domain"
NO_DOMAIN_KEY = f"c-{SYMPTOMS_KEY}~unknown"
NO_DOMAIN_LABEL = "Scores without an outcome domain (direction not established)"


@dataclass(frozen=True)
class OutcomeClass:
    key: str
    label: str
    kind: str
    higher_is_better: bool | None
    basis: str


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:40] or "x"


def _match(text: str, words: tuple[str, ...]) -> str | None:
    low = " ".join(str(text).lower().split())
    return next((w for w in words if w in low), None)


def domain_definitions(codebook: dict[str, str], column: str | None) -> dict[str, str]:
    """Codes of an outcome-domain column and what they mean, from "description (code)" or "code = description"."""
    if not column or not codebook.get(column):
        return {}
    text = codebook[column]
    out = {code.strip().lower(): desc.strip() for desc, code in re.findall(r"([^,:;()]+?)\s*\(([\w\- ]{1,20})\)", text)}
    out.update(
        {code.strip().lower(): desc.strip() for code, desc in re.findall(r"(\w[\w\- ]{0,19}?)\s*=\s*([^,;()]+)", text)}
    )
    return out


def event_class(texts: list[str]) -> tuple[str, str, bool, str] | None:
    """The kind of event a dichotomous row counts, from the most specific text that names one."""
    for text in texts:
        if not text:
            continue
        for key, label, higher, words in EVENT_CLASSES:
            word = _match(text, words)
            if word:
                shown = text.strip() if len(text.strip()) <= 60 else text.strip()[:59].rstrip() + "…"
                return key, label, higher, f"the event definitions name it, e.g. “{word}” in “{shown}”"
    return None


def _no_domain_class(entry) -> OutcomeClass:
    """Scores in a file without an outcome domain: a direction only where the instrument lexicon knows the scale.

    Without a domain, nothing in the file says what a score measures or which way is better, so a scale the lexicon
    does not know gets no direction and is never pooled (all such rows form one outcome, shown with this reason).
    """
    if entry is None:
        return OutcomeClass(
            NO_DOMAIN_KEY,
            NO_DOMAIN_LABEL,
            CONTINUOUS,
            None,
            f"{NO_DOMAIN} (no {' or '.join(f'`{c}`' for c in DOMAIN_COLUMNS)} column) and the instrument lexicon "
            "does not know the scale, so no source says what the scores measure or which way is better",
        )
    side = "higher" if entry.higher_is_better else "lower"
    basis = f"instrument lexicon: {entry.name}, {side} is better ({entry.source})"
    if entry.group:
        return _lexicon_group(entry, basis)
    if entry.higher_is_better:
        return OutcomeClass(f"c-{SYMPTOMS_KEY}~higher", "Scores (higher is better)", CONTINUOUS, True, basis)
    return OutcomeClass(f"c-{SYMPTOMS_KEY}", "Symptom scales", CONTINUOUS, False, basis)


def _lexicon_group(entry, basis: str) -> OutcomeClass:
    """The outcome a lexicon scale names for itself (its `group`), in its own direction."""
    return OutcomeClass(
        f"c-{slug(entry.group)}", entry.group[:1].upper() + entry.group[1:], CONTINUOUS, entry.higher_is_better, basis
    )


def _domain_class(domain: str, description: str | None, column_note: str | None) -> OutcomeClass:
    """The outcome and direction of a domain of scores, by the keyword tables (None where they cannot tell)."""
    text = f"{description} ({domain})" if description and description.lower() != domain.lower() else domain
    label = text[:1].upper() + text[1:]
    key = f"c-{slug(domain)}"
    for words, higher in ((HIGHER_IS_BETTER, True), (MIXED_DOMAINS, None), (LOWER_IS_BETTER, False)):
        word = _match(text, words)
        if word:
            if higher is None:
                return OutcomeClass(
                    key, label, CONTINUOUS, None, f"“{word}” covers scales where higher is better and where it is worse"
                )
            return OutcomeClass(key, label, CONTINUOUS, higher, f"“{word}” in the outcome domain “{text}”")
    word = _match(column_note or "", LOWER_IS_BETTER)
    if word:
        return OutcomeClass(
            key, label, CONTINUOUS, False, f"“{word}” in the codebook's description of every domain: “{column_note}”"
        )
    return OutcomeClass(key, label, CONTINUOUS, None, f"no keyword in the outcome domain “{text}”")


def continuous_class(
    domain: str | None, description: str | None, instrument: str | None, column_note: str | None = None
) -> OutcomeClass:
    """The outcome of a row of scores: by its scale where the instrument lexicon knows it, else by its domain.

    `column_note` is the codebook's description of the domain column, consulted
    only when the codebook does not define the domain codes one by one (as in
    "Domain of the psychotic symptom": every domain is a symptom domain). A
    domain named for quality of life or well-being holds scales of both
    directions (EDQOL: higher is worse), so there only the lexicon decides.
    """
    entry = instrument_direction(instrument)
    if not domain:
        return _no_domain_class(entry)
    base = _domain_class(domain, description, column_note)
    if entry is None:
        if base.higher_is_better is True:
            return OutcomeClass(
                f"{base.key}~unknown",
                f"{base.label}: scales of unknown direction",
                CONTINUOUS,
                None,
                f"the instrument lexicon does not know “{instrument or 'no instrument'}”, and {base.basis} does not "
                "settle it (such domains hold scales where higher is worse, as EDQOL)",
            )
        return base
    side = "higher" if entry.higher_is_better else "lower"
    basis = f"instrument lexicon: {entry.name}, {side} is better ({entry.source})"
    if base.higher_is_better == entry.higher_is_better:
        return replace(base, basis=basis)
    if entry.group:
        return _lexicon_group(entry, basis)
    return OutcomeClass(
        f"{base.key}~{side}", f"{base.label} ({side} is better)", CONTINUOUS, entry.higher_is_better, basis
    )


def classify(
    frame: pd.DataFrame, codebook: dict[str, str], has_events: pd.Series, has_scores: pd.Series
) -> pd.DataFrame:
    """Per row: outcome key, label, kind, higher_is_better (True/False/None) and the basis of that."""
    domain_col = next((c for c in DOMAIN_COLUMNS if c in frame.columns and frame[c].notna().any()), None)
    definitions = domain_definitions(codebook, domain_col)
    otype = (
        frame["outcome_type"].astype("string").fillna("")
        if "outcome_type" in frame
        else pd.Series("", index=frame.index)
    )
    named_dich = otype.str.contains(DICHOTOMOUS_TYPES, na=False)
    kind = np.where(named_dich | (has_events & ~has_scores & (otype.str.strip() == "")), DICHOTOMOUS, CONTINUOUS)

    def values(column: str | None) -> list:
        if not column or column not in frame.columns:
            return [None] * len(frame)
        col = frame[column].astype(object)
        return [None if pd.isna(v) else str(v).strip() for v in col]

    texts = [values(c) for c in EVENT_TEXT_COLUMNS if c in frame.columns]
    domains, instruments = values(domain_col), values("instrument")
    note = None if definitions else codebook.get(domain_col or "")
    cache: dict[tuple, OutcomeClass] = {}
    records = []
    for pos in range(len(frame)):
        if kind[pos] == DICHOTOMOUS:
            row_texts = tuple(t[pos] for t in texts if t[pos])
            key = ("d", row_texts)
            if key not in cache:
                found = event_class(list(row_texts))
                if found:
                    ekey, label, higher, basis = found
                    cache[key] = OutcomeClass(f"d-{ekey}", label, DICHOTOMOUS, higher, basis)
                else:
                    cache[key] = OutcomeClass(
                        "d-unclassified",
                        "Other counted events",
                        DICHOTOMOUS,
                        None,
                        "the file does not say what the events count (response, remission, relapse, ...)",
                    )
        else:
            domain, instrument = domains[pos] or None, instruments[pos] or None
            key = ("c", domain, instrument)
            if key not in cache:
                desc = definitions.get(domain.lower()) if domain else None
                cache[key] = continuous_class(domain, desc, instrument, note)
        records.append(cache[key])
    return pd.DataFrame(
        {
            "outcome": [r.key for r in records],
            "outcome_label": [r.label for r in records],
            "outcome_kind": [r.kind for r in records],
            "higher_is_better": pd.array([r.higher_is_better for r in records], dtype="boolean"),
            "direction_basis": [r.basis for r in records],
        },
        index=frame.index,
    )


def split_by_instrument(classes: pd.DataFrame, index, instruments: pd.Series, label: str) -> None:
    """Within one reviewed domain that mixes directions, each row's direction comes from its scale (the lexicon).

    Rows whose scale the lexicon does not know get no direction and are not pooled.
    """
    from pdevidence.metapsy.coding import instrument_direction

    for idx in index:
        scale = instruments.get(idx)
        scale = None if pd.isna(scale) else str(scale).strip()
        entry = instrument_direction(scale)
        base = str(classes.at[idx, "outcome"])
        if entry is None:
            classes.at[idx, "outcome"] = f"{base}~unknown"
            classes.at[idx, "outcome_label"] = f"{label}: scales of unknown direction"
            classes.at[idx, "higher_is_better"] = pd.NA
            classes.at[idx, "direction_basis"] = f"the instrument lexicon does not know “{scale or 'no instrument'}”"
            continue
        side = "higher" if entry.higher_is_better else "lower"
        classes.at[idx, "outcome"] = f"{base}~{side}"
        classes.at[idx, "outcome_label"] = f"{label} ({side} is better)"
        classes.at[idx, "higher_is_better"] = entry.higher_is_better
        classes.at[idx, "direction_basis"] = f"instrument lexicon: {entry.name}, {side} is better ({entry.source})"
