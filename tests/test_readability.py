"""Explanatory text reads at or below US school grade 9 (Flesch-Kincaid, via textstat)."""

import pytest
import textstat

from pdevidence import prose

MAX_GRADE = 9.0


@pytest.mark.parametrize(
    "name", ["THERAPY_TYPES", "SHORT_VS_LONG", "FOLLOWUP_CAVEAT", "DEFENSES", "CLAIMS", "GLOSSARY", "EFFECT_MAP"]
)
def test_page_introductions_are_plain_language(name):
    text = getattr(prose, name)
    assert len(text.split()) > 20
    assert textstat.flesch_kincaid_grade(text) <= MAX_GRADE


@pytest.mark.parametrize(
    "table, columns",
    [
        ("therapy_types", ["session", "focus", "structure", "typical_length", "used_for"]),
        ("defense_mechanisms", ["definition", "example"]),
        ("glossary", ["definition"]),
        ("claims", ["reason"]),
    ],
)
def test_explanations_in_the_tables_are_plain_language(tables, table, columns):
    text = " ".join(" ".join(tables[table][c].dropna()) for c in columns)
    grade = textstat.flesch_kincaid_grade(text)
    assert grade <= MAX_GRADE, f"{table}: grade {grade:.1f}"
