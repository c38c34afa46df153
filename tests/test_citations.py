"""RIS and BibTeX exports: one record per filtered trial, parsed back with rispy and bibtexparser."""

import bibtexparser
import pandas as pd
import pytest
import rispy

from pdevidence import citations, filters


def parse_ris(text: str) -> list[dict]:
    return rispy.loads(text)


def parse_bibtex(text: str):
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    return library.entries


def hand_rows() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "id": "smith2001-wl",
                "study": "smith2001",
                "first_author": "Smith",
                "year": 2001,
                "title": "Brief therapy for panic: a randomized trial",
                "journal": "J Anxiety",
                "doi": "10.1000/abc_1",
                "pmid": "123456",
                "condition": "panic disorder",
                "n_randomized": 60,
            },
            {
                "id": "smith2001-cbt",
                "study": "smith2001",
                "first_author": "Smith",
                "year": 2001,
                "title": "Brief therapy for panic: a randomized trial",
                "journal": "J Anxiety",
                "doi": "10.1000/abc_1",
                "pmid": "123456",
                "condition": "panic disorder",
                "n_randomized": 60,
            },
            {
                "id": "jørgensen2013",
                "study": "jorgensen2013",
                "first_author": "Jørgensen",
                "year": 2013,
                "title": "Outcome of {MBT} & 100% of\nsupportive therapy } @misc{x,",
                "journal": "Acta Psychiatr Scand",
                "doi": None,
                "pmid": "999",
                "condition": "borderline personality disorder",
                "n_randomized": 85,
            },
        ]
    )


def test_ris_has_one_record_per_trial_with_its_identifiers():
    records = parse_ris(citations.to_ris(hand_rows()))
    assert [r["id"] for r in records] == ["smith2001", "jorgensen2013"]
    smith = records[0]
    assert smith["type_of_reference"] == "JOUR"
    assert smith["authors"] == ["Smith"]
    assert smith["name_of_database"] == "PubMed"
    assert smith["year"] == "2001"
    assert smith["title"] == "Brief therapy for panic: a randomized trial"
    assert smith["secondary_title"] == "J Anxiety"
    assert smith["doi"] == "10.1000/abc_1"
    assert smith["accession_number"] == "123456"
    assert smith["urls"] == ["https://doi.org/10.1000/abc_1"]
    assert "First author only" in smith["notes"][0]


def test_a_line_break_in_a_title_cannot_start_a_new_ris_tag():
    records = parse_ris(citations.to_ris(hand_rows()))
    other = records[1]
    assert other["title"] == "Outcome of {MBT} & 100% of supportive therapy } @misc{x,"
    assert other["urls"] == ["https://pubmed.ncbi.nlm.nih.gov/999/"]
    assert "doi" not in other


def test_bibtex_has_one_entry_per_trial_and_special_characters_stay_inside_their_field():
    entries = parse_bibtex(citations.to_bibtex(hand_rows()))
    assert [e.key for e in entries] == ["smith2001", "jorgensen2013"]
    smith = {f.key: f.value for f in entries[0].fields}
    assert smith["author"] == "Smith"
    assert smith["year"] == "2001"
    assert smith["doi"] == "10.1000/abc_1"
    assert smith["pmid"] == "123456"
    assert smith["title"] == "{Brief therapy for panic: a randomized trial}"
    other = {f.key: f.value for f in entries[1].fields}
    # The hostile title neither ends its field nor starts a new entry.
    assert other["title"] == r"{Outcome of \{MBT\} \& 100\% of supportive therapy \} @misc\{x,}"
    assert other["author"] == "Jørgensen"
    assert "doi" not in other


@pytest.mark.parametrize("conditions", [(), ("personality",), ("eating", "psychosis")])
def test_exports_of_a_filtered_selection_hold_exactly_its_trials(trials, conditions):
    subset = filters.apply(trials, {"condition": conditions})
    expected = list(dict.fromkeys(subset["study"]))
    ris = parse_ris(citations.to_ris(subset))
    assert [r["id"] for r in ris] == expected
    by_study = subset.drop_duplicates("study").set_index("study")
    for record in ris:
        row = by_study.loc[record["id"]]
        assert record["title"] == " ".join(str(row["title"]).split())
        assert record["year"] == str(row["year"])
        if pd.notna(row["doi"]):
            assert record["doi"] == row["doi"]
        if pd.notna(row["pmid"]):
            assert record["accession_number"] == row["pmid"]
    bib = parse_bibtex(citations.to_bibtex(subset))
    assert [e.key for e in bib] == expected
