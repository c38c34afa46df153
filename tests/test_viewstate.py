"""URL state: the table of fields, parse with notices, serialize, and their round trip on every valid state."""

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pdevidence import stats, viewstate, vocab

MODELS = (
    "MBT",
    "PDT",
    "STPP (manualised, individual)",
    "supportive-expressive psychotherapy (manualized, time-limited)",
    "MBT (day hospital, MBT-DH)",
    "TFP",
)
CONTEXT = {
    "condition": ("anxiety", "depression", "personality"),
    "specific": {
        "anxiety": ("gad", "panic", "social_anxiety"),
        "depression": ("chronic_depression", "major_depression"),
        "personality": ("borderline_pd",),
    },
    "comparator": ("active", "inactive"),
    "design": ("pilot_rct", "rct"),
    "term": ("long-term", "short-term"),
    "model": MODELS,
    "n_min": (20, 500),
    "n_max": (20, 500),
    "year_min": (1980, 2020),
    "year_max": (1980, 2020),
    "claim": ("beats-cbt-postnatal", "lasting-benefit", "as-good-as-cbt"),
    "compare": viewstate.Domain(("CBT", "PDT", "IPT", "DBT"), default=("CBT", "PDT")),
    "db": ("depression-psyctr", "ptsd-psyctr"),
    "outcome": ("c-symptoms", "d-remission"),
    "family": ("psychodynamic", "cbt"),
    "vs": ("wl", "cau", "a, b"),
}


def parse(query, **kwargs):
    return viewstate.parse(query, CONTEXT, **kwargs)


def test_every_field_names_pages_that_exist_and_a_known_kind():
    for f in viewstate.FIELDS:
        assert f.kind in {"choice", "multi", "int", "flag", "text"}, f
        assert f.pages and set(f.pages) <= set(viewstate.PAGES), f
    assert len(viewstate.BY_NAME) == len(viewstate.FIELDS)


def test_fixed_choices_match_what_the_pages_offer():
    assert viewstate.BY_NAME["tau2"].values == tuple(stats.TAU2_METHODS)
    assert viewstate.BY_NAME["tau"].values == tuple(stats.TAU2_METHODS)
    assert viewstate.BY_NAME["pool_time"].values == tuple(vocab.TIMEPOINTS)


@pytest.mark.parametrize(
    "query, field, expected, notice",
    [
        ("n_min=1000", "n_min", 500, "above the largest value in the data (500); 500 is used"),
        ("n_max=1", "n_max", 20, "below the smallest value in the data (20); 20 is used"),
        ("year_min=2030", "year_min", 2020, "2020 is used"),
        ("n_min=1_000", "n_min", None, "not a whole number"),
        ("n_min=%D9%A1%D9%A0%D9%A0", "n_min", None, "not a whole number"),  # Arabic-Indic digits
        ("n_min=100.0", "n_min", None, "not a whole number"),
        ("n_min=nan", "n_min", None, "not a whole number"),
        ("n_min=inf", "n_min", None, "not a whole number"),
        ("n_min=-5", "n_min", None, "cannot be negative"),
        ("n_min=%2B50", "n_min", None, "not a whole number"),  # an explicit plus sign
        ("n_min=+50", "n_min", None, "not a whole number"),  # "+" in a link is a space
        ("n_min=%2050%20", "n_min", None, "not a whole number"),
        ("n_min=%EF%BC%95%EF%BC%90", "n_min", None, "not a whole number"),  # full-width digits
        ("size=0", "size", 10, "size 0 is below the smallest value in the data (10); 10 is used"),
        ("n_min=" + "9" * 5000, "n_min", None, "not a whole number"),
        ("n_min=300&n_max=100", "n_min", None, "the minimum 300 is above the maximum 100"),
        ("n_min=50&n_min=300", "n_min", 300, "gives n_min 2 times; only the last one, '300', is used"),
        ("pool_vs=everything", "pool_vs", "inactive", "Ignored pool_vs 'everything'"),
        ("condition=depresion", "condition", (), "Ignored condition 'depresion'"),
        ("q=" + "a" * 10000, "q", "a" * 80, "Shortened q to 80 characters"),
        ("q=a%00b", "q", "ab", "Removed characters"),
    ],
)
def test_out_of_range_and_malformed_values_are_clamped_or_dropped_with_a_notice(query, field, expected, notice):
    parsed = parse(query)
    assert parsed.state[field] == expected
    assert any(notice in n for n in parsed.notices), parsed.notices


def test_valid_values_parse_without_notices():
    parsed = parse(
        "condition=depression&specific=major_depression&n_min=100&year_max=2010&pool_vs=active&claim=lasting-benefit"
        "&model=MBT&model=STPP+%28manualised%2C+individual%29"
    )
    assert parsed.notices == []
    assert parsed.state["condition"] == ("depression",)
    assert parsed.state["specific"] == ("major_depression",)
    assert parsed.state["model"] == ("MBT", "STPP (manualised, individual)")
    assert parsed.state["n_min"] == 100 and parsed.state["year_max"] == 2010
    assert parsed.state["pool_vs"] == "active" and parsed.state["claim"] == "lasting-benefit"


def test_names_with_commas_survive_the_share_link_and_older_comma_joined_links():
    state = parse("").state | {"model": ("STPP (manualised, individual)", "MBT (day hospital, MBT-DH)", "TFP")}
    query = urlencode(viewstate.serialize(state, CONTEXT), doseq=True)
    assert parse(query).state["model"] == ("STPP (manualised, individual)", "MBT (day hospital, MBT-DH)", "TFP")
    legacy = parse({"model": "TFP,STPP (manualised, individual),MBT"})
    assert legacy.state["model"] == ("MBT", "STPP (manualised, individual)", "TFP")
    assert legacy.notices == []


