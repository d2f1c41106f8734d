"""``Journaled``: a dict that notes which keys changed, so the state store can write a growing
map entry by entry and still rebuild it in the same order."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fakeiot._journal import Journaled, Noted, NotingIndex

KEYS = st.sampled_from("abcdef")
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("set"), KEYS, st.integers(0, 9)),
        st.tuples(st.just("del"), KEYS),
        st.tuples(st.just("pop"), KEYS),
        st.tuples(st.just("popitem")),
        st.tuples(st.just("setdefault"), KEYS, st.integers(0, 9)),
        st.tuples(st.just("update"), st.dictionaries(KEYS, st.integers(0, 9), max_size=3)),
        st.tuples(st.just("ior"), st.dictionaries(KEYS, st.integers(0, 9), max_size=3)),
        st.tuples(st.just("clear")),
        st.tuples(st.just("take")),
    ),
    max_size=40,
)


def apply(target: dict[str, int], operation: tuple[Any, ...]) -> None:
    name, *args = operation
    if name == "set":
        target[args[0]] = args[1]
    elif name == "del":
        if args[0] in target:
            del target[args[0]]
    elif name == "pop":
        target.pop(args[0], None)
    elif name == "popitem":
        if target:
            target.popitem()
    elif name == "setdefault":
        target.setdefault(args[0], args[1])
    elif name == "update":
        target.update(args[0])
    elif name == "ior":
        target |= args[0]
    elif name == "clear":
        target.clear()


def replay(stored: dict[str, int], journal: dict[str, bool], source: dict[str, int]) -> None:
    """What the store does with a journal: a moved key is deleted and inserted again (to the
    end), a key changed in place is updated in place, a gone key is deleted."""
    for key, moved in journal.items():
        if moved:
            stored.pop(key, None)
    for key in journal:
        if key in source:
            stored[key] = source[key]


@given(st.dictionaries(KEYS, st.integers(0, 9)), OPERATIONS)
def test_replaying_the_journal_rebuilds_the_map_in_its_order(
    start: dict[str, int], operations: list[tuple[Any, ...]]
) -> None:
    journaled: Journaled[str, int] = Journaled(start)
    plain = dict(start)
    assert journaled.take() is None  # nothing was being noted
    stored = dict(start)
    for operation in operations:
        if operation[0] == "take":
            journal = journaled.take()
            assert journal is not None
            replay(stored, journal, journaled)
            assert list(stored.items()) == list(journaled.items())
            continue
        apply(journaled, operation)
        apply(plain, operation)
        assert list(journaled.items()) == list(plain.items())
    journal = journaled.take()
    assert journal is not None
    replay(stored, journal, journaled)
    assert list(stored.items()) == list(journaled.items())


def test_only_changed_keys_are_noted_and_a_replaced_value_stays_in_place() -> None:
    journaled: Journaled[str, int] = Journaled(a=1, b=2, c=3)
    journaled.take()
    journaled["b"] = 20
    journaled["d"] = 4
    assert journaled.take() == {"b": False, "d": True}
    assert journaled.take() == {}
    del journaled["a"]
    journaled["a"] = 1
    assert journaled.take() == {"a": True}
    assert list(journaled) == ["b", "c", "d", "a"]


def test_missing_keys_raise_as_a_dict_does() -> None:
    journaled: Journaled[str, int] = Journaled()
    journaled.take()
    with pytest.raises(KeyError):
        journaled.pop("x")
    with pytest.raises(KeyError):
        del journaled["x"]
    with pytest.raises(KeyError):
        journaled.popitem()
    assert journaled.pop("x", 5) == 5
    assert journaled.take() == {}


@pytest.mark.parametrize(
    "clone", [copy.copy, copy.deepcopy, lambda d: pickle.loads(pickle.dumps(d))]
)
def test_copies_keep_the_items_and_the_journal(clone: Any) -> None:
    journaled: Journaled[str, int] = Journaled(a=1)
    journaled.take()
    journaled["b"] = 2
    twin = clone(journaled)
    assert type(twin) is Journaled
    assert list(twin.items()) == [("a", 1), ("b", 2)]
    assert twin.take() == {"b": True}
    twin["c"] = 3
    assert journaled.take() == {"b": True}


def test_an_index_notes_every_key_looked_up_or_changed_while_noting() -> None:
    noted = Noted()
    index: NotingIndex[str, int] = NotingIndex(noted, {"a": 1, "b": 2, "c": 3, "d": 4})
    index.get("a")
    assert noted.take() is None  # not noting yet
    index.get("a")
    _ = index["b"]
    index["e"] = 5
    del index["c"]
    index.pop("zz", None)
    index.setdefault("f", 6)
    assert list(index.values()) == [1, 2, 4, 5, 6]  # iterating notes nothing
    assert noted.take() == {"a", "b", "c", "e", "f", "zz"}
    index.popitem()
    index.update(g=7)
    assert noted.take() == {"f", "g"}
    index.clear()
    assert noted.take() == {"a", "b", "d", "e", "g"}


@pytest.mark.parametrize("clone", [copy.deepcopy, lambda d: pickle.loads(pickle.dumps(d))])
def test_copied_indexes_share_one_new_noted(clone: Any) -> None:
    noted = Noted()
    noted.take()
    state: dict[str, NotingIndex[str, int]] = {
        "all": NotingIndex(noted, {"x": 1}),
        "mine": NotingIndex(noted, {"x": 1}),
    }
    twin = clone(state)
    assert twin["all"].noted is twin["mine"].noted
    assert twin["all"].noted is not noted
    twin["mine"].get("x")
    assert twin["all"].noted.take() == {"x"}
    assert noted.take() == set()  # the original noted nothing of the copy's lookups
