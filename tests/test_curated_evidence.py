"""A direction without a between-arm test is never counted, pooled or tallied as a result."""

import pytest
from tables import raw_table, with_values

from pdevidence import effectmap, evidence, load, stats


@pytest.mark.parametrize(
    "row_id, values, message",
    [
        ("gibbons2012", {"finding": "pd_better"}, r"pd_better and pd_worse need a reported between-arm test"),
        ("brom1989-wl", {"finding": "pd_worse"}, r"pd_better and pd_worse need a reported between-arm test"),
        ("johansson2017", {"finding": "favours_pd_untested"}, r"a direction with a reported between-arm test"),
        ("gibbons2012", {"inferred": "false"}, r"must be flagged inferred = true"),
    ],
)
def test_the_loader_refuses_a_win_without_a_reported_test(row_id, values, message):
    with pytest.raises(load.DataError, match=message):
        load.parse_table("trials", with_values(raw_table("trials"), row_id, **values))


def test_the_audited_rows_carry_the_untested_direction(trials):
    rows = trials.set_index("id")
    for row_id in ("gibbons2012", "woody1983-dc", "brom1989-wl"):
        assert rows.loc[row_id, "finding"] == "favours_pd_untested"
        assert rows.loc[row_id, "between_arm_test"] != "reported"
    assert rows.loc["woody1983-dc", "comparator_type"] == "add_on"
    assert rows.loc["gunderson1984", "n_randomized"] == 51


def test_an_untested_direction_is_never_a_result_in_counts_pools_or_tallies(trials):
    mutated = load.parse_table(
        "trials",
        with_values(
            raw_table("trials"),
            "johansson2017",
            finding="favours_pd_untested",
            between_arm_test="not_reported",
            inferred="true",
        ),
    )
    before = stats.condition_summary(trials).set_index("condition_group").loc["anxiety"]
    after = stats.condition_summary(mutated).set_index("condition_group").loc["anxiety"]
    assert after["pd_better"] == before["pd_better"] - 1
    for column in ("no_difference", "pd_worse", "mixed"):
        assert after[column] == before[column]
    untested = evidence.finding_counts(mutated).set_index("condition_group").loc["anxiety", "not_tested"]
    assert untested == evidence.finding_counts(trials).set_index("condition_group").loc["anxiety", "not_tested"] + 1
    assert "johansson2017" in set(stats.pooling_set(trials, "inactive", "post")["id"])
    assert "johansson2017" not in set(stats.pooling_set(mutated, "inactive", "post")["id"])
    assert "johansson2017" not in set(effectmap._pool_candidates(mutated)["id"])
    tables = dict(load.read_all())
    tables["trials"] = mutated
    rows = evidence.all_evidence(tables)
    tally = evidence.tally(rows[rows["id"] == "johansson2017"])
    assert tally["tested"] == 0 and tally["not_tested"] == 1