def test_a_specific_condition_outside_the_chosen_groups_is_dropped_with_a_notice():
    parsed = parse("condition=depression&specific=panic&specific=major_depression")
    assert parsed.state["specific"] == ("major_depression",)
    assert any("Ignored specific 'panic'" in n and "chosen condition groups" in n for n in parsed.notices)
    assert parse("specific=panic").state["specific"] == ("panic",)


def test_unknown_keys_and_keys_of_other_pages_get_a_notice_per_page():
    parsed = parse("colour=red&claim=lasting-benefit&condition=depression", page="claims")
    assert "condition" not in parsed.state and parsed.state["claim"] == "lasting-benefit"
    assert any("unknown link parameter 'colour'" in n for n in parsed.notices)
    assert any("'condition': this page does not use it" in n for n in parsed.notices)
    assert viewstate.unknown_keys("colour=red&q=x&q=y", "defense_mechanisms") == ["colour"]


def test_many_problems_give_five_notices_and_a_count_of_the_rest():
    parsed = parse("&".join(f"k{i}=x" for i in range(2000)))
    assert len(parsed.notices) == viewstate.MAX_NOTICES + 1
    assert parsed.notices[-1] == "…and 1995 more problems in the link, also ignored."


def test_serialize_leaves_out_defaults_and_writes_lists_as_repeated_keys():
    state = parse("").state
    assert viewstate.serialize(state, CONTEXT) == {}
    state |= {"condition": ("anxiety", "depression"), "n_min": 50, "lowrob": True, "compare": ("CBT", "IPT")}
    assert viewstate.serialize(state, CONTEXT) == {
        "condition": ["anxiety", "depression"],
        "n_min": ["50"],
        "compare": ["CBT", "IPT"],
        "lowrob": ["1"],
    }


def _subset(values):
    """A canonical selection: a subset of the values, in the order the data gives them."""
    return st.lists(st.sampled_from(values), unique=True).map(lambda xs: tuple(v for v in values if v in xs))


@st.composite
def valid_states(draw):
    state = parse("").state
    for name in ("condition", "comparator", "design", "term", "model", "vs"):
        state[name] = draw(_subset(CONTEXT[name]))
    offered = tuple(
        dict.fromkeys(
            code
            for group, codes in CONTEXT["specific"].items()
            if not state["condition"] or group in state["condition"]
            for code in codes
        )
    )
    state["specific"] = draw(_subset(offered)) if offered else ()
    for prefix, (low, high) in (("n", (20, 500)), ("year", (1980, 2020))):
        lo = draw(st.none() | st.integers(low + 1, high))
        floor = lo if lo is not None else low
        hi = draw(st.none() | st.integers(floor, high - 1)) if floor <= high - 1 else None
        state[f"{prefix}_min"], state[f"{prefix}_max"] = lo, hi
    for name in ("pool_vs", "pool_time", "tau2", "tau", "time"):
        state[name] = draw(st.sampled_from(viewstate.BY_NAME[name].values))
    for name in ("claim", "db", "outcome", "family"):
        state[name] = draw(st.sampled_from(CONTEXT[name]))
    compare = draw(_subset(CONTEXT["compare"].values).filter(lambda xs: 0 < len(xs) <= 3))
    state["compare"] = compare
    state["size"] = draw(st.integers(10, 10000))
    state["lowrob"] = draw(st.booleans())
    printable = st.text(st.characters(codec="utf-8", exclude_categories=("C", "Z")) | st.just(" "), max_size=80)
    state["q"] = draw(printable.filter(lambda t: t == "".join(ch for ch in t if ch.isprintable())))
    state["src"] = draw(printable.filter(lambda t: t.isprintable()))
    return state


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_states())
def test_parse_of_serialize_gives_back_every_valid_state(state):
    params = viewstate.serialize(state, CONTEXT)
    assert parse(params) == viewstate.Parsed(state, [])
    # and through a real query string, as a browser sends it
    assert parse(urlencode(params, doseq=True)).state == state


HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            "[x](https://www.evil.example)",
            "www.evil.example",
            "../../etc/passwd",
            "\x00",
            "%00",
            "%252e%252e%252f",
            "1e309",
            "NaN",
            "-inf",
            "١٠٠",
            "1_000",
            "0x10",
            "  42  ",
            "9" * 400,
            '=HYPERLINK("http://evil")',
        ]
    ),
    st.sampled_from("ab,<>%").map(lambda ch: ch * 10000),
)
KEYS = st.sampled_from([f.name for f in viewstate.FIELDS]) | st.text(max_size=12)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(KEYS, HOSTILE_TEXT), max_size=12),
    st.sampled_from((None,) + viewstate.PAGES),
)
def test_any_query_gives_valid_state_and_few_notices(pairs, page):
    query = urlencode(pairs)
    parsed = viewstate.parse(query, CONTEXT, page=page)
    assert len(parsed.notices) <= viewstate.MAX_NOTICES + 1
    for notice in parsed.notices:
        assert len(notice) < 400 and "\x00" not in notice
    # the state is valid: serializing and parsing it again changes nothing and says nothing
    params = viewstate.serialize(parsed.state, CONTEXT)
    again = viewstate.parse(params, CONTEXT, page=page)
    assert again.state == parsed.state and again.notices == []
    for key in params:
        assert page is None or page in viewstate.BY_NAME[key].pages


def test_a_value_of_ten_thousand_commas_is_parsed_in_linear_time():
    import time

    start = time.perf_counter()
    parsed = parse({"model": "," * 10000 + "MBT" + ",x" * 5000})
    assert time.perf_counter() - start < 2
    assert parsed.state["model"] == ("MBT",)
    assert len(parsed.notices) == viewstate.MAX_NOTICES + 1
