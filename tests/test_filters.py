"""Filter state: exact round trip to URL query parameters, and invalid input."""

import pandas as pd
import pytest

from pdevidence import filters

OPTIONS = filters.Options(
    conditions=("anxiety", "depression", "personality"),
    comparator_types=("active", "inactive"),
    designs=("pilot_rct", "rct"),
    terms=("long-term", "short-term"),
    models=("MBT", "PDT", "TFP"),
    n_range=(20, 500),
    year_range=(1980, 2020),
)

STUDIES = pd.DataFrame(
    {
        "condition_group": ["depression", "anxiety", "personality", "depression"],
        "comparator_type": ["inactive", "active", "active", "active"],
        "design": ["rct", "rct", "rct", "pilot_rct"],
        "pd_term": ["short-term", "short-term", "long-term", "short-term"],
        "pd_model": ["PDT", "PDT", "MBT", "PDT"],
        "n_randomized": [341, 495, 134, 20],
        "year": [2013, 2013, 2009, 1980],
    }
)


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, filters.Filters()),
        ({"condition": "depression"}, filters.Filters(conditions=("depression",))),
        ({"condition": "depression,anxiety"}, filters.Filters(conditions=("anxiety", "depression"))),
        ({"comparator": "active", "n_min": "100"}, filters.Filters(comparator_types=("active",), n_min=100)),
        ({"year_min": "2000", "year_max": "2010"}, filters.Filters(year_min=2000, year_max=2010)),
        ({"model": "MBT,TFP", "term": "long-term"}, filters.Filters(terms=("long-term",), models=("MBT", "TFP"))),
    ],
)
def test_valid_parameters_parse_without_notices(params, expected):
    parsed = filters.parse(params, OPTIONS)
    assert parsed.filters == expected
    assert parsed.notices == []


@pytest.mark.parametrize(
    "chosen",
    [
        filters.Filters(),
        filters.Filters(conditions=("depression",)),
        filters.Filters(conditions=("anxiety", "personality"), comparator_types=("inactive",), n_min=50, n_max=200),
        filters.Filters(designs=("rct",), terms=("short-term",), models=("PDT",), year_min=1990, year_max=2015),
    ],
)
def test_serialize_then_parse_gives_back_the_same_selection(chosen):
    params = filters.serialize(chosen)
    assert filters.parse(params, OPTIONS).filters == chosen
    assert filters.serialize(filters.parse(params, OPTIONS).filters) == params


def test_serialized_links_are_canonical_whatever_the_input_order():
    a = filters.serialize(filters.parse({"condition": "personality,anxiety"}, OPTIONS).filters)
    b = filters.serialize(filters.parse({"condition": "anxiety,personality,anxiety"}, OPTIONS).filters)
    assert a == b == {"condition": ["anxiety", "personality"]}


@pytest.mark.parametrize(
    "params, expected, notice",
    [
        ({"condition": "depresion"}, filters.Filters(), "Ignored condition 'depresion'"),
        (
            {"condition": "depression,<script>alert(1)</script>"},
            filters.Filters(conditions=("depression",)),
            "<script>",
        ),
        ({"n_min": "abc"}, filters.Filters(), "n_min 'abc': not a whole number"),
        ({"n_min": "-5"}, filters.Filters(), "cannot be negative"),
        ({"n_min": "300", "n_max": "100"}, filters.Filters(), "minimum 300 is above the maximum 100"),
        ({"year_max": "20.5"}, filters.Filters(), "not a whole number"),
        ({"colour": "red"}, filters.Filters(), "unknown link parameter 'colour'"),
        ({"comparator": "x" * 500}, filters.Filters(), "…"),
    ],
)
def test_invalid_parameters_are_dropped_with_a_notice(params, expected, notice):
    parsed = filters.parse(params, OPTIONS)
    assert parsed.filters == expected
    assert any(notice in n for n in parsed.notices), parsed.notices


def test_a_long_hostile_value_is_shortened_in_the_notice():
    parsed = filters.parse({"comparator": "x" * 500}, OPTIONS)
    assert len(parsed.notices[0]) < 150


