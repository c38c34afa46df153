"""Therapy families of the treatment codes and names used in Metapsy databases."""

from __future__ import annotations

import re
from dataclasses import dataclass

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
    "schema": "Schema therapy",
    "social_skills": "Social skills training",
    "family": "Family interventions",
    "psychoeducation": "Psychoeducation",
    "other": "Other psychotherapies",
    "combined": "Combinations of therapy families",
    "unmapped": "Unmapped codes (not pooled)",
    "not_coded": "Codes the reviewed coding does not list (not pooled)",
}
PSYCHODYNAMIC = "psychodynamic"
UNMAPPED = "unmapped"
NOT_CODED = "not_coded"  # a code of a reviewed database its coding does not list: never placed by name
NOT_POOLED = (UNMAPPED, NOT_CODED)

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
            "transferrence",
            "dynamic psychotherapy",
            "dynamic therapy",
            "dynamic deconstructive",
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
            "dialectic",
        ),
    ),
    ("behavioural_activation", ("behavioural activation", "behavioral activation")),
    ("problem_solving", ("problem solving", "problem-solving")),
    ("interpersonal", ("interpersonal",)),
    ("emdr", ("emdr", "eye movement desensiti")),
    ("cognitive_remediation", ("cognitive remediation",)),
    ("schema", ("schema therapy", "schema-focused", "schema focused")),
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
            "mixed approaches",
            "mixed/other",
            "mixed / other",
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
    **dict.fromkeys(("other psy", "other", "mixed", "mixed/other", "other/mixed"), "other"),
    # Full names used as codes (as in the suicide-prevention database).
    **dict.fromkeys(("cognitive", "behavioural", "behavioral", "cognitive behavioural", "cognitive behavioral"), "cbt"),
    **dict.fromkeys(("dynamic", "ddp", "mentalisation-based", "mentalization-based"), "psychodynamic"),
    **dict.fromkeys(("dialectic", "dialectical"), "third_wave"),
    **dict.fromkeys(("problem solving", "problem-solving"), "problem_solving"),
    **dict.fromkeys(("schema",), "schema"),
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
