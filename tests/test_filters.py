"""The filters of the trials: exact round trip to URL query parameters, invalid input, and a new filter as one
row of the table of fields."""

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pdevidence import filters, viewstate

APP = str(Path(__file__).resolve().parents[1] / "app.py")

CONTEXT = {
    "condition": ("anxiety", "depression", "personality"),
    "specific": {},
    "comparator": ("active", "inactive"),
    "design": ("pilot_rct", "rct"),
    "term": ("long-term", "short-term"),
    "model": ("MBT", "PDT", "TFP"),
    "n_min": (20, 500),
    "n_max": (20, 500),
    "year_min": (1980, 2020),
    "year_max": (1980, 2020),
}
EVERY = filters.parse({}, CONTEXT).state  # no restriction


def sel(**values):
    """A selection: every filter unrestricted except those given."""
    return EVERY | values


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


def test_every_filter_is_a_row_of_the_table_of_fields_with_a_column_of_the_trials(trials):
    assert filters.names() == (
        "condition", "specific", "n_min", "n_max", "comparator", "design", "year_min", "year_max", "term", "model",
    )  # fmt: skip
    for f in viewstate.filter_fields():
        assert f.column in trials.columns, f
    assert {name: () if viewstate.BY_NAME[name].kind == "multi" else None for name in filters.names()} == EVERY


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, sel()),
        ({"condition": "depression"}, sel(condition=("depression",))),
        ({"condition": "depression,anxiety"}, sel(condition=("anxiety", "depression"))),
        ({"comparator": "active", "n_min": "100"}, sel(comparator=("active",), n_min=100)),
        ({"year_min": "2000", "year_max": "2010"}, sel(year_min=2000, year_max=2010)),
        ({"model": "MBT,TFP", "term": "long-term"}, sel(term=("long-term",), model=("MBT", "TFP"))),
    ],
)
def test_valid_parameters_parse_without_notices(params, expected):
    parsed = filters.parse(params, CONTEXT)
    assert parsed.state == expected
    assert parsed.notices == []


@pytest.mark.parametrize(
    "chosen",
    [
        sel(),
        sel(condition=("depression",)),
        sel(condition=("anxiety", "personality"), comparator=("inactive",), n_min=50, n_max=200),
        sel(design=("rct",), term=("short-term",), model=("PDT",), year_min=1990, year_max=2015),
    ],
)
def test_serialize_then_parse_gives_back_the_same_selection(chosen):
    params = filters.serialize(chosen)
    assert filters.parse(params, CONTEXT).state == chosen
    assert filters.serialize(filters.parse(params, CONTEXT).state) == params


def test_serialized_links_are_canonical_whatever_the_input_order():
    a = filters.serialize(filters.parse({"condition": "personality,anxiety"}, CONTEXT).state)
    b = filters.serialize(filters.parse({"condition": "anxiety,personality,anxiety"}, CONTEXT).state)
    assert a == b == {"condition": ["anxiety", "personality"]}


@pytest.mark.parametrize(
    "params, expected, notice",
    [
        ({"condition": "depresion"}, sel(), "Ignored condition 'depresion'"),
        (
            {"condition": "depression,<script>alert(1)</script>"},
            sel(condition=("depression",)),
            "<script>",
        ),
        ({"n_min": "abc"}, sel(), "n_min 'abc': not a whole number"),
        ({"n_min": "-5"}, sel(), "cannot be negative"),
        ({"n_min": "300", "n_max": "100"}, sel(), "minimum 300 is above the maximum 100"),
        ({"year_max": "20.5"}, sel(), "not a whole number"),
        ({"colour": "red"}, sel(), "unknown link parameter 'colour'"),
        ({"comparator": "x" * 500}, sel(), "…"),
    ],
)
def test_invalid_parameters_are_dropped_with_a_notice(params, expected, notice):
    parsed = filters.parse(params, CONTEXT)
    assert parsed.state == expected
    assert any(notice in n for n in parsed.notices), parsed.notices


def test_a_long_hostile_value_is_shortened_in_the_notice():
    parsed = filters.parse({"comparator": "x" * 500}, CONTEXT)
    assert len(parsed.notices[0]) < 150


def test_bounds_outside_the_data_restrict_nothing_and_are_dropped():
    parsed = filters.parse({"n_min": "0", "n_max": "100000", "year_min": "1900"}, CONTEXT)
    assert parsed.state == sel()
    assert filters.serialize(parsed.state) == {}


def test_normalize_drops_a_selection_of_every_value():
    everything = sel(comparator=("active", "inactive"), n_min=20, n_max=500)
    assert filters.normalize(everything, CONTEXT) == sel()


@pytest.mark.parametrize(
    "chosen, expected_n",
    [
        (sel(), [341, 495, 134, 20]),
        (sel(condition=("depression",)), [341, 20]),
        (sel(comparator=("active",), n_min=100), [495, 134]),
        (sel(year_max=2010), [134, 20]),
        (sel(model=("MBT",)), [134]),
        (sel(design=("pilot_rct",)), [20]),
        (sel(condition=("psychosis",)), []),
        (sel(specific=("major_depression",)), []),  # a filter whose column the table lacks keeps nothing
    ],
)
def test_apply_keeps_exactly_the_matching_rows(chosen, expected_n):
    assert list(filters.apply(STUDIES, chosen)["n_randomized"]) == expected_n


