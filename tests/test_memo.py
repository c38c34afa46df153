"""The page caches: keyed by hashable values (what the tables were drawn from, and the other arguments), never
by hashing the tables themselves."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest

from pdevidence import viewstate
from pdevidence.web import memo

CALLS: list[str] = []


def mean_effect(frame: pd.DataFrame, scale: float = 1.0) -> float:
    CALLS.append("mean_effect")
    return float(frame["g"].mean()) * scale


def build_figure(frame: pd.DataFrame) -> dict:
    CALLS.append("build_figure")
    return {"points": len(frame)}


@pytest.fixture(autouse=True)
def fresh_caches():
    memo._computed.clear()
    memo._shared.clear()
    CALLS.clear()


def test_the_same_key_and_arguments_compute_once():
    frame = pd.DataFrame({"study": ["a", "b"], "g": [0.2, 0.4]})
    assert memo.computed(mean_effect, frame, key=("data", "all")) == pytest.approx(0.3)
    assert memo.computed(mean_effect, frame.copy(), key=("data", "all")) == pytest.approx(0.3)
    assert CALLS == ["mean_effect"]


def test_another_key_or_another_argument_computes_again():
    frame = pd.DataFrame({"study": ["a", "b"], "g": [0.2, 0.4]})
    memo.computed(mean_effect, frame, key=("data", "all"))
    assert memo.computed(mean_effect, frame.assign(g=[1.0, 2.0]), key=("data", "depression")) == 1.5
    assert memo.computed(mean_effect, frame, 10.0, key=("data", "all")) == pytest.approx(3.0)
    assert memo.computed(mean_effect, frame, scale=2.0, key=("data", "all")) == pytest.approx(0.6)
    assert CALLS == ["mean_effect"] * 4


def test_the_tables_are_not_hashed_the_key_stands_for_them():
    frame = pd.DataFrame({"g": [0.2, 0.4]})
    memo.computed(mean_effect, frame, key="v1")
    # A different table under the same key is the same result: the key is the caller's promise.
    assert memo.computed(mean_effect, frame.assign(g=[5.0, 5.0]), key="v1") == pytest.approx(0.3)
    assert CALLS == ["mean_effect"]


class NoHash:
    """Cannot be hashed or pickled: Streamlit hashing it would fail."""

    def __init__(self, g: float) -> None:
        self.g = g

    def __reduce__(self):
        raise TypeError("not to be hashed")


def effect_of(holder: NoHash, scale: float = 1.0) -> float:
    CALLS.append("effect_of")
    return holder.g * scale


def test_an_unhashed_argument_is_given_as_it_is_and_the_key_stands_for_it():
    assert memo.computed(effect_of, memo.Unhashed(NoHash(0.5)), key="db-v1") == 0.5
    assert memo.computed(effect_of, memo.Unhashed(NoHash(9.0)), key="db-v1") == 0.5  # the key is the promise
    assert memo.computed(effect_of, memo.Unhashed(NoHash(9.0)), key="db-v2") == 9.0
    assert memo.computed(effect_of, memo.Unhashed(NoHash(9.0)), 2.0, key="db-v2") == 18.0
    assert CALLS == ["effect_of"] * 3


def test_a_frozen_view_state_is_a_key():
    frame = pd.DataFrame({"g": [0.2, 0.4]})
    view = viewstate.View.of("explore", {"condition": ("depression",), "n_min": None})
    memo.computed(mean_effect, frame, key=view)
    memo.computed(mean_effect, frame, key=viewstate.View.of("explore", {"condition": ("depression",), "n_min": None}))
    memo.computed(mean_effect, frame, key=view.replace(n_min=100))
    assert CALLS == ["mean_effect", "mean_effect"]


def doubled(frame: pd.DataFrame) -> pd.DataFrame:
    CALLS.append("doubled")
    return frame.assign(g=frame["g"] * 2)


def summary_parts(frame: pd.DataFrame) -> dict:
    CALLS.append("summary_parts")
    return {"studies": ["a", "b"], "table": frame.head(1), "pooled": Verdict("favours", 0.3)}


@dataclass(frozen=True)
class Verdict:
    direction: str
    g: float


def test_a_caller_changing_its_copy_never_changes_what_the_next_caller_gets():
    frame = pd.DataFrame({"study": ["a", "b"], "g": [0.2, 0.4]})
    first = memo.computed(doubled, frame, key="v1")
    first["g"] = 99.0  # a column replaced
    first.loc[0, "study"] = "changed"  # a cell set
    first.drop(columns="study", inplace=True)
    again = memo.computed(doubled, frame, key="v1")
    assert again.to_dict("list") == {"study": ["a", "b"], "g": [0.4, 0.8]}
    parts = memo.computed(summary_parts, frame, key="v1")
    parts["studies"].append("c")
    parts["table"].loc[0, "g"] = -1.0
    parts["extra"] = True
    fresh = memo.computed(summary_parts, frame, key="v1")
    assert fresh["studies"] == ["a", "b"] and fresh["table"]["g"].tolist() == [0.2] and "extra" not in fresh
    assert fresh["pooled"] is parts["pooled"]  # frozen: nothing can change it, so it is shared
    assert CALLS == ["doubled", "summary_parts"]


def test_a_figure_is_built_once_per_key_and_shared():
    frame = pd.DataFrame({"g": [0.2, 0.4, 0.6]})
    first = memo.figure(build_figure, frame, key="v1")
    assert memo.figure(build_figure, frame, key="v1") is first
    assert memo.figure(build_figure, frame.head(1), key="v2") == {"points": 1}
    assert CALLS == ["build_figure", "build_figure"]


def test_a_call_without_a_key_is_refused():
    with pytest.raises(TypeError, match="key"):
        memo.computed(mean_effect, pd.DataFrame({"g": [1.0]}))


def test_settling_a_page_freezes_what_is_alive_once_per_page():
    import gc

    memo.settle.clear()
    kept = {"alive": [1, 2, 3]}  # a tracked object alive at the time of settling
    before = gc.get_freeze_count()
    memo.settle("overview-test")
    frozen = gc.get_freeze_count()
    assert frozen > before and gc.is_tracked(kept)
    assert not any(obj is kept for obj in gc.get_objects())  # frozen: the collector no longer walks it
    assert kept["alive"] == [1, 2, 3]  # and it is alive as before
    memo.settle("overview-test")
    assert gc.get_freeze_count() == frozen  # the same page again: nothing more
    later = {"made": "after the first page settled"}
    memo.settle("explore-test")  # another page: what is alive now, this object too, is frozen as well
    assert gc.get_freeze_count() > frozen and not any(obj is later for obj in gc.get_objects())
