"""Risk of bias of Metapsy rows, read from words, codebook-explained numbers or domain judgements."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

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
