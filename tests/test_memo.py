"""The page caches: keyed by the full content of the tables passed in, never by their identity or shape."""

from __future__ import annotations

import pandas as pd
import pytest

from pdevidence.web import memo


def mean_effect(frame: pd.DataFrame) -> float:
    return float(frame["g"].mean())


def test_equal_tables_share_a_key_and_any_changed_cell_gives_a_new_one():
    frame = pd.DataFrame({"study": ["a", "b", "c"], "g": [0.1, 0.2, 0.3]})
    assert memo._table_digest(frame) == memo._table_digest(frame.copy())
    changed = frame.copy()
    changed.loc[2, "study"] = "d"
    assert memo._table_digest(changed) != memo._table_digest(frame)
    assert memo._table_digest(frame["g"]) != memo._table_digest(frame["g"] + 1e-12)


def test_a_cached_result_follows_the_content_of_its_table():
    frame = pd.DataFrame({"study": ["a", "b"], "g": [0.2, 0.4]})
    assert memo.computed(mean_effect, frame) == pytest.approx(0.3)
    same_shape = frame.assign(g=[1.0, 2.0])
    assert memo.computed(mean_effect, same_shape) == 1.5
    assert memo.computed(mean_effect, frame.copy()) == pytest.approx(0.3)


def test_equal_tables_built_differently_share_a_key():
    import pickle

    frame = pd.DataFrame({"study": ["a", "b", "c"], "g": [0.1, 0.2, 0.3], "n": [10, 20, 30]})
    round_trip = pickle.loads(pickle.dumps(frame))
    rebuilt = pd.concat([frame.iloc[:1], frame.iloc[1:]])
    assert memo._table_digest(round_trip) == memo._table_digest(frame) == memo._table_digest(rebuilt)
    assert memo._table_digest(frame.copy(deep=False)) == memo._table_digest(frame)


def test_names_types_and_index_are_part_of_the_key():
    frame = pd.DataFrame({"study": ["a", "b"], "g": [1.0, 2.0]})
    digest = memo._table_digest(frame)
    assert memo._table_digest(frame.rename(columns={"g": "d"})) != digest
    assert memo._table_digest(frame.astype({"g": "float32"})) != digest
    assert memo._table_digest(frame.set_axis([5, 6])) != digest
    assert memo._table_digest(frame[["g", "study"]]) != digest
    assert memo._table_digest(frame["g"].rename("h")) != memo._table_digest(frame["g"])


def test_cells_pandas_cannot_hash_fall_back_to_the_full_content():
    frame = pd.DataFrame({"arms": [["a", "b"], ["c"]]})
    other = pd.DataFrame({"arms": [["a", "b"], ["d"]]})
    assert memo._table_digest(frame) != memo._table_digest(other)


def test_what_pandas_hashes_alike_still_gives_different_keys():
    frame = pd.DataFrame({"g": [1.0, 2.0]})
    assert memo._table_digest(frame.rename_axis("trial")) != memo._table_digest(frame)
    assert memo._table_digest(frame.rename_axis(columns="what")) != memo._table_digest(frame)
    labels = pd.Series(["a", "b"], dtype=pd.CategoricalDtype(["a", "b"]))
    assert memo._table_digest(labels) != memo._table_digest(labels.cat.reorder_categories(["b", "a"]))
    mixed = pd.DataFrame({"v": pd.Series([1, None], dtype=object)})
    text = pd.DataFrame({"v": pd.Series(["1", float("nan")], dtype=object)})
    assert memo._table_digest(mixed) != memo._table_digest(text)
