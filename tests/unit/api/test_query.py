"""zentail.api.query: the query-parameter conventions shared by every resource."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zentail.api.query import MAX_ID, MAX_LIST_VALUES, int_list, last_updated, split_list
from zentail.domain.errors import InvalidInput


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ()),
        ("", ()),
        ("A", ("A",)),
        ("A,B", ("A", "B")),
        (" A , B ,, A ", ("A", "B")),
        ("'A,B'", ("A", "B")),  # Zentail's inventory guide quotes the list
        ('"A,B"', ("A", "B")),
        ("'A,B\"", ("'A", 'B"')),  # not a matching pair of quotes
    ],
)
def test_a_list_is_comma_separated_trimmed_and_deduplicated(
    value: str | None, expected: tuple[str, ...]
) -> None:
    assert split_list(value, "skus") == expected


def test_a_list_takes_at_most_a_hundred_values() -> None:
    values = ",".join(f"S{n}" for n in range(MAX_LIST_VALUES))
    assert len(split_list(values, "skus")) == MAX_LIST_VALUES
    with pytest.raises(InvalidInput) as raised:
        split_list(values + ",ONE-MORE", "skus")
    assert raised.value.field == "skus"


@given(st.lists(st.integers(min_value=1, max_value=MAX_ID), min_size=1, max_size=20))
def test_an_id_list_reads_every_id_in_range(ids: list[int]) -> None:
    assert int_list(",".join(map(str, ids)), "warehouses") == tuple(dict.fromkeys(ids))


@pytest.mark.parametrize("value", ["1,x", "0", "-1", str(MAX_ID + 1), "1.5"])
def test_an_id_list_with_anything_else_is_invalid_input(value: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        int_list(value, "warehouses")
    assert raised.value.field == "warehouses"


NAMES = ("lastUpdatedTs", "lastUpdateTs")


@pytest.mark.parametrize(
    ("documented", "other", "expected"),
    [(None, None, None), ("a", None, "a"), (None, "b", "b"), ("a", "a", "a")],
)
def test_either_spelling_of_the_last_update_filter_is_read(
    documented: str | None, other: str | None, expected: str | None
) -> None:
    assert last_updated(documented, other, names=NAMES) == expected


def test_both_spellings_with_different_values_are_invalid_input() -> None:
    with pytest.raises(InvalidInput) as raised:
        last_updated("a", "b", names=NAMES)
    assert raised.value.field == "lastUpdateTs"
