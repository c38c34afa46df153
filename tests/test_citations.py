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


def test_the_summary_citations_hold_every_source_of_its_lines_and_reviews_once(tables):
    from pdevidence import reviews

    names = ("trials", "meta_analyses", "metapsy_summary_effects", "verdicts", "review_statements")
    entries = reviews.build(*(tables[n] for n in names))
    sources = citations.summary_sources(entries, tables["trials"], tables["meta_analyses"], tables["review_statements"])
    lines = [line for _, lines, _ in entries for line in lines]
    databases = {line.doi for line in lines if line.source == "metapsy"}
    assert databases == {
        "10.5281/zenodo.7254845",
        "10.5281/zenodo.12726122",
        "10.5281/zenodo.10185551",
    }
    counted = {s for line in lines if line.source == "count" for s in line.studies}
    by_study = tables["trials"].drop_duplicates("study").set_index("study")
    trial_dois = {by_study.loc[s, "doi"] for s in counted if pd.notna(by_study.loc[s, "doi"])}
    trial_pmids = {by_study.loc[s, "pmid"] for s in counted if pd.isna(by_study.loc[s, "doi"])}
    reviewed = {
        "10.1002/wps.20235",
        "10.1002/wps.21104",
        "10.1016/j.cpr.2009.08.010",
        "10.1176/appi.ajp.160.7.1223",
        "10.1016/j.cpr.2014.03.004",  # Keefe 2014, the anxiety group's figure beside each anxiety condition
    }

    ris = parse_ris(citations.to_ris(sources))
    ris_dois = {r["doi"] for r in ris if "doi" in r}
    assert ris_dois == databases | trial_dois | reviewed
    assert {r["accession_number"] for r in ris if "doi" not in r} == trial_pmids
    assert len(ris) == len(ris_dois) + len(trial_pmids)  # one record per publication
    data = [r for r in ris if r["type_of_reference"] == "DATA"]
    assert {r["doi"] for r in data} == databases
    versions = {line.doi: line.version for line in lines if line.source == "metapsy"}
    assert all(r["notes"][0].startswith(f"Version read: {versions[r['doi']]}. Licence ODC-By 1.0") for r in data)
    umbrella = next(r for r in ris if r.get("doi") == "10.1002/wps.21104")
    assert umbrella["authors"] == ["Leichsenring"] and umbrella["year"] == "2023"

    bib = parse_bibtex(citations.to_bibtex(sources))
    assert [e.key for e in bib] == [r["id"] for r in ris]
    assert {e.fields_dict["doi"].value for e in bib if "doi" in e.fields_dict} == ris_dois
    metapsy = next(e for e in bib if e.key == "metapsy-depression-psyctr")
    assert metapsy.entry_type == "misc" and metapsy.fields_dict["author"].value == "{Metapsy project}"