def test_bounds_outside_the_data_restrict_nothing_and_are_dropped():
    parsed = filters.parse({"n_min": "0", "n_max": "100000", "year_min": "1900"}, OPTIONS)
    assert parsed.filters == filters.Filters()
    assert filters.serialize(parsed.filters) == {}


def test_normalize_drops_a_selection_of_every_value():
    everything = filters.Filters(comparator_types=("active", "inactive"), n_min=20, n_max=500)
    assert filters.normalize(everything, OPTIONS) == filters.Filters()


@pytest.mark.parametrize(
    "chosen, expected_n",
    [
        (filters.Filters(), [341, 495, 134, 20]),
        (filters.Filters(conditions=("depression",)), [341, 20]),
        (filters.Filters(comparator_types=("active",), n_min=100), [495, 134]),
        (filters.Filters(year_max=2010), [134, 20]),
        (filters.Filters(models=("MBT",)), [134]),
        (filters.Filters(designs=("pilot_rct",)), [20]),
        (filters.Filters(conditions=("psychosis",)), []),
    ],
)
def test_apply_keeps_exactly_the_matching_rows(chosen, expected_n):
    assert list(filters.apply(STUDIES, chosen)["n_randomized"]) == expected_n


def test_options_are_read_off_the_data():
    options = filters.options_from(STUDIES)
    assert options.conditions == ("anxiety", "depression", "personality")
    assert options.n_range == (20, 495)
    assert options.year_range == (1980, 2013)


def test_describe_names_the_selection_in_words():
    text = filters.describe(filters.Filters(conditions=("depression",), n_min=100), {"depression": "Depression"})
    assert text == "Depression; N 100–… participants"
    assert filters.describe(filters.Filters()) == "all studies"


SPECIFIC_STUDIES = STUDIES.assign(
    condition_specific=["major_depression", "social_anxiety", "borderline_pd", "postnatal_depression"]
)


def test_specific_conditions_are_read_off_the_data_under_their_group():
    options = filters.options_from(SPECIFIC_STUDIES)
    assert options.specifics == {
        "anxiety": ("social_anxiety",),
        "depression": ("major_depression", "postnatal_depression"),
        "personality": ("borderline_pd",),
    }
    assert options.specifics_under(("depression",)) == ("major_depression", "postnatal_depression")
    assert options.specifics_under(()) == (
        "social_anxiety",
        "major_depression",
        "postnatal_depression",
        "borderline_pd",
    )
    assert filters.options_from(STUDIES).specifics == {}  # a table without the column offers none


def test_a_specific_condition_filters_the_rows_and_round_trips_through_the_link():
    options = filters.options_from(SPECIFIC_STUDIES)
    parsed = filters.parse({"condition": "depression", "specific": ["postnatal_depression"]}, options)
    assert parsed.notices == []
    assert parsed.filters == filters.Filters(conditions=("depression",), specifics=("postnatal_depression",))
    assert list(filters.apply(SPECIFIC_STUDIES, parsed.filters)["n_randomized"]) == [20]
    assert filters.parse(filters.serialize(parsed.filters), options).filters == parsed.filters


def test_a_specific_condition_of_another_group_is_dropped_with_a_notice():
    options = filters.options_from(SPECIFIC_STUDIES)
    parsed = filters.parse({"condition": "anxiety", "specific": "borderline_pd"}, options)
    assert parsed.filters == filters.Filters(conditions=("anxiety",))
    assert any("Ignored specific 'borderline_pd'" in n for n in parsed.notices)


def test_choosing_every_specific_condition_of_the_chosen_groups_restricts_nothing():
    options = filters.options_from(SPECIFIC_STUDIES)
    chosen = filters.Filters(conditions=("depression",), specifics=("major_depression", "postnatal_depression"))
    assert filters.normalize(chosen, options) == filters.Filters(conditions=("depression",))


def test_bounds_beyond_the_data_are_clamped_with_a_notice():
    parsed = filters.parse({"n_min": "1000", "year_max": "1900"}, OPTIONS)
    assert parsed.filters == filters.Filters(n_min=500, year_max=1980)
    assert len(parsed.notices) == 2