def test_allowed_values_and_ranges_are_read_off_the_data():
    context = filters.context(STUDIES)
    assert context["condition"] == ("anxiety", "depression", "personality")
    assert context["n_min"] == context["n_max"] == (20, 495)
    assert context["year_min"] == (1980, 2013)


def test_describe_names_the_selection_in_words():
    assert filters.describe(sel(condition=("depression",), n_min=100)) == "Depression; N 100–… participants"
    assert filters.describe(sel(year_max=2000, term=("long-term",))) == "year …–2000; long-term therapy"
    assert filters.describe(sel()) == "all studies"


SPECIFIC_STUDIES = STUDIES.assign(
    condition_specific=["major_depression", "social_anxiety", "borderline_pd", "postnatal_depression"]
)


def test_specific_conditions_are_read_off_the_data_under_their_group():
    context = filters.context(SPECIFIC_STUDIES)
    assert context["specific"] == {
        "anxiety": ("social_anxiety",),
        "depression": ("major_depression", "postnatal_depression"),
        "personality": ("borderline_pd",),
    }
    under = viewstate.allowed("specific", context, {"condition": ("depression",)})
    assert under == ("major_depression", "postnatal_depression")
    assert viewstate.allowed("specific", context, {"condition": ()}) == (
        "social_anxiety",
        "major_depression",
        "postnatal_depression",
        "borderline_pd",
    )
    assert "specific" not in filters.context(STUDIES)  # a table without the column offers none


def test_a_specific_condition_filters_the_rows_and_round_trips_through_the_link():
    context = filters.context(SPECIFIC_STUDIES)
    parsed = filters.parse({"condition": "depression", "specific": ["postnatal_depression"]}, context)
    assert parsed.notices == []
    assert parsed.state == filters.parse({}, context).state | {
        "condition": ("depression",),
        "specific": ("postnatal_depression",),
    }
    assert list(filters.apply(SPECIFIC_STUDIES, parsed.state)["n_randomized"]) == [20]
    assert filters.parse(filters.serialize(parsed.state), context).state == parsed.state


def test_a_specific_condition_of_another_group_is_dropped_with_a_notice():
    context = filters.context(SPECIFIC_STUDIES)
    parsed = filters.parse({"condition": "anxiety", "specific": "borderline_pd"}, context)
    assert parsed.state["condition"] == ("anxiety",) and parsed.state["specific"] == ()
    assert any("Ignored specific 'borderline_pd'" in n for n in parsed.notices)


def test_choosing_every_specific_condition_of_the_chosen_groups_restricts_nothing():
    context = filters.context(SPECIFIC_STUDIES)
    chosen = sel(condition=("depression",), specific=("major_depression", "postnatal_depression"))
    assert filters.normalize(chosen, context) == sel(condition=("depression",))


def test_bounds_beyond_the_data_are_clamped_with_a_notice():
    parsed = filters.parse({"n_min": "1000", "year_max": "1900"}, CONTEXT)
    assert parsed.state == sel(n_min=500, year_max=1980)
    assert len(parsed.notices) == 2


# --- adding a filter is one row of viewstate.FIELDS ----------------------------------------------------

CONFIDENCE = viewstate.Field(
    "confidence",
    "multi",
    viewstate.FILTER_PAGES,
    "extraction confidence",
    default=(),
    source="trials",
    column="confidence",
    widget="multiselect",
    label="Extraction confidence",
    placeholder="Any confidence",
    phrase="{} confidence",
)


def test_a_new_filter_is_one_row_of_the_table_and_reaches_the_parser_sidebar_filter_and_share_link(monkeypatch, trials):
    monkeypatch.setattr(viewstate, "FIELDS", (*viewstate.FIELDS, CONFIDENCE))
    # the parser, with its values read off the data
    context = filters.context(trials)
    assert context["confidence"] == tuple(sorted(trials["confidence"].unique()))
    parsed = filters.parse({"confidence": "high"}, context)
    assert parsed.notices == [] and parsed.state["confidence"] == ("high",)
    assert any("Ignored confidence 'sure'" in n for n in filters.parse({"confidence": "sure"}, context).notices)
    # the filter and its description
    kept = filters.apply(trials, parsed.state)
    assert len(kept) == (trials["confidence"] == "high").sum() < len(trials)
    assert filters.describe(parsed.state) == "high confidence"
    # the link
    assert filters.serialize(parsed.state) == {"confidence": ["high"]}

    # the app: a link opens it in the sidebar, filters the figures, and a change reaches the share link
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("pages/explore.py")
    at.query_params["confidence"] = "high"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.warning, [w.value for w in at.warning]
    box = next(m for m in at.sidebar.multiselect if m.label == "Extraction confidence")
    assert list(box.value) == ["high"]
    assert {m.label: m.value for m in at.metric}["Comparisons"] == str(len(kept))
    assert at.query_params["confidence"] in ("high", ["high"])
    box.set_value(["low"]).run()
    assert {m.label: m.value for m in at.metric}["Comparisons"] == str((trials["confidence"] == "low").sum())
    assert at.query_params["confidence"] in ("low", ["low"])
    assert at.sidebar.code[-1].value.endswith("?confidence=low")
    # and it is carried to another page that shows the trials
    at.switch_page("pages/study_size.py")
    at.run()
    assert not at.exception
    assert list(next(m for m in at.sidebar.multiselect if m.label == "Extraction confidence").value) == ["low"]
