"""zentail.domain.scopes: the scope catalogue and scope lists (RFC 6749 §3.3 scope tokens)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zentail.domain.errors import InvalidInput
from zentail.domain.scopes import ALL_SCOPES, SCOPES, describe, join_scopes, parse_scopes

CATALOGUE = list(SCOPES)


@given(
    st.lists(st.sampled_from(CATALOGUE), min_size=1, max_size=12),
    st.lists(st.sampled_from([" ", ",", ", ", "  ", "\t"]), min_size=12, max_size=12),
)
def test_a_scope_list_is_read_in_any_order_and_separator_deduplicated_in_catalogue_order(
    names: list[str], separators: list[str]
) -> None:
    text = "".join(name + separator for name, separator in zip(names, separators, strict=False))
    expected = [scope for scope in CATALOGUE if scope in names]
    assert parse_scopes(text) == expected
    assert parse_scopes(names) == expected


@pytest.mark.parametrize("value", ["salesOrder:read nope", "SALESORDER:READ", "salesOrder:*"])
def test_an_unknown_scope_is_invalid_input_naming_it(value: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_scopes(value, field="scope")
    assert raised.value.field == "scope"
    assert value.split()[-1] in raised.value.message


@pytest.mark.parametrize("value", ["", " , ", []])
def test_an_empty_scope_list_is_invalid_input(value: str | list[str]) -> None:
    with pytest.raises(InvalidInput, match="at least one scope"):
        parse_scopes(value)


@given(st.sets(st.sampled_from(CATALOGUE)))
def test_joined_scopes_are_space_separated_in_catalogue_order(scopes: set[str]) -> None:
    joined = join_scopes(frozenset(scopes))
    assert joined.split() == [scope for scope in CATALOGUE if scope in scopes]
    if scopes:
        assert parse_scopes(joined) == joined.split()


def test_every_scope_has_a_description_and_unknown_stored_names_are_left_out() -> None:
    assert describe(join_scopes(ALL_SCOPES)) == list(SCOPES.values())
    assert describe("salesOrder:read retired:scope") == [SCOPES["salesOrder:read"]]
